#include "generator.h"

#include "corpus.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace llmaudit::loggen {

namespace {

// Stream tags: each kind of decision draws from its own stream, so that turning an option on
// (hostile payloads, say) leaves every other byte of the output as it was.
enum Tag : uint64_t {
    TagUser = 0x75736572,
    TagSession = 0x73657373,
    TagTurn = 0x7475726e,
    TagHostile = 0x686f7374,
    TagProcess = 0x70726f63,
    TagFingerprint = 0x66707269,
};

constexpr int SpanDays = 60;
constexpr int64_t HourMs = 3600 * 1000;
constexpr int64_t DayMs = 24 * HourMs;

int64_t startMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(sys_days{2026y / January / 5}.time_since_epoch()).count();
}

struct Model
{
    std::string_view name;
    std::string_view reported; // response.model as the provider reports it
    enum class Ids { OpenAi, Anthropic, Ollama, Mistral } ids;
    double latencyFactor;
    double pricePerMInput; // USD per million tokens; 0 = self-hosted
    double pricePerMOutput;
};

constexpr Model Models[] = {
    {"gpt-4o", "gpt-4o-2024-08-06", Model::Ids::OpenAi, 1.0, 2.5, 10.0},
    {"gpt-4o-mini", "gpt-4o-mini-2024-07-18", Model::Ids::OpenAi, 0.7, 0.15, 0.6},
    {"claude-3-5-sonnet", "claude-3-5-sonnet-20241022", Model::Ids::Anthropic, 1.2, 3.0, 15.0},
    {"llama3.1:8b", "llama3.1:8b", Model::Ids::Ollama, 0.8, 0.0, 0.0},
    {"mistral-large", "mistral-large-2407", Model::Ids::Mistral, 1.1, 2.0, 6.0},
};
constexpr double ModelWeights[] = {25, 35, 20, 12, 8};

constexpr std::string_view TagSets[][2] = {
    {"", ""},
    {"rag", "prod"},
    {"rag", "staging"},
    {"pilot", "finance"},
    {"eval-set-2026q1", ""},
    {"prod", "eu-west-1"},
    {"contracts", "legal-review"},
    {"ap-automation", "prod"},
};

constexpr std::string_view Sensitivities[] = {"public", "internal", "confidential", "restricted"};
constexpr double SensitivityWeights[DomainCount][4] = {
    {0.20, 0.50, 0.25, 0.05}, // compliance
    {0.05, 0.35, 0.45, 0.15}, // contracts
    {0.05, 0.40, 0.45, 0.10}, // invoices
    {0.10, 0.50, 0.30, 0.10}, // security
    {0.35, 0.50, 0.12, 0.03}, // code
};

constexpr std::string_view OrdinaryFlagReasons[] = {
    "answer not grounded in the retrieved context",
    "hallucinated citation",
    "user reported the answer as wrong",
    "off-topic request",
    "toxicity score above threshold",
    "answer contradicts the policy document",
};

double rounded(double value, double scale)
{
    return std::round(value * scale) / scale;
}

double clamp01(double value)
{
    return std::clamp(value, 0.0, 1.0);
}

std::size_t sizeBetween(double value, double lo, double hi)
{
    return static_cast<std::size_t>(std::clamp(value, lo, hi));
}

std::string uuid4(Rng &rng)
{
    uint8_t bytes[16];
    for (int half = 0; half < 2; ++half) {
        uint64_t word = rng.next();
        for (int i = 0; i < 8; ++i, word >>= 8)
            bytes[half * 8 + i] = static_cast<uint8_t>(word);
    }
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
    char buf[40];
    std::snprintf(buf, sizeof buf,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                  bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return buf;
}

double shannonEntropy(std::string_view text)
{
    if (text.empty())
        return 0;
    std::array<int64_t, 256> counts{};
    for (char c : text)
        ++counts[static_cast<unsigned char>(c)];
    double entropy = 0;
    const double n = static_cast<double>(text.size());
    for (int64_t count : counts) {
        if (count > 0) {
            const double p = static_cast<double>(count) / n;
            entropy -= p * std::log2(p);
        }
    }
    return entropy;
}

// "0.002345" from a value in dollars, six decimals, trailing zeros dropped.
std::string decimalDollars(double value)
{
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6f", value);
    std::string text(buf);
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.')
        text.pop_back();
    return text;
}

std::string isoDate(int64_t ms)
{
    return isoTimestamp(ms).substr(0, 10);
}

} // namespace

Generator::Generator(const GeneratorOptions &options)
    : m_options(options)
{
    for (int p = 0; p < 4; ++p) {
        Rng rng(mix(m_options.seed, TagProcess, static_cast<uint64_t>(p)));
        m_oidProcess[p] = hexToken(rng, 10);
        m_oidCounter[p] = static_cast<uint32_t>(rng.range(0, 0xffffff));
    }
    buildSchedule();
}

void Generator::buildSchedule()
{
    const int64_t count = std::max<int64_t>(0, m_options.count);
    m_userCount = std::max<int64_t>(5, count / 200);

    struct User
    {
        int tzHours;
        int mainDomain;
    };
    std::vector<User> users;
    users.reserve(static_cast<std::size_t>(m_userCount));
    for (int64_t u = 0; u < m_userCount; ++u) {
        Rng rng(mix(m_options.seed, TagUser, static_cast<uint64_t>(u)));
        static constexpr int Zones[] = {1, -5, 0, 8};
        static constexpr double ZoneWeights[] = {0.45, 0.30, 0.15, 0.10};
        static constexpr double DomainWeights[] = {0.25, 0.20, 0.20, 0.15, 0.20};
        users.push_back(
            {Zones[rng.weighted(ZoneWeights)], static_cast<int>(rng.weighted(DomainWeights))});
    }

    // Weekdays are busy, weekends quiet, and use grows over the two months.
    std::array<double, SpanDays> dayWeights{};
    for (int d = 0; d < SpanDays; ++d)
        dayWeights[static_cast<std::size_t>(d)] =
            (d % 7 < 5 ? 1.0 : 0.22) * (0.75 + 0.5 * d / (SpanDays - 1));

    const int64_t start = startMs();
    int64_t total = 0;
    for (uint32_t s = 0; total < count; ++s) {
        Rng rng(mix(m_options.seed, TagSession, s));
        Session session;
        session.id = "sess-" + hexToken(rng, 12);
        int64_t turns = std::clamp<int64_t>(std::llround(rng.logNormal(4.0, 0.85)), 1, 40);
        turns = std::min(turns, count - total);
        session.turns = static_cast<uint16_t>(turns);
        // A few heavy users, a long tail of occasional ones.
        session.user = static_cast<uint32_t>(std::min<double>(
            static_cast<double>(m_userCount) - 1,
            std::floor(static_cast<double>(m_userCount) * std::pow(rng.uniform(), 1.7))));
        const User &user = users[session.user];
        session.domain =
            static_cast<uint8_t>(rng.chance(0.7) ? user.mainDomain : rng.range(0, DomainCount - 1));
        session.model = static_cast<uint8_t>(rng.weighted(ModelWeights));
        session.systemPrompt =
            static_cast<uint8_t>(systemPromptFor(rng, static_cast<Domain>(session.domain)));
        const double version = rng.uniform();
        session.schemaVersion = version < 0.85 ? 1 : version < 0.88 ? 2 : 0;
        session.tagSet =
            rng.chance(0.45) ? 0 : static_cast<uint8_t>(rng.range(1, std::size(TagSets) - 1));
        session.process = static_cast<uint8_t>(rng.range(0, 3));
        session.chat = rng.chance(0.5);
        session.contentParts = session.chat && rng.chance(0.08);
        session.traced = rng.chance(0.3);
        session.evaluated = rng.chance(0.8);
        session.scanned = rng.chance(0.85);
        session.costed = rng.chance(0.4);
        session.reportsModel = rng.chance(0.9);
        static constexpr double Temperatures[] = {0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0};
        static constexpr double TemperatureWeights[] = {10, 8, 15, 12, 15, 30, 10};
        session.temperature = Temperatures[rng.weighted(TemperatureWeights)];
        static constexpr double TopPs[] = {1.0, 0.95, 0.9};
        session.topP = TopPs[rng.weighted(std::array{0.7, 0.2, 0.1})];
        static constexpr int MaxTokens[] = {0, 256, 512, 1024, 2048, 4096};
        static constexpr double MaxTokenWeights[] = {20, 4, 15, 30, 20, 11};
        session.maxTokens = MaxTokens[rng.weighted(MaxTokenWeights)];
        if (rng.chance(0.3))
            session.seed = rng.chance(0.4) ? 42 : rng.range(0, int64_t{1} << 33);

        const int day = static_cast<int>(rng.weighted(dayWeights));
        const double localHour =
            rng.chance(0.85) ? std::clamp(rng.normal(13.2, 2.8), 5.5, 23.5) : rng.uniform(0, 24);
        int64_t at = start + day * DayMs +
                     static_cast<int64_t>((localHour - user.tzHours) * static_cast<double>(HourMs));
        at = std::max(at, start + rng.range(0, 3600000));

        const double latencyFactor = Models[session.model].latencyFactor;
        for (int64_t turn = 0; turn < turns; ++turn) {
            const double latency = rng.chance(0.012) ? rng.logNormal(9000, 0.5)
                                                     : rng.logNormal(1300, 0.6) * latencyFactor;
            Turn t;
            t.timestampMs = at;
            t.session = s;
            t.turn = static_cast<uint16_t>(turn);
            t.latencyMs = static_cast<int32_t>(std::clamp(latency, 120.0, 30000.0));
            m_schedule.push_back(t);
            const double think = std::clamp(rng.logNormal(45000, 1.0), 2000.0, 1800000.0);
            at += t.latencyMs + static_cast<int64_t>(think);
        }
        m_sessions.push_back(std::move(session));
        total += turns;
    }
    std::sort(m_schedule.begin(), m_schedule.end(), [](const Turn &a, const Turn &b) {
        if (a.timestampMs != b.timestampMs)
            return a.timestampMs < b.timestampMs;
        if (a.session != b.session)
            return a.session < b.session;
        return a.turn < b.turn;
    });
}

GeneratedRecord Generator::make(int64_t index)
{
    const Turn &turn = m_schedule[static_cast<std::size_t>(index)];
    const Session &session = m_sessions[turn.session];
    GeneratedRecord out;
    out.timestampMs = turn.timestampMs;
    out.document = buildRecord(session, turn);

    // A driver's ObjectId: creation second, a per-process random value, a counter.
    uint32_t &counter = m_oidCounter[session.process];
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x%s%06x", static_cast<unsigned>(turn.timestampMs / 1000),
                  m_oidProcess[session.process].c_str(), counter);
    counter = (counter + 1) & 0xffffff;
    out.objectId = buf;
    return out;
}

Value Generator::buildRecord(const Session &session, const Turn &turn)
{
    Rng rng(mix(m_options.seed, TagTurn, turn.session, turn.turn));
    Rng hostileRng(mix(m_options.seed, TagHostile, turn.session, turn.turn));
    const bool hostile = m_options.hostile && hostileRng.chance(0.05);
    const auto domain = static_cast<Domain>(session.domain);
    const Model &model = Models[session.model];

    const std::string interactionId = uuid4(rng);
    std::string prompt = makePrompt(rng, domain, sizeBetween(rng.logNormal(280, 0.75), 100, 2000));

    std::string systemPromptText(systemPrompt(session.systemPrompt));
    if (const auto at = systemPromptText.find("{date}"); at != std::string::npos)
        systemPromptText.replace(at, 6, isoDate(turn.timestampMs));

    static constexpr double ContextCounts[] = {0.25, 0.24, 0.22, 0.17, 0.12};
    const std::size_t contextCount = rng.weighted(ContextCounts);
    std::vector<ContextDoc> documents;
    for (std::size_t i = 0; i < contextCount; ++i)
        documents.push_back(
            makeContextDoc(rng, domain, sizeBetween(rng.logNormal(480, 0.6), 200, 1500)));

    // The answer, and why it ended.
    std::string response;
    std::string finishReason = "stop";
    int64_t completionTokens = 0;
    const double responseTarget = rng.logNormal(520, 0.8);
    if (rng.chance(0.01)) {
        finishReason = "content_filter";
        response = rng.chance(0.5) ? std::string() : makeRefusal(rng);
        completionTokens = static_cast<int64_t>(response.size() / 4);
    } else {
        response = makeResponse(rng, domain, sizeBetween(responseTarget, 100, 4000));
        const double bytesPerToken = rng.uniform(3.6, 4.4);
        const auto limit = static_cast<std::size_t>(session.maxTokens * bytesPerToken);
        if (session.maxTokens > 0 && response.size() > limit) {
            finishReason = "length";
            response = cutAtWord(std::move(response), limit);
            completionTokens = session.maxTokens;
        } else {
            completionTokens = std::max<int64_t>(
                1, std::llround(static_cast<double>(response.size()) / bytesPerToken));
            if (session.maxTokens > 0)
                completionTokens = std::min<int64_t>(completionTokens, session.maxTokens - 1);
        }
    }

    // Personal data and secrets in about one record out of ten.
    std::vector<std::string> rules;
    const bool pii = rng.chance(0.10);
    if (pii) {
        std::string rule;
        const std::string sentence = makePiiSentence(rng, rule);
        const int64_t where = rng.range(0, 9);
        if (where >= 6 && where <= 7 && !documents.empty())
            insertAtSentence(rng, documents[rng.index(documents.size())].content, sentence);
        else if (where >= 8 && !response.empty())
            insertAtSentence(rng, response, sentence);
        else
            insertAtSentence(rng, prompt, sentence);
        rules.push_back(rule);
    }

    std::vector<std::string> extraTags;
    if (hostile) {
        const int64_t payloads = hostileRng.range(1, 3);
        for (int64_t p = 0; p < payloads; ++p) {
            std::string rule;
            const std::string payload = makeHostilePayload(hostileRng, rule);
            const int64_t where = hostileRng.range(0, 9);
            if (where >= 5 && where <= 7 && !response.empty()) {
                insertAtSentence(hostileRng, response, payload);
            } else if (where == 8 && !documents.empty()) {
                insertAtSentence(hostileRng, documents[hostileRng.index(documents.size())].content,
                                 payload);
            } else if (where == 9 && !documents.empty() && payload.size() < 200) {
                documents[hostileRng.index(documents.size())].source += payload;
            } else {
                insertAtSentence(hostileRng, prompt, payload);
            }
            if (!rule.empty())
                rules.push_back(rule);
            if (hostileRng.chance(0.1) && payload.size() < 200)
                extraTags.push_back(payload);
        }
    }

    // The request as sent.
    Value request = Value::object();
    request.set("prompt", Value::of(prompt));
    request.set("system_prompt", Value::of(systemPromptText));
    std::size_t historyBytes = 0;
    std::size_t messageCount = 2;
    if (session.chat) {
        auto message = [&](std::string_view role, const std::string &content) {
            Value m = Value::object();
            m.set("role", Value::of(role));
            if (role == "user" && session.contentParts) {
                Value part = Value::object();
                part.set("type", Value::of("text"));
                part.set("text", Value::of(content));
                Value parts = Value::array();
                parts.push(std::move(part));
                m.set("content", std::move(parts));
            } else {
                m.set("content", Value::of(content));
            }
            return m;
        };
        Value messages = Value::array();
        messages.push(message("system", systemPromptText));
        if (const auto it = m_history.find(turn.session); it != m_history.end()) {
            for (const Exchange &exchange : it->second) {
                messages.push(message("user", exchange.prompt));
                messages.push(message("assistant", exchange.response));
                historyBytes += exchange.prompt.size() + exchange.response.size();
                messageCount += 2;
            }
        }
        messages.push(message("user", prompt));
        request.set("messages", std::move(messages));
    }
    std::size_t contextBytes = 0;
    if (!documents.empty() || rng.chance(0.5)) {
        Value context = Value::array();
        double score = rng.uniform(0.72, 0.93);
        int chunkBase = static_cast<int>(rng.range(0, 40));
        for (const ContextDoc &doc : documents) {
            Value metadata = Value::object();
            metadata.set("chunk", Value::of(chunkBase + static_cast<int>(rng.range(0, 25))));
            metadata.set("score", Value::of(rounded(score, 1e4)));
            metadata.set("title", Value::of(doc.title));
            if (doc.page > 0)
                metadata.set("page", Value::of(doc.page));
            if (!doc.section.empty())
                metadata.set("section", Value::of(doc.section));
            score -= rng.uniform(0.01, 0.08);
            Value item = Value::object();
            item.set("content", Value::of(doc.content));
            item.set("source", Value::of(doc.source));
            item.set("metadata", std::move(metadata));
            context.push(std::move(item));
            contextBytes += doc.content.size();
        }
        request.set("context", std::move(context));
    }
    Value parameters = Value::object();
    parameters.set("model", Value::of(model.name));
    parameters.set("temperature", Value::of(session.temperature));
    parameters.set("top_p", Value::of(session.topP));
    if (session.maxTokens > 0)
        parameters.set("max_tokens", Value::of(session.maxTokens));
    if (session.seed >= 0)
        parameters.set("seed", Value::of(session.seed));
    request.set("parameters", std::move(parameters));

    // The provider's answer.
    Value responseValue = Value::object();
    if (session.reportsModel) {
        switch (model.ids) {
        case Model::Ids::OpenAi:
            responseValue.set(
                "id",
                Value::of(
                    "chatcmpl-" +
                    randomToken(rng, 29,
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")));
            break;
        case Model::Ids::Anthropic:
            responseValue.set(
                "id",
                Value::of(
                    "msg_01" +
                    randomToken(rng, 22,
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")));
            break;
        case Model::Ids::Ollama:
            responseValue.set("id", Value::of("chatcmpl-" + std::to_string(rng.range(1, 999))));
            break;
        case Model::Ids::Mistral:
            responseValue.set("id", Value::of(hexToken(rng, 32)));
            break;
        }
        responseValue.set("model", Value::of(model.reported));
        if (model.ids == Model::Ids::OpenAi) {
            // Fingerprints change when the provider redeploys, every couple of weeks.
            Rng fp(mix(m_options.seed, TagFingerprint, session.model,
                       static_cast<uint64_t>(turn.timestampMs / (14 * DayMs))));
            responseValue.set("system_fingerprint", Value::of("fp_" + hexToken(fp, 10)));
        }
    }
    responseValue.set("content", Value::of(response));
    responseValue.set("completion_tokens", Value::of(completionTokens));
    responseValue.set("finish_reason", Value::of(finishReason));

    // Timings and tokens.
    const std::size_t promptBytes =
        systemPromptText.size() + prompt.size() + contextBytes + historyBytes;
    const int64_t promptTokens =
        std::llround(static_cast<double>(promptBytes) / rng.uniform(3.6, 4.3)) +
        static_cast<int64_t>(4 * messageCount) + 3;
    const int64_t latency = turn.latencyMs;
    double embedding = std::clamp(rng.logNormal(22, 0.5), 3.0, 400.0);
    double retrieval = documents.empty() ? std::clamp(rng.logNormal(15, 0.5), 1.0, 200.0)
                                         : std::clamp(rng.logNormal(70, 0.7), 5.0, 2500.0);
    const auto overhead = static_cast<double>(rng.range(2, 40));
    const double budget = 0.6 * static_cast<double>(latency);
    if (embedding + retrieval + overhead > budget) {
        const double scale = std::max(0.0, budget - overhead) / (embedding + retrieval);
        embedding *= scale;
        retrieval *= scale;
    }
    const auto embeddingMs = static_cast<int64_t>(embedding);
    const auto retrievalMs = static_cast<int64_t>(retrieval);
    const int64_t llmMs =
        std::max<int64_t>(1, latency - embeddingMs - retrievalMs - static_cast<int64_t>(overhead));

    Value metrics = Value::object();
    metrics.set("prompt_tokens", Value::of(promptTokens));
    metrics.set("total_tokens", Value::of(promptTokens + completionTokens));
    metrics.set("latency_ms", Value::of(latency));
    metrics.set("embedding_time_ms", Value::of(embeddingMs));
    metrics.set("retrieval_time_ms", Value::of(retrievalMs));
    metrics.set("llm_time_ms", Value::of(llmMs));
    if (session.costed && model.pricePerMInput > 0) {
        const double cost = (static_cast<double>(promptTokens) * model.pricePerMInput +
                             static_cast<double>(completionTokens) * model.pricePerMOutput) /
                            1e6;
        const std::string digits = decimalDollars(std::max(cost, 0.000001));
        metrics.set("cost_usd", Value::decimal(digits));
    }

    // The record, keys in a fixed order.
    Value record = Value::object();
    if (session.schemaVersion == 1)
        record.set("schema_version", Value::of("1"));
    else if (session.schemaVersion == 2)
        record.set("schema_version", Value::of("1.0"));
    record.set("interaction_id", Value::of(interactionId));
    record.set("timestamp", Value::date(turn.timestampMs));
    char userId[24];
    std::snprintf(userId, sizeof userId, "u-%04u", session.user + 1);
    record.set("user_id", Value::of(userId));
    record.set("session_id", Value::of(session.id));
    if (session.traced) {
        record.set("trace_id", Value::of(hexToken(rng, 32)));
        record.set("span_id", Value::of(hexToken(rng, 16)));
        if (rng.chance(0.5))
            record.set("parent_span_id", Value::of(hexToken(rng, 16)));
    }
    Value tags = Value::array();
    for (std::string_view tag : TagSets[session.tagSet]) {
        if (!tag.empty())
            tags.push(Value::of(tag));
    }
    const double feedback = rng.uniform();
    if (feedback < 0.04)
        tags.push(Value::of("thumbs_down"));
    else if (feedback < 0.10)
        tags.push(Value::of("thumbs_up"));
    for (const std::string &tag : extraTags)
        tags.push(Value::of(tag));
    if (!tags.items.empty())
        record.set("tags", std::move(tags));
    record.set("request", std::move(request));
    record.set("response", std::move(responseValue));
    record.set("metrics", std::move(metrics));

    if (session.evaluated && rng.chance(0.87)) {
        const bool filtered = finishReason == "content_filter";
        double flagChance = 0.02;
        std::string reason(rng.pick(std::span(OrdinaryFlagReasons)));
        if (pii) {
            flagChance = 0.35;
            reason = "possible personal data or secret in the conversation";
        }
        if (hostile) {
            flagChance = 0.6;
            reason = "possible prompt injection or active content";
        }
        if (filtered) {
            flagChance = 0.9;
            reason = "response blocked by the content filter";
        }
        const bool flagged = rng.chance(flagChance);
        Value evaluation = Value::object();
        evaluation.set("relevance_score", Value::of(rounded(clamp01(rng.normal(0.82, 0.12)), 1e3)));
        evaluation.set("quality_score", Value::of(rounded(clamp01(rng.normal(0.78, 0.14)), 1e3)));
        const double security =
            (pii || hostile) ? rng.uniform(0.2, 0.65) : clamp01(rng.normal(0.94, 0.06));
        evaluation.set("security_score", Value::of(rounded(security, 1e3)));
        evaluation.set("flagged", Value::of(flagged));
        if (flagged)
            evaluation.set("flag_reason", Value::of(reason));
        record.set("evaluation", std::move(evaluation));
    }

    if (session.scanned && rng.chance(0.94)) {
        Value security = Value::object();
        security.set("prompt_entropy", Value::of(rounded(shannonEntropy(prompt), 1e4)));
        Value matches = Value::array();
        for (const std::string &rule : rules) {
            if (rng.chance(0.85))
                matches.push(Value::of(rule));
        }
        security.set("yara_matches", std::move(matches));
        Value inspection = Value::object();
        if (pii || hostile || rng.chance(0.25)) {
            Value types = Value::array();
            for (const std::string &rule : rules) {
                if (rule.starts_with("pii_") || rule.starts_with("pci_") ||
                    rule.starts_with("secret_"))
                    types.push(Value::of(rule.substr(rule.find('_') + 1)));
            }
            inspection.set("pii_types", std::move(types));
            inspection.set("injection_score",
                           Value::of(rounded(
                               hostile ? rng.uniform(0.55, 0.99) : rng.uniform(0.0, 0.12), 1e3)));
            inspection.set("blocked", Value::of(finishReason == "content_filter"));
        }
        security.set("token_inspection_result", std::move(inspection));
        std::size_t level =
            rng.weighted(std::span<const double>(SensitivityWeights[session.domain]));
        if (pii && rng.chance(0.7))
            level = std::max<std::size_t>(level, 2);
        security.set("sensitivity_level", Value::of(Sensitivities[level]));
        record.set("security", std::move(security));
    }

    // Remember the exchange for the next turn's messages.
    if (session.chat) {
        if (turn.turn + 1 >= session.turns) {
            m_history.erase(turn.session);
        } else {
            auto &history = m_history[turn.session];
            history.push_back({std::move(prompt), std::move(response)});
            if (history.size() > 2)
                history.pop_front();
        }
    }
    return record;
}

} // namespace llmaudit::loggen
