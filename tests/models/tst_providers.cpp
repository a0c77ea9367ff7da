// The LLM provider clients against the fake LLM server (tests/fixtures/fakellm), over real
// HTTP on 127.0.0.1: each protocol streaming and not, the faults a real endpoint shows, the
// settings file, and the pieces with their own rules (SSE, Retry-After).

#include "chattypes.h"
#include "fakellmserver.h"
#include "llmprovider.h"
#include "providerconfig.h"
#include "sseparser.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <nlohmann/json.hpp>

using namespace llmaudit;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(llmaudit::ProviderKind)
Q_DECLARE_METATYPE(llmaudit::FailureKind)

namespace llmaudit {
// For QCOMPARE's failure output.
char *toString(FailureKind kind)
{
    static const char *const names[] = {
        "Configuration",     "Unreachable",     "Tls",         "Timeout",     "Cancelled",
        "Unauthorized",      "NotFound",        "RateLimited", "ServerError", "Refused",
        "MalformedResponse", "TruncatedStream", "StreamError"};
    return qstrdup(names[int(kind)]);
}
} // namespace llmaudit

namespace {

constexpr auto KeyEnv = "LLMAUDIT_TST_PROVIDERS_KEY";
constexpr auto WrongKeyEnv = "LLMAUDIT_TST_PROVIDERS_WRONG_KEY";
constexpr auto UnsetKeyEnv = "LLMAUDIT_TST_PROVIDERS_UNSET_KEY";
const QByteArray Key = "sk-tst-providers-0123456789abcdef";
const QByteArray WrongKey = "sk-wrong-key-fedcba9876543210";

struct Outcome
{
    ChatResult result;
    QStringList deltas;
    QList<int> retryDelays;
    bool finishedOnce = false;
};

QString failureText(const ChatResult &result)
{
    return result.failure ? result.failure->toString() : QString();
}

QString kindName(ProviderKind kind)
{
    return toString(kind);
}

} // namespace

class TestProviders : public QObject
{
    Q_OBJECT

private:
    fakellm::FakeLlmServer m_server;

    ProviderConfig config(ProviderKind kind) const
    {
        ProviderConfig c;
        c.name = u"fake-"_s + kindName(kind);
        c.kind = kind;
        c.baseUrl = m_server.url();
        if (kind == ProviderKind::OpenAi)
            c.baseUrl.setPath(u"/v1"_s);
        c.defaultModel = u"fake-model"_s;
        c.apiKeyEnv = kind == ProviderKind::Ollama ? QString() : QString::fromLatin1(KeyEnv);
        c.timeoutMs = 20000;
        c.retryBaseMs = 10;
        c.maxRetries = 2;
        return c;
    }

    static ChatRequest auditQuestion(bool stream)
    {
        ChatRequest request;
        request.system = "You are terse.";
        request.messages = {{"user", "What is an audit trail?"}};
        request.temperature = 0.7;
        request.seed = 42;
        request.stream = stream;
        return request;
    }

    // Runs one call to its end: the result, the streamed pieces, the retry delays.
    static Outcome run(LlmProvider &provider, ChatRequest request,
                       const std::function<void(ChatCall *)> &onText = {})
    {
        Outcome outcome;
        ChatCall *call = provider.chat(std::move(request));
        QObject::connect(call, &ChatCall::textReceived, call, [&, call](const QString &text) {
            outcome.deltas.append(text);
            if (onText)
                onText(call);
        });
        QObject::connect(call, &ChatCall::retrying, call, [&](int, int delayMs, const QString &) {
            outcome.retryDelays.append(delayMs);
        });
        QSignalSpy finished(call, &ChatCall::finished);
        if (!finished.wait(30000)) {
            outcome.result.failure =
                ProviderFailure{FailureKind::Timeout, 0, Error{u"the test waited in vain"_s, {}}};
            delete call;
            return outcome;
        }
        outcome.finishedOnce = finished.size() == 1;
        outcome.result = finished.first().first().value<ChatResult>();
        delete call;
        return outcome;
    }

    QJsonObject lastReceived() const
    {
        const QJsonArray all = m_server.receivedRequests();
        return all.isEmpty() ? QJsonObject() : all.last().toObject();
    }

private Q_SLOTS:
    void initTestCase();

    void success_data();
    void success();
    void finishReasons_data();
    void finishReasons();
    void requestBodies_data();
    void requestBodies();
    void extraParameters();
    void anthropicBaseUrlWithVersion();

    void retries_data();
    void retries();
    void giveUp_data();
    void giveUp();
    void retryAfterTooLong();
    void unauthorized_data();
    void unauthorized();
    void missingKeyVariable();
    void notFound_data();
    void notFound();
    void wrongBaseUrl();
    void malformed_data();
    void malformed();
    void truncated_data();
    void truncated();
    void streamError_data();
    void streamError();
    void timeout();
    void cancelMidStream_data();
    void cancelMidStream();
    void deleteRunningCall();
    void unreachable();
    void tlsFailure();
    void apiKeyNeverRecorded();

    void settings();
    void settingsErrors_data();
    void settingsErrors();
    void settingsFile();

    void sseParser_data();
    void sseParser();
    void retryAfter_data();
    void retryAfter();
};

void TestProviders::initTestCase()
{
    qRegisterMetaType<llmaudit::ChatResult>();
    qputenv(KeyEnv, Key);
    qputenv(WrongKeyEnv, WrongKey);
    qunsetenv(UnsetKeyEnv);
    m_server.setApiKey(QString::fromLatin1(Key));
    QVERIFY2(m_server.listen(), qPrintable(m_server.errorString()));
}

// --- Success --------------------------------------------------------------------------------

void TestProviders::success_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("rawFinish");
    QTest::addColumn<QString>("idPrefix");
    QTest::addColumn<QString>("fingerprint");
    QTest::addColumn<QStringList>("warnings");

    // The fixture's documented answer (README.md): 8 prompt words ("You are terse." and the
    // question), 9 answer words.
    const QString answer =
        u"Echo: What is an audit trail? [model=fake-model temperature=0.7 seed=42]"_s;
    const QString noSeed =
        u"Echo: What is an audit trail? [model=fake-model temperature=0.7 seed=none]"_s;
    const QStringList seedWarning{u"seed was not sent: the Anthropic Messages API has none"_s};
    for (bool stream : {false, true}) {
        const char *mode = stream ? "streaming" : "whole";
        QTest::addRow("openai %s", mode) << ProviderKind::OpenAi << stream << answer << u"stop"_s
                                         << u"chatcmpl-"_s << u"fp_fakellm"_s << QStringList();
        QTest::addRow("anthropic %s", mode)
            << ProviderKind::Anthropic << stream << noSeed << u"end_turn"_s << u"msg_"_s
            << QString() << seedWarning;
        QTest::addRow("ollama %s", mode) << ProviderKind::Ollama << stream << answer << u"stop"_s
                                         << QString() << QString() << QStringList();
    }
}

void TestProviders::success()
{
    QFETCH(ProviderKind, kind);
    QFETCH(bool, stream);
    QFETCH(QString, content);
    QFETCH(QString, rawFinish);
    QFETCH(QString, idPrefix);
    QFETCH(QString, fingerprint);
    QFETCH(QStringList, warnings);

    auto provider = LlmProvider::create(config(kind));
    const Outcome outcome = run(*provider, auditQuestion(stream));
    const ChatResult &r = outcome.result;
    QVERIFY2(r.ok(), qPrintable(failureText(r)));
    QVERIFY(outcome.finishedOnce);
    QCOMPARE(QString::fromStdString(r.content), content);
    QCOMPARE(QString::fromStdString(r.finishReason), u"stop"_s);
    QCOMPARE(QString::fromStdString(r.rawFinishReason), rawFinish);
    QCOMPARE(r.usage.promptTokens, 8);
    QCOMPARE(r.usage.completionTokens, 9);
    QCOMPARE(r.usage.totalTokens, 17);
    QCOMPARE(QString::fromStdString(r.model), u"fake-model"_s);
    if (idPrefix.isEmpty())
        QVERIFY(r.responseId.empty());
    else
        QVERIFY2(QString::fromStdString(r.responseId).startsWith(idPrefix), r.responseId.c_str());
    QCOMPARE(QString::fromStdString(r.systemFingerprint), fingerprint);
    QStringList gotWarnings;
    for (const std::string &w : r.warnings)
        gotWarnings.append(QString::fromStdString(w));
    QCOMPARE(gotWarnings, warnings);
    QCOMPARE(r.attempts, 1);
    QCOMPARE(r.httpStatus, 200);
    QVERIFY(r.latencyMs >= 0 && r.elapsedMs >= r.latencyMs);

    if (stream) {
        QCOMPARE(outcome.deltas.size(), 9); // the fixture sends a word an event
        QCOMPARE(outcome.deltas.join(QString()), content);
        QVERIFY(r.timeToFirstTokenMs.has_value());
    } else {
        QVERIFY(outcome.deltas.isEmpty());
        QVERIFY(!r.timeToFirstTokenMs);
    }

    // What was recorded is what the server received, and the raw response is the body.
    const QJsonObject received = lastReceived();
    QCOMPARE(received.value(u"body").toString(), QString::fromStdString(r.requestBody));
    QCOMPARE(QString::fromStdString(r.requestUrl),
             m_server.url().toString() + received.value(u"path").toString());
    QVERIFY(QString::fromStdString(r.rawResponse).contains(u"audit"_s));
}

void TestProviders::finishReasons_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<bool>("byLength");
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("finish");
    QTest::addColumn<QString>("rawFinish");
    QTest::addColumn<int>("completionTokens");

    const struct
    {
        ProviderKind kind;
        const char *length;
        const char *stop;
    } kinds[] = {{ProviderKind::OpenAi, "length", "stop"},
                 {ProviderKind::Anthropic, "max_tokens", "stop_sequence"},
                 {ProviderKind::Ollama, "length", "stop"}};
    for (const auto &k : kinds) {
        for (bool stream : {false, true}) {
            const QString name = kindName(k.kind) + (stream ? u" streaming"_s : u" whole"_s);
            QTest::addRow("%s max tokens", qPrintable(name))
                << k.kind << stream << true << u"Echo: What is"_s << u"length"_s
                << QString::fromLatin1(k.length) << 3;
            QTest::addRow("%s stop sequence", qPrintable(name))
                << k.kind << stream << false << u"Echo: What is an "_s << u"stop"_s
                << QString::fromLatin1(k.stop) << 4;
        }
    }
}

void TestProviders::finishReasons()
{
    QFETCH(ProviderKind, kind);
    QFETCH(bool, stream);
    QFETCH(bool, byLength);
    QFETCH(QString, content);
    QFETCH(QString, finish);
    QFETCH(QString, rawFinish);
    QFETCH(int, completionTokens);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(stream);
    if (byLength)
        request.maxTokens = 3;
    else
        request.stop = {"audit"};
    const Outcome outcome = run(*provider, request);
    const ChatResult &r = outcome.result;
    QVERIFY2(r.ok(), qPrintable(failureText(r)));
    QCOMPARE(QString::fromStdString(r.content), content);
    QCOMPARE(QString::fromStdString(r.finishReason), finish);
    QCOMPARE(QString::fromStdString(r.rawFinishReason), rawFinish);
    QCOMPARE(r.usage.completionTokens, completionTokens);
    if (stream)
        QCOMPARE(outcome.deltas.join(QString()), content);
}

void TestProviders::requestBodies_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<QString>("body");
    QTest::addColumn<QString>("path");

    // The vendors' documented request shapes, written out by hand.
    QTest::newRow("openai")
        << ProviderKind::OpenAi
        << u"{\"model\":\"fake-model\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
           "brief.\"},{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":"
           "\"hello\"},{\"role\":\"user\",\"content\":\"bye\"}],\"temperature\":0.5,\"top_p\":0.9,"
           "\"max_tokens\":50,\"seed\":7,\"stop\":[\"END\"],\"stream\":true,\"stream_options\":{"
           "\"include_usage\":true}}"_s
        << u"/v1/chat/completions"_s;
    QTest::newRow("anthropic")
        << ProviderKind::Anthropic
        << u"{\"model\":\"fake-model\",\"max_tokens\":50,\"system\":\"Be brief.\",\"messages\":[{"
           "\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"},{"
           "\"role\":\"user\",\"content\":\"bye\"}],\"temperature\":0.5,\"top_p\":0.9,\"stop_"
           "sequences\":[\"END\"],\"stream\":true}"_s
        << u"/v1/messages"_s;
    QTest::newRow("ollama")
        << ProviderKind::Ollama
        << u"{\"model\":\"fake-model\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
           "brief.\"},{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":"
           "\"hello\"},{\"role\":\"user\",\"content\":\"bye\"}],\"stream\":true,\"options\":{"
           "\"temperature\":0.5,\"top_p\":0.9,\"seed\":7,\"num_predict\":50,\"stop\":[\"END\"]}}"_s
        << u"/api/chat"_s;
}

void TestProviders::requestBodies()
{
    QFETCH(ProviderKind, kind);
    QFETCH(QString, body);
    QFETCH(QString, path);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request;
    request.system = "Be brief.";
    request.messages = {{"user", "hi"}, {"assistant", "hello"}, {"user", "bye"}};
    request.temperature = 0.5;
    request.topP = 0.9;
    request.maxTokens = 50;
    request.seed = 7;
    request.stop = {"END"};
    request.stream = true;
    const Outcome outcome = run(*provider, request);
    QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
    QCOMPARE(QString::fromStdString(outcome.result.requestBody), body);

    const QJsonObject received = lastReceived();
    QCOMPARE(received.value(u"path").toString(), path);
    QCOMPARE(received.value(u"body").toString(), body);
    const QJsonObject headers = received.value(u"headers").toObject();
    QCOMPARE(headers.value(u"content-type").toString(), u"application/json"_s);
    QVERIFY(headers.value(u"user-agent").toString().startsWith(u"llmaudit/"_s));
    switch (kind) {
    case ProviderKind::OpenAi:
        QCOMPARE(headers.value(u"authorization").toString(),
                 u"Bearer "_s + QString::fromLatin1(Key));
        QCOMPARE(headers.value(u"accept").toString(), u"text/event-stream"_s);
        break;
    case ProviderKind::Anthropic:
        QCOMPARE(headers.value(u"x-api-key").toString(), QString::fromLatin1(Key));
        QCOMPARE(headers.value(u"anthropic-version").toString(), u"2023-06-01"_s);
        QVERIFY(!headers.contains(u"authorization"));
        break;
    case ProviderKind::Ollama:
        QCOMPARE(headers.value(u"accept").toString(), u"application/x-ndjson"_s);
        QVERIFY(!headers.contains(u"authorization"));
        break;
    }
}

void TestProviders::extraParameters()
{
    // OpenAI: extra keys go into the body as they are; one the request sets is not sent twice.
    {
        auto provider = LlmProvider::create(config(ProviderKind::OpenAi));
        ChatRequest request = auditQuestion(false);
        request.extra = {{"user", "auditor-7"}, {"logit_bias", {{"50256", -100}}}, {"seed", 1}};
        const Outcome outcome = run(*provider, request);
        QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
        const auto body = nlohmann::json::parse(outcome.result.requestBody);
        QVERIFY(body.at("user") == "auditor-7");
        QVERIFY(body.at("logit_bias") == nlohmann::json({{"50256", -100}}));
        QVERIFY(body.at("seed") == 42);
        QCOMPARE(outcome.result.warnings.size(), size_t(1));
        QVERIFY(outcome.result.warnings.front().find("\"seed\"") != std::string::npos);
    }
    // Ollama: model options into "options", its own keys at the top.
    {
        auto provider = LlmProvider::create(config(ProviderKind::Ollama));
        ChatRequest request = auditQuestion(false);
        request.extra = {{"top_k", 5}, {"keep_alive", "5m"}, {"options", {{"num_ctx", 4096}}}};
        const Outcome outcome = run(*provider, request);
        QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
        const auto body = nlohmann::json::parse(outcome.result.requestBody);
        QVERIFY(body.at("keep_alive") == "5m");
        QVERIFY(body.at("options").at("top_k") == 5);
        QVERIFY(body.at("options").at("num_ctx") == 4096);
        QVERIFY(body.at("options").at("temperature") == 0.7);
    }
    // Anthropic: a system message moves to the top-level parameter (the API refuses it as a
    // message), and the call succeeds.
    {
        auto provider = LlmProvider::create(config(ProviderKind::Anthropic));
        ChatRequest request;
        request.messages = {{"system", "Be brief."}, {"user", "hello"}};
        const Outcome outcome = run(*provider, request);
        QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
        const auto body = nlohmann::json::parse(outcome.result.requestBody);
        QVERIFY(body.at("system") == "Be brief.");
        QCOMPARE(body.at("messages").size(), size_t(1));
    }
    // Keys the client owns cannot be passed through.
    {
        auto provider = LlmProvider::create(config(ProviderKind::OpenAi));
        ChatRequest request = auditQuestion(false);
        request.extra = {{"messages", nlohmann::json::array()}};
        const qsizetype before = m_server.receivedRequests().size();
        const Outcome outcome = run(*provider, request);
        QVERIFY(!outcome.result.ok());
        QCOMPARE(outcome.result.failure->kind, FailureKind::Configuration);
        QVERIFY(outcome.result.failure->error.message.contains(u"\"messages\""_s));
        QCOMPARE(m_server.receivedRequests().size(), before);
    }
}

void TestProviders::anthropicBaseUrlWithVersion()
{
    // Anthropic's SDKs take the host; a base_url copied with /v1 must reach the same endpoint.
    ProviderConfig c = config(ProviderKind::Anthropic);
    c.baseUrl.setPath(u"/v1/"_s);
    auto provider = LlmProvider::create(c);
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
    QCOMPARE(lastReceived().value(u"path").toString(), u"/v1/messages"_s);
}

// --- Retries and failures -------------------------------------------------------------------

void TestProviders::retries_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<int>("minDelay"); // each retry's announced delay, inclusive bounds
    QTest::addColumn<int>("maxDelay");

    QTest::newRow("openai 429 twice, Retry-After: 1")
        << ProviderKind::OpenAi << false << u"fake-model+fail-429x2+r1"_s << 3 << 1000 << 1000;
    QTest::newRow("openai 429, Retry-After as HTTP date")
        << ProviderKind::OpenAi << false << u"fake-model+fail-429x1+retry-after-date+r2"_s << 2 << 1
        << 2000;
    QTest::newRow("anthropic 529, Retry-After: 0")
        << ProviderKind::Anthropic << false << u"fake-model+fail-529x1+retry-after-0+r3"_s << 2 << 0
        << 0;
    // No Retry-After: backoff from retry_base_ms (10): 7.5..10 ms, then 15..20 ms.
    QTest::newRow("ollama 500 twice, backoff")
        << ProviderKind::Ollama << false << u"fake-model+fail-500x2+r4"_s << 3 << 7 << 20;
    QTest::newRow("openai 503 streaming")
        << ProviderKind::OpenAi << true << u"fake-model+fail-503x1+retry-after-0+r5"_s << 2 << 0
        << 0;
}

void TestProviders::retries()
{
    QFETCH(ProviderKind, kind);
    QFETCH(bool, stream);
    QFETCH(QString, model);
    QFETCH(int, attempts);
    QFETCH(int, minDelay);
    QFETCH(int, maxDelay);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(stream);
    request.model = model.toStdString();
    const Outcome outcome = run(*provider, request);
    QVERIFY2(outcome.result.ok(), qPrintable(failureText(outcome.result)));
    QCOMPARE(outcome.result.attempts, attempts);
    QCOMPARE(outcome.retryDelays.size(), attempts - 1);
    for (int delay : outcome.retryDelays)
        QVERIFY2(delay >= minDelay && delay <= maxDelay, qPrintable(QString::number(delay)));
    QVERIFY(QString::fromStdString(outcome.result.content).startsWith(u"Echo: What is"_s));
    QCOMPARE(outcome.result.httpStatus, 200);
}

void TestProviders::giveUp_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<QString>("model");
    QTest::addColumn<FailureKind>("failure");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");

    QTest::newRow("openai 429")
        << ProviderKind::OpenAi << u"fake-model+fail-429+retry-after-0"_s
        << FailureKind::RateLimited << 429
        << u"429 Too Many Requests — rate limited: Rate limit reached for requests. Please try "
           "again in 1s. (rate_limit_exceeded) (gave up after 2 retries)"_s;
    QTest::newRow("anthropic 500")
        << ProviderKind::Anthropic << u"fake-model+fail-500"_s << FailureKind::ServerError << 500
        << u"500 Internal Server Error — the server failed: Internal server error (api_error) "
           "(gave up after 2 retries)"_s;
    QTest::newRow("ollama 503")
        << ProviderKind::Ollama << u"fake-model+fail-503+retry-after-0"_s
        << FailureKind::ServerError << 503
        << u"503 Service Unavailable — the server failed: Service Unavailable (gave up after 2 "
           "retries)"_s;
}

void TestProviders::giveUp()
{
    QFETCH(ProviderKind, kind);
    QFETCH(QString, model);
    QFETCH(FailureKind, failure);
    QFETCH(int, status);
    QFETCH(QString, message);

    const ProviderConfig c = config(kind);
    auto provider = LlmProvider::create(c);
    ChatRequest request = auditQuestion(false);
    request.model = model.toStdString();
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, failure);
    QCOMPARE(outcome.result.failure->httpStatus, status);
    QCOMPARE(outcome.result.attempts, 3);
    QCOMPARE(outcome.retryDelays.size(), 2);
    QCOMPARE(outcome.result.failure->toString(), c.label() + u": "_s + message);
}

void TestProviders::retryAfterTooLong()
{
    ProviderConfig c = config(ProviderKind::OpenAi);
    c.maxRetryWaitMs = 5000;
    auto provider = LlmProvider::create(c);
    ChatRequest request = auditQuestion(false);
    request.model = "fake-model+fail-429+retry-after-120";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::RateLimited);
    QCOMPARE(outcome.result.attempts, 1);
    QVERIFY2(outcome.result.failure->error.message.endsWith(
                 u"(the server asks to wait 120 s before retrying, more than max_retry_wait_ms "
                 "allows)"_s),
             qPrintable(outcome.result.failure->toString()));
}

void TestProviders::unauthorized_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<QString>("detail");

    QTest::newRow("openai") << ProviderKind::OpenAi
                            << u": Incorrect API key provided: sk-*****10. (invalid_api_key)"_s;
    QTest::newRow("anthropic") << ProviderKind::Anthropic
                               << u": invalid x-api-key (authentication_error)"_s;
}

void TestProviders::unauthorized()
{
    QFETCH(ProviderKind, kind);
    QFETCH(QString, detail);

    ProviderConfig c = config(kind);
    c.apiKeyEnv = QString::fromLatin1(WrongKeyEnv);
    auto provider = LlmProvider::create(c);
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::Unauthorized);
    QCOMPARE(outcome.result.failure->httpStatus, 401);
    QCOMPARE(outcome.result.attempts, 1); // a 401 is not retried
    QCOMPARE(outcome.result.failure->toString(),
             c.label() + u": 401 Unauthorized — the API key in $"_s +
                 QString::fromLatin1(WrongKeyEnv) + u" was rejected"_s + detail);
    QVERIFY(!outcome.result.failure->toString().contains(QString::fromLatin1(WrongKey)));
}

void TestProviders::missingKeyVariable()
{
    ProviderConfig c = config(ProviderKind::OpenAi);
    c.apiKeyEnv = QString::fromLatin1(UnsetKeyEnv);
    auto provider = LlmProvider::create(c);
    const qsizetype before = m_server.receivedRequests().size();
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::Configuration);
    QCOMPARE(outcome.result.failure->toString(),
             c.label() + u": no API key: the environment variable $"_s +
                 QString::fromLatin1(UnsetKeyEnv) + u" named by api_key_env is not set"_s);
    QCOMPARE(m_server.receivedRequests().size(), before); // nothing was sent
}

void TestProviders::notFound_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<QString>("message");

    QTest::newRow("openai") << ProviderKind::OpenAi
                            << u"404 Not Found — model \"no-such-model\" is not available: The "
                               "model `no-such-model` does not exist or you do not have access to "
                               "it. (model_not_found)"_s;
    QTest::newRow("anthropic") << ProviderKind::Anthropic
                               << u"404 Not Found — model \"no-such-model\" is not available: "
                                  "model: no-such-model (not_found_error)"_s;
    QTest::newRow("ollama") << ProviderKind::Ollama
                            << u"404 Not Found — model \"no-such-model\" is not available: model "
                               "\"no-such-model\" not found, try pulling it first"_s;
}

void TestProviders::notFound()
{
    QFETCH(ProviderKind, kind);
    QFETCH(QString, message);

    const ProviderConfig c = config(kind);
    auto provider = LlmProvider::create(c);
    ChatRequest request = auditQuestion(true);
    request.model = "no-such-model";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::NotFound);
    QCOMPARE(outcome.result.attempts, 1);
    QCOMPARE(outcome.result.failure->toString(), c.label() + u": "_s + message);
    QVERIFY(outcome.deltas.isEmpty());
}

void TestProviders::wrongBaseUrl()
{
    ProviderConfig c = config(ProviderKind::OpenAi);
    c.baseUrl = m_server.url(); // without /v1
    auto provider = LlmProvider::create(c);
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::NotFound);
    QCOMPARE(outcome.result.failure->error.message,
             u"404 Not Found — nothing answers at POST "_s + m_server.url().toString() +
                 u"/chat/completions: check base_url: 404 page not found"_s);
}

void TestProviders::malformed_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<QString>("start");

    for (ProviderKind kind :
         {ProviderKind::OpenAi, ProviderKind::Anthropic, ProviderKind::Ollama}) {
        QTest::addRow("%s whole", qPrintable(kindName(kind)))
            << kind << false << u"the response is not valid JSON"_s;
        QTest::addRow("%s streaming", qPrintable(kindName(kind)))
            << kind << true
            << (kind == ProviderKind::Ollama ? u"a stream line is not a JSON object"_s
                                             : u"a stream event is not a JSON object"_s);
    }
}

void TestProviders::malformed()
{
    QFETCH(ProviderKind, kind);
    QFETCH(bool, stream);
    QFETCH(QString, start);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(stream);
    request.model = "fake-model+malformed";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::MalformedResponse);
    QVERIFY2(outcome.result.failure->error.message.startsWith(start),
             qPrintable(outcome.result.failure->toString()));
    QCOMPARE(outcome.result.attempts, 1);
    QVERIFY(!outcome.result.rawResponse.empty());
}

void TestProviders::truncated_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<bool>("stream");

    for (ProviderKind kind :
         {ProviderKind::OpenAi, ProviderKind::Anthropic, ProviderKind::Ollama}) {
        QTest::addRow("%s whole", qPrintable(kindName(kind))) << kind << false;
        QTest::addRow("%s streaming", qPrintable(kindName(kind))) << kind << true;
    }
}

void TestProviders::truncated()
{
    QFETCH(ProviderKind, kind);
    QFETCH(bool, stream);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(stream);
    request.model = "fake-model+drop";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::TruncatedStream);
    QCOMPARE(outcome.result.attempts, 1);
    const QString message = outcome.result.failure->error.message;
    if (stream) {
        // What arrived before the cut is kept, and was shown as it came.
        QVERIFY(!outcome.result.content.empty());
        QCOMPARE(outcome.deltas.join(QString()), QString::fromStdString(outcome.result.content));
        QVERIFY2(message.contains(u"after %1 characters of text"_s.arg(
                     QString::fromStdString(outcome.result.content).size())),
                 qPrintable(message));
    } else {
        QVERIFY2(message.startsWith(u"the connection closed before the whole response arrived"_s),
                 qPrintable(message));
    }
}

void TestProviders::streamError_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::addColumn<QString>("message");

    QTest::newRow("openai") << ProviderKind::OpenAi
                            << u"the server reported an error in the stream: The server had an "
                               "error while processing your request. Sorry about that!, after 5 "
                               "characters of text"_s;
    QTest::newRow("anthropic") << ProviderKind::Anthropic
                               << u"the server reported an error in the stream: overloaded_error: "
                                  "Overloaded, after 5 characters of text"_s;
    QTest::newRow("ollama") << ProviderKind::Ollama
                            << u"the server reported an error in the stream: an error was "
                               "encountered while running the model, after 5 characters of text"_s;
}

void TestProviders::streamError()
{
    QFETCH(ProviderKind, kind);
    QFETCH(QString, message);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(true);
    request.model = "fake-model+midstream-error";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::StreamError);
    QCOMPARE(outcome.result.failure->error.message, message);
    QCOMPARE(QString::fromStdString(outcome.result.content), u"Echo:"_s);
}

void TestProviders::timeout()
{
    ProviderConfig c = config(ProviderKind::OpenAi);
    c.timeoutMs = 300;
    auto provider = LlmProvider::create(c);
    ChatRequest request = auditQuestion(false);
    request.model = "fake-model+slow-3000";
    const Outcome outcome = run(*provider, request);
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::Timeout);
    QCOMPARE(outcome.result.failure->toString(),
             c.label() + u": no complete response within 300 ms (timeout_ms)"_s);
    QCOMPARE(outcome.result.attempts, 1);
}

void TestProviders::cancelMidStream_data()
{
    QTest::addColumn<ProviderKind>("kind");
    QTest::newRow("openai") << ProviderKind::OpenAi;
    QTest::newRow("anthropic") << ProviderKind::Anthropic;
    QTest::newRow("ollama") << ProviderKind::Ollama;
}

void TestProviders::cancelMidStream()
{
    QFETCH(ProviderKind, kind);

    auto provider = LlmProvider::create(config(kind));
    ChatRequest request = auditQuestion(true);
    request.model = "fake-model+trickle-100";
    const Outcome outcome = run(*provider, request, [](ChatCall *call) {
        if (call->result().content.size() >= 8) // after the second word
            call->cancel();
    });
    QVERIFY(!outcome.result.ok());
    QVERIFY(outcome.finishedOnce);
    QCOMPARE(outcome.result.failure->kind, FailureKind::Cancelled);
    QCOMPARE(QString::fromStdString(outcome.result.content), u"Echo: What"_s);
    QCOMPARE(outcome.result.failure->error.message, u"cancelled, after 10 characters of text"_s);
}

void TestProviders::deleteRunningCall()
{
    auto provider = LlmProvider::create(config(ProviderKind::Ollama));
    ChatRequest request = auditQuestion(true);
    request.model = "fake-model+trickle-50";
    ChatCall *call = provider->chat(request);
    bool finished = false;
    connect(call, &ChatCall::finished, this, [&] { finished = true; });
    QSignalSpy text(call, &ChatCall::textReceived);
    QVERIFY(text.wait(10000));
    delete call; // aborts silently
    ChatCall *second = provider->chat(request);
    QSignalSpy secondText(second, &ChatCall::textReceived);
    connect(second, &ChatCall::finished, this, [&] { finished = true; });
    QVERIFY(secondText.wait(10000));
    provider.reset(); // the provider takes its running calls with it, silently
    QCoreApplication::processEvents();
    QVERIFY(!finished);
}

void TestProviders::unreachable()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close();

    ProviderConfig c = config(ProviderKind::OpenAi);
    c.baseUrl = QUrl(u"http://127.0.0.1:%1/v1"_s.arg(port));
    c.maxRetries = 1;
    auto provider = LlmProvider::create(c);
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::Unreachable);
    QCOMPARE(outcome.result.attempts, 2);
    QCOMPARE(outcome.result.failure->toString(),
             u"fake-openai (http://127.0.0.1:%1/v1): cannot connect to 127.0.0.1:%1: connection "
             "refused (is the server running?) (gave up after 1 retry)"_s.arg(port));
}

void TestProviders::tlsFailure()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("Qt Network has no TLS backend here");
    // TLS to a plain-HTTP server: the handshake cannot succeed.
    ProviderConfig c = config(ProviderKind::Ollama);
    c.baseUrl.setScheme(u"https"_s);
    auto provider = LlmProvider::create(c);
    const Outcome outcome = run(*provider, auditQuestion(false));
    QVERIFY(!outcome.result.ok());
    QCOMPARE(outcome.result.failure->kind, FailureKind::Tls);
    QVERIFY2(outcome.result.failure->error.message.startsWith(
                 u"TLS with 127.0.0.1:%1 failed: "_s.arg(m_server.port())),
             qPrintable(outcome.result.failure->toString()));
}

void TestProviders::apiKeyNeverRecorded()
{
    for (ProviderKind kind : {ProviderKind::OpenAi, ProviderKind::Anthropic}) {
        for (const char *model : {"fake-model", "fake-model+fail-500"}) {
            auto provider = LlmProvider::create(config(kind));
            ChatRequest request = auditQuestion(true);
            request.model = model;
            const Outcome outcome = run(*provider, request);
            const ChatResult &r = outcome.result;
            // The key did go out, in a header ...
            const QJsonObject headers = lastReceived().value(u"headers").toObject();
            QVERIFY(headers.value(u"authorization").toString().contains(QString::fromLatin1(Key)) ||
                    headers.value(u"x-api-key").toString() == QString::fromLatin1(Key));
            // ... and nowhere in what is kept.
            QVERIFY(r.requestBody.find(Key.toStdString()) == std::string::npos);
            QVERIFY(r.rawResponse.find(Key.toStdString()) == std::string::npos);
            QVERIFY(r.requestUrl.find(Key.toStdString()) == std::string::npos);
            if (r.failure)
                QVERIFY(!r.failure->toString().contains(QString::fromLatin1(Key)));
        }
    }
}

// --- Settings --------------------------------------------------------------------------------

void TestProviders::settings()
{
    const std::string text =
        "{\"providers\": [\n"
        "  {\"name\": \"openai-local\", \"kind\": \"openai\", \"base_url\": "
        "\"http://127.0.0.1:8080/v1\",\n"
        "   \"model\": \"gpt-4o-mini\", \"api_key_env\": \"OPENAI_API_KEY\", \"timeout_ms\": "
        "30000,\n"
        "   \"connect_timeout_ms\": 2000, \"max_retries\": 4, \"retry_base_ms\": 250,\n"
        "   \"max_retry_wait_ms\": 10000, \"headers\": {\"OpenAI-Organization\": \"org-1\"}},\n"
        "  {\"name\": \"claude\", \"kind\": \"anthropic\", \"base_url\": "
        "\"https://api.anthropic.com\",\n"
        "   \"model\": \"claude-sonnet-4-5\", \"api_key_env\": \"ANTHROPIC_API_KEY\", "
        "\"max_tokens\": 4096},\n"
        "  {\"name\": \"ollama\", \"kind\": \"ollama\", \"base_url\": \"http://localhost:11434\"}\n"
        "]}\n";
    auto configs = parseProviders(text, u"providers.json"_s);
    QVERIFY2(configs, qPrintable(configs ? QString() : configs.error().toString()));
    QCOMPARE(configs->size(), size_t(3));
    const ProviderConfig &openai = configs->at(0);
    QCOMPARE(openai.name, u"openai-local"_s);
    QCOMPARE(toString(openai.kind), u"openai"_s);
    QCOMPARE(openai.baseUrl, QUrl(u"http://127.0.0.1:8080/v1"_s));
    QCOMPARE(openai.defaultModel, u"gpt-4o-mini"_s);
    QCOMPARE(openai.apiKeyEnv, u"OPENAI_API_KEY"_s);
    QCOMPARE(openai.timeoutMs, 30000);
    QCOMPARE(openai.connectTimeoutMs, 2000);
    QCOMPARE(openai.maxRetries, 4);
    QCOMPARE(openai.retryBaseMs, 250);
    QCOMPARE(openai.maxRetryWaitMs, 10000);
    QCOMPARE(openai.headers.size(), size_t(1));
    QCOMPARE(openai.headers.front().first, QByteArray("OpenAI-Organization"));
    QCOMPARE(openai.headers.front().second, QByteArray("org-1"));
    QCOMPARE(openai.label(), u"openai-local (http://127.0.0.1:8080/v1)"_s);
    QCOMPARE(toString(configs->at(1).kind), u"anthropic"_s);
    QCOMPARE(configs->at(1).defaultMaxTokens, 4096);
    const ProviderConfig &ollama = configs->at(2);
    QCOMPARE(toString(ollama.kind), u"ollama"_s);
    QVERIFY(ollama.apiKeyEnv.isEmpty());
    QCOMPARE(ollama.timeoutMs, ProviderConfig().timeoutMs); // defaults
    QCOMPARE(ollama.maxRetries, ProviderConfig().maxRetries);
}

void TestProviders::settingsErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("message");

    const QString entry =
        u"{\"name\": \"a\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\""_s;
    auto file = [](const QString &entries) { return u"{\"providers\": ["_s + entries + u"]}"_s; };

    QTest::newRow("syntax error, line and column")
        << u"{\"providers\": [\n  {\"name\": \"a\",,}\n]}"_s << u"p.json:2:16"_s
        << u"not valid JSON: syntax error while parsing object key - unexpected ','; expected "
           "string literal"_s;
    QTest::newRow("not an object")
        << u"[]"_s << u"p.json"_s << u"expected an object with a \"providers\" array, got array"_s;
    QTest::newRow("no providers") << u"{}"_s << u"p.json"_s << u"missing the \"providers\" array"_s;
    QTest::newRow("unknown top-level key")
        << u"{\"providers\": [], \"default\": \"a\"}"_s << u"p.json /default"_s
        << u"unknown key \"default\" (the file holds one key, \"providers\")"_s;
    QTest::newRow("entry not an object")
        << file(u"42"_s) << u"p.json /providers/0"_s << u"expected an object, got number"_s;
    QTest::newRow("missing name") << file(u"{\"kind\": \"openai\", \"base_url\": \"http://h\"}"_s)
                                  << u"p.json /providers/0"_s << u"missing required key \"name\""_s;
    QTest::newRow("bad kind")
        << file(u"{\"name\": \"a\", \"kind\": \"gemini\", \"base_url\": \"http://h\"}"_s)
        << u"p.json /providers/0/kind"_s
        << u"expected \"openai\", \"anthropic\" or \"ollama\", got \"gemini\""_s;
    QTest::newRow("bad url")
        << file(u"{\"name\": \"a\", \"kind\": \"ollama\", \"base_url\": \"localhost:11434\"}"_s)
        << u"p.json /providers/0/base_url"_s
        << u"expected an http:// or https:// URL with a host, got \"localhost:11434\""_s;
    QTest::newRow("a key in the file")
        << file(entry + u", \"api_key\": \"sk-123\"}"_s) << u"p.json /providers/0/api_key"_s
        << u"API keys are never read from this file: put the key in an environment variable and "
           "name that variable in \"api_key_env\""_s;
    QTest::newRow("a key as api_key_env")
        << file(entry + u", \"api_key_env\": \"sk-abc123-def\"}"_s)
        << u"p.json /providers/0/api_key_env"_s
        << u"expected the name of an environment variable (like OPENAI_API_KEY), not the key "
           "itself"_s;
    QTest::newRow("a key in a header")
        << file(entry + u", \"headers\": {\"Authorization\": \"Bearer sk-1\"}}"_s)
        << u"p.json /providers/0/headers/Authorization"_s
        << u"keys are never written in this file: name the environment variable that holds the "
           "key in \"api_key_env\""_s;
    QTest::newRow("unknown key")
        << file(entry + u", \"timeout\": 5}"_s) << u"p.json /providers/0/timeout"_s
        << u"unknown key \"timeout\" (known: name, kind, base_url, model, api_key_env, "
           "timeout_ms, connect_timeout_ms, max_retries, retry_base_ms, max_retry_wait_ms, "
           "max_tokens, headers)"_s;
    QTest::newRow("timeout not an integer")
        << file(entry + u", \"timeout_ms\": \"30s\"}"_s) << u"p.json /providers/0/timeout_ms"_s
        << u"expected an integer, got string"_s;
    QTest::newRow("number beyond double") // nlohmann throws out_of_range, not parse_error
        << file(entry + u", \"max_retries\": 1e400}"_s) << u"p.json"_s
        << u"not valid JSON: number overflow parsing '1e400'"_s;
    QTest::newRow("retries out of range")
        << file(entry + u", \"max_retries\": 99}"_s) << u"p.json /providers/0/max_retries"_s
        << u"expected 0..20, got 99"_s;
    QTest::newRow("duplicate name")
        << file(entry + u"}, "_s + entry + u"}"_s) << u"p.json /providers/1/name"_s
        << u"a provider named \"a\" is already defined"_s;
}

void TestProviders::settingsErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, where);
    QFETCH(QString, message);

    const auto configs = parseProviders(text.toStdString(), u"p.json"_s);
    QVERIFY(!configs);
    QCOMPARE(configs.error().where, where);
    QCOMPARE(configs.error().message, message);
}

void TestProviders::settingsFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"providers.json"_s);

    const auto missing = loadProviders(path);
    QVERIFY(!missing);
    QCOMPARE(missing.error().where, path);
    QVERIFY(missing.error().message.contains(u"LLMAUDIT_PROVIDERS"_s));

    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"providers\": [{\"name\": \"local\", \"kind\": \"ollama\", \"base_url\": "
               "\"http://127.0.0.1:11434\", \"model\": \"llama3.2\"}]}");
    file.close();
    const auto loaded = loadProviders(path);
    QVERIFY2(loaded, qPrintable(loaded ? QString() : loaded.error().toString()));
    QCOMPARE(loaded->front().defaultModel, u"llama3.2"_s);

    // Where the file is looked for.
    const QByteArray savedProviders = qgetenv("LLMAUDIT_PROVIDERS");
    const QByteArray savedXdg = qgetenv("XDG_CONFIG_HOME");
    qputenv("LLMAUDIT_PROVIDERS", path.toUtf8());
    QCOMPARE(defaultProvidersPath(), path);
    qunsetenv("LLMAUDIT_PROVIDERS");
    qputenv("XDG_CONFIG_HOME", dir.path().toUtf8());
    QCOMPARE(defaultProvidersPath(), dir.path() + u"/llmaudit/providers.json"_s);
    qputenv("LLMAUDIT_PROVIDERS", savedProviders);
    if (savedXdg.isEmpty())
        qunsetenv("XDG_CONFIG_HOME");
    else
        qputenv("XDG_CONFIG_HOME", savedXdg);
}

// --- SSE and Retry-After ---------------------------------------------------------------------

void TestProviders::sseParser_data()
{
    QTest::addColumn<QList<QByteArray>>("chunks");
    QTest::addColumn<QStringList>("events"); // "event|data"
    QTest::addColumn<bool>("pending");

    QTest::newRow("LF") << QList<QByteArray>{"data: a\n\ndata: b\n\n"}
                        << QStringList{u"message|a"_s, u"message|b"_s} << false;
    QTest::newRow("CRLF") << QList<QByteArray>{"event: x\r\ndata: a\r\n\r\n"}
                          << QStringList{u"x|a"_s} << false;
    QTest::newRow("CR alone") << QList<QByteArray>{"data: a\r\rdata: b\r\r"}
                              << QStringList{u"message|a"_s, u"message|b"_s} << false;
    QTest::newRow("CRLF split between reads")
        << QList<QByteArray>{"data: a\r", "\n\r", "\n"} << QStringList{u"message|a"_s} << false;
    QTest::newRow("multi-line data") << QList<QByteArray>{"data: one\ndata: two\ndata:\n\n"}
                                     << QStringList{u"message|one\ntwo\n"_s} << false;
    QTest::newRow("comments and pings")
        << QList<QByteArray>{": keep-alive\n\n:\nevent: ping\ndata: {}\n\n"}
        << QStringList{u"ping|{}"_s} << false;
    QTest::newRow("no space after colon, two spaces keep one")
        << QList<QByteArray>{"data:a\n\ndata:  b\n\n"}
        << QStringList{u"message|a"_s, u"message| b"_s} << false;
    QTest::newRow("field without colon")
        << QList<QByteArray>{"data\n\n"} << QStringList{u"message|"_s} << false;
    QTest::newRow("event without data is not dispatched")
        << QList<QByteArray>{"event: x\n\ndata: y\n\n"} << QStringList{u"message|y"_s} << false;
    QTest::newRow("BOM") << QList<QByteArray>{"\xEF\xBB\xBF"
                                              "data: a\n\n"}
                         << QStringList{u"message|a"_s} << false;
    QTest::newRow("unfinished event at the end")
        << QList<QByteArray>{"data: a\n\ndata: b\n"} << QStringList{u"message|a"_s} << true;
    QTest::newRow("unfinished line at the end")
        << QList<QByteArray>{"data: a\n\ndata: b"} << QStringList{u"message|a"_s} << true;
    QTest::newRow("unknown fields and retry ignored")
        << QList<QByteArray>{"retry: 10\nfoo: bar\nid: 7\ndata: a\n\n"}
        << QStringList{u"message|a"_s} << false;
}

void TestProviders::sseParser()
{
    QFETCH(QList<QByteArray>, chunks);
    QFETCH(QStringList, events);
    QFETCH(bool, pending);

    auto toStrings = [](const std::vector<SseEvent> &parsed) {
        QStringList out;
        for (const SseEvent &e : parsed)
            out.append(QString::fromUtf8(e.event + '|' + e.data));
        return out;
    };
    // As the chunks came, and one byte at a time: the same events.
    SseParser whole;
    std::vector<SseEvent> parsed;
    for (const QByteArray &chunk : chunks) {
        auto more = whole.feed(chunk);
        parsed.insert(parsed.end(), more.begin(), more.end());
    }
    QCOMPARE(toStrings(parsed), events);
    QCOMPARE(whole.hasPendingEvent(), pending);

    SseParser bytewise;
    parsed.clear();
    const QByteArray all = chunks.join();
    for (qsizetype i = 0; i < all.size(); ++i) {
        auto more = bytewise.feed(QByteArrayView(all).sliced(i, 1));
        parsed.insert(parsed.end(), more.begin(), more.end());
    }
    QCOMPARE(toStrings(parsed), events);
}

void TestProviders::retryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("expected"); // -1: not a Retry-After value

    QTest::newRow("seconds") << QByteArray("5") << qint64(5000);
    QTest::newRow("zero") << QByteArray("0") << qint64(0);
    QTest::newRow("spaces") << QByteArray(" 7 ") << qint64(7000);
    QTest::newRow("negative") << QByteArray("-1") << qint64(-1);
    QTest::newRow("fraction") << QByteArray("1.5") << qint64(-1);
    QTest::newRow("words") << QByteArray("soon") << qint64(-1);
    QTest::newRow("empty") << QByteArray("") << qint64(-1);
    // "now" is Sun, 06 Nov 1994 08:49:27 GMT in this test.
    QTest::newRow("IMF-fixdate") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << qint64(10000);
    QTest::newRow("RFC 850") << QByteArray("Sunday, 06-Nov-94 08:49:57 GMT") << qint64(30000);
    QTest::newRow("asctime") << QByteArray("Sun Nov  6 08:50:27 1994") << qint64(60000);
    QTest::newRow("in the past") << QByteArray("Sun, 06 Nov 1994 08:00:00 GMT") << qint64(0);
}

void TestProviders::retryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(qint64, expected);

    const QDateTime now(QDate(1994, 11, 6), QTime(8, 49, 27), QTimeZone::utc());
    const std::optional<qint64> parsed = parseRetryAfter(value, now);
    QCOMPARE(parsed.value_or(-1), expected);
}

QTEST_GUILESS_MAIN(TestProviders)
#include "tst_providers.moc"
