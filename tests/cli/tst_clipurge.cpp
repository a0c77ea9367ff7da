// llmaudit purge, hold and backup end to end: the real executable on real stores. Retention
// from the store's policy file (and its errors), holds by id and by filter, the dry run listing
// what the purge then removes, verify after a purge, kill -9 during a purge, and a backup taken
// while another process imports into the store.

#include "clirunner.h"
#include "store.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using nlohmann::json;

namespace {

// "p-1" .. "p-N": p-i is i * 10 days old; every third is restricted, every third internal, the
// others have no sensitivity level.
void writeAged(const QString &path, int n)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int i = 1; i <= n; ++i) {
        json r = {{"interaction_id", "p-" + std::to_string(i)},
                  {"timestamp", now.addDays(-10 * i).toString(Qt::ISODate).toStdString()},
                  {"user_id", i % 2 ? "u-odd" : "u-even"},
                  {"session_id", "s-1"},
                  {"request", {{"prompt", "question " + std::to_string(i)}}},
                  {"response", {{"content", "answer " + std::to_string(i)}}}};
        if (i % 3 == 0)
            r["security"] = {{"sensitivity_level", "restricted"}};
        else if (i % 3 == 1)
            r["security"] = {{"sensitivity_level", "internal"}};
        file.write(QByteArray::fromStdString(r.dump() + "\n"));
    }
}

void writeFile(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

std::vector<std::string> strings(const json &list)
{
    std::vector<std::string> out;
    for (const auto &item : list)
        out.push_back(item.get<std::string>());
    return out;
}

} // namespace

class TestCliPurge : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_count = 0;

    // A store of the aged records with this retention (as the policy file's "retention").
    QString agedStore(int n, const QByteArray &retention)
    {
        const QString log = m_dir.filePath(u"aged%1.jsonl"_qs.arg(++m_count));
        writeAged(log, n);
        const QString store = m_dir.filePath(u"aged%1.sqlite"_qs.arg(m_count));
        CliRun run = cli({u"import"_qs, u"--store"_qs, store, log});
        if (run.exitCode != 0)
            qFatal("import failed: %s", qPrintable(run.err));
        writeFile(store + u".privacy.json"_qs,
                  "{\"redact\": false, \"retention\": " + retention + "}");
        return store;
    }

private Q_SLOTS:
    void helpAndUsageErrors()
    {
        for (const char *command : {"purge", "hold", "backup"}) {
            CliRun run = cli({QString::fromLatin1(command), u"--help"_qs});
            QCOMPARE(run.exitCode, 0);
            QVERIFY2(run.out.contains(u"--store"_qs), qPrintable(run.out));
        }
        QVERIFY(cli({u"purge"_qs, u"--help"_qs}).out.contains(u"--dry-run"_qs));
        QVERIFY(cli({u"--help"_qs}).out.contains(u"backup"_qs));
        const QString store = m_dir.filePath(u"none.sqlite"_qs);
        const QList<QStringList> usage = {
            {u"purge"_qs, u"--store"_qs, store, u"extra"_qs},
            {u"purge"_qs, u"--store"_qs, store, u"--by"_qs, u""_qs},
            {u"purge"_qs, u"--store"_qs, store, u"--no-such-option"_qs},
            {u"hold"_qs, u"--store"_qs, store},
            {u"hold"_qs, u"--store"_qs, store, u"p-1"_qs, u"--filter"_qs, u"flagged"_qs},
            {u"hold"_qs, u"--store"_qs, store, u"p-1"_qs, u"--release"_qs, u"--reason"_qs, u"x"_qs},
            {u"hold"_qs, u"--store"_qs, store, u"--filter"_qs, u"latency >"_qs},
            {u"backup"_qs, u"--store"_qs, store},
            {u"backup"_qs, u"--store"_qs, store, u"a.sqlite"_qs, u"b.sqlite"_qs},
        };
        for (const QStringList &args : usage) {
            CliRun run = cli(args);
            QVERIFY2(run.exitCode == 2, qPrintable(args.join(u' ') + u" -> "_qs + run.err));
        }
    }

    void badRetentionIsRefused()
    {
        const QString store = agedStore(3, R"({"max_age_days": 30, "sensitivity": {"secret": 5}})");
        CliRun run = cli({u"purge"_qs, u"--store"_qs, store});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(store + u".privacy.json:/retention/sensitivity/secret"_qs),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains(u"unknown sensitivity level"_qs), qPrintable(run.err));
        CliRun stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs});
        QCOMPARE(stats.json()["interactions"].get<int>(), 3); // nothing removed
    }

    // restricted: 25 days; others: 95 days. Of p-1 .. p-12 (10 .. 120 days old): restricted
    // p-3 .. p-12 expire (30+ days), the others from p-10 (100 days) on.
    void dryRunThenPurgeWithHolds()
    {
        const QString store =
            agedStore(12, R"({"max_age_days": 95, "sensitivity": {"restricted": 25}})");
        // Holds: one by id, and by filter (u-even restricted ones: p-6 and p-12).
        CliRun run = cli({u"hold"_qs, u"--store"_qs, store, u"p-10"_qs, u"--reason"_qs,
                          u"case 7"_qs, u"--reviewer"_qs, u"lena"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(u"1 interaction on legal hold by lena"_qs), qPrintable(run.out));
        run = cli({u"hold"_qs, u"--store"_qs, store, u"--filter"_qs,
                   u"user == \"u-even\" and security.sensitivity_level == restricted"_qs,
                   u"--reason"_qs, u"subpoena"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.startsWith(u"2 interactions on legal hold"_qs), qPrintable(run.out));
        run = cli({u"hold"_qs, u"--store"_qs, store, u"p-99"_qs});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.err.contains(u"no interaction p-99"_qs));

        run = cli({u"hold"_qs, u"--store"_qs, store, u"--list"_qs, u"--json"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QStringList listed = run.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(listed.size(), 3);
        QCOMPARE(listed.filter(u"\"case 7\""_qs).size(), 1); // p-10
        QCOMPARE(listed.filter(u"\"subpoena\""_qs).size(), 2);

        // The filter language sees the holds.
        run = cli({u"export"_qs, u"--store"_qs, store, u"--format"_qs, u"jsonl"_qs, u"--filter"_qs,
                   u"held"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(run.out.count(u"interaction_id"_qs), 3);

        CliRun dry = cli({u"purge"_qs, u"--store"_qs, store, u"--dry-run"_qs, u"--json"_qs});
        QVERIFY2(dry.exitCode == 0, qPrintable(dry.err));
        const json plan = dry.json();
        QVERIFY2(plan["dry_run"] == true, dry.out.toUtf8().constData());
        const std::vector<std::string> expected = {"p-3", "p-9", "p-11"};
        QCOMPARE(strings(plan["would_purge"]), expected);
        QCOMPARE(strings(plan["held"]), (std::vector<std::string>{"p-6", "p-10", "p-12"}));
        CliRun text = cli({u"purge"_qs, u"--store"_qs, store, u"--dry-run"_qs});
        QVERIFY2(text.out.contains(u"3 interactions would be purged now, 3 kept on legal hold"_qs),
                 qPrintable(text.out));
        CliRun stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs});
        QCOMPARE(stats.json()["interactions"].get<int>(), 12); // a dry run changes nothing

        CliRun purge =
            cli({u"purge"_qs, u"--store"_qs, store, u"--json"_qs, u"--by"_qs, u"retention-job"_qs});
        QVERIFY2(purge.exitCode == 0, qPrintable(purge.err));
        QCOMPARE(strings(purge.json()["purged"]), expected);
        QCOMPARE(purge.json()["held_count"].get<int>(), 3);
        stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs});
        QCOMPARE(stats.json()["interactions"].get<int>(), 9);
        CliRun search = cli({u"export"_qs, u"--store"_qs, store, u"--format"_qs, u"jsonl"_qs,
                             u"--filter"_qs, u"text ~ \"question 3\" or text ~ \"question 9\""_qs});
        QVERIFY2(search.exitCode == 0, qPrintable(search.err));
        QVERIFY2(!search.out.contains(u"interaction_id"_qs), qPrintable(search.out));

        CliRun verify = cli({u"verify"_qs, u"--store"_qs, store});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
        QVERIFY(verify.out.startsWith(u"OK  records: 12 links"_qs));

        CliRun activity =
            cli({u"activity"_qs, u"--store"_qs, store, u"--kind"_qs, u"purge"_qs, u"--json"_qs});
        QVERIFY2(activity.exitCode == 0, qPrintable(activity.err));
        const json entry = activity.json();
        QCOMPARE(entry["actor"].get<std::string>(), std::string("retention-job"));
        QCOMPARE(entry["count"].get<int>(), 3);
        QCOMPARE(strings(entry["ids"]), expected);
        QVERIFY(entry["what"].get<std::string>().find("3 kept on legal hold") != std::string::npos);

        // Released, p-10 goes with the next purge; the others stay held.
        run = cli({u"hold"_qs, u"--store"_qs, store, u"--release"_qs, u"p-10"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        purge = cli({u"purge"_qs, u"--store"_qs, store, u"--json"_qs});
        QCOMPARE(strings(purge.json()["purged"]), std::vector<std::string>{"p-10"});
        QCOMPARE(purge.json()["held_count"].get<int>(), 2);
        QCOMPARE(cli({u"verify"_qs, u"--store"_qs, store}).exitCode, 0);
    }

    // kill -9 at moments spread over a purge: the store opens and verifies, and holds all of
    // the records or none of them (one transaction).
    void killDuringPurge()
    {
        const QString log = m_dir.filePath(u"big.jsonl"_qs);
        const QString store = m_dir.filePath(u"big.sqlite"_qs);
        constexpr int Records = 20000;
        QVERIFY(generate(log, Records, u"jsonl"_qs, 0, 8));
        CliRun run = cli({u"import"_qs, u"--store"_qs, store, log});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        writeFile(store + u".privacy.json"_qs,
                  R"({"redact": false, "retention": {"max_age_days": 1}})");
        for (int delayMs : {150, 600, 2500}) {
            QProcess purge;
            purge.start(QStringLiteral(LLMAUDIT_CLI), {u"purge"_qs, u"--store"_qs, store});
            QVERIFY(purge.waitForStarted());
            QElapsedTimer timer;
            timer.start();
            // The kill must come at this moment whatever the process is doing: a plain wait.
            while (timer.elapsed() < delayMs && purge.state() == QProcess::Running)
                purge.waitForFinished(10);
            purge.kill(); // SIGKILL
            purge.waitForFinished();
            CliRun verify = cli({u"verify"_qs, u"--store"_qs, store});
            QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
            const int left = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs})
                                 .json()["interactions"]
                                 .get<int>();
            qInfo("killed after %d ms: %d interactions left", delayMs, left);
            QVERIFY2(left == Records || left == 0, qPrintable(QString::number(left)));
        }
        run = cli({u"purge"_qs, u"--store"_qs, store, u"--json"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs})
                     .json()["interactions"]
                     .get<int>(),
                 0);
        CliRun verify = cli({u"verify"_qs, u"--store"_qs, store});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
        QVERIFY2(verify.out.contains(u"records: %1 links"_qs.arg(Records)), qPrintable(verify.out));
        // The full-text index lost exactly the purged records: it matches the (no) documents.
        auto opened = llmaudit::Store::open(store);
        QVERIFY(opened);
        auto checked = (*opened)->checkIntegrity();
        QVERIFY2(checked, checked ? "" : qPrintable(checked.error().toString()));
    }

    // A backup while `llmaudit import` (another process) commits batch after batch: the copy
    // verifies and holds at least what was committed before the backup began.
    void backupWhileAnotherProcessWrites()
    {
        const QString log = m_dir.filePath(u"stream.jsonl"_qs);
        const QString store = m_dir.filePath(u"busy.sqlite"_qs);
        QVERIFY(generate(log, 20000, u"jsonl"_qs, 0, 9));
        {
            const QString three = m_dir.filePath(u"three.jsonl"_qs);
            writeAged(three, 3);
            CliRun first = cli({u"import"_qs, u"--store"_qs, store, three});
            QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        }
        writeFile(store + u".privacy.json"_qs,
                  R"({"redact": false, "retention": {"max_age_days": 400}})");
        QProcess import;
        import.start(QStringLiteral(LLMAUDIT_CLI), {u"import"_qs, u"--store"_qs, store, log});
        QVERIFY(import.waitForStarted());
        int before = 0;
        QTRY_VERIFY_WITH_TIMEOUT((before = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs})
                                               .json()["interactions"]
                                               .get<int>()) > 3,
                                 60000);
        const QString copy = m_dir.filePath(u"copy.sqlite"_qs);
        CliRun backup = cli({u"backup"_qs, u"--store"_qs, store, copy, u"--json"_qs});
        const bool stillImporting = import.state() == QProcess::Running;
        QVERIFY(import.waitForFinished(300000));
        QCOMPARE(import.exitCode(), 0);
        QVERIFY2(backup.exitCode == 0, qPrintable(backup.err));
        QVERIFY2(!backup.err.contains(u"not recorded"_qs), qPrintable(backup.err));
        const json report = backup.json();
        qInfo("backup of %d interactions (%d committed before it began)%s",
              report["interactions"].get<int>(), before,
              stillImporting ? ", taken while the import went on" : "");
        QVERIFY(report["interactions"].get<int>() >= before);
        QCOMPARE(report["records"]["length"].get<int>(), report["interactions"].get<int>());
        QCOMPARE(QString::fromStdString(report["policy"].get<std::string>()),
                 copy + u".privacy.json"_qs);
        CliRun verify = cli({u"verify"_qs, u"--store"_qs, copy, u"--json"_qs});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
        QCOMPARE(verify.json()["records"]["head"].get<std::string>(),
                 report["records"]["head"].get<std::string>());
        CliRun logged =
            cli({u"activity"_qs, u"--store"_qs, store, u"--kind"_qs, u"export"_qs, u"--json"_qs});
        QVERIFY2(logged.out.contains(u"backup to "_qs + copy), qPrintable(logged.out));
        CliRun purge = cli({u"purge"_qs, u"--store"_qs, copy, u"--dry-run"_qs});
        QVERIFY2(purge.exitCode == 0, qPrintable(purge.err)); // the copied policy reads

        // Never over an existing file without --force; with it, a fresh copy of it all.
        CliRun again = cli({u"backup"_qs, u"--store"_qs, store, copy});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(u"--force"_qs), qPrintable(again.err));
        again = cli({u"backup"_qs, u"--store"_qs, store, copy, u"--force"_qs});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY2(again.out.contains(u"verified OK"_qs), qPrintable(again.out));
        QVERIFY(again.out.contains(u"pseudonym key file"_qs));
        QVERIFY2(again.out.contains(u": 20,003 interactions"_qs), qPrintable(again.out));
    }
};

QTEST_GUILESS_MAIN(TestCliPurge)
#include "tst_clipurge.moc"
