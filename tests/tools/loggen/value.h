#pragma once

// The generator's own document tree, with the two types JSON lacks (a date and a decimal) so that
// one record can be written as Python-style JSON, as mongoexport's Extended JSON and as BSON.

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmaudit::loggen {

struct Member;

struct Value
{
    enum class Type : uint8_t {
        Null,
        Bool,
        Int,
        Double,
        String,
        Date,     // integer = milliseconds since the epoch, UTC
        Decimal,  // text = the decimal digits, number = the same value as a double
        ObjectId, // text = 24 hex digits
        Raw,      // text written verbatim by the JSON writers (only for malformed records)
        Array,
        Object
    };

    Type type = Type::Null;
    bool boolean = false;
    int64_t integer = 0;
    double number = 0;
    std::string text;
    std::vector<Value> items;
    std::vector<Member> members; // in insertion order

    // (Defined below Member, which must be complete first.)
    static Value of(bool b);
    static Value of(int64_t i);
    static Value of(int i);
    static Value of(double d);
    static Value of(std::string s);
    static Value of(std::string_view s);
    static Value of(const char *s);
    static Value date(int64_t msSinceEpoch);
    static Value decimal(std::string digits);
    static Value objectId(std::string hex);
    static Value raw(std::string text);
    static Value array();
    static Value object();

    // Objects: appends (or replaces in place) a member; returns the stored value.
    Value &set(std::string key, Value value);
    Value *find(std::string_view key);
    bool erase(std::string_view key);
    // Arrays.
    Value &push(Value value);
};

struct Member
{
    std::string first; // the key
    Value second;
};

inline Value Value::of(int i)
{
    return of(static_cast<int64_t>(i));
}

inline Value Value::of(std::string_view s)
{
    return of(std::string(s));
}

inline Value Value::of(const char *s)
{
    return of(std::string(s));
}

// Python's json.dumps(obj) with its defaults: ", " and ": " separators, ensure_ascii, float repr.
void writePythonJson(const Value &value, std::string &out);
// Python's repr() of the same dict (single quotes, True/False/None): what a logger writes when it
// logs str(record) instead of json.dumps(record).
void writePythonRepr(const Value &value, std::string &out);
// MongoDB Extended JSON v2 exactly as mongoexport writes it (the Go driver's writer).
void writeExtendedJson(const Value &value, std::string &out, bool canonical);
// Appends the members of an object to a BSON document.
bool appendBson(const Value &object, bson_t *document);

// "2026-01-05T10:00:00.123Z"
std::string isoTimestamp(int64_t msSinceEpoch);
// Python's repr() of a double.
std::string pythonFloat(double value);

} // namespace llmaudit::loggen
