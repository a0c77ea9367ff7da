// `llmaudit redact --dry-run` and `llmaudit import --policy / --pseudonymize`, end to end: the
// real program; no secret on its output, the store's policy remembered, the key file private.

#include "clirunner.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <set>
#include <sys/stat.h>

using nlohmann::json;
using namespace Qt::StringLiterals;

namespace {

const char *const Email = "wilhelmina.vandersloot@example.com";
const char *const Card = "4539 1488 0343 6467";

void writeLines(const QString &path, const QStringList &lines)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    for (const QString &line : lines)
        file.write((line + u'\n').toUtf8());
}

QString record(const QString &id, const QString &user, const QString &prompt)
{
    return QString::fromStdString(json{
        {"interaction_id", id.toStdString()},
        {"timestamp", "2026-01-05T10:00:00Z"},
        {"user_id", user.toStdString()},
        {"session_id", "s-1"},
        {"request", {{"prompt", prompt.toStdString()}}},
        {"response",
         {{"content", "done"}}}}.dump());
}

} // namespace

class TestCliPrivacy : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QString logFile()
    {
        const QString file = path(u"log.jsonl"_s);
        writeLines(
            file,
            {record(u"c-1"_s, u"user-ada"_s,
                    u"Mail %1 and charge %2, then mail %1 again"_s.arg(QString::fromUtf8(Email),
                                                                       QString::fromUtf8(Card))),
             record(u"c-2"_s, u"user-ada"_s, u"nothing personal"_s),
             // Refused: its reason must not quote the card either.
             u"{\"interaction_id\": \"c-3\", \"prompt\": \"%1"_s.arg(QString::fromUtf8(Card))});
        return file;
    }

private Q_SLOTS:
    void dryRunShowsPlaceholdersNotValues()
    {
        const CliRun run =
            cli({u"redact"_s, u"--dry-run"_s, u"--store"_s, path(u"none.sqlite"_s), logFile()});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(u"c-1  CARD 1, EMAIL 2"_s), qPrintable(run.out));
        QVERIFY2(run.out.contains(u"/request/prompt  Mail [EMAIL_1] and charge [CARD_1], then mail "
                                  u"[EMAIL_1] again"_s),
                 qPrintable(run.out));
        QVERIFY(run.out.contains(u"c-2  nothing to redact"_s));
        QVERIFY(run.out.contains(
            u"3 records, 1 with something to redact, 1 invalid; CARD 1, EMAIL 2"_s));
        for (const QString &text : {run.out, run.err}) {
            QVERIFY(!text.contains(QString::fromUtf8(Email)));
            QVERIFY(!text.contains(u"4539"_s));
        }
        QVERIFY(!QFileInfo::exists(path(u"none.sqlite"_s))); // a dry run creates no store

        const CliRun asJson = cli({u"redact"_s, u"--dry-run"_s, u"--json"_s, u"--store"_s,
                                   path(u"none.sqlite"_s), logFile()});
        const json out = asJson.json();
        QVERIFY2(out.is_object(), qPrintable(asJson.out));
        QVERIFY(out["totals"]["counts"] == json::parse(R"({"CARD":1,"EMAIL":2})"));
        QCOMPARE(out["records"][0]["fields"][0]["pointer"].get<std::string>(), "/request/prompt");

        QCOMPARE(cli({u"redact"_s, logFile()}).exitCode, 2); // only --dry-run
    }

    void importWithPolicyAndPseudonyms()
    {
        const QString store = path(u"store.sqlite"_s);
        const QString key = path(u"secret/pseudonym.key"_s);
        const QString policy = path(u"policy.json"_s);
        writeLines(policy, {uR"({"name": "team", "fields": {"metadata": "keep"}})"_s});
        const CliRun run = cli({u"import"_s, u"--store"_s, store, u"--policy"_s, policy,
                                u"--pseudonymize"_s, u"--key-file"_s, key, logFile()});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(u"redacted by policy 'team': CARD 1, EMAIL 2; 2 user ids "
                                  u"pseudonymized"_s),
                 qPrintable(run.out));
        QVERIFY(!run.err.contains(u"4539"_s) && !run.out.contains(u"4539"_s));
        QVERIFY(QFileInfo::exists(store + u".privacy.json"_s));
        struct stat st
        {};
        QCOMPARE(::stat(QFile::encodeName(key).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);

        // A later import without options applies the remembered policy with the same key.
        writeLines(
            path(u"more.jsonl"_s),
            {record(u"c-9"_s, u"user-ada"_s, u"reach me at %1"_s.arg(QString::fromUtf8(Email)))});
        QCOMPARE(cli({u"import"_s, u"--store"_s, store, path(u"more.jsonl"_s)}).exitCode, 0);
        const CliRun exported = cli({u"export"_s, u"--store"_s, store, u"--format"_s, u"jsonl"_s});
        QCOMPARE(exported.exitCode, 0);
        QVERIFY(!exported.out.contains(QString::fromUtf8(Email)));
        QVERIFY(!exported.out.contains(u"user-ada"_s));
        std::set<std::string> users;
        for (const QString &line : exported.out.split(u'\n', Qt::SkipEmptyParts)) {
            const json doc = json::parse(line.toStdString());
            users.insert(doc["user_id"].get<std::string>());
            QVERIFY(doc["redaction"]["pseudonymized_user"] == true);
            QCOMPARE(doc["redaction"]["policy"].get<std::string>(), "team");
        }
        QCOMPARE(users.size(), size_t(1)); // one user, one pseudonym, across both imports

        const CliRun rejects = cli({u"rejects"_s, u"--store"_s, store, u"--json"_s});
        QVERIFY(!rejects.out.contains(u"4539"_s));
        QVERIFY2(rejects.out.contains(u"[CARD_1]"_s), qPrintable(rejects.out));
    }
};

QTEST_GUILESS_MAIN(TestCliPrivacy)
#include "tst_cliprivacy.moc"
