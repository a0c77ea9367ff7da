#include "collectorserver.h"

#include "collectorinput.h"
#include "collectorwriter.h"
#include "logcodec.h"
#include "proxyrecording.h"

#include <QDateTime>
#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QThread>
#include <QUuid>

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <microhttpd.h>
#include <mutex>
#include <netinet/in.h>
#include <set>

namespace llmaudit {

using json = nlohmann::json;

namespace {

enum class Endpoint { Interactions, Traces, Proxy, Healthz, Metrics, Other };
constexpr std::array EndpointNames = {"interactions", "traces",  "proxy",
                                      "healthz",      "metrics", "other"};
// Request duration buckets, seconds.
constexpr std::array LatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
// A proxied answer is kept for the record up to this size; what is past it is passed on only.
constexpr size_t MaxRecordedResponse = 32 * 1024 * 1024;

int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

std::string lowerCase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string header(MHD_Connection *connection, const char *name)
{
    const char *value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
    return value ? std::string(value) : std::string();
}

// The media type without parameters, lower case: "application/json".
std::string mediaType(MHD_Connection *connection)
{
    std::string type = lowerCase(header(connection, MHD_HTTP_HEADER_CONTENT_TYPE));
    if (const auto semicolon = type.find(';'); semicolon != std::string::npos)
        type.erase(semicolon);
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    return type;
}

bool sameToken(const std::string &given, const QByteArray &expected)
{
    // Constant time in the token's content, so its bytes cannot be found by timing.
    if (given.size() != size_t(expected.size()))
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned char>(given[i]) ^
                static_cast<unsigned char>(expected[qsizetype(i)]);
    return diff == 0;
}

std::string peerOf(MHD_Connection *connection)
{
    const MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return "unknown";
    return QHostAddress(info->client_addr).toString().toStdString();
}

// Hop-by-hop headers and those QNetworkAccessManager sets itself are not forwarded.
bool forwardedRequestHeader(const std::string &lower)
{
    static const std::set<std::string> dropped = {"host",
                                                  "connection",
                                                  "content-length",
                                                  "transfer-encoding",
                                                  "keep-alive",
                                                  "te",
                                                  "trailer",
                                                  "upgrade",
                                                  "proxy-authorization",
                                                  "proxy-connection",
                                                  "accept-encoding",
                                                  "expect",
                                                  "x-session-id",
                                                  "x-user-id",
                                                  "x-llmaudit-token"};
    return !dropped.contains(lower);
}

bool forwardedResponseHeader(const std::string &lower)
{
    static const std::set<std::string> dropped = {
        "connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding",
        "trailer",    "upgrade"};
    return !dropped.contains(lower);
}

} // namespace

// --- proxy calls -----------------------------------------------------------------------------

// One proxied call, shared by the connection thread that streams the answer to the caller and
// the proxy thread that talks to the upstream.
struct ProxyCall
{
    std::mutex mutex;
    std::condition_variable changed;
    // Set by the connection thread before the call starts.
    QUrl url;
    QByteArray method;
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    ProxyExchange exchange;
    int64_t startedNs = 0;
    // Set by the proxy thread.
    bool headersReady = false;
    bool finished = false;
    int status = 0;
    std::vector<std::pair<QByteArray, QByteArray>> responseHeaders;
    QByteArray pending; // received, not yet passed to the caller
    qsizetype pendingOffset = 0;
    qint64 receivedBytes = 0;
    QByteArray tail; // the last bytes received, to see how a stream ended
    QString error;
    // Set by the connection thread.
    bool callerGone = false;

    // Under the mutex: bytes from the upstream, for the caller and for the record.
    void received(const QByteArray &data)
    {
        pending.append(data);
        receivedBytes += data.size();
        tail = (tail + data).right(256);
        if (exchange.responseBody.size() + size_t(data.size()) <= MaxRecordedResponse)
            exchange.responseBody.append(data.constData(), size_t(data.size()));
        else
            exchange.responseTruncated = true;
        changed.notify_all();
    }

    // Why an answer that QNetworkAccessManager saw end without an error is incomplete, if it
    // is. An upstream that closes the connection in the middle of a chunked body (or before
    // its Content-Length) is reported as a normal end, so the proxy looks for itself: a body
    // shorter than announced, or a vendor stream without its last event. The caller's stream
    // is then ended with an error too, rather than passing for a complete answer.
    QString cutShort(QNetworkReply *reply) const
    {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && reply->rawHeader("Content-Encoding").isEmpty() &&
            receivedBytes < length.toLongLong())
            return QStringLiteral("the upstream closed the connection after %1 of %2 bytes")
                .arg(receivedBytes)
                .arg(length.toLongLong());
        const bool stream = reply->header(QNetworkRequest::ContentTypeHeader)
                                .toString()
                                .startsWith(QStringLiteral("text/event-stream"));
        if (!stream || status < 200 || status >= 300 ||
            !isRecordedCall(exchange.vendor, exchange.method, exchange.path))
            return {};
        const bool ended = exchange.vendor == ProxyVendor::OpenAI
                               ? tail.contains("data: [DONE]") || tail.contains("{\"error\"")
                               : tail.contains("message_stop") || tail.contains("event: error");
        return ended ? QString()
                     : QStringLiteral("the upstream's stream ended without its last event");
    }
};

class ProxyClient : public QObject
{
public:
    ProxyClient(int timeoutSeconds, std::function<void(ProxyCall &)> record)
        : m_timeoutSeconds(timeoutSeconds)
        , m_record(std::move(record))
    {}

    void start(std::shared_ptr<ProxyCall> call)
    {
        if (!m_manager) {
            m_manager = new QNetworkAccessManager(this);
            m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        }
        QNetworkRequest request(call->url);
        for (const auto &[name, value] : call->headers)
            request.setRawHeader(name, value);
        request.setTransferTimeout(m_timeoutSeconds * 1000);
        QNetworkReply *reply = m_manager->sendCustomRequest(request, call->method, call->body);
        m_calls.insert(reply, call);
        connect(reply, &QNetworkReply::metaDataChanged, this, [reply, call] {
            std::lock_guard lock(call->mutex);
            if (call->headersReady)
                return;
            call->status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (call->status == 0)
                return;
            for (const auto &[name, value] : reply->rawHeaderPairs())
                call->responseHeaders.emplace_back(name, value);
            call->headersReady = true;
            call->changed.notify_all();
        });
        connect(reply, &QNetworkReply::readyRead, this, [reply, call] {
            const QByteArray data = reply->readAll();
            std::lock_guard lock(call->mutex);
            call->received(data);
        });
        connect(reply, &QNetworkReply::finished, this, [this, reply, call] {
            m_calls.remove(reply);
            reply->deleteLater();
            {
                std::lock_guard lock(call->mutex);
                const QByteArray rest = reply->readAll();
                call->received(rest);
                if (!call->headersReady) {
                    call->status =
                        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    for (const auto &[name, value] : reply->rawHeaderPairs())
                        call->responseHeaders.emplace_back(name, value);
                    call->headersReady = true;
                }
                const bool failed =
                    reply->error() != QNetworkReply::NoError &&
                    (call->status == 0 || reply->error() < QNetworkReply::ContentAccessDenied);
                if (call->callerGone)
                    call->error = QStringLiteral("the caller disconnected before the end");
                else if (failed)
                    call->error = reply->errorString();
                else
                    call->error = call->cutShort(reply);
                call->exchange.status = call->status;
                call->exchange.contentType =
                    reply->header(QNetworkRequest::ContentTypeHeader).toString().toStdString();
                call->exchange.latencyMs =
                    (std::chrono::steady_clock::now().time_since_epoch().count() -
                     call->startedNs) /
                    1000000;
                call->exchange.error = call->error.toStdString();
                call->finished = true;
                call->changed.notify_all();
            }
            m_record(*call);
        });
    }

    void abort(const std::shared_ptr<ProxyCall> &call)
    {
        for (auto it = m_calls.begin(); it != m_calls.end(); ++it)
            if (it.value() == call) {
                it.key()->abort();
                return;
            }
    }

    void abortAll()
    {
        const auto replies = m_calls.keys();
        for (QNetworkReply *reply : replies)
            reply->abort();
    }

private:
    int m_timeoutSeconds;
    std::function<void(ProxyCall &)> m_record;
    QNetworkAccessManager *m_manager = nullptr;
    QHash<QNetworkReply *, std::shared_ptr<ProxyCall>> m_calls;
};

// --- the server ------------------------------------------------------------------------------

struct CollectorServer::Private
{
    CollectorServer *q = nullptr;
    CollectorConfig config;
    MHD_Daemon *daemon = nullptr;
    std::unique_ptr<CollectorWriter> writer;
    QThread proxyThread;
    ProxyClient *proxy = nullptr;
    quint16 port = 0;
    std::atomic<bool> running = false;

    // Counters (relaxed: they are statistics).
    std::atomic<qint64> requests = 0, received = 0, stored = 0, duplicates = 0, conflicts = 0,
                        rejected = 0, ignoredSpans = 0, proxied = 0, queueFull = 0, commits = 0;
    mutable std::mutex metricsMutex;
    std::map<std::pair<int, int>, qint64> requestsByCode; // (endpoint, status) -> count
    std::array<qint64, LatencyBuckets.size()> latencyCounts{};
    qint64 latencyCount = 0;
    double latencySum = 0;

    struct Request
    {
        Endpoint endpoint = Endpoint::Other;
        int64_t startedNs = 0;
        int status = 0;
        bool started = false; // the first call (headers) is over
        bool tooLarge = false;
        std::string body;
        std::string path; // for the proxy: the upstream path and query
        ProxyVendor vendor = ProxyVendor::OpenAI;
    };

    static int64_t steadyNs()
    {
        return std::chrono::steady_clock::now().time_since_epoch().count();
    }

    MHD_Result respond(MHD_Connection *connection, Request *request, int status,
                       const std::string &body, const char *contentType = "application/json",
                       std::vector<std::pair<std::string, std::string>> headers = {})
    {
        MHD_Response *response = MHD_create_response_from_buffer(
            body.size(), const_cast<char *>(body.data()), MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, contentType);
        for (const auto &[name, value] : headers)
            MHD_add_response_header(response, name.c_str(), value.c_str());
        const MHD_Result result =
            MHD_queue_response(connection, static_cast<unsigned>(status), response);
        MHD_destroy_response(response);
        if (request)
            request->status = status;
        return result;
    }

    MHD_Result error(MHD_Connection *connection, Request *request, int status,
                     const std::string &message,
                     std::vector<std::pair<std::string, std::string>> headers = {})
    {
        return respond(connection, request, status,
                       json{{"error", {{"status", status}, {"message", message}}}}.dump() + "\n",
                       "application/json", std::move(headers));
    }

    MHD_Result handle(MHD_Connection *connection, const char *url, const char *method,
                      const char *uploadData, size_t *uploadSize, void **state);
    MHD_Result answerInteractions(MHD_Connection *connection, Request &request, bool traces);
    MHD_Result answerProxy(MHD_Connection *connection, Request &request, const char *method);
    void completed(Request *request);
    void recordProxyCall(ProxyCall &call);
    void count(const WriteCounts &counts);
};

void CollectorServer::Private::count(const WriteCounts &counts)
{
    stored += counts.stored;
    duplicates += counts.duplicates;
    conflicts += counts.conflicts;
    ++commits;
    if (counts.stored > 0)
        Q_EMIT q->interactionsStored(counts.stored);
}

MHD_Result CollectorServer::Private::handle(MHD_Connection *connection, const char *url,
                                            const char *method, const char *uploadData,
                                            size_t *uploadSize, void **state)
{
    auto *request = static_cast<Request *>(*state);
    if (!request) {
        // First call: the headers are in, the body (if any) is not.
        request = new Request;
        request->startedNs = steadyNs();
        *state = request;
        ++requests;
        const std::string path = url;
        const std::string verb = method;
        if (path == "/healthz")
            request->endpoint = Endpoint::Healthz;
        else if (path == "/metrics")
            request->endpoint = Endpoint::Metrics;
        else if (path == "/v1/interactions")
            request->endpoint = Endpoint::Interactions;
        else if (path == "/v1/traces")
            request->endpoint = Endpoint::Traces;
        else if (path.starts_with("/proxy/openai/") || path.starts_with("/proxy/anthropic/"))
            request->endpoint = Endpoint::Proxy;

        if (request->endpoint == Endpoint::Healthz) {
            if (verb != "GET" && verb != "HEAD")
                return error(connection, request, 405, "use GET", {{"Allow", "GET"}});
            return respond(connection, request, 200, "{\"status\":\"ok\"}\n");
        }
        if (request->endpoint == Endpoint::Other)
            return error(connection, request, 404, "no such endpoint: " + path);
        if (!config.token.isEmpty()) {
            const std::string authorization = header(connection, MHD_HTTP_HEADER_AUTHORIZATION);
            // The proxy's caller sends its own API key in Authorization (OpenAI); the collector's
            // token then comes in X-Llmaudit-Token.
            std::string given = header(connection, "X-Llmaudit-Token");
            if (given.empty() && request->endpoint != Endpoint::Proxy &&
                lowerCase(authorization.substr(0, 7)) == "bearer ")
                given = authorization.substr(7);
            if (!sameToken(given, config.token))
                return error(connection, request, 401, "a valid bearer token is required",
                             {{"WWW-Authenticate", "Bearer realm=\"llmaudit\""}});
        }
        if (request->endpoint == Endpoint::Metrics) {
            if (verb != "GET")
                return error(connection, request, 405, "use GET", {{"Allow", "GET"}});
            const QByteArray text = q->metricsText();
            return respond(connection, request, 200, text.toStdString(),
                           "text/plain; version=0.0.4; charset=utf-8");
        }
        if (request->endpoint == Endpoint::Proxy) {
            const bool openai = path.starts_with("/proxy/openai/");
            request->vendor = openai ? ProxyVendor::OpenAI : ProxyVendor::Anthropic;
            request->path =
                path.substr(openai ? strlen("/proxy/openai") : strlen("/proxy/anthropic"));
        } else {
            if (verb != "POST")
                return error(connection, request, 405, "use POST", {{"Allow", "POST"}});
            const std::string type = mediaType(connection);
            const bool traces = request->endpoint == Endpoint::Traces;
            const bool known =
                type == "application/json" ||
                (!traces && (type == "application/x-ndjson" || type == "application/jsonl" ||
                             type == "application/jsonlines"));
            if (!known)
                return error(connection, request, 415,
                             traces ? "OTLP over HTTP with JSON encoding only: Content-Type must "
                                      "be application/json (set the exporter's protocol to "
                                      "http/json), got '" +
                                          type + "'"
                                    : "Content-Type must be application/json or "
                                      "application/x-ndjson, got '" +
                                          type + "'");
        }
        const std::string encoding = lowerCase(header(connection, "Content-Encoding"));
        if (request->endpoint != Endpoint::Proxy && !encoding.empty() && encoding != "identity")
            return error(connection, request, 415,
                         "compressed bodies (Content-Encoding: " + encoding +
                             ") are not supported; send them uncompressed (an OTLP exporter's "
                             "compression setting: none)");
        // Refuse an announced oversized body before reading any of it.
        const std::string length = header(connection, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!length.empty()) {
            char *end = nullptr;
            const unsigned long long announced = std::strtoull(length.c_str(), &end, 10);
            if (announced > static_cast<unsigned long long>(config.maxBodyBytes))
                return error(connection, request, 413,
                             "the body (" + length + " bytes) is over the limit of " +
                                 std::to_string(config.maxBodyBytes) + " bytes");
            request->body.reserve(static_cast<size_t>(announced));
        }
        return MHD_YES;
    }
    if (request->status != 0) {
        *uploadSize = 0; // answered already: whatever else comes is dropped
        return MHD_YES;
    }
    if (*uploadSize > 0) {
        // A body without a length (chunked) that grows past the limit: what comes after is
        // read and dropped, never kept, and the answer is 413.
        if (!request->tooLarge &&
            request->body.size() + *uploadSize > static_cast<size_t>(config.maxBodyBytes)) {
            request->tooLarge = true;
            std::string().swap(request->body);
        }
        if (!request->tooLarge)
            request->body.append(uploadData, *uploadSize);
        *uploadSize = 0;
        return MHD_YES;
    }
    // The whole body is in.
    if (request->tooLarge)
        return error(connection, request, 413,
                     "the body is over the limit of " + std::to_string(config.maxBodyBytes) +
                         " bytes");
    if (request->endpoint == Endpoint::Proxy)
        return answerProxy(connection, *request, method);
    return answerInteractions(connection, *request, request->endpoint == Endpoint::Traces);
}

MHD_Result CollectorServer::Private::answerInteractions(MHD_Connection *connection,
                                                        Request &request, bool traces)
{
    const std::string source = "collector " + peerOf(connection);
    const BodyFormat format =
        mediaType(connection) == "application/json" ? BodyFormat::Json : BodyFormat::Ndjson;
    auto parsed = traces ? parseOtlpTraces(request.body, source)
                         : parseInteractions(request.body, format, source);
    std::string().swap(request.body);
    if (!parsed)
        return error(connection, &request, 400,
                     "the body is not " +
                         std::string(traces ? "an OTLP JSON export" : "valid JSON") + ": " +
                         parsed.error().toString().toStdString());
    CollectorBatch &batch = *parsed;
    received += static_cast<qint64>(batch.items.size());
    rejected += static_cast<qint64>(batch.rejects.size());
    ignoredSpans += batch.ignoredSpans;
    for (IncomingRecord &record : batch.records)
        writer->prepare(record);

    std::vector<WriteOutcome> outcomes;
    if (!batch.records.empty() || !batch.rejects.empty()) {
        auto submitted = writer->submit(std::move(batch.records), std::move(batch.rejects));
        if (!submitted) {
            ++queueFull;
            return error(connection, &request, 503,
                         "the write queue is full; retry after the time in Retry-After",
                         {{"Retry-After", "1"}});
        }
        auto done = submitted->get(); // answered only once committed
        if (!done)
            return error(connection, &request, 500,
                         "the store could not commit: " + done.error().toString().toStdString());
        outcomes = std::move(*done);
    }

    json results = json::array();
    qint64 counts[4] = {0, 0, 0, 0}; // stored, duplicate, conflict, rejected
    for (size_t i = 0; i < batch.items.size(); ++i) {
        const CollectorItem &item = batch.items[i];
        json entry = {{"index", i}};
        if (!item.interactionId.empty())
            entry["interaction_id"] = item.interactionId;
        if (item.record < 0) {
            entry["status"] = "rejected";
            json errors = json::array();
            for (const auto &e : item.errors)
                errors.push_back({{"pointer", e.pointer}, {"reason", e.reason}});
            entry["errors"] = errors;
            ++counts[3];
        } else {
            const WriteOutcome outcome = outcomes.at(size_t(item.record));
            static const char *names[] = {"stored", "duplicate", "conflict"};
            entry["status"] = names[static_cast<int>(outcome)];
            ++counts[static_cast<int>(outcome)];
        }
        results.push_back(std::move(entry));
    }
    json answer = {{"stored", counts[0]},
                   {"duplicates", counts[1]},
                   {"conflicts", counts[2]},
                   {"rejected", counts[3]},
                   {"results", results}};
    if (traces) {
        answer["ignored_spans"] = batch.ignoredSpans;
        // The OTLP answer: the spans that became nothing are "rejected" in OTLP's sense only
        // when they were GenAI spans that failed validation.
        json partial = json::object();
        if (counts[3] > 0) {
            partial["rejectedSpans"] = counts[3];
            partial["errorMessage"] = "some GenAI spans did not map to valid interactions";
        }
        answer["partialSuccess"] = partial;
    }
    const bool allRejected = !batch.items.empty() && counts[3] == qint64(batch.items.size());
    return respond(connection, &request, allRejected && !traces ? 422 : 200, answer.dump() + "\n");
}

MHD_Result CollectorServer::Private::answerProxy(MHD_Connection *connection, Request &request,
                                                 const char *method)
{
    auto call = std::make_shared<ProxyCall>();
    const bool openai = request.vendor == ProxyVendor::OpenAI;
    QUrl base = openai ? config.openaiUpstream : config.anthropicUpstream;
    QString basePath = base.path();
    if (basePath.endsWith(u'/'))
        basePath.chop(1);
    // The caller's path, query included (MHD hands over the path alone).
    std::string query;
    MHD_get_connection_values(
        connection, MHD_GET_ARGUMENT_KIND,
        [](void *cls, MHD_ValueKind, const char *key, const char *value) -> MHD_Result {
            auto *q = static_cast<std::string *>(cls);
            *q += (q->empty() ? "" : "&") +
                  QUrl::toPercentEncoding(QString::fromUtf8(key)).toStdString();
            if (value)
                *q += "=" + QUrl::toPercentEncoding(QString::fromUtf8(value)).toStdString();
            return MHD_YES;
        },
        &query);
    QUrl url = base;
    url.setPath(basePath + QString::fromStdString(request.path));
    if (!query.empty())
        url.setQuery(QString::fromStdString(query), QUrl::StrictMode);
    call->url = url;
    call->method = method;
    call->body = QByteArray::fromStdString(request.body);
    MHD_get_connection_values(
        connection, MHD_HEADER_KIND,
        [](void *cls, MHD_ValueKind, const char *key, const char *value) -> MHD_Result {
            auto *c = static_cast<ProxyCall *>(cls);
            if (value && forwardedRequestHeader(lowerCase(key)))
                c->headers.emplace_back(QByteArray(key), QByteArray(value));
            return MHD_YES;
        },
        call.get());
    call->exchange.vendor = request.vendor;
    call->exchange.method = method;
    call->exchange.path = request.path;
    call->exchange.requestBody = std::move(request.body);
    call->exchange.sessionId = header(connection, "X-Session-Id");
    call->exchange.userId = header(connection, "X-User-Id");
    call->exchange.startedMs = nowMs();
    call->startedNs = request.startedNs;
    ++proxied;

    QMetaObject::invokeMethod(
        proxy, [client = proxy, call] { client->start(call); }, Qt::QueuedConnection);
    {
        std::unique_lock lock(call->mutex);
        call->changed.wait(lock, [&] { return call->headersReady; });
        if (call->status == 0)
            return error(connection, &request, 502,
                         "the upstream did not answer: " + call->error.toStdString() + " (" +
                             url.toString(QUrl::RemoveUserInfo).toStdString() + ")");
    }

    struct Stream
    {
        std::shared_ptr<ProxyCall> call;
        ProxyClient *client;
    };
    auto *stream = new Stream{call, proxy};
    MHD_Response *response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 64 * 1024,
        [](void *cls, uint64_t, char *buffer, size_t max) -> ssize_t {
            ProxyCall &c = *static_cast<Stream *>(cls)->call;
            std::unique_lock lock(c.mutex);
            c.changed.wait(lock, [&] { return c.pendingOffset < c.pending.size() || c.finished; });
            const qsizetype available = c.pending.size() - c.pendingOffset;
            if (available == 0)
                return c.error.isEmpty() ? MHD_CONTENT_READER_END_OF_STREAM
                                         : MHD_CONTENT_READER_END_WITH_ERROR;
            const size_t n = std::min(max, size_t(available));
            std::memcpy(buffer, c.pending.constData() + c.pendingOffset, n);
            c.pendingOffset += qsizetype(n);
            if (c.pendingOffset == c.pending.size()) {
                c.pending.clear();
                c.pendingOffset = 0;
            }
            return static_cast<ssize_t>(n);
        },
        stream,
        [](void *cls) {
            auto *s = static_cast<Stream *>(cls);
            bool unfinished = false;
            {
                std::lock_guard lock(s->call->mutex);
                s->call->callerGone = true;
                unfinished = !s->call->finished;
            }
            if (unfinished)
                QMetaObject::invokeMethod(
                    s->client, [client = s->client, call = s->call] { client->abort(call); },
                    Qt::QueuedConnection);
            delete s;
        });
    int status = 0;
    {
        std::lock_guard lock(call->mutex);
        status = call->status;
        for (const auto &[name, value] : call->responseHeaders)
            if (forwardedResponseHeader(lowerCase(name.toStdString())))
                MHD_add_response_header(response, name.constData(), value.constData());
    }
    const MHD_Result result =
        MHD_queue_response(connection, static_cast<unsigned>(status), response);
    MHD_destroy_response(response);
    request.status = status;
    return result;
}

void CollectorServer::Private::recordProxyCall(ProxyCall &call)
{
    const ProxyExchange &exchange = call.exchange;
    if (!isRecordedCall(exchange.vendor, exchange.method, exchange.path))
        return;
    const std::string id = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
    json record = proxyRecord(exchange, id);
    ++received;
    auto decoded = decodeDocument(std::move(record));
    std::vector<IncomingRecord> records;
    std::vector<QuarantinedRecord> rejects;
    const std::string source = "proxy " + exchange.path;
    if (decoded) {
        decoded->interaction.document = nullptr;
        records.push_back({std::move(*decoded), source, {}, {}});
        writer->prepare(records.back());
    } else {
        ++rejected;
        rejects.push_back({source, decoded.error(), exchange.requestBody});
    }
    // The call has happened: its record is queued even past the capacity, and nobody waits.
    writer->submit(std::move(records), std::move(rejects), true);
}

void CollectorServer::Private::completed(Request *request)
{
    if (!request)
        return;
    const double seconds = double(steadyNs() - request->startedNs) / 1e9;
    {
        std::lock_guard lock(metricsMutex);
        ++requestsByCode[{static_cast<int>(request->endpoint), request->status}];
        for (size_t i = 0; i < LatencyBuckets.size(); ++i)
            if (seconds <= LatencyBuckets[i])
                ++latencyCounts[i];
        ++latencyCount;
        latencySum += seconds;
    }
    delete request;
}

// --- CollectorServer -------------------------------------------------------------------------

CollectorServer::CollectorServer(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
}

CollectorServer::~CollectorServer()
{
    stop();
}

Result<void> CollectorServer::start(const CollectorConfig &config)
{
    if (d->running)
        return fail(QStringLiteral("the collector is running already"));
    QHostAddress address;
    if (!address.setAddress(config.address))
        return fail(QStringLiteral("not an IP address: %1").arg(config.address));
    if (!address.isLoopback() && config.token.isEmpty())
        return fail(QStringLiteral("listening on %1 needs a token (only loopback addresses may "
                                   "go without one)")
                        .arg(config.address));
    d->config = config;
    d->requests = d->received = d->stored = d->duplicates = d->conflicts = d->rejected =
        d->ignoredSpans = d->proxied = d->queueFull = d->commits = 0;
    d->requestsByCode.clear();
    d->latencyCounts.fill(0);
    d->latencyCount = 0;
    d->latencySum = 0;

    d->writer = std::make_unique<CollectorWriter>(config.queueCapacity);
    d->writer->setCommittedHandler([this](const WriteCounts &counts) { d->count(counts); });
    if (auto started = d->writer->start(config.storeLocation); !started) {
        d->writer.reset();
        return started;
    }
    d->proxy = new ProxyClient(config.upstreamTimeoutSeconds,
                               [this](ProxyCall &call) { d->recordProxyCall(call); });
    d->proxy->moveToThread(&d->proxyThread);
    d->proxyThread.setObjectName(QStringLiteral("collector-proxy"));
    d->proxyThread.start();

    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const sockaddr *bindTo = nullptr;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(config.port);
        const Q_IPV6ADDR raw = address.toIPv6Address();
        std::memcpy(&v6.sin6_addr, &raw, sizeof raw);
        bindTo = reinterpret_cast<const sockaddr *>(&v6);
        flags |= MHD_USE_IPv6;
    } else {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(config.port);
        v4.sin_addr.s_addr = htonl(address.toIPv4Address());
        bindTo = reinterpret_cast<const sockaddr *>(&v4);
    }
    d->daemon = MHD_start_daemon(
        flags, config.port, nullptr, nullptr,
        [](void *cls, MHD_Connection *connection, const char *url, const char *method, const char *,
           const char *uploadData, size_t *uploadSize, void **state) {
            return static_cast<Private *>(cls)->handle(connection, url, method, uploadData,
                                                       uploadSize, state);
        },
        d.get(), MHD_OPTION_SOCK_ADDR, bindTo, MHD_OPTION_CONNECTION_TIMEOUT,
        static_cast<unsigned>(config.idleTimeoutSeconds), MHD_OPTION_CONNECTION_LIMIT,
        static_cast<unsigned>(config.connectionLimit), MHD_OPTION_NOTIFY_COMPLETED,
        +[](void *cls, MHD_Connection *, void **state, MHD_RequestTerminationCode) {
            static_cast<Private *>(cls)->completed(static_cast<Private::Request *>(*state));
            *state = nullptr;
        },
        d.get(), MHD_OPTION_END);
    if (!d->daemon) {
        stop();
        return fail(QStringLiteral("cannot listen on %1 port %2 (in use, or not an address of "
                                   "this machine)")
                        .arg(config.address)
                        .arg(config.port));
    }
    const MHD_DaemonInfo *info = MHD_get_daemon_info(d->daemon, MHD_DAEMON_INFO_BIND_PORT);
    d->port = info ? info->port : config.port;
    d->running = true;
    return {};
}

void CollectorServer::stop()
{
    if (d->daemon) {
        // No new connections; abort the proxied calls under way so their threads end; then the
        // requests under way finish (each waits for its commit) and their threads are joined.
        MHD_quiesce_daemon(d->daemon);
        if (d->proxy)
            QMetaObject::invokeMethod(
                d->proxy, [p = d->proxy] { p->abortAll(); }, Qt::QueuedConnection);
        MHD_stop_daemon(d->daemon);
        d->daemon = nullptr;
    }
    if (d->proxy) {
        // Proxied calls still finishing record themselves before the thread ends.
        QMetaObject::invokeMethod(
            d->proxy,
            [p = d->proxy] {
                p->abortAll();
                delete p;
            },
            Qt::QueuedConnection);
        d->proxyThread.quit();
        d->proxyThread.wait();
        d->proxy = nullptr;
    }
    if (d->writer) {
        d->writer->stop(); // commits what was accepted
        d->writer.reset();
    }
    d->running = false;
}

bool CollectorServer::isRunning() const
{
    return d->running;
}

quint16 CollectorServer::port() const
{
    return d->port;
}

QString CollectorServer::address() const
{
    return d->config.address;
}

CollectorCounters CollectorServer::counters() const
{
    CollectorCounters c;
    c.requests = d->requests;
    c.received = d->received;
    c.stored = d->stored;
    c.duplicates = d->duplicates;
    c.conflicts = d->conflicts;
    c.rejected = d->rejected;
    c.ignoredSpans = d->ignoredSpans;
    c.proxied = d->proxied;
    c.queueFull = d->queueFull;
    c.commits = d->commits;
    c.queueDepth = d->writer ? d->writer->pending() : 0;
    return c;
}

QByteArray CollectorServer::metricsText() const
{
    const CollectorCounters c = counters();
    std::string out;
    auto line = [&out](const std::string &text) { out += text + "\n"; };
    line("# HELP llmaudit_collector_requests_total HTTP requests answered, by endpoint and "
         "status.");
    line("# TYPE llmaudit_collector_requests_total counter");
    std::lock_guard lock(d->metricsMutex);
    for (const auto &[key, n] : d->requestsByCode)
        line("llmaudit_collector_requests_total{endpoint=\"" +
             std::string(EndpointNames[size_t(key.first)]) + "\",code=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n));
    line("# HELP llmaudit_collector_records_total Records received, by what became of them.");
    line("# TYPE llmaudit_collector_records_total counter");
    line("llmaudit_collector_records_total{outcome=\"stored\"} " + std::to_string(c.stored));
    line("llmaudit_collector_records_total{outcome=\"duplicate\"} " + std::to_string(c.duplicates));
    line("llmaudit_collector_records_total{outcome=\"conflict\"} " + std::to_string(c.conflicts));
    line("llmaudit_collector_records_total{outcome=\"rejected\"} " + std::to_string(c.rejected));
    line("# HELP llmaudit_collector_records_received_total Records, GenAI spans and recorded "
         "proxy calls received.");
    line("# TYPE llmaudit_collector_records_received_total counter");
    line("llmaudit_collector_records_received_total " + std::to_string(c.received));
    line("# HELP llmaudit_collector_spans_ignored_total OTLP spans without gen_ai attributes.");
    line("# TYPE llmaudit_collector_spans_ignored_total counter");
    line("llmaudit_collector_spans_ignored_total " + std::to_string(c.ignoredSpans));
    line("# HELP llmaudit_collector_proxy_calls_total Calls forwarded by the recording proxy.");
    line("# TYPE llmaudit_collector_proxy_calls_total counter");
    line("llmaudit_collector_proxy_calls_total " + std::to_string(c.proxied));
    line("# HELP llmaudit_collector_queue_full_total Requests refused with 503 (queue full).");
    line("# TYPE llmaudit_collector_queue_full_total counter");
    line("llmaudit_collector_queue_full_total " + std::to_string(c.queueFull));
    line("# HELP llmaudit_collector_commits_total Store transactions committed (each holds "
         "every request waiting when it began).");
    line("# TYPE llmaudit_collector_commits_total counter");
    line("llmaudit_collector_commits_total " + std::to_string(c.commits));
    line("# HELP llmaudit_collector_queue_depth Records waiting for the writer.");
    line("# TYPE llmaudit_collector_queue_depth gauge");
    line("llmaudit_collector_queue_depth " + std::to_string(c.queueDepth));
    line("# HELP llmaudit_collector_request_duration_seconds Time to answer a request.");
    line("# TYPE llmaudit_collector_request_duration_seconds histogram");
    for (size_t i = 0; i < LatencyBuckets.size(); ++i)
        line("llmaudit_collector_request_duration_seconds_bucket{le=\"" +
             QString::number(LatencyBuckets[i]).toStdString() + "\"} " +
             std::to_string(d->latencyCounts[i]));
    line("llmaudit_collector_request_duration_seconds_bucket{le=\"+Inf\"} " +
         std::to_string(d->latencyCount));
    line("llmaudit_collector_request_duration_seconds_sum " +
         QString::number(d->latencySum, 'g', 9).toStdString());
    line("llmaudit_collector_request_duration_seconds_count " + std::to_string(d->latencyCount));
    return QByteArray::fromStdString(out);
}

} // namespace llmaudit
