// llmaudit-loggen: writes deterministic, realistic LLM interaction logs in the standard log
// format (JSON Lines, a JSON array, mongoexport's Extended JSON, a mongodump .bson file), with
// optional malformed records and hostile payloads, for tests and benchmarks.

#include "faults.h"
#include "generator.h"
#include "value.h"

#include <bson/bson.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>

using namespace llmaudit::loggen;

namespace {

constexpr std::string_view Usage =
    "usage: llmaudit-loggen [--count N] [--seed S]\n"
    "                       [--format jsonl|json|mongo-relaxed|mongo-canonical|mongo-array|bson]\n"
    "                       [--malformed-rate R] [--hostile] -o FILE\n"
    "\n"
    "Writes N (default 1000) realistic LLM interaction records of the standard log format v1.\n"
    "The same arguments always give the same bytes. -o - writes to standard output.\n"
    "  --malformed-rate R  fraction (0..1) of records made invalid in realistic ways\n"
    "  --hostile           sprinkle markup, script, terminal escapes and odd Unicode\n";

struct Options
{
    GeneratorOptions generator;
    OutputFormat format = OutputFormat::Jsonl;
    std::string formatName = "jsonl";
    double malformedRate = 0;
    std::string output;
};

std::optional<OutputFormat> formatFromName(std::string_view name)
{
    if (name == "jsonl")
        return OutputFormat::Jsonl;
    if (name == "json")
        return OutputFormat::Json;
    if (name == "mongo-relaxed")
        return OutputFormat::MongoRelaxed;
    if (name == "mongo-canonical")
        return OutputFormat::MongoCanonical;
    if (name == "mongo-array")
        return OutputFormat::MongoArray;
    if (name == "bson")
        return OutputFormat::Bson;
    return std::nullopt;
}

template<class T>
bool parseNumber(std::string_view text, T &value)
{
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

int usageError(const std::string &message)
{
    std::fprintf(stderr, "llmaudit-loggen: %s\n\n%.*s", message.c_str(),
                 static_cast<int>(Usage.size()), Usage.data());
    return 2;
}

// Buffered output that remembers the first write error.
class Output
{
public:
    bool open(const std::string &path)
    {
        if (path == "-") {
            m_file = stdout;
            return true;
        }
        m_file = std::fopen(path.c_str(), "wb");
        m_owned = m_file != nullptr;
        return m_file != nullptr;
    }

    void write(std::string_view bytes)
    {
        m_buffer.append(bytes);
        m_bytes += bytes.size();
        if (m_buffer.size() >= (4u << 20))
            flush();
    }

    void flush()
    {
        if (!m_buffer.empty() &&
            std::fwrite(m_buffer.data(), 1, m_buffer.size(), m_file) != m_buffer.size())
            m_failed = true;
        m_buffer.clear();
    }

    bool close()
    {
        flush();
        if (std::fflush(m_file) != 0)
            m_failed = true;
        if (m_owned && std::fclose(m_file) != 0)
            m_failed = true;
        m_file = nullptr;
        return !m_failed;
    }

    uint64_t bytes() const { return m_bytes; }

private:
    FILE *m_file = nullptr;
    bool m_owned = false;
    bool m_failed = false;
    std::string m_buffer;
    uint64_t m_bytes = 0;
};

Value withObjectId(Value document, const std::string &objectId)
{
    Value out = Value::object();
    out.members.reserve(document.members.size() + 1);
    out.set("_id", Value::objectId(objectId));
    for (auto &member : document.members)
        out.members.push_back(std::move(member));
    return out;
}

std::string bsonBytes(const Value &document)
{
    bson_t bson;
    bson_init(&bson);
    std::string bytes;
    if (appendBson(document, &bson))
        bytes.assign(reinterpret_cast<const char *>(bson_get_data(&bson)), bson.len);
    bson_destroy(&bson);
    return bytes;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool inlineValue = false;
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                inlineValue = true;
            }
        }
        auto takeValue = [&]() -> bool {
            if (inlineValue)
                return true;
            if (i + 1 >= argc)
                return false;
            value = argv[++i];
            return true;
        };
        if (arg == "-h" || arg == "--help") {
            std::fwrite(Usage.data(), 1, Usage.size(), stdout);
            return 0;
        } else if (arg == "--hostile") {
            options.generator.hostile = true;
        } else if (arg == "--count") {
            if (!takeValue() || !parseNumber(value, options.generator.count) ||
                options.generator.count < 0)
                return usageError("--count needs a number of records, 0 or more");
        } else if (arg == "--seed") {
            if (!takeValue() || !parseNumber(value, options.generator.seed))
                return usageError("--seed needs an unsigned integer");
        } else if (arg == "--format") {
            const auto format = takeValue() ? formatFromName(value) : std::nullopt;
            if (!format)
                return usageError("unknown --format");
            options.format = *format;
            options.formatName = std::string(value);
        } else if (arg == "--malformed-rate") {
            // from_chars for double: GCC 11+.
            if (!takeValue() || !parseNumber(value, options.malformedRate) ||
                !(options.malformedRate >= 0 && options.malformedRate <= 1))
                return usageError("--malformed-rate needs a fraction between 0 and 1");
        } else if (arg == "-o" || arg == "--output") {
            if (!takeValue() || value.empty())
                return usageError("-o needs a file name, or - for standard output");
            options.output = std::string(value);
        } else {
            return usageError("unknown argument " + std::string(arg));
        }
    }
    if (options.output.empty())
        return usageError("-o FILE is required");
    if (options.output == "-" && options.format == OutputFormat::Bson && isatty(STDOUT_FILENO))
        return usageError("refusing to write BSON to a terminal");

    Output out;
    if (!out.open(options.output)) {
        std::fprintf(stderr, "llmaudit-loggen: cannot write %s\n", options.output.c_str());
        return 1;
    }

    Generator generator(options.generator);
    const int64_t count = generator.count();
    const OutputFormat format = options.format;
    const bool array = format == OutputFormat::Json || format == OutputFormat::MongoArray;
    int64_t malformed = 0;
    int64_t blankLines = 0;
    std::string text;

    if (array)
        out.write(count == 0 ? "[" : "[\n");
    for (int64_t i = 0; i < count; ++i) {
        GeneratedRecord record = generator.make(i);
        const FaultPlan plan =
            planFault(options.generator.seed, i, options.malformedRate, format, i + 1 == count);
        Value document = isMongoFormat(format)
                             ? withObjectId(std::move(record.document), record.objectId)
                             : std::move(record.document);
        if (plan.fault != Fault::None)
            ++malformed;
        applyToDocument(plan, document, format);

        if (format == OutputFormat::Bson) {
            std::string bytes = bsonBytes(document);
            if (bytes.empty()) {
                std::fprintf(stderr, "llmaudit-loggen: record %lld does not fit in BSON\n",
                             static_cast<long long>(i));
                return 1;
            }
            applyToBson(plan, bytes);
            out.write(bytes);
            continue;
        }

        text.clear();
        if (isPythonJson(format))
            writePythonJson(document, text);
        else
            writeExtendedJson(document, text, format == OutputFormat::MongoCanonical);
        applyToText(plan, text, document, format);
        if (plan.blankLineBefore) {
            out.write("\n");
            ++blankLines;
        }
        if (array && i > 0)
            out.write(",\n");
        out.write(text);
        if (!array)
            out.write("\n");
    }
    if (array)
        out.write(count == 0 ? "]\n" : "\n]\n");

    if (!out.close()) {
        std::fprintf(stderr, "llmaudit-loggen: write error on %s\n", options.output.c_str());
        return 1;
    }
    std::fprintf(stderr,
                 "llmaudit-loggen: %lld records (%lld malformed, %lld blank lines), %llu bytes "
                 "of %s, seed %llu, %lld users, %lld sessions -> %s\n",
                 static_cast<long long>(count), static_cast<long long>(malformed),
                 static_cast<long long>(blankLines), static_cast<unsigned long long>(out.bytes()),
                 options.formatName.c_str(),
                 static_cast<unsigned long long>(options.generator.seed),
                 static_cast<long long>(generator.userCount()),
                 static_cast<long long>(generator.sessionCount()), options.output.c_str());
    return 0;
}
