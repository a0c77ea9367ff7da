#pragma once

// The live collector: an HTTP server that takes interactions (POST /v1/interactions), OTLP
// GenAI spans (POST /v1/traces) and recorded proxy calls (/proxy/openai/..., /proxy/anthropic/...)
// into a store, with /healthz and Prometheus /metrics. Hosted by the workbench window and by
// `llmaudit serve`; see docs/collector.md.
//
// Built on libmicrohttpd rather than QHttpServer: QHttpServer 6.4 reads a whole request body
// into memory before a handler sees it and has no size limit (a 300 MB POST took 600 MB of
// RSS). libmicrohttpd hands the body over in pieces, so an oversized Content-Length is refused
// with 413 before anything is read, and it has connection timeouts and limits. It runs a thread
// per connection, so a handler can wait for the commit before it answers (2xx only after the
// records are committed) and stream a proxied answer as it arrives.

#include "result.h"
#include "store.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>

namespace llmaudit {

struct CollectorConfig
{
    QString storeLocation;
    QString address = QStringLiteral("127.0.0.1"); // an IPv4 or IPv6 address
    quint16 port = 0;                              // 0: a free port (see port())
    // Required on every endpoint but /healthz when set; must be set to listen on an address
    // other than loopback.
    QByteArray token;
    qint64 maxBodyBytes = 16 * 1024 * 1024;
    qint64 queueCapacity = 100000; // records waiting for the writer before 503
    int idleTimeoutSeconds = 30;   // a connection silent this long is closed
    int connectionLimit = 256;
    QUrl openaiUpstream = QUrl(QStringLiteral("https://api.openai.com"));
    QUrl anthropicUpstream = QUrl(QStringLiteral("https://api.anthropic.com"));
    int upstreamTimeoutSeconds = 600;
};

// What the collector has seen since it started.
struct CollectorCounters
{
    qint64 requests = 0;
    qint64 received = 0; // records (and GenAI spans, and recorded proxy calls)
    qint64 stored = 0;
    qint64 duplicates = 0;
    qint64 conflicts = 0;
    qint64 rejected = 0;
    qint64 ignoredSpans = 0;
    qint64 proxied = 0;   // proxy calls forwarded
    qint64 queueFull = 0; // requests answered 503
    qint64 commits = 0;   // store transactions: stored / commits is the group commit's size
    qint64 queueDepth = 0;
};

class CollectorServer : public QObject
{
    Q_OBJECT

public:
    explicit CollectorServer(QObject *parent = nullptr);
    ~CollectorServer() override; // stops

    // Opens the store and starts listening. Fails on a non-loopback address without a token,
    // a store that cannot be opened, or an address that cannot be bound.
    Result<void> start(const CollectorConfig &config);
    // Stops accepting, lets the requests under way finish, commits everything accepted, closes
    // the store. Safe to call twice.
    void stop();

    bool isRunning() const;
    quint16 port() const;
    QString address() const;
    CollectorCounters counters() const; // thread-safe

    // The Prometheus text exposition of the counters (what GET /metrics answers).
    QByteArray metricsText() const;

    struct Private;

Q_SIGNALS:
    // Records were committed (emitted on the writer thread; connect queued).
    void interactionsStored(qint64 count);

private:
    std::unique_ptr<Private> d;
};

} // namespace llmaudit
