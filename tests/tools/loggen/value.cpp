#include "value.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace llmaudit::loggen {

Value Value::of(bool b)
{
    Value v;
    v.type = Type::Bool;
    v.boolean = b;
    return v;
}

Value Value::of(int64_t i)
{
    Value v;
    v.type = Type::Int;
    v.integer = i;
    return v;
}

Value Value::of(double d)
{
    Value v;
    v.type = Type::Double;
    v.number = d;
    return v;
}

Value Value::of(std::string s)
{
    Value v;
    v.type = Type::String;
    v.text = std::move(s);
    return v;
}

Value Value::date(int64_t msSinceEpoch)
{
    Value v;
    v.type = Type::Date;
    v.integer = msSinceEpoch;
    return v;
}

Value Value::decimal(std::string digits)
{
    Value v;
    v.type = Type::Decimal;
    v.number = std::strtod(digits.c_str(), nullptr);
    v.text = std::move(digits);
    return v;
}

Value Value::objectId(std::string hex)
{
    Value v;
    v.type = Type::ObjectId;
    v.text = std::move(hex);
    return v;
}

Value Value::raw(std::string text)
{
    Value v;
    v.type = Type::Raw;
    v.text = std::move(text);
    return v;
}

Value Value::array()
{
    Value v;
    v.type = Type::Array;
    return v;
}

Value Value::object()
{
    Value v;
    v.type = Type::Object;
    return v;
}

Value &Value::set(std::string key, Value value)
{
    if (Value *existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    members.push_back(Member{std::move(key), std::move(value)});
    return members.back().second;
}

Value *Value::find(std::string_view key)
{
    for (auto &[name, value] : members) {
        if (name == key)
            return &value;
    }
    return nullptr;
}

bool Value::erase(std::string_view key)
{
    const auto it = std::find_if(members.begin(), members.end(),
                                 [key](const auto &member) { return member.first == key; });
    if (it == members.end())
        return false;
    members.erase(it);
    return true;
}

Value &Value::push(Value value)
{
    items.push_back(std::move(value));
    return items.back();
}

std::string isoTimestamp(int64_t msSinceEpoch)
{
    using namespace std::chrono;
    const sys_time<milliseconds> tp{milliseconds{msSinceEpoch}};
    const auto day = floor<days>(tp);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> time{tp - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(time.hours().count()),
                  int(time.minutes().count()), int(time.seconds().count()),
                  int(time.subseconds().count()));
    return buf;
}

namespace {

constexpr char HexDigits[] = "0123456789abcdef";

// The shortest digits that round-trip, and the decimal exponent of the first one.
struct ShortestDigits
{
    std::string digits;
    int exponent = 0; // value = d.ddd * 10^exponent
};

ShortestDigits shortestDigits(double value)
{
    char buf[64];
    const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string_view text(buf, static_cast<std::size_t>(result.ptr - buf));
    const auto e = text.find('e');
    ShortestDigits out;
    for (char c : text.substr(0, e)) {
        if (c >= '0' && c <= '9')
            out.digits += c;
    }
    std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                    out.exponent);
    return out;
}

std::string exponentForm(const ShortestDigits &d, char e)
{
    std::string out(1, d.digits[0]);
    if (d.digits.size() > 1) {
        out += '.';
        out.append(d.digits, 1);
    }
    out += e;
    out += d.exponent < 0 ? '-' : '+';
    const int magnitude = d.exponent < 0 ? -d.exponent : d.exponent;
    if (magnitude < 10)
        out += '0';
    out += std::to_string(magnitude);
    return out;
}

std::string fixedForm(const ShortestDigits &d)
{
    const int n = static_cast<int>(d.digits.size());
    const int point = d.exponent + 1; // digits before the decimal point
    if (point <= 0)
        return "0." + std::string(static_cast<std::size_t>(-point), '0') + d.digits;
    if (point >= n)
        return d.digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
    return d.digits.substr(0, static_cast<std::size_t>(point)) + '.' +
           d.digits.substr(static_cast<std::size_t>(point));
}

// strconv.FormatFloat(f, 'G', -1, 64) plus the driver's ".0" for integral values.
std::string goFloat(double value)
{
    if (value == 0)
        return std::signbit(value) ? "-0.0" : "0.0";
    const bool negative = value < 0;
    const ShortestDigits d = shortestDigits(negative ? -value : value);
    // Go's %G with the shortest digits switches to the exponent form at 1e-5 and 1e6; the driver
    // adds ".0" to integral values only in fixed form, which fixedForm() already does.
    const std::string out =
        (d.exponent < -4 || d.exponent >= 6) ? exponentForm(d, 'E') : fixedForm(d);
    return negative ? '-' + out : out;
}

// Decodes one UTF-8 sequence; the generator only makes valid UTF-8.
char32_t decodeUtf8(std::string_view s, std::size_t &i)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = b0 >= 0xf0 ? 3 : b0 >= 0xe0 ? 2 : 1;
    char32_t cp = b0 & (0x3f >> extra);
    for (int k = 0; k < extra && i + 1 < s.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3f);
    ++i;
    return cp;
}

void appendU4(std::string &out, unsigned unit)
{
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += HexDigits[(unit >> shift) & 0xf];
}

void writePythonString(std::string_view s, std::string &out)
{
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    appendU4(out, c);
                else
                    out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        const char32_t cp = decodeUtf8(s, i);
        if (cp > 0xffff) {
            const char32_t v = cp - 0x10000;
            appendU4(out, 0xd800 + (v >> 10));
            appendU4(out, 0xdc00 + (v & 0x3ff));
        } else {
            appendU4(out, cp);
        }
    }
    out += '"';
}

void writeGoString(std::string_view s, std::string &out)
{
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20)
                    appendU4(out, c);
                else
                    out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        const std::size_t start = i;
        const char32_t cp = decodeUtf8(s, i);
        if (cp == 0x2028 || cp == 0x2029)
            appendU4(out, cp);
        else
            out.append(s.substr(start, i - start));
    }
    out += '"';
}

void writePythonReprString(std::string_view s, std::string &out)
{
    out += '\'';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '\'':
            out += "\\'";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\x";
                out += HexDigits[c >> 4];
                out += HexDigits[c & 0xf];
            } else {
                out += ch;
            }
        }
    }
    out += '\'';
}

enum class Dialect { PythonJson, PythonRepr, ExtRelaxed, ExtCanonical };

void writeValue(const Value &v, std::string &out, Dialect dialect)
{
    const bool python = dialect == Dialect::PythonJson || dialect == Dialect::PythonRepr;
    const bool canonical = dialect == Dialect::ExtCanonical;
    const char *comma = python ? ", " : ",";
    const char *colon = python ? ": " : ":";
    auto string = [&](std::string_view s) {
        if (dialect == Dialect::PythonJson)
            writePythonString(s, out);
        else if (dialect == Dialect::PythonRepr)
            writePythonReprString(s, out);
        else
            writeGoString(s, out);
    };

    switch (v.type) {
    case Value::Type::Null:
        out += dialect == Dialect::PythonRepr ? "None" : "null";
        break;
    case Value::Type::Bool:
        if (dialect == Dialect::PythonRepr)
            out += v.boolean ? "True" : "False";
        else
            out += v.boolean ? "true" : "false";
        break;
    case Value::Type::Int:
        if (canonical) {
            const bool small = v.integer >= std::numeric_limits<int32_t>::min() &&
                               v.integer <= std::numeric_limits<int32_t>::max();
            out += small ? R"({"$numberInt":")" : R"({"$numberLong":")";
            out += std::to_string(v.integer);
            out += "\"}";
        } else {
            out += std::to_string(v.integer);
        }
        break;
    case Value::Type::Double:
        if (python) {
            out += pythonFloat(v.number);
        } else if (canonical) {
            out += R"({"$numberDouble":")";
            out += goFloat(v.number);
            out += "\"}";
        } else {
            out += goFloat(v.number);
        }
        break;
    case Value::Type::String:
        string(v.text);
        break;
    case Value::Type::Date:
        if (python) {
            string(isoTimestamp(v.integer));
        } else if (canonical) {
            out += R"({"$date":{"$numberLong":")";
            out += std::to_string(v.integer);
            out += "\"}}";
        } else {
            // Go's layout "2006-01-02T15:04:05.999Z07:00" drops trailing zeros of the fraction.
            std::string iso = isoTimestamp(v.integer);
            iso.pop_back(); // Z
            while (iso.back() == '0')
                iso.pop_back();
            if (iso.back() == '.')
                iso.pop_back();
            out += R"({"$date":")";
            out += iso;
            out += "Z\"}";
        }
        break;
    case Value::Type::Decimal:
        if (python) {
            out += pythonFloat(v.number);
        } else {
            out += R"({"$numberDecimal":")";
            out += v.text;
            out += "\"}";
        }
        break;
    case Value::Type::ObjectId:
        if (python) {
            string(v.text);
        } else {
            out += R"({"$oid":")";
            out += v.text;
            out += "\"}";
        }
        break;
    case Value::Type::Raw:
        out += v.text;
        break;
    case Value::Type::Array:
        out += '[';
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            if (i > 0)
                out += comma;
            writeValue(v.items[i], out, dialect);
        }
        out += ']';
        break;
    case Value::Type::Object:
        out += '{';
        for (std::size_t i = 0; i < v.members.size(); ++i) {
            if (i > 0)
                out += comma;
            string(v.members[i].first);
            out += colon;
            writeValue(v.members[i].second, out, dialect);
        }
        out += '}';
        break;
    }
}

bool appendMember(bson_t *doc, const std::string &key, const Value &v)
{
    const char *k = key.c_str();
    const int kl = static_cast<int>(key.size());
    switch (v.type) {
    case Value::Type::Null:
        return bson_append_null(doc, k, kl);
    case Value::Type::Bool:
        return bson_append_bool(doc, k, kl, v.boolean);
    case Value::Type::Int:
        if (v.integer >= std::numeric_limits<int32_t>::min() &&
            v.integer <= std::numeric_limits<int32_t>::max())
            return bson_append_int32(doc, k, kl, static_cast<int32_t>(v.integer));
        return bson_append_int64(doc, k, kl, v.integer);
    case Value::Type::Double:
        return bson_append_double(doc, k, kl, v.number);
    case Value::Type::String:
    case Value::Type::Raw:
        return bson_append_utf8(doc, k, kl, v.text.data(), static_cast<int>(v.text.size()));
    case Value::Type::Date:
        return bson_append_date_time(doc, k, kl, v.integer);
    case Value::Type::Decimal: {
        bson_decimal128_t dec;
        return bson_decimal128_from_string(v.text.c_str(), &dec) &&
               bson_append_decimal128(doc, k, kl, &dec);
    }
    case Value::Type::ObjectId: {
        bson_oid_t oid;
        if (!bson_oid_is_valid(v.text.c_str(), v.text.size()))
            return false;
        bson_oid_init_from_string(&oid, v.text.c_str());
        return bson_append_oid(doc, k, kl, &oid);
    }
    case Value::Type::Array: {
        bson_t child;
        if (!bson_append_array_begin(doc, k, kl, &child))
            return false;
        bool ok = true;
        for (std::size_t i = 0; i < v.items.size() && ok; ++i) {
            char buf[16];
            const char *indexKey = nullptr;
            bson_uint32_to_string(static_cast<uint32_t>(i), &indexKey, buf, sizeof buf);
            ok = appendMember(&child, indexKey, v.items[i]);
        }
        return bson_append_array_end(doc, &child) && ok;
    }
    case Value::Type::Object: {
        bson_t child;
        if (!bson_append_document_begin(doc, k, kl, &child))
            return false;
        const bool ok = appendBson(v, &child);
        return bson_append_document_end(doc, &child) && ok;
    }
    }
    return false;
}

} // namespace

std::string pythonFloat(double value)
{
    if (value == 0)
        return std::signbit(value) ? "-0.0" : "0.0";
    const bool negative = value < 0;
    const ShortestDigits d = shortestDigits(negative ? -value : value);
    // CPython's float_repr_style "short": exponent form when decpt <= -4 or decpt > 16.
    const int decpt = d.exponent + 1;
    const std::string out = (decpt <= -4 || decpt > 16) ? exponentForm(d, 'e') : fixedForm(d);
    return negative ? '-' + out : out;
}

void writePythonJson(const Value &value, std::string &out)
{
    writeValue(value, out, Dialect::PythonJson);
}

void writePythonRepr(const Value &value, std::string &out)
{
    writeValue(value, out, Dialect::PythonRepr);
}

void writeExtendedJson(const Value &value, std::string &out, bool canonical)
{
    writeValue(value, out, canonical ? Dialect::ExtCanonical : Dialect::ExtRelaxed);
}

bool appendBson(const Value &object, bson_t *document)
{
    for (const auto &[key, value] : object.members) {
        if (!appendMember(document, key, value))
            return false;
    }
    return true;
}

} // namespace llmaudit::loggen
