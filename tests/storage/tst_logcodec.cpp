// The codec and the validator: what is accepted, what is refused and how the refusal reads.

#include "extjson.h"
#include "logcodec.h"
#include "logschema.h"

#include <QProcess>
#include <QTest>

#include <set>

using namespace llmaudit;
using nlohmann::json;

namespace {

json minimal()
{
    return {{"interaction_id", "i-1"},
            {"timestamp", "2026-01-05T10:00:00Z"},
            {"user_id", "u-1"},
            {"session_id", "s-1"},
            {"request", {{"prompt", "hi"}}},
            {"response", {{"content", "hello"}}}};
}

QString firstError(const json &record)
{
    auto errors = LogSchema::v1().validate(record);
    return errors.empty() ? QString() : QString::fromStdString(errors.front().toString());
}

} // namespace

class TestLogCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void errorMessages_data()
    {
        QTest::addColumn<QString>("patch"); // a JSON Patch applied to the minimal record
        QTest::addColumn<QString>("expected");
        QTest::newRow("latency as text")
            << R"([{"op":"add","path":"/metrics","value":{"latency_ms":"1200ms"}}])"
            << "/metrics/latency_ms: expected integer, got string";
        QTest::newRow("latency as fraction")
            << R"([{"op":"add","path":"/metrics","value":{"latency_ms":12.5}}])"
            << "/metrics/latency_ms: expected integer, got number";
        QTest::newRow("missing user") << R"([{"op":"remove","path":"/user_id"}])"
                                      << "/: missing required property 'user_id'";
        QTest::newRow("score above 1")
            << R"([{"op":"add","path":"/evaluation","value":{"quality_score":1.7}}])"
            << "/evaluation/quality_score: 1.7 is above the maximum 1";
        QTest::newRow("score below 0")
            << R"([{"op":"add","path":"/evaluation","value":{"relevance_score":-0.01}}])"
            << "/evaluation/relevance_score: -0.01 is below the minimum 0";
        QTest::newRow("unknown sensitivity")
            << R"([{"op":"add","path":"/security","value":{"sensitivity_level":"secret"}}])"
            << "/security/sensitivity_level: expected one of public, internal, confidential, "
               "restricted, got \"secret\"";
        QTest::newRow("bad timestamp")
            << R"([{"op":"replace","path":"/timestamp","value":"yesterday"}])"
            << "/timestamp: expected an RFC 3339 date-time such as 2026-01-05T10:00:00Z, got "
               "\"yesterday\"";
        QTest::newRow("timestamp without zone")
            << R"([{"op":"replace","path":"/timestamp","value":"2026-01-05T10:00:00"}])"
            << "/timestamp: expected an RFC 3339 date-time such as 2026-01-05T10:00:00Z, got "
               "\"2026-01-05T10:00:00\"";
        QTest::newRow("context item not an object")
            << R"([{"op":"add","path":"/request/context","value":["text"]}])"
            << "/request/context/0: expected object, got string";
        QTest::newRow("message without role")
            << R"([{"op":"add","path":"/request/messages","value":[{"content":"hi"}]}])"
            << "/request/messages/0: missing required property 'role'";
        QTest::newRow("tag not a string") << R"([{"op":"add","path":"/tags","value":["a",7]}])"
                                          << "/tags/1: expected string, got integer";
        QTest::newRow("request null") << R"([{"op":"replace","path":"/request","value":null}])"
                                      << "/request: expected object, got null";
        QTest::newRow("unknown fields are fine")
            << R"([{"op":"add","path":"/x_custom","value":{"a":1}},{"op":"add","path":"/request/parameters","value":{"deep":{"er":[1,{"x":null}]}}}])"
            << "";
        QTest::newRow("integer written as 12.0")
            << R"([{"op":"add","path":"/metrics","value":{"latency_ms":12.0}}])"
            << "";
        QTest::newRow("offset and microseconds")
            << R"([{"op":"replace","path":"/timestamp","value":"2026-01-05T10:00:00.123456+02:00"}])"
            << "";
    }

    void errorMessages()
    {
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        json record = minimal().patch(json::parse(patch.toStdString()));
        QCOMPARE(firstError(record), expected);
    }

    void parseDateTime_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: refused
        QTest::newRow("Z") << "2026-01-05T10:00:00Z" << qint64(1767607200000);
        QTest::newRow("millis") << "2026-01-05T10:00:00.123Z" << qint64(1767607200123);
        QTest::newRow("micros") << "2026-01-05T10:00:00.123456Z" << qint64(1767607200123);
        QTest::newRow("offset") << "2026-01-05T12:00:00+02:00" << qint64(1767607200000);
        QTest::newRow("lowercase") << "2026-01-05t10:00:00z" << qint64(1767607200000);
        QTest::newRow("leap day") << "2024-02-29T00:00:00Z" << qint64(1709164800000);
        QTest::newRow("before 1970") << "1969-12-31T23:59:59Z" << qint64(-1000);
        QTest::newRow("no leap day") << "2026-02-29T00:00:00Z" << qint64(-1);
        QTest::newRow("date only") << "2026-01-05" << qint64(-1);
        QTest::newRow("no zone") << "2026-01-05T10:00:00" << qint64(-1);
        QTest::newRow("space") << "2026-01-05 10:00:00Z" << qint64(-1);
        QTest::newRow("hour 24") << "2026-01-05T24:00:00Z" << qint64(-1);
        QTest::newRow("trailing") << "2026-01-05T10:00:00Zx" << qint64(-1);
        QTest::newRow("empty fraction") << "2026-01-05T10:00:00.Z" << qint64(-1);
    }

    void parseDateTime()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        auto parsed = LogSchema::parseDateTime(text.toStdString());
        QCOMPARE(parsed.value_or(-1), ms);
        if (parsed && text.endsWith(u'Z') && text.size() == 24)
            QCOMPARE(QString::fromStdString(LogSchema::formatDateTime(*parsed)), text);
    }

    void extractsIndexedFields()
    {
        json record = minimal();
        record["request"]["parameters"] = {{"model", "gpt-4o"}, {"temperature", 0.2}};
        record["request"]["context"] = json::array({{{"content", "doc one"}, {"source", "kb://a"}},
                                                    {{"source", "kb://b"}},
                                                    {{"content", "doc two"}}});
        record["response"]["completion_tokens"] = 7;
        record["response"]["finish_reason"] = "stop";
        record["metrics"] = {{"prompt_tokens", 10}, {"total_tokens", 17}, {"latency_ms", 900}};
        record["evaluation"] = {{"flagged", true}, {"flag_reason", "pii"}};
        record["security"] = {{"sensitivity_level", "confidential"}};
        record["replay_of"] = "i-0";
        auto decoded = decodeDocument(record);
        QVERIFY(decoded);
        const Interaction &r = decoded->interaction;
        QCOMPARE(r.model, std::string("gpt-4o"));
        QCOMPARE(r.timestampMs, int64_t(1767607200000));
        QCOMPARE(r.contextText, std::string("doc one\ndoc two"));
        QCOMPARE(r.totalTokens.value_or(-1), 17);
        QCOMPARE(r.latencyMs.value_or(-1), 900);
        QCOMPARE(r.completionTokens.value_or(-1), 7);
        QVERIFY(r.flagged);
        QVERIFY(r.sensitivity == Sensitivity::Confidential);
        QCOMPARE(r.replayOf, std::string("i-0"));
        record["response"]["model"] = "gpt-4o-2024-08-06";
        QCOMPARE(decodeDocument(record)->interaction.model, std::string("gpt-4o-2024-08-06"));
    }

    // One line is stored byte for byte; two spellings of one record are the same content.
    void storedTextAndSameContent()
    {
        const std::string first =
            R"({"interaction_id":"i","timestamp":"2026-01-05T10:00:00Z","user_id":"u","session_id":"s","request":{},"response":{"content":"x"},"z":1.5})";
        const std::string second =
            R"({"z": 1.5, "response": {"content": "x"}, "request": {}, "session_id": "s", "user_id": "u", "timestamp": "2026-01-05T10:00:00Z", "interaction_id": "i"})";
        auto a = decodeRecord(first, Dialect::Standard);
        auto b = decodeRecord(second, Dialect::Standard);
        QVERIFY(a && b);
        QCOMPARE(a->document, first);
        QCOMPARE(b->document, second);
        QCOMPARE(toHex(a->hash), toHex(sha256(first)));
        QVERIFY(sameContent(a->document, b->document));
        QVERIFY(sameContent(R"({"a":1})", R"({"a":1.0})"));
        QVERIFY(!sameContent(R"({"a":1})", R"({"a":2})"));
        // A record over several lines (a pretty-printed array element) is stored on one line.
        auto pretty = decodeRecord(
            "{\n  \"interaction_id\": \"i\", \"timestamp\": \"2026-01-05T10:00:00Z\",\n"
            "  \"user_id\": \"u\", \"session_id\": \"s\", \"request\": {}, \"response\": {}\n}",
            Dialect::Standard);
        QVERIFY(pretty);
        QVERIFY(pretty->document.find('\n') == std::string::npos);
        QCOMPARE(toHex(sha256("abc")),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    void refusesWhatIsNotARecord_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated") << "{\"interaction_id\": \"i-1\", \"timest"
                                   << "/: not valid JSON: parse error at line 1, column 34";
        QTest::newRow("array") << "[1, 2]"
                               << "/: expected a JSON object for the record, got array";
        QTest::newRow("long token shortened")
            << u"{\"b\": \""_qs + QString(5000, u'x') + u"\u202E end"_qs
            << u"/: not valid JSON: parse error at line 1, column 5015: syntax error while "
               u"parsing value - invalid string: missing closing quote; last read: '…"_qs +
                   QString(33, u'x') + u"<U+202E> end'"_qs;
        QTest::newRow("bad utf-8") << QString::fromLatin1("{\"a\": \"\xff\"}")
                                   << "/: not valid JSON: parse error at line 1, column 8";
    }

    void refusesWhatIsNotARecord()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        std::string bytes =
            text.startsWith(u"{\"a\"") ? text.toLatin1().toStdString() : text.toStdString();
        auto decoded = decodeRecord(bytes, Dialect::Standard);
        QVERIFY(!decoded);
        QVERIFY2(QString::fromStdString(decoded.error().front().toString()).startsWith(expected),
                 decoded.error().front().toString().c_str());
    }

    void extendedJson_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("oid") << R"({"$oid":"65a1b2c3d4e5f60718293a4b"})"
                             << R"("65a1b2c3d4e5f60718293a4b")";
        QTest::newRow("date relaxed") << R"({"$date":"2026-01-05T10:00:00.123Z"})"
                                      << R"("2026-01-05T10:00:00.123Z")";
        QTest::newRow("date relaxed, zeros trimmed") << R"({"$date":"2026-01-05T03:35:27.05Z"})"
                                                     << R"("2026-01-05T03:35:27.050Z")";
        QTest::newRow("date relaxed, offset") << R"({"$date":"2026-01-05T12:00:00+02:00"})"
                                              << R"("2026-01-05T10:00:00.000Z")";
        QTest::newRow("date canonical") << R"({"$date":{"$numberLong":"1767607200123"}})"
                                        << R"("2026-01-05T10:00:00.123Z")";
        QTest::newRow("date legacy number") << R"({"$date":1767607200000})"
                                            << R"("2026-01-05T10:00:00.000Z")";
        QTest::newRow("date before 1970") << R"({"$date":{"$numberLong":"-1"}})"
                                          << R"("1969-12-31T23:59:59.999Z")";
        QTest::newRow("int") << R"({"$numberInt":"42"})"
                             << "42";
        QTest::newRow("long") << R"({"$numberLong":"9007199254740993"})"
                              << "9007199254740993";
        QTest::newRow("double") << R"({"$numberDouble":"0.5"})"
                                << "0.5";
        QTest::newRow("double integral") << R"({"$numberDouble":"2.0"})"
                                         << "2.0";
        QTest::newRow("double infinity") << R"({"$numberDouble":"Infinity"})"
                                         << R"("Infinity")";
        QTest::newRow("decimal") << R"({"$numberDecimal":"0.0025"})"
                                 << "0.0025";
        QTest::newRow("nested") << R"({"a":[{"$numberInt":"1"},{"b":{"$numberLong":"2"}}]})"
                                << R"({"a":[1,{"b":2}]})";
        QTest::newRow("binary left alone") << R"({"$binary":{"base64":"AA==","subType":"00"}})"
                                           << R"({"$binary":{"base64":"AA==","subType":"00"}})";
        QTest::newRow("two keys left alone") << R"({"$oid":"x","y":1})"
                                             << R"({"$oid":"x","y":1})";
        QTest::newRow("bad long left alone") << R"({"$numberLong":"12x"})"
                                             << R"({"$numberLong":"12x"})";
    }

    void extendedJson()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        json value = json::parse(input.toStdString());
        convertExtendedJson(value);
        QCOMPARE(QString::fromStdString(value.dump()),
                 QString::fromStdString(json::parse(expected.toStdString()).dump()));
    }

    void extendedJsonRecordKeepsOriginalAndId()
    {
        const std::string line =
            R"({"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"interaction_id":"i-9",)"
            R"("timestamp":{"$date":{"$numberLong":"1767607200123"}},"user_id":"u","session_id":"s",)"
            R"("request":{"prompt":"p","parameters":{"cost":{"$numberDecimal":"0.0025"}}},)"
            R"("response":{"content":"c","completion_tokens":{"$numberInt":"5"}},)"
            R"("metrics":{"latency_ms":{"$numberLong":"1200"}}})";
        QVERIFY(looksLikeExtendedJson(json::parse(line)));
        auto decoded = decodeRecord(line, Dialect::ExtendedJson);
        QVERIFY2(decoded, decoded ? "" : decoded.error().front().toString().c_str());
        QCOMPARE(decoded->original, line);
        const json &doc = json::parse(decoded->document);
        QCOMPARE(doc["_id"].get<std::string>(), std::string("65a1b2c3d4e5f60718293a4b"));
        QCOMPARE(doc["timestamp"].get<std::string>(), std::string("2026-01-05T10:00:00.123Z"));
        QCOMPARE(decoded->interaction.latencyMs.value_or(-1), 1200);
        QCOMPARE(decoded->interaction.completionTokens.value_or(-1), 5);
        QVERIFY(!looksLikeExtendedJson(minimal()));
    }

    // The validator agrees with an independent implementation (Debian's python3-jsonschema) on
    // every case of the corpus: validity, and the place of the first error.
    void agreesWithIndependentValidator()
    {
        const QString source = QStringLiteral(LLMAUDIT_SOURCE_DIR);
        const QString cases = source + QStringLiteral("/tests/data/validation/cases.jsonl");
        const QString schema =
            source + QStringLiteral("/resources/schema/llm-interaction.v1.schema.json");
        QProcess oracle;
        oracle.start(
            QStringLiteral("/usr/bin/python3"),
            {source + QStringLiteral("/tests/storage/jsonschema_oracle.py"), schema, cases});
        QVERIFY2(oracle.waitForFinished(60000), "the python3-jsonschema oracle did not finish");
        QVERIFY2(oracle.exitCode() == 0, oracle.readAllStandardError().constData());
        QFile file(cases);
        QVERIFY(file.open(QIODevice::ReadOnly));
        int compared = 0;
        int valid = 0;
        const QList<QByteArray> answers = oracle.readAllStandardOutput().split('\n');
        for (const QByteArray &answerLine : answers) {
            if (answerLine.trimmed().isEmpty())
                continue;
            const json answer = json::parse(answerLine.toStdString());
            const QByteArray caseLine = file.readLine();
            const json testCase = json::parse(caseLine.toStdString());
            QVERIFY(answer["name"] == testCase["name"]);
            auto errors = LogSchema::v1().validate(testCase["record"]);
            const std::string name = testCase["name"].get<std::string>();
            QVERIFY2(errors.empty() == answer["valid"].get<bool>(),
                     (name + ": ours says " +
                      (errors.empty() ? "valid" : errors.front().toString()) +
                      ", python3-jsonschema says " + answer.dump())
                         .c_str());
            QVERIFY2(answer["valid"] == testCase["valid"],
                     (name + ": corpus label disagrees").c_str());
            if (!errors.empty()) {
                std::set<std::string> theirs;
                for (const auto &e : answer["errors"])
                    theirs.insert(e["pointer"].get<std::string>());
                for (const auto &e : errors)
                    QVERIFY2(theirs.count(e.pointer), (name + ": we point at '" + e.pointer +
                                                       "', they at " + answer["errors"].dump())
                                                          .c_str());
            }
            valid += errors.empty();
            ++compared;
        }
        QVERIFY2(compared >= 60, qPrintable(QStringLiteral("only %1 cases").arg(compared)));
        QVERIFY(valid > 10 && compared - valid > 10);
    }
};

QTEST_GUILESS_MAIN(TestLogCodec)
#include "tst_logcodec.moc"
