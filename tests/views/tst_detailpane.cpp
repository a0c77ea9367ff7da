// The detail pane and the conversation view on hostile records: log text is shown as text,
// Markdown renders without HTML, and nothing is ever loaded from a file or the network.

#include "conversationview.h"
#include "detailpane.h"

#include <QApplication>
#include <QClipboard>
#include <QImage>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>

#include <nlohmann/json.hpp>

using namespace llmaudit;
using nlohmann::json;

namespace {

// Markup a renderer must not interpret: HTML that would load a file or run script, Markdown
// images and links pointing at local files, and bidi overrides.
const char *const HostilePrompt =
    "<img src=\"file:///etc/passwd\"><script>alert(1)</script><b>not bold</b> "
    "\u202Egnp.exe\u202C";
const char *const HostileResponse = "**Bold words** and `code`\n\n"
                                    "![secret](file:///etc/passwd)\n\n"
                                    "<iframe src=\"http://127.0.0.1:9/x\"></iframe>\n\n"
                                    "[click](file:///etc/shadow)";

StoredInteraction stored(const json &document, qint64 rowId = 7)
{
    StoredInteraction item;
    item.rowId = rowId;
    item.document = document.dump();
    item.source = "hostile.jsonl:1";
    item.ingestedMs = 1767607200000;
    return item;
}

json hostileRecord(const std::string &id = "h-1", const std::string &session = "s-h")
{
    return {{"interaction_id", id},
            {"timestamp", "2026-01-05T10:00:00Z"},
            {"user_id", "u-<b>1</b>"},
            {"session_id", session},
            {"request",
             {{"prompt", HostilePrompt},
              {"system_prompt", "<h1>system</h1>"},
              {"context", json::array({{{"content", "<a href='x'>doc one</a>"},
                                        {"source", "policy<br>.pdf"},
                                        {"metadata", {{"chunk", 3}}}}})},
              {"parameters", {{"model", "gpt-4o"}, {"temperature", 0.2}}}}},
            {"response", {{"content", HostileResponse}, {"finish_reason", "stop"}}},
            {"metrics",
             {{"latency_ms", 1000},
              {"embedding_time_ms", 50},
              {"retrieval_time_ms", 150},
              {"llm_time_ms", 700}}},
            {"evaluation", {{"flagged", true}, {"flag_reason", "<u>pii</u>"}}},
            {"security", {{"sensitivity_level", "confidential"}, {"yara_matches", {"r1", "r2"}}}}};
}

// The images the document refers to.
QStringList imageNames(QTextDocument *document)
{
    QStringList names;
    for (QTextBlock block = document->begin(); block.isValid(); block = block.next())
        for (auto it = block.begin(); !it.atEnd(); ++it)
            if (it.fragment().charFormat().isImageFormat())
                names << it.fragment().charFormat().toImageFormat().name();
    return names;
}

} // namespace

class TestDetailPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void logTextIsShownAsText()
    {
        DetailPane pane;
        pane.resize(900, 700);
        pane.show();
        pane.setInteraction(stored(hostileRecord()));
        const QString text = pane.overviewText();
        // Markup arrives literally, character for character.
        for (const char *literal : {HostilePrompt, "<h1>system</h1>", "<a href='x'>doc one</a>",
                                    "policy<br>.pdf", "<u>pii</u>"})
            QVERIFY2(text.contains(QString::fromUtf8(literal)), literal);
        QVERIFY(text.contains(u"<iframe src=\"http://127.0.0.1:9/x\"></iframe>"));
        QVERIFY(text.contains(u"sensitivity level: confidential"));
        QVERIFY(text.contains(u"yara matches: r1, r2"));
        QVERIFY(text.contains(u"chunk: 3"));
        QVERIFY(pane.jsonText().contains(u"\"interaction_id\": \"h-1\""));
    }

    void markdownRendersWithoutLoadingAnything()
    {
        // A real image on disk that a careless renderer would load: 37 x 23 pixels.
        QTemporaryDir dir;
        const QString imagePath = dir.filePath(u"leak.png"_qs);
        QImage leak(37, 23, QImage::Format_RGB32);
        leak.fill(Qt::red);
        QVERIFY(leak.save(imagePath));
        const QString imageUrl = QUrl::fromLocalFile(imagePath).toString();
        json record = hostileRecord();
        record["response"]["content"] =
            std::string(HostileResponse) + "\n\n![leak](" + imageUrl.toStdString() + ")";
        DetailPane pane;
        pane.show();
        pane.setInteraction(stored(record));
        auto *browser = pane.findChild<QTextBrowser *>();
        QVERIFY(browser);
        // Rendered: the emphasis markers are gone, the words are bold.
        QVERIFY(pane.overviewText().contains(u"Bold words and code"));
        bool bold = false;
        for (QTextBlock b = browser->document()->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it)
                if (it.fragment().text().contains(u"Bold words"))
                    bold = it.fragment().charFormat().fontWeight() >= QFont::Bold;
        QVERIFY(bold);
        // The Markdown images refer to the files, and neither was read: the document holds
        // the placeholder, not the image on disk nor the bytes of /etc/passwd.
        QCOMPARE(imageNames(browser->document()),
                 (QStringList{u"file:///etc/passwd"_qs, imageUrl}));
        for (const QString &name : imageNames(browser->document())) {
            const QVariant resource =
                browser->document()->resource(QTextDocument::ImageResource, QUrl(name));
            QCOMPARE(resource.metaType(), QMetaType::fromType<QImage>());
            QCOMPARE(resource.value<QImage>().size(), QSize(16, 16));
        }
        QVERIFY(!browser->openLinks());
        QVERIFY(!browser->openExternalLinks());

        // Raw: the Markdown as written.
        pane.setRendersMarkdown(false);
        QVERIFY(pane.overviewText().contains(QString::fromUtf8(HostileResponse)));
        QVERIFY(imageNames(browser->document()).isEmpty());
    }

    void copyActionsCopyWholeFields()
    {
        DetailPane pane;
        json record = hostileRecord();
        const std::string longText(DetailPaneLimit() + 500, 'x');
        record["response"]["content"] = longText;
        pane.setInteraction(stored(record));
        // The view shows a cut version; Copy Response gives all of it.
        QVERIFY(pane.overviewText().contains(u"more not shown"));
        QAction *copyResponse = nullptr;
        for (QAction *a : pane.copyActions())
            if (a->text().contains(u"Response"))
                copyResponse = a;
        QVERIFY(copyResponse);
        copyResponse->trigger();
        QCOMPARE(QApplication::clipboard()->text().size(), qsizetype(longText.size()));
    }

    void invalidJsonIsShownRaw()
    {
        DetailPane pane;
        StoredInteraction item;
        item.rowId = 1;
        item.document = "{\"not\": json <b>x</b>";
        pane.setInteraction(item);
        QCOMPARE(pane.jsonText(), QString::fromStdString(item.document));
    }

    void conversationFoldsSystemPromptAndContext()
    {
        ConversationView view;
        view.show();
        std::vector<StoredInteraction> turns;
        for (int i = 0; i < 3; ++i) {
            json record = hostileRecord("t-" + std::to_string(i));
            record["request"]["prompt"] = "question " + std::to_string(i) + " <b>x</b>";
            record["response"]["content"] = "answer " + std::to_string(i);
            turns.push_back(stored(record, 100 + i));
        }
        view.setConversation(u"s-h"_qs, turns);
        QCOMPARE(view.turnCount(), 3);
        QString text = view.toPlainText();
        for (int i = 0; i < 3; ++i) {
            QVERIFY(text.contains(QStringLiteral("question %1 <b>x</b>").arg(i)));
            QVERIFY(text.contains(QStringLiteral("answer %1").arg(i)));
        }
        // Folded: titles only.
        QVERIFY(text.contains(u"System prompt (15 characters)"));
        QVERIFY(text.contains(u"System prompt (unchanged, 15 characters)"));
        QVERIFY(text.contains(u"Context: 1 document"));
        QVERIFY(!text.contains(u"<h1>system</h1>"));
        QVERIFY(!text.contains(u"doc one"));
        view.setUnfolded(2, u"context"_qs, true);
        view.setUnfolded(1, u"system"_qs, true);
        text = view.toPlainText();
        QCOMPARE(text.count(u"<a href='x'>doc one</a>"), 1);
        QCOMPARE(text.count(u"<h1>system</h1>"), 1);
        QVERIFY(view.showTurnOf(101));
        QVERIFY(!view.showTurnOf(5));
    }

private:
    static size_t DetailPaneLimit() { return size_t(RichTextWriter::MaxShownChars); }
};

QTEST_MAIN(TestDetailPane)
#include "tst_detailpane.moc"
