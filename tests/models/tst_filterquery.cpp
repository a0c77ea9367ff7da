// Filters on a real store (the bundled sample plus hand-made edge cases): every filter selects
// exactly what an independent oracle selects (filter_oracle.py evaluates a hand-written Python
// predicate per filter over the same JSON documents); counts, stats, sort orders and the walk
// over documents agree with it; hostile filters neither crash nor change the store; filters on
// indexed fields use the indexes.

#include "exporter.h"
#include "filtercases.h"
#include "filterlanguage.h"
#include "importer.h"
#include "sqlitestore.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <set>

using namespace llmaudit;
using nlohmann::json;

namespace {

const QString s_sample =
    QStringLiteral(LLMAUDIT_SOURCE_DIR "/resources/samples/sample-interactions.jsonl");
const QString s_edges = QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/filter/edge-cases.jsonl");

int64_t nowForTests()
{
    return *LogSchema::parseDateTime("2026-01-07T00:00:00Z");
}

FilterExpr compiled(const QString &text)
{
    auto result = compileFilter(text);
    if (!result)
        qFatal("%s: %s", qPrintable(text), qPrintable(result.error().toString()));
    FilterExpr expr = result->expr;
    expr.nowMs = nowForTests();
    return expr;
}

// What a raw, separate connection sees of the store file: schema, rows and the documents' hash.
QByteArray fingerprint(const QString &path)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    QByteArray print;
    const char *queries[] = {
        "SELECT group_concat(type || name || coalesce(sql, ''), '|') FROM sqlite_schema",
        "SELECT count(*) || ':' || max(id) FROM interactions",
        "SELECT count(*) FROM rejects",
        "SELECT count(*) FROM conflicts",
        "SELECT hex(sha) FROM (SELECT group_concat(hex(content_hash)) AS sha FROM "
        "(SELECT content_hash FROM interactions ORDER BY id))",
    };
    for (const char *sql : queries) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            print += reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0));
        else
            print += "ERROR";
        print += '\n';
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return QCryptographicHash::hash(print, QCryptographicHash::Sha256).toHex();
}

} // namespace

class TestFilterQuery : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    std::unique_ptr<SqliteStore> m_store;
    json m_oracle;
    std::map<qint64, std::string> m_interactionOf; // row id -> interaction_id
    std::map<std::string, qint64> m_rowOf;

    std::vector<std::string> interactionIds(const std::vector<qint64> &rows) const
    {
        std::vector<std::string> ids;
        for (qint64 row : rows)
            ids.push_back(m_interactionOf.at(row));
        return ids;
    }

    std::vector<std::string> expected(const char *filter) const
    {
        std::vector<std::string> ids;
        for (const auto &id : m_oracle["ids"][filter])
            ids.push_back(id.get<std::string>());
        return ids;
    }

    static QString difference(const std::vector<std::string> &got,
                              const std::vector<std::string> &want)
    {
        std::vector<std::string> extra, missing;
        std::ranges::set_difference(got, want, std::back_inserter(extra));
        std::ranges::set_difference(want, got, std::back_inserter(missing));
        QString text = QStringLiteral("selected %1, oracle %2").arg(got.size()).arg(want.size());
        for (size_t i = 0; i < std::min<size_t>(extra.size(), 5); ++i)
            text += QStringLiteral("\n  extra   %1").arg(QString::fromStdString(extra[i]));
        for (size_t i = 0; i < std::min<size_t>(missing.size(), 5); ++i)
            text += QStringLiteral("\n  missing %1").arg(QString::fromStdString(missing[i]));
        return text;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("store.sqlite"));
        auto opened = SqliteStore::open(m_path, Store::Access::ReadWrite);
        QVERIFY(opened);
        m_store = std::move(*opened);
        Importer importer(*m_store);
        const ImportReport report = importer.importFiles({s_sample, s_edges});
        QVERIFY(report.complete());
        QCOMPARE(report.counts.stored, 406);

        auto all = m_store->rowIds();
        QVERIFY(all);
        for (size_t start = 0; start < all->size(); start += 100) {
            const auto page =
                std::span(*all).subspan(start, std::min<size_t>(100, all->size() - start));
            auto rows = m_store->rows(page);
            QVERIFY(rows);
            for (const auto &row : *rows) {
                m_interactionOf[row.rowId] = row.interactionId;
                m_rowOf[row.interactionId] = row.rowId;
            }
        }
        QCOMPARE(m_interactionOf.size(), size_t(406));

        // The oracle: every case's predicate over the same documents.
        json cases = json::object();
        for (const FilterCase &c : filterCases())
            cases[c.filter] = c.python;
        const QString casesPath = m_dir.filePath(QStringLiteral("cases.json"));
        QFile file(casesPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(cases.dump()));
        file.close();
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/models/filter_oracle.py"),
                      casesPath, QString::number(nowForTests()), s_sample, s_edges});
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        m_oracle = json::parse(python.readAllStandardOutput().toStdString());
        QCOMPARE(m_oracle["records"].size(), size_t(406));
    }

    void selects_data()
    {
        QTest::addColumn<QString>("filter");
        for (const FilterCase &c : filterCases())
            QTest::newRow(*c.filter ? c.filter : "(empty)") << QString::fromUtf8(c.filter);
    }

    void selects()
    {
        QFETCH(QString, filter);
        const FilterExpr expr = compiled(filter);
        auto rows = m_store->rowIds(expr, {SortColumn::Ingested, Qt::AscendingOrder});
        QVERIFY2(rows, qPrintable(rows ? QString() : rows.error().toString()));
        std::vector<std::string> got = interactionIds(*rows);
        std::ranges::sort(got);
        const std::vector<std::string> want = expected(filter.toUtf8().constData());
        QVERIFY2(got == want, qPrintable(difference(got, want)));

        auto count = m_store->count(expr);
        QVERIFY(count);
        QCOMPARE(*count, qint64(want.size()));

        // Stats over the selection, from the oracle's view of each record.
        auto stats = m_store->stats(expr);
        QVERIFY(stats);
        std::set<std::string> users, sessions;
        qint64 flagged = 0;
        std::optional<int64_t> first, last;
        for (const auto &id : want) {
            const json &r = m_oracle["records"][id];
            users.insert(r["user_id"].get<std::string>());
            sessions.insert(r["session_id"].get<std::string>());
            flagged += r["flagged"].get<bool>() ? 1 : 0;
            const int64_t ts = r["ts"].get<int64_t>();
            first = std::min(first.value_or(ts), ts);
            last = std::max(last.value_or(ts), ts);
        }
        QCOMPARE(stats->interactions, qint64(want.size()));
        QCOMPARE(stats->users, qint64(users.size()));
        QCOMPARE(stats->sessions, qint64(sessions.size()));
        QCOMPARE(stats->flagged, flagged);
        QCOMPARE(stats->firstMs, first);
        QCOMPARE(stats->lastMs, last);
    }

    void casesDiscriminate()
    {
        // A case that selects nothing, or everything, cannot tell a right answer from a wrong
        // one: keep those rare.
        int proper = 0;
        for (const FilterCase &c : filterCases()) {
            const size_t n = m_oracle["ids"][c.filter].size();
            if (n > 0 && n < 406)
                ++proper;
        }
        QVERIFY2(proper >= int(filterCases().size()) - 4,
                 qPrintable(QStringLiteral("%1 of %2").arg(proper).arg(filterCases().size())));
    }

    void walkVisitsTheSelection_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("direction");
        QTest::newRow("flagged, by time")
            << u"flagged"_qs << int(SortColumn::Time) << int(Qt::DescendingOrder);
        QTest::newRow("full text, ingest order")
            << u"text ~ \"refund\""_qs << int(SortColumn::Ingested) << int(Qt::AscendingOrder);
        QTest::newRow("many pages, by latency")
            << u"has latency"_qs << int(SortColumn::Latency) << int(Qt::AscendingOrder);
        QTest::newRow("all, ingest order")
            << QString() << int(SortColumn::Ingested) << int(Qt::AscendingOrder);
        QTest::newRow("nothing") << u"user == \"nobody\""_qs << int(SortColumn::Time)
                                 << int(Qt::DescendingOrder);
    }

    void walkVisitsTheSelection()
    {
        QFETCH(QString, filter);
        QFETCH(int, column);
        QFETCH(int, direction);
        const FilterExpr expr = compiled(filter);
        const SortOrder order{SortColumn(column), Qt::SortOrder(direction)};
        auto rows = m_store->rowIds(expr, order);
        QVERIFY(rows);
        std::vector<qint64> visited;
        auto walked = m_store->forEachInteraction(
            expr,
            [&](const StoredInteraction &item) {
                const json document = json::parse(item.document);
                if (document["interaction_id"] != m_interactionOf.at(item.rowId))
                    qFatal("document and row id disagree");
                visited.push_back(item.rowId);
                return true;
            },
            order);
        QVERIFY(walked);
        QCOMPARE(visited, *rows);
        // The visitor stops the walk.
        int seen = 0;
        QVERIFY(m_store->forEachInteraction(
            expr, [&](const StoredInteraction &) { return ++seen < 3; }, order));
        QCOMPARE(seen, std::min<int>(3, int(rows->size())));
    }

    void sortOrders_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("tieBreak"); // "ts" or "id"
        QTest::addColumn<QString>("filter");
        struct Column
        {
            SortColumn column;
            const char *key;
            const char *tie;
        };
        const Column columns[] = {
            {SortColumn::Time, "ts", "id"},
            {SortColumn::Ingested, "", "id"},
            {SortColumn::InteractionId, "interaction_id", "id"},
            {SortColumn::User, "user_id", "ts"},
            {SortColumn::Session, "session_id", "ts"},
            {SortColumn::Model, "model", "ts"},
            {SortColumn::PromptTokens, "prompt_tokens", "ts"},
            {SortColumn::CompletionTokens, "completion_tokens", "ts"},
            {SortColumn::TotalTokens, "total_tokens", "id"},
            {SortColumn::Latency, "latency_ms", "id"},
            {SortColumn::FinishReason, "finish_reason", "ts"},
            {SortColumn::Flagged, "flagged", "ts"},
            {SortColumn::Sensitivity, "sensitivity", "ts"},
            {SortColumn::ReplayOf, "replay_of", "id"},
        };
        for (const Column &c : columns)
            for (const char *filter : {"", "has evaluation"})
                QTest::addRow("%s %s", c.key[0] ? c.key : "ingest", filter)
                    << int(c.column) << QString::fromLatin1(c.key) << QString::fromLatin1(c.tie)
                    << QString::fromLatin1(filter);
    }

    void sortOrders()
    {
        QFETCH(int, column);
        QFETCH(QString, key);
        QFETCH(QString, tieBreak);
        QFETCH(QString, filter);
        const FilterExpr expr = compiled(filter);
        // The oracle's selection, ordered by the oracle's column values: absent first when
        // ascending, then the tie-breaks.
        std::vector<qint64> want;
        for (const auto &id : m_oracle["ids"][filter.toStdString()])
            want.push_back(m_rowOf.at(id.get<std::string>()));
        const json &records = m_oracle["records"];
        auto value = [&](qint64 row, const std::string &name) -> const json & {
            return records[m_interactionOf.at(row)][name];
        };
        auto less = [](const json &a, const json &b) {
            if (a.is_null() || b.is_null())
                return a.is_null() && !b.is_null();
            if (a.is_boolean())
                return int(a.get<bool>()) < int(b.get<bool>());
            return a < b; // numbers numerically, text by code point (= UTF-8 byte order)
        };
        auto ascending = [&](qint64 a, qint64 b) {
            if (!key.isEmpty()) {
                const json &x = value(a, key.toStdString());
                const json &y = value(b, key.toStdString());
                if (less(x, y) || less(y, x))
                    return less(x, y);
            }
            if (tieBreak == u"ts" && value(a, "ts") != value(b, "ts"))
                return value(a, "ts") < value(b, "ts");
            return a < b;
        };
        for (const Qt::SortOrder direction : {Qt::AscendingOrder, Qt::DescendingOrder}) {
            std::vector<qint64> sorted = want;
            std::ranges::sort(sorted, ascending);
            if (direction == Qt::DescendingOrder)
                std::ranges::reverse(sorted);
            auto rows = m_store->rowIds(expr, {SortColumn(column), direction});
            QVERIFY(rows);
            QVERIFY2(*rows == sorted, direction == Qt::AscendingOrder ? "ascending" : "descending");
        }
    }

    void defaultOrderIsNewestFirst()
    {
        auto all = m_store->rowIds();
        QVERIFY(all);
        auto explicitOrder = m_store->rowIds(FilterExpr{}, SortOrder{});
        QVERIFY(explicitOrder);
        QCOMPARE(*all, *explicitOrder);
        for (size_t i = 1; i < all->size(); ++i)
            QVERIFY(m_oracle["records"][m_interactionOf.at((*all)[i - 1])]["ts"] >=
                    m_oracle["records"][m_interactionOf.at((*all)[i])]["ts"]);
    }

    void indexedFieldsUseIndexes_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("index");
        auto row = [](const char *filter, const char *index) {
            QTest::newRow(filter) << QString::fromUtf8(filter) << QString::fromUtf8(index);
        };
        row("user_id == \"u-0001\"", "interactions_user");
        row("user in {\"u-0001\" \"u-0002\"}", "interactions_user");
        row("session == \"s\"", "interactions_session");
        row("model == \"gpt-4o\"", "interactions_model");
        row("model in {\"gpt-4o\" \"llama3\"}", "interactions_model");
        row("latency > 2000", "interactions_latency");
        row("latency in {100..200}", "interactions_latency");
        row("tokens < 10", "interactions_tokens");
        row("flagged", "interactions_flagged");
        row("sensitivity >= confidential", "interactions_sensitivity");
        row("timestamp >= \"2026-02-01\"", "interactions_ts");
        row("ts == \"2026-01-05\"", "interactions_ts");
        row("ts > now - 24h", "interactions_ts");
        row("replay_of == \"x\"", "interactions_replay_of");
        row("has replay_of", "interactions_replay_of");
        row("id == \"x\"", "sqlite_autoindex_interactions");
        row("text ~ \"refund\"", "interactions_fts");
        row("user == \"u-0001\" and prompt contains \"x\"", "interactions_user");
    }

    void indexedFieldsUseIndexes()
    {
        QFETCH(QString, filter);
        QFETCH(QString, index);
        auto plan = m_store->explainQueryPlan(compiled(filter));
        QVERIFY(plan);
        QVERIFY2(plan->join(u'\n').contains(index), qPrintable(plan->join(u'\n')));
        QVERIFY2(!plan->join(u'\n').contains(u"SCAN interactions\n") &&
                     !plan->join(u'\n').endsWith(u"SCAN interactions"),
                 qPrintable(plan->join(u'\n')));
    }

    void tableOrderNeedsNoSort()
    {
        // The table's default order and an indexed filter with it: the index gives the order.
        // (`flagged` also reads the reviewers' flags: its two halves are merged and sorted.)
        for (const char *filter :
             {"", "user_id == \"u-0001\"", "evaluation.flagged", "model == \"x\""}) {
            auto plan = m_store->explainQueryPlan(compiled(QString::fromUtf8(filter)), SortOrder{});
            QVERIFY(plan);
            QVERIFY2(!plan->join(u'\n').contains(u"TEMP B-TREE"), qPrintable(plan->join(u'\n')));
        }
    }

    void hostileFiltersLeaveTheStoreUnchanged()
    {
        const QByteArray before = fingerprint(m_path);
        QBuffer exported;
        exported.open(QIODevice::WriteOnly);
        QVERIFY(exportInteractions(*m_store, ExportFormat::Jsonl, exported));

        QStringList attempts = {
            u"user_id == \"x' OR 1=1 --\""_qs,
            u"\"); DROP TABLE interactions; --"_qs,
            u"user_id == \"\\\"); DROP TABLE interactions; --\""_qs,
            u"user_id == \"'); DELETE FROM interactions; --\""_qs,
            u"text ~ \"a\\\" OR b*\""_qs,
            u"text ~ \"\\\" OR \\\"\""_qs,
            u"text ~ \"NEAR(refund policy)\""_qs,
            u"text ~ \"prompt : secret\""_qs,
            u"prompt ~ \"} : x {\""_qs,
            u"text ~ \"*\""_qs,
            u"text ~ \"^refund\""_qs,
            u"prompt matches \"(a+)+$\""_qs,
            u"prompt matches \"(?{1})\""_qs,
            u"prompt matches \"\\\\\""_qs,
            u"prompt contains \"%_\""_qs,
            u"prompt contains \"\u202e\""_qs,
            u"latency > 1e308"_qs,
            u"latency > -9223372036854775808"_qs,
            u"latency > 99999999999999999999"_qs,
            u"request.parameters.a\"b == 1"_qs,
            u"has request.parameters.x"_qs,
            u"user_id == \"a\\u0000\""_qs,
            QString(150, u'(') + u"flagged"_qs + QString(150, u')'),
            QString(99, u'(') + u"flagged"_qs + QString(99, u')'),
            QString(99, u'!') + u"flagged"_qs,
        };
        QString withNul = u"user_id == \"a"_qs;
        withNul += QChar(0);
        withNul += u"\" or 1"_qs;
        attempts << withNul;
        QStringList wide;
        for (int i = 0; i < 5000; ++i)
            wide << u"user == \"u-%1\""_qs.arg(i, 4, 10, QLatin1Char('0'));
        attempts << wide.join(u" or "_qs);
        QStringList huge;
        for (int i = 0; i < 40000; ++i)
            huge << u"\"u-%1\""_qs.arg(i);
        attempts << u"user in {"_qs + huge.join(u' ') + u'}';

        int ran = 0, refused = 0;
        for (const QString &text : attempts) {
            auto result = compileFilter(text);
            if (!result) {
                ++refused;
                QVERIFY(result.error().offset >= 0 && result.error().offset <= text.size());
                continue;
            }
            FilterExpr expr = result->expr;
            expr.nowMs = nowForTests();
            auto rows = m_store->rowIds(expr, {});
            auto count = m_store->count(expr);
            if (!rows) { // refused by the store (too many values): an error, not a crash
                QVERIFY(!count);
                QVERIFY2(rows.error().message.contains(u"too many values"),
                         qPrintable(rows.error().toString()));
                continue;
            }
            ++ran;
            QVERIFY(count);
            QCOMPARE(*count, qint64(rows->size()));
            QVERIFY(m_store->stats(expr));
            QVERIFY(m_store->forEachInteraction(
                expr, [](const StoredInteraction &) { return true; }, {}));
        }
        QVERIFY(ran >= 15);
        QVERIFY(refused >= 4);

        // Literal matches where the language let the text through.
        QCOMPARE(*m_store->count(compiled(u"user_id == \"x' OR 1=1 --\""_qs)), 1);
        QCOMPARE(*m_store->count(compiled(wide.join(u" or "_qs))),
                 *m_store->count(compiled(u"user matches \"^u-[0-4][0-9]{3}$\""_qs)));

        QVERIFY(m_store->checkIntegrity());
        QCOMPARE(fingerprint(m_path), before);
        QBuffer again;
        again.open(QIODevice::WriteOnly);
        QVERIFY(exportInteractions(*m_store, ExportFormat::Jsonl, again));
        QVERIFY(again.data() == exported.data());
    }

    void deepestAcceptedFiltersRun_data()
    {
        QTest::addColumn<int>("shape");
        QTest::newRow("and/or, nested last") << 0;
        QTest::newRow("not chains") << 1;
        QTest::newRow("not and or, alternating") << 2;
        QTest::newRow("nested first") << 3;
    }

    void deepestAcceptedFiltersRun()
    {
        // However deeply the language lets a filter nest, the store can run it (SQLite's parser
        // stack is small and fixed in 3.40).
        QFETCH(int, shape);
        const QString leaves[] = {u"tags contains \"leg\""_qs,
                                  u"text ~ \"refund\""_qs,
                                  u"context.source != \"kb\""_qs,
                                  u"evaluation.hallucination_score in {0.1..0.2 0.5 \"x\"}"_qs,
                                  u"has request.context.metadata"_qs,
                                  u"ts in {\"2026-01-05\"..\"2026-01-06\" \"2026-02-01\"}"_qs,
                                  u"sensitivity in {public internal..restricted}"_qs};
        auto build = [&](int depth) {
            QString text = leaves[depth % 7];
            for (int level = 0; level < depth; ++level) {
                const QString leaf = leaves[level % 7];
                switch (shape) {
                case 0:
                    text = leaf + (level % 2 ? u" and ("_qs : u" or ("_qs) + text + u')';
                    break;
                case 1:
                    text = u"not "_qs + text;
                    break;
                case 2:
                    text = level % 2 ? u"not ("_qs + leaf + u" or "_qs + text + u')'
                                     : u"("_qs + leaf + u" and not "_qs + text + u')';
                    break;
                default:
                    text = u"("_qs + text + (level % 2 ? u" and "_qs : u" or "_qs) + leaf + u')';
                    break;
                }
            }
            return text;
        };
        int deepest = 0;
        while (compileFilter(build(deepest + 1)))
            ++deepest;
        QVERIFY(deepest >= 20);
        QVERIFY(!compileFilter(build(deepest + 1)).error().message.contains(u"internal"));
        for (int depth : {deepest, deepest - 1, deepest / 2}) {
            const FilterExpr expr = compiled(build(depth));
            auto rows = m_store->rowIds(expr, {});
            QVERIFY2(rows, qPrintable(QString::number(depth) + u": "_qs +
                                      (rows ? QString() : rows.error().toString())));
            QVERIFY(m_store->count(expr));
        }
    }

    void malformedTreesAreErrors()
    {
        // Trees built by hand (not by the language) are checked by the backend too.
        FilterExpr empty;
        empty.root = FilterNode{};
        empty.root->kind = FilterNode::Kind::And;
        QVERIFY(!m_store->rowIds(empty, {}));

        FilterExpr wrongValue;
        wrongValue.root = FilterNode{};
        wrongValue.root->kind = FilterNode::Kind::Compare;
        wrongValue.root->field.path = {"timestamp"};
        wrongValue.root->field.type = FilterType::Time;
        wrongValue.root->value = std::string("yesterday");
        QVERIFY(!m_store->count(wrongValue));

        FilterExpr badRegex;
        badRegex.root = FilterNode{};
        badRegex.root->kind = FilterNode::Kind::Compare;
        badRegex.root->field.path = {"user_id"};
        badRegex.root->field.type = FilterType::Text;
        badRegex.root->op = FilterOp::Matches;
        badRegex.root->value = std::string("(unclosed");
        auto result = m_store->rowIds(badRegex, {});
        QVERIFY(!result);
        QVERIFY2(result.error().message.contains(u"llmaudit_regexp"),
                 qPrintable(result.error().toString()));
        QVERIFY(m_store->count(FilterExpr{})); // the connection is still fine
    }
};

QTEST_GUILESS_MAIN(TestFilterQuery)
#include "tst_filterquery.moc"
