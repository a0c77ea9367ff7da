#include "logcodec.h"

#include "extjson.h"
#include "jsonparse.h"

#include <openssl/evp.h>

namespace llmaudit {

using nlohmann::json;

namespace {

const json *find(const json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::string stringAt(const json &object, const char *key)
{
    const json *value = find(object, key);
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

std::optional<int64_t> integerAt(const json &object, const char *key)
{
    const json *value = find(object, key);
    if (!value)
        return std::nullopt;
    if (value->is_number_integer())
        return value->get<int64_t>();
    if (value->is_number_float()) // 12.0 is an integer under the schema
        return static_cast<int64_t>(value->get<double>());
    return std::nullopt;
}

std::string describeParseError(const json::exception &error)
{
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error while parsing value - invalid literal; last read: 'tru'". The part after
    // "last read" can hold kilobytes of the record: keep its last 40 bytes.
    std::string what = error.what();
    if (auto at = what.find("] "); at != std::string::npos)
        what = what.substr(at + 2);
    const std::string marker = "; last read: '";
    if (auto start = what.find(marker); start != std::string::npos) {
        start += marker.size();
        size_t end = what.rfind("'; expected");
        if (end == std::string::npos || end < start)
            end = what.size() - (what.ends_with("'") ? 1 : 0);
        std::string token = what.substr(start, end - start);
        if (token.size() > 40) {
            size_t cut = token.size() - 40;
            while (cut < token.size() && (static_cast<unsigned char>(token[cut]) & 0xC0) == 0x80)
                ++cut; // not in the middle of a UTF-8 sequence
            token = "…" + token.substr(cut);
        }
        what = what.substr(0, start) + token + what.substr(end);
    }
    return "not valid JSON: " + visible(what);
}

} // namespace

Interaction interactionFromDocument(json document)
{
    Interaction record;
    record.interactionId = stringAt(document, "interaction_id");
    record.timestamp = stringAt(document, "timestamp");
    record.timestampMs = LogSchema::parseDateTime(record.timestamp).value_or(0);
    record.userId = stringAt(document, "user_id");
    record.sessionId = stringAt(document, "session_id");
    record.replayOf = stringAt(document, "replay_of");

    static const json empty = json::object();
    const json *request = find(document, "request");
    const json *response = find(document, "response");
    const json *metrics = find(document, "metrics");
    const json *evaluation = find(document, "evaluation");
    const json *security = find(document, "security");
    if (!request)
        request = &empty;
    if (!response)
        response = &empty;

    record.model = stringAt(*response, "model");
    if (record.model.empty())
        if (const json *parameters = find(*request, "parameters"))
            record.model = stringAt(*parameters, "model");
    record.prompt = stringAt(*request, "prompt");
    record.systemPrompt = stringAt(*request, "system_prompt");
    if (const json *context = find(*request, "context"); context && context->is_array()) {
        for (const auto &item : *context) {
            std::string content = stringAt(item, "content");
            if (content.empty())
                continue;
            if (!record.contextText.empty())
                record.contextText += '\n';
            record.contextText += content;
        }
    }
    record.response = stringAt(*response, "content");
    record.completionTokens = integerAt(*response, "completion_tokens");
    record.finishReason = stringAt(*response, "finish_reason");
    if (metrics) {
        record.promptTokens = integerAt(*metrics, "prompt_tokens");
        record.totalTokens = integerAt(*metrics, "total_tokens");
        record.latencyMs = integerAt(*metrics, "latency_ms");
    }
    if (evaluation)
        if (const json *flagged = find(*evaluation, "flagged"); flagged && flagged->is_boolean())
            record.flagged = flagged->get<bool>();
    if (security)
        record.sensitivity = sensitivityFromString(stringAt(*security, "sensitivity_level"));
    record.document = std::move(document);
    return record;
}

std::expected<DecodedRecord, std::vector<ValidationError>> decodeDocument(json document)
{
    if (!document.is_object())
        return std::unexpected(
            std::vector<ValidationError>{{"", "expected a JSON object for the record, got " +
                                                  std::string(document.type_name())}});
    auto errors = LogSchema::v1().validate(document);
    if (!errors.empty())
        return std::unexpected(std::move(errors));
    DecodedRecord decoded;
    // nlohmann::json keeps object keys sorted, so a compact dump is canonical.
    decoded.document = document.dump(-1, ' ', false, json::error_handler_t::strict);
    decoded.hash = sha256(decoded.document);
    decoded.interaction = interactionFromDocument(std::move(document));
    return decoded;
}

std::expected<DecodedRecord, std::vector<ValidationError>> decodeRecord(std::string_view text,
                                                                        Dialect dialect)
{
    json document;
    try {
        document = parseJson(text);
    } catch (const json::exception &error) { // parse_error; out_of_range for a number like 1e400
        return std::unexpected(std::vector<ValidationError>{{"", describeParseError(error)}});
    }
    if (dialect == Dialect::ExtendedJson) {
        convertExtendedJson(document);
        auto decoded = decodeDocument(std::move(document));
        if (decoded)
            decoded->original = std::string(text);
        return decoded;
    }
    return decodeParsedRecord(text, std::move(document));
}

std::expected<DecodedRecord, std::vector<ValidationError>> decodeParsedRecord(std::string_view text,
                                                                              json document)
{
    if (!document.is_object())
        return decodeDocument(std::move(document)); // refused there, with the reason
    auto errors = LogSchema::v1().validate(document);
    if (!errors.empty())
        return std::unexpected(std::move(errors));
    DecodedRecord decoded;
    // One line of standard JSON is stored as it came, byte for byte; a record spread over
    // several lines (a pretty-printed array element) is stored as canonical JSON, one line.
    // Two find()s, each one memchr over the line: find_first_of calls memchr once per byte.
    if (text.find('\n') == std::string_view::npos && text.find('\r') == std::string_view::npos) {
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
            text.remove_prefix(1);
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
            text.remove_suffix(1);
        decoded.document = std::string(text);
    } else {
        decoded.document = document.dump(-1, ' ', false, json::error_handler_t::strict);
    }
    decoded.hash = sha256(decoded.document);
    decoded.interaction = interactionFromDocument(std::move(document));
    return decoded;
}

bool sameContent(std::string_view a, std::string_view b)
{
    if (a == b)
        return true;
    const json left = json::parse(a, nullptr, false);
    const json right = json::parse(b, nullptr, false);
    return !left.is_discarded() && left == right;
}

ContentHash sha256(std::string_view bytes)
{
    // OpenSSL rather than QCryptographicHash: Qt 6.4 hashes in portable C, several times slower
    // than OpenSSL's SHA-NI code, and import hashes every byte it stores.
    ContentHash hash{};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), hash.data(), &size, EVP_sha256(), nullptr);
    return hash;
}

std::string toHex(const ContentHash &hash)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(hash.size() * 2);
    for (unsigned char byte : hash) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

std::optional<Sensitivity> sensitivityFromString(std::string_view text)
{
    if (text == "public")
        return Sensitivity::Public;
    if (text == "internal")
        return Sensitivity::Internal;
    if (text == "confidential")
        return Sensitivity::Confidential;
    if (text == "restricted")
        return Sensitivity::Restricted;
    return std::nullopt;
}

std::string_view toString(Sensitivity sensitivity)
{
    switch (sensitivity) {
    case Sensitivity::Public:
        return "public";
    case Sensitivity::Internal:
        return "internal";
    case Sensitivity::Confidential:
        return "confidential";
    case Sensitivity::Restricted:
        return "restricted";
    }
    return "";
}

// Makes a piece of log text safe to show on one line of a terminal or a dialog: control and
// bidirectional-override characters become <U+XXXX> (nlohmann already does this for C0 controls).
std::string visible(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        // U+200E/F, U+202A-E, U+2066-9 and U+061C are E2 80 8E/8F, E2 80 AA-AE, E2 81 A6-A9,
        // D8 9C in UTF-8; U+0080-U+009F are C2 80-9F.
        auto code = [&](unsigned value, size_t length) {
            char buffer[12];
            std::snprintf(buffer, sizeof buffer, "<U+%04X>", value);
            out += buffer;
            i += length - 1;
        };
        if (c == 0xE2 && i + 2 < text.size()) {
            const auto b1 = static_cast<unsigned char>(text[i + 1]);
            const auto b2 = static_cast<unsigned char>(text[i + 2]);
            const unsigned value = ((c & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
            if (value == 0x200E || value == 0x200F || (value >= 0x202A && value <= 0x202E) ||
                (value >= 0x2066 && value <= 0x2069)) {
                code(value, 3);
                continue;
            }
        } else if (c == 0xD8 && i + 1 < text.size() &&
                   static_cast<unsigned char>(text[i + 1]) == 0x9C) {
            code(0x061C, 2);
            continue;
        } else if (c == 0xC2 && i + 1 < text.size() &&
                   static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            code(static_cast<unsigned char>(text[i + 1]), 2);
            continue;
        } else if (c < 0x20 || c == 0x7F) {
            code(c, 1);
            continue;
        }
        out += static_cast<char>(c);
    }
    return out;
}

} // namespace llmaudit
