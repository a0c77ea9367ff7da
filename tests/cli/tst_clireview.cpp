// llmaudit review, activity and verify end to end: the real executable on a real store, and a
// store tampered with behind its back.

#include "clirunner.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using nlohmann::json;

namespace {

std::vector<json> jsonLines(const QString &text)
{
    std::vector<json> lines;
    for (const QString &line : text.split(u'\n', Qt::SkipEmptyParts))
        lines.push_back(json::parse(line.toStdString(), nullptr, false));
    return lines;
}

} // namespace

class TestCliReview : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_store;

private Q_SLOTS:
    void initTestCase()
    {
        const QString log = m_dir.filePath(u"four.jsonl"_qs);
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 1; i <= 4; ++i)
            file.write(
                QStringLiteral(
                    R"({"interaction_id": "c-%1", "timestamp": "2026-03-0%1T10:00:00Z", "user_id": "u-c", "session_id": "s-c", "request": {"prompt": "q %1"}, "response": {"content": "a"}})"
                    "\n")
                    .arg(i)
                    .toUtf8());
        file.close();
        m_store = m_dir.filePath(u"cli.sqlite"_qs);
        CliRun run = cli({u"import"_qs, u"--store"_qs, m_store, log});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }

    void review()
    {
        CliRun run = cli({u"review"_qs, u"--store"_qs, m_store, u"c-1"_qs, u"c-2"_qs,
                          u"--status"_qs, u"issue"_qs, u"--flag"_qs, u"leaks a phone number"_qs,
                          u"--note"_qs, u"Asked the owner."_qs, u"--reviewer"_qs, u"alice"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(u"2 interactions reviewed by alice"_qs), qPrintable(run.out));

        run = cli({u"export"_qs, u"--store"_qs, m_store, u"--format"_qs, u"jsonl"_qs,
                   u"--filter"_qs, u"review == issue and has note"_qs});
        QCOMPARE(run.exitCode, 0);
        const auto exported = jsonLines(run.out);
        QCOMPARE(exported.size(), 2u);

        // An unknown id changes nothing; a bad status is a usage error.
        run = cli({u"review"_qs, u"--store"_qs, m_store, u"c-3"_qs, u"nope"_qs, u"--status"_qs,
                   u"approved"_qs});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(u"no interaction nope"_qs), qPrintable(run.err));
        run = cli({u"export"_qs, u"--store"_qs, m_store, u"--format"_qs, u"jsonl"_qs,
                   u"--filter"_qs, u"review == approved"_qs});
        QCOMPARE(run.out, QString());
        run = cli({u"review"_qs, u"--store"_qs, m_store, u"c-3"_qs, u"--status"_qs, u"done"_qs});
        QCOMPARE(run.exitCode, 2);
        run = cli({u"review"_qs, u"--store"_qs, m_store, u"c-3"_qs});
        QCOMPARE(run.exitCode, 2);
    }

    void activity()
    {
        CliRun run = cli({u"activity"_qs, u"--store"_qs, m_store, u"--json"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto entries = jsonLines(run.out);
        // import, the review change, the note, the export, and the empty export of approved
        QCOMPARE(entries.size(), 5u);
        QVERIFY(entries[0]["kind"] == "import");
        QVERIFY(entries[1]["kind"] == "review");
        QVERIFY(entries[1]["actor"] == "alice");
        QVERIFY(entries[1]["ids"] == json({"c-1", "c-2"}));
        QVERIFY(entries[1]["what"] == "status issue; flagged: leaks a phone number");
        QVERIFY(entries[2]["what"] == "note: Asked the owner.");
        QVERIFY(entries[3]["kind"] == "export");
        QVERIFY(entries[3]["filter"] == "(review == issue and has note)");
        QVERIFY(entries[3]["count"] == 2);

        run = cli({u"activity"_qs, u"--store"_qs, m_store, u"--json"_qs, u"--kind"_qs, u"review"_qs,
                   u"--since"_qs, u"1d"_qs});
        QCOMPARE(jsonLines(run.out).size(), 2u);
        run = cli({u"activity"_qs, u"--store"_qs, m_store, u"--until"_qs, u"2000-01-01"_qs});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains(u"0 entries"_qs), qPrintable(run.out));
        run = cli({u"activity"_qs, u"--store"_qs, m_store});
        QVERIFY(run.out.contains(u"review   alice  status issue"_qs) ||
                run.out.contains(u"review "_qs));
        run = cli({u"activity"_qs, u"--store"_qs, m_store, u"--kind"_qs, u"nap"_qs});
        QCOMPARE(run.exitCode, 2);
        run = cli({u"activity"_qs, u"--store"_qs, m_store, u"--since"_qs, u"yesterday"_qs});
        QCOMPARE(run.exitCode, 2);
    }

    void verify()
    {
        CliRun run = cli({u"verify"_qs, u"--store"_qs, m_store});
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY(run.out.startsWith(u"OK  records: 4 links, head "_qs));
        run = cli({u"verify"_qs, u"--store"_qs, m_store, u"--json"_qs});
        QCOMPARE(run.exitCode, 0);
        json report = run.json();
        QVERIFY(report["ok"] == true);
        QVERIFY(report["records"]["length"] == 4);
        QVERIFY(report["records"]["head"].get<std::string>().size() == 64u);

        // A record deleted with SQL, behind the store's back.
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(m_store.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "DELETE FROM interactions WHERE interaction_id = 'c-2'", nullptr,
                              nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
        run = cli({u"verify"_qs, u"--store"_qs, m_store});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.startsWith(u"BROKEN  records chain, link 2: missing"_qs),
                 qPrintable(run.out));
        run = cli({u"verify"_qs, u"--store"_qs, m_store, u"--json"_qs});
        QCOMPARE(run.exitCode, 1);
        report = run.json();
        QVERIFY(report["ok"] == false);
        QVERIFY(report["problem"]["kind"] == "missing");
        QVERIFY(report["problem"]["position"] == 2);
        // The verifications themselves are in the log.
        run =
            cli({u"activity"_qs, u"--store"_qs, m_store, u"--kind"_qs, u"verify"_qs, u"--json"_qs});
        QCOMPARE(jsonLines(run.out).size(), 4u);
    }
};

QTEST_GUILESS_MAIN(TestCliReview)
#include "tst_clireview.moc"
