// `llmaudit serve` as a process, with curl and QNetworkAccessManager as clients: it prints
// where it listens, stores what it is sent, stops cleanly on SIGTERM and SIGINT, loses no
// acknowledged record to kill -9 under load, and refuses a 1 GiB body without its memory
// growing (the server's peak RSS is read from /proc); and `llmaudit backup` of the store while
// the collector is writing makes a copy that verifies (issue 8).

#include "clirunner.h"
#include "store.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <set>

using nlohmann::json;
using namespace Qt::StringLiterals;

namespace {

json record(const std::string &id)
{
    return {{"interaction_id", id},
            {"timestamp", "2026-01-05T10:00:00Z"},
            {"user_id", "u1"},
            {"session_id", "s1"},
            {"request", {{"prompt", "a prompt of some length to make it a realistic record"}}},
            {"response", {{"content", "and an answer of some length as well"}}},
            {"metrics", {{"prompt_tokens", 12}, {"completion_tokens", 9}, {"latency_ms", 321}}}};
}

// Peak and current resident memory of a process, in kB.
qint64 statusKb(qint64 pid, const QByteArray &field)
{
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith(field + ':'))
            return line.mid(field.size() + 1).trimmed().split(' ').first().toLongLong();
    return -1;
}

class Serve
{
public:
    QProcess process;
    quint16 port = 0;

    bool start(const QString &store, const QStringList &extra = {})
    {
        process.setProgram(QStringLiteral(LLMAUDIT_CLI));
        process.setArguments(
            QStringList{u"serve"_s, u"--store"_s, store, u"--listen"_s, u"127.0.0.1:0"_s} + extra);
        process.start();
        if (!process.waitForStarted(10000))
            return false;
        while (!process.canReadLine())
            if (!process.waitForReadyRead(20000))
                return false;
        const QString line = QString::fromUtf8(process.readLine()).trimmed();
        if (!line.startsWith(u"listening on http://127.0.0.1:"_s))
            return false;
        port = static_cast<quint16>(line.section(u':', -1).toUInt());
        return port != 0;
    }
    QString url(const QString &path) const
    {
        return u"http://127.0.0.1:%1%2"_s.arg(port).arg(path);
    }
};

CliRun curl(const QStringList &args)
{
    return runProgram(QStandardPaths::findExecutable(u"curl"_s), args, 120000);
}

} // namespace

class TestServe : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (QStandardPaths::findExecutable(u"curl"_s).isEmpty())
            QSKIP("curl is not installed (run.sh installs it)");
    }

    void curlAndSignals_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
    }

    void curlAndSignals()
    {
        QFETCH(int, signal);
        const QString store = m_dir.filePath(u"signals-%1.sqlite"_s.arg(signal));
        Serve serve;
        QVERIFY(serve.start(store));
        const QString ndjson = m_dir.filePath(u"batch.ndjson"_s);
        QFile file(ndjson);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 50; ++i)
            file.write(QByteArray::fromStdString(record("c" + std::to_string(i)).dump()) + '\n');
        file.close();
        CliRun posted =
            curl({u"-sS"_s, u"-X"_s, u"POST"_s, u"-H"_s, u"Content-Type: application/x-ndjson"_s,
                  u"--data-binary"_s, u"@"_s + ndjson, serve.url(u"/v1/interactions"_s)});
        QCOMPARE(posted.exitCode, 0);
        QCOMPARE(posted.json()["stored"].get<int>(), 50);
        CliRun health = curl({u"-sS"_s, serve.url(u"/healthz"_s)});
        QVERIFY(health.out.contains(u"ok"_s));

        ::kill(static_cast<pid_t>(serve.process.processId()), signal);
        QVERIFY(serve.process.waitForFinished(20000));
        QCOMPARE(serve.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.process.exitCode(), 0);
        const QString err = QString::fromUtf8(serve.process.readAllStandardError());
        QVERIFY2(err.contains(u"50 stored"_s), qPrintable(err));
        auto opened = llmaudit::Store::open(store, llmaudit::Store::Access::ReadOnly);
        QVERIFY(opened);
        QCOMPARE((*opened)->stats()->interactions, 50);
    }

    void refusesOtherAddressesWithoutToken()
    {
        CliRun run = cli({u"serve"_s, u"--store"_s, m_dir.filePath(u"t.sqlite"_s), u"--listen"_s,
                          u"0.0.0.0:0"_s});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.err.contains(u"token"_s));
        QCOMPARE(cli({u"serve"_s, u"--listen"_s, u"nonsense"_s}).exitCode, 2);
    }

    void tokenFromFile()
    {
        const QString tokenFile = m_dir.filePath(u"token"_s);
        QFile file(tokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("tok-1234567890\n");
        file.close();
        Serve serve;
        QVERIFY(serve.start(m_dir.filePath(u"token.sqlite"_s), {u"--token-file"_s, tokenFile}));
        const QString body = QString::fromStdString(record("tk").dump());
        auto status = [&](const QStringList &extra) {
            CliRun run =
                curl(QStringList{u"-s"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s,
                                 u"-H"_s, u"Content-Type: application/json"_s, u"--data-binary"_s,
                                 body, serve.url(u"/v1/interactions"_s)} +
                     extra);
            return run.out;
        };
        QCOMPARE(status({}), u"401"_s);
        QCOMPARE(status({u"-H"_s, u"Authorization: Bearer tok-1234567890"_s}), u"200"_s);
        serve.process.terminate();
        QVERIFY(serve.process.waitForFinished(20000));
        // The token is never printed.
        QVERIFY(!serve.process.readAll().contains("tok-1234567890"));
    }

    void oversizedBodyKeepsMemoryFlat()
    {
        Serve serve;
        QVERIFY(serve.start(m_dir.filePath(u"big.sqlite"_s)));
        const qint64 pid = serve.process.processId();
        // A sparse file of 1 GiB: no disk used, read back as zeros.
        const QString big = m_dir.filePath(u"one-gib.bin"_s);
        QFile file(big);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.resize(qint64(1) << 30));
        file.close();
        const qint64 before = statusKb(pid, "VmRSS");
        // With Content-Length: refused before the body is read.
        CliRun announced = curl({u"-s"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s,
                                 u"-X"_s, u"POST"_s, u"-H"_s, u"Content-Type: application/json"_s,
                                 u"-T"_s, big, serve.url(u"/v1/interactions"_s)});
        QCOMPARE(announced.out, u"413"_s);
        // Chunked, no length: read and dropped, never kept; 413 at the end.
        QProcess chunked;
        chunked.setStandardInputFile(big);
        chunked.start(QStandardPaths::findExecutable(u"curl"_s),
                      {u"-s"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s, u"-X"_s,
                       u"POST"_s, u"-H"_s, u"Content-Type: application/json"_s, u"-H"_s,
                       u"Transfer-Encoding: chunked"_s, u"-T"_s, u"-"_s,
                       serve.url(u"/v1/interactions"_s)});
        QVERIFY(chunked.waitForFinished(300000));
        QCOMPARE(QString::fromUtf8(chunked.readAllStandardOutput()), u"413"_s);
        const qint64 peak = statusKb(pid, "VmHWM");
        qInfo("server RSS before %lld kB, peak after two 1 GiB POSTs %lld kB", before, peak);
        QVERIFY2(peak > 0 && peak < 100 * 1024, qPrintable(u"peak RSS %1 kB"_s.arg(peak)));
        CliRun health = curl({u"-sS"_s, serve.url(u"/healthz"_s)});
        QVERIFY(health.out.contains(u"ok"_s));
        serve.process.terminate();
        QVERIFY(serve.process.waitForFinished(20000));
    }

    // `llmaudit backup` while the collector stores records posted one after another: the copy
    // verifies and holds every record acknowledged before the backup started (issue 8).
    void backupWhileTheCollectorWrites()
    {
        const QString store = m_dir.filePath(u"collected.sqlite"_s);
        const QString copy = m_dir.filePath(u"collected-backup.sqlite"_s);
        Serve serve;
        QVERIFY(serve.start(store));
        QNetworkAccessManager nam;
        std::set<std::string> acknowledged;
        int sent = 0;
        int finished = 0;
        int failed = 0;
        bool stop = false;
        constexpr int InFlight = 4;
        constexpr int MaxRequests = 20000; // bounded, whatever happens
        std::function<void()> sendOne = [&] {
            if (stop || sent >= MaxRequests)
                return;
            const int n = sent++;
            json body = json::array();
            std::vector<std::string> ids;
            for (int i = 0; i < 5; ++i) {
                ids.push_back("b" + std::to_string(n) + "-" + std::to_string(i));
                body.push_back(record(ids.back()));
            }
            QNetworkRequest request(QUrl(serve.url(u"/v1/interactions"_s)));
            request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
            QNetworkReply *reply = nam.post(request, QByteArray::fromStdString(body.dump()));
            QObject::connect(reply, &QNetworkReply::finished, this, [&, reply] {
                reply->deleteLater();
                ++finished;
                if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) {
                    ++failed;
                } else {
                    const json answer = json::parse(reply->readAll().toStdString());
                    for (const auto &result : answer["results"])
                        if (result["status"] == "stored")
                            acknowledged.insert(result["interaction_id"].get<std::string>());
                }
                sendOne();
            });
        };
        for (int i = 0; i < InFlight; ++i)
            sendOne();
        QTRY_VERIFY_WITH_TIMEOUT(acknowledged.size() >= 500, 60000);

        // The backup runs as its own process while the event loop goes on posting.
        const std::set<std::string> before = acknowledged;
        const int finishedBefore = finished;
        QProcess backup;
        QSignalSpy backupDone(&backup, &QProcess::finished);
        backup.start(QStringLiteral(LLMAUDIT_CLI),
                     {u"backup"_s, u"--store"_s, store, copy, u"--json"_s});
        QVERIFY(backup.waitForStarted(10000));
        QVERIFY(backupDone.wait(120000));
        const int duringBackup = finished - finishedBefore;
        stop = true;
        QTRY_VERIFY_WITH_TIMEOUT(finished == sent, 30000);
        serve.process.terminate();
        QVERIFY(serve.process.waitForFinished(20000));
        const QString backupErr = QString::fromUtf8(backup.readAllStandardError());
        QVERIFY2(backup.exitCode() == 0, qPrintable(backupErr));
        const json report = json::parse(backup.readAllStandardOutput().toStdString());
        qInfo("backup of %d interactions while the collector wrote: %zu acknowledged before it "
              "began, %d requests answered during it, %zu acknowledged in all",
              report["interactions"].get<int>(), before.size(), duringBackup, acknowledged.size());
        QCOMPARE(failed, 0);

        CliRun verify = cli({u"verify"_s, u"--store"_s, copy});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
        QVERIFY2(verify.out.startsWith(u"OK"_s), qPrintable(verify.out));
        auto opened = llmaudit::Store::open(copy, llmaudit::Store::Access::ReadOnly);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
        int missing = 0;
        for (const std::string &id : before)
            if (!(*opened)->interaction(id).value().has_value())
                ++missing;
        QCOMPARE(missing, 0);
        QVERIFY(report["interactions"].get<int>() >= int(before.size()));
        QCOMPARE((*opened)->stats()->interactions, qint64(report["interactions"].get<int>()));
    }

    void killUnderLoadLosesNoAcknowledgedRecord()
    {
        const QString store = m_dir.filePath(u"kill.sqlite"_s);
        Serve serve;
        QVERIFY(serve.start(store));
        QNetworkAccessManager nam;
        std::set<std::string> acknowledged;
        int sent = 0;
        int answered = 0;
        int failed = 0;
        bool killed = false;
        constexpr int InFlight = 12;
        constexpr int MaxRequests = 20000; // bounded, whatever happens
        std::function<void()> sendOne = [&] {
            if (killed || sent >= MaxRequests)
                return;
            const int n = sent++;
            // Single records and small batches, mixed.
            json body = json::array();
            const int size = n % 3 == 0 ? 20 : 1;
            std::vector<std::string> ids;
            for (int i = 0; i < size; ++i) {
                ids.push_back("k" + std::to_string(n) + "-" + std::to_string(i));
                body.push_back(record(ids.back()));
            }
            QNetworkRequest request(QUrl(serve.url(u"/v1/interactions"_s)));
            request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
            QNetworkReply *reply = nam.post(request, QByteArray::fromStdString(body.dump()));
            QObject::connect(reply, &QNetworkReply::finished, this, [&, reply, ids] {
                reply->deleteLater();
                if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200) {
                    const json answer = json::parse(reply->readAll().toStdString());
                    for (const auto &result : answer["results"])
                        if (result["status"] == "stored")
                            acknowledged.insert(result["interaction_id"].get<std::string>());
                    ++answered;
                } else {
                    ++failed;
                }
                sendOne();
            });
        };
        for (int i = 0; i < InFlight; ++i)
            sendOne();
        // Let the load run, then kill -9 in the middle of it.
        QTRY_VERIFY_WITH_TIMEOUT(answered >= 300, 60000);
        serve.process.kill();
        killed = true;
        QVERIFY(serve.process.waitForFinished(20000));
        QCOMPARE(serve.process.exitStatus(), QProcess::CrashExit);
        QTRY_VERIFY_WITH_TIMEOUT(answered + failed == sent, 30000);

        auto opened = llmaudit::Store::open(store, llmaudit::Store::Access::ReadWrite);
        QVERIFY(opened);
        llmaudit::Store &s = **opened;
        int missing = 0;
        for (const std::string &id : acknowledged)
            if (!s.interaction(id).value().has_value())
                ++missing;
        const qint64 storedCount = s.stats()->interactions;
        qInfo("kill -9 under load: %d requests sent, %d acknowledged (%zu records), %d cut off; "
              "store holds %lld records, %d acknowledged ones missing",
              sent, answered, acknowledged.size(), failed, storedCount, missing);
        QCOMPARE(missing, 0);
        QVERIFY(storedCount >= qint64(acknowledged.size()));
        QVERIFY(s.checkIntegrity());
    }
};

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
