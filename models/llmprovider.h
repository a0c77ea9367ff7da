#pragma once

// Clients of LLM chat APIs over Qt Network: LlmProvider is one configured endpoint (OpenAI
// Chat Completions, Anthropic Messages or Ollama /api/chat), ChatCall one running request to
// it. Asynchronous and signal-based: nothing here blocks the thread it runs on.

#include "chattypes.h"
#include "providerconfig.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace llmaudit {

class ChatCall;

// Turns a streamed response body into text as it arrives (SSE for OpenAI and Anthropic, NDJSON
// for Ollama) and fills the result's other fields from the events.
class StreamDecoder
{
public:
    struct Problem
    {
        FailureKind kind; // MalformedResponse or StreamError
        QString message;
    };

    // What some bytes brought: the new pieces of text, one an event (already appended to
    // result.content), and the problem that ends the stream when one came after them.
    struct Fed
    {
        std::vector<std::string> pieces;
        std::optional<Problem> problem;
    };

    virtual ~StreamDecoder() = default;
    virtual Fed feed(QByteArrayView bytes, ChatResult &result) = 0;
    // The body ended: reads what is still buffered (a last line without its newline).
    virtual Fed end(ChatResult &result)
    {
        Q_UNUSED(result);
        return {};
    }
    // Whether the protocol's own end of stream was seen.
    virtual bool complete() const = 0;
    // What a complete stream ends with ("data: [DONE]"), for the truncation message.
    virtual QString expectedEnd() const = 0;
};

class LlmProvider : public QObject
{
    Q_OBJECT

public:
    // The client for config.kind. It belongs to the calling thread; use it from there.
    static std::unique_ptr<LlmProvider> create(ProviderConfig config);
    ~LlmProvider() override;

    const ProviderConfig &config() const { return m_config; }

    // Starts a request and returns at once; every signal of the call comes later, from the
    // event loop. The call is a child of the provider: delete it (deleteLater() from a slot
    // connected to its signals) when done with it; deleting a running call aborts it
    // silently.
    ChatCall *chat(ChatRequest request);

protected:
    struct PreparedRequest
    {
        QUrl url;
        QByteArray body;
        std::vector<std::pair<QByteArray, QByteArray>> headers; // the protocol's, key included
        std::vector<std::string> warnings;
    };

    explicit LlmProvider(ProviderConfig config);

    virtual Result<PreparedRequest> prepare(const ChatRequest &request,
                                            const QByteArray &apiKey) const = 0;
    // Reads a whole (not streamed) successful response into the result; the error text when it
    // is not the protocol's shape.
    virtual std::optional<QString> readResponse(const nlohmann::json &body,
                                                ChatResult &result) const = 0;
    virtual std::unique_ptr<StreamDecoder> newStreamDecoder() const = 0;
    virtual QByteArray streamContentType() const = 0; // text/event-stream, application/x-ndjson
    // The provider's own message in an error response body; empty when it has none.
    virtual QString errorDetail(const nlohmann::json &body) const = 0;

    // Adds a top-level key of `extra` unless the body has it already (a typed field set it):
    // then a warning. Shared by the protocols.
    static Result<void> mergeExtra(nlohmann::ordered_json &body, const nlohmann::json &extra,
                                   std::vector<std::string> &warnings);

private:
    friend class ChatCall;

    ProviderConfig m_config;
    QNetworkAccessManager *m_network;
};

// One request to a provider, with its retries. Emits textReceived() while a stream arrives,
// retrying() before each retry, and finished() exactly once.
class ChatCall : public QObject
{
    Q_OBJECT

public:
    ~ChatCall() override;

    const ChatRequest &request() const { return m_request; }
    bool isFinished() const { return m_finished; }
    // Complete once finished() was emitted; until then what has arrived so far.
    const ChatResult &result() const { return m_result; }

    // Aborts the call: finished() follows at once with a Cancelled failure. Does nothing once
    // the call has finished.
    void cancel();

Q_SIGNALS:
    void textReceived(const QString &text); // streaming: the next piece of the answer (an event's)
    void retrying(int attempt, int delayMs, const QString &reason); // attempt: the next one, from 2
    void finished(const llmaudit::ChatResult &result);

private:
    friend class LlmProvider;
    ChatCall(LlmProvider *provider, ChatRequest request);

    void start();
    void sendAttempt();
    void readAvailable();
    bool emitPieces(const std::vector<std::string> &pieces); // false: the call ended meanwhile
    void attemptFinished();
    void retryOrFail(FailureKind kind, int status, const QString &message, qint64 retryAfterMs);
    void fail(FailureKind kind, int status, const QString &message);
    void succeed();
    void finish();
    void abortReply();
    QString statusMessage(int status, const QByteArray &body, QNetworkReply *reply) const;

    LlmProvider *m_provider;
    ChatRequest m_request;
    ChatResult m_result;
    QByteArray m_apiKey;
    LlmProvider::PreparedRequest m_prepared;

    QPointer<QNetworkReply> m_reply;
    std::unique_ptr<StreamDecoder> m_decoder;
    QByteArray m_body; // a response that is not streamed, as it arrives
    bool m_headersSeen = false;
    bool m_streaming = false;
    bool m_finished = false;
    enum class Abort {
        None,
        Cancelled,
        ConnectTimeout,
        Timeout,
        StreamProblem
    } m_abort = Abort::None;
    std::optional<StreamDecoder::Problem> m_streamProblem;

    QElapsedTimer m_callClock;
    QElapsedTimer m_attemptClock;
    QTimer m_connectTimer;
    QTimer m_totalTimer;
    QTimer m_retryTimer;
};

// The wait a Retry-After header asks for, in milliseconds: delay-seconds or an HTTP-date
// (RFC 9110; past dates give 0). Empty when the value is neither.
std::optional<qint64> parseRetryAfter(QByteArrayView value,
                                      const QDateTime &now = QDateTime::currentDateTimeUtc());

} // namespace llmaudit
