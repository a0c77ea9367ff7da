#include "openaiprovider.h"

#include "providerutil.h"
#include "sseparser.h"

namespace llmaudit {

namespace {

using namespace Qt::StringLiterals;
using namespace providerutil;
using nlohmann::json;

std::string normalizedFinish(const std::string &raw)
{
    return raw == "function_call" ? std::string("tool_calls") : raw;
}

void readUsage(const json &usage, ChatResult &result)
{
    if (!usage.is_object())
        return;
    result.usage.promptTokens = integer(usage, "prompt_tokens");
    result.usage.completionTokens = integer(usage, "completion_tokens");
    result.usage.totalTokens = integer(usage, "total_tokens");
}

void readIds(const json &object, ChatResult &result)
{
    if (result.responseId.empty())
        result.responseId = text(object, "id");
    if (result.model.empty())
        result.model = text(object, "model");
    if (result.systemFingerprint.empty())
        result.systemFingerprint = text(object, "system_fingerprint");
}

// data: {chat.completion.chunk} events, then data: [DONE].
class OpenAiStreamDecoder final : public StreamDecoder
{
public:
    Fed feed(QByteArrayView bytes, ChatResult &result) override
    {
        Fed fed;
        for (const SseEvent &event : m_parser.feed(bytes)) {
            if (m_done)
                continue;
            if (event.data == "[DONE]") {
                m_done = true;
                continue;
            }
            const json chunk = json::parse(
                event.data.constData(), event.data.constData() + event.data.size(), nullptr, false);
            if (chunk.is_discarded() || !chunk.is_object()) {
                fed.problem = Problem{
                    FailureKind::MalformedResponse,
                    u"a stream event is not a JSON object: "_s +
                        excerpt(std::string_view(event.data.constData(), event.data.size()))};
                return fed;
            }
            if (const json &error = member(chunk, "error"); !error.is_null()) {
                const std::string message =
                    error.is_object() ? providerutil::text(error, "message") : error.dump();
                fed.problem =
                    Problem{FailureKind::StreamError,
                            u"the server reported an error in the stream: "_s + excerpt(message)};
                return fed;
            }
            readIds(chunk, result);
            for (const json &choice : member(chunk, "choices")) {
                if (integer(choice, "index").value_or(0) != 0)
                    continue;
                const std::string piece = providerutil::text(member(choice, "delta"), "content");
                fed.pieces.push_back(piece);
                result.content += piece;
                if (const std::string finish = providerutil::text(choice, "finish_reason");
                    !finish.empty()) {
                    result.rawFinishReason = finish;
                    result.finishReason = normalizedFinish(finish);
                }
            }
            readUsage(member(chunk, "usage"), result);
        }
        return fed;
    }

    bool complete() const override { return m_done; }
    QString expectedEnd() const override { return u"data: [DONE]"_s; }

private:
    SseParser m_parser;
    bool m_done = false;
};

} // namespace

OpenAiProvider::OpenAiProvider(ProviderConfig config)
    : LlmProvider(std::move(config))
{}

Result<LlmProvider::PreparedRequest> OpenAiProvider::prepare(const ChatRequest &request,
                                                             const QByteArray &apiKey) const
{
    PreparedRequest prepared;
    prepared.url = endpoint(config().baseUrl, u"/chat/completions"_s);
    if (!apiKey.isEmpty())
        prepared.headers.emplace_back("Authorization", "Bearer " + apiKey);

    nlohmann::ordered_json body;
    body["model"] = request.model;
    auto messages = nlohmann::ordered_json::array();
    if (!request.system.empty())
        messages.push_back({{"role", "system"}, {"content", request.system}});
    for (const ChatMessage &message : request.messages)
        messages.push_back({{"role", message.role}, {"content", message.content}});
    body["messages"] = std::move(messages);
    if (request.temperature)
        body["temperature"] = *request.temperature;
    if (request.topP)
        body["top_p"] = *request.topP;
    if (request.maxTokens)
        body["max_tokens"] = *request.maxTokens;
    if (request.seed)
        body["seed"] = *request.seed;
    if (!request.stop.empty())
        body["stop"] = request.stop;
    if (request.stream) {
        body["stream"] = true;
        // Usage arrives in a last chunk only when asked for.
        if (!(request.extra.is_object() && request.extra.contains("stream_options")))
            body["stream_options"] = {{"include_usage", true}};
    }
    if (auto merged = mergeExtra(body, request.extra, prepared.warnings); !merged)
        return std::unexpected(merged.error());
    auto bytes = serialize(body);
    if (!bytes)
        return std::unexpected(bytes.error());
    prepared.body = std::move(*bytes);
    return prepared;
}

std::optional<QString> OpenAiProvider::readResponse(const json &body, ChatResult &result) const
{
    const json &choices = member(body, "choices");
    if (!choices.is_array() || choices.empty())
        return u"no \"choices\" in the response"_s;
    const json &message = member(choices.front(), "message");
    if (!message.is_object())
        return u"no \"choices[0].message\" in the response"_s;
    const json &content = member(message, "content");
    if (!content.is_string() && !content.is_null())
        return u"\"choices[0].message.content\" is neither text nor null"_s;
    result.content = content.is_string() ? content.get<std::string>() : std::string();
    result.rawFinishReason = text(choices.front(), "finish_reason");
    result.finishReason = normalizedFinish(result.rawFinishReason);
    readIds(body, result);
    readUsage(member(body, "usage"), result);
    return std::nullopt;
}

std::unique_ptr<StreamDecoder> OpenAiProvider::newStreamDecoder() const
{
    return std::make_unique<OpenAiStreamDecoder>();
}

QString OpenAiProvider::errorDetail(const json &body) const
{
    const json &error = member(body, "error");
    if (error.is_string())
        return QString::fromStdString(error.get<std::string>());
    const std::string message = text(error, "message");
    if (message.empty())
        return {};
    const std::string code = text(error, "code");
    return QString::fromStdString(message) +
           (code.empty() ? QString() : u" ("_s + QString::fromStdString(code) + u')');
}

} // namespace llmaudit
