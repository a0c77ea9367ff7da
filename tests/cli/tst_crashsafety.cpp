// kill -9 during an import leaves a store that opens and checks clean, and running the same
// import again ends with exactly one copy of every record.

#include "clirunner.h"
#include "store.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using nlohmann::json;

namespace {

QString pragmaAnswer(const QString &store, const char *sql)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(store.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) !=
        SQLITE_OK)
        return QStringLiteral("cannot open: ") + QString::fromUtf8(sqlite3_errmsg(db));
    sqlite3_stmt *stmt = nullptr;
    QString answer;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        answer = QString::fromUtf8(sqlite3_errmsg(db));
    } else {
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            answer +=
                QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0))) +
                u' ';
        if (rc != SQLITE_DONE)
            answer += QString::fromUtf8(sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return answer.trimmed();
}

} // namespace

class TestCrashSafety : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killDuringImport()
    {
        QTemporaryDir dir;
        const QString log = dir.filePath(u"big.jsonl"_qs);
        const QString store = dir.filePath(u"store.sqlite"_qs);
        constexpr int Records = 40000;
        QVERIFY(generate(log, Records, u"jsonl"_qs, 0, 21));

        int killedMidway = 0;
        // Moments spread over an import: before the first commit, between batches, late.
        for (int delayMs : {60, 250, 700, 1300, 2100, 3000}) {
            QProcess import;
            import.start(QStringLiteral(LLMAUDIT_CLI), {u"import"_qs, u"--store"_qs, store, log});
            QVERIFY(import.waitForStarted());
            QElapsedTimer timer;
            timer.start();
            // The kill must come at this moment whatever the process is doing: a plain wait.
            while (timer.elapsed() < delayMs && import.state() == QProcess::Running)
                import.waitForFinished(10);
            const bool wasRunning = import.state() == QProcess::Running;
            import.kill(); // SIGKILL
            import.waitForFinished();

            if (!QFile::exists(store)) { // killed before it created the store: nothing to check
                qInfo("killed after %d ms, before the store was created", delayMs);
                continue;
            }
            killedMidway += wasRunning; // ...with a store to check
            QCOMPARE(pragmaAnswer(store, "PRAGMA integrity_check"), QStringLiteral("ok"));
            CliRun stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs});
            QVERIFY2(stats.exitCode == 0, qPrintable(stats.err));
            qInfo("killed after %d ms: %d interactions committed", delayMs,
                  stats.json()["interactions"].get<int>());
        }
        QVERIFY2(killedMidway >= 3, "the import finished before most kills: make the file larger");

        CliRun finish = cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, log});
        QVERIFY2(finish.exitCode == 0, qPrintable(finish.err));
        const json summary = finish.json();
        QCOMPARE(summary["read"].get<int>(), Records);
        QCOMPARE(summary["stored"].get<int>() + summary["duplicates"].get<int>(), Records);
        QCOMPARE(summary["conflicts"].get<int>(), 0);

        QCOMPARE(pragmaAnswer(store, "SELECT count(*) FROM interactions"),
                 QString::number(Records));
        QCOMPARE(pragmaAnswer(store, "SELECT count(DISTINCT interaction_id) FROM interactions"),
                 QString::number(Records));
        // The structure is sound and the full-text index holds exactly the stored records.
        auto opened = llmaudit::Store::open(store);
        QVERIFY(opened);
        auto checked = (*opened)->checkIntegrity();
        QVERIFY2(checked, checked ? "" : qPrintable(checked.error().toString()));
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
