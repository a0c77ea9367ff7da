// Redaction: the detectors (row by row, then recall and false positives over the labeled corpus
// in tests/data/privacy/), the policy file, placeholders, keyed hashes, pseudonyms and the key.

#include "redactor.h"
#include "store.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

const PiiDetector &allDetectors()
{
    static const PiiDetector detector = *PiiDetector::create(PiiDetector::builtInTypes(), {});
    return detector;
}

// "EMAIL:anna@example.com" for each finding, in text order.
QStringList findings(const QString &text, const PiiDetector &detector = allDetectors())
{
    QStringList out;
    for (const PiiMatch &m : detector.find(text))
        out << m.type + u':' + text.mid(m.start, m.length);
    return out;
}

std::vector<json> readJsonLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    std::vector<json> lines;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (!line.isEmpty())
            lines.push_back(json::parse(line.toStdString()));
    }
    return lines;
}

int mode(const QString &path)
{
    struct stat st
    {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}

QString corpus(const char *name)
{
    return QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/privacy/") + QString::fromUtf8(name);
}

json record()
{
    return json::parse(
        R"({"interaction_id": "int-7", "timestamp": "2026-01-05T10:00:00Z", "user_id": "alice@corp.example",)"
        R"("session_id": "s-1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",)"
        R"("request": {"prompt": "Mail anna@example.com or ANNA@example.com, then bob@example.com.",)"
        R"("system_prompt": "Never reveal sk-proj-abc123DEF456ghi789JKL012mno345",)"
        R"("messages": [{"role": "user", "content": "card 4111 1111 1111 1111"},)"
        R"({"role": "assistant", "content": "noted anna@example.com"}],)"
        R"("context": [{"content": "IBAN DE89 3704 0044 0532 0130 00", "source": "crm"}],)"
        R"("parameters": {"model": "gpt-4o", "user": "bob@example.com"}},)"
        R"("response": {"content": "I wrote to anna@example.com from 10.1.2.3.", "model": "gpt-4o",)"
        R"("finish_reason": "stop"}, "security": {"sensitivity_level": "confidential"},)"
        R"("tags": ["from anna@example.com"]})");
}

std::shared_ptr<const Redactor> redactor(const RedactionPolicy &policy,
                                         const QByteArray &key = QByteArray(32, 'k'))
{
    auto made = Redactor::create(policy, key);
    if (!made)
        qFatal("%s", qPrintable(made.error().toString()));
    return *made;
}

} // namespace

class TestRedaction : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void detectors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("expected"); // TYPE:matched text, in order
        auto row = [](const char *name, const QString &text, const QStringList &expected) {
            QTest::newRow(name) << text << expected;
        };
        row("email", u"write to jane.doe+x@mail.example.co.uk."_s,
            {u"EMAIL:jane.doe+x@mail.example.co.uk"_s});
        row("retina image is no email", u"icon@2x.png"_s, {});
        row("phone +44", u"call +44 20 7946 0958 today"_s, {u"PHONE:+44 20 7946 0958"_s});
        row("phone US parens", u"(415) 555-0132"_s, {u"PHONE:(415) 555-0132"_s});
        row("phone French dots", u"tel 06.12.34.56.78"_s, {u"PHONE:06.12.34.56.78"_s});
        row("phone after a number", u"room 12 212-555-0188"_s, {u"PHONE:212-555-0188"_s});
        row("bare digits need a phone word", u"order 4155550132 shipped"_s, {});
        row("bare digits after phone word", u"phone: 4155550132"_s, {u"PHONE:4155550132"_s});
        row("date is no phone", u"on 15.03.2024 and 2024-03-15"_s, {});
        row("timestamp is no phone", u"2024-03-15 10:30:00.123"_s, {});
        row("card spaced", u"card 4111 1111 1111 1111 exp"_s, {u"CARD:4111 1111 1111 1111"_s});
        row("card dashed amex", u"3782-822463-10005"_s, {u"CARD:3782-822463-10005"_s});
        row("card failing Luhn", u"4111 1111 1111 1112"_s, {});
        row("card mixed separators", u"4111 1111-1111 1111"_s, {});
        row("iban grouped", u"IBAN DE89 3704 0044 0532 0130 00."_s,
            {u"IBAN:DE89 3704 0044 0532 0130 00"_s});
        row("iban compact", u"GB82WEST12345698765432"_s, {u"IBAN:GB82WEST12345698765432"_s});
        row("iban bad checksum", u"DE00 3704 0044 0532 0130 00"_s, {});
        row("ssn", u"SSN 123-45-6789"_s, {u"SSN:123-45-6789"_s});
        row("ssn area 666", u"666-45-6789"_s, {});
        row("ssn group 00", u"123-00-6789"_s, {});
        row("ssn spaced needs word", u"id 123 45 6789"_s, {});
        row("ssn spaced with word", u"social security number 123 45 6789"_s,
            {u"SSN:123 45 6789"_s});
        row("ipv4", u"from 192.168.1.20:443"_s, {u"IPV4:192.168.1.20"_s});
        row("ipv4 octet too big", u"999.1.1.1"_s, {});
        row("dotted quad after version", u"version 1.2.3.4"_s, {});
        row("dotted quad after v", u"v1.2.3.4 and ver. 4.3.2.1"_s, {});
        row("dotted quad without version word", u"host 1.2.3.4"_s, {u"IPV4:1.2.3.4"_s});
        row("oid is no ip", u"1.3.6.1.4.1.311"_s, {});
        row("ipv6 compressed", u"peer 2001:db8::8a2e:370:7334."_s,
            {u"IPV6:2001:db8::8a2e:370:7334"_s});
        row("ipv6 mapped v4", u"::ffff:192.0.2.128"_s, {u"IPV6:::ffff:192.0.2.128"_s});
        row("mac is no ip", u"00:1A:2B:3C:4D:5E"_s, {});
        row("time is no ip", u"10:30:00"_s, {});
        row("c++ scope is no ip", u"std::vector"_s, {});
        row("openai key", u"key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL"_s,
            {u"API_KEY:sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL"_s});
        row("openai project key", u"sk-proj-Ab3_def-GHI456jkl789MNO012"_s,
            {u"API_KEY:sk-proj-Ab3_def-GHI456jkl789MNO012"_s});
        row("sk-learn is a library", u"sk-learn-is-a-python-library"_s, {});
        row("aws key id", u"AKIAIOSFODNN7EXAMPLE"_s, {u"AWS_KEY:AKIAIOSFODNN7EXAMPLE"_s});
        row("aws secret", u"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"_s,
            {u"AWS_SECRET:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"_s});
        row("github token in url",
            u"https://ghp_0123456789abcdefghijABCDEFGHIJ0123456789@github.com"_s,
            {u"GITHUB_TOKEN:ghp_0123456789abcdefghijABCDEFGHIJ0123456789"_s});
        row("github pat",
            u"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"_s,
            {u"GITHUB_TOKEN:github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"_s});
        row("jwt",
            u"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"_s,
            {u"JWT:eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"_s});
        row("jwt-like without alg", u"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"_s, {});
        row("pem private key",
            u"x -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- y"_s,
            {u"PRIVATE_KEY:-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"_s});
        row("pem cut short", u"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg"_s,
            {u"PRIVATE_KEY:-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg"_s});
        row("certificate is public",
            u"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"_s, {});
        row("uuid", u"550e8400-e29b-41d4-a716-446655440000"_s, {});
        row("two in one", u"anna@example.com / 10.0.0.1"_s,
            {u"EMAIL:anna@example.com"_s, u"IPV4:10.0.0.1"_s});
    }

    void detectors()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, expected);
        QCOMPARE(findings(text), expected);
    }

    // One address written two ways is one value (one placeholder, one hash): IPv6 in its
    // RFC 5952 form; what only looks like an address is not one.
    void ipAddresses()
    {
        const PiiDetector &detector = allDetectors();
        const auto found =
            detector.find(u"a 2001:DB8:0:0:0::1 b 2001:db8::1 c ::FFFF:192.0.2.128"_s);
        QCOMPARE(found.size(), size_t(3));
        QCOMPARE(found[0].normalized, u"2001:db8::1"_s);
        QCOMPARE(found[1].normalized, u"2001:db8::1"_s);
        QCOMPARE(found[2].normalized, u"::ffff:192.0.2.128"_s);
        QCOMPARE(findings(u"1.2.3.256 and 1:2:3:4:5:6:7:8:9 and 12:30:45"_s), QStringList());
        QCOMPARE(findings(u"255.255.255.255 fe80::1"_s),
                 (QStringList{u"IPV4:255.255.255.255"_s, u"IPV6:fe80::1"_s}));
    }

    void checksums()
    {
        QVERIFY(luhnValid(u"4111111111111111"));
        QVERIFY(!luhnValid(u"4111111111111112"));
        QVERIFY(ibanValid(u"DE89 3704 0044 0532 0130 00"));
        QVERIFY(!ibanValid(u"DE89 3704 0044 0532 0130 01"));
        QVERIFY(!ibanValid(u"DE89 3704 0044 0532 0130")); // too short for Germany
        QVERIFY(ssnValid(u"078-05-1120"));
        QVERIFY(!ssnValid(u"987-65-4321"));
    }

    void customPatterns()
    {
        auto detector =
            PiiDetector::create({u"EMAIL"_s}, {{u"EMPLOYEE_ID"_s, u"\\bEMP-\\d{6}\\b"_s}});
        QVERIFY(detector);
        QCOMPARE(findings(u"EMP-004211 wrote x@example.com"_s, *detector),
                 (QStringList{u"EMPLOYEE_ID:EMP-004211"_s, u"EMAIL:x@example.com"_s}));
        auto bad = PiiDetector::create({}, {{u"BROKEN"_s, u"(unclosed"_s}});
        QVERIFY(!bad);
        QVERIFY2(bad.error().message.contains(u"BROKEN"), qPrintable(bad.error().toString()));
        QVERIFY(!PiiDetector::create({}, {{u"lower"_s, u"x"_s}}));
        QVERIFY(!PiiDetector::create({}, {{u"EMAIL"_s, u"x"_s}}));
        QVERIFY(!PiiDetector::create({}, {{u"EMPTY"_s, u"x*"_s}}));
    }

    // Recall per type over the labeled corpus: each sentence holds one value of its type, which
    // must be found with exactly its span. Figures printed for docs/privacy.md.
    void corpusRecall()
    {
        const auto positives = readJsonLines(corpus("positives.jsonl"));
        QVERIFY(positives.size() >= 300);
        std::map<QString, std::pair<int, int>> byType; // found, total
        QStringList misses;
        for (const json &p : positives) {
            const QString type = QString::fromStdString(p["type"]);
            const QString text = QString::fromStdString(p["text"]);
            const QString value = QString::fromStdString(p["value"]);
            const qsizetype at = text.indexOf(value);
            bool found = false;
            for (const PiiMatch &m : allDetectors().find(text))
                found |= m.type == type && m.start == at && m.length == value.size();
            auto &[hit, total] = byType[type];
            ++total;
            hit += found ? 1 : 0;
            if (!found)
                misses << type + u": "_s + text.left(100) + u" -> "_s +
                              findings(text).join(u" | "_s);
        }
        int hits = 0, total = 0;
        for (const auto &[type, figures] : byType) {
            qInfo("recall %-13s %3d/%3d = %.3f", qPrintable(type), figures.first, figures.second,
                  double(figures.first) / figures.second);
            hits += figures.first;
            total += figures.second;
        }
        qInfo("recall overall       %3d/%3d = %.3f", hits, total, double(hits) / total);
        for (const QString &miss : misses)
            qInfo("missed %s", qPrintable(miss));
        QCOMPARE(byType.size(), size_t(PiiDetector::builtInTypes().size()));
        for (const auto &[type, figures] : byType)
            QVERIFY2(figures.first >= 0.99 * figures.second, qPrintable(type));
    }

    // The tricky non-PII: version numbers, UUIDs, timestamps, order ids, hashes, amounts,
    // dates, ZIP codes, ISBNs and look-alikes. Not one finding allowed.
    void corpusFalsePositives()
    {
        const auto negatives = readJsonLines(corpus("negatives.jsonl"));
        QVERIFY(negatives.size() >= 200);
        std::map<QString, int> byKind;
        QStringList falsePositives;
        for (const json &n : negatives) {
            const QString text = QString::fromStdString(n["text"]);
            ++byKind[QString::fromStdString(n["kind"])];
            const QStringList found = findings(text);
            if (!found.isEmpty())
                falsePositives << text + u" -> "_s + found.join(u" | "_s);
        }
        for (const auto &[kind, count] : byKind)
            qInfo("negatives %-10s %3d", qPrintable(kind), count);
        qInfo("false positives %lld of %zu", falsePositives.size(), negatives.size());
        for (const QString &fp : falsePositives)
            qInfo("false positive: %s", qPrintable(fp));
        QVERIFY(falsePositives.isEmpty());
    }

    void policyFile_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error"); // empty: accepted
        QTest::newRow("empty object is the default") << u"{}"_s << QString();
        QTest::newRow("full")
            << uR"({"name":"strict","detectors":["EMAIL","CARD"],"custom":[{"name":"TICKET","pattern":"T-\\d+"}],"fields":{"prompt":"hash","context":"drop","metadata":"keep"},"hash_length":16,"pseudonymize_users":true,"key_file":"/tmp/k"})"_s
            << QString();
        QTest::newRow("misspelt key")
            << uR"({"pseudonymise_users":true})"_s << u"/pseudonymise_users: unknown setting"_s;
        QTest::newRow("unknown detector") << uR"({"detectors":["EMAIL","PASSPORT"]})"_s
                                          << u"/detectors/1: unknown detector 'PASSPORT'"_s;
        QTest::newRow("unknown action") << uR"({"fields":{"prompt":"blur"}})"_s
                                        << u"/fields/prompt: expected keep, mask, hash or drop"_s;
        QTest::newRow("unknown group")
            << uR"({"fields":{"answer":"mask"}})"_s << u"/fields/answer: unknown field group"_s;
        QTest::newRow("hash too short")
            << uR"({"hash_length":4})"_s << u"/hash_length: expected an integer from 8 to 64"_s;
        QTest::newRow("bad custom pattern")
            << u"{\"custom\":[{\"name\":\"X\",\"pattern\":\"(\"}]}"_s
            << u"/custom: pattern X does not compile"_s;
    }

    void policyFile()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        auto policy = RedactionPolicy::fromJson(json::parse(text.toStdString()));
        if (error.isEmpty()) {
            QVERIFY2(policy, qPrintable(policy ? QString() : policy.error().toString()));
            // What is written reads back the same.
            auto again = RedactionPolicy::fromJson(policy->toJson());
            QVERIFY(again && *again == *policy);
        } else {
            QVERIFY(!policy);
            QVERIFY2(policy.error().toString().startsWith(error),
                     qPrintable(policy.error().toString()));
        }
    }

    void defaultsMaskEverythingAndKeepUsers()
    {
        const RedactionPolicy policy;
        for (FieldGroup group : AllFieldGroups)
            QCOMPARE(policy.action(group), RedactionAction::Mask);
        QCOMPARE(policy.detectors, PiiDetector::builtInTypes());
        QVERIFY(!policy.pseudonymizeUsers);
        QVERIFY(!policy.needsKey());
    }

    // The same value gets the same placeholder everywhere in a record, another value the next
    // number; counts go to the record, values nowhere; identity fields are left alone.
    void placeholdersStableWithinARecord()
    {
        json doc = record();
        const RedactionOutcome outcome = redactor(RedactionPolicy{})->redactDocument(doc);
        QCOMPARE(doc["request"]["prompt"].get<std::string>(),
                 "Mail [EMAIL_1] or [EMAIL_1], then [EMAIL_2].");
        QCOMPARE(doc["request"]["messages"][1]["content"].get<std::string>(), "noted [EMAIL_1]");
        QCOMPARE(doc["response"]["content"].get<std::string>(),
                 "I wrote to [EMAIL_1] from [IPV4_1].");
        QCOMPARE(doc["request"]["parameters"]["user"].get<std::string>(), "[EMAIL_2]");
        QCOMPARE(doc["tags"][0].get<std::string>(), "from [EMAIL_1]");
        QCOMPARE(doc["request"]["system_prompt"].get<std::string>(), "Never reveal [API_KEY_1]");
        QCOMPARE(doc["request"]["messages"][0]["content"].get<std::string>(), "card [CARD_1]");
        QCOMPARE(doc["request"]["context"][0]["content"].get<std::string>(), "IBAN [IBAN_1]");
        // Identity and schema-constrained fields are untouched; user ids have their own switch.
        QCOMPARE(doc["user_id"].get<std::string>(), "alice@corp.example");
        QCOMPARE(doc["request"]["parameters"]["model"].get<std::string>(), "gpt-4o");
        QCOMPARE(doc["security"]["sensitivity_level"].get<std::string>(), "confidential");
        const json expected = json::parse(
            R"({"policy":"default","counts":{"EMAIL":7,"IPV4":1,"API_KEY":1,"CARD":1,"IBAN":1}})");
        QVERIFY2(doc["redaction"] == expected, doc["redaction"].dump().c_str());
        QCOMPARE(outcome.total(), 11);
        QVERIFY(std::find(outcome.changed.begin(), outcome.changed.end(), "/tags/0") !=
                outcome.changed.end());
        // Still a valid record.
        QVERIFY(decodeDocument(doc).has_value());
        // Redacting again finds nothing new and keeps the numbering.
        json twice = doc;
        redactor(RedactionPolicy{})->redactDocument(twice);
        QVERIFY(twice["request"]["prompt"] == doc["request"]["prompt"]);
    }

    void actionsPerGroup()
    {
        RedactionPolicy policy;
        policy.setAction(FieldGroup::Prompt, RedactionAction::Hash);
        policy.setAction(FieldGroup::SystemPrompt, RedactionAction::Keep);
        policy.setAction(FieldGroup::Context, RedactionAction::Drop);
        json doc = record();
        const RedactionOutcome outcome = redactor(policy)->redactDocument(doc);
        const std::string prompt = doc["request"]["prompt"];
        // A keyed hash: the same address (any case) the same hash; 12 hex digits by default.
        QVERIFY2(QRegularExpression(u"^Mail \\[EMAIL:([0-9a-f]{12})\\] or \\[EMAIL:\\1\\], then "
                                    u"\\[EMAIL:(?!\\1)[0-9a-f]{12}\\]\\.$"_s)
                     .match(QString::fromStdString(prompt))
                     .hasMatch(),
                 prompt.c_str());
        QCOMPARE(doc["request"]["system_prompt"].get<std::string>(),
                 "Never reveal sk-proj-abc123DEF456ghi789JKL012mno345");
        QCOMPARE(doc["request"]["context"][0]["content"].get<std::string>(), "");
        QCOMPARE(doc["request"]["context"][0]["source"].get<std::string>(), "");
        QCOMPARE(outcome.dropped, QStringList{u"context"_s});
        QVERIFY(doc["redaction"]["dropped"] == json::array({"context"}));
        // Another key, another hash: the hash cannot be recomputed without the key.
        json other = record();
        redactor(policy, QByteArray(32, 'x'))->redactDocument(other);
        QVERIFY(other["request"]["prompt"] != doc["request"]["prompt"]);
        QCOMPARE(doc["response"]["content"].get<std::string>(),
                 "I wrote to [EMAIL_1] from [IPV4_1].");
    }

    // The record the store gets: canonical redacted document, new hash, extracted text for the
    // full-text index, and an Extended JSON original redacted alike.
    void decodedRecordAndOriginal()
    {
        const std::string line =
            R"({"_id":{"$oid":"65a1f0c2e4b0a1b2c3d4e5f6"},"interaction_id":"i-1","timestamp":{"$date":"2026-01-05T10:00:00Z"},"user_id":"u-7","session_id":"s","request":{"prompt":"reach me at carol@example.com","parameters":{"n":{"$numberInt":"1"}}},"response":{"content":"ok carol@example.com"}})";
        auto decoded = decodeRecord(line, Dialect::ExtendedJson);
        QVERIFY(decoded);
        RedactionPolicy policy;
        policy.pseudonymizeUsers = true;
        const auto r = redactor(policy);
        r->redactRecord(*decoded);
        QCOMPARE(decoded->interaction.prompt, "reach me at [EMAIL_1]");
        QCOMPARE(decoded->interaction.response, "ok [EMAIL_1]");
        QCOMPARE(decoded->interaction.userId, r->pseudonym("u-7"));
        QVERIFY(decoded->document.find("carol") == std::string::npos);
        QVERIFY(decoded->original.find("carol") == std::string::npos);
        QVERIFY(decoded->original.find("[EMAIL_1]") != std::string::npos);
        QVERIFY(decoded->original.find(r->pseudonym("u-7")) != std::string::npos);
        QVERIFY(decoded->original.find("$oid") != std::string::npos);
        QCOMPARE(toHex(decoded->hash), toHex(sha256(decoded->document)));
    }

    void pseudonyms()
    {
        RedactionPolicy policy;
        policy.pseudonymizeUsers = true;
        const auto a = redactor(policy, QByteArray(32, 'a'));
        const std::string p = a->pseudonym("alice@corp.example");
        QVERIFY(
            QRegularExpression(u"^u-[0-9a-f]{16}$"_s).match(QString::fromStdString(p)).hasMatch());
        QCOMPARE(a->pseudonym("alice@corp.example"), p);
        QVERIFY(a->pseudonym("bob") != p);
        QVERIFY(redactor(policy, QByteArray(32, 'b'))->pseudonym("alice@corp.example") != p);
        json doc = record();
        a->redactDocument(doc);
        QCOMPARE(doc["user_id"].get<std::string>(), p);
        QVERIFY(doc["redaction"]["pseudonymized_user"] == true);
        // A record that says its user id is a pseudonym already is not hashed twice.
        a->redactDocument(doc);
        QCOMPARE(doc["user_id"].get<std::string>(), p);
    }

    void keyFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"conf/llmaudit/pseudonym.key"_s);
        auto created = loadOrCreateKey(path);
        QVERIFY2(created, qPrintable(created ? QString() : created.error().toString()));
        QCOMPARE(created->size(), 32);
        QCOMPARE(mode(path), 0600);
        QCOMPARE(mode(dir.filePath(u"conf/llmaudit"_s)), 0700);
        auto again = loadOrCreateKey(path);
        QVERIFY(again && *again == *created);
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
        auto exposed = loadOrCreateKey(path);
        QVERIFY(!exposed);
        QVERIFY2(exposed.error().message.contains(u"chmod 600"),
                 qPrintable(exposed.error().message));
        // Through a policy: the key is created where the policy says, and used.
        RedactionPolicy policy;
        policy.pseudonymizeUsers = true;
        policy.keyFile = dir.filePath(u"other.key"_s);
        auto r = Redactor::create(policy);
        QVERIFY(r);
        QVERIFY(QFileInfo::exists(policy.keyFile));
        auto r2 = Redactor::create(policy);
        QCOMPARE((*r2)->pseudonym("x"), (*r)->pseudonym("x"));
    }

    void rejectsAreRedacted()
    {
        const auto r = redactor(RedactionPolicy{});
        QuarantinedRecord object{
            "f.jsonl:1",
            {{"/metrics/latency_ms", "expected integer"}},
            R"({"request":{"prompt":"mail dave@example.com"},"metrics":{"latency_ms":"x"}})"};
        r->redactReject(object);
        QVERIFY(object.raw.find("dave@") == std::string::npos);
        QVERIFY(object.raw.find("[EMAIL_1]") != std::string::npos);
        QuarantinedRecord text{
            "f.jsonl:2",
            {{"", "not valid JSON: syntax error; last read: '\"dave@example.c'"}},
            "{\"request\":{\"prompt\":\"mail dave@example.com"};
        r->redactReject(text);
        QVERIFY2(text.raw.find("dave@") == std::string::npos, text.raw.c_str());
        QVERIFY(text.errors[0].reason.find("dave") == std::string::npos);
        RedactionPolicy dropping;
        dropping.setAction(FieldGroup::Prompt, RedactionAction::Drop);
        QuarantinedRecord broken{"f.jsonl:3", {}, "{\"request\":{\"prompt\":\"secret plans"};
        redactor(dropping)->redactReject(broken);
        QVERIFY(broken.raw.find("secret plans") == std::string::npos);
    }

    void previewText()
    {
        RedactionOutcome outcome;
        const QString out = redactor(RedactionPolicy{})
                                ->redactText(u"Call +1 415 555 0132 or mail x@example.com"_s,
                                             FieldGroup::Prompt, &outcome);
        QCOMPARE(out, u"Call [PHONE_1] or mail [EMAIL_1]"_s);
        QCOMPARE(outcome.total(), 2);
    }

    void storePolicyFile()
    {
        QTemporaryDir dir;
        const QString store = dir.filePath(u"s.sqlite"_s);
        QVERIFY(loadStorePolicy(store).value() == std::nullopt);
        RedactionPolicy policy;
        policy.name = u"team"_s;
        QVERIFY(saveStorePolicy(store, policy));
        QCOMPARE(storePolicyPath(store), store + u".privacy.json"_s);
        QVERIFY(loadStorePolicy(store).value() == policy);
        QFile broken(storePolicyPath(store));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"fields\": 3}");
        broken.close();
        QVERIFY(!loadStorePolicy(store));
    }
};

QTEST_GUILESS_MAIN(TestRedaction)
#include "tst_redaction.moc"
