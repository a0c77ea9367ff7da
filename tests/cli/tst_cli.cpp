// llmaudit end to end: the real executable on files from the project's generator.

#include "../support/storeformats.h"
#include "clirunner.h"

#include <QFile>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using nlohmann::json;

class TestCli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }
    // For the upgrade tests: script(1) gives the CLI a terminal (a pty); the sqlite3 shell makes
    // a store of an older format.
    const QString m_script = QStandardPaths::findExecutable(QStringLiteral("script"));
    const QString m_sqlite = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));

    // LOG imported into STORE, then taken back to format 3 (as an older version left it).
    static QString format3Store(const QString &sqlite, const QString &log, const QString &store)
    {
        CliRun imported = cli({QStringLiteral("import"), QStringLiteral("--store"), store, log});
        if (imported.exitCode != 0)
            qWarning("import failed: %s", qPrintable(imported.err));
        CliRun dropped = runProgram(sqlite, {store, QString::fromLatin1(DowngradeToFormat3Sql)});
        if (dropped.exitCode != 0)
            qWarning("sqlite3 failed: %s", qPrintable(dropped.err));
        return store;
    }

    // Exported documents of a store, each without Mongo's _id, sorted by interaction id.
    std::vector<std::string> exportedDocuments(const QString &store)
    {
        CliRun run = cli({u"export"_qs, u"--store"_qs, store, u"--format"_qs, u"jsonl"_qs});
        std::vector<std::string> documents;
        if (run.exitCode != 0) {
            qWarning("export failed: %s", qPrintable(run.err));
            return documents;
        }
        for (const QString &line : run.out.split(u'\n', Qt::SkipEmptyParts)) {
            json document = json::parse(line.toStdString());
            document.erase("_id");
            documents.push_back(document.dump());
        }
        std::sort(documents.begin(), documents.end());
        return documents;
    }

private Q_SLOTS:
    void versionAndHelp()
    {
        CliRun version = cli({u"--version"_qs});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out, QStringLiteral("llmaudit " LLMAUDIT_VERSION "\n"));
        for (const char *command :
             {"import", "export", "stats", "validate", "rejects", "conflicts"}) {
            CliRun help = cli({QString::fromUtf8(command), u"--help"_qs});
            QCOMPARE(help.exitCode, 0);
            QVERIFY2(help.out.contains(u"Usage: llmaudit "_qs + QString::fromUtf8(command)),
                     qPrintable(help.out));
        }
        QVERIFY(cli({u"--help"_qs}).out.contains(u"Commands:"));
    }

    void usageErrorsExitTwoWithOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("no command") << QStringList{};
        QTest::newRow("unknown command") << QStringList{u"frobnicate"_qs};
        QTest::newRow("unknown option") << QStringList{u"stats"_qs, u"--bogus"_qs};
        QTest::newRow("import without files") << QStringList{u"import"_qs};
        QTest::newRow("bad import format")
            << QStringList{u"import"_qs, u"--format"_qs, u"xml"_qs, u"a.jsonl"_qs};
        QTest::newRow("export without format") << QStringList{u"export"_qs};
        QTest::newRow("bad export format") << QStringList{u"export"_qs, u"--format"_qs, u"pdf"_qs};
        QTest::newRow("missing option value") << QStringList{u"import"_qs, u"--store"_qs};
    }

    void usageErrorsExitTwoWithOneLine()
    {
        QFETCH(QStringList, args);
        CliRun run = cli(args);
        QCOMPARE(run.exitCode, 2);
        if (!args.isEmpty())
            QCOMPARE(run.err.count(u'\n'), 1);
        QVERIFY(run.out.isEmpty());
    }

    void importsEveryFormatToTheSameRecords_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("file");
        QTest::newRow("json array") << "json"
                                    << "logs.json";
        QTest::newRow("mongoexport relaxed") << "mongo-relaxed"
                                             << "relaxed.json";
        QTest::newRow("mongoexport canonical") << "mongo-canonical"
                                               << "canonical.json";
        QTest::newRow("mongoexport --jsonArray") << "mongo-array"
                                                 << "array.json";
        QTest::newRow("mongodump bson") << "bson"
                                        << "dump.bson";
    }

    void importsEveryFormatToTheSameRecords()
    {
        QFETCH(QString, format);
        QFETCH(QString, file);
        const QString reference = path(u"reference.sqlite"_qs);
        if (!QFile::exists(reference)) {
            QVERIFY(generate(path(u"reference.jsonl"_qs), 300));
            CliRun run = cli({u"import"_qs, u"--store"_qs, reference, path(u"reference.jsonl"_qs)});
            QCOMPARE(run.exitCode, 0);
        }
        QVERIFY(generate(path(file), 300, format));
        const QString store = path(format + u".sqlite"_qs);
        // Detected from the content: no --format.
        CliRun run = cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, path(file)});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const json summary = run.json();
        QCOMPARE(summary["read"].get<int>(), 300);
        QCOMPARE(summary["stored"].get<int>(), 300);
        QCOMPARE(summary["rejected"].get<int>(), 0);
        QCOMPARE(summary["duplicates"].get<int>(), 0);
        QCOMPARE(summary["conflicts"].get<int>(), 0);
        QCOMPARE(summary["files"][0]["extended_json"].get<bool>(), format != u"json");
        const auto expected = exportedDocuments(reference);
        const auto actual = exportedDocuments(store);
        QCOMPARE(actual.size(), size_t(300));
        for (size_t i = 0; i < actual.size(); ++i)
            QVERIFY2(actual[i] == expected[i],
                     (actual[i] + "\n  differs from\n" + expected[i]).c_str());
    }

    void importingTwiceStoresNothingNew()
    {
        const QString log = path(u"twice.jsonl"_qs);
        const QString store = path(u"twice.sqlite"_qs);
        QVERIFY(generate(log, 200, u"jsonl"_qs, 0.05, 11));
        const json first = cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, log}).json();
        const json second = cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, log}).json();
        QVERIFY(second["read"] == first["read"]);
        QCOMPARE(second["stored"].get<int>(), 0);
        QVERIFY(second["duplicates"] == first["stored"]);
        QVERIFY(second["rejected"] == first["rejected"]); // rejected again, quarantined once
        const json stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs}).json();
        QVERIFY(stats["interactions"] == first["stored"]);
        QVERIFY(stats["rejected"] == first["rejected"]);
    }

    void conflictsAreKeptAndListed()
    {
        const QString log = path(u"c.jsonl"_qs);
        const QString store = path(u"c.sqlite"_qs);
        QVERIFY(generate(log, 20));
        QCOMPARE(cli({u"import"_qs, u"--store"_qs, store, log}).exitCode, 0);
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadOnly));
        json changed = json::parse(file.readLine().toStdString());
        changed["response"]["content"] = "A different answer under the same id.";
        QFile edited(path(u"edited.jsonl"_qs));
        QVERIFY(edited.open(QIODevice::WriteOnly));
        edited.write(QByteArray::fromStdString(changed.dump() + "\n"));
        edited.close();
        const json summary =
            cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, edited.fileName()}).json();
        QCOMPARE(summary["conflicts"].get<int>(), 1);
        QCOMPARE(summary["stored"].get<int>(), 0);
        const json conflicts = cli({u"conflicts"_qs, u"--store"_qs, store, u"--json"_qs}).json();
        QCOMPARE(conflicts.size(), size_t(1));
        QVERIFY(conflicts[0]["interaction_id"] == changed["interaction_id"]);
        QCOMPARE(conflicts[0]["source"].get<std::string>(), std::string("edited.jsonl:1"));
        QVERIFY(conflicts[0]["incoming"]["response"]["content"] == changed["response"]["content"]);
        QCOMPARE(cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs})
                     .json()["interactions"]
                     .get<int>(),
                 20);
    }

    void badRecordsAreQuarantinedWithWhereAndWhy()
    {
        const QString log = path(u"bad.jsonl"_qs);
        const QString store = path(u"bad.sqlite"_qs);
        QVERIFY(generate(log, 400, u"jsonl"_qs, 0.1, 5));
        CliRun run = cli({u"import"_qs, u"--store"_qs, store, u"--json"_qs, log});
        QCOMPARE(run.exitCode, 0); // rejects are counted, not fatal
        const json summary = run.json();
        const int rejected = summary["rejected"].get<int>();
        QVERIFY(rejected >= 20);
        QCOMPARE(summary["stored"].get<int>() + rejected, summary["read"].get<int>());
        // Each reason names the file, the line and the JSON Pointer.
        static const QRegularExpression reason(uR"(^bad\.jsonl:\d+ /\S*: .+$)"_qs);
        const QStringList lines = run.err.split(u'\n', Qt::SkipEmptyParts);
        QVERIFY(!lines.isEmpty());
        for (const QString &line : lines)
            QVERIFY2(reason.match(line).hasMatch() || line.startsWith(u"..."), qPrintable(line));
        QVERIFY2(run.err.contains(u"expected integer, got string"), qPrintable(run.err));

        QCOMPARE(cli({u"import"_qs, u"--strict"_qs, u"--store"_qs, path(u"strict.sqlite"_qs), log})
                     .exitCode,
                 1);

        const json rejects = cli({u"rejects"_qs, u"--store"_qs, store, u"--json"_qs}).json();
        QCOMPARE(int(rejects.size()), rejected);
        QVERIFY(rejects[0]["source"].get<std::string>().starts_with("bad.jsonl:"));
        QVERIFY(!rejects[0]["errors"].empty());
        // Saved verbatim: the same bytes as the lines of the file.
        const QString saved = path(u"rejects.jsonl"_qs);
        QCOMPARE(cli({u"rejects"_qs, u"--store"_qs, store, u"-o"_qs, saved}).exitCode, 0);
        QFile original(log);
        QVERIFY(original.open(QIODevice::ReadOnly));
        const QList<QByteArray> originalLines = original.readAll().split('\n');
        QFile savedFile(saved);
        QVERIFY(savedFile.open(QIODevice::ReadOnly));
        const QList<QByteArray> savedLines = savedFile.readAll().split('\n');
        for (size_t i = 0; i < rejects.size(); ++i) {
            const std::string source = rejects[i]["source"];
            const int line = std::stoi(source.substr(source.find(':') + 1));
            QCOMPARE(savedLines[qsizetype(i)], originalLines[line - 1]);
        }
    }

    // Log text never reaches a terminal as control sequences: not in reasons, not in previews.
    void controlCharactersAreShownAsText()
    {
        const QString log = path(u"esc.jsonl"_qs);
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"a\": \"\x1b[31mred\x1b]0;title\x07\n"
                   "{\"interaction_id\": \"e\", \"timestamp\": \"2026-01-05T10:00:00Z\", "
                   "\"user_id\": \"u\", "
                   "\"session_id\": \"s\", \"request\": {}, \"response\": {}, \"metrics\": "
                   "{\"\\u001b[2J\": 1, "
                   "\"latency_ms\": \"\\u001b[31m\xe2\x80\xae\"}}\n");
        file.close();
        const QString store = path(u"esc.sqlite"_qs);
        CliRun import = cli({u"import"_qs, u"--store"_qs, store, log});
        CliRun rejects = cli({u"rejects"_qs, u"--store"_qs, store});
        CliRun validate = cli({u"validate"_qs, log});
        QCOMPARE(import.exitCode, 0);
        QVERIFY2(import.err.contains(u"<U+001B>") || import.err.contains(u"\\u001b"),
                 qPrintable(import.err));
        for (const CliRun &run : {import, rejects, validate}) {
            QVERIFY2(!run.out.contains(QChar(0x1b)) && !run.err.contains(QChar(0x1b)),
                     qPrintable(run.err));
            QVERIFY(!run.out.contains(QChar(0x07)) && !run.err.contains(QChar(0x07)));
            QVERIFY(!run.out.contains(QChar(0x202e)) && !run.err.contains(QChar(0x202e)));
        }
    }

    void validateChecksWithoutAStore()
    {
        const QString clean = path(u"clean.jsonl"_qs);
        const QString dirty = path(u"dirty.jsonl"_qs);
        QVERIFY(generate(clean, 100));
        QVERIFY(generate(dirty, 100, u"jsonl"_qs, 0.1, 9));
        CliRun ok = cli({u"validate"_qs, clean});
        QCOMPARE(ok.exitCode, 0);
        QCOMPARE(ok.out, QStringLiteral("100 records, 100 valid, 0 invalid\n"));
        CliRun bad = cli({u"validate"_qs, dirty});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains(u"dirty.jsonl:"));
        CliRun missing = cli({u"validate"_qs, path(u"none.jsonl"_qs)});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains(u"no such file"));
    }

    void exportRoundTripsAndValidates()
    {
        const QString log = path(u"rt.jsonl"_qs);
        QVERIFY(generate(log, 250, u"mongo-canonical"_qs));
        const QString first = path(u"rt1.sqlite"_qs);
        const QString second = path(u"rt2.sqlite"_qs);
        QCOMPARE(cli({u"import"_qs, u"--store"_qs, first, log}).exitCode, 0);
        const QString exported = path(u"export.jsonl"_qs);
        CliRun run = cli(
            {u"export"_qs, u"--store"_qs, first, u"--format"_qs, u"jsonl"_qs, u"-o"_qs, exported});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(cli({u"validate"_qs, exported}).exitCode, 0);
        QCOMPARE(cli({u"import"_qs, u"--store"_qs, second, exported}).exitCode, 0);
        const QString again = path(u"export2.jsonl"_qs);
        QCOMPARE(
            cli({u"export"_qs, u"--store"_qs, second, u"--format"_qs, u"jsonl"_qs, u"-o"_qs, again})
                .exitCode,
            0);
        QFile a(exported), b(again);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QCOMPARE(a.readAll(), b.readAll());

        CliRun csv = cli({u"export"_qs, u"--store"_qs, first, u"--format"_qs, u"csv"_qs});
        QCOMPARE(csv.exitCode, 0);
        QVERIFY(csv.out.startsWith(u"interaction_id,timestamp,user_id,session_id,model,"));
    }

    void statsSpeaksJson()
    {
        const QString log = path(u"s.jsonl"_qs);
        const QString store = path(u"s.sqlite"_qs);
        QVERIFY(generate(log, 120));
        QCOMPARE(cli({u"import"_qs, u"--store"_qs, store, log}).exitCode, 0);
        const json stats = cli({u"stats"_qs, u"--store"_qs, store, u"--json"_qs}).json();
        for (const char *key : {"interactions", "sessions", "users", "flagged", "rejected",
                                "conflicts", "first", "last"})
            QVERIFY2(stats.contains(key), key);
        QCOMPARE(stats["interactions"].get<int>(), 120);
        QVERIFY(stats["sessions"].get<int>() > 1 && stats["sessions"].get<int>() < 120);
        QVERIFY(stats["first"].get<std::string>() < stats["last"].get<std::string>());
    }

    // A store of an older format (3) is upgraded by a command that opens it read-write; on a
    // terminal (a pty from script(1)) the upgrade shows its progress on stderr, elsewhere not.
    void anUpgradeShowsItsProgressOnATerminal()
    {
        if (m_script.isEmpty() || m_sqlite.isEmpty())
            QSKIP("script (bsdutils) or sqlite3 is not installed (run.sh installs sqlite3)");
        const QString &script = m_script;
        const QString &sqlite = m_sqlite;
        const QString log = path(u"old.jsonl"_qs);
        QVERIFY(generate(log, 3000, u"jsonl"_qs, 0, 5));
        auto oldStore = [&](const QString &name) { return format3Store(sqlite, log, path(name)); };
        const QString onTerminal = oldStore(u"old-tty.sqlite"_qs);
        CliRun tty = runProgram(
            script, {u"-qec"_qs,
                     u"'%1' verify --store '%2'"_qs.arg(QStringLiteral(LLMAUDIT_CLI), onTerminal),
                     u"/dev/null"_qs});
        QVERIFY2(tty.exitCode == 0, qPrintable(tty.out + tty.err));
        QVERIFY2(
            tty.out.contains(u"Upgrading the store to format 4: 100 % (3000 of 3000 records)"_qs),
            qPrintable(tty.out));
        QVERIFY2(tty.out.contains(u"Upgrading the store to format 5"_qs), qPrintable(tty.out));
        QVERIFY2(tty.out.contains(u"OK  records: 3000 links"_qs), qPrintable(tty.out));

        const QString piped = oldStore(u"old-pipe.sqlite"_qs);
        CliRun plain = cli({u"verify"_qs, u"--store"_qs, piped});
        QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
        QVERIFY2(!plain.err.contains(u"Upgrading"_qs), qPrintable(plain.err));
        QVERIFY(plain.out.startsWith(u"OK  records: 3000 links"_qs));
    }

    // Ctrl-C during an upgrade (typed into the terminal: the pty sends SIGINT) rolls it back
    // and says so; the store stays at its format and upgrades fine the next time.
    void ctrlCDuringAnUpgradeLeavesTheStoreUnchanged()
    {
        if (m_script.isEmpty() || m_sqlite.isEmpty())
            QSKIP("script (bsdutils) or sqlite3 is not installed (run.sh installs sqlite3)");
        const QString &script = m_script;
        const QString &sqlite = m_sqlite;
        const QString log = path(u"big-old.jsonl"_qs);
        QVERIFY(generate(log, 20000, u"jsonl"_qs, 0, 6)); // an upgrade of a second or more
        const QString store = format3Store(sqlite, log, path(u"big-old.sqlite"_qs));
        auto format = [&] {
            return runProgram(sqlite, {store, u"PRAGMA user_version"_qs}).out.trimmed();
        };
        QCOMPARE(format(), u"3"_qs);

        QProcess tty;
        tty.start(script, {u"-qec"_qs,
                           u"'%1' verify --store '%2'"_qs.arg(QStringLiteral(LLMAUDIT_CLI), store),
                           u"/dev/null"_qs});
        QByteArray seen;
        while (!seen.contains("Upgrading the store to format 4:") && tty.waitForReadyRead(30000))
            seen += tty.readAllStandardOutput();
        QVERIFY2(seen.contains("Upgrading the store to format 4:"), seen.constData());
        tty.write("\x03"); // Ctrl-C
        QVERIFY(tty.waitForFinished(30000));
        seen += tty.readAllStandardOutput();
        QVERIFY(tty.exitCode() != 0);
        QVERIFY2(seen.contains("upgrade cancelled, the store is unchanged"), seen.constData());
        QCOMPARE(format(), u"3"_qs);

        CliRun verified = cli({u"verify"_qs, u"--store"_qs, store});
        QVERIFY2(verified.exitCode == 0, qPrintable(verified.err));
        QVERIFY2(verified.out.startsWith(u"OK  records: 20000 links"_qs), qPrintable(verified.out));
        QVERIFY(format().toInt() > 3);
    }

    void problemsWithFilesAndStoresAreClear()
    {
        CliRun missing =
            cli({u"import"_qs, u"--store"_qs, path(u"m.sqlite"_qs), path(u"missing.jsonl"_qs)});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(u"missing.jsonl: no such file"), qPrintable(missing.err));

        const QString garbage = path(u"garbage.sqlite"_qs);
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, '\x7f'));
        file.close();
        CliRun corrupt = cli({u"stats"_qs, u"--store"_qs, garbage});
        QCOMPARE(corrupt.exitCode, 1);
        QVERIFY2(corrupt.err.contains(u"not a store"), qPrintable(corrupt.err));

        CliRun absent = cli({u"stats"_qs, u"--store"_qs, path(u"absent.sqlite"_qs)});
        QCOMPARE(absent.exitCode, 1);
        QVERIFY(absent.err.contains(u"no store here"));
        QVERIFY(!QFile::exists(path(u"absent.sqlite"_qs)));

        CliRun unwritable = cli({u"export"_qs, u"--store"_qs, path(u"s.sqlite"_qs), u"--format"_qs,
                                 u"jsonl"_qs, u"-o"_qs, u"/proc/no/such/dir/out.jsonl"_qs});
        QCOMPARE(unwritable.exitCode, 1);
        QVERIFY(unwritable.err.contains(u"cannot write"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
