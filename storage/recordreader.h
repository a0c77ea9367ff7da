#pragma once

// Streams the records of a log file one at a time, whatever its size: JSON Lines, a JSON array,
// MongoDB exports (Extended JSON) and mongodump .bson files. The format is detected from the
// content when not given.

#include "logcodec.h"
#include "result.h"

#include <QFile>
#include <QString>

#include <memory>
#include <string>

namespace llmaudit {

enum class InputFormat { Auto, Jsonl, JsonArray, Mongo, Bson };

std::optional<InputFormat> inputFormatFromName(QStringView name); // auto|jsonl|json|mongo|bson
QString inputFormatName(InputFormat format);

struct RawRecord
{
    std::string text;       // the record's bytes as text (BSON: canonical Extended JSON)
    qint64 line = 0;        // 1-based line where it starts (text formats)
    qint64 index = 0;       // 1-based position in the file
    std::string frameError; // set when the bytes could not even be cut out as one record
};

class RecordReader
{
public:
    // Records larger than this are refused (their first bytes kept for the quarantine).
    static constexpr qint64 MaxRecordBytes = 64 * 1024 * 1024;
    static constexpr qint64 KeptBytesOfOversized = 64 * 1024;

    static Result<std::unique_ptr<RecordReader>> open(const QString &path,
                                                      InputFormat format = InputFormat::Auto);
    virtual ~RecordReader();

    // The next record; false at the end of the file.
    virtual bool next(RawRecord &record) = 0;

    // Set once the file could not be read on (an I/O error, not bad content).
    const std::optional<Error> &ioError() const { return m_ioError; }

    InputFormat format() const { return m_format; }
    Dialect dialect() const { return m_dialect; }
    qint64 bytesRead() const { return m_consumed; }
    qint64 size() const { return m_size; }
    const QString &path() const { return m_path; }
    QString displayName() const;                     // file name for messages
    QString location(const RawRecord &record) const; // "events.jsonl:17" or "dump.bson#17"

protected:
    RecordReader(std::unique_ptr<QFile> file, InputFormat format, Dialect dialect);

    // Makes at least `count` unread bytes available unless the file ends first; returns how many
    // are available.
    qint64 fill(qint64 count);
    const char *data() const { return m_buffer.data() + m_pos; }
    qint64 available() const { return static_cast<qint64>(m_buffer.size()) - m_pos; }
    void consume(qint64 count);
    bool atEnd();

    std::unique_ptr<QFile> m_file;
    QString m_path;
    InputFormat m_format;
    Dialect m_dialect;
    qint64 m_size = 0;
    qint64 m_consumed = 0;
    std::optional<Error> m_ioError;

private:
    std::string m_buffer;
    qint64 m_pos = 0;
    bool m_eof = false;
};

} // namespace llmaudit
