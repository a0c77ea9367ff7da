// The codec and the validator: what is accepted, what is refused and how the refusal reads.

#include "extjson.h"
#include "jsonparse.h"
#include "logcodec.h"
#include "logschema.h"

#include <QProcess>
#include <QTest>

#include <cmath>
#include <cstring>
#include <optional>
#include <random>
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

// The bytes of a string literal, NULs included.
template<size_t N>
QByteArray bytes(const char (&text)[N])
{
    return QByteArray(text, N - 1);
}

// What a parser made of a text: the value, or the exception's id and message.
struct ParseOutcome
{
    std::optional<json> value;
    int errorId = 0;
    std::string error;
};

template<typename Parse>
ParseOutcome outcomeOf(Parse parse, std::string_view text)
{
    ParseOutcome outcome;
    try {
        outcome.value = parse(text);
    } catch (const json::exception &error) {
        outcome.errorId = error.id;
        outcome.error = error.what();
    }
    return outcome;
}

// Signed, unsigned and floating-point numbers compare equal across types: look at each one.
bool sameTypes(const json &a, const json &b)
{
    if (a.type() != b.type() || a.size() != b.size())
        return false;
    if (a.is_array()) {
        for (size_t i = 0; i < a.size(); ++i)
            if (!sameTypes(a[i], b[i]))
                return false;
    } else if (a.is_object()) {
        for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
            if (i.key() != j.key() || !sameTypes(*i, *j))
                return false;
    }
    return true;
}

// Empty when parseJson(text) did what nlohmann::json::parse(text) does, else how it differed.
std::string differenceFromNlohmann(std::string_view text)
{
    const ParseOutcome fast = outcomeOf([](std::string_view t) { return parseJson(t); }, text);
    const ParseOutcome reference =
        outcomeOf([](std::string_view t) { return json::parse(t); }, text);
    if (fast.value.has_value() != reference.value.has_value())
        return fast.value ? "parseJson accepts, nlohmann says " + reference.error
                          : "nlohmann accepts, parseJson says " + fast.error;
    if (!fast.value)
        return fast.errorId == reference.errorId && fast.error == reference.error
                   ? std::string()
                   : "parseJson says " + fast.error + ", nlohmann " + reference.error;
    const std::string fastText = fast.value->dump();
    const std::string referenceText = reference.value->dump();
    if (*fast.value != *reference.value || fastText != referenceText)
        return "parseJson gives " + fastText.substr(0, 200) + ", nlohmann " +
               referenceText.substr(0, 200);
    if (!sameTypes(*fast.value, *reference.value))
        return "same value, other number types: " + fastText.substr(0, 200);
    return {};
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
        // nlohmann throws out_of_range rather than parse_error for this one.
        QTest::newRow("number beyond double")
            << "{\"interaction_id\": \"i-1\", \"n\": 1e400}"
            << "/: not valid JSON: number overflow parsing '1e400'";
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

    // parseJson (simdjson in front of nlohmann) gives what nlohmann::json::parse gives: the same
    // value with the same number types, or the same exception with the same message.
    void parseJsonAgreesWithNlohmann_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("record") << QByteArray::fromStdString(minimal().dump());
        QTest::newRow("record, pretty") << QByteArray::fromStdString(minimal().dump(2));
        QTest::newRow("nested") << bytes(R"({"a":[1,[2,[3,{"b":null}]],{}],"c":{"d":{"e":true}}})");
        QTest::newRow("empty containers") << bytes("[[],{},[{}]]");
        QTest::newRow("true") << bytes("true");
        QTest::newRow("null") << bytes(" null ");
        QTest::newRow("string") << bytes(R"("text")");

        QTest::newRow("0") << bytes("0");
        QTest::newRow("-0") << bytes("-0");
        QTest::newRow("-0 in an array") << bytes("[0, -0,0]");
        QTest::newRow("-0 member") << bytes(R"({"a":-0})");
        QTest::newRow("-0 before a newline") << bytes("[1,\n-0\n]");
        QTest::newRow("-0.0") << bytes("-0.0");
        QTest::newRow("-0e5") << bytes("[-0e5]");
        QTest::newRow("0 beside ids with -0") << bytes(R"({"id":"4ef8-0a3f","n":0,"t":"x -0"})");
        QTest::newRow("1") << bytes("1");
        QTest::newRow("-1") << bytes("-1");
        QTest::newRow("1e400") << bytes("1e400");
        QTest::newRow("-1e400 in a record") << bytes(R"({"a":[-1e400]})");
        QTest::newRow("1e-400") << bytes("1e-400");
        QTest::newRow("-1e-400") << bytes("-1e-400");
        QTest::newRow("uint64 max") << bytes("18446744073709551615");
        QTest::newRow("uint64 max + 1") << bytes("18446744073709551616");
        QTest::newRow("int64 max + 1") << bytes("9223372036854775808");
        QTest::newRow("int64 min") << bytes("-9223372036854775808");
        QTest::newRow("int64 min - 1") << bytes("-9223372036854775809");
        QTest::newRow("30 digits") << bytes("[123456789012345678901234567890]");
        QTest::newRow("1.5e-320") << bytes("1.5e-320");
        QTest::newRow("4.9e-324") << bytes("4.9e-324");
        QTest::newRow("half the smallest double") << bytes("2.4703282292062327e-324");
        QTest::newRow("just above half") << bytes("2.4703282292062328e-324");
        QTest::newRow("largest double") << bytes("1.7976931348623157e308");
        QTest::newRow("just above the largest") << bytes("1.7976931348623159e308");
        QTest::newRow("long mantissa") << bytes("0.1234567890123456789012345");
        QTest::newRow("many digits, small exponent") << bytes("100000000000000000000000000000e-10");
        QTest::newRow("exponents") << bytes("[1E2,1e+2,-1.0e-2,12.0]");
        QTest::newRow("01") << bytes("01");
        QTest::newRow("1.") << bytes("1.");
        QTest::newRow("-") << bytes("-");
        QTest::newRow("+1") << bytes("+1");
        QTest::newRow(".5") << bytes(".5");

        QTest::newRow("duplicate key") << bytes(R"({"a":1,"a":2})");
        QTest::newRow("duplicate key, other types") << bytes(R"({"a":{"x":1},"b":0,"a":[2]})");
        QTest::newRow("duplicate key, nested") << bytes(R"({"o":{"k":1,"k":"two"},"k":3})");

        // Not raw strings: moc 6.4 loses track of the class in one with unbalanced quotes.
        QTest::newRow("escapes") << bytes(
            "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u4E2D\\u0000\"]");
        QTest::newRow("surrogate pair") << bytes(R"("\ud83d\ude00")");
        QTest::newRow("surrogate pair, upper case") << bytes(R"("\uD83D\uDE00")");
        QTest::newRow("lone low surrogate") << bytes(R"("\udc00")");
        QTest::newRow("lone high surrogate") << bytes(R"("\ud800")");
        QTest::newRow("high surrogate, then text") << bytes(R"("\ud800x")");
        QTest::newRow("high surrogate, then A") << bytes(R"("\ud800\u0041")");
        QTest::newRow("high surrogate, then U+E000") << bytes(R"("\ud800\ue000")");
        QTest::newRow("pair reversed") << bytes(R"("\ude00\ud83d")");
        QTest::newRow("unknown escape") << bytes(R"("\x")");
        QTest::newRow("bad hex") << bytes(R"("\u12g4")");

        QTest::newRow("UTF-8") << bytes("\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"");
        QTest::newRow("invalid byte") << bytes("{\"a\": \"\xff\"}");
        QTest::newRow("truncated sequence") << bytes("\"\xc3\"");
        QTest::newRow("overlong NUL") << bytes("\"\xc0\x80\"");
        QTest::newRow("encoded surrogate") << bytes("\"\xed\xa0\x80\"");
        QTest::newRow("above U+10FFFF") << bytes("\"\xf4\x90\x80\x80\"");
        QTest::newRow("invalid byte outside strings") << bytes("[1]\xff");
        QTest::newRow("DEL") << bytes("\"\x7f\"");
        QTest::newRow("control character") << bytes("\"a\x01z\"");
        QTest::newRow("tab in a string") << bytes("\"a\tz\"");
        QTest::newRow("newline in a string") << bytes("\"a\nz\"");
        QTest::newRow("NUL in a string") << bytes("\"a\0z\"");
        QTest::newRow("NUL after the value") << bytes("{}\0garbage");
        QTest::newRow("NUL after a number") << bytes("1\0");

        QTest::newRow("BOM") << bytes("\xef\xbb\xbf{\"a\":1}");
        QTest::newRow("BOM only") << bytes("\xef\xbb\xbf");
        QTest::newRow("BOM after a space") << bytes(" \xef\xbb\xbf{}");
        QTest::newRow("half a BOM") << bytes("\xef\xbb{}");
        QTest::newRow("trailing word") << bytes("{} x");
        QTest::newRow("two values") << bytes("{} {}");
        QTest::newRow("two numbers") << bytes("1 2");
        QTest::newRow("extra bracket") << bytes("[1]]");
        QTest::newRow("truex") << bytes("truex");
        QTest::newRow("empty") << bytes("");
        QTest::newRow("whitespace") << bytes(" \t\r\n");
        QTest::newRow("form feed") << bytes("\f1");
        QTest::newRow("trailing comma") << bytes("[1,]");
        QTest::newRow("trailing comma in object") << bytes(R"({"a":1,})");
        QTest::newRow("missing colon") << bytes(R"({"a" 1})");
        QTest::newRow("nul") << bytes("nul");
        QTest::newRow("truncated record") << bytes("{\"interaction_id\": \"i-1\", \"timest");
        QTest::newRow("1024 arrays") << QByteArray(1024, '[') + QByteArray(1024, ']');
        QTest::newRow("1025 arrays") << QByteArray(1025, '[') + QByteArray(1025, ']');
        QTest::newRow("2000 arrays") << QByteArray(2000, '[') + QByteArray(2000, ']');
        QTest::newRow("2000 objects")
            << QByteArray("{\"a\":").repeated(2000) + "-0" + QByteArray(2000, '}');
        QTest::newRow("2000 arrays, unclosed") << QByteArray(2000, '[');
        QTest::newRow("5 MiB, past the fast path")
            << "[\"" + QByteArray(5 << 20, 'x') + "\", -0, {\"a\":1,\"a\":2}]";
    }

    void parseJsonAgreesWithNlohmann()
    {
        QFETCH(QByteArray, text);
        const std::string difference =
            differenceFromNlohmann(std::string_view(text.constData(), size_t(text.size())));
        QVERIFY2(difference.empty(), difference.c_str());
    }

    // The bundled sample logs and the validation corpus, line by line.
    void parseJsonAgreesOnRealRecords()
    {
        const QString source = QStringLiteral(LLMAUDIT_SOURCE_DIR);
        int lines = 0;
        for (const char *path : {"/resources/samples/sample-interactions.jsonl",
                                 "/tests/data/validation/cases.jsonl"}) {
            QFile file(source + QLatin1String(path));
            QVERIFY2(file.open(QIODevice::ReadOnly), path);
            while (!file.atEnd()) {
                const QByteArray line = file.readLine();
                const std::string difference =
                    differenceFromNlohmann(std::string_view(line.constData(), size_t(line.size())));
                QVERIFY2(difference.empty(), (std::string(path) + ": " + difference).c_str());
                ++lines;
            }
        }
        QVERIFY(lines > 500);
    }

    // Every \uXXXX escape alone, and after the first and the last high surrogate: simdjson and
    // nlohmann check surrogate pairs separately.
    void parseJsonAgreesOnEveryEscape()
    {
        char text[32];
        for (unsigned unit = 0; unit < 0x10000; ++unit) {
            std::snprintf(text, sizeof text, "\"\\u%04x\"", unit);
            std::string difference = differenceFromNlohmann(text);
            QVERIFY2(difference.empty(), (text + (": " + difference)).c_str());
            for (unsigned high : {0xd800u, 0xdbffu}) {
                std::snprintf(text, sizeof text, "[\"\\u%04X\\u%04x\"]", high, unit);
                difference = differenceFromNlohmann(text);
                QVERIFY2(difference.empty(), (text + (": " + difference)).c_str());
            }
        }
    }

    // Generated numbers: integers up to 25 digits, fractions, exponents down to the subnormals
    // and past the largest double, and doubles printed from random bit patterns.
    void parseJsonAgreesOnNumbers()
    {
        std::mt19937_64 random(20260105);
        auto digits = [&](int count) {
            std::string out;
            for (int i = 0; i < count; ++i)
                out += char('0' + random() % 10);
            return out;
        };
        for (int i = 0; i < 100000; ++i) {
            std::string text = random() % 2 ? "-" : "";
            text += digits(1 + int(random() % (i % 3 == 0 ? 25 : 18)));
            if (random() % 2)
                text += "." + digits(1 + int(random() % 20));
            if (random() % 2) {
                text += random() % 2 ? "e" : "E";
                if (random() % 2)
                    text += random() % 2 ? "+" : "-";
                text += std::to_string(random() % (random() % 4 == 0 ? 700 : 40));
            }
            if (i % 2)
                text = "[" + text + "]";
            const std::string difference = differenceFromNlohmann(text);
            QVERIFY2(difference.empty(), (text + ": " + difference).c_str());
        }
        char text[64];
        for (int i = 0; i < 100000; ++i) {
            const uint64_t bits = random();
            double value;
            std::memcpy(&value, &bits, sizeof value);
            if (!std::isfinite(value))
                continue;
            std::snprintf(text, sizeof text, "%.*e", int(random() % 18), value);
            const std::string difference = differenceFromNlohmann(text);
            QVERIFY2(difference.empty(), (text + (": " + difference)).c_str());
        }
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
