#include "logschema.h"

#include <QFile>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cstdio>

namespace llmaudit {

using nlohmann::json;

struct LogSchema::Compiled
{
    valijson::Schema schema;
};

namespace {

// Removes every "format": "date-time" from the schema given to valijson and remembers where it
// was. valijson's check compiles a std::regex on each call (tens of microseconds a record); the
// codec parses the timestamp anyway, so one strict parser does both jobs.
void takeDateTimeFormats(json &schema, const std::string &path, std::vector<std::string> &paths)
{
    if (!schema.is_object())
        return;
    if (auto format = schema.find("format"); format != schema.end() && *format == "date-time") {
        paths.push_back(path);
        schema.erase(format);
    }
    if (auto properties = schema.find("properties");
        properties != schema.end() && properties->is_object()) {
        for (auto &[name, sub] : properties->items())
            takeDateTimeFormats(sub, path + "/" + name, paths);
    }
}

std::string escapePointerToken(const std::string &token)
{
    std::string out;
    for (char c : token) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

// valijson names a place as {"<root>", "[metrics]", "[latency_ms]"}; we speak JSON Pointer.
std::string pointerFromContext(const std::vector<std::string> &context)
{
    std::string pointer;
    for (const auto &part : context) {
        if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
            pointer += "/" + escapePointerToken(part.substr(1, part.size() - 2));
    }
    return pointer;
}

std::string typeName(const json &value)
{
    switch (value.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "integer";
    case json::value_t::number_float:
        return "number";
    case json::value_t::string:
        return "string";
    case json::value_t::array:
        return "array";
    case json::value_t::object:
        return "object";
    default:
        return "value";
    }
}

bool hasType(const json &value, const std::string &type)
{
    if (type == "integer") {
        // draft-07: a number with a zero fractional part is an integer (1.0 is valid).
        if (value.is_number_integer())
            return true;
        if (value.is_number_float()) {
            double d = value.get<double>();
            return std::isfinite(d) && d == std::floor(d);
        }
        return false;
    }
    if (type == "number")
        return value.is_number();
    return typeName(value) == type;
}

std::string shortValue(const json &value)
{
    // ASCII only: the value is log text, and it goes to terminals and dialogs.
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() > 60)
        text = text.substr(0, 57) + "...";
    return text;
}

std::string numberText(const json &number)
{
    return number.dump();
}

// The sub-schema that governs the value at `pointer`, following properties and items.
const json *schemaAt(const json &schema, const json &record, const std::string &pointer)
{
    const json *node = &schema;
    const json *value = &record;
    json::json_pointer path(pointer);
    std::vector<std::string> tokens;
    for (auto p = path; !p.empty(); p = p.parent_pointer())
        tokens.push_back(p.back());
    std::reverse(tokens.begin(), tokens.end());
    for (const auto &token : tokens) {
        if (value->is_object()) {
            auto properties = node->find("properties");
            if (properties == node->end() || !properties->contains(token))
                return nullptr;
            node = &(*properties)[token];
            value = &(*value)[token];
        } else if (value->is_array()) {
            auto items = node->find("items");
            if (items == node->end())
                return nullptr;
            node = &*items;
            value = &(*value)[std::stoul(token)];
        } else {
            return nullptr;
        }
    }
    return node;
}

std::vector<std::string> allowedTypes(const json &rule)
{
    std::vector<std::string> allowed;
    if (auto type = rule.find("type"); type != rule.end()) {
        if (type->is_string())
            allowed.push_back(type->get<std::string>());
        else if (type->is_array())
            for (const auto &t : *type)
                allowed.push_back(t.get<std::string>());
    }
    return allowed;
}

// Whether the value at `pointer` has one of the types its sub-schema allows (draft-07 rules).
bool typeMatches(const json &schema, const json &record, const std::string &pointer)
{
    const json *rule = schemaAt(schema, record, pointer);
    json::json_pointer path(pointer);
    if (!rule || !record.contains(path))
        return false;
    const auto allowed = allowedTypes(*rule);
    const json &value = record.at(path);
    return !allowed.empty() && std::any_of(allowed.begin(), allowed.end(),
                                           [&](const std::string &t) { return hasType(value, t); });
}

// Words a reviewer can act on, from the schema and the value rather than valijson's wording.
std::string explain(const json &schema, const json &record, const std::string &pointer,
                    const std::string &fallback)
{
    const json *rule = schemaAt(schema, record, pointer);
    json::json_pointer path(pointer);
    if (!rule || !record.contains(path))
        return fallback;
    const json &value = record.at(path);
    if (const auto allowed = allowedTypes(*rule);
        !allowed.empty() && !typeMatches(schema, record, pointer)) {
        std::string expected;
        for (size_t i = 0; i < allowed.size(); ++i)
            expected += (i == 0 ? "" : (i + 1 == allowed.size() ? " or " : ", ")) + allowed[i];
        return "expected " + expected + ", got " + typeName(value);
    }
    if (auto values = rule->find("enum"); values != rule->end() && values->is_array()) {
        if (std::find(values->begin(), values->end(), value) == values->end()) {
            std::string list;
            for (const auto &v : *values)
                list +=
                    (list.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
            return "expected one of " + list + ", got " + shortValue(value);
        }
    }
    if (value.is_number()) {
        if (auto min = rule->find("minimum"); min != rule->end() && value < *min)
            return shortValue(value) + " is below the minimum " + numberText(*min);
        if (auto max = rule->find("maximum"); max != rule->end() && value > *max)
            return shortValue(value) + " is above the maximum " + numberText(*max);
    }
    if (value.is_string()) {
        if (auto pattern = rule->find("pattern"); pattern != rule->end())
            return shortValue(value) + " does not match the pattern " + pattern->get<std::string>();
    }
    return fallback;
}

std::string lowerFirst(std::string text)
{
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    while (!text.empty() && text.back() == '.')
        text.pop_back();
    return text;
}

bool isLeapYear(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view text, size_t at, size_t count, int &out)
{
    if (at + count > text.size())
        return false;
    out = 0;
    for (size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

} // namespace

LogSchema::LogSchema(nlohmann::json schema)
    : m_document(std::move(schema))
    , m_compiled(std::make_unique<Compiled>())
{
    json forValijson = m_document;
    takeDateTimeFormats(forValijson, "", m_dateTimePaths);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(forValijson);
    parser.populateSchema(adapter, m_compiled->schema);
}

LogSchema::~LogSchema() = default;

const LogSchema &LogSchema::v1()
{
    static const LogSchema schema = [] {
        QFile file(QStringLiteral(":/llmaudit/schema/llm-interaction.v1.schema.json"));
        if (!file.open(QIODevice::ReadOnly))
            qFatal("the log schema is missing from the program's resources");
        return LogSchema(json::parse(file.readAll().toStdString()));
    }();
    return schema;
}

std::vector<ValidationError> LogSchema::validate(const nlohmann::json &record) const
{
    std::vector<ValidationError> errors;
    // One validator per thread: it caches compiled patterns, which would otherwise be compiled
    // again for every record.
    thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(record);
    if (!validator.validate(m_compiled->schema, adapter, &results)) {
        std::vector<std::pair<std::string, std::string>> raw;
        valijson::ValidationResults::Error error;
        while (results.popError(error))
            raw.emplace_back(pointerFromContext(error.context), error.description);
        // valijson also reports every enclosing object ("failed to validate against schema
        // associated with property name 'metrics'"); only the innermost errors say anything.
        for (const auto &[pointer, description] : raw) {
            bool enclosing = std::any_of(raw.begin(), raw.end(), [&](const auto &other) {
                return other.first.size() > pointer.size() &&
                       other.first.compare(0, pointer.size(), pointer) == 0 &&
                       other.first[pointer.size()] == '/';
            });
            bool summary = description.rfind("Failed to validate", 0) == 0;
            if (enclosing || (summary && raw.size() > 1))
                continue;
            // valijson's strong typing refuses 12.0 where the schema says integer; draft-07
            // counts a number with a zero fraction as an integer.
            if (description.find("'type' constraint") != std::string::npos &&
                typeMatches(m_document, record, pointer))
                continue;
            ValidationError e{pointer,
                              explain(m_document, record, pointer, lowerFirst(description))};
            if (std::none_of(errors.begin(), errors.end(), [&](const ValidationError &seen) {
                    return seen.pointer == e.pointer && seen.reason == e.reason;
                }))
                errors.push_back(std::move(e));
        }
    }
    for (const auto &path : m_dateTimePaths) {
        json::json_pointer pointer(path);
        if (!record.is_object() || !record.contains(pointer))
            continue;
        const json &value = record.at(pointer);
        if (value.is_string() && !parseDateTime(value.get_ref<const std::string &>()))
            errors.push_back({path, "expected an RFC 3339 date-time such as "
                                    "2026-01-05T10:00:00Z, got " +
                                        shortValue(value)});
    }
    return errors;
}

std::optional<int64_t> LogSchema::parseDateTime(std::string_view t)
{
    int year, month, day, hour, minute, second;
    if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
        t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') ||
        !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
        !digits(t, 17, 2, second))
        return std::nullopt;
    static constexpr int daysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 ||
        day > daysIn[month - 1] + (month == 2 && isLeapYear(year) ? 1 : 0) || hour > 23 ||
        minute > 59 || second > 60)
        return std::nullopt;
    size_t at = 19;
    int64_t millis = 0;
    if (t[at] == '.') {
        size_t start = ++at;
        while (at < t.size() && t[at] >= '0' && t[at] <= '9') {
            if (at - start < 3)
                millis = millis * 10 + (t[at] - '0');
            ++at;
        }
        if (at == start)
            return std::nullopt;
        for (size_t n = at - start; n < 3; ++n)
            millis *= 10;
    }
    int64_t offsetMinutes = 0;
    if (at < t.size() && (t[at] == 'Z' || t[at] == 'z')) {
        ++at;
    } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
        int oh, om;
        if (!digits(t, at + 1, 2, oh) || at + 3 >= t.size() || t[at + 3] != ':' ||
            !digits(t, at + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offsetMinutes = (t[at] == '+' ? 1 : -1) * (oh * 60 + om);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != t.size())
        return std::nullopt;
    // A leap second exists only at 23:59:60 UTC; it is folded onto the next second, as most
    // clocks do.
    if (second == 60) {
        const int64_t utcMinutes = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440;
        if (utcMinutes != 23 * 60 + 59)
            return std::nullopt;
    }
    const int64_t seconds =
        daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
        hour * 3600 + minute * 60 + second - offsetMinutes * 60;
    return seconds * 1000 + millis;
}

std::string LogSchema::formatDateTime(int64_t ms)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rest = ms - days * 86400000;
    // civil_from_days (H. Hinnant)
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600000),
                  static_cast<long long>(rest / 60000 % 60),
                  static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
    return buffer;
}

} // namespace llmaudit
