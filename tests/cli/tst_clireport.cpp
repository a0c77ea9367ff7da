// llmaudit report end to end: the real executable on a real store, its PDF read back with
// pdftotext, its CSV with Python's csv module, its options and errors.

#include "../models/reportrecords.h"
#include "clirunner.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace {

nlohmann::json csvRows(const QString &path)
{
    CliRun run = runProgram(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/models/report_check.py"), u"csv"_qs, path});
    return run.exitCode == 0 ? run.json() : nlohmann::json();
}

QString pdfText(const QString &path)
{
    return runProgram(u"pdftotext"_qs, {path, u"-"_qs}).out;
}

} // namespace

class TestCliReport : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_store;  // the report fixture's records
    QString m_sample; // the bundled sample logs

    QString path(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QFile log(path(u"records.jsonl"_qs));
        QVERIFY(log.open(QIODevice::WriteOnly));
        for (const auto &r : reportfixture::records())
            log.write(QByteArray::fromStdString(r.dump() + "\n"));
        log.close();
        m_store = path(u"store.sqlite"_qs);
        CliRun run = cli({u"import"_qs, u"--store"_qs, m_store, log.fileName()});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        m_sample = path(u"sample.sqlite"_qs);
        run = cli(
            {u"import"_qs, u"--store"_qs, m_sample,
             QStringLiteral(LLMAUDIT_SOURCE_DIR "/resources/samples/sample-interactions.jsonl")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }

    void pdfOfTheSampleStore()
    {
        const QString pdf = path(u"sample.pdf"_qs);
        CliRun run = cli({u"report"_qs, u"--store"_qs, m_sample, u"--title"_qs, u"Sample audit"_qs,
                          u"-o"_qs, pdf});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.err.contains(u"Report of 400 interactions written to "_qs),
                 qPrintable(run.err));
        const QString text = pdfText(pdf);
        QVERIFY(text.startsWith(u"Sample audit"_qs) || text.contains(u"Sample audit"_qs));
        const QString flat = text.simplified();
        QVERIFY(flat.contains(u"Interactions 400"_qs));
        QVERIFY(flat.contains(u"Page 1 of "_qs));
        QVERIFY(flat.contains(u"1 Summary"_qs));
        QVERIFY(flat.contains(u"Verified OK: both integrity chains are intact"_qs));
        // Hostile sample text is printed, not interpreted; the PDF has no script of its own.
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QVERIFY(bytes.startsWith("%PDF-"));
        QVERIFY(!bytes.contains("/JavaScript"));
        QVERIFY(!bytes.contains("/URI"));
    }

    void formatFromTheExtension()
    {
        const QString html = path(u"r.html"_qs);
        CliRun run = cli({u"report"_qs, u"--store"_qs, m_store, u"-o"_qs, html});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QFile file(html);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray page = file.readAll();
        QVERIFY(page.startsWith("<!DOCTYPE html>"));
        QVERIFY(!page.contains("<script"));
        QVERIFY(page.contains("&lt;script&gt;alert("));

        // --format wins over the extension.
        const QString txt = path(u"r.txt"_qs);
        run = cli({u"report"_qs, u"--store"_qs, m_store, u"--format"_qs, u"csv"_qs, u"-o"_qs, txt});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(qsizetype(csvRows(txt).size()), 13);
    }

    void csvOfAFilter()
    {
        const QString csv = path(u"flagged.csv"_qs);
        CliRun run = cli(
            {u"report"_qs, u"--store"_qs, m_sample, u"--filter"_qs, u"flagged"_qs, u"-o"_qs, csv});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        CliRun stats = cli(
            {u"stats"_qs, u"--store"_qs, m_sample, u"--filter"_qs, u"flagged"_qs, u"--json"_qs});
        QVERIFY2(stats.exitCode == 0, qPrintable(stats.err));
        const qint64 flagged = stats.json()["interactions"].get<qint64>();
        QVERIFY(flagged > 0);
        const nlohmann::json rows = csvRows(csv);
        QCOMPARE(qint64(rows.size()), flagged + 1);
        for (size_t i = 1; i < rows.size(); ++i)
            QCOMPARE(rows[i][10].get<std::string>(), std::string("true")); // flagged
    }

    void idsFromAFile()
    {
        const QString ids = path(u"ids.txt"_qs);
        QFile file(ids);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# chosen for the audit\nhostile-1\n\n  replay-2  \nno-such-id\n");
        file.close();
        const QString pdf = path(u"chosen.pdf"_qs);
        CliRun run =
            cli({u"report"_qs, u"--store"_qs, m_store, u"--ids-from"_qs, ids, u"-o"_qs, pdf});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.err.contains(u"not in the store: no-such-id"_qs), qPrintable(run.err));
        QVERIFY2(run.err.contains(u"Report of 2 interactions"_qs), qPrintable(run.err));
        const QString flat = pdfText(pdf).simplified();
        QVERIFY(flat.contains(u"Interaction hostile-1"_qs));
        QVERIFY(flat.contains(u"Interaction replay-2"_qs));
        QVERIFY(flat.contains(u"Not in the store no-such-id"_qs));
        QVERIFY(flat.contains(u"Selection of 2"_qs)); // the running header
    }

    // --ids-from a pipe, as `--ids-from <(grep ...)` gives, or standard input: every id the
    // writer sends is read, also when the first line comes at once and the rest later.
    void idsFromAPipe_data()
    {
        QTest::addColumn<QString>("source");
        QTest::newRow("FIFO") << u"fifo"_qs;
        QTest::newRow("/dev/stdin") << u"/dev/stdin"_qs;
        QTest::newRow("-") << u"-"_qs;
    }

    void idsFromAPipe()
    {
        QFETCH(QString, source);
        std::signal(SIGPIPE, SIG_IGN); // a reader that stops early fails the test, not kills it
        const bool fifo = source == u"fifo";
        const QString fifoPath = path(u"ids.fifo"_qs);
        if (fifo) {
            QFile::remove(fifoPath);
            QCOMPARE(::mkfifo(QFile::encodeName(fifoPath).constData(), 0600), 0);
        }
        const QString pdf = path(u"piped.pdf"_qs);
        QFile::remove(pdf);
        QProcess process;
        process.start(QStringLiteral(LLMAUDIT_CLI),
                      {u"report"_qs, u"--store"_qs, m_store, u"--ids-from"_qs,
                       fifo ? fifoPath : source, u"-o"_qs, pdf});
        QVERIFY(process.waitForStarted());
        std::function<bool(const QByteArray &)> send;
        int fd = -1;
        if (fifo) {
            // Opening the write end without blocking works once the report has opened the
            // read end: from then on it is reading.
            const QByteArray name = QFile::encodeName(fifoPath);
            for (QDeadlineTimer deadline(20000);
                 (fd = ::open(name.constData(), O_WRONLY | O_NONBLOCK)) < 0 &&
                 !deadline.hasExpired();)
                QTest::qWait(20);
            QVERIFY2(fd >= 0, "the report did not open the FIFO");
            QCOMPARE(::fcntl(fd, F_SETFL, 0), 0);
            send = [fd](const QByteArray &bytes) {
                return ::write(fd, bytes.constData(), size_t(bytes.size())) == bytes.size();
            };
        } else {
            send = [&process](const QByteArray &bytes) {
                return process.write(bytes) == bytes.size() && process.waitForBytesWritten();
            };
        }
        // The ids as a slow writer sends them: a line, a pause the reader must wait through,
        // the rest, the end.
        bool sent = send("# chosen\nhostile-1\n");
        QTest::qWait(300);
        sent = sent && send("replay-2\n\ncsv-4\n");
        if (fifo)
            ::close(fd);
        else
            process.closeWriteChannel();
        QVERIFY(process.waitForFinished(120000));
        const QString err = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
                 qPrintable(err));
        QVERIFY(sent); // the report read to the end
        QVERIFY2(err.contains(u"Report of 3 interactions"_qs), qPrintable(err));
        const QString flat = pdfText(pdf).simplified();
        for (const QString &id : {u"hostile-1"_qs, u"replay-2"_qs, u"csv-4"_qs})
            QVERIFY2(flat.contains(u"Interaction "_qs + id), qPrintable(id));
        QVERIFY(flat.contains(u"Selection of 3"_qs));
    }

    void reviewsNotesAndIntegrity()
    {
        // A store of its own: reviews change what the other tests count.
        const QString store = path(u"reviewed.sqlite"_qs);
        CliRun run = cli({u"import"_qs, u"--store"_qs, store, path(u"records.jsonl"_qs)});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        run = cli({u"review"_qs, u"--store"_qs, store, u"--reviewer"_qs, u"Rita Reviewer"_qs,
                   u"--status"_qs, u"escalated"_qs, u"--flag"_qs, u"needs legal"_qs, u"--note"_qs,
                   u"Escalated to <legal> on Monday."_qs, u"orig-2"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        run = cli({u"review"_qs, u"--store"_qs, store, u"--reviewer"_qs, u"Rita Reviewer"_qs,
                   u"--status"_qs, u"approved"_qs, u"plain-5"_qs, u"plain-6"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        CliRun verify = cli({u"verify"_qs, u"--store"_qs, store, u"--json"_qs});
        QCOMPARE(verify.exitCode, 0);
        const std::string head = verify.json()["records"]["head"].get<std::string>();
        QCOMPARE(head.size(), size_t(64));

        const QString pdf = path(u"reviewed.pdf"_qs);
        run =
            cli({u"report"_qs, u"--store"_qs, store, u"--title"_qs, u"Reviewed"_qs, u"-o"_qs, pdf});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QString flat = pdfText(pdf).simplified();
        for (const QString &expected :
             {u"unreviewed 9 75.0% approved 2 16.7% issue 0 0.0% escalated 1 8.3%"_qs,
              u"Flagged by a reviewer 1 (8.3%)"_qs, u"Note by Rita Reviewer"_qs,
              u"Escalated to <legal> on Monday."_qs, u"flagged by a reviewer: needs legal"_qs,
              u"Verified OK: both integrity chains are intact"_qs})
            QVERIFY2(flat.contains(expected), qPrintable(expected));
        QVERIFY(QString(flat).remove(u' ').contains(QString::fromStdString(head)));

        // The report is in the activity log: who, what, the scope and how many.
        run = cli({u"activity"_qs, u"--store"_qs, store, u"--kind"_qs, u"report"_qs, u"--json"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QStringList lines = run.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1);
        const auto entry = nlohmann::json::parse(lines[0].toStdString());
        QCOMPARE(entry["kind"].get<std::string>(), std::string("report"));
        QCOMPARE(entry["count"].get<int>(), 12);
        const std::string what = entry["what"].get<std::string>();
        QVERIFY2(what == "report: pdf \"Reviewed\" written to " + pdf.toStdString(), what.c_str());
        const QString actor = QString::fromStdString(entry["actor"].get<std::string>());
        QVERIFY(!actor.isEmpty());
        QVERIFY2(flat.contains(u"Generated by "_qs + actor), qPrintable(actor));

        // A filter report records its filter.
        run = cli({u"report"_qs, u"--store"_qs, store, u"--filter"_qs, u"review == escalated"_qs,
                   u"--no-verify"_qs, u"-o"_qs, path(u"escalated.csv"_qs)});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.err.contains(u"Not verified"_qs), qPrintable(run.err));
        run = cli({u"activity"_qs, u"--store"_qs, store, u"--kind"_qs, u"report"_qs, u"--json"_qs});
        const QStringList both = run.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(both.size(), 2);
        const auto second = nlohmann::json::parse(both[1].toStdString());
        QCOMPARE(second["filter"].get<std::string>(), std::string("review == escalated"));
        QCOMPARE(second["count"].get<int>(), 1);
        const nlohmann::json rows = csvRows(path(u"escalated.csv"_qs));
        QCOMPARE(qsizetype(rows.size()), 2);
    }

    void aMissingStoreIsNotCreated()
    {
        const QString missing = path(u"no-such-store.sqlite"_qs);
        CliRun run = cli({u"report"_qs, u"--store"_qs, missing, u"-o"_qs, path(u"none.pdf"_qs)});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(missing), qPrintable(run.err));
        QVERIFY(!QFile::exists(missing));
        QVERIFY(!QFile::exists(path(u"none.pdf"_qs)));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString out = path(u"x.pdf"_qs);
        QTest::newRow("no output") << QStringList{u"report"_qs} << 2 << u"-o FILE is required"_qs;
        QTest::newRow("unknown extension") << QStringList{u"report"_qs, u"-o"_qs, path(u"x.doc"_qs)}
                                           << 2 << u"cannot tell the format"_qs;
        QTest::newRow("unknown format")
            << QStringList{u"report"_qs, u"--format"_qs, u"docx"_qs, u"-o"_qs, out} << 2
            << u"unknown format 'docx'"_qs;
        QTest::newRow("filter and ids") << QStringList{u"report"_qs,
                                                       u"--filter"_qs,
                                                       u"flagged"_qs,
                                                       u"--ids-from"_qs,
                                                       path(u"ids.txt"_qs),
                                                       u"-o"_qs,
                                                       out}
                                        << 2 << u"cannot be used together"_qs;
        QTest::newRow("bad filter")
            << QStringList{u"report"_qs, u"--filter"_qs, u"latency >"_qs, u"-o"_qs, out} << 2
            << u"filter error"_qs;
        QTest::newRow("missing ids file")
            << QStringList{u"report"_qs, u"--ids-from"_qs, path(u"none.txt"_qs), u"-o"_qs, out} << 1
            << u"none.txt"_qs;
        QTest::newRow("empty ids file")
            << QStringList{u"report"_qs, u"--ids-from"_qs, u"/dev/null"_qs, u"-o"_qs, out} << 1
            << u"no interaction ids"_qs;
        QTest::newRow("unwritable output")
            << QStringList{u"report"_qs, u"-o"_qs, u"/nonexistent-dir/r.pdf"_qs} << 1
            << u"/nonexistent-dir/r.pdf"_qs;
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        args << u"--store"_qs << m_store;
        CliRun run = cli(args);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
    }

    void listedInTheHelp()
    {
        CliRun run = cli({u"--help"_qs});
        QVERIFY(run.out.contains(u"  report "_qs));
        run = cli({u"report"_qs, u"--help"_qs});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains(u"--ids-from"_qs));
    }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "tst_clireport.moc"
