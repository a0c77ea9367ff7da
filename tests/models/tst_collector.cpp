// The collector end to end, in process: a real CollectorServer on 127.0.0.1 (free port) over a
// real SQLite store, driven by QNetworkAccessManager and raw sockets. Every endpoint, every
// error path, OTLP mapping from a realistic span export, and the recording proxy streaming
// from the fake LLM server (tests/fixtures/fakellm).

#include "collectorinput.h"
#include "collectorserver.h"
#include "fakellmserver.h"
#include "redactionpolicy.h"
#include "sqlitestore.h"

#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

// JSON written with single quotes, for readability here (moc cannot read raw string literals
// that span lines).
QByteArray q(const char *text)
{
    QByteArray json(text);
    json.replace('\'', '"');
    return json;
}

json record(const std::string &id, const std::string &prompt = "hello")
{
    return {{"interaction_id", id},
            {"timestamp", "2026-01-05T10:00:00Z"},
            {"user_id", "u1"},
            {"session_id", "s1"},
            {"request", {{"prompt", prompt}}},
            {"response", {{"content", "hi"}}}};
}

struct Reply
{
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;

    json parsed() const { return json::parse(body.toStdString(), nullptr, false); }
};

} // namespace

class TestCollector : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_storePath;
    std::unique_ptr<CollectorServer> m_server;
    QNetworkAccessManager m_nam;
    int m_storeNumber = 0;

    QUrl url(const QString &path) const
    {
        return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_server->port()).arg(path));
    }

    void startServer(CollectorConfig config = {})
    {
        if (m_server)
            m_server->stop();
        m_storePath = m_dir.filePath(u"store%1.sqlite"_s.arg(++m_storeNumber));
        config.storeLocation = m_storePath;
        m_server = std::make_unique<CollectorServer>();
        auto started = m_server->start(config);
        QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
        QVERIFY(m_server->port() != 0);
    }

    Reply send(const QByteArray &verb, const QString &path, const QByteArray &body = {},
               const QByteArray &contentType = "application/json",
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        QNetworkRequest request(url(path));
        if (!contentType.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, QString::fromLatin1(contentType));
        for (const auto &[name, value] : headers)
            request.setRawHeader(name, value);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, body);
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        Reply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.error = reply->error();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            r.headers[name.toLower()] = value;
        reply->deleteLater();
        return r;
    }

    Reply post(const QString &path, const QByteArray &body,
               const QByteArray &contentType = "application/json",
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        return send("POST", path, body, contentType, headers);
    }

    std::unique_ptr<Store> openStore()
    {
        auto store = Store::open(m_storePath, Store::Access::ReadOnly);
        if (!store)
            qWarning("%s", qPrintable(store.error().toString()));
        return store ? std::move(*store) : nullptr;
    }

    // A raw exchange on a socket: what the server answers to bytes no HTTP client would send.
    QByteArray raw(const QByteArray &bytes)
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_server->port());
        if (!socket.waitForConnected(5000))
            return {};
        socket.write(bytes);
        socket.waitForBytesWritten(5000);
        QByteArray answer;
        while (socket.waitForReadyRead(5000))
            answer += socket.readAll();
        return answer;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void cleanup() { m_server.reset(); }

    void healthAndMetrics()
    {
        startServer();
        Reply health = send("GET", u"/healthz"_s, {}, {});
        QCOMPARE(health.status, 200);
        QVERIFY(health.parsed() == json({{"status", "ok"}}));
        QCOMPARE(post(u"/v1/interactions"_s, record("m1").dump().c_str()).status, 200);
        Reply metrics = send("GET", u"/metrics"_s, {}, {});
        QCOMPARE(metrics.status, 200);
        QVERIFY(metrics.headers["content-type"].startsWith("text/plain; version=0.0.4"));
        const QByteArray text = metrics.body;
        QVERIFY(text.contains("llmaudit_collector_records_total{outcome=\"stored\"} 1\n"));
        QVERIFY(text.contains(
            "llmaudit_collector_requests_total{endpoint=\"interactions\",code=\"200\"} 1\n"));
        QVERIFY(text.contains("llmaudit_collector_queue_depth 0\n"));
        QVERIFY(text.contains("llmaudit_collector_commits_total 1\n"));
        QVERIFY(text.contains("# TYPE llmaudit_collector_request_duration_seconds histogram"));
        QVERIFY(text.contains("llmaudit_collector_request_duration_seconds_count "));
        QVERIFY(text.contains("llmaudit_collector_request_duration_seconds_bucket{le=\"+Inf\"}"));
    }

    void singleArrayAndNdjson()
    {
        startServer();
        QSignalSpy stored(m_server.get(), &CollectorServer::interactionsStored);
        // One object.
        Reply one = post(u"/v1/interactions"_s, record("a1").dump().c_str());
        QCOMPARE(one.status, 200);
        QVERIFY(one.parsed()["results"] ==
                json::parse(R"([{"index":0,"interaction_id":"a1","status":"stored"}])"));
        // An array: a new one, the same one again, a conflicting one, a bad one.
        json bad = record("a4");
        bad["timestamp"] = "yesterday";
        json array = {record("a2"), record("a1"), record("a1", "other prompt"), bad, 42};
        Reply many = post(u"/v1/interactions"_s, array.dump().c_str());
        QCOMPARE(many.status, 200);
        const json answer = many.parsed();
        QCOMPARE(answer["stored"].get<int>(), 1);
        QCOMPARE(answer["duplicates"].get<int>(), 1);
        QCOMPARE(answer["conflicts"].get<int>(), 1);
        QCOMPARE(answer["rejected"].get<int>(), 2);
        QCOMPARE(answer["results"][0]["status"].get<std::string>(), "stored");
        QCOMPARE(answer["results"][1]["status"].get<std::string>(), "duplicate");
        QCOMPARE(answer["results"][2]["status"].get<std::string>(), "conflict");
        QCOMPARE(answer["results"][3]["status"].get<std::string>(), "rejected");
        QCOMPARE(answer["results"][3]["errors"][0]["pointer"].get<std::string>(), "/timestamp");
        QCOMPARE(answer["results"][3]["interaction_id"].get<std::string>(), "a4");
        QVERIFY(!answer["results"][3]["errors"][0]["reason"].get<std::string>().empty());
        QCOMPARE(answer["results"][4]["errors"][0]["pointer"].get<std::string>(), "");
        // NDJSON, with a blank line and a line that is not JSON.
        const QByteArray ndjson = QByteArray::fromStdString(record("n1").dump()) + "\n\n" +
                                  QByteArray::fromStdString(record("n2").dump()) +
                                  "\r\n{not json\n";
        Reply lines = post(u"/v1/interactions"_s, ndjson, "application/x-ndjson");
        QCOMPARE(lines.status, 200);
        QCOMPARE(lines.parsed()["stored"].get<int>(), 2);
        QCOMPARE(lines.parsed()["results"][2]["status"].get<std::string>(), "rejected");
        QCOMPARE(lines.parsed()["results"].size(), size_t(3));

        // Acknowledged means committed: a separate connection sees them all now.
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(store->stats()->interactions, 4);
        QCOMPARE(store->stats()->conflicts, 1);
        QCOMPARE(store->stats()->rejected, 3); // quarantined with the reasons, not dropped
        QVERIFY((*store->interaction("n2")).has_value());
        QTRY_VERIFY(!stored.isEmpty());
        const CollectorCounters counters = m_server->counters();
        QCOMPARE(counters.stored, 4);
        QCOMPARE(counters.received, 9);
        QCOMPARE(counters.rejected, 3);
    }

    // A store with a redaction policy gets only redacted records and rejects from the
    // collector, as from an import.
    void storePolicyAppliesToWhatArrives()
    {
        RedactionPolicy policy;
        policy.pseudonymizeUsers = true;
        policy.keyFile = m_dir.filePath(u"collector.key"_s);
        const QString next = m_dir.filePath(u"store%1.sqlite"_s.arg(m_storeNumber + 1));
        QVERIFY(saveStorePolicy(next, policy));
        startServer();
        QCOMPARE(m_storePath, next);
        json r = record("p1", "Write to alice@example.com about the refund");
        r["user_id"] = "alice";
        const QByteArray body =
            QByteArray::fromStdString(r.dump()) + "\n{\"note\": \"bob@example.org\", broken\n";
        Reply reply = post(u"/v1/interactions"_s, body, "application/x-ndjson");
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.parsed()["stored"].get<int>(), 1);
        QCOMPARE(reply.parsed()["rejected"].get<int>(), 1);

        auto store = openStore();
        QVERIFY(store);
        auto stored = store->interaction("p1");
        QVERIFY(stored && stored->has_value());
        const json document = json::parse((*stored)->document);
        QCOMPARE(document["request"]["prompt"].get<std::string>(),
                 std::string("Write to [EMAIL_1] about the refund"));
        QVERIFY(document["user_id"].get<std::string>().starts_with("u-"));
        QCOMPARE(document["redaction"]["counts"]["EMAIL"].get<int>(), 1);
        auto rejects = store->rejects();
        QVERIFY(rejects && rejects->size() == 1);
        QVERIFY2(rejects->front().raw.find("bob@example.org") == std::string::npos,
                 rejects->front().raw.c_str());
        // Nowhere in the files either (the full-text index, the WAL).
        store.reset();
        m_server->stop();
        for (const QString &file : {m_storePath, m_storePath + u"-wal"_s}) {
            QFile f(file);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            const QByteArray bytes = f.readAll();
            QVERIFY(!bytes.contains("alice@example.com"));
            QVERIFY(!bytes.contains("bob@example.org"));
        }
    }

    void allRejectedIs422()
    {
        startServer();
        json bad = record("r1");
        bad.erase("user_id");
        Reply reply = post(u"/v1/interactions"_s, bad.dump().c_str());
        QCOMPARE(reply.status, 422);
        QCOMPARE(reply.parsed()["results"][0]["errors"][0]["pointer"].get<std::string>(), "");
        QVERIFY(reply.parsed()["results"][0]["errors"][0]["reason"].get<std::string>().find(
                    "user_id") != std::string::npos);
    }

    void errorPaths()
    {
        startServer();
        Reply notJson = post(u"/v1/interactions"_s, "{\"interaction_id\": ");
        QCOMPARE(notJson.status, 400);
        QVERIFY(notJson.parsed()["error"]["message"].get<std::string>().find("not valid JSON") !=
                std::string::npos);
        QCOMPARE(post(u"/v1/interactions"_s, "42").status, 400);
        Reply wrongType = post(u"/v1/interactions"_s, record("t1").dump().c_str(), "text/plain");
        QCOMPARE(wrongType.status, 415);
        QVERIFY(wrongType.parsed()["error"]["message"].get<std::string>().find("text/plain") !=
                std::string::npos);
        QCOMPARE(post(u"/v1/traces"_s, "\x0a\x00", "application/x-protobuf").status, 415);
        QCOMPARE(
            post(u"/v1/traces"_s, "\x1f\x8b", "application/json", {{"Content-Encoding", "gzip"}})
                .status,
            415);
        QCOMPARE(send("GET", u"/v1/interactions"_s, {}, {}).status, 405);
        QCOMPARE(send("GET", u"/nothing-here"_s, {}, {}).status, 404);
        // Malformed HTTP gets a 400 and the server goes on serving.
        QVERIFY(raw("THIS IS NOT HTTP\r\n\r\n").contains(" 400 "));
        QVERIFY(raw("POST /v1/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n")
                    .contains(" 400 "));
        QCOMPARE(send("GET", u"/healthz"_s, {}, {}).status, 200);
        QCOMPARE(post(u"/v1/interactions"_s, record("t2").dump().c_str()).status, 200);
    }

    void oversizedBodies()
    {
        CollectorConfig config;
        config.maxBodyBytes = 1024;
        startServer(config);
        // Announced: refused before the body is read.
        const QByteArray big(4096, ' ');
        Reply announced = post(u"/v1/interactions"_s, big);
        QCOMPARE(announced.status, 413);
        // Chunked, no length: read and dropped past the limit, then 413.
        const QByteArray chunked = "POST /v1/interactions HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                   "800\r\n" +
                                   QByteArray(0x800, ' ') + "\r\n0\r\n\r\n";
        QVERIFY(raw(chunked).startsWith("HTTP/1.1 413"));
        QCOMPARE(post(u"/v1/interactions"_s, record("small").dump().c_str()).status, 200);
    }

    void tokenAndAddresses()
    {
        CollectorConfig open;
        open.address = u"0.0.0.0"_s;
        CollectorServer refused;
        auto started = refused.start(open);
        QVERIFY(!started);
        QVERIFY(started.error().message.contains(u"token"_s));

        CollectorConfig config;
        config.token = "s3cret-token";
        startServer(config);
        QCOMPARE(post(u"/v1/interactions"_s, record("k1").dump().c_str()).status, 401);
        QCOMPARE(post(u"/v1/interactions"_s, record("k1").dump().c_str(), "application/json",
                      {{"Authorization", "Bearer wrong-token!"}})
                     .status,
                 401);
        QCOMPARE(send("GET", u"/metrics"_s, {}, {}).status, 401);
        QCOMPARE(send("GET", u"/healthz"_s, {}, {}).status, 200);
        QCOMPARE(post(u"/v1/interactions"_s, record("k1").dump().c_str(), "application/json",
                      {{"Authorization", "Bearer s3cret-token"}})
                     .status,
                 200);
        QCOMPARE(post(u"/v1/interactions"_s, record("k2").dump().c_str(), "application/json",
                      {{"X-Llmaudit-Token", "s3cret-token"}})
                     .status,
                 200);
    }

    void idleClientsAreTimedOut()
    {
        CollectorConfig config;
        config.idleTimeoutSeconds = 1;
        startServer(config);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_server->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write("POST /v1/interactions HTTP/1.1\r\nHost: x\r\n"); // and then nothing
        QSignalSpy closed(&socket, &QTcpSocket::disconnected);
        QVERIFY(closed.wait(15000));
        QCOMPARE(send("GET", u"/healthz"_s, {}, {}).status, 200);
    }

    void fullQueueAnswers503()
    {
        CollectorConfig config;
        config.queueCapacity = 1;
        startServer(config);
        // Another connection holds the write lock, so the writer waits (busy_timeout) and the
        // first request stays queued.
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(m_storePath.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

        QNetworkRequest request(url(u"/v1/interactions"_s));
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        QNetworkReply *first = m_nam.post(request, QByteArray::fromStdString(record("q1").dump()));
        QTRY_COMPARE(m_server->counters().queueDepth, 1);
        Reply second = post(u"/v1/interactions"_s, record("q2").dump().c_str());
        QCOMPARE(second.status, 503);
        QCOMPARE(second.headers["retry-after"], "1");
        QCOMPARE(m_server->counters().queueFull, 1);

        QCOMPARE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        QSignalSpy done(first, &QNetworkReply::finished);
        QVERIFY(first->isFinished() || done.wait(15000));
        QCOMPARE(first->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        first->deleteLater();
        QCOMPARE(post(u"/v1/interactions"_s, record("q2").dump().c_str()).status, 200);
    }

    void stopCommitsWhatWasAccepted()
    {
        startServer();
        QCOMPARE(
            post(u"/v1/interactions"_s, json::array({record("s1"), record("s2")}).dump().c_str())
                .status,
            200);
        m_server->stop();
        QVERIFY(!m_server->isRunning());
        auto store = openStore();
        QCOMPARE(store->stats()->interactions, 2);
        CollectorConfig again;
        again.storeLocation = m_storePath;
        QVERIFY(m_server->start(again));
        QCOMPARE(post(u"/v1/interactions"_s, record("s3").dump().c_str()).status, 200);
    }

    void otlpTraces()
    {
        startServer();
        QFile file(QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/collector/otlp-genai.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray exportBody = file.readAll();
        Reply reply = post(u"/v1/traces"_s, exportBody);
        QCOMPARE(reply.status, 200);
        const json answer = reply.parsed();
        QCOMPARE(answer["stored"].get<int>(), 3);
        QCOMPARE(answer["ignored_spans"].get<int>(), 2);
        QVERIFY(answer["partialSuccess"] == json::object());
        // Sent again (an exporter's retry): nothing twice.
        QCOMPARE(post(u"/v1/traces"_s, exportBody).parsed()["duplicates"].get<int>(), 3);

        auto store = openStore();
        // The current semconv: gen_ai.input.messages / gen_ai.output.messages attributes.
        auto chat = *store->interaction("otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174");
        QVERIFY(chat.has_value());
        const json doc = json::parse(chat->document);
        QCOMPARE(doc["timestamp"].get<std::string>(), "2026-01-05T10:00:00.123Z");
        QCOMPARE(doc["session_id"].get<std::string>(), "conv-42");
        QCOMPARE(doc["user_id"].get<std::string>(), "alice");
        QCOMPARE(doc["trace_id"].get<std::string>(), "5b8efff798038103d269b633813fc60c");
        QCOMPARE(doc["parent_span_id"].get<std::string>(), "eee19b7ec3c1b173");
        QCOMPARE(doc["request"]["system_prompt"].get<std::string>(), "You are terse.");
        QCOMPARE(doc["request"]["prompt"].get<std::string>(), "What is the capital of France?");
        QCOMPARE(doc["request"]["parameters"]["model"].get<std::string>(), "gpt-4o");
        QCOMPARE(doc["request"]["parameters"]["temperature"].get<double>(), 0.2);
        QCOMPARE(doc["request"]["parameters"]["max_tokens"].get<int>(), 200);
        QCOMPARE(doc["request"]["parameters"]["provider"].get<std::string>(), "openai");
        QCOMPARE(doc["response"]["content"].get<std::string>(), "Paris.");
        QCOMPARE(doc["response"]["model"].get<std::string>(), "gpt-4o-2024-08-06");
        QCOMPARE(doc["response"]["id"].get<std::string>(), "chatcmpl-123");
        QCOMPARE(doc["response"]["finish_reason"].get<std::string>(), "stop");
        QCOMPARE(doc["response"]["completion_tokens"].get<int>(), 2);
        QCOMPARE(doc["metrics"]["prompt_tokens"].get<int>(), 14);
        QCOMPARE(doc["metrics"]["total_tokens"].get<int>(), 16);
        QCOMPARE(doc["metrics"]["latency_ms"].get<int>(), 850);
        QCOMPARE(doc["otel"]["attributes"]["service.name"].get<std::string>(), "shop-assistant");
        // Span events (an earlier semconv) and Traceloop's indexed attributes.
        auto events = *store->interaction("otel:5b8efff798038103d269b633813fc60c:aaa19b7ec3c1b175");
        QVERIFY(events.has_value());
        const json e = json::parse(events->document);
        QCOMPARE(e["request"]["prompt"].get<std::string>(), "Summarise the ticket");
        QCOMPARE(e["response"]["content"].get<std::string>(), "The customer wants a refund.");
        QCOMPARE(e["response"]["finish_reason"].get<std::string>(), "end_turn");
        auto indexed =
            *store->interaction("otel:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331");
        QVERIFY(indexed.has_value());
        const json t = json::parse(indexed->document);
        QCOMPARE(t["request"]["messages"].size(), size_t(2));
        QCOMPARE(t["request"]["prompt"].get<std::string>(), "Translate: chat");
        QCOMPARE(t["response"]["content"].get<std::string>(), "cat");
        QCOMPARE(t["session_id"].get<std::string>(), "trace:0af7651916cd43dd8448eb211c80319c");
        QCOMPARE(m_server->counters().ignoredSpans, 4);

        QCOMPARE(post(u"/v1/traces"_s, "[]").status, 400);
    }

    void proxyStreamsAndRecords_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("streamed");
        QTest::newRow("openai json")
            << u"/proxy/openai/v1/chat/completions"_s
            << q("{'model':'fake-gpt','temperature':0.5,'messages':[{'role':'system','content':"
                 "'Be brief.'},{'role':'user','content':'one two three'}]}")
            << false;
        QTest::newRow("openai stream")
            << u"/proxy/openai/v1/chat/completions"_s
            << q("{'model':'fake-gpt','stream':true,'stream_options':{'include_usage':true},"
                 "'messages':[{'role':'user','content':'one two three'}]}")
            << true;
        QTest::newRow("anthropic stream")
            << u"/proxy/anthropic/v1/messages"_s
            << q("{'model':'fake-claude','max_tokens':100,'stream':true,'system':'Be brief.',"
                 "'messages':[{'role':'user','content':'one two three'}]}")
            << true;
    }

    void proxyStreamsAndRecords()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(bool, streamed);
        fakellm::FakeLlmServer upstream;
        const QByteArray key = "sk-proxy-test-0123456789abcdef";
        upstream.setApiKey(QString::fromLatin1(key));
        QVERIFY(upstream.listen());
        CollectorConfig config;
        config.openaiUpstream = upstream.url();
        config.anthropicUpstream = upstream.url();
        startServer(config);

        const bool anthropic = path.contains(u"anthropic"_s);
        QList<QPair<QByteArray, QByteArray>> headers = {{"X-Session-Id", "sess-proxy"},
                                                        {"X-User-Id", "bob"}};
        if (anthropic) {
            headers.append(qMakePair(QByteArray("x-api-key"), key));
            headers.append(qMakePair(QByteArray("anthropic-version"), QByteArray("2023-06-01")));
        } else {
            headers.append(qMakePair(QByteArray("Authorization"), "Bearer " + key));
        }
        // The same call straight to the fixture, for what the caller must get back unchanged.
        QNetworkRequest direct(upstream.url().resolved(QUrl(path.section(u'/', 3).prepend(u'/'))));
        direct.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        for (const auto &[name, value] : headers)
            direct.setRawHeader(name, value);
        QNetworkReply *directReply = m_nam.post(direct, body);
        QSignalSpy directDone(directReply, &QNetworkReply::finished);
        QVERIFY(directDone.wait(10000));
        const QByteArray expected = directReply->readAll();
        directReply->deleteLater();

        Reply proxied = post(path, body, "application/json", headers);
        QCOMPARE(proxied.status, 200);
        QCOMPARE(proxied.body, expected); // passed through unchanged
        QCOMPARE(proxied.headers["content-type"].startsWith("text/event-stream"), streamed);

        auto store = openStore();
        QTRY_COMPARE(store->stats()->interactions, 1);
        std::optional<StoredInteraction> stored;
        QVERIFY(store->forEachInteraction([&](const StoredInteraction &i) {
            stored = i;
            return false;
        }));
        QVERIFY(stored);
        QVERIFY(stored->document.find(key.toStdString()) == std::string::npos);
        const json doc = json::parse(stored->document);
        QCOMPARE(doc["session_id"].get<std::string>(), "sess-proxy");
        QCOMPARE(doc["user_id"].get<std::string>(), "bob");
        QCOMPARE(doc["request"]["prompt"].get<std::string>(), "one two three");
        QVERIFY(doc["response"]["content"].get<std::string>().starts_with("Echo: one two three"));
        QVERIFY(doc["response"]["finish_reason"].is_string());
        QCOMPARE(doc["proxy"]["upstream_status"].get<int>(), 200);
        QCOMPARE(doc["proxy"]["streamed"].get<bool>(), streamed);
        QVERIFY(doc["metrics"]["latency_ms"].is_number_integer());
        QVERIFY(doc["response"]["completion_tokens"].get<int>() > 0);
        if (anthropic || !streamed || body.contains("include_usage"))
            QVERIFY(doc["metrics"]["prompt_tokens"].get<int>() > 0);
        if (!anthropic) {
            QCOMPARE(doc["request"]["parameters"]["model"].get<std::string>(), "fake-gpt");
        } else {
            QCOMPARE(doc["request"]["system_prompt"].get<std::string>(), "Be brief.");
        }
        // The key reached the upstream.
        const QJsonArray seen = upstream.receivedRequests();
        QCOMPARE(seen.size(), 2);
    }

    void proxyStreamsAsItArrives()
    {
        fakellm::FakeLlmServer upstream;
        QVERIFY(upstream.listen());
        CollectorConfig config;
        config.openaiUpstream = upstream.url();
        startServer(config);
        // The fixture waits 200 ms between events: the first ones must reach the caller while
        // the upstream is still sending, not all at once at the end.
        QNetworkRequest request(url(u"/proxy/openai/v1/chat/completions"_s));
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        request.setRawHeader("X-Fakellm-Fault", "trickle-200");
        QNetworkReply *reply = m_nam.post(
            request, q("{'model':'fake-gpt','stream':true,'messages':[{'role':'user','content':"
                       "'one two three four five six'}]}"));
        QSignalSpy firstBytes(reply, &QNetworkReply::readyRead);
        QVERIFY(firstBytes.wait(10000));
        const QByteArray early = reply->readAll();
        QVERIFY(!reply->isFinished());
        QVERIFY(early.startsWith("data: "));
        QVERIFY(!early.contains("[DONE]"));
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(reply->isFinished() || done.wait(20000));
        QVERIFY((early + reply->readAll()).contains("data: [DONE]"));
        reply->deleteLater();
        auto store = openStore();
        QTRY_COMPARE(store->stats()->interactions, 1);
    }

    void proxyCutStreams()
    {
        fakellm::FakeLlmServer upstream;
        QVERIFY(upstream.listen());
        CollectorConfig config;
        config.openaiUpstream = upstream.url();
        startServer(config);
        const QByteArray body = q("{'model':'fake-gpt','stream':true,'messages':[{'role':'user',"
                                  "'content':'one two three four five six'}]}");
        auto lastRecord = [this] {
            auto store = openStore();
            json document;
            if (store)
                (void)store->forEachInteraction({},
                                                [&](const StoredInteraction &i) {
                                                    document = json::parse(i.document);
                                                    return false;
                                                },
                                                {SortColumn::Ingested, Qt::DescendingOrder});
            return document;
        };

        // The upstream drops the connection half-way: the caller's stream ends in an error
        // (not a clean end that would pass for a complete answer), and the record says why.
        Reply dropped = post(u"/proxy/openai/v1/chat/completions"_s, body, "application/json",
                             {{"X-Fakellm-Fault", "drop"}});
        QTRY_VERIFY(lastRecord().contains("proxy"));
        QVERIFY(dropped.error != QNetworkReply::NoError);
        QVERIFY(!dropped.body.contains("[DONE]"));
        QVERIFY(!lastRecord()["proxy"].value("error", "").empty());

        // The caller goes away mid-stream: the upstream call is cut and still recorded.
        QNetworkRequest request(url(u"/proxy/openai/v1/chat/completions"_s));
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        request.setRawHeader("X-Fakellm-Fault", "trickle-300");
        request.setRawHeader("X-Session-Id", "gone");
        QNetworkReply *reply = m_nam.post(request, body);
        QSignalSpy firstBytes(reply, &QNetworkReply::readyRead);
        QVERIFY(firstBytes.wait(10000));
        reply->abort();
        reply->deleteLater();
        QTRY_COMPARE_WITH_TIMEOUT(lastRecord().value("session_id", ""), "gone", 15000);
        QVERIFY(lastRecord()["proxy"]["error"].get<std::string>().find("disconnected") !=
                std::string::npos);
        QCOMPARE(send("GET", u"/healthz"_s, {}, {}).status, 200);
    }

    void proxyErrorsArePassedOnAndRecorded()
    {
        fakellm::FakeLlmServer upstream;
        upstream.setApiKey(u"sk-right"_s);
        QVERIFY(upstream.listen());
        CollectorConfig config;
        config.openaiUpstream = upstream.url();
        startServer(config);
        Reply wrongKey = post(u"/proxy/openai/v1/chat/completions"_s,
                              q("{'model':'fake-gpt','messages':[{'role':'user','content':'x'}]}"),
                              "application/json", {{"Authorization", "Bearer sk-wrong"}});
        QCOMPARE(wrongKey.status, 401);
        QCOMPARE(wrongKey.parsed()["error"]["code"].get<std::string>(), "invalid_api_key");
        // Not a chat call: forwarded, not recorded.
        Reply models = send("GET", u"/proxy/openai/v1/models"_s, {}, {},
                            {{"Authorization", "Bearer sk-right"}});
        QCOMPARE(models.status, 200);
        QVERIFY(models.body.contains("fake-gpt"));
        auto store = openStore();
        QTRY_COMPARE(store->stats()->interactions, 1);
        std::string document;
        QVERIFY(store->forEachInteraction([&](const StoredInteraction &i) {
            document = i.document;
            return false;
        }));
        QVERIFY(document.find("sk-wrong") == std::string::npos);
        QCOMPARE(json::parse(document)["proxy"]["upstream_status"].get<int>(), 401);

        // An upstream that is not there: 502, and the server goes on.
        CollectorConfig nowhere;
        nowhere.openaiUpstream = QUrl(u"http://127.0.0.1:1"_s);
        startServer(nowhere);
        Reply unreachable = post(u"/proxy/openai/v1/chat/completions"_s, "{}");
        QCOMPARE(unreachable.status, 502);
        QCOMPARE(send("GET", u"/healthz"_s, {}, {}).status, 200);
    }
};

QTEST_GUILESS_MAIN(TestCollector)
#include "tst_collector.moc"
