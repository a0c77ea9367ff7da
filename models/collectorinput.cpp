#include "collectorinput.h"

#include "jsonparse.h"
#include "logcodec.h"
#include "logschema.h"

#include <QByteArray>

namespace llmaudit {

using json = nlohmann::json;

namespace {

std::string parseErrorText(const json::exception &error)
{
    // nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, ...":
    // keep the part after the bracket.
    std::string text = error.what();
    if (const auto end = text.find("] "); text.starts_with("[json.") && end != std::string::npos)
        text.erase(0, end + 2);
    return text;
}

void addDecoded(CollectorBatch &batch,
                std::expected<DecodedRecord, std::vector<ValidationError>> decoded,
                std::string source, std::string raw)
{
    CollectorItem item;
    if (decoded) {
        item.interactionId = decoded->interaction.interactionId;
        decoded->interaction.document = nullptr; // the writer needs the text and the columns
        item.record = static_cast<int>(batch.records.size());
        batch.records.push_back({std::move(*decoded), std::move(source), {}, {}});
    } else {
        // The id, when the record has one, tells the client which record it was.
        const json parsed = json::parse(raw, nullptr, false);
        if (parsed.is_object() && parsed.contains("interaction_id") &&
            parsed["interaction_id"].is_string())
            item.interactionId = parsed["interaction_id"].get<std::string>();
        item.errors = decoded.error();
        batch.rejects.push_back({std::move(source), decoded.error(), std::move(raw)});
    }
    batch.items.push_back(std::move(item));
}

std::string itemSource(const std::string &source, size_t index)
{
    return source + " [" + std::to_string(index) + "]";
}

} // namespace

Result<CollectorBatch> parseInteractions(std::string_view body, BodyFormat format,
                                         const std::string &source)
{
    CollectorBatch batch;
    if (format == BodyFormat::Ndjson) {
        size_t index = 0;
        size_t lineNumber = 0;
        while (!body.empty()) {
            const size_t end = body.find('\n');
            std::string_view line = body.substr(0, end);
            body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
            ++lineNumber;
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (line.find_first_not_of(" \t") == std::string_view::npos)
                continue; // blank lines separate nothing
            auto decoded = decodeRecord(line, Dialect::Standard);
            addDecoded(batch, std::move(decoded), source + " line " + std::to_string(lineNumber),
                       std::string(line));
            ++index;
        }
        return batch;
    }
    json document;
    try {
        document = parseJson(body);
    } catch (const json::exception &error) {
        return fail(QString::fromStdString(parseErrorText(error)), QStringLiteral("body"));
    }
    if (document.is_object()) {
        addDecoded(batch, decodeParsedRecord(body, std::move(document)), itemSource(source, 0),
                   std::string(body));
        return batch;
    }
    if (!document.is_array())
        return fail(QStringLiteral("expected a JSON object, an array of objects or NDJSON, got %1")
                        .arg(QString::fromUtf8(document.type_name())),
                    QStringLiteral("body"));
    for (size_t i = 0; i < document.size(); ++i) {
        std::string raw = document[i].dump(-1, ' ', false, json::error_handler_t::replace);
        addDecoded(batch, decodeDocument(std::move(document[i])), itemSource(source, i),
                   std::move(raw));
    }
    return batch;
}

// --- OTLP ------------------------------------------------------------------------------------

namespace {

// An OTLP AnyValue in its JSON encoding, as a plain JSON value.
json anyValue(const json &value)
{
    if (!value.is_object())
        return nullptr;
    if (auto it = value.find("stringValue"); it != value.end())
        return *it;
    if (auto it = value.find("boolValue"); it != value.end())
        return *it;
    if (auto it = value.find("intValue"); it != value.end()) {
        // int64 is a JSON string in OTLP/JSON (it may exceed a double's precision)
        if (it->is_string()) {
            try {
                return std::stoll(it->get<std::string>());
            } catch (...) {
                return *it;
            }
        }
        return *it;
    }
    if (auto it = value.find("doubleValue"); it != value.end())
        return *it;
    if (auto it = value.find("bytesValue"); it != value.end())
        return *it;
    if (auto it = value.find("arrayValue"); it != value.end()) {
        json out = json::array();
        if (it->is_object() && it->contains("values") && (*it)["values"].is_array())
            for (const auto &v : (*it)["values"])
                out.push_back(anyValue(v));
        return out;
    }
    if (auto it = value.find("kvlistValue"); it != value.end()) {
        json out = json::object();
        if (it->is_object() && it->contains("values") && (*it)["values"].is_array())
            for (const auto &kv : (*it)["values"])
                if (kv.is_object() && kv.contains("key") && kv["key"].is_string())
                    out[kv["key"].get<std::string>()] = anyValue(kv.value("value", json()));
        return out;
    }
    return nullptr;
}

json attributeMap(const json &list)
{
    json out = json::object();
    if (!list.is_array())
        return out;
    for (const auto &kv : list)
        if (kv.is_object() && kv.contains("key") && kv["key"].is_string())
            out[kv["key"].get<std::string>()] = anyValue(kv.value("value", json()));
    return out;
}

int64_t nanos(const json &value)
{
    try {
        if (value.is_string())
            return std::stoll(value.get<std::string>());
        if (value.is_number())
            return value.get<int64_t>();
    } catch (...) {
    }
    return 0;
}

std::string str(const json &attrs, const char *key)
{
    auto it = attrs.find(key);
    return it != attrs.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> integer(const json &attrs, const char *key)
{
    auto it = attrs.find(key);
    if (it == attrs.end())
        return std::nullopt;
    if (it->is_number())
        return it->get<int64_t>();
    if (it->is_string()) {
        try {
            return std::stoll(it->get<std::string>());
        } catch (...) {
        }
    }
    return std::nullopt;
}

// A value that may be JSON text (gen_ai.input.messages is a JSON string on most exporters).
json structured(const json &value)
{
    if (value.is_string()) {
        json parsed = json::parse(value.get<std::string>(), nullptr, false);
        return parsed.is_discarded() ? value : parsed;
    }
    return value;
}

// The text of a semconv message's parts; the parts themselves when some are not text.
json messageContent(const json &message)
{
    if (message.contains("content"))
        return message["content"];
    if (!message.contains("parts") || !message["parts"].is_array())
        return nullptr;
    std::string text;
    for (const auto &part : message["parts"]) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("content") ||
            !part["content"].is_string())
            return message["parts"];
        text += part["content"].get<std::string>();
    }
    return text;
}

json semconvMessages(const json &value)
{
    json out = json::array();
    const json list = structured(value);
    if (!list.is_array())
        return out;
    for (const auto &message : list) {
        if (!message.is_object())
            continue;
        json m = {{"role", message.value("role", "user")}, {"content", messageContent(message)}};
        if (message.contains("name") && message["name"].is_string())
            m["name"] = message["name"];
        out.push_back(std::move(m));
    }
    return out;
}

std::string textOf(const json &content)
{
    if (content.is_string())
        return content.get<std::string>();
    std::string text;
    if (!content.is_array())
        return text;
    for (const auto &part : content) {
        if (part.is_object() && part.contains("text") && part["text"].is_string())
            text += part["text"].get<std::string>();
        else if (part.is_object() && part.contains("content") && part["content"].is_string())
            text += part["content"].get<std::string>();
    }
    return text;
}

} // namespace

json interactionFromSpan(const json &span, const json &attrs)
{
    const std::string traceId = span.value("traceId", "");
    const std::string spanId = span.value("spanId", "");
    const int64_t start = nanos(span.value("startTimeUnixNano", json()));
    const int64_t end = nanos(span.value("endTimeUnixNano", json()));

    json record = {{"schema_version", "1.0"},
                   {"interaction_id", "otel:" + traceId + ":" + spanId},
                   {"timestamp", LogSchema::formatDateTime(start / 1000000)},
                   {"tags", json::array({"otel"})}};
    if (!traceId.empty())
        record["trace_id"] = traceId;
    if (!spanId.empty())
        record["span_id"] = spanId;
    if (const std::string parent = span.value("parentSpanId", ""); !parent.empty())
        record["parent_span_id"] = parent;
    std::string user = str(attrs, "user.id");
    if (user.empty())
        user = str(attrs, "enduser.id");
    record["user_id"] = user.empty() ? std::string("unknown") : user;
    std::string session = str(attrs, "session.id");
    if (session.empty())
        session = str(attrs, "gen_ai.conversation.id");
    record["session_id"] = session.empty() ? "trace:" + traceId : session;

    // Parameters: every gen_ai.request.* attribute, under its short name.
    json parameters = json::object();
    for (const auto &[key, value] : attrs.items())
        if (key.starts_with("gen_ai.request."))
            parameters[key.substr(strlen("gen_ai.request."))] = value;
    if (std::string op = str(attrs, "gen_ai.operation.name"); !op.empty())
        parameters["operation"] = op;
    std::string provider = str(attrs, "gen_ai.provider.name");
    if (provider.empty())
        provider = str(attrs, "gen_ai.system");
    if (!provider.empty())
        parameters["provider"] = provider;

    // Messages: the current attributes, the older span events, or Traceloop's indexed ones.
    json messages = json::array();
    std::string systemPrompt;
    json output = json::array();
    if (attrs.contains("gen_ai.system_instructions")) {
        const json instructions = structured(attrs["gen_ai.system_instructions"]);
        systemPrompt = textOf(instructions);
    }
    if (attrs.contains("gen_ai.input.messages"))
        messages = semconvMessages(attrs["gen_ai.input.messages"]);
    if (attrs.contains("gen_ai.output.messages"))
        output = semconvMessages(attrs["gen_ai.output.messages"]);
    std::string finishFromOutput;
    if (attrs.contains("gen_ai.output.messages")) {
        const json list = structured(attrs["gen_ai.output.messages"]);
        if (list.is_array() && !list.empty() && list[0].is_object())
            finishFromOutput = list[0].value("finish_reason", "");
    }
    if (messages.empty() && span.contains("events") && span["events"].is_array()) {
        for (const auto &event : span["events"]) {
            const std::string name = event.value("name", "");
            const json eventAttrs = attributeMap(event.value("attributes", json()));
            if (name == "gen_ai.content.prompt" && eventAttrs.contains("gen_ai.prompt")) {
                const json prompt = structured(eventAttrs["gen_ai.prompt"]);
                if (prompt.is_array())
                    messages = semconvMessages(prompt);
                else
                    messages.push_back({{"role", "user"}, {"content", textOf(prompt)}});
            } else if (name == "gen_ai.content.completion" &&
                       eventAttrs.contains("gen_ai.completion")) {
                const json completion = structured(eventAttrs["gen_ai.completion"]);
                if (completion.is_array())
                    output = semconvMessages(completion);
                else
                    output.push_back({{"role", "assistant"}, {"content", textOf(completion)}});
            } else if (name.starts_with("gen_ai.") && name.ends_with(".message")) {
                const std::string role = name.substr(7, name.size() - 7 - 8);
                json content =
                    eventAttrs.contains("content") ? structured(eventAttrs["content"]) : json("");
                messages.push_back(
                    {{"role", eventAttrs.value("role", role)}, {"content", content}});
            } else if (name == "gen_ai.choice") {
                json message = eventAttrs.contains("message") ? structured(eventAttrs["message"])
                                                              : json::object();
                json content = message.is_object() && message.contains("content")
                                   ? message["content"]
                                   : eventAttrs.value("content", json(""));
                output.push_back({{"role", "assistant"}, {"content", content}});
                if (finishFromOutput.empty())
                    finishFromOutput = eventAttrs.value("finish_reason", "");
            }
        }
    }
    if (messages.empty()) {
        for (int i = 0; attrs.contains("gen_ai.prompt." + std::to_string(i) + ".role") ||
                        attrs.contains("gen_ai.prompt." + std::to_string(i) + ".content");
             ++i) {
            const std::string prefix = "gen_ai.prompt." + std::to_string(i) + ".";
            messages.push_back({{"role", attrs.value(prefix + "role", json("user"))},
                                {"content", attrs.value(prefix + "content", json(""))}});
        }
        for (int i = 0; attrs.contains("gen_ai.completion." + std::to_string(i) + ".content");
             ++i) {
            const std::string prefix = "gen_ai.completion." + std::to_string(i) + ".";
            output.push_back({{"role", attrs.value(prefix + "role", json("assistant"))},
                              {"content", attrs[prefix + "content"]}});
            if (finishFromOutput.empty() && attrs.contains(prefix + "finish_reason") &&
                attrs[prefix + "finish_reason"].is_string())
                finishFromOutput = attrs[prefix + "finish_reason"].get<std::string>();
        }
    }

    json request = json::object();
    std::string prompt;
    for (const auto &m : messages) {
        if (!m["role"].is_string())
            continue;
        const std::string role = m["role"].get<std::string>();
        if (role == "user")
            prompt = textOf(m["content"]);
        else if ((role == "system" || role == "developer") && systemPrompt.empty())
            systemPrompt = textOf(m["content"]);
    }
    if (!systemPrompt.empty())
        request["system_prompt"] = systemPrompt;
    if (!prompt.empty())
        request["prompt"] = prompt;
    if (!messages.empty())
        request["messages"] = messages;
    request["parameters"] = parameters;
    record["request"] = request;

    json response = json::object();
    std::string content;
    for (const auto &m : output)
        content += textOf(m["content"]);
    if (!output.empty())
        response["content"] = content;
    if (std::string model = str(attrs, "gen_ai.response.model"); !model.empty())
        response["model"] = model;
    if (std::string id = str(attrs, "gen_ai.response.id"); !id.empty())
        response["id"] = id;
    std::string finish = finishFromOutput;
    if (auto it = attrs.find("gen_ai.response.finish_reasons"); it != attrs.end()) {
        const json reasons = structured(*it);
        if (reasons.is_array() && !reasons.empty() && reasons[0].is_string())
            finish = reasons[0].get<std::string>();
        else if (reasons.is_string())
            finish = reasons.get<std::string>();
    }
    if (!finish.empty())
        response["finish_reason"] = finish;
    auto output_tokens = integer(attrs, "gen_ai.usage.output_tokens");
    if (!output_tokens)
        output_tokens = integer(attrs, "gen_ai.usage.completion_tokens");
    if (output_tokens)
        response["completion_tokens"] = *output_tokens;
    record["response"] = response;

    json metrics = json::object();
    auto input_tokens = integer(attrs, "gen_ai.usage.input_tokens");
    if (!input_tokens)
        input_tokens = integer(attrs, "gen_ai.usage.prompt_tokens");
    if (input_tokens)
        metrics["prompt_tokens"] = *input_tokens;
    if (input_tokens && output_tokens)
        metrics["total_tokens"] = *input_tokens + *output_tokens;
    if (end >= start && end > 0)
        metrics["latency_ms"] = (end - start) / 1000000;
    record["metrics"] = metrics;

    // The span as it came (name, status, every attribute): nothing the mapping skipped is lost.
    json otel = {{"span_name", span.value("name", "")}, {"attributes", attrs}};
    if (span.contains("status"))
        otel["status"] = span["status"];
    if (span.contains("events"))
        otel["events"] = span["events"];
    record["otel"] = std::move(otel);
    return record;
}

Result<CollectorBatch> parseOtlpTraces(std::string_view body, const std::string &source)
{
    json document;
    try {
        document = json::parse(body);
    } catch (const json::exception &error) {
        return fail(QString::fromStdString(parseErrorText(error)), QStringLiteral("body"));
    }
    if (!document.is_object())
        return fail(QStringLiteral("expected an OTLP ExportTraceServiceRequest object"),
                    QStringLiteral("body"));
    CollectorBatch batch;
    const json resourceSpans = document.value("resourceSpans", json::array());
    if (!resourceSpans.is_array())
        return fail(QStringLiteral("expected an array"), QStringLiteral("/resourceSpans"));
    for (size_t r = 0; r < resourceSpans.size(); ++r) {
        const json &rs = resourceSpans[r];
        if (!rs.is_object())
            continue;
        const json resource =
            attributeMap(rs.value("resource", json::object()).value("attributes", json()));
        const json scopeSpans = rs.value("scopeSpans", json::array());
        if (!scopeSpans.is_array())
            continue;
        for (size_t s = 0; s < scopeSpans.size(); ++s) {
            const json spans =
                scopeSpans[s].is_object() ? scopeSpans[s].value("spans", json::array()) : json();
            if (!spans.is_array())
                continue;
            for (size_t i = 0; i < spans.size(); ++i) {
                const json &span = spans[i];
                if (!span.is_object()) {
                    ++batch.ignoredSpans;
                    continue;
                }
                json attrs = attributeMap(span.value("attributes", json()));
                bool genAi = false;
                for (const auto &[key, value] : attrs.items())
                    genAi = genAi || key.starts_with("gen_ai.");
                if (!genAi) {
                    ++batch.ignoredSpans;
                    continue;
                }
                for (const auto &[key, value] : resource.items())
                    if (!attrs.contains(key))
                        attrs[key] = value; // span attributes win over the resource's
                json record = interactionFromSpan(span, attrs);
                const std::string where = source + " /resourceSpans/" + std::to_string(r) +
                                          "/scopeSpans/" + std::to_string(s) + "/spans/" +
                                          std::to_string(i);
                std::string raw = span.dump(-1, ' ', false, json::error_handler_t::replace);
                addDecoded(batch, decodeDocument(std::move(record)), where, std::move(raw));
            }
        }
    }
    return batch;
}

} // namespace llmaudit
