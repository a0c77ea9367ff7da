#include "llmprovider.h"

#include "anthropicprovider.h"
#include "logcodec.h"
#include "ollamaprovider.h"
#include "openaiprovider.h"

#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTimeZone>

#include <algorithm>
#include <cmath>

namespace llmaudit {

namespace {

using namespace Qt::StringLiterals;

constexpr qint64 MaxBackoffMs = 8000;
constexpr qsizetype MaxDetailChars = 300;

// Text from a server, made safe for one line of a terminal or a dialog.
QString safeText(QByteArrayView text)
{
    QString out =
        QString::fromStdString(visible(std::string_view(text.data(), size_t(text.size()))));
    out = out.simplified();
    if (out.size() > MaxDetailChars)
        out = out.left(MaxDetailChars) + u"…"_s;
    return out;
}

QString hostAndPort(const QUrl &url)
{
    const int port = url.port(url.scheme() == u"https" ? 443 : 80);
    return url.host() + u':' + QString::number(port);
}

QString reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return u"Bad Request"_s;
    case 401:
        return u"Unauthorized"_s;
    case 403:
        return u"Forbidden"_s;
    case 404:
        return u"Not Found"_s;
    case 408:
        return u"Request Timeout"_s;
    case 409:
        return u"Conflict"_s;
    case 413:
        return u"Payload Too Large"_s;
    case 422:
        return u"Unprocessable Content"_s;
    case 429:
        return u"Too Many Requests"_s;
    case 500:
        return u"Internal Server Error"_s;
    case 502:
        return u"Bad Gateway"_s;
    case 503:
        return u"Service Unavailable"_s;
    case 504:
        return u"Gateway Timeout"_s;
    case 529:
        return u"Overloaded"_s;
    default:
        return {};
    }
}

FailureKind kindForStatus(int status)
{
    if (status == 401 || status == 403)
        return FailureKind::Unauthorized;
    if (status == 404)
        return FailureKind::NotFound;
    if (status == 429)
        return FailureKind::RateLimited;
    if (status >= 500)
        return FailureKind::ServerError;
    return FailureKind::Refused;
}

bool retryableStatus(int status)
{
    return status == 408 || status == 409 || status == 429 || status >= 500;
}

} // namespace

// --- Retry-After -----------------------------------------------------------------------------

std::optional<qint64> parseRetryAfter(QByteArrayView value, const QDateTime &now)
{
    const QByteArray text = value.trimmed().toByteArray();
    if (text.isEmpty())
        return std::nullopt;
    if (std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
        bool ok = false;
        const qint64 seconds = text.toLongLong(&ok);
        if (!ok || seconds > std::numeric_limits<qint64>::max() / 1000)
            return std::nullopt;
        return seconds * 1000;
    }
    // An HTTP-date: IMF-fixdate (Sun, 06 Nov 1994 08:49:37 GMT), which senders must use, or
    // one of the two obsolete forms recipients must still accept (RFC 9110, 5.6.7).
    const QString date = QString::fromLatin1(text);
    QDateTime when;
    for (const QString &format :
         {u"ddd, dd MMM yyyy HH:mm:ss 'GMT'"_s, u"dddd, dd-MMM-yy HH:mm:ss 'GMT'"_s,
          u"ddd MMM d HH:mm:ss yyyy"_s}) {
        when = QLocale::c().toDateTime(date, format);
        if (when.isValid())
            break;
    }
    if (!when.isValid()) {
        const QString asctime = date.simplified(); // "Sun Nov  6 08:49:37 1994"
        when = QLocale::c().toDateTime(asctime, u"ddd MMM d HH:mm:ss yyyy"_s);
    }
    if (!when.isValid())
        return std::nullopt;
    if (when.date().year() < 1970) // a two-digit year of the RFC 850 form read as 19yy
        when = when.addYears(100);
    return std::max<qint64>(0, now.msecsTo(QDateTime(when.date(), when.time(), QTimeZone::utc())));
}

// --- LlmProvider -----------------------------------------------------------------------------

std::unique_ptr<LlmProvider> LlmProvider::create(ProviderConfig config)
{
    switch (config.kind) {
    case ProviderKind::OpenAi:
        return std::make_unique<OpenAiProvider>(std::move(config));
    case ProviderKind::Anthropic:
        return std::make_unique<AnthropicProvider>(std::move(config));
    case ProviderKind::Ollama:
        return std::make_unique<OllamaProvider>(std::move(config));
    }
    return nullptr;
}

LlmProvider::LlmProvider(ProviderConfig config)
    : m_config(std::move(config))
    , m_network(new QNetworkAccessManager(this))
{
    // A redirect of an API call means a wrong base_url; say so rather than follow it.
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

LlmProvider::~LlmProvider()
{
    // The calls go first, silently, so that none reports a failure while the network access
    // manager is being torn down.
    qDeleteAll(findChildren<ChatCall *>(Qt::FindDirectChildrenOnly));
}

ChatCall *LlmProvider::chat(ChatRequest request)
{
    auto *call = new ChatCall(this, std::move(request));
    QTimer::singleShot(0, call, &ChatCall::start);
    return call;
}

Result<void> LlmProvider::mergeExtra(nlohmann::ordered_json &body, const nlohmann::json &extra,
                                     std::vector<std::string> &warnings)
{
    if (extra.is_null())
        return {};
    if (!extra.is_object())
        return fail(u"the extra parameters must be a JSON object, not "_s +
                    QString::fromUtf8(extra.type_name()));
    for (const auto &[key, value] : extra.items()) {
        if (key == "model" || key == "messages" || key == "stream")
            return fail(u"\""_s + QString::fromStdString(key) +
                        u"\" is set by the client and cannot be an extra parameter"_s);
        if (body.contains(key)) {
            warnings.push_back("extra parameter \"" + key +
                               "\" was not sent: the request sets it already");
            continue;
        }
        body[key] = value;
    }
    return {};
}

// --- ChatCall --------------------------------------------------------------------------------

ChatCall::ChatCall(LlmProvider *provider, ChatRequest request)
    : QObject(provider)
    , m_provider(provider)
    , m_request(std::move(request))
{
    m_result.provider = provider->config().name.toStdString();
    for (QTimer *timer : {&m_connectTimer, &m_totalTimer, &m_retryTimer})
        timer->setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        m_abort = Abort::ConnectTimeout;
        abortReply();
    });
    connect(&m_totalTimer, &QTimer::timeout, this, [this] {
        m_abort = Abort::Timeout;
        abortReply();
    });
    connect(&m_retryTimer, &QTimer::timeout, this, &ChatCall::sendAttempt);
}

ChatCall::~ChatCall()
{
    if (m_reply) {
        disconnect(m_reply, nullptr, this, nullptr);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void ChatCall::cancel()
{
    if (m_finished)
        return;
    if (m_reply) {
        m_abort = Abort::Cancelled;
        abortReply();
        return;
    }
    m_retryTimer.stop();
    fail(FailureKind::Cancelled, 0, u"cancelled"_s);
}

void ChatCall::abortReply()
{
    if (!m_reply)
        return;
    m_reply->abort(); // normally emits finished() at once ...
    if (m_reply)      // ... and if it did not, the attempt ends here all the same
        attemptFinished();
}

void ChatCall::start()
{
    if (m_finished)
        return; // cancelled before it started
    m_callClock.start();
    const ProviderConfig &config = m_provider->config();
    if (m_request.model.empty())
        m_request.model = config.defaultModel.toStdString();
    if (m_request.model.empty()) {
        fail(FailureKind::Configuration, 0,
             u"no model: the request names none and the provider settings have no \"model\""_s);
        return;
    }
    if (!config.apiKeyEnv.isEmpty()) {
        m_apiKey = qgetenv(config.apiKeyEnv.toLocal8Bit().constData());
        if (m_apiKey.isEmpty()) {
            fail(FailureKind::Configuration, 0,
                 u"no API key: the environment variable $"_s + config.apiKeyEnv +
                     u" named by api_key_env is not set"_s);
            return;
        }
    }
    auto prepared = m_provider->prepare(m_request, m_apiKey);
    if (!prepared) {
        fail(FailureKind::Configuration, 0, prepared.error().message);
        return;
    }
    m_prepared = std::move(*prepared);
    m_result.requestUrl = m_prepared.url.toString().toStdString();
    m_result.requestBody = m_prepared.body.toStdString();
    m_result.warnings = m_prepared.warnings;
    sendAttempt();
}

void ChatCall::sendAttempt()
{
    const ProviderConfig &config = m_provider->config();
    ++m_result.attempts;
    // What the previous attempt received is forgotten; the request side stays.
    ChatResult fresh;
    fresh.provider = m_result.provider;
    fresh.attempts = m_result.attempts;
    fresh.requestUrl = std::move(m_result.requestUrl);
    fresh.requestBody = std::move(m_result.requestBody);
    fresh.warnings = std::move(m_result.warnings);
    m_result = std::move(fresh);
    m_body.clear();
    m_headersSeen = false;
    m_streaming = false;
    m_decoder.reset();
    m_abort = Abort::None;
    m_streamProblem.reset();

    QNetworkRequest request(m_prepared.url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", m_request.stream ? m_provider->streamContentType()
                                                    : QByteArrayLiteral("application/json"));
    request.setRawHeader("User-Agent", QByteArrayLiteral("llmaudit/" LLMAUDIT_VERSION));
    for (const auto &[name, value] : m_prepared.headers)
        request.setRawHeader(name, value);
    for (const auto &[name, value] : config.headers)
        request.setRawHeader(name, value);

    m_attemptClock.start();
    m_reply = m_provider->m_network->post(request, m_prepared.body);
    connect(m_reply, &QNetworkReply::requestSent, &m_connectTimer, &QTimer::stop);
    connect(m_reply, &QNetworkReply::metaDataChanged, &m_connectTimer, &QTimer::stop);
    connect(m_reply, &QNetworkReply::readyRead, this, &ChatCall::readAvailable);
    connect(m_reply, &QNetworkReply::finished, this, &ChatCall::attemptFinished);
    m_connectTimer.start(config.connectTimeoutMs);
    m_totalTimer.start(config.timeoutMs);
}

void ChatCall::readAvailable()
{
    if (!m_reply || m_abort != Abort::None)
        return;
    if (!m_headersSeen) {
        m_headersSeen = true;
        m_connectTimer.stop();
        const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray type =
            m_reply->header(QNetworkRequest::ContentTypeHeader).toByteArray().trimmed().toLower();
        // A server that ignores "stream" and answers with one JSON body is read as such.
        m_streaming = m_request.stream && status >= 200 && status < 300 &&
                      type.startsWith(m_provider->streamContentType());
        if (m_streaming)
            m_decoder = m_provider->newStreamDecoder();
    }
    const QByteArray bytes = m_reply->readAll();
    if (!m_streaming) {
        m_body += bytes;
        return;
    }
    m_result.rawResponse.append(bytes.constData(), size_t(bytes.size()));
    StreamDecoder::Fed fed = m_decoder->feed(bytes, m_result);
    if (!emitPieces(fed.pieces))
        return;
    if (fed.problem) {
        m_streamProblem = std::move(fed.problem);
        m_abort = Abort::StreamProblem;
        abortReply();
    }
}

bool ChatCall::emitPieces(const std::vector<std::string> &pieces)
{
    for (const std::string &piece : pieces) {
        if (piece.empty())
            continue;
        if (!m_result.timeToFirstTokenMs)
            m_result.timeToFirstTokenMs = m_attemptClock.elapsed();
        Q_EMIT textReceived(QString::fromStdString(piece));
        if (m_finished || m_abort != Abort::None) // a slot cancelled the call
            return false;
    }
    return true;
}

void ChatCall::attemptFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    if (m_abort == Abort::None && reply->bytesAvailable() > 0)
        readAvailable();
    if (m_finished) // a slot of textReceived() cancelled the call
        return;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    reply->deleteLater();
    m_connectTimer.stop();
    m_totalTimer.stop();

    const ProviderConfig &config = m_provider->config();
    m_result.latencyMs = m_attemptClock.elapsed();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_result.httpStatus = status;
    const QString textSoFar = m_result.content.empty()
                                  ? QString()
                                  : u", after %1 characters of text"_s.arg(
                                        QString::fromStdString(m_result.content).size());

    switch (m_abort) {
    case Abort::Cancelled:
        fail(FailureKind::Cancelled, status, u"cancelled"_s + textSoFar);
        return;
    case Abort::ConnectTimeout:
        retryOrFail(FailureKind::Timeout, 0,
                    u"could not connect to %1 and send the request within %2 ms "
                    "(connect_timeout_ms)"_s.arg(hostAndPort(m_prepared.url))
                        .arg(config.connectTimeoutMs),
                    -1);
        return;
    case Abort::Timeout:
        fail(FailureKind::Timeout, status,
             u"no complete response within %1 ms (timeout_ms)"_s.arg(config.timeoutMs) + textSoFar);
        return;
    case Abort::StreamProblem:
        fail(m_streamProblem->kind, status, m_streamProblem->message + textSoFar);
        return;
    case Abort::None:
        break;
    }

    const QNetworkReply::NetworkError error = reply->error();
    if (status == 0) { // no HTTP response at all
        const QString where = hostAndPort(m_prepared.url);
        switch (error) {
        case QNetworkReply::ConnectionRefusedError:
            retryOrFail(
                FailureKind::Unreachable, 0,
                u"cannot connect to %1: connection refused (is the server running?)"_s.arg(where),
                -1);
            return;
        case QNetworkReply::HostNotFoundError:
            fail(FailureKind::Unreachable, 0,
                 u"host \"%1\" not found (check base_url)"_s.arg(m_prepared.url.host()));
            return;
        case QNetworkReply::SslHandshakeFailedError:
        case QNetworkReply::InsecureRedirectError:
            fail(FailureKind::Tls, 0, u"TLS with %1 failed: %2"_s.arg(where, reply->errorString()));
            return;
        case QNetworkReply::RemoteHostClosedError:
            retryOrFail(FailureKind::Unreachable, 0,
                        u"%1 closed the connection without answering"_s.arg(where), -1);
            return;
        case QNetworkReply::TimeoutError:
        case QNetworkReply::TemporaryNetworkFailureError:
        case QNetworkReply::NetworkSessionFailedError:
        case QNetworkReply::UnknownNetworkError:
            retryOrFail(FailureKind::Unreachable, 0,
                        u"no connection to %1: %2"_s.arg(where, reply->errorString()), -1);
            return;
        default:
            fail(FailureKind::Unreachable, 0,
                 u"no response from %1: %2"_s.arg(where, reply->errorString()));
            return;
        }
    }

    if (status >= 200 && status < 300) {
        if (error != QNetworkReply::NoError) {
            if (!m_streaming)
                m_result.rawResponse = m_body.toStdString();
            fail(FailureKind::TruncatedStream, status,
                 (m_streaming ? u"the stream ended without %1 (%2)"_s.arg(m_decoder->expectedEnd(),
                                                                          reply->errorString())
                              : u"the connection closed before the whole response arrived (%1, "
                                "%2 bytes received)"_s.arg(reply->errorString())
                                    .arg(m_body.size())) +
                     textSoFar);
            return;
        }
        if (m_streaming) {
            StreamDecoder::Fed fed = m_decoder->end(m_result);
            if (!emitPieces(fed.pieces))
                return;
            if (fed.problem) {
                fail(fed.problem->kind, status,
                     fed.problem->message + u", after %1 characters of text"_s.arg(
                                                QString::fromStdString(m_result.content).size()));
                return;
            }
            if (!m_decoder->complete()) {
                fail(FailureKind::TruncatedStream, status,
                     u"the stream ended without %1"_s.arg(m_decoder->expectedEnd()) + textSoFar);
                return;
            }
            succeed();
            return;
        }
        m_result.rawResponse = m_body.toStdString();
        nlohmann::json body = nlohmann::json::parse(
            m_body.constData(), m_body.constData() + m_body.size(), nullptr, false);
        if (body.is_discarded()) {
            fail(FailureKind::MalformedResponse, status,
                 u"the response is not valid JSON (%1 bytes): %2"_s.arg(m_body.size())
                     .arg(safeText(m_body.left(80))));
            return;
        }
        if (auto problem = m_provider->readResponse(body, m_result)) {
            fail(FailureKind::MalformedResponse, status, u"unexpected response: "_s + *problem);
            return;
        }
        succeed();
        return;
    }

    // An error status: its body says why.
    m_result.rawResponse = m_body.toStdString();
    const QString message = statusMessage(status, m_body, reply);
    if (!retryableStatus(status)) {
        fail(kindForStatus(status), status, message);
        return;
    }
    qint64 retryAfter = -1;
    if (auto ms = reply->rawHeader("retry-after-ms"); !ms.isEmpty()) {
        bool ok = false;
        const double value = ms.trimmed().toDouble(&ok); // OpenAI's own header
        if (ok && value >= 0)
            retryAfter = qint64(std::ceil(value));
    }
    if (retryAfter < 0) {
        if (auto wait = parseRetryAfter(reply->rawHeader("retry-after")))
            retryAfter = *wait;
    }
    retryOrFail(kindForStatus(status), status, message, retryAfter);
}

void ChatCall::retryOrFail(FailureKind kind, int status, const QString &message,
                           qint64 retryAfterMs)
{
    const ProviderConfig &config = m_provider->config();
    const int retriesDone = m_result.attempts - 1;
    if (retriesDone >= config.maxRetries) {
        fail(kind, status,
             config.maxRetries == 0
                 ? message
                 : message + (config.maxRetries == 1
                                  ? u" (gave up after 1 retry)"_s
                                  : u" (gave up after %1 retries)"_s.arg(config.maxRetries)));
        return;
    }
    qint64 delay = 0;
    if (retryAfterMs >= 0) {
        if (retryAfterMs > config.maxRetryWaitMs) {
            fail(kind, status,
                 message + u" (the server asks to wait %1 s before retrying, more than "
                           "max_retry_wait_ms allows)"_s.arg((retryAfterMs + 999) / 1000));
            return;
        }
        delay = retryAfterMs;
    } else {
        // Exponential backoff with jitter, as the vendors' SDKs do: base·2^n, at most 8 s,
        // shortened by up to a quarter at random so that clients do not retry in step.
        const double backoff =
            std::min<double>(MaxBackoffMs, double(config.retryBaseMs) * std::pow(2.0, retriesDone));
        delay = qint64(backoff * (1.0 - 0.25 * QRandomGenerator::global()->generateDouble()));
    }
    Q_EMIT retrying(m_result.attempts + 1, int(delay), message);
    if (m_finished) // a slot of retrying() cancelled the call
        return;
    m_retryTimer.start(int(delay));
}

QString ChatCall::statusMessage(int status, const QByteArray &body, QNetworkReply *reply) const
{
    QString phrase = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (phrase.isEmpty())
        phrase = reasonPhrase(status);
    const QString head = (QString::number(status) + u' ' + phrase).trimmed();

    QString detail;
    const nlohmann::json json =
        nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (!json.is_discarded())
        detail = m_provider->errorDetail(json);
    const bool vendorError = !detail.isEmpty();
    if (detail.isEmpty())
        detail = QString::fromUtf8(body);
    // A server may echo what it was sent; the key never reaches a message.
    if (m_apiKey.size() >= 4)
        detail.replace(QString::fromUtf8(m_apiKey), u"<API key>"_s);
    detail = safeText(detail.toUtf8());
    const QString suffix = detail.isEmpty() ? QString() : u": "_s + detail;

    const QString model = QString::fromStdString(m_request.model);
    const ProviderConfig &config = m_provider->config();
    const QString keyText = u"the API key in $"_s + config.apiKeyEnv;
    QString why;
    if (status >= 300 && status < 400) {
        why = u"redirected to \"%1\": check base_url"_s.arg(
            QString::fromUtf8(reply->rawHeader("location")));
    } else if (status == 401) {
        why = m_apiKey.isEmpty()
                  ? u"no API key was sent: name the environment variable that holds it in "
                    "api_key_env"_s
                  : keyText + u" was rejected"_s;
    } else if (status == 403) {
        why = m_apiKey.isEmpty() ? u"access denied"_s
                                 : keyText + u" is not allowed to use this model or endpoint"_s;
    } else if (status == 404) {
        why = vendorError
                  ? u"model \"%1\" is not available"_s.arg(model)
                  : u"nothing answers at POST %1: check base_url"_s.arg(m_prepared.url.toString());
    } else if (status == 408) {
        why = u"the server timed out waiting for the request"_s;
    } else if (status == 429) {
        why = u"rate limited"_s;
    } else if (status >= 500) {
        why = u"the server failed"_s;
    } else {
        why = u"the request was refused"_s;
    }
    return head + u" — "_s + why + suffix;
}

void ChatCall::fail(FailureKind kind, int status, const QString &message)
{
    QString text = message;
    if (m_apiKey.size() >= 4)
        text.replace(QString::fromUtf8(m_apiKey), u"<API key>"_s);
    m_result.failure = ProviderFailure{kind, status, Error{text, m_provider->config().label()}};
    finish();
}

void ChatCall::succeed()
{
    finish();
}

void ChatCall::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_connectTimer.stop();
    m_totalTimer.stop();
    m_retryTimer.stop();
    if (m_callClock.isValid())
        m_result.elapsedMs = m_callClock.elapsed();
    // A server may echo what it was sent: the key is never kept in the record.
    if (m_apiKey.size() >= 4) {
        const std::string key = m_apiKey.toStdString();
        for (size_t at; (at = m_result.rawResponse.find(key)) != std::string::npos;)
            m_result.rawResponse.replace(at, key.size(), "<API key>");
    }
    Q_EMIT finished(m_result);
}

} // namespace llmaudit
