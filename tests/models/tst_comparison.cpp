// The comparison of two texts and two interactions: hand-checked cases, properties over
// generated pairs, and the scores against an independent Python oracle
// (tests/models/comparison_oracle.py) on a few hundred pairs.

#include "comparison.h"
#include "logcodec.h"

#include <QProcess>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>

using namespace llmaudit;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<std::string>)

namespace {

QString show(const std::string &text)
{
    return QString::fromStdString(visible(text));
}

bool near(double a, double b)
{
    return std::abs(a - b) < 1e-9;
}

std::vector<std::string> strings(const std::vector<std::string_view> &views)
{
    return {views.begin(), views.end()};
}

std::string lines(const std::vector<DiffRow> &rows, bool left)
{
    std::string text;
    for (const auto &row : rows) {
        const DiffLine &line = left ? row.left : row.right;
        if (!line.isFiller())
            text += line.text() + "\n";
    }
    return text;
}

// The text of a side without "\n" at the ends of lines: what the rows hold.
std::string linesOf(const std::string &text)
{
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        out += text.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return out;
}

struct Pair
{
    std::string a;
    std::string b;
    json oracle;
};

} // namespace

class TestComparison : public QObject
{
    Q_OBJECT

private:
    std::vector<Pair> m_pairs;

    // Everything a diff promises, for one pair.
    void checkDiff(const std::string &a, const std::string &b, const ComparisonLimits &limits = {})
    {
        const TextDiff diff = diffTexts(a, b, limits);
        QCOMPARE(show(diff.textA()), show(a));
        QCOMPARE(show(diff.textB()), show(b));
        for (DiffMode mode : {DiffMode::Lines, DiffMode::Words}) {
            std::string rebuiltA;
            std::string rebuiltB;
            for (const auto &segment : diff.segments(mode)) {
                QVERIFY(!segment.text.empty());
                if (segment.op != DiffOp::Insert)
                    rebuiltA += segment.text;
                if (segment.op != DiffOp::Delete)
                    rebuiltB += segment.text;
            }
            QCOMPARE(show(rebuiltA), show(a));
            QCOMPARE(show(rebuiltB), show(b));
        }
        QCOMPARE(show(lines(diff.rows, true)), show(linesOf(a)));
        QCOMPARE(show(lines(diff.rows, false)), show(linesOf(b)));
        int changedRows = 0;
        for (const auto &row : diff.rows) {
            for (const auto &segment : row.left.segments)
                QVERIFY(segment.op != DiffOp::Insert);
            for (const auto &segment : row.right.segments)
                QVERIFY(segment.op != DiffOp::Delete);
            if (!row.changed) {
                QVERIFY(!row.left.isFiller() && !row.right.isFiller());
                QCOMPARE(row.left.text(), row.right.text());
            }
            changedRows += row.changed;
        }
        int inChanges = 0;
        for (const auto &change : diff.changes) {
            QVERIFY(change.rowCount > 0);
            for (int r = change.firstRow; r < change.firstRow + change.rowCount; ++r)
                QVERIFY(diff.rows.at(size_t(r)).changed);
            inChanges += change.rowCount;
        }
        QCOMPARE(inChanges, changedRows);
        QCOMPARE(diff.changes.empty(), a == b);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QProcess oracle;
        oracle.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/models/comparison_oracle.py"),
                      QStringLiteral("--count"), QStringLiteral("300"), QStringLiteral("--seed"),
                      QStringLiteral("11")});
        QVERIFY(oracle.waitForFinished(120000));
        QVERIFY2(oracle.exitCode() == 0, oracle.readAllStandardError().constData());
        for (const QByteArray &line : oracle.readAllStandardOutput().split('\n')) {
            if (line.isEmpty())
                continue;
            json item = json::parse(line.toStdString());
            m_pairs.push_back({item["a"], item["b"], item});
        }
        QVERIFY(m_pairs.size() > 300);
    }

    void tokenizer_data()
    {
        QTest::addColumn<std::string>("text");
        QTest::addColumn<std::vector<std::string>>("tokens");
        QTest::addColumn<std::vector<std::string>>("withSpace");
        using V = std::vector<std::string>;
        QTest::newRow("empty") << std::string() << V{} << V{};
        QTest::newRow("words and punctuation")
            << std::string("Don't panic!") << V{"Don", "'", "t", "panic", "!"}
            << V{"Don", "'", "t", " ", "panic", "!"};
        QTest::newRow("spaces and newlines") << std::string("a \t b\r\n\nc") << V{"a", "b", "c"}
                                             << V{"a", " \t ", "b", "\r", "\n", "\n", "c"};
        QTest::newRow("numbers and connectors")
            << std::string("x_1 = 3.14") << V{"x_1", "=", "3", ".", "14"}
            << V{"x_1", " ", "=", " ", "3", ".", "14"};
        QTest::newRow("CJK one by one")
            << std::string("日本語です Tokyo") << V{"日", "本", "語", "で", "す", "Tokyo"}
            << V{"日", "本", "語", "で", "す", " ", "Tokyo"};
        QTest::newRow("Hangul words")
            << std::string("한국어 문장") << V{"한국어", "문장"} << V{"한국어", " ", "문장"};
        QTest::newRow("combining marks stay")
            << std::string("nai\xCC\x88ve e\xCC\x81") << V{"nai\xCC\x88ve", "e\xCC\x81"}
            << V{"nai\xCC\x88ve", " ", "e\xCC\x81"};
        QTest::newRow("emoji sequences")
            << std::string("👍🏽👨‍👩‍👧❤️🇩🇪🇫🇷")
            << V{"👍🏽", "👨‍👩‍👧", "❤️", "🇩🇪", "🇫🇷"}
            << V{"👍🏽", "👨‍👩‍👧", "❤️", "🇩🇪", "🇫🇷"};
        QTest::newRow("markup is punctuation and words")
            << std::string("<b>hi</b>") << V{"<", "b", ">", "hi", "<", "/", "b", ">"}
            << V{"<", "b", ">", "hi", "<", "/", "b", ">"};
        QTest::newRow("bidi override is its own token")
            << std::string("a\u202Eb") << V{"a", "\u202E", "b"} << V{"a", "\u202E", "b"};
        QTest::newRow("ideographic space separates")
            << std::string("a\u3000b") << V{"a", "b"} << V{"a", "\u3000", "b"};
        QTest::newRow("invalid UTF-8 is one token a byte")
            << std::string("ab\xFF\xC3z") << V{"ab", "\xFF", "\xC3", "z"}
            << V{"ab", "\xFF", "\xC3", "z"};
    }

    void tokenizer()
    {
        QFETCH(std::string, text);
        QFETCH(std::vector<std::string>, tokens);
        QFETCH(std::vector<std::string>, withSpace);
        QVERIFY(strings(tokenize(text)) == tokens);
        QVERIFY(strings(tokenize(text, true)) == withSpace);
        std::string rebuilt;
        for (auto token : tokenize(text, true))
            rebuilt += token;
        QCOMPARE(rebuilt, text);
    }

    void foldingForScores()
    {
        QVERIFY((scoreTokens("The STRASSE Straße ΑΘΗΝΑ") ==
                 std::vector<std::string>{"the", "strasse", "straße", "αθηνα"}));
    }

    void scores_data()
    {
        QTest::addColumn<std::string>("a");
        QTest::addColumn<std::string>("b");
        QTest::addColumn<bool>("exact");
        QTest::addColumn<double>("edit");
        QTest::addColumn<double>("jaccard");
        QTest::addColumn<double>("rouge");
        QTest::newRow("identical") << std::string("The cat sat.") << std::string("The cat sat.")
                                   << true << 1.0 << 1.0 << 1.0;
        QTest::newRow("both empty") << std::string() << std::string() << true << 1.0 << 1.0 << 1.0;
        QTest::newRow("one empty")
            << std::string("abc") << std::string() << false << 0.0 << 0.0 << 0.0;
        QTest::newRow("nothing shared")
            << std::string("abc") << std::string("xyz") << false << 0.0 << 0.0 << 0.0;
        // Tokens differ entirely, characters partly: alpha -> gamma is 4 edits (insert g, l->m,
        // p->m, delete h), beta -> delta 2 (b->d, insert l).
        QTest::newRow("disjoint words") << std::string("alpha beta") << std::string("gamma delta")
                                        << false << 1.0 - 6.0 / 11 << 0.0 << 0.0;
        QTest::newRow("case only") << std::string("Hello World") << std::string("hello world")
                                   << false << 1.0 - 2.0 / 11 << 1.0 << 1.0;
        // LCS the cat on the mat (5 of 6 + 6); sets {the cat sat on mat} and {... lay ...}.
        QTest::newRow("one word changed")
            << std::string("the cat sat on the mat") << std::string("the cat lay on the mat")
            << false << 1.0 - 2.0 / 22 << 4.0 / 6 << 10.0 / 12;
        QTest::newRow("order changed") << std::string("a b c d") << std::string("d c b a") << false
                                       << 1.0 - 4.0 / 7 << 1.0 << 2.0 / 8;
        // 日本語です vs 日本語だ: で->だ and す deleted; tokens 5 and 4, LCS 3.
        QTest::newRow("CJK") << std::string("日本語です") << std::string("日本語だ") << false
                             << 1.0 - 2.0 / 5 << 3.0 / 6 << 6.0 / 9;
        // The family emoji is one token of five code points; its last one differs.
        QTest::newRow("emoji") << std::string("ok 👨‍👩‍👧")
                               << std::string("ok 👨‍👩‍👦") << false << 1.0 - 1.0 / 8
                               << 1.0 / 3 << 2.0 / 4;
        QTest::newRow("whitespace only differs")
            << std::string("a b") << std::string("a  b\n") << false << 1.0 - 2.0 / 5 << 1.0 << 1.0;
    }

    void scores()
    {
        QFETCH(std::string, a);
        QFETCH(std::string, b);
        QFETCH(bool, exact);
        QFETCH(double, edit);
        QFETCH(double, jaccard);
        QFETCH(double, rouge);
        const TextScores s = scoreTexts(a, b);
        QCOMPARE(s.exactMatch, exact);
        QVERIFY(s.editSimilarity && s.rougeL);
        QVERIFY2(near(*s.editSimilarity, edit), qPrintable(QString::number(*s.editSimilarity)));
        QVERIFY2(near(s.tokenJaccard, jaccard), qPrintable(QString::number(s.tokenJaccard)));
        QVERIFY2(near(*s.rougeL, rouge), qPrintable(QString::number(*s.rougeL)));
        QVERIFY(s.limits.empty());
    }

    void lengthDeltasCountCodePointsAndTokens()
    {
        const TextScores s = scoreTexts("ok", "ok 👍🏽 日本");
        QCOMPARE(s.charsA, 2);
        QCOMPARE(s.charsB, 8); // o k space 👍 🏽 space 日 本
        QCOMPARE(s.charDelta(), 6);
        QCOMPARE(s.tokensA, 1);
        QCOMPARE(s.tokensB, 4);
        QCOMPARE(s.tokenDelta(), 3);
    }

    // The independent oracle: same tokens and the same scores on every generated pair.
    void matchesTheOracle()
    {
        int changed = 0;
        for (const Pair &pair : m_pairs) {
            const json &o = pair.oracle;
            const QString where = show(pair.a) + u" | "_qs + show(pair.b);
            QVERIFY2(scoreTokens(pair.a) == o["tokens_a"].get<std::vector<std::string>>(),
                     qPrintable(u"tokens of A: "_qs + where));
            QVERIFY2(scoreTokens(pair.b) == o["tokens_b"].get<std::vector<std::string>>(),
                     qPrintable(u"tokens of B: "_qs + where));
            const TextScores s = scoreTexts(pair.a, pair.b);
            QVERIFY2(s.exactMatch == o["exact_match"].get<bool>(), qPrintable(where));
            QCOMPARE(s.charsA, o["chars_a"].get<int64_t>());
            QCOMPARE(s.charsB, o["chars_b"].get<int64_t>());
            QVERIFY(s.editSimilarity && s.rougeL);
            QVERIFY2(near(*s.editSimilarity, o["edit_similarity"].get<double>()),
                     qPrintable(u"edit similarity: "_qs + where));
            QVERIFY2(near(s.tokenJaccard, o["token_jaccard"].get<double>()),
                     qPrintable(u"Jaccard: "_qs + where));
            QVERIFY2(near(*s.rougeL, o["rouge_l_f1"].get<double>()),
                     qPrintable(u"ROUGE-L: "_qs + where));
            changed += !s.exactMatch;
        }
        QVERIFY(changed > 100); // the pairs are not mostly equal
    }

    void scoresAreBoundedSymmetricAndOneOnIdentity()
    {
        for (const Pair &pair : m_pairs) {
            const TextScores ab = scoreTexts(pair.a, pair.b);
            const TextScores ba = scoreTexts(pair.b, pair.a);
            for (double value : {*ab.editSimilarity, ab.tokenJaccard, *ab.rougeL})
                QVERIFY(value >= 0.0 && value <= 1.0);
            QCOMPARE(ab.exactMatch, ba.exactMatch);
            QVERIFY(near(*ab.editSimilarity, *ba.editSimilarity));
            QVERIFY(near(ab.tokenJaccard, ba.tokenJaccard));
            QVERIFY(near(*ab.rougeL, *ba.rougeL));
            QCOMPARE(ab.charDelta(), -ba.charDelta());
            QCOMPARE(ab.tokenDelta(), -ba.tokenDelta());
            if (!ab.exactMatch)
                QVERIFY(*ab.editSimilarity < 1.0);
            const TextScores same = scoreTexts(pair.a, pair.a);
            QVERIFY(same.exactMatch);
            QCOMPARE(*same.editSimilarity, 1.0);
            QCOMPARE(same.tokenJaccard, 1.0);
            QCOMPARE(*same.rougeL, 1.0);
            QCOMPARE(same.charDelta(), 0);
        }
    }

    void diffsRebuildBothTexts()
    {
        for (const Pair &pair : m_pairs) {
            checkDiff(pair.a, pair.b);
            if (QTest::currentTestFailed())
                QFAIL(qPrintable(show(pair.a) + u" | "_qs + show(pair.b)));
        }
        checkDiff("", "");
        checkDiff("no newline", "no newline\n");
        checkDiff("\n\n\n", "\n");
        checkDiff("a\xFF\xFE b\n", "a\xFF b\n"); // invalid UTF-8 is cut where it was
    }

    void lineDiffRows()
    {
        const TextDiff diff = diffTexts("a\nb\nc\n", "a\nB\nc\nd\n");
        QCOMPARE(diff.rows.size(), 4u);
        QVERIFY(!diff.rows[0].changed && diff.rows[1].changed && !diff.rows[2].changed &&
                diff.rows[3].changed);
        QVERIFY((diff.rows[1].left.segments == std::vector<DiffSegment>{{DiffOp::Delete, "b"}}));
        QVERIFY((diff.rows[1].right.segments == std::vector<DiffSegment>{{DiffOp::Insert, "B"}}));
        QVERIFY(diff.rows[3].left.isFiller());
        QCOMPARE(diff.rows[3].right.number, 4);
        QCOMPARE(diff.rows[2].left.number, 3);
        QCOMPARE(diff.changes.size(), 2u);
        QCOMPARE(diff.changes[0].firstRow, 1);
        QCOMPARE(diff.changes[1].firstRow, 3);
        QCOMPARE(diff.linesDeleted, 1);
        QCOMPARE(diff.linesInserted, 2);
        QVERIFY((diff.lineSegments == std::vector<DiffSegment>{{DiffOp::Equal, "a\n"},
                                                               {DiffOp::Delete, "b\n"},
                                                               {DiffOp::Insert, "B\n"},
                                                               {DiffOp::Equal, "c\n"},
                                                               {DiffOp::Insert, "d\n"}}));
    }

    void wordDiffHighlightsTheChangedWords()
    {
        const TextDiff diff = diffTexts("intro\nthe cat sat down\n", "intro\nthe dog sat down\n");
        QCOMPARE(diff.rows.size(), 2u);
        const DiffRow &row = diff.rows[1];
        QVERIFY((row.left.segments == std::vector<DiffSegment>{{DiffOp::Equal, "the "},
                                                               {DiffOp::Delete, "cat"},
                                                               {DiffOp::Equal, " sat down"}}));
        QVERIFY((row.right.segments == std::vector<DiffSegment>{{DiffOp::Equal, "the "},
                                                                {DiffOp::Insert, "dog"},
                                                                {DiffOp::Equal, " sat down"}}));
        QVERIFY((diff.wordSegments == std::vector<DiffSegment>{{DiffOp::Equal, "intro\nthe "},
                                                               {DiffOp::Delete, "cat"},
                                                               {DiffOp::Insert, "dog"},
                                                               {DiffOp::Equal, " sat down\n"}}));
    }

    void changedLinesFaceTheirOldSelves()
    {
        // A line inserted before an edited one: the edit faces its old line, the new line a
        // filler, and the words of the edit are what is highlighted.
        const TextDiff diff = diffTexts("Title\nContact support by e-mail.\nEnd\n",
                                        "Title\nA brand new line here.\nContact support by "
                                        "phone or e-mail.\nEnd\n");
        QCOMPARE(diff.rows.size(), 4u);
        QVERIFY(diff.rows[1].left.isFiller());
        QCOMPARE(diff.rows[1].right.text(), "A brand new line here.");
        QCOMPARE(diff.rows[2].left.text(), "Contact support by e-mail.");
        QVERIFY((diff.rows[2].right.segments ==
                 std::vector<DiffSegment>{{DiffOp::Equal, "Contact support by "},
                                          {DiffOp::Insert, "phone or "},
                                          {DiffOp::Equal, "e-mail."}}));
        QCOMPARE(diff.changes.size(), 1u);
        QCOMPARE(diff.changes[0].firstRow, 1);
        QCOMPARE(diff.changes[0].rowCount, 2);
        // Unlike lines still share rows rather than stack.
        const TextDiff rewrite = diffTexts("one\ntwo\n", "three\nfour\nfive\n");
        QCOMPARE(rewrite.rows.size(), 3u);
        QCOMPARE(rewrite.rows[0].left.text(), "one");
        QCOMPARE(rewrite.rows[0].right.text(), "three");
        QVERIFY(rewrite.rows[2].left.isFiller());
    }

    void limitsAreNamedAndTheDiffStaysWhole()
    {
        ComparisonLimits tight;
        tight.maxCells = 20;
        const std::string a = "one two three four five six seven eight nine ten";
        const std::string b = "ten nine eight seven six five four three two one";
        const TextScores s = scoreTexts(a, b, tight);
        QVERIFY(!s.editSimilarity);
        QVERIFY(!s.rougeL);
        QCOMPARE(s.limits.size(), 2u);
        QVERIFY(QString::fromStdString(s.limits[0]).startsWith(u"edit similarity not computed"));
        QCOMPARE(s.tokenJaccard, 1.0); // sets are linear: always computed
        checkDiff(a, b, tight);
        QVERIFY(!diffTexts(a, b, tight).limits.empty());
        // Many lines over the limit: the middle becomes one change.
        std::string manyA;
        std::string manyB;
        for (int i = 0; i < 10; ++i) {
            manyA += "line " + std::to_string(i) + "\n";
            manyB += "line " + std::to_string(9 - i) + "\n";
        }
        const TextDiff coarse = diffTexts(manyA, manyB, tight);
        QVERIFY(!coarse.limits.empty());
        QCOMPARE(coarse.changes.size(), 1u);
        checkDiff(manyA, manyB, tight);
    }

    void hugeTextsStayWithinTheLimits()
    {
        // 30,000 words each: the similar pair is scored in full (common ends set aside), the
        // unrelated pair hits the limits and says so.
        std::string base;
        std::string other;
        for (int i = 0; i < 30000; ++i) {
            base += "word" + std::to_string(i % 997) + (i % 13 == 0 ? "\n" : " ");
            other += "term" + std::to_string(i % 991) + (i % 17 == 0 ? "\n" : " ");
        }
        std::string edited = base;
        edited.replace(edited.size() / 2, 7, "CHANGED");
        const TextScores similar = scoreTexts(base, edited);
        QVERIFY(similar.editSimilarity && similar.rougeL);
        QVERIFY(*similar.editSimilarity > 0.99);
        const TextScores unrelated = scoreTexts(base, other);
        QVERIFY(!unrelated.editSimilarity);
        QVERIFY(!unrelated.rougeL);
        QCOMPARE(unrelated.tokenJaccard, 0.0);
        QCOMPARE(unrelated.limits.size(), 2u);
        checkDiff(base, edited);
        checkDiff(base, other);
    }

    void comparesInteractions()
    {
        Interaction a;
        a.interactionId = "orig-1";
        a.model = "gpt-4o-mini";
        a.finishReason = "stop";
        a.response = "The capital of France is Paris.";
        a.prompt = "What is the capital of France?";
        a.promptTokens = 12;
        a.completionTokens = 8;
        a.totalTokens = 20;
        a.latencyMs = 800;
        Interaction b = a;
        b.interactionId = "replay-1";
        b.replayOf = "orig-1";
        b.model = "gpt-4o";
        b.finishReason = "length";
        b.response = "Paris is the capital of France.";
        b.completionTokens = 9;
        b.totalTokens = 21;
        b.latencyMs.reset();
        const Comparison c = compareInteractions(a, b);
        QVERIFY(c.modelChanged);
        QVERIFY(c.finishReasonChanged);
        QCOMPARE(c.promptTokensDelta, std::optional<int64_t>(0));
        QCOMPARE(c.completionTokensDelta, std::optional<int64_t>(1));
        QCOMPARE(c.totalTokensDelta, std::optional<int64_t>(1));
        QVERIFY(!c.latencyMsDelta);
        QVERIFY(c.prompt.exactMatch);
        QVERIFY(!c.response.exactMatch);
        QCOMPARE(c.response.tokenJaccard, 1.0); // the same words, reordered
        QVERIFY(*c.response.rougeL < 1.0);
        QCOMPARE(c.responseDiff.textB(), b.response);

        const json j = toJson(c, DiffMode::Lines);
        QCOMPARE(j["a"]["interaction_id"].get<std::string>(), "orig-1");
        QCOMPARE(j["b"]["replay_of"].get<std::string>(), "orig-1");
        QVERIFY(j["a"]["replay_of"].is_null());
        QCOMPARE(j["response"]["rouge_l_f1"].get<double>(), *c.response.rougeL);
        QCOMPARE(j["deltas"]["completion_tokens"].get<int64_t>(), 1);
        QVERIFY(j["deltas"]["latency_ms"].is_null());
        QCOMPARE(j["diff"]["mode"].get<std::string>(), "lines");
        const json expected =
            json::array({json{{"op", "delete"}, {"text", "The capital of France is Paris."}},
                         json{{"op", "insert"}, {"text", "Paris is the capital of France."}}});
        QVERIFY(j["diff"]["segments"] == expected);
        const json words = c;
        QCOMPARE(words["diff"]["mode"].get<std::string>(), "words");
    }

    void comparesStoredDocuments()
    {
        auto document = [](const char *id, const char *content) {
            return json{{"interaction_id", id},
                        {"response", {{"content", content}, {"model", "m1"}}}}
                .dump();
        };
        const std::string a = document("a", "yes");
        const std::string b = document("b", "no");
        auto c = compareDocuments(a, b);
        QVERIFY(c.has_value());
        QCOMPARE(c->a.interactionId, "a");
        QVERIFY(!c->modelChanged);
        QVERIFY(!c->response.exactMatch);
        QVERIFY(!compareDocuments("[1]", b).has_value());
        QVERIFY(!compareDocuments("not json", b).has_value());
    }
};

QTEST_GUILESS_MAIN(TestComparison)
#include "tst_comparison.moc"
