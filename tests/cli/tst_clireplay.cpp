// llmaudit replay end to end: the real executable against the fake LLM server, which runs in
// this process (so the test's event loop must turn while the CLI runs: processes are awaited
// with signals, not waitForFinished). Originals are recorded from the fixture first.

#include "fakellmserver.h"
#include "llmprovider.h"
#include "logcodec.h"
#include "replayplan.h"
#include "store.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <csignal>
#include <set>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

const QByteArray Key = "sk-tst-clireplay-a1b2c3d4e5f60718";

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    json parsed() const { return json::parse(out.toStdString(), nullptr, false); }
};

} // namespace

class TestCliReplay : public QObject
{
    Q_OBJECT

private:
    fakellm::FakeLlmServer m_server;
    QTemporaryDir m_dir;
    QString m_store;
    QString m_providers;
    std::vector<std::string> m_ids;

    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"LLMAUDIT_PROVIDERS"_s, m_providers);
        env.insert(u"LLMAUDIT_TST_CLI_KEY"_s, QString::fromLatin1(Key));
        return env;
    }

    // Starts llmaudit; the caller waits for it with the event loop running.
    QProcess *start(const QStringList &args, const QByteArray &input = {})
    {
        auto *process = new QProcess(this);
        process->setProcessEnvironment(environment());
        process->start(QStringLiteral(LLMAUDIT_CLI), args);
        if (!input.isNull()) {
            process->write(input);
            process->closeWriteChannel();
        }
        return process;
    }

    Run finish(QProcess *process)
    {
        Run run;
        if (process->state() != QProcess::NotRunning) {
            QSignalSpy finished(process, &QProcess::finished);
            if (!finished.wait(60000)) {
                process->kill();
                process->waitForFinished();
                run.err = u"timed out"_s;
                delete process;
                return run;
            }
        }
        run.exitCode = process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
        run.out = QString::fromUtf8(process->readAllStandardOutput());
        run.err = QString::fromUtf8(process->readAllStandardError());
        delete process;
        return run;
    }

    Run cli(const QStringList &args, const QByteArray &input = {})
    {
        QStringList all{u"replay"_s, u"--store"_s, m_store};
        all += args;
        return finish(start(all, input));
    }

    std::unique_ptr<Store> openStore() const
    {
        auto store = Store::open(m_store);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        return std::move(*store);
    }

    // Records an interaction from the fixture, as an application's logger would.
    json record(const std::string &id, const std::string &session, int64_t ms,
                const std::string &prompt, const std::string &model,
                const std::vector<ChatMessage> &history = {})
    {
        ProviderConfig config;
        config.name = u"recorder"_s;
        config.baseUrl = m_server.url();
        config.baseUrl.setPath(u"/v1"_s);
        config.apiKeyEnv = u"LLMAUDIT_TST_CLI_KEY"_s;
        auto client = LlmProvider::create(config);
        ChatRequest request;
        request.model = model;
        request.messages = {{"system", "Answer briefly."}};
        for (const auto &m : history)
            request.messages.push_back(m);
        request.messages.push_back({"user", prompt});
        request.temperature = 0.7;
        request.seed = 7;
        ChatCall *call = client->chat(request);
        QSignalSpy finished(call, &ChatCall::finished);
        if (!finished.wait(20000))
            qFatal("the fixture did not answer");
        const auto result = finished.first().first().value<ChatResult>();
        if (!result.ok())
            qFatal("%s", qPrintable(result.failure->toString()));
        json messages = json::array();
        for (const auto &m : request.messages)
            messages.push_back({{"role", m.role}, {"content", m.content}});
        return {{"interaction_id", id},
                {"timestamp", LogSchema::formatDateTime(ms)},
                {"user_id", "u-1"},
                {"session_id", session},
                {"request",
                 {{"prompt", prompt},
                  {"system_prompt", "Answer briefly."},
                  {"messages", messages},
                  {"parameters", {{"model", model}, {"temperature", 0.7}, {"seed", 7}}}}},
                {"response", {{"content", result.content}, {"finish_reason", "stop"}}}};
    }

    void put(const std::vector<json> &records)
    {
        auto store = openStore();
        std::vector<IncomingRecord> incoming;
        for (const json &r : records) {
            auto decoded = decodeDocument(r);
            QVERIFY(decoded);
            incoming.push_back({std::move(*decoded), "tst_clireplay", {}, {}});
        }
        auto written = store->write(incoming, {});
        QVERIFY(written);
        QCOMPARE(written->stored, qint64(records.size()));
    }

    QString idsFile(const std::vector<std::string> &ids, const QString &name)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        file.write("# ids, one a line\n\n");
        for (const auto &id : ids)
            file.write(QByteArray::fromStdString(id) + "\r\n");
        return path;
    }

private Q_SLOTS:
    void initTestCase();
    void fidelity();
    void overrides();
    void providerFailure_data();
    void providerFailure();
    void usageErrors_data();
    void usageErrors();
    void thresholdExitCode_data();
    void thresholdExitCode();
    void idsFromStandardInput();
    void idsFromEmptyInput();
    void idsFromASlowPipe();
    void filterSelectsTheBatch();
    void sigintFinishesInFlightThenResume();
    void session();
    void keyNotInStoreFiles();
};

void TestCliReplay::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("LLMAUDIT_TST_CLI_KEY", Key);
    m_server.setApiKey(QString::fromLatin1(Key));
    QVERIFY(m_server.listen());
    m_store = m_dir.filePath(u"store.sqlite"_s);
    m_providers = m_dir.filePath(u"providers.json"_s);
    QFile providers(m_providers);
    QVERIFY(providers.open(QIODevice::WriteOnly));
    const json file = {
        {"providers", json::array({{{"name", "fake"},
                                    {"kind", "openai"},
                                    {"base_url", m_server.url().toString().toStdString() + "/v1"},
                                    {"model", "fake-gpt"},
                                    {"api_key_env", "LLMAUDIT_TST_CLI_KEY"},
                                    {"max_retries", 0}},
                                   {{"name", "fake-claude"},
                                    {"kind", "anthropic"},
                                    {"base_url", m_server.url().toString().toStdString()},
                                    {"model", "fake-claude"},
                                    {"api_key_env", "LLMAUDIT_TST_CLI_KEY"},
                                    {"max_retries", 0}}})}};
    providers.write(QByteArray::fromStdString(file.dump(2)));
    providers.close();

    std::vector<json> records;
    for (int i = 0; i < 12; ++i) {
        const std::string id = "cli-" + std::to_string(i);
        records.push_back(record(id, "batch", 1767607200000 + i,
                                 "Question number " + std::to_string(i),
                                 i < 10 ? "fake-gpt" : "fake-gpt+slow-300"));
        if (i < 10)
            m_ids.push_back(id);
    }
    put(records);
}

void TestCliReplay::fidelity()
{
    const Run run = cli({u"cli-0"_s, u"--json"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const json result = run.parsed();
    QVERIFY2(result.is_object(), qPrintable(run.out));
    QCOMPARE(result["similarity"].get<double>(), 1.0);
    QVERIFY(result["exact_match"].get<bool>());
    QCOMPARE(result["comparison"]["response"]["exact_match"].get<bool>(), true);
    const std::string replayId = result["replay_id"].get<std::string>();
    QVERIFY(!replayId.empty());
    // The diff of the two, through `llmaudit diff`, is empty too.
    const Run diff = finish(start({u"diff"_s, u"--store"_s, m_store, u"cli-0"_s,
                                   QString::fromStdString(replayId), u"--json"_s}));
    QCOMPARE(diff.exitCode, 0);
    const json d = diff.parsed();
    QCOMPARE(d["diff"]["changes"].get<int>(), 0);
    for (const json &segment : d["diff"]["segments"])
        QCOMPARE(segment["op"].get<std::string>(), std::string("equal"));
    auto store = openStore();
    auto replays = store->replaysOf("cli-0", 10);
    QVERIFY(replays && !replays->empty());
    // The text form names both and says they are identical.
    const Run text = cli({u"cli-0"_s});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains(u"The responses are identical."), qPrintable(text.out));
    QVERIFY(text.out.contains(u"similarity 1.000"));
}

void TestCliReplay::overrides()
{
    const QString promptFile = m_dir.filePath(u"prompt.txt"_s);
    QFile file(promptFile);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("A prompt from a file");
    file.close();
    const Run run =
        cli({u"cli-1"_s, u"--prompt"_s, u"@"_s + promptFile, u"--param"_s, u"temperature=0.1"_s,
             u"--param"_s, u"seed=null"_s, u"--system"_s, u"Be exact."_s, u"--json"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const json result = run.parsed();
    QCOMPARE(result["response"].get<std::string>(),
             std::string("Echo: A prompt from a file [model=fake-gpt temperature=0.1 seed=none]"));
    QVERIFY(result["similarity"].get<double>() < 1.0);
    auto store = openStore();
    auto stored = store->interaction(result["replay_id"].get<std::string>());
    QVERIFY(stored && *stored);
    const json doc = json::parse((*stored)->document);
    QVERIFY2(doc["replay"]["overrides"] ==
                 json({{"prompt", "A prompt from a file"},
                       {"system_prompt", "Be exact."},
                       {"parameters", {{"temperature", 0.1}, {"seed", nullptr}}}}),
             doc["replay"]["overrides"].dump().c_str());
    QCOMPARE(doc["request"]["messages"][0]["content"].get<std::string>(), std::string("Be exact."));
    QVERIFY(!doc["request"]["parameters"].contains("seed"));
}

void TestCliReplay::providerFailure_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown model")
        << QStringList{u"--model"_s, u"no-such-model-1"_s} << u"404 Not Found"_s;
    QTest::newRow("server error") << QStringList{u"--model"_s, u"fake-gpt+fail-503"_s}
                                  << u"503 Service Unavailable"_s;
    QTest::newRow("malformed") << QStringList{u"--model"_s, u"fake-gpt+malformed"_s}
                               << u"fake (http://127.0.0.1:"_s;
    QTest::newRow("unknown provider")
        << QStringList{u"--provider"_s, u"nope"_s} << u"no provider named \"nope\""_s;
}

void TestCliReplay::providerFailure()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    for (bool asJson : {false, true}) {
        QStringList all{u"cli-2"_s};
        all += args;
        if (asJson)
            all << u"--json"_s;
        const Run run = cli(all);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.startsWith(u"llmaudit replay: "), qPrintable(run.err));
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        if (asJson) {
            const json result = run.parsed();
            QVERIFY2(result.is_object() && result.contains("error"), qPrintable(run.out));
            QCOMPARE(result["original"].get<std::string>(), std::string("cli-2"));
        }
    }
}

void TestCliReplay::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("nothing") << QStringList{};
    QTest::newRow("id and batch") << QStringList{u"cli-0"_s, u"--ids-from"_s, u"-"_s};
    QTest::newRow("prompt in a batch")
        << QStringList{u"--ids-from"_s, u"-"_s, u"--prompt"_s, u"x"_s};
    QTest::newRow("threshold out of range") << QStringList{u"cli-0"_s, u"--threshold"_s, u"2"_s};
    QTest::newRow("bad param") << QStringList{u"cli-0"_s, u"--param"_s, u"temperature"_s};
    QTest::newRow("bad mode") << QStringList{u"--session"_s, u"s"_s, u"--session-mode"_s,
                                             u"sideways"_s};
    QTest::newRow("run id and resume")
        << QStringList{u"--ids-from"_s, u"-"_s, u"--run-id"_s, u"a"_s, u"--resume"_s, u"b"_s};
    QTest::newRow("filter and ids")
        << QStringList{u"--filter"_s, u"flagged"_s, u"--ids-from"_s, u"-"_s};
    QTest::newRow("filter and id") << QStringList{u"cli-0"_s, u"--filter"_s, u"flagged"_s};
    QTest::newRow("bad filter") << QStringList{u"--filter"_s, u"latency >"_s};
    QTest::newRow("concurrency without batch")
        << QStringList{u"cli-0"_s, u"--concurrency"_s, u"3"_s};
}

void TestCliReplay::usageErrors()
{
    QFETCH(QStringList, args);
    const Run run = cli(args, QByteArray(""));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(u"llmaudit replay"), qPrintable(run.err));
}

void TestCliReplay::thresholdExitCode_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<int>("changed");
    // Unchanged replays are identical: no threshold fails them.
    QTest::newRow("unchanged, threshold 1") << QStringList{u"--threshold"_s, u"1"_s} << 0 << 0;
    // Another temperature changes one number in each answer: similar, not identical.
    QTest::newRow("changed, loose threshold")
        << QStringList{u"--param"_s, u"temperature=0.1"_s, u"--threshold"_s, u"0.8"_s} << 0 << 0;
    QTest::newRow("changed, strict threshold")
        << QStringList{u"--param"_s, u"temperature=0.1"_s, u"--threshold"_s, u"0.99"_s} << 1 << 10;
    QTest::newRow("changed, no threshold")
        << QStringList{u"--param"_s, u"temperature=0.1"_s} << 0 << 0;
    QTest::newRow("a provider failure fails the run")
        << QStringList{u"--model"_s, u"fake-gpt+fail-500"_s} << 1 << 0;
}

void TestCliReplay::thresholdExitCode()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(int, changed);
    QStringList all{u"--ids-from"_s, idsFile(m_ids, u"ids.txt"_s), u"--concurrency"_s, u"3"_s,
                    u"--json"_s};
    all += args;
    const Run run = cli(all);
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.err + run.out.left(2000)));
    const json result = run.parsed();
    QVERIFY2(result.is_object(), qPrintable(run.out));
    QCOMPARE(result["total"].get<int>(), 10);
    QCOMPARE(result["changed"].get<int>(), changed);
    QCOMPARE(result["items"].size(), size_t(10));
    if (changed > 0) {
        for (const json &item : result["items"]) {
            QVERIFY(item["below_threshold"].get<bool>());
            QVERIFY(item["similarity"].get<double>() < 0.99);
            QVERIFY(item["similarity"].get<double>() > 0.8);
        }
    }
    // The text form says the same.
    all.removeAll(u"--json"_s);
    const Run text = cli(all);
    QCOMPARE(text.exitCode, exitCode);
    QVERIFY2(text.out.contains(u"10 interactions"), qPrintable(text.out));
    QCOMPARE(int(text.out.count(u"\nchanged  "_s) + text.out.startsWith(u"changed  "_s)), changed);
}

void TestCliReplay::idsFromStandardInput()
{
    const Run run =
        cli({u"--ids-from"_s, u"-"_s, u"--json"_s}, QByteArray("cli-3\ncli-4\n\ncli-3\nnope\n"));
    QCOMPARE(run.exitCode, 1); // "nope" is not in the store
    const json result = run.parsed();
    QCOMPARE(result["total"].get<int>(), 3);
    QCOMPARE(result["replayed"].get<int>(), 2);
    QCOMPARE(result["failed"].get<int>(), 1);
}

// An ids file with no ids in it (blank lines and comments only) is a run of nothing, as a
// filter that selects nothing is: exit 0 and a total of 0, so that a CI job can tell.
void TestCliReplay::idsFromEmptyInput()
{
    const Run run = cli({u"--ids-from"_s, u"-"_s, u"--json"_s}, QByteArray("# none today\n\n"));
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.parsed()["total"].get<int>(), 0);
}

// --ids-from a pipe whose writer sends the first id at once and the next one later (as
// `--ids-from <(...)` can): the batch waits for the end of the input and replays both.
void TestCliReplay::idsFromASlowPipe()
{
    QProcess *process =
        start({u"replay"_s, u"--store"_s, m_store, u"--ids-from"_s, u"/dev/stdin"_s, u"--json"_s});
    QVERIFY(process->waitForStarted());
    process->write("cli-3\n");
    QTest::qWait(300);
    process->write("cli-4\n");
    process->closeWriteChannel();
    const Run run = finish(process);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const json result = run.parsed();
    QCOMPARE(result["total"].get<int>(), 2);
    QCOMPARE(result["replayed"].get<int>(), 2);
}

void TestCliReplay::filterSelectsTheBatch()
{
    // The ten fast originals; the slow ones and every replay made so far are left out.
    const Run run = cli({u"--filter"_s, u"model == \"fake-gpt\" and not has replay_of"_s,
                         u"--concurrency"_s, u"4"_s, u"--threshold"_s, u"1"_s, u"--json"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const json result = run.parsed();
    QVERIFY2(result.is_object(), qPrintable(run.out));
    QCOMPARE(result["total"].get<int>(), 10);
    QCOMPARE(result["replayed"].get<int>(), 10);
    std::set<std::string> originals;
    for (const json &item : result["items"])
        originals.insert(item["original"].get<std::string>());
    QCOMPARE(originals, std::set<std::string>(m_ids.begin(), m_ids.end()));

    // A filter that selects nothing is a run of nothing, not an error.
    const Run none = cli({u"--filter"_s, u"user_id == \"nobody\""_s, u"--json"_s});
    QCOMPARE(none.exitCode, 0);
    QCOMPARE(none.parsed()["total"].get<int>(), 0);
}

void TestCliReplay::sigintFinishesInFlightThenResume()
{
    // Slow replays: cli-10 and cli-11 take 300 ms each, and ten of the fast ones come after.
    std::vector<std::string> ids = {"cli-10", "cli-11"};
    for (const auto &id : m_ids)
        ids.push_back(id);
    const QString file = idsFile(ids, u"sigint.txt"_s);
    m_server.reset();
    QProcess *process = start({u"replay"_s, u"--store"_s, m_store, u"--ids-from"_s, file,
                               u"--concurrency"_s, u"2"_s, u"--rate"_s, u"5"_s, u"--json"_s});
    // Interrupt while the first two are in flight.
    QTRY_VERIFY_WITH_TIMEOUT(m_server.receivedRequests().size() >= 1, 20000);
    ::kill(pid_t(process->processId()), SIGINT);
    const Run run = finish(process);
    QCOMPARE(run.exitCode, 130);
    const json result = run.parsed();
    QVERIFY2(result.is_object(), qPrintable(run.out + run.err));
    QVERIFY(result["stopped"].get<bool>());
    QCOMPARE(result["cancelled"].get<int>(), 0);
    QCOMPARE(result["failed"].get<int>(), 0);
    // What was in flight finished and was stored; nothing was started after the interrupt.
    const int sent = int(m_server.receivedRequests().size());
    QCOMPARE(result["replayed"].get<int>(), sent);
    QVERIFY(result["not_started"].get<int>() > 0);
    const std::string runId = result["run_id"].get<std::string>();
    {
        auto store = openStore();
        auto inRun = store->replayedInRun(runId);
        QVERIFY(inRun);
        QCOMPARE(int(inRun->size()), sent);
    }
    // Resumed, the run replays the rest, each once.
    const Run resumed = cli({u"--ids-from"_s, file, u"--resume"_s, QString::fromStdString(runId),
                             u"--concurrency"_s, u"4"_s, u"--json"_s});
    QCOMPARE(resumed.exitCode, 0);
    const json second = resumed.parsed();
    QCOMPARE(second["skipped"].get<int>(), sent);
    QCOMPARE(second["replayed"].get<int>(), int(ids.size()) - sent);
    auto store = openStore();
    auto inRun = store->replayedInRun(runId);
    QCOMPARE(inRun->size(), ids.size());
    std::map<std::string, int> perOriginal;
    QVERIFY(store
                ->forEachInteraction([&](const StoredInteraction &item) {
                    const json doc = json::parse(item.document);
                    if (doc.contains("replay") && doc["replay"].value("run_id", "") == runId)
                        ++perOriginal[doc["replay_of"].get<std::string>()];
                    return true;
                })
                .has_value());
    QCOMPARE(perOriginal.size(), ids.size());
    for (const auto &[id, count] : perOriginal)
        QVERIFY2(count == 1, id.c_str());
    // A finished run resumed again has nothing left to do.
    const Run again =
        cli({u"--ids-from"_s, file, u"--resume"_s, QString::fromStdString(runId), u"--json"_s});
    QCOMPARE(again.exitCode, 0);
    QCOMPARE(again.parsed()["replayed"].get<int>(), 0);
}

void TestCliReplay::session()
{
    std::vector<json> turns;
    std::vector<ChatMessage> history;
    for (int i = 0; i < 2; ++i) {
        const std::string prompt = "Turn " + std::to_string(i);
        turns.push_back(record("sess-" + std::to_string(i), "cli-session", 1767607300000 + i,
                               prompt, "fake-gpt", history));
        history.push_back({"user", prompt});
        history.push_back({"assistant", turns.back()["response"]["content"].get<std::string>()});
    }
    put(turns);
    for (const char *mode : {"history", "counterfactual"}) {
        m_server.reset();
        const Run run =
            cli({u"--session"_s, u"cli-session"_s, u"--session-mode"_s, QString::fromLatin1(mode),
                 u"--param"_s, u"temperature=0.2"_s, u"--json"_s});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const json result = run.parsed();
        QCOMPARE(result["turns"].get<int>(), 2);
        QCOMPARE(result["replayed"].get<int>(), 2);
        QCOMPARE(result["mode"].get<std::string>(), std::string(mode));
        const json body = json::parse(m_server.receivedRequests()
                                          .last()
                                          .toObject()
                                          .value(u"body"_s)
                                          .toString()
                                          .toStdString());
        const std::string carried = body["messages"][2]["content"].get<std::string>();
        const std::string expected = std::string(mode) == "history"
                                         ? turns[0]["response"]["content"].get<std::string>()
                                         : result["results"][0]["response"].get<std::string>();
        QCOMPARE(carried, expected);
    }
}

void TestCliReplay::keyNotInStoreFiles()
{
    QDirIterator files(m_dir.path(), {u"store.sqlite*"_s}, QDir::Files);
    int seen = 0;
    while (files.hasNext()) {
        QFile file(files.next());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(!file.readAll().contains(Key), qPrintable(file.fileName()));
        ++seen;
    }
    QVERIFY(seen > 0);
    auto store = openStore();
    int documents = 0;
    QVERIFY(store
                ->forEachInteraction([&](const StoredInteraction &item) {
                    ++documents;
                    return !QByteArray::fromStdString(item.document).contains(Key);
                })
                .has_value());
    auto stats = store->stats();
    QCOMPARE(documents, int(stats->interactions));
}

QTEST_GUILESS_MAIN(TestCliReplay)
#include "tst_clireplay.moc"
