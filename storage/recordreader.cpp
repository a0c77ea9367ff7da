#include "recordreader.h"

#include "extjson.h"

#include <QFileInfo>

#include <bson/bson.h>

#include <cstring>

namespace llmaudit {

namespace {

constexpr qint64 ChunkBytes = 4 * 1024 * 1024;

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int32_t readInt32LE(const char *p)
{
    uint32_t v = static_cast<uint8_t>(p[0]) |
                 static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
                 static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
                 static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24;
    return static_cast<int32_t>(v);
}

bool plausibleBsonStart(const char *p, qint64 available)
{
    if (available < 5)
        return false;
    const int32_t length = readInt32LE(p);
    const auto type = static_cast<uint8_t>(p[4]);
    const bool knownType = (type >= 0x01 && type <= 0x13) || type == 0x7F || type == 0xFF;
    return length >= 5 && length <= RecordReader::MaxRecordBytes &&
           (knownType || (length == 5 && type == 0));
}

// A whole first document: a plausible length, a known element type, the terminating zero, and
// libbson's structural check when the document fits in `head`.
bool looksLikeBson(const QByteArray &head)
{
    if (!plausibleBsonStart(head.constData(), head.size()))
        return false;
    const int32_t length = readInt32LE(head.constData());
    if (length > head.size())
        return true; // cannot see its end; the reader reports it if it is not BSON after all
    bson_t document;
    return head[length - 1] == 0 &&
           bson_init_static(&document, reinterpret_cast<const uint8_t *>(head.constData()),
                            static_cast<size_t>(length)) &&
           bson_validate(&document, BSON_VALIDATE_NONE, nullptr);
}

// JSON Lines, and mongoexport's one-document-per-line output.
class LineReader final : public RecordReader
{
public:
    using RecordReader::RecordReader;

    bool next(RawRecord &record) override
    {
        for (;;) {
            if (atEnd())
                return false;
            record = RawRecord{};
            record.line = ++m_line;
            bool oversized = false;
            qint64 scanned = 0;
            for (;;) {
                const qint64 have = available();
                const char *newline = static_cast<const char *>(
                    std::memchr(data() + scanned, '\n', static_cast<size_t>(have - scanned)));
                if (newline) {
                    const qint64 length = newline - data();
                    if (!oversized)
                        record.text.assign(data(), static_cast<size_t>(length));
                    consume(length + 1);
                    break;
                }
                if (have >= MaxRecordBytes) { // keep the start, drop the rest of the line
                    if (!oversized)
                        record.text.assign(data(), KeptBytesOfOversized);
                    oversized = true;
                    consume(have);
                    scanned = 0;
                } else {
                    scanned = have;
                }
                if (fill(available() + ChunkBytes) == scanned) { // last line, no newline
                    if (!oversized)
                        record.text.assign(data(), static_cast<size_t>(scanned));
                    consume(scanned);
                    break;
                }
            }
            if (oversized)
                record.frameError = "the record is larger than the limit of " +
                                    std::to_string(MaxRecordBytes / (1024 * 1024)) +
                                    " MiB; its first " +
                                    std::to_string(KeptBytesOfOversized / 1024) + " KiB are kept";
            if (!record.text.empty() && record.text.back() == '\r')
                record.text.pop_back();
            if (record.line == 1 && record.text.starts_with("\xEF\xBB\xBF"))
                record.text.erase(0, 3);
            if (record.frameError.empty() &&
                std::all_of(record.text.begin(), record.text.end(), isSpace))
                continue; // blank lines are not records
            record.index = ++m_index;
            return true;
        }
    }

private:
    qint64 m_line = 0;
    qint64 m_index = 0;
};

// A JSON array of records, cut element by element so that a file of any size streams.
// nlohmann/json can only parse a whole array at once, hence this small scanner: it tracks
// strings and nesting only, and each element is then parsed by the codec.
class ArrayReader final : public RecordReader
{
public:
    using RecordReader::RecordReader;

    bool next(RawRecord &record) override
    {
        record = RawRecord{};
        if (!m_started) {
            skipSpace();
            if (available() >= 3 && std::memcmp(data(), "\xEF\xBB\xBF", 3) == 0) {
                consume(3);
                skipSpace();
            }
            if (available() == 0 || *data() != '[') {
                m_done = true;
                if (available() == 0)
                    return false;
                return junk(record, "expected a JSON array starting with '['");
            }
            consume(1);
            m_started = true;
            skipSpace();
            if (available() > 0 && *data() == ']') {
                consume(1);
                m_done = true;
            }
        }
        if (m_done) {
            skipSpace();
            if (available() > 0)
                return junk(record, "unexpected text after the end of the JSON array");
            return false;
        }
        skipSpace();
        if (available() == 0) {
            m_done = true;
            record.line = m_line;
            record.index = ++m_index;
            record.frameError = "the file ends inside the JSON array (no closing ']')";
            return true;
        }
        record.line = m_line;
        record.index = ++m_index;
        cutElement(record);
        skipSpace();
        if (available() > 0 && *data() == ',') {
            consume(1);
        } else if (available() > 0 && *data() == ']') {
            consume(1);
            m_done = true;
        } else if (available() == 0) {
            m_done = true;
            if (record.frameError.empty())
                record.frameError = "the file ends inside the JSON array (no closing ']')";
        }
        // Otherwise the next call cuts whatever follows as a (bad) element of its own.
        return true;
    }

private:
    void skipSpace()
    {
        for (;;) {
            if (available() == 0 && fill(ChunkBytes) == 0)
                return;
            if (!isSpace(*data()))
                return;
            if (*data() == '\n')
                ++m_line;
            consume(1);
        }
    }

    bool junk(RawRecord &record, const char *reason)
    {
        record.line = m_line;
        record.index = ++m_index;
        record.frameError = reason;
        while (fill(KeptBytesOfOversized) > 0 && record.text.size() < KeptBytesOfOversized) {
            const qint64 take =
                std::min<qint64>(available(), KeptBytesOfOversized - qint64(record.text.size()));
            record.text.append(data(), static_cast<size_t>(take));
            consume(take);
        }
        while (fill(ChunkBytes) > 0)
            consume(available());
        return true;
    }

    // Cuts one element: a balanced {...} or [...], or anything else up to the next ',' or ']'
    // outside strings and brackets.
    void cutElement(RawRecord &record)
    {
        int depth = 0;
        bool inString = false;
        bool escaped = false;
        bool oversized = false;
        qint64 i = 0;
        for (;;) {
            if (i >= available()) {
                if (oversized) {
                    consume(i);
                    i = 0;
                } else if (i >= MaxRecordBytes) {
                    record.text.assign(data(), KeptBytesOfOversized);
                    oversized = true;
                    consume(i);
                    i = 0;
                }
                if (fill(available() + ChunkBytes) <= i)
                    break; // end of file inside the element
            }
            const char c = data()[i];
            if (c == '\n')
                ++m_line;
            if (inString) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == ']' && depth == 0) {
                break; // the array's own ']'
            } else if (c == '}' && depth == 0) {
                // A stray '}': part of this (bad) element, never a place to stop.
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    ++i;
                    break;
                }
            } else if (c == ',' && depth == 0) {
                break;
            }
            ++i;
        }
        if (!oversized) {
            record.text.assign(data(), static_cast<size_t>(i));
            while (!record.text.empty() && isSpace(record.text.back()))
                record.text.pop_back();
        }
        consume(i);
        if (oversized)
            record.frameError = "the record is larger than the limit of " +
                                std::to_string(MaxRecordBytes / (1024 * 1024)) + " MiB";
    }

    bool m_started = false;
    bool m_done = false;
    qint64 m_line = 1;
    qint64 m_index = 0;
};

// mongodump output: BSON documents back to back, each starting with its int32 length. Each is
// turned into canonical Extended JSON by libbson (lossless) and mapped like a mongoexport line.
class BsonReader final : public RecordReader
{
public:
    using RecordReader::RecordReader;

    bool next(RawRecord &record) override
    {
        record = RawRecord{};
        if (fill(4) == 0)
            return false;
        record.index = ++m_index;
        const qint64 have = fill(5);
        const int32_t length = have >= 4 ? readInt32LE(data()) : 0;
        if (have < 5 || length < 5 || length > MaxRecordBytes) {
            resync(record, "not a BSON document here (its length prefix is implausible)");
            return true;
        }
        if (fill(length) < length) {
            record.frameError =
                "the file ends inside a BSON document of " + std::to_string(length) + " bytes";
            record.text = hexPreview(data(), available());
            consume(available());
            return true;
        }
        bson_t document;
        const bool intact = validDocumentAt(data(), length);
        if (!intact ||
            !bson_init_static(&document, reinterpret_cast<const uint8_t *>(data()),
                              static_cast<size_t>(length)) ||
            !bson_validate(&document,
                           static_cast<bson_validate_flags_t>(BSON_VALIDATE_UTF8 |
                                                              BSON_VALIDATE_UTF8_ALLOW_NULL),
                           nullptr)) {
            // Damage inside a document whose length is right: when the next document (or the
            // end of the file) follows, only this one is lost; otherwise the length is wrong too.
            const qint64 after = fill(qint64(length) + 5);
            if (after == length || plausibleBsonStart(data() + length, after - length)) {
                record.frameError = "a corrupt BSON document (bad structure, element type or "
                                    "invalid UTF-8)";
                record.text = hexPreview(data(), length);
                consume(length);
            } else {
                resync(record, "a corrupt BSON document whose length is wrong");
            }
            return true;
        }
        size_t jsonLength = 0;
        char *text = bson_as_canonical_extended_json(&document, &jsonLength);
        if (!text) {
            record.frameError = "a BSON document that cannot be written as Extended JSON";
            record.text = hexPreview(data(), length);
            consume(length);
            return true;
        }
        record.text.assign(text, jsonLength);
        bson_free(text);
        consume(length);
        return true;
    }

private:
    static std::string hexPreview(const char *p, qint64 count)
    {
        static const char digits[] = "0123456789abcdef";
        std::string out = "BSON bytes (hex): ";
        for (qint64 i = 0; i < std::min<qint64>(count, KeptBytesOfOversized / 2); ++i) {
            out += digits[static_cast<uint8_t>(p[i]) >> 4];
            out += digits[static_cast<uint8_t>(p[i]) & 15];
        }
        return out;
    }

    static bool validDocumentAt(const char *p, qint64 available)
    {
        if (!plausibleBsonStart(p, available))
            return false;
        const int32_t length = readInt32LE(p);
        if (length > available || p[length - 1] != 0)
            return false;
        bson_t document;
        return bson_init_static(&document, reinterpret_cast<const uint8_t *>(p),
                                static_cast<size_t>(length)) &&
               bson_validate(&document, BSON_VALIDATE_NONE, nullptr);
    }

    // Skips to the next offset where a whole valid document starts; what was skipped becomes
    // the quarantined record, so nothing is silently lost.
    void resync(RawRecord &record, const char *reason)
    {
        record.frameError = reason;
        const qint64 start = m_consumed;
        qint64 skipped = 0;
        std::string kept;
        auto skip = [&](qint64 count) {
            const auto room = static_cast<qint64>(KeptBytesOfOversized / 2) - qint64(kept.size());
            kept.append(data(), static_cast<size_t>(std::clamp<qint64>(room, 0, count)));
            consume(count);
            skipped += count;
        };
        skip(1);
        for (;;) {
            if (fill(5) < 5) { // a tail too short to be a document
                skip(available());
                break;
            }
            if (plausibleBsonStart(data(), available())) {
                const int32_t length = readInt32LE(data());
                if (fill(length) >= length && validDocumentAt(data(), length))
                    break;
            }
            skip(1);
        }
        record.text = hexPreview(kept.data(), qint64(kept.size()));
        record.frameError +=
            " at byte " + std::to_string(start) + "; " + std::to_string(skipped) + " bytes skipped";
    }

    qint64 m_index = 0;
};

} // namespace

std::optional<InputFormat> inputFormatFromName(QStringView name)
{
    if (name == u"auto")
        return InputFormat::Auto;
    if (name == u"jsonl")
        return InputFormat::Jsonl;
    if (name == u"json")
        return InputFormat::JsonArray;
    if (name == u"mongo")
        return InputFormat::Mongo;
    if (name == u"bson")
        return InputFormat::Bson;
    return std::nullopt;
}

QString inputFormatName(InputFormat format)
{
    switch (format) {
    case InputFormat::Auto:
        return QStringLiteral("auto");
    case InputFormat::Jsonl:
        return QStringLiteral("jsonl");
    case InputFormat::JsonArray:
        return QStringLiteral("json");
    case InputFormat::Mongo:
        return QStringLiteral("mongo");
    case InputFormat::Bson:
        return QStringLiteral("bson");
    }
    return {};
}

RecordReader::RecordReader(std::unique_ptr<QFile> file, InputFormat format, Dialect dialect)
    : m_file(std::move(file))
    , m_path(m_file->fileName())
    , m_format(format)
    , m_dialect(dialect)
    , m_size(m_file->size())
{}

RecordReader::~RecordReader() = default;

QString RecordReader::displayName() const
{
    return m_path.startsWith(u':') ? m_path : QFileInfo(m_path).fileName();
}

QString RecordReader::location(const RawRecord &record) const
{
    if (m_format == InputFormat::Bson)
        return displayName() + u'#' + QString::number(record.index);
    return displayName() + u':' + QString::number(record.line);
}

qint64 RecordReader::fill(qint64 count)
{
    while (available() < count && !m_eof) {
        if (m_pos > 0 && m_pos >= static_cast<qint64>(m_buffer.size()) / 2) {
            m_buffer.erase(0, static_cast<size_t>(m_pos));
            m_pos = 0;
        }
        const size_t old = m_buffer.size();
        const qint64 want = std::max(ChunkBytes, count - available());
        m_buffer.resize(old + static_cast<size_t>(want));
        const qint64 got = m_file->read(m_buffer.data() + old, want);
        if (got < 0) {
            m_ioError = Error{QStringLiteral("cannot read on: %1").arg(m_file->errorString()),
                              displayName()};
            m_buffer.resize(old);
            m_eof = true;
        } else {
            m_buffer.resize(old + static_cast<size_t>(got));
            if (got == 0)
                m_eof = true;
        }
    }
    return available();
}

void RecordReader::consume(qint64 count)
{
    m_pos += count;
    m_consumed += count;
}

bool RecordReader::atEnd()
{
    return fill(1) == 0;
}

Result<std::unique_ptr<RecordReader>> RecordReader::open(const QString &path, InputFormat format)
{
    auto file = std::make_unique<QFile>(path);
    const QString name = QFileInfo(path).fileName();
    if (!file->exists())
        return fail(QStringLiteral("no such file"), path);
    if (QFileInfo(path).isDir())
        return fail(QStringLiteral("is a directory, not a log file"), path);
    if (!file->open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot open: %1").arg(file->errorString()), path);

    // Detection reads the start of the file; the reader then starts from the beginning.
    const QByteArray head = file->peek(64 * 1024);
    qsizetype at = head.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    while (at < head.size() && isSpace(head[at]))
        ++at;
    if (format == InputFormat::Auto) {
        // BSON first, on the raw bytes: a document's length prefix may well start with '['.
        if (looksLikeBson(head))
            format = InputFormat::Bson;
        else if (head.isEmpty() || at == head.size())
            format = InputFormat::Jsonl; // empty: no records, nothing to complain about
        else if (head[at] == '[')
            format = InputFormat::JsonArray;
        else if (head[at] == '{')
            format = InputFormat::Jsonl;
        else
            return fail(
                QStringLiteral("not a log format this program reads (JSON Lines, a JSON "
                               "array, MongoDB Extended JSON or BSON): it starts with %1")
                    .arg(QString::fromUtf8(head.mid(at, 16).toPercentEncoding(" {}[]\":,"))),
                name);
    }
    Dialect dialect = Dialect::Standard;
    if (format == InputFormat::Bson || format == InputFormat::Mongo) {
        dialect = Dialect::ExtendedJson;
    } else {
        static const char *const markers[] = {
            "\"_id\":",       "\"_id\" :",       "\"$oid\"",          "\"$date\"",
            "\"$numberInt\"", "\"$numberLong\"", "\"$numberDouble\"", "\"$numberDecimal\""};
        if (std::any_of(std::begin(markers), std::end(markers),
                        [&](const char *marker) { return head.contains(marker); }))
            dialect = Dialect::ExtendedJson; // mongoexport output
    }
    if (format == InputFormat::Mongo)
        format =
            (at < head.size() && head[at] == '[') ? InputFormat::JsonArray : InputFormat::Jsonl;

    std::unique_ptr<RecordReader> reader;
    switch (format) {
    case InputFormat::Jsonl:
        reader.reset(new LineReader(std::move(file), format, dialect));
        break;
    case InputFormat::JsonArray:
        reader.reset(new ArrayReader(std::move(file), format, dialect));
        break;
    case InputFormat::Bson:
        reader.reset(new BsonReader(std::move(file), format, dialect));
        break;
    case InputFormat::Auto:
    case InputFormat::Mongo:
        Q_UNREACHABLE();
    }
    return reader;
}

} // namespace llmaudit
