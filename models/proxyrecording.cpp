#include "proxyrecording.h"

#include "logschema.h"
#include "sseparser.h"

namespace llmaudit {

using json = nlohmann::json;

namespace {

std::string textOf(const json &content)
{
    if (content.is_string())
        return content.get<std::string>();
    std::string text;
    if (content.is_array())
        for (const auto &part : content)
            if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
                part["text"].is_string())
                text += part["text"].get<std::string>();
    return text;
}

struct Answer
{
    std::string content;
    std::string id;
    std::string model;
    std::string fingerprint;
    std::string finishReason;
    std::optional<int64_t> promptTokens, completionTokens, totalTokens;
    json error; // an error body or in-stream error
};

std::optional<int64_t> intAt(const json &object, const char *key)
{
    if (object.is_object() && object.contains(key) && object[key].is_number_integer())
        return object[key].get<int64_t>();
    return std::nullopt;
}

std::string strAt(const json &object, const char *key)
{
    if (object.is_object() && object.contains(key) && object[key].is_string())
        return object[key].get<std::string>();
    return {};
}

void readOpenAiChunk(const json &chunk, Answer &answer, bool streamed)
{
    if (!chunk.is_object())
        return;
    if (chunk.contains("error")) {
        answer.error = chunk["error"];
        return;
    }
    if (answer.id.empty())
        answer.id = strAt(chunk, "id");
    if (answer.model.empty())
        answer.model = strAt(chunk, "model");
    if (answer.fingerprint.empty())
        answer.fingerprint = strAt(chunk, "system_fingerprint");
    if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
        const json &choice = chunk["choices"][0];
        const json &message = streamed ? choice.value("delta", json::object())
                                       : choice.value("message", json::object());
        if (message.is_object() && message.contains("content"))
            answer.content += textOf(message["content"]);
        if (std::string reason = strAt(choice, "finish_reason"); !reason.empty())
            answer.finishReason = reason;
    }
    if (chunk.contains("usage") && chunk["usage"].is_object()) {
        const json &usage = chunk["usage"];
        answer.promptTokens = intAt(usage, "prompt_tokens");
        answer.completionTokens = intAt(usage, "completion_tokens");
        answer.totalTokens = intAt(usage, "total_tokens");
    }
}

void readAnthropicEvent(const json &event, Answer &answer)
{
    if (!event.is_object())
        return;
    const std::string type = strAt(event, "type");
    if (type == "error") {
        answer.error = event.value("error", json());
    } else if (type == "message_start" || type == "message") {
        const json &message = type == "message" ? event : event.value("message", json::object());
        answer.id = strAt(message, "id");
        answer.model = strAt(message, "model");
        if (message.contains("content"))
            answer.content += textOf(message["content"]);
        if (std::string reason = strAt(message, "stop_reason"); !reason.empty())
            answer.finishReason = reason;
        const json usage = message.value("usage", json::object());
        answer.promptTokens = intAt(usage, "input_tokens");
        if (auto out = intAt(usage, "output_tokens"); out && type == "message")
            answer.completionTokens = out;
    } else if (type == "content_block_delta") {
        const json delta = event.value("delta", json::object());
        if (strAt(delta, "type") == "text_delta")
            answer.content += strAt(delta, "text");
    } else if (type == "message_delta") {
        if (std::string reason = strAt(event.value("delta", json::object()), "stop_reason");
            !reason.empty())
            answer.finishReason = reason;
        if (auto out = intAt(event.value("usage", json::object()), "output_tokens"))
            answer.completionTokens = out;
    }
    if (answer.promptTokens && answer.completionTokens)
        answer.totalTokens = *answer.promptTokens + *answer.completionTokens;
}

Answer readAnswer(const ProxyExchange &exchange)
{
    Answer answer;
    const bool sse = exchange.contentType.find("text/event-stream") != std::string::npos;
    if (!sse) {
        json body = json::parse(exchange.responseBody, nullptr, false);
        if (body.is_discarded())
            return answer;
        if (exchange.status >= 400) {
            answer.error = body.contains("error") ? body["error"] : body;
            return answer;
        }
        if (exchange.vendor == ProxyVendor::OpenAI)
            readOpenAiChunk(body, answer, false);
        else
            readAnthropicEvent(body, answer);
        return answer;
    }
    SseParser parser;
    for (const SseEvent &event : parser.feed(QByteArrayView(
             exchange.responseBody.data(), static_cast<qsizetype>(exchange.responseBody.size())))) {
        if (event.data == "[DONE]")
            continue;
        json data = json::parse(event.data.constData(), event.data.constData() + event.data.size(),
                                nullptr, false);
        if (data.is_discarded())
            continue;
        if (exchange.vendor == ProxyVendor::OpenAI)
            readOpenAiChunk(data, answer, true);
        else
            readAnthropicEvent(data, answer);
    }
    return answer;
}

} // namespace

bool isRecordedCall(ProxyVendor vendor, const std::string &method, const std::string &path)
{
    if (method != "POST")
        return false;
    if (vendor == ProxyVendor::OpenAI)
        return path.ends_with("/chat/completions");
    return path.ends_with("/messages");
}

json proxyRecord(const ProxyExchange &exchange, const std::string &interactionId)
{
    json body = json::parse(exchange.requestBody, nullptr, false);
    if (!body.is_object())
        body = json::object();

    json request = json::object();
    json messages = body.value("messages", json::array());
    if (!messages.is_array())
        messages = json::array();
    std::string systemPrompt;
    if (exchange.vendor == ProxyVendor::Anthropic && body.contains("system"))
        systemPrompt = textOf(body["system"]);
    std::string prompt;
    for (const auto &m : messages) {
        if (!m.is_object())
            continue;
        const std::string role = strAt(m, "role");
        if (role == "user")
            prompt = textOf(m.value("content", json()));
        else if ((role == "system" || role == "developer") && systemPrompt.empty())
            systemPrompt = textOf(m.value("content", json()));
    }
    // Only well-formed messages go to request.messages (the schema wants a role); the body as
    // sent stays complete in request.parameters otherwise.
    json valid = json::array();
    bool allValid = true;
    for (const auto &m : messages)
        if (m.is_object() && m.contains("role") && m["role"].is_string())
            valid.push_back(m);
        else
            allValid = false;
    json parameters = body;
    if (allValid)
        parameters.erase("messages");
    if (exchange.vendor == ProxyVendor::Anthropic)
        parameters.erase("system");
    if (!systemPrompt.empty())
        request["system_prompt"] = systemPrompt;
    if (!prompt.empty())
        request["prompt"] = prompt;
    request["messages"] = valid;
    request["parameters"] = parameters;

    const Answer answer = readAnswer(exchange);
    json response = json::object();
    if (exchange.status >= 200 && exchange.status < 300)
        response["content"] = answer.content;
    if (!answer.id.empty())
        response["id"] = answer.id;
    if (!answer.model.empty())
        response["model"] = answer.model;
    if (!answer.fingerprint.empty())
        response["system_fingerprint"] = answer.fingerprint;
    if (!answer.finishReason.empty())
        response["finish_reason"] = answer.finishReason;
    if (answer.completionTokens)
        response["completion_tokens"] = *answer.completionTokens;

    json metrics = {{"latency_ms", exchange.latencyMs}, {"llm_time_ms", exchange.latencyMs}};
    if (answer.promptTokens)
        metrics["prompt_tokens"] = *answer.promptTokens;
    if (answer.totalTokens)
        metrics["total_tokens"] = *answer.totalTokens;

    json proxy = {
        {"vendor", exchange.vendor == ProxyVendor::OpenAI ? "openai" : "anthropic"},
        {"method", exchange.method},
        {"path", exchange.path},
        {"upstream_status", exchange.status},
        {"streamed", exchange.contentType.find("text/event-stream") != std::string::npos}};
    if (!exchange.error.empty())
        proxy["error"] = exchange.error;
    if (!answer.error.is_null())
        proxy["upstream_error"] = answer.error;
    if (exchange.responseTruncated)
        proxy["response_truncated"] = true;

    return {
        {"schema_version", "1.0"},
        {"interaction_id", interactionId},
        {"timestamp", LogSchema::formatDateTime(exchange.startedMs)},
        {"user_id", exchange.userId.empty()
                        ? strAt(body, "user").empty() ? std::string("unknown") : strAt(body, "user")
                        : exchange.userId},
        {"session_id", exchange.sessionId.empty() ? "proxy:" + interactionId : exchange.sessionId},
        {"tags", json::array({"proxy"})},
        {"request", request},
        {"response", response},
        {"metrics", metrics},
        {"proxy", proxy}};
}

} // namespace llmaudit
