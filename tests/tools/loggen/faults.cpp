#include "faults.h"

#include "prng.h"

namespace llmaudit::loggen {

namespace {

constexpr uint64_t TagFault = 0x6661756c;
constexpr uint64_t TagBlank = 0x626c616e;

constexpr std::string_view RequiredFields[] = {"interaction_id", "timestamp", "user_id",
                                               "session_id",     "request",   "response"};

Value &objectMember(Value &document, const char *key)
{
    if (Value *member = document.find(key); member && member->type == Value::Type::Object)
        return *member;
    return document.set(key, Value::object());
}

void setWrongType(Value &document, uint64_t variant)
{
    Value &metrics = objectMember(document, "metrics");
    switch (variant % 5) {
    case 1:
        if (Value *tokens = metrics.find("prompt_tokens")) {
            *tokens = Value::of(std::to_string(tokens->integer));
            return;
        }
        break;
    case 2:
        if (Value *request = document.find("request")) {
            // Double-encoded: the request written as a JSON string.
            std::string text;
            writePythonJson(*request, text);
            *request = Value::of(std::move(text));
            return;
        }
        break;
    case 3:
        if (Value *evaluation = document.find("evaluation")) {
            if (Value *flagged = evaluation->find("flagged")) {
                *flagged = Value::of(flagged->boolean ? "true" : "false");
                return;
            }
        }
        break;
    case 4:
        if (Value *tags = document.find("tags")) {
            std::string joined;
            for (const Value &tag : tags->items) {
                if (!joined.empty())
                    joined += ',';
                joined += tag.text;
            }
            *tags = Value::of(std::move(joined));
            return;
        }
        break;
    default:
        break;
    }
    const Value *latency = metrics.find("latency_ms");
    const int64_t ms = latency && latency->type == Value::Type::Int ? latency->integer : 1200;
    metrics.set("latency_ms", Value::of(std::to_string(ms) + "ms"));
}

void setOutOfRange(Value &document, uint64_t variant)
{
    Value &evaluation = objectMember(document, "evaluation");
    switch (variant % 4) {
    case 0:
        evaluation.set("relevance_score", Value::of(1.7));
        break;
    case 1:
        evaluation.set("quality_score", Value::of(-0.2));
        break;
    case 2:
        evaluation.set("security_score", Value::of(85));
        break; // a percentage
    default:
        evaluation.set("relevance_score", Value::of(1.05));
        break;
    }
}

void setBadEnum(Value &document, uint64_t variant)
{
    static constexpr std::string_view Levels[] = {"secret", "Confidential", "TOP SECRET", "pii"};
    objectMember(document, "security").set("sensitivity_level", Value::of(Levels[variant % 4]));
}

void setBadTimestamp(Value &document, uint64_t variant, OutputFormat format)
{
    Value *timestamp = document.find("timestamp");
    if (!timestamp)
        return;
    const int64_t ms = timestamp->integer;
    switch (variant % 6) {
    case 1:
        *timestamp = Value::of("2026-02-30T25:61:00Z");
        break;
    case 2:
        *timestamp = Value::of("05/01/2026 10:14");
        break;
    case 3:
        *timestamp = Value::of("");
        break;
    case 4:
        *timestamp = Value::of(ms / 1000);
        break; // epoch seconds, a number
    case 5:
        if (format == OutputFormat::MongoRelaxed || format == OutputFormat::MongoCanonical) {
            *timestamp = Value::raw(R"({"$date":"yesterday"})");
            break;
        }
        [[fallthrough]];
    default:
        *timestamp = Value::of("yesterday");
        break;
    }
}

// Position just after the opening quote of the string value of "prompt", or npos.
std::size_t promptValueStart(const std::string &text, OutputFormat format)
{
    const std::string_view key = isPythonJson(format) ? R"("prompt": ")" : R"("prompt":")";
    const std::size_t at = text.find(key);
    return at == std::string::npos ? at : at + key.size();
}

// The length of the first string after _id claims far more bytes than the document has.
bool corruptFirstStringLength(std::string &bytes)
{
    std::size_t at = 4;
    if (bytes[at] == 0x07) // _id: type, "_id\0", 12 bytes
        at += 1 + 4 + 12;
    if (at >= bytes.size() || bytes[at] != 0x02)
        return false;
    const std::size_t nul = bytes.find('\0', at + 1);
    if (nul == std::string::npos || nul + 5 >= bytes.size())
        return false;
    const char bogus[4] = {'\xf0', '\xff', '\xff', '\x7f'}; // 0x7ffffff0, little-endian
    bytes.replace(nul + 1, 4, bogus, 4);
    return true;
}

} // namespace

bool isLineFormat(OutputFormat format)
{
    return format == OutputFormat::Jsonl || format == OutputFormat::MongoRelaxed ||
           format == OutputFormat::MongoCanonical;
}

bool isMongoFormat(OutputFormat format)
{
    return format != OutputFormat::Jsonl && format != OutputFormat::Json;
}

bool isPythonJson(OutputFormat format)
{
    return format == OutputFormat::Jsonl || format == OutputFormat::Json;
}

std::string_view faultName(Fault fault)
{
    switch (fault) {
    case Fault::None:
        return "none";
    case Fault::Truncated:
        return "truncated";
    case Fault::InvalidJson:
        return "invalid-json";
    case Fault::MissingField:
        return "missing-field";
    case Fault::WrongType:
        return "wrong-type";
    case Fault::OutOfRange:
        return "out-of-range";
    case Fault::BadEnum:
        return "bad-enum";
    case Fault::BadTimestamp:
        return "bad-timestamp";
    case Fault::Corrupt:
        return "corrupt";
    }
    return "?";
}

FaultPlan planFault(uint64_t seed, int64_t index, double rate, OutputFormat format, bool last)
{
    FaultPlan plan;
    if (rate <= 0)
        return plan;
    Rng blank(mix(seed, TagBlank, static_cast<uint64_t>(index)));
    plan.blankLineBefore = isLineFormat(format) && blank.chance(rate / 8);

    Rng rng(mix(seed, TagFault, static_cast<uint64_t>(index)));
    if (!rng.chance(rate))
        return plan;
    static constexpr Fault Faults[] = {Fault::Truncated,   Fault::InvalidJson, Fault::MissingField,
                                       Fault::WrongType,   Fault::OutOfRange,  Fault::BadEnum,
                                       Fault::BadTimestamp};
    static constexpr double Weights[] = {2, 2, 2, 2, 1, 1, 1.5};
    plan.fault = Faults[rng.weighted(Weights)];
    plan.variant = rng.next();

    // Arrays stay parseable as a whole: their faults are all in the documents.
    if (format == OutputFormat::Json || format == OutputFormat::MongoArray) {
        if (plan.fault == Fault::Truncated)
            plan.fault = Fault::MissingField;
        else if (plan.fault == Fault::InvalidJson)
            plan.fault = Fault::WrongType;
    }
    // A cut document can only be the last one of a dump: a reader cannot find the next one.
    if (format == OutputFormat::Bson) {
        if (plan.fault == Fault::InvalidJson || (plan.fault == Fault::Truncated && !last))
            plan.fault = Fault::Corrupt;
    }
    return plan;
}

void applyToDocument(const FaultPlan &plan, Value &document, OutputFormat format)
{
    switch (plan.fault) {
    case Fault::MissingField:
        document.erase(RequiredFields[plan.variant % std::size(RequiredFields)]);
        break;
    case Fault::WrongType:
        setWrongType(document, plan.variant);
        break;
    case Fault::OutOfRange:
        setOutOfRange(document, plan.variant);
        break;
    case Fault::BadEnum:
        setBadEnum(document, plan.variant);
        break;
    case Fault::BadTimestamp:
        setBadTimestamp(document, plan.variant, format);
        break;
    case Fault::InvalidJson:
        if (plan.variant % 5 == 1) // what json.dumps writes for float('nan')
            objectMember(document, "evaluation").set("relevance_score", Value::raw("NaN"));
        break;
    default:
        break;
    }
}

void applyToText(const FaultPlan &plan, std::string &text, const Value &document,
                 OutputFormat format)
{
    if (plan.fault == Fault::Truncated) {
        Rng rng(plan.variant);
        std::size_t cut =
            static_cast<std::size_t>(static_cast<double>(text.size()) * rng.uniform(0.2, 0.95));
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
            --cut;
        text.resize(cut);
        return;
    }
    if (plan.fault != Fault::InvalidJson)
        return;
    switch (plan.variant % 5) {
    case 1: // NaN, already in the document
        return;
    case 2: // str(record) instead of json.dumps(record)
        text.clear();
        writePythonRepr(document, text);
        return;
    case 3: // a raw tab inside a string
        if (const std::size_t at = promptValueStart(text, format); at != std::string::npos) {
            text.insert(at, "Column A\tColumn B ");
            return;
        }
        break;
    case 4: // a quote nobody escaped
        if (const std::size_t at = promptValueStart(text, format); at != std::string::npos) {
            text.insert(at, "See \"Appendix B\" first. ");
            return;
        }
        break;
    default:
        break;
    }
    // A trailing comma before the closing brace.
    if (!text.empty() && text.back() == '}') {
        text.pop_back();
        text += isPythonJson(format) ? ", }" : ",}";
    }
}

void applyToBson(const FaultPlan &plan, std::string &bytes)
{
    if (bytes.size() < 8)
        return;
    if (plan.fault == Fault::Truncated) {
        // The length prefix promises more than the file holds.
        Rng rng(plan.variant);
        bytes.resize(
            static_cast<std::size_t>(static_cast<double>(bytes.size()) * rng.uniform(0.3, 0.9)));
        return;
    }
    if (plan.fault != Fault::Corrupt)
        return;
    switch (plan.variant % 3) {
    case 0:
        if (corruptFirstStringLength(bytes))
            return;
        bytes.back() = '\x01';
        return;
    case 1:
        bytes.back() = '\x01'; // the terminating NUL
        return;
    default:
        bytes[4] = '\x55'; // an element type that does not exist
        return;
    }
}

} // namespace llmaudit::loggen
