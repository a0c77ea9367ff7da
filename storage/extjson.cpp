#include "extjson.h"

#include "logschema.h"

#include <charconv>
#include <cmath>

namespace llmaudit {

using nlohmann::json;

namespace {

const json *singleKey(const json &value, const char *key)
{
    if (!value.is_object() || value.size() != 1)
        return nullptr;
    auto it = value.find(key);
    return it == value.end() ? nullptr : &*it;
}

std::optional<int64_t> integerText(const json &value)
{
    if (!value.is_string())
        return std::nullopt;
    const auto &text = value.get_ref<const std::string &>();
    int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return number;
}

std::optional<json> numberFromText(const json &value)
{
    if (!value.is_string())
        return std::nullopt;
    const auto &text = value.get_ref<const std::string &>();
    if (auto integer = integerText(value))
        return json(*integer);
    char *end = nullptr;
    double number = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(number))
        return std::nullopt;
    return json(number);
}

// Returns the plain value for an Extended JSON wrapper, or nothing when `value` is not one.
std::optional<json> unwrap(const json &value)
{
    if (!value.is_object() || value.size() != 1)
        return std::nullopt;
    const std::string &key = value.begin().key();
    if (key.empty() || key[0] != '$')
        return std::nullopt;
    const json &inner = value.begin().value();
    if (key == "$oid" && inner.is_string())
        return inner;
    if (key == "$numberInt" || key == "$numberLong") {
        if (auto number = integerText(inner))
            return json(*number);
        return std::nullopt;
    }
    if (key == "$numberDouble" || key == "$numberDecimal") {
        if (auto number = numberFromText(inner))
            return number;
        return inner.is_string() ? std::optional<json>(inner) : std::nullopt; // "NaN", "Infinity"
    }
    if (key == "$date") {
        // A BSON date is a millisecond instant: one spelling for it, whichever exporter wrote
        // it (mongoexport's relaxed form drops trailing zeros: "...:27.05Z").
        if (inner.is_string()) {
            if (auto ms = LogSchema::parseDateTime(inner.get_ref<const std::string &>()))
                return json(LogSchema::formatDateTime(*ms));
            return inner;
        }
        if (inner.is_number_integer())
            return json(LogSchema::formatDateTime(inner.get<int64_t>()));
        if (const json *ms = singleKey(inner, "$numberLong"))
            if (auto number = integerText(*ms))
                return json(LogSchema::formatDateTime(*number));
    }
    return std::nullopt;
}

bool hasWrapper(const json &value)
{
    if (value.is_object()) {
        if (value.size() == 1) {
            const std::string &key = value.begin().key();
            if (key == "$oid" || key == "$date" || key == "$numberInt" || key == "$numberLong" ||
                key == "$numberDouble" || key == "$numberDecimal")
                return true;
        }
        for (const auto &item : value)
            if (hasWrapper(item))
                return true;
    } else if (value.is_array()) {
        for (const auto &item : value)
            if (hasWrapper(item))
                return true;
    }
    return false;
}

} // namespace

bool looksLikeExtendedJson(const json &document)
{
    return (document.is_object() && document.contains("_id")) || hasWrapper(document);
}

void convertExtendedJson(json &value)
{
    if (auto plain = unwrap(value)) {
        value = std::move(*plain);
        return;
    }
    if (value.is_object() || value.is_array())
        for (auto &item : value)
            convertExtendedJson(item);
}

} // namespace llmaudit
