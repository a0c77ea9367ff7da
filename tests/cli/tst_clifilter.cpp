// `llmaudit export --filter` and `llmaudit stats --filter`, end to end: the real program on a
// store imported from the sample and the filter edge cases; what is selected is checked against
// the log files themselves, read here with nlohmann/json.

#include "clirunner.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <set>

using nlohmann::json;

namespace {

const QString s_sample =
    QStringLiteral(LLMAUDIT_SOURCE_DIR "/resources/samples/sample-interactions.jsonl");
const QString s_edges = QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/filter/edge-cases.jsonl");

std::vector<json> documents(const QStringList &paths)
{
    std::vector<json> all;
    for (const QString &path : paths) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("cannot read %s", qPrintable(path));
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (!line.isEmpty())
                all.push_back(json::parse(line.toStdString()));
        }
    }
    return all;
}

std::set<std::string> exportedIds(const QString &jsonl)
{
    std::set<std::string> ids;
    for (const QString &line : jsonl.split(u'\n', Qt::SkipEmptyParts))
        ids.insert(json::parse(line.toStdString())["interaction_id"].get<std::string>());
    return ids;
}

} // namespace

class TestCliFilter : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_store;
    std::vector<json> m_documents;

    std::set<std::string> selected(const std::function<bool(const json &)> &predicate) const
    {
        std::set<std::string> ids;
        for (const json &d : m_documents)
            if (predicate(d))
                ids.insert(d["interaction_id"].get<std::string>());
        return ids;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_store = m_dir.filePath(QStringLiteral("store.sqlite"));
        const CliRun run =
            cli({QStringLiteral("import"), QStringLiteral("--store"), m_store, s_sample, s_edges});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        m_documents = documents({s_sample, s_edges});
    }

    void exportSelects()
    {
        const CliRun run =
            cli({QStringLiteral("export"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--format"), QStringLiteral("jsonl"), QStringLiteral("--filter"),
                 QStringLiteral("latency > 2s and flagged")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const auto want = selected([](const json &d) {
            const json &m = d.value("metrics", json::object());
            const json &e = d.value("evaluation", json::object());
            return m.contains("latency_ms") && m["latency_ms"].get<double>() > 2000 &&
                   e.value("flagged", false) == true;
        });
        QVERIFY(want.size() >= 3);
        QVERIFY(exportedIds(run.out) == want);

        // The same selection as CSV (one header line), and as counted by stats.
        const CliRun csv =
            cli({QStringLiteral("export"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--filter"),
                 QStringLiteral("latency > 2s and flagged")});
        QCOMPARE(csv.exitCode, 0);
        QCOMPARE(csv.out.count(u"\r\n"), qsizetype(want.size() + 1));
        const CliRun stats = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                                  QStringLiteral("--json"), QStringLiteral("--filter"),
                                  QStringLiteral("latency > 2s and flagged")});
        QCOMPARE(stats.exitCode, 0);
        QCOMPARE(stats.json()["interactions"].get<size_t>(), want.size());
        QCOMPARE(stats.json()["flagged"].get<size_t>(), want.size());
        QVERIFY(stats.json()["filter"] == "latency > 2s and flagged");
    }

    void exportToFileWithFullText()
    {
        const QString path = m_dir.filePath(QStringLiteral("waivers.jsonl"));
        const CliRun run = cli({QStringLiteral("export"), QStringLiteral("--store"), m_store,
                                QStringLiteral("--format"), QStringLiteral("jsonl"),
                                QStringLiteral("-o"), path, QStringLiteral("--filter"),
                                QStringLiteral("text ~ \"liability waiver\" or user_id == "
                                               "\"x' OR 1=1 --\"")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto ids = exportedIds(QString::fromUtf8(file.readAll()));
        QVERIFY(ids.contains("edge-01"));
        QVERIFY(ids.contains("edge-05")); // "Liability-Waiver" is the same two words
        QVERIFY(run.err.contains(u"interactions written to"));
    }

    void statsText()
    {
        const CliRun run =
            cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--filter"), QStringLiteral("sensitivity >= confidential")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.startsWith(u"filter        sensitivity >= confidential\n"));
        const auto want = selected([](const json &d) {
            const std::string level =
                d.value("security", json::object()).value("sensitivity_level", "");
            return level == "confidential" || level == "restricted";
        });
        QVERIFY(run.out.contains(u"interactions  %1\n"_qs.arg(want.size())));
        // No filter: the whole store, and no filter line.
        const CliRun all = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store});
        QVERIFY(all.out.startsWith(u"store "));
        QVERIFY(all.out.contains(u"interactions  406\n"));
        const CliRun empty =
            cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--json"), QStringLiteral("--filter"), QStringLiteral("  ")});
        QCOMPARE(empty.json()["interactions"].get<int>(), 406);
    }

    void badFilterIsAUsageError()
    {
        const QString output = m_dir.filePath(QStringLiteral("never.jsonl"));
        const CliRun run =
            cli({QStringLiteral("export"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--format"), QStringLiteral("jsonl"), QStringLiteral("-o"), output,
                 QStringLiteral("--filter"), QStringLiteral("latncy > 2000")});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.err, u"llmaudit export: filter error at 0: unknown field 'latncy' (did you "
                          "mean 'latency'?)\n"
                          "  latncy > 2000\n"
                          "  ^^^^^^\n"_qs);
        QVERIFY(run.out.isEmpty());
        QVERIFY(!QFile::exists(output));

        // The carets sit under the place, in the excerpt as printed.
        auto caretsUnder = [](const CliRun &r, const QString &what) {
            const QStringList lines = r.err.split(u'\n');
            if (lines.size() < 3)
                return false;
            const qsizetype at = lines[1].indexOf(what);
            return at >= 0 && lines[2] == QString(at, u' ') + QString(what.size(), u'^');
        };
        const CliRun stats = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                                  QStringLiteral("--filter"),
                                  QStringLiteral("user_id == \"a\" and latency > \"fast\"")});
        QCOMPARE(stats.exitCode, 2);
        QVERIFY2(stats.err.startsWith(u"llmaudit stats: filter error at 29: "),
                 qPrintable(stats.err));
        QVERIFY(stats.err.contains(u"\n  user_id == \"a\" and latency > \"fast\"\n"));
        QVERIFY2(caretsUnder(stats, u"\"fast\""_qs), qPrintable(stats.err));
        // Control characters in the filter are shown as code points, and the carets still
        // line up under what was printed.
        const CliRun hostile =
            cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                 QStringLiteral("--filter"), u"prompt contains \"\x1b[2J\" and latncy > 1"_qs});
        QCOMPARE(hostile.exitCode, 2);
        QVERIFY(!hostile.err.contains(QChar(0x1b)));
        QVERIFY(hostile.err.contains(u"\n  prompt contains \"<U+001B>[2J\" and latncy > 1\n"));
        QVERIFY2(caretsUnder(hostile, u"latncy"_qs), qPrintable(hostile.err));
        // An error at the end of the filter: one caret after the text.
        const CliRun end = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                                QStringLiteral("--filter"), QStringLiteral("flagged and")});
        QCOMPARE(end.exitCode, 2);
        QVERIFY2(end.err.endsWith(u"\n  flagged and\n"_qs + QString(13, u' ') + u"^\n"_qs),
                 qPrintable(end.err));
    }

    void warningsDoNotStop()
    {
        const CliRun run = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                                QStringLiteral("--json"), QStringLiteral("--filter"),
                                QStringLiteral("metrics.latncy_ms > 5")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.err.startsWith(u"llmaudit stats: filter warning at 0: "));
        QVERIFY(run.err.contains(u"did you mean 'metrics.latency_ms'?"));
        QCOMPARE(run.json()["interactions"].get<int>(), 0);
    }

    void longFilterIsCutAroundTheError()
    {
        QStringList terms;
        for (int i = 0; i < 40; ++i)
            terms << u"user == \"u-%1\""_qs.arg(i);
        const QString filter = terms.join(u" or "_qs) + u" or latncy > 1"_qs;
        const CliRun run = cli({QStringLiteral("stats"), QStringLiteral("--store"), m_store,
                                QStringLiteral("--filter"), filter});
        QCOMPARE(run.exitCode, 2);
        const QStringList lines = run.err.split(u'\n');
        QVERIFY(lines.size() >= 3);
        QVERIFY(lines[1].size() < 110);
        QVERIFY(lines[1].startsWith(u"  …"));
        const qsizetype caret = lines[2].indexOf(u'^');
        QCOMPARE(lines[1].mid(caret, 6), u"latncy"_qs);
    }
};

QTEST_GUILESS_MAIN(TestCliFilter)
#include "tst_clifilter.moc"
