#include "replayplan.h"

#include "logschema.h"

#include <QDateTime>
#include <QFile>
#include <QRandomGenerator>

#include <cmath>

namespace llmaudit {

namespace {

using nlohmann::json;
using namespace Qt::StringLiterals;

const json *member(const json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> stringMember(const json &object, const char *key)
{
    const json *value = member(object, key);
    if (value && value->is_string())
        return value->get<std::string>();
    return std::nullopt;
}

QString quotedText(std::string_view text)
{
    return u'"' + QString::fromUtf8(text.data(), qsizetype(text.size())) + u'"';
}

// Replaces {name} placeholders in one left-to-right pass; unknown ones stay as they are.
std::string substitute(std::string_view pattern,
                       const std::vector<std::pair<std::string_view, std::string_view>> &values)
{
    std::string out;
    out.reserve(pattern.size());
    size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == '{') {
            const size_t close = pattern.find('}', i + 1);
            if (close != std::string_view::npos) {
                const std::string_view name = pattern.substr(i + 1, close - i - 1);
                bool replaced = false;
                for (const auto &[key, value] : values)
                    if (key == name) {
                        out += value;
                        replaced = true;
                        break;
                    }
                if (replaced) {
                    i = close + 1;
                    continue;
                }
            }
        }
        out += pattern[i++];
    }
    return out;
}

// A message's content as text: a string, null (nothing), or content parts that are all text.
Result<std::string> contentText(const json &content, size_t index,
                                std::vector<std::string> &warnings)
{
    if (content.is_string())
        return content.get<std::string>();
    if (content.is_null()) {
        warnings.push_back("message " + std::to_string(index) +
                           " has no text content (a tool call?): sent as empty text");
        return std::string();
    }
    if (content.is_array()) {
        std::string text;
        for (const json &part : content) {
            if (part.is_string()) {
                text += part.get<std::string>();
                continue;
            }
            const auto type = stringMember(part, "type");
            const auto partText = stringMember(part, "text");
            if (partText && (!type || *type == "text" || *type == "input_text")) {
                text += *partText;
                continue;
            }
            return fail(
                u"message %1 has a content part of type %2: only text can be replayed"_s.arg(index)
                    .arg(quotedText(type.value_or("unknown"))),
                u"/request/messages/%1/content"_s.arg(index));
        }
        return text;
    }
    return fail(u"message %1: content is neither text nor a list of parts"_s.arg(index),
                u"/request/messages/%1/content"_s.arg(index));
}

bool isSystemRole(const std::string &role)
{
    return role == "system" || role == "developer";
}

std::optional<double> number(const json &value)
{
    if (value.is_number())
        return value.get<double>();
    return std::nullopt;
}

// An integer, also when written with a zero fractional part (38.0), as the log format allows.
std::optional<int64_t> integer(const json &value)
{
    if (value.is_number_integer())
        return value.get<int64_t>();
    if (value.is_number_float()) {
        const double d = value.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15)
            return static_cast<int64_t>(d);
    }
    return std::nullopt;
}

Error parameterError(const std::string &key, const char *expected, const json &value)
{
    return Error{u"parameter %1: expected %2, got %3"_s.arg(quotedText(key),
                                                            QLatin1StringView(expected),
                                                            QString::fromUtf8(value.type_name())),
                 u"/request/parameters/"_s + QString::fromStdString(key)};
}

// Puts the parameters into the request's typed fields and `extra`.
Result<void> applyParameters(const json &parameters, ChatRequest &request)
{
    for (const auto &[key, value] : parameters.items()) {
        if (key == "model")
            continue;
        if (key == "temperature") {
            request.temperature = number(value);
            if (!request.temperature)
                return std::unexpected(parameterError(key, "a number", value));
        } else if (key == "top_p") {
            request.topP = number(value);
            if (!request.topP)
                return std::unexpected(parameterError(key, "a number", value));
        } else if (key == "max_tokens") {
            request.maxTokens = integer(value);
            if (!request.maxTokens)
                return std::unexpected(parameterError(key, "an integer", value));
        } else if (key == "seed") {
            request.seed = integer(value);
            if (!request.seed)
                return std::unexpected(parameterError(key, "an integer", value));
        } else if (key == "stop") {
            request.stop.clear();
            if (value.is_string()) {
                request.stop.push_back(value.get<std::string>());
            } else if (value.is_array() &&
                       std::ranges::all_of(value, [](const json &v) { return v.is_string(); })) {
                for (const json &v : value)
                    request.stop.push_back(v.get<std::string>());
            } else {
                return std::unexpected(parameterError(key, "a string or a list of strings", value));
            }
        } else {
            request.extra[key] = value;
        }
    }
    return {};
}

void replaceSecret(json &value, const std::string &secret)
{
    if (value.is_string()) {
        std::string text = value.get<std::string>();
        size_t at = 0;
        bool changed = false;
        while ((at = text.find(secret, at)) != std::string::npos) {
            text.replace(at, secret.size(), "<API key>");
            at += 9;
            changed = true;
        }
        if (changed)
            value = std::move(text);
    } else if (value.is_structured()) {
        for (auto &item : value)
            replaceSecret(item, secret);
    }
}

} // namespace

// --- ContextTemplate -------------------------------------------------------------------------

std::string ContextTemplate::render(const json &context, std::string_view prompt) const
{
    std::string documents;
    int n = 0;
    if (context.is_array()) {
        for (const json &item : context) {
            const auto content = stringMember(item, "content");
            if (!content || content->empty())
                continue;
            const std::string number = std::to_string(++n);
            const std::string source = stringMember(item, "source").value_or("");
            if (n > 1)
                documents += separator;
            documents +=
                substitute(document, {{"n", number}, {"content", *content}, {"source", source}});
        }
    }
    if (n == 0)
        return std::string(prompt);
    return substitute(message, {{"context", documents}, {"prompt", prompt}});
}

json ContextTemplate::toJson() const
{
    return {{"message", message}, {"document", document}, {"separator", separator}};
}

Result<ContextTemplate> ContextTemplate::fromJson(const json &value, const QString &where)
{
    if (!value.is_object())
        return fail(u"a context template is a JSON object with \"message\", \"document\" and "
                    "\"separator\""_s,
                    where);
    ContextTemplate t;
    for (const auto &[key, item] : value.items()) {
        std::string *field = key == "message"     ? &t.message
                             : key == "document"  ? &t.document
                             : key == "separator" ? &t.separator
                                                  : nullptr;
        if (!field)
            return fail(u"unknown key %1 (message, document, separator)"_s.arg(quotedText(key)),
                        where + u" /"_s + QString::fromStdString(key));
        if (!item.is_string())
            return fail(u"expected a string"_s, where + u" /"_s + QString::fromStdString(key));
        *field = item.get<std::string>();
    }
    return t;
}

Result<ContextTemplate> ContextTemplate::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot read the context template: "_s + file.errorString(), path);
    const QByteArray bytes = file.readAll();
    json value = json::parse(bytes.constData(), bytes.constData() + bytes.size(), nullptr, false);
    if (value.is_discarded())
        return fail(u"the context template is not valid JSON"_s, path);
    return fromJson(value, path);
}

// --- small things ----------------------------------------------------------------------------

std::string_view toString(SessionMode mode)
{
    return mode == SessionMode::History ? "history" : "counterfactual";
}

std::optional<SessionMode> sessionModeFromString(std::string_view text)
{
    if (text == "history")
        return SessionMode::History;
    if (text == "counterfactual")
        return SessionMode::Counterfactual;
    return std::nullopt;
}

bool ReplayOverrides::isEmpty() const
{
    return !prompt && !systemPrompt && !context && !model &&
           (!parameters.is_object() || parameters.empty());
}

json ReplayOverrides::toJson() const
{
    json out = json::object();
    if (prompt)
        out["prompt"] = *prompt;
    if (systemPrompt)
        out["system_prompt"] = *systemPrompt;
    if (context)
        out["context"] = *context;
    if (model)
        out["model"] = *model;
    if (parameters.is_object() && !parameters.empty())
        out["parameters"] = parameters;
    return out;
}

std::string recordedModel(const json &document)
{
    if (const json *request = member(document, "request"))
        if (const json *parameters = member(*request, "parameters"))
            if (auto model = stringMember(*parameters, "model"); model && !model->empty())
                return *model;
    if (const json *response = member(document, "response"))
        if (auto model = stringMember(*response, "model"); model && !model->empty())
            return *model;
    return {};
}

Result<ProviderConfig> chooseProvider(const std::vector<ProviderConfig> &providers,
                                      const QString &name, std::string_view model)
{
    if (providers.empty())
        return fail(u"no LLM provider is configured: add one to %1 (see docs/providers.md)"_s.arg(
            defaultProvidersPath()));
    if (!name.isEmpty()) {
        for (const ProviderConfig &p : providers)
            if (p.name == name)
                return p;
        QStringList names;
        for (const ProviderConfig &p : providers)
            names << p.name;
        return fail(u"no provider named \"%1\" (configured: %2)"_s.arg(name, names.join(u", ")));
    }
    const QString wanted = QString::fromUtf8(model.data(), qsizetype(model.size()));
    if (!wanted.isEmpty())
        for (const ProviderConfig &p : providers)
            if (p.defaultModel == wanted)
                return p;
    return providers.front();
}

Result<std::pair<std::string, json>> parseParameter(QStringView text)
{
    const qsizetype equals = text.indexOf(u'=');
    if (equals <= 0)
        return fail(u"a parameter is KEY=VALUE, got \"%1\""_s.arg(text));
    const std::string key = text.left(equals).trimmed().toString().toStdString();
    const std::string valueText = text.mid(equals + 1).toString().toStdString();
    json value = json::parse(valueText, nullptr, false);
    if (value.is_discarded())
        value = valueText;
    return std::pair{key, std::move(value)};
}

double responseSimilarity(const Comparison &comparison)
{
    if (comparison.response.editSimilarity)
        return *comparison.response.editSimilarity;
    if (comparison.response.rougeL)
        return *comparison.response.rougeL;
    return comparison.response.tokenJaccard;
}

std::string newReplayRunId()
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(u"yyyyMMdd-HHmmss"_s);
    const quint32 random = QRandomGenerator::global()->generate() & 0xffffffu;
    return u"run-%1-%2"_s.arg(stamp).arg(qulonglong(random), 6, 16, QChar(u'0')).toStdString();
}

// --- messages --------------------------------------------------------------------------------

Result<std::vector<ChatMessage>> recordMessages(const json &document,
                                                const ContextTemplate &contextTemplate,
                                                bool *rebuilt, std::vector<std::string> *warnings)
{
    std::vector<std::string> ignored;
    std::vector<std::string> &notes = warnings ? *warnings : ignored;
    static const json empty = json::object();
    const json *requestPtr = member(document, "request");
    const json &request = requestPtr ? *requestPtr : empty;
    std::vector<ChatMessage> messages;
    if (const json *recorded = member(request, "messages");
        recorded && recorded->is_array() && !recorded->empty()) {
        if (rebuilt)
            *rebuilt = false;
        size_t index = 0;
        for (const json &item : *recorded) {
            const auto role = stringMember(item, "role");
            if (!role)
                return fail(u"message %1 has no role"_s.arg(index),
                            u"/request/messages/%1"_s.arg(index));
            static const json null;
            const json *content = member(item, "content");
            auto text = contentText(content ? *content : null, index, notes);
            if (!text)
                return std::unexpected(text.error());
            for (const auto &[key, value] : item.items())
                if (key != "role" && key != "content")
                    notes.push_back("message " + std::to_string(index) + ": \"" + key +
                                    "\" is not sent (only role and content are)");
            messages.push_back({*role, std::move(*text)});
            ++index;
        }
        return messages;
    }
    if (rebuilt)
        *rebuilt = true;
    const auto system = stringMember(request, "system_prompt");
    const auto prompt = stringMember(request, "prompt");
    static const json noContext;
    const json *context = member(request, "context");
    if (!prompt && !(context && context->is_array() && !context->empty()))
        return fail(u"the record has neither request.messages nor a prompt: there is nothing to "
                    "replay"_s,
                    u"/request"_s);
    if (system && !system->empty())
        messages.push_back({"system", *system});
    messages.push_back(
        {"user", contextTemplate.render(context ? *context : noContext, prompt.value_or(""))});
    return messages;
}

// --- planning --------------------------------------------------------------------------------

Result<ReplayPlan> planReplay(const json &original, const ReplaySpec &spec,
                              const std::vector<ProviderConfig> &providers,
                              const ContextTemplate &contextTemplate)
{
    if (!original.is_object())
        return fail(u"the original record is not a JSON object"_s);
    ReplayPlan plan;
    plan.original = original;
    plan.originalId = stringMember(original, "interaction_id").value_or("");
    plan.spec = spec;
    plan.contextTemplate = contextTemplate;
    const ReplayOverrides &o = spec.overrides;
    static const json empty = json::object();
    const json *requestPtr = member(original, "request");
    const json &request = requestPtr ? *requestPtr : empty;

    // The texts: overridden, else as recorded.
    plan.prompt = o.prompt ? o.prompt : stringMember(request, "prompt");
    plan.systemPrompt = o.systemPrompt ? o.systemPrompt : stringMember(request, "system_prompt");
    if (o.context) {
        plan.context = json::array();
        for (const std::string &content : *o.context)
            plan.context.push_back({{"content", content}});
    } else if (const json *context = member(request, "context"); context && context->is_array()) {
        plan.context = *context;
    }

    // The messages.
    std::vector<ChatMessage> messages;
    if (spec.messages) {
        messages = *spec.messages;
        plan.messagesFrom = "session";
    } else {
        json base = original;
        if (o.prompt || o.context || o.systemPrompt) {
            // A record without messages is rebuilt from the texts as overridden.
            json &r = base["request"];
            if (!r.is_object())
                r = json::object();
            if (plan.prompt)
                r["prompt"] = *plan.prompt;
            if (plan.systemPrompt)
                r["system_prompt"] = *plan.systemPrompt;
            if (!plan.context.is_null())
                r["context"] = plan.context;
        }
        bool rebuilt = false;
        auto recorded = recordMessages(base, contextTemplate, &rebuilt, &plan.warnings);
        if (!recorded)
            return std::unexpected(recorded.error());
        messages = std::move(*recorded);
        plan.messagesFrom = rebuilt ? "rebuilt" : "recorded";
    }
    if (plan.messagesFrom != "rebuilt") {
        // Overrides go into the recorded messages: the system prompt into the leading system
        // message, the prompt in place of the original prompt within the last user message
        // when it is found there once, and otherwise the last user message rebuilt with the
        // template.
        if (o.systemPrompt) {
            const bool hasSystem = !messages.empty() && isSystemRole(messages.front().role);
            if (o.systemPrompt->empty()) {
                if (hasSystem)
                    messages.erase(messages.begin());
            } else if (hasSystem) {
                messages.front().content = *o.systemPrompt;
            } else {
                messages.insert(messages.begin(), ChatMessage{"system", *o.systemPrompt});
            }
        }
        if (o.prompt || o.context) {
            auto last = std::ranges::find_if(messages.rbegin(), messages.rend(),
                                             [](const ChatMessage &m) { return m.role == "user"; });
            if (last == messages.rend())
                return fail(u"the messages have no user message to put the prompt or context "
                            "into"_s,
                            u"/request/messages"_s);
            const auto recordedPrompt = stringMember(request, "prompt");
            bool inPlace = false;
            if (o.prompt && !o.context && recordedPrompt && !recordedPrompt->empty()) {
                const size_t at = last->content.find(*recordedPrompt);
                if (at != std::string::npos &&
                    last->content.find(*recordedPrompt, at + 1) == std::string::npos) {
                    last->content.replace(at, recordedPrompt->size(), *o.prompt);
                    inPlace = true;
                }
            }
            if (!inPlace) {
                const std::string prompt = plan.prompt.value_or(last->content);
                last->content = contextTemplate.render(plan.context, prompt);
                plan.warnings.push_back(
                    "the last user message was rebuilt from the context template");
            }
        }
    }
    if (messages.empty())
        return fail(u"there are no messages to send"_s);

    // The parameters and the model.
    json parameters = json::object();
    if (const json *recorded = member(request, "parameters"); recorded && recorded->is_object())
        parameters = *recorded;
    if (o.parameters.is_object())
        for (const auto &[key, value] : o.parameters.items()) {
            if (value.is_null())
                parameters.erase(key);
            else
                parameters[key] = value;
        }
    for (const char *key : {"messages", "stream"})
        if (parameters.erase(key))
            plan.warnings.push_back(std::string("parameter \"") + key +
                                    "\" of the record is not sent: the replay sets it");
    std::string model;
    if (o.model && !o.model->empty())
        model = *o.model;
    else if (auto named = stringMember(parameters, "model"); named && !named->empty())
        model = *named;
    else
        model = recordedModel(original);

    auto provider = chooseProvider(providers, spec.provider, model);
    if (!provider)
        return std::unexpected(provider.error());
    plan.provider = std::move(*provider);
    if (model.empty())
        model = plan.provider.defaultModel.toStdString();
    if (model.empty())
        return fail(u"no model: the record names none, none was given, and provider \"%1\" has "
                    "no \"model\""_s.arg(plan.provider.name));
    parameters["model"] = model;

    plan.request.model = model;
    plan.request.messages = std::move(messages);
    plan.request.stream = spec.stream;
    if (auto applied = applyParameters(parameters, plan.request); !applied)
        return std::unexpected(applied.error());
    plan.parameters = std::move(parameters);
    return plan;
}

// --- the record ------------------------------------------------------------------------------

json replayRecord(const ReplayPlan &plan, const ChatResult &result,
                  const std::string &interactionId, int64_t timestampMs)
{
    const json &original = plan.original;
    json record = json::object();
    record["schema_version"] = "1.0";
    record["interaction_id"] = interactionId;
    record["timestamp"] = LogSchema::formatDateTime(timestampMs);
    record["user_id"] = stringMember(original, "user_id").value_or("");
    record["session_id"] = stringMember(original, "session_id").value_or("");
    record["replay_of"] = plan.originalId;

    json request = json::object();
    if (plan.prompt)
        request["prompt"] = *plan.prompt;
    if (plan.systemPrompt)
        request["system_prompt"] = *plan.systemPrompt;
    json messages = json::array();
    for (const ChatMessage &m : plan.request.messages)
        messages.push_back({{"role", m.role}, {"content", m.content}});
    request["messages"] = std::move(messages);
    if (plan.context.is_array())
        request["context"] = plan.context;
    request["parameters"] = plan.parameters;
    record["request"] = std::move(request);

    json response = json::object();
    if (!result.responseId.empty())
        response["id"] = result.responseId;
    response["model"] = result.model.empty() ? plan.request.model : result.model;
    if (!result.systemFingerprint.empty())
        response["system_fingerprint"] = result.systemFingerprint;
    response["content"] = result.content;
    if (result.usage.completionTokens)
        response["completion_tokens"] = *result.usage.completionTokens;
    if (!result.finishReason.empty())
        response["finish_reason"] = result.finishReason;
    record["response"] = std::move(response);

    json metrics = json::object();
    if (result.usage.promptTokens)
        metrics["prompt_tokens"] = *result.usage.promptTokens;
    if (result.usage.totalTokens)
        metrics["total_tokens"] = *result.usage.totalTokens;
    else if (result.usage.promptTokens && result.usage.completionTokens)
        metrics["total_tokens"] = *result.usage.promptTokens + *result.usage.completionTokens;
    metrics["latency_ms"] = result.latencyMs;
    metrics["llm_time_ms"] = result.latencyMs;
    record["metrics"] = std::move(metrics);

    // The replay carries the original's data: it is as sensitive.
    if (const json *security = member(original, "security"))
        if (auto level = stringMember(*security, "sensitivity_level"))
            record["security"] = {{"sensitivity_level", *level}};

    json replay = json::object();
    if (!plan.spec.runId.empty())
        replay["run_id"] = plan.spec.runId;
    replay["provider"] = {{"name", plan.provider.name.toStdString()},
                          {"kind", toString(plan.provider.kind).toStdString()},
                          {"base_url", plan.provider.baseUrl.toString().toStdString()}};
    replay["messages_from"] = plan.messagesFrom;
    if (plan.messagesFrom == "rebuilt" ||
        std::ranges::find(plan.warnings,
                          std::string("the last user message was rebuilt from the context "
                                      "template")) != plan.warnings.end())
        replay["context_template"] = plan.contextTemplate.toJson();
    if (plan.spec.sessionMode)
        replay["session_mode"] = toString(*plan.spec.sessionMode);
    replay["overrides"] = plan.spec.overrides.toJson();
    replay["stream"] = plan.request.stream;
    if (!result.rawFinishReason.empty())
        replay["finish_reason_raw"] = result.rawFinishReason;
    if (result.timeToFirstTokenMs)
        replay["time_to_first_token_ms"] = *result.timeToFirstTokenMs;
    replay["elapsed_ms"] = result.elapsedMs;
    replay["attempts"] = result.attempts;
    replay["http_status"] = result.httpStatus;
    replay["request_url"] = result.requestUrl;
    replay["request_body"] = result.requestBody;
    replay["raw_response"] = result.rawResponse;
    json warnings = json::array();
    for (const std::string &w : plan.warnings)
        warnings.push_back(w);
    for (const std::string &w : result.warnings)
        warnings.push_back(w);
    if (!warnings.empty())
        replay["warnings"] = std::move(warnings);
    record["replay"] = std::move(replay);

    // Keys only travel in headers, but a server may echo one back in a body.
    if (!plan.provider.apiKeyEnv.isEmpty()) {
        const QByteArray key = qgetenv(plan.provider.apiKeyEnv.toLocal8Bit().constData());
        if (key.size() >= 4)
            replaceSecret(record, key.toStdString());
    }
    return record;
}

} // namespace llmaudit
