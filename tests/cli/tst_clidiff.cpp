// llmaudit diff end to end: two imported records compared by the real executable, its JSON
// checked against the comparison library on the same texts, its text output and exit codes.

#include "clirunner.h"
#include "comparison.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace llmaudit;
using nlohmann::json;

namespace {

json record(const std::string &id, const std::string &response, const std::string &model,
            int latency, int completionTokens)
{
    return {{"interaction_id", id},
            {"timestamp", "2026-02-01T09:30:00Z"},
            {"user_id", "u-7"},
            {"session_id", "s-7"},
            {"request",
             {{"prompt", "Summarise the refund policy."},
              {"system_prompt", "Be brief."},
              {"parameters", {{"model", model}}}}},
            {"response",
             {{"content", response},
              {"model", model},
              {"finish_reason", "stop"},
              {"completion_tokens", completionTokens}}},
            {"metrics", {{"latency_ms", latency}, {"prompt_tokens", 12}}}};
}

const std::string ResponseA = "Refunds within 30 days.\n<img src=x onerror=alert(1)>\nKeep the "
                              "receipt.\nThanks 👍";
const std::string ResponseB = "Refunds within 14 days.\n<img src=x onerror=alert(1)>\nKeep the "
                              "receipt and the box.\nA \u202Etxt.exe\u202C line.\nThanks 👍🏽";

} // namespace

class TestCliDiff : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_store;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString log = m_dir.filePath(u"pair.jsonl"_qs);
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(
            record("orig-1", ResponseA, "gpt-4o-mini", 800, 20).dump() + "\n" +
            record("replay-1", ResponseB, "gpt-4o", 950, 31).dump() + "\n"));
        file.close();
        m_store = m_dir.filePath(u"store.sqlite"_qs);
        CliRun run = cli({u"import"_qs, u"--store"_qs, m_store, log});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }

    void jsonMatchesTheLibrary_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("lines") << u"--lines"_qs;
        QTest::newRow("words") << u"--words"_qs;
    }

    void jsonMatchesTheLibrary()
    {
        QFETCH(QString, mode);
        CliRun run = cli(
            {u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"replay-1"_qs, u"--json"_qs, mode});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const json result = run.json();
        QVERIFY2(result.is_object(), qPrintable(run.out));
        QCOMPARE(result["a"]["interaction_id"].get<std::string>(), "orig-1");
        QCOMPARE(result["b"]["interaction_id"].get<std::string>(), "replay-1");
        QVERIFY(result["response"] == json(scoreTexts(ResponseA, ResponseB)));
        QVERIFY(result["response"]["exact_match"] == false);
        QVERIFY(result["prompt"]["exact_match"] == true);
        QVERIFY(result["model_changed"] == true);
        QVERIFY(result["finish_reason_changed"] == false);
        QCOMPARE(result["deltas"]["latency_ms"].get<int>(), 150);
        QCOMPARE(result["deltas"]["completion_tokens"].get<int>(), 11);
        QCOMPARE(result["deltas"]["prompt_tokens"].get<int>(), 0);
        QVERIFY(result["deltas"]["total_tokens"].is_null());

        const TextDiff diff = diffTexts(ResponseA, ResponseB);
        const DiffMode diffMode = mode == u"--words" ? DiffMode::Words : DiffMode::Lines;
        QVERIFY(result["diff"]["segments"] == json(diff.segments(diffMode)));
        QCOMPARE(result["diff"]["mode"].get<std::string>(), mode.mid(2).toStdString());
        std::string a;
        std::string b;
        for (const auto &segment : result["diff"]["segments"]) {
            if (segment["op"] != "insert")
                a += segment["text"].get<std::string>();
            if (segment["op"] != "delete")
                b += segment["text"].get<std::string>();
        }
        QCOMPARE(a, ResponseA);
        QCOMPARE(b, ResponseB);
    }

    void textShowsScoresAndAUnifiedDiff()
    {
        CliRun run = cli({u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"replay-1"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const TextScores scores = scoreTexts(ResponseA, ResponseB);
        QVERIFY2(run.out.contains(QStringLiteral("ROUGE-L F1 %1").arg(*scores.rougeL, 0, 'f', 3)),
                 qPrintable(run.out));
        QVERIFY(run.out.contains(u"--- orig-1\n+++ replay-1\n"));
        QVERIFY(run.out.contains(u"\n-Refunds within 30 days.\n+Refunds within 14 days.\n"));
        QVERIFY(run.out.contains(u"\n <img src=x onerror=alert(1)>\n")); // context, literal
        // Log text reaches the terminal through visible(): no raw bidi overrides, no escapes
        // when standard output is not a terminal.
        QVERIFY(run.out.contains(u"+A <U+202E>txt.exe<U+202C> line."));
        QVERIFY(!run.out.contains(QChar(0x202E)));
        QVERIFY(!run.out.contains(QChar(0x1B)));
        QVERIFY(run.out.contains(u"latency ms"));
    }

    void wordsMarkTheChangedWords()
    {
        CliRun run =
            cli({u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"replay-1"_qs, u"--words"_qs});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(u"Refunds within [-30-]{+14+} days."), qPrintable(run.out));
        QVERIFY(run.out.contains(u"receipt{+ and the box+}."));
    }

    void identicalInteractionsSaySo()
    {
        CliRun run = cli({u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"orig-1"_qs});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains(u"The responses are identical."));
        const json same =
            cli({u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"orig-1"_qs, u"--json"_qs})
                .json();
        QVERIFY(same["response"]["exact_match"] == true);
        QCOMPARE(same["response"]["rouge_l_f1"].get<double>(), 1.0);
        QCOMPARE(same["response"]["edit_similarity"].get<double>(), 1.0);
    }

    void unknownIdFailsClearly()
    {
        CliRun run = cli({u"diff"_qs, u"--store"_qs, m_store, u"orig-1"_qs, u"no-such-id"_qs});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.out.isEmpty());
        QVERIFY2(run.err.contains(u"no interaction 'no-such-id'"), qPrintable(run.err));
    }

    void usageErrorsExitTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("one id") << QStringList{u"orig-1"_qs};
        QTest::newRow("three ids") << QStringList{u"a"_qs, u"b"_qs, u"c"_qs};
        QTest::newRow("words and lines")
            << QStringList{u"orig-1"_qs, u"replay-1"_qs, u"--words"_qs, u"--lines"_qs};
        QTest::newRow("bad context")
            << QStringList{u"orig-1"_qs, u"replay-1"_qs, u"--context"_qs, u"many"_qs};
        QTest::newRow("unknown option") << QStringList{u"orig-1"_qs, u"replay-1"_qs, u"--x"_qs};
    }

    void usageErrorsExitTwo()
    {
        QFETCH(QStringList, args);
        CliRun run = cli(QStringList{u"diff"_qs, u"--store"_qs, m_store} + args);
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.err.count(u'\n'), 1);
        QVERIFY(run.out.isEmpty());
    }

    void helpNamesTheCommand()
    {
        CliRun run = cli({u"diff"_qs, u"--help"_qs});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains(u"Usage: llmaudit diff"));
        QVERIFY(cli({u"--help"_qs}).out.contains(u"  diff "));
    }
};

QTEST_GUILESS_MAIN(TestCliDiff)
#include "tst_clidiff.moc"
