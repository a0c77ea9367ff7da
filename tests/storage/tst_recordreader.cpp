// The readers: every record comes out once, with its place, and framing damage is reported as
// a record of its own instead of stopping the file or losing what follows.

#include "recordreader.h"

#include <QTemporaryDir>
#include <QTest>

#include <bson/bson.h>

using namespace llmaudit;

namespace {

struct Read
{
    std::vector<RawRecord> records;
    QStringList locations;
    InputFormat format = InputFormat::Auto;
    Dialect dialect = Dialect::Standard;
};

Read readAll(const QString &path, InputFormat format = InputFormat::Auto)
{
    Read read;
    auto reader = RecordReader::open(path, format);
    if (!reader)
        qFatal("cannot open %s: %s", qPrintable(path), qPrintable(reader.error().toString()));
    read.format = (*reader)->format();
    read.dialect = (*reader)->dialect();
    RawRecord record;
    while ((*reader)->next(record)) {
        read.locations << (*reader)->location(record);
        read.records.push_back(record);
    }
    return read;
}

QByteArray bsonDocument(int i)
{
    bson_t doc;
    bson_init(&doc);
    bson_oid_t oid;
    uint8_t bytes[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, static_cast<uint8_t>(i)};
    bson_oid_init_from_data(&oid, bytes);
    BSON_APPEND_OID(&doc, "_id", &oid);
    const std::string id = "b-" + std::to_string(i);
    BSON_APPEND_UTF8(&doc, "interaction_id", id.c_str());
    BSON_APPEND_DATE_TIME(&doc, "timestamp", 1767607200123);
    BSON_APPEND_INT64(&doc, "n", 5000000000);
    QByteArray out(reinterpret_cast<const char *>(bson_get_data(&doc)), int(doc.len));
    bson_destroy(&doc);
    return out;
}

} // namespace

class TestRecordReader : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString write(const char *name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(QString::fromUtf8(name));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        file.write(content);
        return path;
    }

private Q_SLOTS:
    void jsonLines()
    {
        const QString path =
            write("a.jsonl", "\xEF\xBB\xBF{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}");
        Read read = readAll(path);
        QCOMPARE(read.format, InputFormat::Jsonl);
        QCOMPARE(read.records.size(), size_t(3));
        QCOMPARE(read.records[0].text, std::string("{\"a\":1}"));
        QCOMPARE(read.records[2].text, std::string("{\"c\":3}")); // no final newline
        QCOMPARE(read.locations, (QStringList{u"a.jsonl:1"_qs, u"a.jsonl:4"_qs, u"a.jsonl:5"_qs}));
    }

    void jsonArray()
    {
        const QString path = write(
            "a.json", "[\n {\"s\": \"a ] , [ } { \\\" \"},\n {\"n\": [1, {\"x\": []}]},\n 42 ]\n");
        Read read = readAll(path);
        QCOMPARE(read.format, InputFormat::JsonArray);
        QCOMPARE(read.records.size(), size_t(3));
        QCOMPARE(read.records[0].text, std::string("{\"s\": \"a ] , [ } { \\\" \"}"));
        QCOMPARE(read.records[1].text, std::string("{\"n\": [1, {\"x\": []}]}"));
        QCOMPARE(read.records[2].text, std::string("42"));
        QCOMPARE(read.locations, (QStringList{u"a.json:2"_qs, u"a.json:3"_qs, u"a.json:4"_qs}));
        for (const auto &r : read.records)
            QVERIFY(r.frameError.empty());
    }

    void truncatedJsonArray()
    {
        Read read = readAll(write("t.json", "[{\"a\":1},{\"b\":"));
        QCOMPARE(read.records.size(), size_t(2));
        QVERIFY(read.records[0].frameError.empty());
        QCOMPARE(read.records[1].text, std::string("{\"b\":"));
        QVERIFY(!read.records[1].frameError.empty()); // the end of the file is named
    }

    void junkAfterJsonArray()
    {
        Read read = readAll(write("j.json", "[{\"a\":1}] trailing words"));
        QCOMPARE(read.records.size(), size_t(2));
        QCOMPARE(read.records[1].text, std::string("trailing words"));
        QVERIFY(QString::fromStdString(read.records[1].frameError).contains(u"after the end"));
    }

    void emptyFiles()
    {
        QCOMPARE(readAll(write("e.jsonl", "")).records.size(), size_t(0));
        QCOMPARE(readAll(write("e.json", " [ ] ")).records.size(), size_t(0));
    }

    void mongoExportIsDetected()
    {
        Read read =
            readAll(write("m.json", "{\"_id\":{\"$oid\":\"65a1b2c3d4e5f60718293a4b\"},\"a\":1}\n"));
        QCOMPARE(read.format, InputFormat::Jsonl);
        QCOMPARE(read.dialect, Dialect::ExtendedJson);
        QCOMPARE(readAll(write("p.jsonl", "{\"a\":1}\n")).dialect, Dialect::Standard);
        Read array =
            readAll(write("m2.json", "[{\"_id\":{\"$oid\":\"65a1b2c3d4e5f60718293a4b\"}}]"),
                    InputFormat::Mongo);
        QCOMPARE(array.format, InputFormat::JsonArray);
        QCOMPARE(array.dialect, Dialect::ExtendedJson);
    }

    void unknownContentIsRefusedClearly()
    {
        auto reader = RecordReader::open(write("x.txt", "hello world"));
        QVERIFY(!reader);
        QVERIFY2(reader.error().message.contains(u"not a log format"),
                 qPrintable(reader.error().toString()));
        auto missing = RecordReader::open(m_dir.filePath(QStringLiteral("nope.jsonl")));
        QVERIFY(!missing);
        QCOMPARE(missing.error().message, QStringLiteral("no such file"));
    }

    void oversizedLineIsKeptInPart()
    {
        QByteArray big =
            "{\"a\":\"" + QByteArray(RecordReader::MaxRecordBytes + 10, 'x') + "\"}\n{\"b\":1}\n";
        Read read = readAll(write("big.jsonl", big));
        QCOMPARE(read.records.size(), size_t(2));
        QVERIFY(!read.records[0].frameError.empty());
        QCOMPARE(qint64(read.records[0].text.size()), RecordReader::KeptBytesOfOversized);
        QCOMPARE(read.records[1].text, std::string("{\"b\":1}"));
        QCOMPARE(read.locations[1], QStringLiteral("big.jsonl:2"));
    }

    void bsonWithACorruptDocumentInTheMiddle()
    {
        QByteArray file = bsonDocument(1) + bsonDocument(2);
        QByteArray broken = bsonDocument(3);
        broken[4] = char(0x42); // an element type that does not exist
        file += broken + bsonDocument(4);
        Read read = readAll(write("dump.bson", file));
        QCOMPARE(read.format, InputFormat::Bson);
        QCOMPARE(read.dialect, Dialect::ExtendedJson);
        QCOMPARE(read.records.size(), size_t(4));
        QVERIFY(read.records[0].frameError.empty());
        QVERIFY(QString::fromStdString(read.records[0].text).contains(u"\"$oid\""));
        QVERIFY(QString::fromStdString(read.records[1].text)
                    .contains(u"\"$numberLong\" : \"5000000000\""));
        QVERIFY(!read.records[2].frameError.empty());
        QVERIFY(read.records[3].frameError.empty());
        QVERIFY(QString::fromStdString(read.records[3].text).contains(u"b-4"));
        QCOMPARE(read.locations, (QStringList{u"dump.bson#1"_qs, u"dump.bson#2"_qs,
                                              u"dump.bson#3"_qs, u"dump.bson#4"_qs}));
    }

    // A damaged element type inside a document of the right length loses that document only:
    // its embedded sub-documents must not come out as records.
    void bsonDamagedInsideKeepsItsLength()
    {
        bson_t doc, inner;
        bson_init(&doc);
        BSON_APPEND_DOCUMENT_BEGIN(&doc, "request", &inner);
        BSON_APPEND_UTF8(&inner, "prompt", "hello");
        bson_append_document_end(&doc, &inner);
        QByteArray bytes(reinterpret_cast<const char *>(bson_get_data(&doc)), int(doc.len));
        bson_destroy(&doc);
        bytes[4] = char(0x42);
        Read read = readAll(write("inner.bson", bsonDocument(1) + bytes + bsonDocument(2)));
        QCOMPARE(read.records.size(), size_t(3));
        QVERIFY(!read.records[1].frameError.empty());
        QVERIFY(QString::fromStdString(read.records[2].text).contains(u"b-2"));
    }

    // A document 0x0B5B bytes long starts with '[': still BSON, not a JSON array.
    void bsonThatStartsLikeJson()
    {
        bson_t doc;
        bson_init(&doc);
        const std::string padding(0x0B5B - 13, 'p');
        BSON_APPEND_UTF8(&doc, "p", padding.c_str());
        QCOMPARE(doc.len, 0x0B5Bu);
        QByteArray bytes(reinterpret_cast<const char *>(bson_get_data(&doc)), int(doc.len));
        bson_destroy(&doc);
        QCOMPARE(bytes[0], '[');
        Read read = readAll(write("bracket.bson", bytes + bsonDocument(1)));
        QCOMPARE(read.format, InputFormat::Bson);
        QCOMPARE(read.records.size(), size_t(2));
    }

    void strayClosingBraceInAnArray()
    {
        Read read = readAll(write("stray.json", "[{\"a\":1}}, {\"b\":2}]"));
        QCOMPARE(read.records.size(), size_t(3));
        QCOMPARE(read.records[1].text, std::string("}"));
        QCOMPARE(read.records[2].text, std::string("{\"b\":2}"));
    }

    void truncatedBson()
    {
        QByteArray file = bsonDocument(1) + bsonDocument(2).left(20);
        Read read = readAll(write("cut.bson", file));
        QCOMPARE(read.records.size(), size_t(2));
        QVERIFY(QString::fromStdString(read.records[1].frameError).contains(u"ends inside"));
    }
};

QTEST_GUILESS_MAIN(TestRecordReader)
#include "tst_recordreader.moc"
