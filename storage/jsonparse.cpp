#include "jsonparse.h"

#include <simdjson.h>

namespace llmaudit {

namespace {

using nlohmann::json;

// Why simdjson in front of nlohmann: nlohmann::json::parse was about 19 % of import and
// collector CPU. On 40,000 realistic records (194.5 MB, one core, bench_decode) it takes 1.8 s;
// simdjson's DOM parse plus the conversion below 0.47 s, most of it building the nlohmann tree.
// Importing those records: 9.7-10.3 s before, 8.2-8.8 s after (7.7 -> 6.4 s of user CPU).
// The parse(const char *, size_t) overload copies each text into the parser's padded buffer;
// parsing already padded strings instead saved 0.01-0.04 s of 0.5 s, not worth padding the
// reader's buffers for. One parser per thread, as import decodes on the pool: it reuses its
// buffers from one record to the next.
//
// simdjson 3.0.1 refuses some texts nlohmann accepts; those go to nlohmann: integers beyond 64
// bits (nlohmann makes them doubles), nesting deeper than 1024, a UTF-8 byte order mark, and
// anything after a NUL byte (nlohmann stops reading there). Both accept but read differently:
// the integer -0 (see hasNegativeZeroInteger) and duplicate keys, which simdjson keeps and
// nlohmann overwrites (the conversion does the same). Errors are all nlohmann's. Checked by
// tst_logcodec's parseJsonAgreesWithNlohmann, parseJsonAgreesOnEveryEscape and
// parseJsonAgreesOnNumbers.

// Above this the text goes to nlohmann: a parser keeps buffers of about 15 bytes per byte of its
// largest document for the life of its thread.
constexpr size_t FastPathMaxBytes = 4 * 1024 * 1024;

class Converter
{
public:
    json convert(simdjson::dom::element element);
    bool sawZeroInteger() const { return m_sawZeroInteger; }

private:
    bool m_sawZeroInteger = false;
};

json Converter::convert(simdjson::dom::element element)
{
    using Type = simdjson::dom::element_type;
    switch (element.type()) {
    case Type::OBJECT: {
        json result(json::value_t::object);
        auto &members = result.get_ref<json::object_t &>();
        // Named, not a temporary in the for statement: the range would dangle (gcc 12).
        const simdjson::dom::object object = element.get_object().value_unsafe();
        for (const auto field : object) // a duplicate key replaces the earlier one, as in nlohmann
            members.insert_or_assign(json::string_t(field.key), convert(field.value));
        return result;
    }
    case Type::ARRAY: {
        json result(json::value_t::array);
        auto &items = result.get_ref<json::array_t &>();
        const simdjson::dom::array array = element.get_array().value_unsafe();
        items.reserve(array.size());
        for (const auto item : array)
            items.push_back(convert(item));
        return result;
    }
    case Type::STRING:
        return json::string_t(element.get_string().value_unsafe());
    case Type::INT64: {
        // nlohmann keeps an integer written without a sign unsigned.
        const int64_t value = element.get_int64().value_unsafe();
        if (value == 0)
            m_sawZeroInteger = true;
        return value >= 0 ? json(static_cast<uint64_t>(value)) : json(value);
    }
    case Type::UINT64:
        return element.get_uint64().value_unsafe();
    case Type::DOUBLE:
        return element.get_double().value_unsafe();
    case Type::BOOL:
        return element.get_bool().value_unsafe();
    case Type::NULL_VALUE:
        return nullptr;
    }
    return nullptr;
}

// simdjson reads the integer -0 as the signed 0, the same element as 0; nlohmann keeps it signed
// (number_integer) and 0 unsigned. Whether valid JSON holds a -0 number, not counting -0.5 or
// -0e1: conservative, a "-0" inside a string may match too (it only costs the slower parse).
bool hasNegativeZeroInteger(std::string_view text)
{
    for (size_t at = text.find("-0"); at != std::string_view::npos; at = text.find("-0", at + 1)) {
        // A number starts the text or follows whitespace, '[', ',' or ':' (so a UUID's "-0a3f"
        // is not one).
        const char before = at == 0 ? ' ' : text[at - 1];
        if (before != ' ' && before != '\t' && before != '\n' && before != '\r' && before != '[' &&
            before != ',' && before != ':')
            continue;
        const size_t next = at + 2;
        if (next == text.size())
            return true;
        const char after = text[next];
        if ((after < '0' || after > '9') && after != '.' && after != 'e' && after != 'E')
            return true;
    }
    return false;
}

} // namespace

json parseJson(std::string_view text)
{
    if (!text.empty() && text.size() <= FastPathMaxBytes) {
        thread_local simdjson::dom::parser parser(FastPathMaxBytes);
        simdjson::dom::element root;
        if (parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS) {
            Converter converter;
            json document = converter.convert(root);
            if (!converter.sawZeroInteger() || !hasNegativeZeroInteger(text))
                return document;
        }
    }
    return json::parse(text);
}

} // namespace llmaudit
