// Redaction at import, against a real SQLite store: what is stored, indexed and quarantined
// holds no secret; pseudonyms are the same across imports and across stores sharing a key.

#include "importer.h"
#include "redactor.h"
#include "store.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

// The values that must never reach the store when the policy is on.
const char *const Email = "zoltan.quixote@example.com";
const char *const ApiKey = "sk-proj-Zq9xW3vT7uR5sP1oN8mL6kJ4hG2fD0sA";
const char *const User = "employee-4711-dq";

std::string line(const std::string &id, const std::string &user, const std::string &prompt)
{
    json record = {{"interaction_id", id},
                   {"timestamp", "2026-01-05T10:00:00Z"},
                   {"user_id", user},
                   {"session_id", "s-1"},
                   {"request",
                    {{"prompt", prompt},
                     {"context", json::array({{{"content", std::string("key ") + ApiKey}}})}}},
                   {"response", {{"content", std::string("I have mailed ") + Email}}}};
    return record.dump();
}

void writeFile(const QString &path, const std::vector<std::string> &lines)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    for (const auto &l : lines)
        file.write((l + "\n").c_str());
}

int64_t scalar(const QString &path, const std::string &sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *stmt = nullptr;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

// Every byte the store has on disk (the file and its write-ahead log).
QByteArray storeBytes(const QString &path)
{
    QByteArray all;
    for (const QString &file : {path, path + u"-wal"_s}) {
        QFile f(file);
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
    }
    return all;
}

ImportReport import(const QString &store, const QStringList &files)
{
    auto opened = Store::open(store);
    if (!opened)
        qFatal("%s", qPrintable(opened.error().toString()));
    Importer importer(**opened);
    return importer.importFiles(files);
}

std::string documentOf(const QString &store, const std::string &id)
{
    auto opened = Store::open(store, Store::Access::ReadOnly);
    auto found = (*opened)->interaction(id);
    return found && *found ? (*found)->document : std::string();
}

} // namespace

class TestRedactionImport : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QString logFile()
    {
        const QString file = path(u"events.jsonl"_s);
        writeFile(
            file,
            {line("i-1", User, std::string("Write to ") + Email + " about the refund"),
             line("i-2", User, "No personal data here"),
             // Refused by the schema (latency as text), but quarantined with the secret.
             R"({"interaction_id":"i-3","timestamp":"2026-01-05T10:00:00Z","user_id":"u","session_id":"s","request":{"prompt":"mail zoltan.quixote@example.com"},"response":{},"metrics":{"latency_ms":"slow"}})",
             // Not JSON at all.
             std::string("{\"interaction_id\":\"i-4\",\"request\":{\"prompt\":\"") + ApiKey});
        return file;
    }

private Q_SLOTS:
    void redactionOff()
    {
        // The control: without a policy the secrets are stored and indexed, so the checks
        // below would see them.
        const QString store = path(u"plain.sqlite"_s);
        const ImportReport report = import(store, {logFile()});
        QCOMPARE(report.counts.stored, 2);
        QVERIFY(!report.redaction);
        QVERIFY(documentOf(store, "i-1").find(Email) != std::string::npos);
        QCOMPARE(scalar(store, "SELECT count(*) FROM interactions_fts WHERE interactions_fts "
                               "MATCH '\"zoltan\"'"),
                 2);
    }

    void redactionOn()
    {
        const QString store = path(u"redacted.sqlite"_s);
        QVERIFY(saveStorePolicy(store, RedactionPolicy{}));
        const ImportReport report = import(store, {logFile()});
        QVERIFY2(!report.storeError,
                 qPrintable(report.storeError ? report.storeError->toString() : QString()));
        QCOMPARE(report.counts.stored, 2);
        QCOMPARE(report.counts.rejected, 2);
        QVERIFY(report.redaction);
        QCOMPARE(report.redaction->policy, u"default"_s);
        QCOMPARE(report.redaction->counts.at(u"EMAIL"_s), 3);
        QCOMPARE(report.redaction->counts.at(u"API_KEY"_s), 2);

        const json doc = json::parse(documentOf(store, "i-1"));
        QCOMPARE(doc["request"]["prompt"].get<std::string>(),
                 "Write to [EMAIL_1] about the refund");
        QCOMPARE(doc["response"]["content"].get<std::string>(), "I have mailed [EMAIL_1]");
        QCOMPARE(doc["request"]["context"][0]["content"].get<std::string>(), "key [API_KEY_1]");
        QVERIFY(doc["redaction"] ==
                json::parse(R"({"policy":"default","counts":{"EMAIL":2,"API_KEY":1}})"));
        QCOMPARE(doc["user_id"].get<std::string>(), User); // not pseudonymized by default

        // Neither the index, nor the quarantine, nor any byte of the file holds the secrets.
        QCOMPARE(
            scalar(store,
                   "SELECT count(*) FROM interactions_fts WHERE interactions_fts "
                   "MATCH '\"zoltan\" OR \"quixote\" OR \"Zq9xW3vT7uR5sP1oN8mL6kJ4hG2fD0sA\"'"),
            0);
        QCOMPARE(scalar(store, "SELECT count(*) FROM interactions_fts WHERE interactions_fts "
                               "MATCH 'refund'"),
                 1);
        auto opened = Store::open(store, Store::Access::ReadOnly);
        auto rejects = (*opened)->rejects();
        QVERIFY(rejects && rejects->size() == 2);
        for (const RejectEntry &r : *rejects) {
            QVERIFY2(r.raw.find("zoltan") == std::string::npos, r.raw.c_str());
            QVERIFY2(r.raw.find(ApiKey) == std::string::npos, r.raw.c_str());
            for (const auto &e : r.errors)
                QVERIFY(e.reason.find("Zq9x") == std::string::npos);
        }
        const QByteArray bytes = storeBytes(store);
        QVERIFY(!bytes.isEmpty());
        QVERIFY(!bytes.contains("zoltan"));
        QVERIFY(!bytes.contains("Zq9xW3vT7uR5sP1oN8mL6kJ4hG2fD0sA"));

        // Importing again: the same redacted records, so duplicates, not conflicts.
        const ImportReport again = import(store, {logFile()});
        QCOMPARE(again.counts.stored, 0);
        QCOMPARE(again.counts.duplicates, 2);
        QCOMPARE(again.counts.conflicts, 0);
    }

    void pseudonymsAcrossImportsAndStores()
    {
        RedactionPolicy policy;
        policy.actions.fill(RedactionAction::Keep);
        policy.pseudonymizeUsers = true;
        policy.keyFile = path(u"keys/team.key"_s);
        const QString first = path(u"first.sqlite"_s), second = path(u"second.sqlite"_s);
        QVERIFY(saveStorePolicy(first, policy));
        QVERIFY(saveStorePolicy(second, policy));
        const QString a = path(u"a.jsonl"_s), b = path(u"b.jsonl"_s);
        writeFile(a, {line("p-1", User, "first")});
        writeFile(b, {line("p-2", User, "second"), line("p-3", "someone-else", "third")});

        QCOMPARE(import(first, {a}).counts.stored, 1);
        QCOMPARE(import(first, {b}).counts.stored, 2);
        QCOMPARE(import(second, {a}).counts.stored, 1);
        const std::string p1 = json::parse(documentOf(first, "p-1"))["user_id"];
        const std::string p2 = json::parse(documentOf(first, "p-2"))["user_id"];
        const std::string p3 = json::parse(documentOf(first, "p-3"))["user_id"];
        const std::string other = json::parse(documentOf(second, "p-1"))["user_id"];
        QVERIFY(
            QRegularExpression(u"^u-[0-9a-f]{16}$"_s).match(QString::fromStdString(p1)).hasMatch());
        QCOMPARE(p2, p1);    // the same user in another import
        QCOMPARE(other, p1); // and in another store with the same key
        QVERIFY(p3 != p1);
        // The store's user column and its bytes hold only the pseudonym.
        QCOMPARE(scalar(first, "SELECT count(*) FROM interactions WHERE user_id = '" + p1 + "'"),
                 2);
        QVERIFY(!storeBytes(first).contains(User));
        // Another key file: another pseudonym; the store alone cannot give the user back.
        RedactionPolicy otherKey = policy;
        otherKey.keyFile = path(u"keys/other.key"_s);
        const QString third = path(u"third.sqlite"_s);
        QVERIFY(saveStorePolicy(third, otherKey));
        QCOMPARE(import(third, {a}).counts.stored, 1);
        QVERIFY(json::parse(documentOf(third, "p-1"))["user_id"] != p1);
    }

    void unreadablePolicyStopsTheImport()
    {
        const QString store = path(u"broken.sqlite"_s);
        QFile policy(storePolicyPath(store));
        QVERIFY(policy.open(QIODevice::WriteOnly));
        policy.write("{\"fields\": {\"prompt\": \"blur\"}}");
        policy.close();
        const ImportReport report = import(store, {logFile()});
        QVERIFY(report.storeError);
        QVERIFY2(report.storeError->toString().contains(u"/fields/prompt"_s),
                 qPrintable(report.storeError->toString()));
        QCOMPARE(report.counts.stored, 0);
        QCOMPARE(scalar(store, "SELECT count(*) FROM interactions"), 0);
    }
};

QTEST_GUILESS_MAIN(TestRedactionImport)
#include "tst_redactionimport.moc"
