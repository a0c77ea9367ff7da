#include "ollamaprovider.h"

#include "providerutil.h"

#include <array>

namespace llmaudit {

namespace {

using namespace Qt::StringLiterals;
using namespace providerutil;
using nlohmann::json;

// Keys of /api/chat itself; any other extra parameter is a model option.
constexpr std::array TopLevelKeys{"format", "keep_alive", "tools", "think"};

void readFinal(const json &object, ChatResult &result)
{
    result.rawFinishReason = text(object, "done_reason");
    result.finishReason = result.rawFinishReason; // Ollama's words are already stop and length
    result.usage.promptTokens = integer(object, "prompt_eval_count");
    result.usage.completionTokens = integer(object, "eval_count");
    if (result.usage.promptTokens && result.usage.completionTokens)
        result.usage.totalTokens = *result.usage.promptTokens + *result.usage.completionTokens;
    if (result.model.empty())
        result.model = text(object, "model");
}

// One JSON object a line; the last has "done": true and the counts.
class OllamaStreamDecoder final : public StreamDecoder
{
public:
    Fed feed(QByteArrayView bytes, ChatResult &result) override
    {
        m_pending.append(bytes);
        Fed fed;
        for (qsizetype newline; (newline = m_pending.indexOf('\n')) >= 0;) {
            const QByteArray line = m_pending.left(newline).trimmed(); // CRLF too
            m_pending.remove(0, newline + 1);
            if (!readLine(line, result, fed))
                break;
        }
        return fed;
    }

    Fed end(ChatResult &result) override
    {
        const QByteArray line = m_pending.trimmed();
        m_pending.clear();
        Fed fed;
        readLine(line, result, fed);
        return fed;
    }

    bool complete() const override { return m_done; }
    QString expectedEnd() const override { return u"the final line with \"done\": true"_s; }

private:
    // Reads one line into the result and `fed`; false when it ends the stream with a problem.
    bool readLine(const QByteArray &line, ChatResult &result, Fed &fed)
    {
        if (line.isEmpty() || m_done)
            return true;
        const json object =
            json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
        if (object.is_discarded() || !object.is_object()) {
            fed.problem =
                Problem{FailureKind::MalformedResponse,
                        u"a stream line is not a JSON object: "_s +
                            excerpt(std::string_view(line.constData(), size_t(line.size())))};
            return false;
        }
        if (const std::string error = text(object, "error"); !error.empty()) {
            fed.problem =
                Problem{FailureKind::StreamError,
                        u"the server reported an error in the stream: "_s + excerpt(error)};
            return false;
        }
        if (result.model.empty())
            result.model = text(object, "model");
        const std::string piece = text(member(object, "message"), "content");
        result.content += piece;
        fed.pieces.push_back(piece);
        if (member(object, "done") == true) {
            m_done = true;
            readFinal(object, result);
        }
        return true;
    }

    QByteArray m_pending;
    bool m_done = false;
};

} // namespace

OllamaProvider::OllamaProvider(ProviderConfig config)
    : LlmProvider(std::move(config))
{}

Result<LlmProvider::PreparedRequest> OllamaProvider::prepare(const ChatRequest &request,
                                                             const QByteArray &apiKey) const
{
    PreparedRequest prepared;
    prepared.url = endpoint(config().baseUrl, u"/api/chat"_s);
    // Ollama itself has no keys; a proxy in front of it may want one.
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
    body["stream"] = request.stream; // always said: Ollama streams unless told not to

    nlohmann::ordered_json options = nlohmann::ordered_json::object();
    if (request.temperature)
        options["temperature"] = *request.temperature;
    if (request.topP)
        options["top_p"] = *request.topP;
    if (request.seed)
        options["seed"] = *request.seed;
    if (request.maxTokens)
        options["num_predict"] = *request.maxTokens;
    if (!request.stop.empty())
        options["stop"] = request.stop;

    // Extra parameters: Ollama's own top-level keys stay there, "options" and everything else
    // are model options.
    json topLevel = json::object();
    json modelOptions = json::object();
    if (request.extra.is_object()) {
        for (const auto &[key, value] : request.extra.items()) {
            if (key == "options" && value.is_object())
                modelOptions.update(value);
            else if (std::ranges::find(TopLevelKeys, key) != TopLevelKeys.end() || key == "model" ||
                     key == "messages" || key == "stream")
                topLevel[key] = value;
            else
                modelOptions[key] = value;
        }
    } else {
        topLevel = request.extra; // mergeExtra refuses what is not an object
    }
    if (auto merged = mergeExtra(body, topLevel, prepared.warnings); !merged)
        return std::unexpected(merged.error());
    for (const auto &[key, value] : modelOptions.items()) {
        if (options.contains(key)) {
            prepared.warnings.push_back("extra option \"" + key +
                                        "\" was not sent: the request sets it already");
            continue;
        }
        options[key] = value;
    }
    if (!options.empty())
        body["options"] = std::move(options);

    auto bytes = serialize(body);
    if (!bytes)
        return std::unexpected(bytes.error());
    prepared.body = std::move(*bytes);
    return prepared;
}

std::optional<QString> OllamaProvider::readResponse(const json &body, ChatResult &result) const
{
    const json &message = member(body, "message");
    if (!message.is_object())
        return u"no \"message\" in the response"_s;
    result.content = text(message, "content");
    readFinal(body, result);
    return std::nullopt;
}

std::unique_ptr<StreamDecoder> OllamaProvider::newStreamDecoder() const
{
    return std::make_unique<OllamaStreamDecoder>();
}

QString OllamaProvider::errorDetail(const json &body) const
{
    return QString::fromStdString(text(body, "error"));
}

} // namespace llmaudit
