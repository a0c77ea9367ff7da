// The side-by-side diff view: the panes hold the two texts exactly (as plain text, hostile
// markup included), lines aligned, the changed words highlighted in palette-aware colours,
// scrolling together, and change navigation by buttons and shortcuts.

#include "diffview.h"

#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTextBlock>
#include <QToolButton>

using namespace llmaudit;

namespace {

// What a pane should show of a text: its lines, each as DiffView::shownText puts it.
QStringList shownLines(const std::string &text)
{
    QStringList lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        lines << DiffView::shownText(std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// A pane's lines, the filler lines left out.
QStringList paneLines(const QPlainTextEdit *pane, const TextDiff &diff, bool left)
{
    QStringList lines;
    QTextBlock block = pane->document()->firstBlock();
    for (const auto &row : diff.rows) {
        if (!(left ? row.left : row.right).isFiller())
            lines << block.text();
        else if (!block.text().isEmpty())
            lines << u"<filler with text: "_qs + block.text() + u'>';
        block = block.next();
    }
    return lines;
}

// The texts of a block's fragments that have a background of their own.
QStringList highlighted(const QTextBlock &block)
{
    QStringList texts;
    for (auto it = block.begin(); !it.atEnd(); ++it)
        if (it.fragment().charFormat().background().style() != Qt::NoBrush)
            texts << it.fragment().text();
    return texts;
}

QTextBlock blockAt(const QPlainTextEdit *pane, int row)
{
    return pane->document()->findBlockByNumber(row);
}

const std::string LongLine(100000, 'x');

const std::string HostileA = "Intro line\n"
                             "<b>bold</b> and <img src=\"https://evil.invalid/x.png\">\n"
                             "**markdown** # not a heading\n"
                             "the cat sat down\n"
                             "tab\there\n" +
                             LongLine + "\nend";
const std::string HostileB = "Intro line\n"
                             "<b>bold</b> and <img src=\"https://evil.invalid/x.png\">\n"
                             "**markdown** # not a heading\n"
                             "the dog sat down\n"
                             "an inserted \u202Eevil\u202C line <script>alert(1)</script>\n"
                             "tab\there\n" +
                             LongLine + " y\nend";

} // namespace

class TestDiffView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void panesHoldBothTextsAsPlainText()
    {
        DiffView view;
        view.setTexts(HostileA, HostileB, u"original"_qs, u"replay"_qs);
        const TextDiff &diff = view.diff();
        QCOMPARE(view.leftPane()->blockCount(), int(diff.rows.size()));
        QCOMPARE(view.rightPane()->blockCount(), int(diff.rows.size()));
        QCOMPARE(paneLines(view.leftPane(), diff, true), shownLines(HostileA));
        QCOMPARE(paneLines(view.rightPane(), diff, false), shownLines(HostileB));

        // Markup is text: no image, no bold, the tags there to read.
        const QString right = view.rightPane()->toPlainText();
        QVERIFY(right.contains(u"<img src=\"https://evil.invalid/x.png\">"));
        QVERIFY(right.contains(u"<script>alert(1)</script>"));
        QVERIFY(right.contains(u"**markdown** # not a heading"));
        for (QTextBlock b = view.rightPane()->document()->firstBlock(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                QVERIFY(!it.fragment().charFormat().isImageFormat());
                QVERIFY(it.fragment().charFormat().fontWeight() != QFont::Bold);
            }
        // Bidirectional overrides are shown, not obeyed; tabs stay tabs.
        QVERIFY(right.contains(u"an inserted <U+202E>evil<U+202C> line"));
        QVERIFY(!right.contains(QChar(0x202E)));
        QVERIFY(right.contains(u"tab\there"));
        // The long line is there whole.
        QVERIFY(view.leftPane()->toPlainText().contains(QString(100000, u'x')));

        // Lines aligned: the inserted line faces a filler.
        QCOMPARE(blockAt(view.leftPane(), 4).text(), QString());
        QVERIFY(diff.rows[4].left.isFiller());
        QCOMPARE(blockAt(view.leftPane(), 5).text(), u"tab\there"_qs);
        QCOMPARE(blockAt(view.rightPane(), 5).text(), u"tab\there"_qs);

        const auto labels = view.findChildren<QLabel *>();
        QVERIFY(!labels.isEmpty());
        for (const QLabel *label : labels)
            QCOMPARE(label->textFormat(), Qt::PlainText);
    }

    void changedWordsAreHighlighted()
    {
        DiffView view;
        view.setTexts(HostileA, HostileB);
        QCOMPARE(view.mode(), DiffMode::Words);
        QCOMPARE(highlighted(blockAt(view.leftPane(), 3)), QStringList{u"cat"_qs});
        QCOMPARE(highlighted(blockAt(view.rightPane(), 3)), QStringList{u"dog"_qs});
        QCOMPARE(highlighted(blockAt(view.rightPane(), 6)), QStringList{u" y"_qs});
        QVERIFY(highlighted(blockAt(view.leftPane(), 0)).isEmpty());
        // Changed lines are tinted, unchanged ones not; the left red-ish, the right green-ish.
        const QColor deleted = blockAt(view.leftPane(), 3).blockFormat().background().color();
        const QColor inserted = blockAt(view.rightPane(), 3).blockFormat().background().color();
        QVERIFY(deleted.red() > deleted.green());
        QVERIFY(inserted.green() > inserted.red());
        QCOMPARE(blockAt(view.leftPane(), 0).blockFormat().background().style(), Qt::NoBrush);

        // Lines mode: whole lines, no word highlights.
        view.setMode(DiffMode::Lines);
        QVERIFY(highlighted(blockAt(view.leftPane(), 3)).isEmpty());
        QVERIFY(blockAt(view.leftPane(), 3).blockFormat().background().style() != Qt::NoBrush);
        QCOMPARE(paneLines(view.leftPane(), view.diff(), true), shownLines(HostileA));
    }

    void coloursFollowThePalette()
    {
        DiffView view;
        view.setTexts("the cat\n", "the dog\n");
        auto word = [&] {
            QTextBlock block = blockAt(view.leftPane(), 0);
            for (auto it = block.begin(); !it.atEnd(); ++it)
                if (it.fragment().text() == u"cat")
                    return it.fragment().charFormat().background().color();
            return QColor();
        };
        QVERIFY(word().isValid());
        QVERIFY(word().lightnessF() > 0.5); // on the default light base
        QPalette dark = view.palette();
        dark.setColor(QPalette::Base, QColor(30, 30, 30));
        dark.setColor(QPalette::Text, QColor(220, 220, 220));
        view.setPalette(dark);
        QVERIFY(word().lightnessF() < 0.5); // still a tint of the (now dark) base
        QVERIFY(word().red() > word().green());
    }

    void scrollsTogether()
    {
        DiffView view;
        std::string a;
        std::string b;
        for (int i = 0; i < 300; ++i) {
            a += "line " + std::to_string(i) + "\n";
            b += (i % 50 == 0 ? "changed " : "line ") + std::to_string(i) + "\n";
        }
        view.setTexts(a, b);
        view.resize(900, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(view.leftPane()->verticalScrollBar()->maximum() > 100);
        view.leftPane()->verticalScrollBar()->setValue(120);
        QCOMPARE(view.rightPane()->verticalScrollBar()->value(), 120);
        view.rightPane()->verticalScrollBar()->setValue(7);
        QCOMPARE(view.leftPane()->verticalScrollBar()->value(), 7);
        view.rightPane()->horizontalScrollBar()->setValue(0);
        QCOMPARE(view.leftPane()->horizontalScrollBar()->value(), 0);
    }

    void navigatesFromChangeToChange()
    {
        DiffView view;
        std::string a;
        std::string b;
        for (int i = 0; i < 300; ++i) {
            a += "line " + std::to_string(i) + "\n";
            b += (i % 100 == 50 ? "changed " : "line ") + std::to_string(i) + "\n";
        }
        view.setTexts(a, b);
        view.resize(900, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCOMPARE(view.changeCount(), 3);
        QCOMPARE(view.currentChange(), -1);
        QSignalSpy moved(&view, &DiffView::currentChangeChanged);

        auto buttons = view.findChildren<QToolButton *>();
        auto button = [&](const QString &tip) -> QToolButton * {
            for (auto *b : buttons)
                if (b->toolTip().startsWith(tip))
                    return b;
            return nullptr;
        };
        QToolButton *next = button(u"Next change"_qs);
        QToolButton *previous = button(u"Previous change"_qs);
        QVERIFY(next && previous);
        QVERIFY(!previous->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(view.currentChange(), 0);
        QCOMPARE(moved.count(), 1);
        QCOMPARE(view.leftPane()->textCursor().blockNumber(), 50);
        QCOMPARE(view.rightPane()->textCursor().block().text(), u"changed 50"_qs);
        const int top = view.leftPane()->verticalScrollBar()->value();
        QVERIFY(top <= 50 && top >= 40); // the change is in view, a little context above it
        QCOMPARE(view.rightPane()->verticalScrollBar()->value(), top);

        // The shortcuts, from inside the view.
        view.activateWindow();
        view.rightPane()->setFocus();
        QVERIFY(QTest::qWaitForWindowActive(&view));
        QTest::keyClick(view.rightPane(), Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(view.currentChange(), 1);
        QTest::keyClick(view.rightPane(), Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(view.currentChange(), 2);
        QVERIFY(!next->isEnabled());
        QTest::keyClick(view.rightPane(), Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(view.currentChange(), 2); // stays on the last
        QTest::keyClick(view.leftPane(), Qt::Key_Up, Qt::AltModifier);
        QCOMPARE(view.currentChange(), 1);
        QTest::mouseClick(previous, Qt::LeftButton);
        QCOMPARE(view.currentChange(), 0);
        QVERIFY(!previous->isEnabled());
    }

    void showsAComparisonOfTwoInteractions()
    {
        QFile file(QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/compare/replay-pair.jsonl"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        auto comparison = compareDocuments(lines[0].toStdString(), lines[1].toStdString());
        QVERIFY(comparison);
        comparison->a.model = "gpt\u202E-evil"; // log text in the header is shown, not obeyed
        comparison->modelChanged = true;
        DiffView view;
        view.setComparison(*comparison);
        const QString scores = view.scoresText();
        QVERIFY2(
            scores.contains(u"ROUGE-L "_qs + QString::number(*comparison->response.rougeL, 'f', 3)),
            qPrintable(scores));
        QVERIFY(scores.contains(u"Jaccard "_qs +
                                QString::number(comparison->response.tokenJaccard, 'f', 3)));
        QVERIFY(scores.contains(u"Δ latency +475 ms"));
        QVERIFY(scores.contains(u"finish stop → length"));
        QVERIFY(scores.contains(u"model gpt<U+202E>-evil → gpt-4o"));
        QVERIFY(scores.contains(u"different"));
        QStringList texts;
        for (const QLabel *label : view.findChildren<QLabel *>())
            texts << label->text();
        QVERIFY(texts.join(u'\n').contains(u"int-2026-03-02-0007"));
        QVERIFY(texts.join(u'\n').contains(u"replay-7f3a"));
        QVERIFY(texts.join(u'\n').contains(u"latency 1840 ms"));
        QCOMPARE(paneLines(view.leftPane(), view.diff(), true),
                 shownLines(comparison->responseDiff.textA()));
        QCOMPARE(view.changeCount(), int(comparison->responseDiff.changes.size()));

        view.clear();
        QCOMPARE(view.changeCount(), 0);
        QCOMPARE(view.leftPane()->toPlainText(), QString());
    }

    void identicalTextsHaveNoChanges()
    {
        DiffView view;
        view.setTexts("same\ntext\n", "same\ntext\n");
        QCOMPARE(view.changeCount(), 0);
        QVERIFY(view.scoresText().contains(u"identical"));
        QVERIFY(highlighted(blockAt(view.leftPane(), 0)).isEmpty());
        view.nextChange(); // nothing to go to
        QCOMPARE(view.currentChange(), -1);
    }
};

QTEST_MAIN(TestDiffView)
#include "tst_diffview.moc"
