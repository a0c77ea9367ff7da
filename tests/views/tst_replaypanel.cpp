// The replay panel on the offscreen platform against the fake LLM server (in this process):
// the editors show the record, edits become overrides, Run streams the answer in and stores
// the replay, Cancel stops it, failures are shown, and in the main window the comparison lands
// in the Compare tab and the replay in the interaction's history.

#include "diffview.h"
#include "fakellmserver.h"
#include "interactiontablemodel.h"
#include "llmprovider.h"
#include "logcodec.h"
#include "mainwindow.h"
#include "replaypanel.h"

#include <QComboBox>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <nlohmann/json.hpp>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

const QByteArray Key = "sk-tst-replaypanel-99887766554433";
const std::string Hostile = "Summarise <b>this</b> & <script>x()</script> \u202Eevil\u202C.";

} // namespace

class TestReplayPanel : public QObject
{
    Q_OBJECT

private:
    fakellm::FakeLlmServer m_server;
    QTemporaryDir m_dir;
    QString m_providers;
    int m_stores = 0;

    json record(const std::string &id, const std::string &prompt)
    {
        ProviderConfig config;
        config.name = u"recorder"_s;
        config.baseUrl = m_server.url();
        config.baseUrl.setPath(u"/v1"_s);
        config.apiKeyEnv = u"LLMAUDIT_TST_PANEL_KEY"_s;
        auto client = LlmProvider::create(config);
        ChatRequest request;
        request.model = "fake-gpt";
        request.messages = {{"system", "Be brief."}, {"user", prompt}};
        request.temperature = 0.7;
        request.seed = 3;
        ChatCall *call = client->chat(request);
        QSignalSpy finished(call, &ChatCall::finished);
        if (!finished.wait(20000))
            qFatal("the fixture did not answer");
        const auto result = finished.first().first().value<ChatResult>();
        if (!result.ok())
            qFatal("%s", qPrintable(result.failure->toString()));
        return {{"interaction_id", id},
                {"timestamp", "2026-01-05T10:00:00Z"},
                {"user_id", "u-1"},
                {"session_id", "s-1"},
                {"request",
                 {{"prompt", prompt},
                  {"system_prompt", "Be brief."},
                  {"messages", json::array({{{"role", "system"}, {"content", "Be brief."}},
                                            {{"role", "user"}, {"content", prompt}}})},
                  {"context", json::array({{{"content", "Doc A"}}, {{"content", "Doc B"}}})},
                  {"parameters", {{"model", "fake-gpt"}, {"temperature", 0.7}, {"seed", 3}}}}},
                {"response", {{"content", result.content}, {"finish_reason", "stop"}}}};
    }

    // A new store holding one recorded interaction; its path and the stored record.
    std::pair<QString, StoredInteraction> storeWith(const json &doc)
    {
        const QString path = m_dir.filePath(u"panel-%1.sqlite"_s.arg(++m_stores));
        auto store = Store::open(path);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        auto decoded = decodeDocument(doc);
        if (!decoded)
            qFatal("invalid test record");
        IncomingRecord incoming{std::move(*decoded), "tst_replaypanel", {}, {}};
        if (!(*store)->write(std::span(&incoming, 1), {}))
            qFatal("cannot write");
        auto stored = (*store)->interaction(doc["interaction_id"].get<std::string>());
        return {path, **stored};
    }

    // A panel on a store, with its providers read.
    std::unique_ptr<ReplayPanel> panelOn(const QString &store, const StoredInteraction &item)
    {
        auto panel = std::make_unique<ReplayPanel>();
        panel->setProvidersPath(m_providers);
        QSignalSpy providers(panel.get(), &ReplayPanel::providersShown);
        QSignalSpy history(panel.get(), &ReplayPanel::historyShown);
        panel->setStorePath(store);
        panel->setInteraction(item);
        panel->show();
        if ((providers.isEmpty() && !providers.wait(10000)) ||
            (history.isEmpty() && !history.wait(10000)))
            qFatal("no providers or history");
        return panel;
    }

private Q_SLOTS:
    void initTestCase();
    void editorsShowTheRecord();
    void editsBecomeOverrides();
    void runStreamsStoresAndLists();
    void cancelStopsTheReplay();
    void failureIsShown();
    void mainWindowShowsTheComparison();
};

void TestReplayPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(u"llmaudit-test"_s);
    // The Reviewer Name (Review menu): the window's replays are recorded under it.
    QSettings().setValue(u"review/reviewer"_s, u"Rhea Replayer"_s);
    qputenv("LLMAUDIT_TST_PANEL_KEY", Key);
    m_server.setApiKey(QString::fromLatin1(Key));
    QVERIFY(m_server.listen());
    m_providers = m_dir.filePath(u"providers.json"_s);
    QFile file(m_providers);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const std::string base = m_server.url().toString().toStdString();
    file.write(QByteArray::fromStdString(
        json{{"providers", json::array({{{"name", "fake"},
                                         {"kind", "openai"},
                                         {"base_url", base + "/v1"},
                                         {"model", "fake-gpt"},
                                         {"api_key_env", "LLMAUDIT_TST_PANEL_KEY"},
                                         {"max_retries", 0}},
                                        {{"name", "fake-ollama"},
                                         {"kind", "ollama"},
                                         {"base_url", base},
                                         {"model", "fake-llama:latest"}}})}}
            .dump()));
}

void TestReplayPanel::editorsShowTheRecord()
{
    const json doc = record("p-0", Hostile);
    auto [path, stored] = storeWith(doc);
    auto panel = panelOn(path, stored);
    // Log text as text, markup and bidi controls included.
    QCOMPARE(panel->promptEdit()->toPlainText(), QString::fromStdString(Hostile));
    QCOMPARE(panel->systemPromptEdit()->toPlainText(), u"Be brief."_s);
    QCOMPARE(panel->contextEdit()->toPlainText(), u"Doc A\n---\nDoc B"_s);
    QCOMPARE(panel->modelBox()->currentText(), u"fake-gpt"_s);
    QCOMPARE(panel->providerBox()->count(), 3);        // Automatic, fake, fake-ollama
    QCOMPARE(panel->parametersTable()->rowCount(), 2); // temperature, seed (model is above)
    // Unedited, nothing is overridden.
    QVERIFY(panel->spec().overrides.isEmpty());
    QVERIFY(panel->spec().stream);
}

void TestReplayPanel::editsBecomeOverrides()
{
    auto [path, stored] = storeWith(record("p-1", "What is EDD?"));
    auto panel = panelOn(path, stored);
    panel->promptEdit()->setPlainText(u"Who approves EDD?"_s);
    panel->contextEdit()->setPlainText(u"One\n---\nTwo\n---\nThree"_s);
    panel->modelBox()->setCurrentText(u"fake-gpt-mini"_s);
    panel->providerBox()->setCurrentIndex(panel->providerBox()->findData(u"fake"_s));
    auto *table = panel->parametersTable();
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, 0)->text() == u"temperature")
            table->item(row, 1)->setText(u"0.1"_s);
        if (table->item(row, 0)->text() == u"seed")
            table->item(row, 0)->setText(QString()); // a row without a key is removed
    }
    const ReplaySpec spec = panel->spec();
    QCOMPARE(spec.provider, u"fake"_s);
    QCOMPARE(spec.overrides.prompt, std::optional<std::string>("Who approves EDD?"));
    QVERIFY(!spec.overrides.systemPrompt);
    QVERIFY(spec.overrides.context ==
            (std::optional<std::vector<std::string>>({"One", "Two", "Three"})));
    QCOMPARE(spec.overrides.model, std::optional<std::string>("fake-gpt-mini"));
    QVERIFY2(spec.overrides.parameters == json({{"temperature", 0.1}, {"seed", nullptr}}),
             spec.overrides.parameters.dump().c_str());
    panel->resetEdits();
    QVERIFY(panel->spec().overrides.parameters.empty());
    QVERIFY(!panel->spec().overrides.prompt);
}

void TestReplayPanel::runStreamsStoresAndLists()
{
    auto [path, stored] = storeWith(record("p-2", "Explain the audit trail"));
    auto panel = panelOn(path, stored);
    QCOMPARE(panel->historyList()->topLevelItemCount(), 0);
    QSignalSpy finished(panel.get(), &ReplayPanel::replayFinished);
    QSignalSpy compared(panel.get(), &ReplayPanel::comparisonReady);
    QSignalSpy stored_(panel.get(), &ReplayPanel::replayStored);
    auto *table = panel->parametersTable();
    for (int row = 0; row < table->rowCount(); ++row)
        if (table->item(row, 0)->text() == u"temperature")
            table->item(row, 1)->setText(u"0.2"_s);
    m_server.reset();
    QTest::mouseClick(panel->runButton(), Qt::LeftButton);
    QVERIFY(panel->isRunning());
    QVERIFY(!panel->runButton()->isEnabled());
    QVERIFY(panel->cancelButton()->isEnabled());
    QVERIFY(finished.wait(20000));
    const auto outcome = finished.first().first().value<ReplayOutcome>();
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    const QString expected =
        u"Echo: Explain the audit trail [model=fake-gpt temperature=0.2 seed=3]"_s;
    QCOMPARE(panel->answerView()->toPlainText(), expected);
    QCOMPARE(QString::fromStdString(outcome.chat.content), expected);
    // It was streamed (the request asked for it) ...
    const json body = json::parse(
        m_server.receivedRequests().last().toObject().value(u"body"_s).toString().toStdString());
    QCOMPARE(body["stream"].get<bool>(), true);
    // ... stored, compared and listed.
    QCOMPARE(stored_.size(), 1);
    QCOMPARE(compared.size(), 1);
    const auto comparison = compared.first().first().value<Comparison>();
    QCOMPARE(comparison.b.interactionId, outcome.replayId);
    QCOMPARE(comparison.a.interactionId, std::string("p-2"));
    QVERIFY(panel->statusText().contains(QString::fromStdString(outcome.replayId)));
    QTRY_COMPARE_WITH_TIMEOUT(panel->historyList()->topLevelItemCount(), 1, 10000);
    QVERIFY(!panel->isRunning());
    QVERIFY(panel->runButton()->isEnabled());
    // A replay from the history opens in the diff view.
    panel->historyList()->setCurrentItem(panel->historyList()->topLevelItem(0));
    panel->compareSelectedReplay();
    QVERIFY(compared.wait(10000));
    QCOMPARE(compared.last().first().value<Comparison>().b.interactionId, outcome.replayId);

    // The activity log has the replay, under the Reviewer Name (not the OS user).
    auto store = Store::open(path, Store::Access::ReadOnly);
    QVERIFY(store);
    ActivityQuery query;
    query.kinds = {ActivityKind::Replay};
    auto entries = (*store)->activity(query);
    QVERIFY(entries);
    QCOMPARE(entries->size(), size_t(1));
    QCOMPARE(entries->front().actor, std::string("Rhea Replayer"));
}

void TestReplayPanel::cancelStopsTheReplay()
{
    auto [path, stored] = storeWith(record("p-3", "A long enough question to trickle in"));
    auto panel = panelOn(path, stored);
    panel->modelBox()->setCurrentText(u"fake-gpt+trickle-150"_s);
    QSignalSpy finished(panel.get(), &ReplayPanel::replayFinished);
    panel->run();
    // The answer arrives piece by piece: cancel once some of it is there.
    QTRY_VERIFY_WITH_TIMEOUT(!panel->answerView()->toPlainText().isEmpty(), 10000);
    QVERIFY(panel->isRunning());
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    QVERIFY(finished.wait(10000));
    const auto outcome = finished.first().first().value<ReplayOutcome>();
    QCOMPARE(outcome.failure, std::optional(FailureKind::Cancelled));
    QVERIFY(!outcome.stored);
    QVERIFY2(panel->statusText().contains(u"cancelled"), qPrintable(panel->statusText()));
    QVERIFY(panel->answerView()->toPlainText().startsWith(u"Echo:"));
    QVERIFY(!panel->isRunning());
}

void TestReplayPanel::failureIsShown()
{
    auto [path, stored] = storeWith(record("p-4", "Fail please"));
    auto panel = panelOn(path, stored);
    panel->modelBox()->setCurrentText(u"no-such-model-z"_s);
    QSignalSpy finished(panel.get(), &ReplayPanel::replayFinished);
    panel->run();
    QVERIFY(finished.wait(10000));
    QVERIFY2(panel->statusText().contains(u"404 Not Found"), qPrintable(panel->statusText()));
    QVERIFY(panel->statusText().contains(u"fake (http://127.0.0.1:"));
    QVERIFY(panel->runButton()->isEnabled());
    QSignalSpy history(panel.get(), &ReplayPanel::historyShown);
    panel->setInteraction(stored);
    QVERIFY(history.wait(10000));
    QCOMPARE(panel->historyList()->topLevelItemCount(), 0); // nothing stored
}

void TestReplayPanel::mainWindowShowsTheComparison()
{
    auto [path, stored] = storeWith(record("p-5", "Replay me in the window"));
    qputenv("LLMAUDIT_PROVIDERS", m_providers.toLocal8Bit());
    MainWindow window;
    window.openStore(path);
    window.show();
    QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 1, 10000);
    QSignalSpy shown(&window, &MainWindow::interactionShown);
    window.table()->selectRow(0);
    QVERIFY(shown.wait(10000));
    ReplayPanel *panel = window.replayPanel();
    QCOMPARE(panel->interactionId(), std::string("p-5"));
    auto *tabs = qobject_cast<QTabWidget *>(panel->parentWidget()->parentWidget());
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(tabs->indexOf(panel)), u"&Replay"_s);
    tabs->setCurrentWidget(panel);
    QTRY_VERIFY_WITH_TIMEOUT(panel->providerBox()->count() == 3, 10000);

    QSignalSpy compared(&window, &MainWindow::comparisonShown);
    panel->run();
    QVERIFY(compared.wait(20000));
    // The Compare tab shows the original against its unchanged replay: identical.
    QCOMPARE(tabs->currentWidget(), window.diffView());
    QCOMPARE(window.diffView()->changeCount(), 0);
    QCOMPARE(window.diffView()->leftPane()->toPlainText(),
             window.diffView()->rightPane()->toPlainText());
    QVERIFY(window.diffView()->leftPane()->toPlainText().contains(u"Replay me in the window"));
    // The replay is a new row of the table, and in the history.
    QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(panel->historyList()->topLevelItemCount(), 1, 10000);
    QCOMPARE(panel->historyList()->topLevelItem(0)->text(3), u"identical"_s);
}

QTEST_MAIN(TestReplayPanel)
#include "tst_replaypanel.moc"
