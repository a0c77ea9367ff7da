#include "anthropicprovider.h"

#include "providerutil.h"
#include "sseparser.h"

namespace llmaudit {

namespace {

using namespace Qt::StringLiterals;
using namespace providerutil;
using nlohmann::json;

std::string normalizedFinish(const std::string &raw)
{
    if (raw == "end_turn" || raw == "stop_sequence")
        return "stop";
    if (raw == "max_tokens")
        return "length";
    if (raw == "tool_use")
        return "tool_calls";
    if (raw == "refusal")
        return "content_filter";
    return raw;
}

void setFinish(const std::string &raw, ChatResult &result)
{
    if (raw.empty())
        return;
    result.rawFinishReason = raw;
    result.finishReason = normalizedFinish(raw);
}

// Prompt tokens are all the input: uncached, written to and read from the prompt cache.
void readUsage(const json &usage, ChatResult &result)
{
    if (!usage.is_object())
        return;
    if (auto input = integer(usage, "input_tokens"))
        result.usage.promptTokens = *input +
                                    integer(usage, "cache_creation_input_tokens").value_or(0) +
                                    integer(usage, "cache_read_input_tokens").value_or(0);
    if (auto output = integer(usage, "output_tokens"))
        result.usage.completionTokens = *output;
    if (result.usage.promptTokens && result.usage.completionTokens)
        result.usage.totalTokens = *result.usage.promptTokens + *result.usage.completionTokens;
}

// message_start, content_block_start, ping, content_block_delta..., content_block_stop,
// message_delta, message_stop; or an error event.
class AnthropicStreamDecoder final : public StreamDecoder
{
public:
    Fed feed(QByteArrayView bytes, ChatResult &result) override
    {
        Fed fed;
        for (const SseEvent &event : m_parser.feed(bytes)) {
            if (m_stopped)
                continue;
            const json data = json::parse(
                event.data.constData(), event.data.constData() + event.data.size(), nullptr, false);
            if (data.is_discarded() || !data.is_object()) {
                fed.problem = Problem{
                    FailureKind::MalformedResponse,
                    u"a stream event is not a JSON object: "_s +
                        excerpt(std::string_view(event.data.constData(), event.data.size()))};
                return fed;
            }
            const std::string type =
                event.event == "message" ? text(data, "type") : event.event.toStdString();
            if (type == "message_start") {
                const json &message = member(data, "message");
                result.responseId = text(message, "id");
                result.model = text(message, "model");
                readUsage(member(message, "usage"), result);
            } else if (type == "content_block_delta") {
                const json &delta = member(data, "delta");
                if (text(delta, "type") == "text_delta") {
                    const std::string piece = text(delta, "text");
                    fed.pieces.push_back(piece);
                    result.content += piece;
                }
            } else if (type == "message_delta") {
                setFinish(text(member(data, "delta"), "stop_reason"), result);
                readUsage(member(data, "usage"), result);
            } else if (type == "message_stop") {
                m_stopped = true;
            } else if (type == "error") {
                const json &error = member(data, "error");
                fed.problem = Problem{FailureKind::StreamError,
                                      u"the server reported an error in the stream: "_s +
                                          QString::fromStdString(text(error, "type")) + u": "_s +
                                          excerpt(text(error, "message"))};
                return fed;
            }
            // ping, content_block_start/stop and event types added later need nothing.
        }
        return fed;
    }

    bool complete() const override { return m_stopped; }
    QString expectedEnd() const override { return u"event: message_stop"_s; }

private:
    SseParser m_parser;
    bool m_stopped = false;
};

} // namespace

AnthropicProvider::AnthropicProvider(ProviderConfig config)
    : LlmProvider(std::move(config))
{}

Result<LlmProvider::PreparedRequest> AnthropicProvider::prepare(const ChatRequest &request,
                                                                const QByteArray &apiKey) const
{
    PreparedRequest prepared;
    // base_url is the host, as in Anthropic's SDKs; one that already ends in /v1 works too.
    const bool hasVersion =
        config().baseUrl.path().endsWith(u"/v1") || config().baseUrl.path().endsWith(u"/v1/");
    prepared.url = endpoint(config().baseUrl, hasVersion ? u"/messages"_s : u"/v1/messages"_s);
    if (!apiKey.isEmpty())
        prepared.headers.emplace_back("x-api-key", apiKey);
    prepared.headers.emplace_back("anthropic-version", ApiVersion);

    // The Messages API takes the system prompt as a top-level parameter, never as a message.
    std::string system = request.system;
    auto messages = nlohmann::ordered_json::array();
    for (const ChatMessage &message : request.messages) {
        if (message.role == "system") {
            system += (system.empty() ? "" : "\n\n") + message.content;
            continue;
        }
        messages.push_back({{"role", message.role}, {"content", message.content}});
    }
    nlohmann::ordered_json body;
    body["model"] = request.model;
    body["max_tokens"] = request.maxTokens.value_or(config().defaultMaxTokens);
    if (!system.empty())
        body["system"] = system;
    body["messages"] = std::move(messages);
    if (request.temperature)
        body["temperature"] = *request.temperature;
    if (request.topP)
        body["top_p"] = *request.topP;
    if (!request.stop.empty())
        body["stop_sequences"] = request.stop;
    if (request.seed)
        prepared.warnings.emplace_back("seed was not sent: the Anthropic Messages API has none");
    if (request.stream)
        body["stream"] = true;
    if (auto merged = mergeExtra(body, request.extra, prepared.warnings); !merged)
        return std::unexpected(merged.error());
    auto bytes = serialize(body);
    if (!bytes)
        return std::unexpected(bytes.error());
    prepared.body = std::move(*bytes);
    return prepared;
}

std::optional<QString> AnthropicProvider::readResponse(const json &body, ChatResult &result) const
{
    if (text(body, "type") != "message")
        return u"expected a message object (\"type\": \"message\")"_s;
    const json &content = member(body, "content");
    if (!content.is_array())
        return u"no \"content\" array in the message"_s;
    result.content.clear();
    for (const json &block : content) {
        if (text(block, "type") == "text")
            result.content += text(block, "text");
    }
    setFinish(text(body, "stop_reason"), result);
    result.responseId = text(body, "id");
    result.model = text(body, "model");
    readUsage(member(body, "usage"), result);
    return std::nullopt;
}

std::unique_ptr<StreamDecoder> AnthropicProvider::newStreamDecoder() const
{
    return std::make_unique<AnthropicStreamDecoder>();
}

QString AnthropicProvider::errorDetail(const json &body) const
{
    const json &error = member(body, "error");
    const std::string message = text(error, "message");
    if (message.empty())
        return {};
    const std::string type = text(error, "type");
    return QString::fromStdString(message) +
           (type.empty() ? QString() : u" ("_s + QString::fromStdString(type) + u')');
}

} // namespace llmaudit
