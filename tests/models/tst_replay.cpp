// The replay engine against the fake LLM server (tests/fixtures/fakellm), over real HTTP on
// 127.0.0.1: originals are recorded from the fixture first, as an application's logger would,
// then replayed. Fidelity, overrides, the replay record (schema, store, history), session
// replay in both modes, batch replay with concurrency, cancel and resume, every failure, and
// that no API key reaches the store.

#include "batchreplay.h"
#include "fakellmserver.h"
#include "filterlanguage.h"
#include "llmprovider.h"
#include "logcodec.h"
#include "replayengine.h"
#include "sessionreplay.h"
#include "sqlitestore.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

Q_DECLARE_METATYPE(llmaudit::ProviderKind)
Q_DECLARE_METATYPE(llmaudit::FailureKind)
Q_DECLARE_METATYPE(llmaudit::SessionMode)

namespace {

constexpr auto KeyEnv = "LLMAUDIT_TST_REPLAY_KEY";
constexpr auto WrongKeyEnv = "LLMAUDIT_TST_REPLAY_WRONG_KEY";
constexpr auto UnsetKeyEnv = "LLMAUDIT_TST_REPLAY_UNSET_KEY";
const QByteArray Key = "sk-tst-replay-5f1e2d3c4b5a69788796a5b4";
const QByteArray WrongKey = "sk-wrong-replay-key-00112233445566";

// JSON written with single quotes, for readability here (and since moc cannot read raw string
// literals that span lines).
QByteArray q(const char *text)
{
    QByteArray json(text);
    json.replace('\'', '"');
    return json;
}

// The body a request to the fixture carried, parsed.
json bodyOf(const QJsonValue &request)
{
    const QString body = request.toObject().value(u"body"_s).toString();
    return json::parse(body.toStdString(), nullptr, false);
}

// The messages of a vendor request body as {role, content} pairs, system included (Anthropic
// sends it apart).
std::vector<std::pair<std::string, std::string>> sentMessages(const json &body)
{
    std::vector<std::pair<std::string, std::string>> out;
    if (body.contains("system") && body["system"].is_string())
        out.emplace_back("system", body["system"].get<std::string>());
    for (const json &m : body.value("messages", json::array()))
        out.emplace_back(m.value("role", ""), m.value("content", ""));
    return out;
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT

private:
    fakellm::FakeLlmServer m_server;
    QTemporaryDir m_dir;
    std::vector<ProviderConfig> m_providers;
    int m_records = 0;

    ProviderConfig provider(const QString &name, ProviderKind kind, const QString &model) const
    {
        ProviderConfig c;
        c.name = name;
        c.kind = kind;
        c.baseUrl = m_server.url();
        if (kind == ProviderKind::OpenAi)
            c.baseUrl.setPath(u"/v1"_s);
        c.defaultModel = model;
        c.apiKeyEnv = kind == ProviderKind::Ollama ? QString() : QString::fromLatin1(KeyEnv);
        c.timeoutMs = 20000;
        c.retryBaseMs = 10;
        c.maxRetries = 1;
        return c;
    }

    const ProviderConfig &configNamed(const QString &name) const
    {
        for (const auto &p : m_providers)
            if (p.name == name)
                return p;
        qFatal("no provider %s", qPrintable(name));
    }

    std::unique_ptr<Store> newStore(const QString &name = {})
    {
        const QString path =
            m_dir.filePath(name.isEmpty() ? u"store-%1.sqlite"_s.arg(++m_records) : name);
        auto store = Store::open(path);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        return std::move(*store);
    }

    // Calls the fixture as an application would and logs what happened as a v1 record: with
    // request.messages (`withMessages`), or only the prompt, system prompt and context, the
    // user message rendered with the default context template.
    json record(const QString &providerName, const std::string &id, const std::string &session,
                int64_t timestampMs, const std::string &system, const std::string &prompt,
                const json &context, const std::vector<ChatMessage> &history, bool withMessages,
                const std::string &model = "fake-gpt")
    {
        auto client = LlmProvider::create(configNamed(providerName));
        ChatRequest request;
        request.model = model;
        if (!system.empty())
            request.messages.push_back({"system", system});
        for (const auto &m : history)
            request.messages.push_back(m);
        request.messages.push_back({"user", ContextTemplate().render(context, prompt)});
        request.temperature = 0.7;
        request.seed = 42;
        ChatCall *call = client->chat(request);
        QSignalSpy finished(call, &ChatCall::finished);
        if (!finished.wait(20000))
            qFatal("the fixture did not answer");
        const ChatResult result = finished.first().first().value<ChatResult>();
        if (!result.ok())
            qFatal("recording failed: %s", qPrintable(result.failure->toString()));
        json doc = {{"interaction_id", id},
                    {"timestamp", LogSchema::formatDateTime(timestampMs)},
                    {"user_id", "u-7"},
                    {"session_id", session},
                    {"request",
                     {{"prompt", prompt},
                      {"parameters", {{"model", model}, {"temperature", 0.7}, {"seed", 42}}}}},
                    {"response",
                     {{"content", result.content},
                      {"model", result.model},
                      {"finish_reason", result.finishReason}}},
                    {"metrics", {{"latency_ms", result.latencyMs}}},
                    {"security", {{"sensitivity_level", "confidential"}}}};
        if (!system.empty())
            doc["request"]["system_prompt"] = system;
        if (!context.is_null())
            doc["request"]["context"] = context;
        if (result.usage.completionTokens)
            doc["response"]["completion_tokens"] = *result.usage.completionTokens;
        if (withMessages) {
            json messages = json::array();
            for (const auto &m : request.messages)
                messages.push_back({{"role", m.role}, {"content", m.content}});
            doc["request"]["messages"] = messages;
        }
        return doc;
    }

    static void store(Store &store, const json &doc)
    {
        auto decoded = decodeDocument(doc);
        if (!decoded)
            qFatal("test record invalid: %s", decoded.error().front().reason.c_str());
        IncomingRecord incoming{std::move(*decoded), "tst_replay", {}, {}};
        auto written = store.write(std::span(&incoming, 1), {});
        if (!written || written->stored != 1)
            qFatal("cannot store the test record");
    }

    static ReplayOutcome replay(ReplayEngine &engine, const json &original, const ReplaySpec &spec,
                                QStringList *pieces = nullptr)
    {
        ReplayCall *call = engine.replay(original, spec);
        if (pieces)
            QObject::connect(call, &ReplayCall::textReceived, call,
                             [pieces](const QString &text) { pieces->append(text); });
        QSignalSpy finished(call, &ReplayCall::finished);
        if (!finished.wait(30000)) {
            ReplayOutcome none;
            none.error = Error{u"the test waited in vain"_s, {}};
            return none;
        }
        [&] { QCOMPARE(finished.size(), 1); }();
        ReplayOutcome outcome = finished.first().first().value<ReplayOutcome>();
        delete call;
        return outcome;
    }

    static json documentOf(const ReplayOutcome &outcome)
    {
        return json::parse(outcome.document, nullptr, false);
    }

    // Checks records with python3-jsonschema (independent of the project's validator).
    static void checkWithOracle(const std::vector<json> &records)
    {
        QTemporaryDir dir;
        const QString cases = dir.filePath(u"cases.jsonl"_s);
        QFile file(cases);
        QVERIFY(file.open(QIODevice::WriteOnly));
        int n = 0;
        for (const json &r : records)
            file.write(QByteArray::fromStdString(
                json{{"name", "replay-" + std::to_string(++n)}, {"valid", true}, {"record", r}}
                    .dump() +
                "\n"));
        file.close();
        const QString source = QStringLiteral(LLMAUDIT_SOURCE_DIR);
        QProcess oracle;
        oracle.start(u"/usr/bin/python3"_s,
                     {source + u"/tests/storage/jsonschema_oracle.py"_s,
                      source + u"/resources/schema/llm-interaction.v1.schema.json"_s, cases,
                      u"--check"_s});
        QVERIFY2(oracle.waitForFinished(60000), "the oracle did not finish");
        QVERIFY2(oracle.exitCode() == 0, oracle.readAllStandardError().constData());
    }

private Q_SLOTS:
    void initTestCase();

    void contextTemplate();
    void plan_data();
    void plan();
    void planErrors_data();
    void planErrors();
    void chooseProviderByModel();

    void fidelity_data();
    void fidelity();
    void fidelityRebuilt();
    void overridesChangeTheAnswer_data();
    void overridesChangeTheAnswer();
    void recordIsValidAndListed();
    void streamedTextArrives();

    void sessionReplay_data();
    void sessionReplay();
    void sessionReplayRebuiltHistory();

    void batchResumeAfterCancel();
    void batchStopFinishesInFlight();
    void batchRateLimit();
    void batchRefusesAReusedRunId();
    void batchUnknownIds();

    void failures_data();
    void failures();
    void cancel();

    void apiKeyNeverStored();
    void echoedKeyIsScrubbed();
    void migrationFillsReplayRuns();
    void replayIsRedactedByTheStorePolicy();
};

void TestReplay::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv(KeyEnv, Key);
    qputenv(WrongKeyEnv, WrongKey);
    qunsetenv(UnsetKeyEnv);
    m_server.setApiKey(QString::fromLatin1(Key));
    QVERIFY(m_server.listen());
    m_providers = {provider(u"fake-openai"_s, ProviderKind::OpenAi, u"fake-gpt"_s),
                   provider(u"fake-anthropic"_s, ProviderKind::Anthropic, u"fake-claude"_s),
                   provider(u"fake-ollama"_s, ProviderKind::Ollama, u"fake-llama:latest"_s)};
    ProviderConfig wrongKey = provider(u"wrong-key"_s, ProviderKind::OpenAi, u"fake-gpt"_s);
    wrongKey.apiKeyEnv = QString::fromLatin1(WrongKeyEnv);
    ProviderConfig noKey = provider(u"no-key"_s, ProviderKind::OpenAi, u"fake-gpt"_s);
    noKey.apiKeyEnv = QString::fromLatin1(UnsetKeyEnv);
    ProviderConfig quick = provider(u"quick-timeout"_s, ProviderKind::OpenAi, u"fake-gpt"_s);
    quick.timeoutMs = 300;
    // A port nothing listens on: bound, then closed.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    ProviderConfig unreachable = provider(u"closed"_s, ProviderKind::OpenAi, u"fake-gpt"_s);
    unreachable.baseUrl = QUrl(u"http://127.0.0.1:%1/v1"_s.arg(closed.serverPort()));
    unreachable.maxRetries = 0;
    closed.close();
    for (auto &p : {wrongKey, noKey, quick, unreachable})
        m_providers.push_back(p);
}

// --- planning, no network ----------------------------------------------------------------------

void TestReplay::contextTemplate()
{
    const json context = json::array({{{"content", "EDD applies to high risk."}, {"source", "a"}},
                                      {{"source", "no content: skipped"}},
                                      {{"content", "Needs {prompt} approval."}, {"source", "b"}}});
    // The default template, written out here as docs/replay.md states it.
    QCOMPARE(QString::fromStdString(ContextTemplate().render(context, "Which {context}?")),
             u"Context:\n[1] EDD applies to high risk.\n[2] Needs {prompt} approval.\n\n"
             "Question: Which {context}?"_s);
    QCOMPARE(QString::fromStdString(ContextTemplate().render(json::array(), "Just this")),
             u"Just this"_s);
    auto custom = ContextTemplate::fromJson(
        json{{"message", "<docs>{context}</docs>\n{prompt}"},
             {"document", "<doc n=\"{n}\" src=\"{source}\">{content}</doc>"},
             {"separator", ""}},
        u"t.json"_s);
    QVERIFY(custom);
    QCOMPARE(QString::fromStdString(custom->render(context, "Q")),
             u"<docs><doc n=\"1\" src=\"a\">EDD applies to high risk.</doc><doc n=\"2\" "
             "src=\"b\">Needs {prompt} approval.</doc></docs>\nQ"_s);
    auto bad = ContextTemplate::fromJson(json{{"mesage", "x"}}, u"t.json"_s);
    QVERIFY(!bad);
    QVERIFY2(bad.error().toString().contains(u"mesage"), qPrintable(bad.error().toString()));
}

void TestReplay::plan_data()
{
    QTest::addColumn<QByteArray>("record"); // the request object
    QTest::addColumn<QByteArray>("overrides");
    QTest::addColumn<QByteArray>("messages"); // expected, [[role, content], ...]
    QTest::addColumn<QString>("from");

    const QByteArray recorded = q(
        "{'prompt': 'What is EDD?', 'system_prompt': 'Be terse.', 'messages': [{'role': 'system', "
        "'content': 'Be terse.'}, {'role': 'user', 'content': 'Docs: x\\n\\nQ: What is EDD?'}]}");
    QTest::newRow("recorded, as is")
        << recorded << QByteArray("{}")
        << (q("[['system', 'Be terse.'], ['user', 'Docs: x\\n\\nQ: What is EDD?']]"))
        << u"recorded"_s;
    QTest::newRow("recorded, prompt replaced in place")
        << recorded << (q("{'prompt': 'Who approves EDD?'}"))
        << (q("[['system', 'Be terse.'], ['user', 'Docs: x\\n\\nQ: Who approves EDD?']]"))
        << u"recorded"_s;
    QTest::newRow("recorded, system replaced")
        << recorded << (q("{'system_prompt': 'Be verbose.'}"))
        << (q("[['system', 'Be verbose.'], ['user', 'Docs: x\\n\\nQ: What is EDD?']]"))
        << u"recorded"_s;
    QTest::newRow("recorded, system removed")
        << recorded << (q("{'system_prompt': ''}"))
        << (q("[['user', 'Docs: x\\n\\nQ: What is EDD?']]")) << u"recorded"_s;
    QTest::newRow("recorded, system added")
        << (q("{'messages': [{'role': 'user', 'content': 'Hi'}]}"))
        << (q("{'system_prompt': 'New.'}")) << (q("[['system', 'New.'], ['user', 'Hi']]"))
        << u"recorded"_s;
    QTest::newRow("recorded, context replaced: last user message rebuilt")
        << recorded << (q("{'context': ['Doc one.', 'Doc two.']}"))
        << (q("[['system', 'Be terse.'], ['user', 'Context:\\n[1] Doc one.\\n[2] Doc "
              "two.\\n\\nQuestion: What is EDD?']]"))
        << u"recorded"_s;
    QTest::newRow("recorded, history kept, text parts joined")
        << (q("{'messages': [{'role': 'user', 'content': 'A'}, {'role': 'assistant', 'content': "
              "null}, {'role': 'user', 'content': [{'type': 'text', 'text': 'B'}, {'type': 'text', "
              "'text': 'C'}]}]}"))
        << QByteArray("{}") << (q("[['user', 'A'], ['assistant', ''], ['user', 'BC']]"))
        << u"recorded"_s;
    QTest::newRow("rebuilt from prompt and system")
        << (q("{'prompt': 'Hi', 'system_prompt': 'S'}")) << QByteArray("{}")
        << (q("[['system', 'S'], ['user', 'Hi']]")) << u"rebuilt"_s;
    QTest::newRow("rebuilt with context")
        << (q("{'prompt': 'Hi', 'context': [{'content': 'D1'}, {'content': 'D2'}]}"))
        << QByteArray("{}") << (q("[['user', 'Context:\\n[1] D1\\n[2] D2\\n\\nQuestion: Hi']]"))
        << u"rebuilt"_s;
    QTest::newRow("rebuilt with overrides")
        << (q("{'prompt': 'Hi', 'system_prompt': 'S', 'context': [{'content': 'D1'}]}"))
        << (q("{'prompt': 'Bye', 'system_prompt': '', 'context': ['E1']}"))
        << (q("[['user', 'Context:\\n[1] E1\\n\\nQuestion: Bye']]")) << u"rebuilt"_s;
}

void TestReplay::plan()
{
    QFETCH(QByteArray, record);
    QFETCH(QByteArray, overrides);
    QFETCH(QByteArray, messages);
    QFETCH(QString, from);

    const json original = {{"interaction_id", "i-1"},
                           {"timestamp", "2026-01-05T10:00:00Z"},
                           {"user_id", "u"},
                           {"session_id", "s"},
                           {"request", json::parse(record.toStdString())},
                           {"response", {{"content", "x"}}}};
    const json o = json::parse(overrides.toStdString());
    ReplaySpec spec;
    if (o.contains("prompt"))
        spec.overrides.prompt = o["prompt"].get<std::string>();
    if (o.contains("system_prompt"))
        spec.overrides.systemPrompt = o["system_prompt"].get<std::string>();
    if (o.contains("context"))
        spec.overrides.context = o["context"].get<std::vector<std::string>>();
    auto plan = planReplay(original, spec, m_providers);
    QVERIFY2(plan, plan ? "" : qPrintable(plan.error().toString()));
    json got = json::array();
    for (const auto &m : plan->request.messages)
        got.push_back({m.role, m.content});
    QVERIFY2(got == json::parse(messages.toStdString()), got.dump().c_str());
    QCOMPARE(QString::fromStdString(plan->messagesFrom), from);
    QVERIFY(plan->request.system.empty());
}

void TestReplay::planErrors_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("message");

    QTest::newRow("nothing to replay")
        << QByteArray("{}") << QString() << u"neither request.messages nor a prompt"_s;
    QTest::newRow("unknown provider") << (q("{'prompt': 'x'}")) << u"nope"_s
                                      << u"no provider named \"nope\" (configured: fake-openai"_s;
    QTest::newRow("temperature not a number")
        << (q("{'prompt': 'x', 'parameters': {'temperature': 'hot'}}")) << QString()
        << u"parameter \"temperature\": expected a number, got string"_s;
    QTest::newRow("stop not strings")
        << (q("{'prompt': 'x', 'parameters': {'stop': [1]}}")) << QString()
        << u"parameter \"stop\": expected a string or a list of strings"_s;
    QTest::newRow("image content")
        << (q("{'messages': [{'role': 'user', 'content': [{'type': 'image_url', 'image_url': "
              "{'url': 'data:'}}]}]}"))
        << QString() << u"content part of type \"image_url\": only text can be replayed"_s;
    QTest::newRow("message without role")
        << (q("{'messages': [{'content': 'x'}]}")) << QString() << u"message 0 has no role"_s;
}

void TestReplay::planErrors()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, provider);
    QFETCH(QString, message);
    const json original = {{"interaction_id", "i-1"},
                           {"request", json::parse(request.toStdString())},
                           {"response", json::object()}};
    ReplaySpec spec;
    spec.provider = provider;
    auto plan = planReplay(original, spec, m_providers);
    QVERIFY(!plan);
    QVERIFY2(plan.error().toString().contains(message), qPrintable(plan.error().toString()));
}

void TestReplay::chooseProviderByModel()
{
    // The record's model picks the provider whose model it is; otherwise the first one.
    auto p = chooseProvider(m_providers, {}, "fake-claude");
    QVERIFY(p);
    QCOMPARE(p->name, u"fake-anthropic"_s);
    p = chooseProvider(m_providers, {}, "gpt-unknown");
    QVERIFY(p);
    QCOMPARE(p->name, u"fake-openai"_s);
    QVERIFY(!chooseProvider({}, {}, "x"));
}

// --- against the fixture -----------------------------------------------------------------------

void TestReplay::fidelity_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<bool>("stream");
    for (const char *name : {"fake-openai", "fake-anthropic", "fake-ollama"}) {
        QTest::addRow("%s whole", name) << QString::fromLatin1(name) << false;
        QTest::addRow("%s streaming", name) << QString::fromLatin1(name) << true;
    }
}

void TestReplay::fidelity()
{
    QFETCH(QString, provider);
    QFETCH(bool, stream);
    auto s = newStore();
    const json original = record(provider, "orig-1", "sess-1", 1767607200000, "You are terse.",
                                 "What is an audit trail?", json(), {}, true);
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    ReplaySpec spec;
    spec.provider = provider;
    spec.stream = stream;
    const ReplayOutcome outcome = replay(engine, original, spec);
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    QVERIFY(outcome.stored);
    QVERIFY(outcome.comparison);
    QVERIFY(outcome.comparison->response.exactMatch);
    QCOMPARE(outcome.similarity(), 1.0);
    QCOMPARE(outcome.comparison->responseDiff.changes.size(), size_t(0));
    QCOMPARE(outcome.comparison->responseDiff.linesInserted, int64_t(0));
    QCOMPARE(outcome.comparison->responseDiff.linesDeleted, int64_t(0));
    // What was sent is what was recorded.
    const json sent = bodyOf(m_server.receivedRequests().last());
    const json doc = documentOf(outcome);
    QVERIFY(doc["request"]["messages"] == original["request"]["messages"]);
    QCOMPARE(sentMessages(sent).size(), size_t(2));
    QCOMPARE(QString::fromStdString(doc["replay"]["messages_from"].get<std::string>()),
             u"recorded"_s);
}

void TestReplay::fidelityRebuilt()
{
    // A record with only prompt, system prompt and context: the request is rebuilt with the
    // documented template, and the answer is the same.
    auto s = newStore();
    const json context = json::array({{{"content", "Retention is 13 days."}, {"source", "p1"}},
                                      {{"content", "MFA is mandatory."}, {"source", "p2"}}});
    const json original = record(u"fake-openai"_s, "orig-rebuilt", "sess-r", 1767607200000,
                                 "Cite policies.", "How long are logs kept?", context, {}, false);
    QVERIFY(!original["request"].contains("messages"));
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    const ReplayOutcome outcome = replay(engine, original, {});
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    QCOMPARE(outcome.similarity(), 1.0);
    QVERIFY(outcome.comparison->response.exactMatch);
    const auto sent = sentMessages(bodyOf(m_server.receivedRequests().last()));
    QCOMPARE(sent.size(), size_t(2));
    QCOMPARE(QString::fromStdString(sent[1].second),
             u"Context:\n[1] Retention is 13 days.\n[2] MFA is mandatory.\n\nQuestion: How long "
             "are logs kept?"_s);
    const json doc = documentOf(outcome);
    QCOMPARE(QString::fromStdString(doc["replay"]["messages_from"].get<std::string>()),
             u"rebuilt"_s);
    QVERIFY(doc["replay"]["context_template"] == ContextTemplate().toJson());
    QVERIFY(doc["request"]["context"] == context); // sources kept
}

void TestReplay::overridesChangeTheAnswer_data()
{
    QTest::addColumn<QByteArray>("overrides");
    QTest::addColumn<QString>("answer");  // the fixture's answer to the replay
    QTest::addColumn<QByteArray>("sent"); // checked in the body the fixture received
    QTest::newRow("prompt") << (q("{'prompt': 'What is a control?'}"))
                            << u"Echo: What is a control? [model=fake-gpt temperature=0.7 "
                               "seed=42]"_s
                            << (q("{'messages': [{'role': 'system', 'content': 'You are terse.'}, "
                                  "{'role': 'user', 'content': 'What is a control?'}]}"));
    QTest::newRow("temperature")
        << (q("{'parameters': {'temperature': 0.1}}"))
        << u"Echo: What is an audit trail? [model=fake-gpt temperature=0.1 seed=42]"_s
        << (q("{'temperature': 0.1}"));
    QTest::newRow("seed removed")
        << (q("{'parameters': {'seed': null}}"))
        << u"Echo: What is an audit trail? [model=fake-gpt temperature=0.7 seed=none]"_s
        << QByteArray("{}");
    QTest::newRow("model") << (q("{'model': 'fake-gpt-mini'}"))
                           << u"Echo: What is an audit trail? [model=fake-gpt-mini "
                              "temperature=0.7 seed=42]"_s
                           << (q("{'model': 'fake-gpt-mini'}"));
    QTest::newRow("max_tokens") << (q("{'parameters': {'max_tokens': 3}}")) << u"Echo: What is"_s
                                << (q("{'max_tokens': 3}"));
    QTest::newRow("stop") << (q("{'parameters': {'stop': ['audit']}}")) << u"Echo: What is an "_s
                          << (q("{'stop': ['audit']}"));
    QTest::newRow("pass-through")
        << (q("{'parameters': {'presence_penalty': 0.5}}"))
        << u"Echo: What is an audit trail? [model=fake-gpt temperature=0.7 seed=42]"_s
        << (q("{'presence_penalty': 0.5}"));
    QTest::newRow("system")
        << (q("{'system_prompt': 'You are verbose.'}"))
        << u"Echo: What is an audit trail? [model=fake-gpt temperature=0.7 "
           "seed=42]"_s
        << (q("{'messages': [{'role': 'system', 'content': 'You are verbose.'}, {'role': 'user', "
              "'content': 'What is an audit trail?'}]}"));
}

void TestReplay::overridesChangeTheAnswer()
{
    QFETCH(QByteArray, overrides);
    QFETCH(QString, answer);
    QFETCH(QByteArray, sent);
    auto s = newStore();
    const json original = record(u"fake-openai"_s, "orig-o", "sess-o", 1767607200000,
                                 "You are terse.", "What is an audit trail?", json(), {}, true);
    store(*s, original);
    const json o = json::parse(overrides.toStdString());
    ReplaySpec spec;
    if (o.contains("prompt"))
        spec.overrides.prompt = o["prompt"].get<std::string>();
    if (o.contains("system_prompt"))
        spec.overrides.systemPrompt = o["system_prompt"].get<std::string>();
    if (o.contains("model"))
        spec.overrides.model = o["model"].get<std::string>();
    if (o.contains("parameters"))
        spec.overrides.parameters = o["parameters"];
    ReplayEngine engine(s.get(), m_providers);
    const ReplayOutcome outcome = replay(engine, original, spec);
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    QCOMPARE(QString::fromStdString(outcome.chat.content), answer);
    // The fixture's answer depends on the last user message, the model, temperature and seed
    // only: a system prompt or another parameter is sent (below) but leaves it as it was.
    const bool changed = answer.toStdString() != original["response"]["content"];
    QCOMPARE(outcome.similarity() < 1.0, changed);
    QCOMPARE(!outcome.comparison->response.exactMatch, changed);
    // The request carried the override ...
    const json body = bodyOf(m_server.receivedRequests().last());
    const json expectedSent = json::parse(sent.toStdString());
    for (const auto &[key, value] : expectedSent.items())
        QVERIFY2(body.contains(key) && body[key] == value, body.dump().c_str());
    if (o.contains("parameters") && o["parameters"].contains("seed"))
        QVERIFY(!body.contains("seed"));
    // ... and the record keeps it: the overrides as given, the parameters as sent.
    const json doc = documentOf(outcome);
    QVERIFY2(doc["replay"]["overrides"] == o, doc["replay"]["overrides"].dump().c_str());
    const json parameters = o.value("parameters", json::object());
    for (const auto &[key, value] : parameters.items()) {
        if (value.is_null())
            QVERIFY(!doc["request"]["parameters"].contains(key));
        else
            QVERIFY(doc["request"]["parameters"][key] == value);
    }
    if (o.contains("model"))
        QVERIFY(doc["request"]["parameters"]["model"] == o["model"]);
    if (o.contains("prompt"))
        QVERIFY(doc["request"]["prompt"] == o["prompt"]);
    if (o.contains("system_prompt"))
        QVERIFY(doc["request"]["system_prompt"] == o["system_prompt"]);
    QCOMPARE(QString::fromStdString(doc["response"]["content"].get<std::string>()), answer);
}

void TestReplay::recordIsValidAndListed()
{
    auto s = newStore();
    const json original =
        record(u"fake-anthropic"_s, "orig-v", "sess-v", 1767607200000, "You are terse.",
               "List the controls.", json(), {}, true, "fake-claude");
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    std::vector<json> replays;
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) {
        ReplaySpec spec;
        spec.stream = i == 1;
        const ReplayOutcome outcome = replay(engine, original, spec);
        QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
        replays.push_back(documentOf(outcome));
        ids.push_back(outcome.replayId);
    }
    checkWithOracle(replays);
    for (const json &doc : replays) {
        QCOMPARE(doc["replay_of"].get<std::string>(), std::string("orig-v"));
        QCOMPARE(doc["user_id"].get<std::string>(), std::string("u-7"));
        QCOMPARE(doc["session_id"].get<std::string>(), std::string("sess-v"));
        QVERIFY(doc["interaction_id"] != original["interaction_id"]);
        QCOMPARE(doc["replay"]["provider"]["name"].get<std::string>(),
                 std::string("fake-anthropic"));
        QCOMPARE(doc["replay"]["provider"]["kind"].get<std::string>(), std::string("anthropic"));
        QCOMPARE(doc["security"]["sensitivity_level"].get<std::string>(),
                 std::string("confidential"));
        QVERIFY(doc["metrics"]["latency_ms"].is_number_integer());
        QVERIFY(doc["metrics"]["prompt_tokens"].is_number_integer());
        QVERIFY(doc["response"]["completion_tokens"].is_number_integer());
        QCOMPARE(doc["response"]["finish_reason"].get<std::string>(), std::string("stop"));
        QCOMPARE(doc["replay"]["finish_reason_raw"].get<std::string>(), std::string("end_turn"));
        QVERIFY(!doc["response"]["id"].get<std::string>().empty());
        QCOMPARE(doc["response"]["model"].get<std::string>(), std::string("fake-claude"));
        // Anthropic has no seed: the record says it was not sent.
        QVERIFY2(doc["replay"]["warnings"].dump().find("seed") != std::string::npos,
                 doc["replay"].dump().c_str());
    }
    // Stored, listed under the original (newest first), readable by id.
    auto listed = s->replaysOf("orig-v", 10);
    QVERIFY(listed);
    QCOMPARE(listed->size(), size_t(2));
    std::set<std::string> listedIds;
    for (const auto &item : *listed)
        listedIds.insert(json::parse(item.document)["interaction_id"].get<std::string>());
    QVERIFY(listedIds == std::set<std::string>(ids.begin(), ids.end()));
    auto one = s->interaction(ids.front());
    QVERIFY(one && *one);
    QVERIFY(sameContent((*one)->document, replays.front().dump()));
    // Replays are not listed under themselves.
    auto none = s->replaysOf(ids.front(), 10);
    QVERIFY(none && none->empty());
}

void TestReplay::streamedTextArrives()
{
    auto s = newStore();
    const json original =
        record(u"fake-ollama"_s, "orig-s", "sess-s", 1767607200000, "", "Stream this answer please",
               json(), {}, true, "fake-llama:latest");
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    ReplaySpec spec;
    spec.stream = true;
    QStringList pieces;
    const ReplayOutcome outcome = replay(engine, original, spec, &pieces);
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    QVERIFY2(pieces.size() > 3, qPrintable(pieces.join(u'|')));
    QCOMPARE(pieces.join(QString()).toStdString(), outcome.chat.content);
    QCOMPARE(outcome.similarity(), 1.0);
}

// --- sessions ----------------------------------------------------------------------------------

void TestReplay::sessionReplay_data()
{
    QTest::addColumn<SessionMode>("mode");
    QTest::newRow("history") << SessionMode::History;
    QTest::newRow("counterfactual") << SessionMode::Counterfactual;
}

void TestReplay::sessionReplay()
{
    QFETCH(SessionMode, mode);
    // Three turns recorded from the fixture, each with the whole conversation so far.
    auto s = newStore();
    std::vector<json> turns;
    std::vector<ChatMessage> history;
    const char *prompts[] = {"Who approves EDD?", "And for low risk?", "Thanks, summarise."};
    for (int i = 0; i < 3; ++i) {
        json doc =
            record(u"fake-openai"_s, "turn-" + std::to_string(i), "sess-conv",
                   1767607200000 + i * 60000, "You are terse.", prompts[i], json(), history, true);
        history.push_back({"user", prompts[i]});
        history.push_back({"assistant", doc["response"]["content"].get<std::string>()});
        store(*s, doc);
        turns.push_back(doc);
    }
    // A replay in the session already: it is not a turn.
    {
        ReplayEngine engine(s.get(), m_providers);
        QVERIFY(replay(engine, turns[0], {}).ok());
    }
    m_server.reset();

    ReplayEngine engine(s.get(), m_providers);
    SessionReplay session(&engine);
    QSignalSpy finished(&session, &SessionReplay::finished);
    ReplaySpec spec;
    // Another model, so that replayed answers differ from the recorded ones.
    spec.overrides.model = "fake-gpt-mini";
    session.start("sess-conv", mode, spec);
    QVERIFY(finished.wait(30000));
    const auto summary = finished.first().first().value<SessionReplaySummary>();
    QVERIFY(!summary.error);
    QCOMPARE(summary.turns, 3);
    QCOMPARE(summary.replayed, 3);
    QCOMPARE(summary.failed, 0);
    QCOMPARE(summary.unmatchedAssistantMessages, 0);

    const QJsonArray received = m_server.receivedRequests();
    QCOMPARE(received.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const auto sent = sentMessages(bodyOf(received[i]));
        QCOMPARE(sent.size(), size_t(2 + 2 * i));
        QCOMPARE(sent.back().second, std::string(prompts[i]));
        for (int j = 0; j < i; ++j) {
            const std::string &answer = sent[size_t(2 + 2 * j)].second;
            const std::string expected =
                mode == SessionMode::History
                    ? turns[size_t(j)]["response"]["content"].get<std::string>()
                    : summary.outcomes[size_t(j)].chat.content;
            QCOMPARE(answer, expected);
            QCOMPARE(sent[size_t(2 + 2 * j)].first, std::string("assistant"));
        }
        const json doc = documentOf(summary.outcomes[size_t(i)]);
        QCOMPARE(doc["replay_of"].get<std::string>(), "turn-" + std::to_string(i));
        QCOMPARE(doc["replay"]["session_mode"].get<std::string>(), std::string(toString(mode)));
        QCOMPARE(doc["replay"]["run_id"].get<std::string>(), summary.runId);
    }
    // Counterfactually, the later turns saw other answers than the recorded ones.
    if (mode == SessionMode::Counterfactual)
        QVERIFY(summary.outcomes[0].chat.content != turns[0]["response"]["content"]);
    auto inRun = s->replayedInRun(summary.runId);
    QVERIFY(inRun);
    QCOMPARE(inRun->size(), size_t(3));
}

void TestReplay::sessionReplayRebuiltHistory()
{
    // Turns logged without messages: the history is built from the earlier turns.
    auto s = newStore();
    std::vector<json> turns;
    const char *prompts[] = {"First question", "Second question"};
    for (int i = 0; i < 2; ++i) {
        json doc = record(u"fake-openai"_s, "plain-" + std::to_string(i), "sess-plain",
                          1767607200000 + i * 1000, "Sys.", prompts[i], json(), {}, false);
        store(*s, doc);
        turns.push_back(doc);
    }
    for (SessionMode mode : {SessionMode::History, SessionMode::Counterfactual}) {
        m_server.reset();
        ReplayEngine engine(s.get(), m_providers);
        SessionReplay session(&engine);
        QSignalSpy finished(&session, &SessionReplay::finished);
        ReplaySpec spec;
        spec.overrides.parameters = {{"temperature", 0.3}};
        session.start("sess-plain", mode, spec);
        QVERIFY(finished.wait(30000));
        const auto summary = finished.first().first().value<SessionReplaySummary>();
        QCOMPARE(summary.replayed, 2);
        const auto sent = sentMessages(bodyOf(m_server.receivedRequests().at(1)));
        QCOMPARE(sent.size(), size_t(4));
        QCOMPARE(sent[0], (std::pair<std::string, std::string>("system", "Sys.")));
        QCOMPARE(sent[1], (std::pair<std::string, std::string>("user", "First question")));
        QCOMPARE(sent[2].first, std::string("assistant"));
        QCOMPARE(sent[2].second, mode == SessionMode::History
                                     ? turns[0]["response"]["content"].get<std::string>()
                                     : summary.outcomes[0].chat.content);
        QCOMPARE(sent[3], (std::pair<std::string, std::string>("user", "Second question")));
    }
    // Prompt overrides make no sense for a whole session.
    ReplayEngine engine(s.get(), m_providers);
    SessionReplay session(&engine);
    QSignalSpy finished(&session, &SessionReplay::finished);
    ReplaySpec spec;
    spec.overrides.prompt = "x";
    session.start("sess-plain", SessionMode::History, spec);
    QVERIFY(finished.wait(5000));
    QVERIFY(finished.first().first().value<SessionReplaySummary>().error);
}

// --- batches -----------------------------------------------------------------------------------

void TestReplay::batchResumeAfterCancel()
{
    auto s = newStore();
    std::vector<std::string> ids;
    for (int i = 0; i < 24; ++i) {
        // Recorded with a slow model so that replays are still in flight when cancelled.
        json doc =
            record(u"fake-openai"_s, "b-" + std::to_string(i), "sess-b", 1767607200000 + i, "",
                   "Question " + std::to_string(i), json(), {}, true, "fake-gpt+slow-40");
        store(*s, doc);
        ids.push_back("b-" + std::to_string(i));
    }
    ids.push_back("b-3"); // a repeated id counts once
    BatchSummary first;
    {
        ReplayEngine engine(s.get(), m_providers);
        BatchOptions options;
        options.concurrency = 4;
        options.threshold = 0.9;
        BatchReplay batch(&engine, options);
        batch.setIds(ids);
        QSignalSpy finished(&batch, &BatchReplay::finished);
        int maxInFlight = 0;
        connect(&batch, &BatchReplay::itemFinished, &batch, [&](const BatchItem &) {
            // The others under way when one finishes: the limit less one, never more.
            maxInFlight = std::max(maxInFlight, batch.inFlight());
        });
        connect(&batch, &BatchReplay::progress, &batch, [&](qint64 done, qint64) {
            if (done == 6)
                batch.cancel();
        });
        batch.start();
        QVERIFY(finished.wait(30000));
        first = finished.first().first().value<BatchSummary>();
        QVERIFY(!first.error);
        QVERIFY(first.stopped);
        QCOMPARE(first.total, 24);
        QVERIFY2(first.cancelled > 0, "nothing was in flight when cancelled");
        QVERIFY(first.notStarted > 0);
        QCOMPARE(first.replayed + first.cancelled + first.failed + first.notStarted, 24);
        QCOMPARE(first.changed, 0);
        QVERIFY2(maxInFlight == 3, qPrintable(QString::number(maxInFlight)));
    }
    auto done = s->replayedInRun(first.runId);
    QVERIFY(done);
    QCOMPARE(qint64(done->size()), first.replayed);

    ReplayEngine engine(s.get(), m_providers);
    BatchOptions options;
    options.concurrency = 4;
    options.resume = true;
    options.spec.runId = first.runId;
    BatchReplay batch(&engine, options);
    batch.setIds(ids);
    QSignalSpy finished(&batch, &BatchReplay::finished);
    QSignalSpy started(&batch, &BatchReplay::started);
    batch.start();
    QVERIFY(finished.wait(30000));
    const auto second = finished.first().first().value<BatchSummary>();
    QVERIFY(!second.stopped);
    QCOMPARE(second.runId, first.runId);
    QCOMPARE(started.first().at(2).toLongLong(), first.replayed);
    QCOMPARE(second.skipped, first.replayed);
    QCOMPARE(second.replayed, 24 - first.replayed);
    QCOMPARE(second.failed, 0);
    QCOMPARE(second.minSimilarity.value_or(0), 1.0);
    // Exactly one replay of each original, none twice.
    for (const std::string &id : ids) {
        auto replays = s->replaysOf(id, 10);
        QVERIFY(replays);
        QCOMPARE(replays->size(), size_t(1));
    }
    done = s->replayedInRun(first.runId);
    QCOMPARE(done->size(), size_t(24));
}

void TestReplay::batchStopFinishesInFlight()
{
    auto s = newStore();
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        store(*s, record(u"fake-openai"_s, "st-" + std::to_string(i), "sess-st", 1767607200000 + i,
                         "", "Q" + std::to_string(i), json(), {}, true, "fake-gpt+slow-30"));
        ids.push_back("st-" + std::to_string(i));
    }
    ReplayEngine engine(s.get(), m_providers);
    BatchOptions options;
    options.concurrency = 3;
    BatchReplay batch(&engine, options);
    batch.setIds(ids);
    QSignalSpy finished(&batch, &BatchReplay::finished);
    connect(&batch, &BatchReplay::progress, &batch, [&](qint64 done, qint64) {
        if (done == 2)
            batch.stop();
    });
    batch.start();
    QVERIFY(finished.wait(30000));
    const auto summary = finished.first().first().value<BatchSummary>();
    QVERIFY(summary.stopped);
    QCOMPARE(summary.cancelled, 0); // what was in flight finished
    QCOMPARE(summary.failed, 0);
    QVERIFY(summary.replayed >= 2);
    QCOMPARE(summary.replayed + summary.notStarted, 12);
    auto done = s->replayedInRun(summary.runId);
    QCOMPARE(qint64(done->size()), summary.replayed);
}

void TestReplay::batchRateLimit()
{
    auto s = newStore();
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        store(*s, record(u"fake-openai"_s, "r-" + std::to_string(i), "sess-r", 1767607200000 + i,
                         "", "Q" + std::to_string(i), json(), {}, true));
        ids.push_back("r-" + std::to_string(i));
    }
    ReplayEngine engine(s.get(), m_providers);
    BatchOptions options;
    options.concurrency = 6;
    options.ratePerSecond = 20; // one start every 50 ms
    BatchReplay batch(&engine, options);
    batch.setIds(ids);
    QSignalSpy finished(&batch, &BatchReplay::finished);
    QElapsedTimer clock;
    clock.start();
    batch.start();
    QVERIFY(finished.wait(30000));
    // A lower bound only: six starts at 20 a second take at least 250 ms, however fast the
    // machine (a slow one only takes longer).
    QVERIFY2(clock.elapsed() >= 250, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(finished.first().first().value<BatchSummary>().replayed, 6);
}

void TestReplay::batchRefusesAReusedRunId()
{
    auto s = newStore();
    store(*s, record(u"fake-openai"_s, "u-0", "sess-u", 1767607200000, "", "Q", json(), {}, true));
    ReplayEngine engine(s.get(), m_providers);
    BatchOptions options;
    options.spec.runId = "my-run";
    for (int round = 0; round < 2; ++round) {
        BatchReplay batch(&engine, options);
        batch.setIds({"u-0"});
        QSignalSpy finished(&batch, &BatchReplay::finished);
        batch.start();
        QVERIFY(finished.wait(30000));
        const auto summary = finished.first().first().value<BatchSummary>();
        if (round == 0) {
            QVERIFY(!summary.error);
            QCOMPARE(summary.replayed, 1);
        } else {
            QVERIFY(summary.error);
            QVERIFY2(summary.error->message.contains(u"resume"),
                     qPrintable(summary.error->message));
        }
    }
}

void TestReplay::batchUnknownIds()
{
    auto s = newStore();
    store(*s, record(u"fake-openai"_s, "k-0", "sess-k", 1767607200000, "", "Q", json(), {}, true));
    ReplayEngine engine(s.get(), m_providers);
    BatchOptions options;
    options.threshold = 0.99;
    options.spec.overrides.prompt = "A different question entirely";
    BatchReplay batch(&engine, options);
    batch.setIdSource([](Store &) -> Result<std::vector<std::string>> {
        return std::vector<std::string>{"k-0", "missing"};
    });
    QSignalSpy items(&batch, &BatchReplay::itemFinished);
    QSignalSpy finished(&batch, &BatchReplay::finished);
    batch.start();
    QVERIFY(finished.wait(30000));
    const auto summary = finished.first().first().value<BatchSummary>();
    QCOMPARE(summary.total, 2);
    QCOMPARE(summary.replayed, 1);
    QCOMPARE(summary.failed, 1);
    QCOMPARE(summary.changed, 1); // below the threshold
    QVERIFY(*summary.minSimilarity < 0.99);
    QCOMPARE(items.size(), 2);
    for (const auto &args : items) {
        const auto item = args.first().value<BatchItem>();
        if (item.originalId == "missing")
            QVERIFY(item.outcome.errorText().contains(u"no interaction with this id"));
        else
            QVERIFY(item.changed);
    }
}

// --- failures ----------------------------------------------------------------------------------

void TestReplay::failures_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<int>("kind"); // FailureKind, or -1 for an error before sending
    QTest::addColumn<QString>("message");

    auto row = [](const char *name, const char *provider, const char *model, bool stream, int kind,
                  const QString &message) {
        QTest::newRow(name) << QString::fromLatin1(provider) << QString::fromLatin1(model) << stream
                            << kind << message;
    };
    row("unreachable", "closed", "fake-gpt", false, int(FailureKind::Unreachable),
        u"cannot connect to 127.0.0.1:"_s);
    row("wrong key", "wrong-key", "fake-gpt", false, int(FailureKind::Unauthorized),
        u"401 Unauthorized"_s);
    row("no key", "no-key", "fake-gpt", false, int(FailureKind::Configuration),
        u"no API key: the environment variable $LLMAUDIT_TST_REPLAY_UNSET_KEY"_s);
    row("unknown model", "fake-openai", "no-such-model-x", false, int(FailureKind::NotFound),
        u"404 Not Found"_s);
    row("rate limited", "fake-openai", "fake-gpt+fail-429+retry-after-0", false,
        int(FailureKind::RateLimited), u"429 Too Many Requests"_s);
    row("server error", "fake-anthropic", "fake-claude+fail-500", false,
        int(FailureKind::ServerError), u"500 Internal Server Error"_s);
    row("malformed", "fake-ollama", "fake-llama+malformed", false,
        int(FailureKind::MalformedResponse), QString());
    row("truncated", "fake-openai", "fake-gpt+drop", true, int(FailureKind::TruncatedStream),
        QString());
    row("error in stream", "fake-anthropic", "fake-claude+midstream-error", true,
        int(FailureKind::StreamError), u"overloaded"_s);
    row("timeout", "quick-timeout", "fake-gpt+slow-3000", false, int(FailureKind::Timeout),
        u"no complete response within 300 ms"_s);
    row("unknown provider", "nope", "fake-gpt", false, -1, u"no provider named \"nope\""_s);
}

void TestReplay::failures()
{
    QFETCH(QString, provider);
    QFETCH(QString, model);
    QFETCH(bool, stream);
    QFETCH(int, kind);
    QFETCH(QString, message);
    auto s = newStore();
    json original =
        record(u"fake-openai"_s, "f-0", "sess-f", 1767607200000, "", "Q", json(), {}, true);
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    ReplaySpec spec;
    spec.provider = provider;
    spec.stream = stream;
    spec.overrides.model = model.toStdString();
    const ReplayOutcome outcome = replay(engine, original, spec);
    QVERIFY(!outcome.ok());
    QVERIFY(!outcome.errorText().isEmpty());
    QVERIFY2(outcome.errorText().contains(message), qPrintable(outcome.errorText()));
    if (kind >= 0) {
        QVERIFY(outcome.failure);
        QCOMPARE(int(*outcome.failure), kind);
        // The message names the provider.
        QVERIFY2(outcome.errorText().startsWith(provider), qPrintable(outcome.errorText()));
    } else {
        QVERIFY(!outcome.failure);
    }
    QVERIFY(!outcome.stored);
    QVERIFY(outcome.replayId.empty());
    auto replays = s->replaysOf("f-0", 10);
    QVERIFY(replays && replays->empty());
}

void TestReplay::cancel()
{
    auto s = newStore();
    json original = record(u"fake-openai"_s, "c-0", "sess-c", 1767607200000, "",
                           "A question with quite a few words in it", json(), {}, true);
    store(*s, original);
    ReplayEngine engine(s.get(), m_providers);
    ReplaySpec spec;
    spec.stream = true;
    spec.overrides.model = "fake-gpt+trickle-100";
    ReplayCall *call = engine.replay(original, spec);
    connect(call, &ReplayCall::textReceived, call, [call] { call->cancel(); });
    QSignalSpy finished(call, &ReplayCall::finished);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.size(), 1);
    const auto outcome = finished.first().first().value<ReplayOutcome>();
    QCOMPARE(outcome.failure, std::optional(FailureKind::Cancelled));
    QVERIFY(!outcome.stored);
    QVERIFY(s->replaysOf("c-0", 10)->empty());
    delete call;
}

// --- keys --------------------------------------------------------------------------------------

void TestReplay::apiKeyNeverStored()
{
    const QString path = m_dir.filePath(u"keys.sqlite"_s);
    {
        auto opened = Store::open(path);
        QVERIFY(opened);
        Store &s = **opened;
        json original = record(u"fake-openai"_s, "key-0", "sess-key", 1767607200000, "S", "Q",
                               json(), {}, true);
        store(s, original);
        ReplayEngine engine(&s, m_providers);
        for (const char *name : {"fake-openai", "fake-anthropic", "wrong-key"}) {
            for (bool stream : {false, true}) {
                ReplaySpec spec;
                spec.provider = QString::fromLatin1(name);
                spec.stream = stream;
                spec.overrides.model =
                    std::string(name) == "fake-anthropic" ? "fake-claude" : "fake-gpt";
                replay(engine, original, spec);
            }
        }
        auto listed = s.replaysOf("key-0", 10);
        QVERIFY(listed);
        QCOMPARE(listed->size(), size_t(4));
        // The documents as stored (decompressed) ...
        QVERIFY(s.forEachInteraction([&](const StoredInteraction &item) {
                     [&] {
                         QVERIFY(!QByteArray::fromStdString(item.document).contains(Key));
                         QVERIFY(!QByteArray::fromStdString(item.document).contains(WrongKey));
                     }();
                     return true;
                 }).has_value());
    }
    // ... and every file of the store, byte for byte.
    QDirIterator files(m_dir.path(), {u"keys.sqlite*"_s}, QDir::Files);
    int seen = 0;
    while (files.hasNext()) {
        QFile file(files.next());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QVERIFY2(!bytes.contains(Key), qPrintable(file.fileName()));
        QVERIFY2(!bytes.contains(WrongKey), qPrintable(file.fileName()));
        ++seen;
    }
    QVERIFY(seen >= 1);
}

void TestReplay::echoedKeyIsScrubbed()
{
    // A server that echoes the key back in its body: the record keeps "<API key>" instead.
    const json original = {{"interaction_id", "e-0"},
                           {"timestamp", "2026-01-05T10:00:00Z"},
                           {"user_id", "u"},
                           {"session_id", "s"},
                           {"request", {{"prompt", "Q"}}},
                           {"response", {{"content", "A"}}}};
    auto plan = planReplay(original, {}, m_providers);
    QVERIFY(plan);
    ChatResult result;
    result.content = "your key is " + Key.toStdString();
    result.rawResponse = "{\"echo\": \"" + Key.toStdString() + "\"}";
    const json record = replayRecord(*plan, result, "r-0", 1767607200000);
    const std::string text = record.dump();
    QVERIFY(text.find(Key.toStdString()) == std::string::npos);
    QVERIFY(text.find("<API key>") != std::string::npos);
    QVERIFY(decodeDocument(record).has_value());
}

void TestReplay::migrationFillsReplayRuns()
{
    // A store of format 1 that already holds a replay of a run: the upgrade lists it.
    const QString path = m_dir.filePath(u"old.sqlite"_s);
    {
        auto s = Store::open(path);
        QVERIFY(s);
        json replayDoc = {{"interaction_id", "rp-1"},
                          {"timestamp", "2026-01-05T10:00:00Z"},
                          {"user_id", "u"},
                          {"session_id", "s"},
                          {"replay_of", "orig-x"},
                          {"request", json::object()},
                          {"response", json::object()},
                          {"replay", {{"run_id", "old-run"}}}};
        store(**s, replayDoc);
    }
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
    for (const char *sql :
         {"DROP TRIGGER interactions_replay_run", "DROP TRIGGER interactions_replay_run_gone",
          "DROP TABLE replay_runs",
          // and what formats 3 (table previews) and 4 (review tables, chain) and 5 (holds) added
          "DROP TRIGGER interactions_preview_gone", "DROP TABLE interaction_previews",
          "DROP INDEX interactions_chain", "DROP TABLE chain_heads", "DROP TABLE tombstones",
          "DROP TABLE reviews", "DROP TABLE notes", "DROP TABLE activity", "DROP TABLE holds",
          "ALTER TABLE interactions DROP COLUMN chain_link",
          "ALTER TABLE interactions DROP COLUMN chain_seq", "PRAGMA user_version = 1"})
        QCOMPARE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto s = Store::open(path);
    QVERIFY2(s, s ? "" : qPrintable(s.error().toString()));
    auto runs = (*s)->replayedInRun("old-run");
    QVERIFY(runs);
    QCOMPARE(*runs, std::vector<std::string>{"orig-x"});
}

// Replay records go through the store's redaction policy like imports and the collector: the
// prompt a reviewer typed and what the provider answered are stored redacted.
void TestReplay::replayIsRedactedByTheStorePolicy()
{
    auto s = newStore();
    const json original = record(u"fake-openai"_s, "orig-red", "sess-red", 1767607200000, "",
                                 "Where is my parcel?", json(), {}, true);
    store(*s, original);
    QVERIFY(saveStorePolicy(s->location(), RedactionPolicy{})); // mask everything found
    ReplayEngine engine(s.get(), m_providers);
    ReplaySpec spec;
    spec.overrides.prompt = "Mail dana.whitfield@example.com the tracking number";
    const ReplayOutcome outcome = replay(engine, original, spec);
    QVERIFY2(outcome.ok(), qPrintable(outcome.errorText()));
    // The provider saw (and echoed) the address ...
    QVERIFY(outcome.chat.content.find("dana.whitfield@example.com") != std::string::npos);
    // ... the store did not.
    auto stored = s->interaction(outcome.replayId);
    QVERIFY(stored && *stored);
    const json doc = json::parse((*stored)->document);
    QVERIFY2((*stored)->document.find("dana.whitfield@example.com") == std::string::npos,
             (*stored)->document.c_str());
    QCOMPARE(doc["request"]["prompt"].get<std::string>(),
             std::string("Mail [EMAIL_1] the tracking number"));
    QVERIFY2(doc["response"]["content"].get<std::string>().find("[EMAIL_1]") != std::string::npos,
             doc["response"]["content"].dump().c_str());
    // The prompt, the message sent, the override kept in `replay` and the answer, at least.
    QVERIFY2(doc["redaction"]["counts"]["EMAIL"].get<int>() >= 4, doc["redaction"].dump().c_str());
    QCOMPARE(doc["replay_of"].get<std::string>(), std::string("orig-red"));
    auto listed = s->replaysOf("orig-red", 10);
    QVERIFY(listed && listed->size() == 1);
    // The full-text index only has the redacted text.
    auto compiled = compileFilter(u"text ~ \"dana whitfield\""_s);
    QVERIFY(compiled);
    QCOMPARE(*s->count(compiled->expr), 0);

    // A policy file that cannot be read: the replay is not stored, and says why.
    QFile broken(storePolicyPath(s->location()));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("{\"fields\": {\"prompt\": \"blur\"}}");
    broken.close();
    const ReplayOutcome refused = replay(engine, original, spec);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.errorText().contains(u"/fields/prompt"_s), qPrintable(refused.errorText()));
    QCOMPARE(s->replaysOf("orig-red", 10)->size(), size_t(1));
}

QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
