// The store: duplicates and conflicts, quarantine, atomic writes, and clear errors for stores
// that are not stores, are locked, or come from a newer version.

#include "../support/storeformats.h"
#include "exporter.h"
#include "importer.h"
#include "logschema.h"
#include "sqlitestore.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <atomic>
#include <random>
#include <thread>

using namespace llmaudit;
using nlohmann::json;

namespace {

json record(const std::string &id, const std::string &prompt = "What is our refund policy?")
{
    return {
        {"interaction_id", id},
        {"timestamp", "2026-01-05T10:00:00Z"},
        {"user_id", "u-1"},
        {"session_id", "s-" + id},
        {"request",
         {{"prompt", prompt},
          {"system_prompt", "Answer from the policy documents."},
          {"context", {{{"content", "Refunds within 30 days."}, {"source", "kb://refunds.md"}}}},
          {"parameters", {{"model", "gpt-4o"}}}}},
        {"response", {{"content", "Within 30 days of purchase."}, {"finish_reason", "stop"}}},
        {"metrics", {{"latency_ms", 1200}, {"total_tokens", 90}}},
        {"evaluation", {{"flagged", id == "i-2"}}}};
}

IncomingRecord incoming(const json &document, const std::string &source = "test.jsonl:1")
{
    auto decoded = decodeDocument(document);
    if (!decoded)
        qFatal("test record invalid: %s", decoded.error().front().toString().c_str());
    return {std::move(*decoded), source, {}, {}};
}

// A store written by format 3, with `count` records: what an older version left.
void makeFormat3Store(const QString &file, int count)
{
    {
        auto store = Store::open(file);
        QVERIFY(store);
        std::vector<IncomingRecord> records;
        for (int i = 0; i < count; ++i)
            records.push_back(incoming(record("u-" + std::to_string(i))));
        QVERIFY((*store)->write(records, {}));
    }
    // Without the review tables and chain of format 4 and the holds of format 5.
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(file.toUtf8().constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, DowngradeToFormat3Sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

// Runs one SQL statement on the store file through a separate raw connection.
int64_t scalar(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *stmt = nullptr;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const char *name) const { return m_dir.filePath(QString::fromUtf8(name)); }

private Q_SLOTS:
    // The window opens several connections to a store that may not exist yet: they all open,
    // and the store is created once.
    void concurrentOpensOfANewStore()
    {
        const QString file = path("concurrent.sqlite");
        std::vector<std::thread> threads;
        std::atomic<int> opened{0};
        std::vector<QString> errors(6);
        for (int i = 0; i < 6; ++i)
            threads.emplace_back([&, i] {
                auto store = Store::open(file);
                if (store)
                    ++opened;
                else
                    errors[size_t(i)] = store.error().toString();
            });
        for (auto &t : threads)
            t.join();
        for (const auto &e : errors)
            QVERIFY2(e.isEmpty(), qPrintable(e));
        QCOMPARE(opened.load(), 6);
        QCOMPARE(scalar(file, "PRAGMA user_version"), SqliteStore::SchemaVersion);
    }

    // A file whose creator was killed before setting it up opens for reading as an empty store.
    void aBlankFileOpensAsAnEmptyStore()
    {
        const QString file = path("blank.sqlite");
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(file.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
        auto store = Store::open(file, Store::Access::ReadOnly);
        QVERIFY2(store, store ? "" : qPrintable(store.error().toString()));
        auto stats = (*store)->stats();
        QVERIFY(stats);
        QCOMPARE(stats->interactions, 0);
    }

    // The dashboard's figures, against values worked out here from the records themselves.
    void summaryFigures()
    {
        auto store = Store::open(path("summary.sqlite"));
        QVERIFY(store);
        auto empty = (*store)->summary();
        QVERIFY2(empty, empty ? "" : qPrintable(empty.error().toString()));
        QCOMPARE(empty->interactions, 0);

        std::vector<IncomingRecord> batch;
        std::vector<int64_t> latencies;
        std::map<std::string, qint64> models;
        qint64 flagged = 0;
        qint64 tokens = 0;
        const char *levels[] = {"public", "internal", "confidential", "restricted", nullptr};
        std::map<std::string, qint64> sensitivity;
        for (int i = 0; i < 200; ++i) {
            json r = record("sum-" + std::to_string(i));
            const int64_t latency = (i * 37) % 5000 + 1;
            r["metrics"]["latency_ms"] = latency;
            r["metrics"]["total_tokens"] = i;
            r["request"]["parameters"]["model"] = i % 3 == 0 ? "m-a" : (i % 3 == 1 ? "m-b" : "m-c");
            r["evaluation"]["flagged"] = i % 7 == 0;
            r["timestamp"] = LogSchema::formatDateTime(1767607200000 + int64_t(i) * 3'600'000);
            if (const char *level = levels[i % 5])
                r["security"] = {{"sensitivity_level", level}};
            latencies.push_back(latency);
            ++models[r["request"]["parameters"]["model"]];
            flagged += i % 7 == 0;
            tokens += i;
            ++sensitivity[levels[i % 5] ? levels[i % 5] : ""];
            batch.push_back(incoming(r));
        }
        QVERIFY((*store)->write(batch, {}));
        auto summary = (*store)->summary();
        QVERIFY2(summary, summary ? "" : qPrintable(summary.error().toString()));
        QCOMPARE(summary->interactions, 200);
        QCOMPARE(summary->flagged, flagged);
        QCOMPARE(summary->totalTokens, tokens);
        QCOMPARE(summary->byModel.size(), size_t(3));
        for (const auto &c : summary->byModel)
            QCOMPARE(c.count, models[c.key]);
        QCOMPARE(summary->bySensitivity.size(), size_t(5));
        QCOMPARE(summary->bySensitivity.back().key, "");
        for (const auto &c : summary->bySensitivity)
            QCOMPARE(c.count, sensitivity[c.key]);
        std::sort(latencies.begin(), latencies.end());
        QCOMPARE(*summary->latencyP50, latencies[100]);
        QCOMPARE(*summary->latencyP95, latencies[190]);
        QCOMPARE(*summary->latencyP99, latencies[198]);
        qint64 histogramTotal = 0;
        for (const auto &b : summary->latencyHistogram) {
            // Every latency from this bound up to the next.
            const auto *bound = std::find(std::begin(Summary::LatencyBucketsMs),
                                          std::end(Summary::LatencyBucketsMs), b.fromMs);
            QVERIFY(bound != std::end(Summary::LatencyBucketsMs));
            const int64_t upTo =
                bound + 1 == std::end(Summary::LatencyBucketsMs) ? INT64_MAX : *(bound + 1);
            const auto inBucket = std::count_if(latencies.begin(), latencies.end(), [&](int64_t l) {
                return l >= b.fromMs && l < upTo;
            });
            QCOMPARE(b.interactions, qint64(inBucket));
            histogramTotal += b.interactions;
        }
        QCOMPARE(histogramTotal, 200);
        // 200 hours: buckets of a day.
        QCOMPARE(summary->timeBucketMs, 86'400'000);
        qint64 overTime = 0;
        for (const auto &b : summary->overTime)
            overTime += b.interactions;
        QCOMPARE(overTime, 200);
    }

    // One interaction by row id, the sessions with their spans, and one session in time order.
    void sessionsAndConversations()
    {
        auto store = Store::open(path("sessions.sqlite"));
        QVERIFY(store);
        // Three sessions; "s-b" has two users. Written out of time order.
        const std::vector<std::tuple<std::string, std::string, std::string, std::string>> rows = {
            {"c-3", "s-a", "u-1", "2026-01-05T10:03:00Z"},
            {"c-1", "s-a", "u-1", "2026-01-05T10:01:00Z"},
            {"c-2", "s-a", "u-1", "2026-01-05T10:02:00Z"},
            {"c-4", "s-b", "u-2", "2026-01-06T08:00:00Z"},
            {"c-5", "s-b", "u-3", "2026-01-06T09:00:00Z"},
            {"c-6", "s-c", "u-4", "2026-01-04T00:00:00Z"},
        };
        std::vector<IncomingRecord> batch;
        for (const auto &[id, session, user, ts] : rows) {
            json r = record(id);
            r["session_id"] = session;
            r["user_id"] = user;
            r["timestamp"] = ts;
            batch.push_back(incoming(r));
        }
        QVERIFY((*store)->write(batch, {}));

        auto sessions = (*store)->sessions();
        QVERIFY(sessions);
        QCOMPARE(sessions->size(), size_t(3));
        // Most recently active first.
        QCOMPARE(sessions->at(0).sessionId, "s-b");
        QCOMPARE(sessions->at(0).users, 2);
        QCOMPARE(sessions->at(0).interactions, 2);
        QCOMPARE(sessions->at(1).sessionId, "s-a");
        QCOMPARE(sessions->at(1).interactions, 3);
        QCOMPARE(sessions->at(1).firstMs, *LogSchema::parseDateTime("2026-01-05T10:01:00Z"));
        QCOMPARE(sessions->at(1).lastMs, *LogSchema::parseDateTime("2026-01-05T10:03:00Z"));
        QCOMPARE(sessions->at(2).sessionId, "s-c");

        auto turns = (*store)->sessionInteractions("s-a", 100);
        QVERIFY(turns);
        QCOMPARE(turns->size(), size_t(3));
        for (size_t i = 0; i < 3; ++i)
            QVERIFY(json::parse(turns->at(i).document)["interaction_id"] ==
                    "c-" + std::to_string(i + 1));
        auto limited = (*store)->sessionInteractions("s-a", 2);
        QVERIFY(limited && limited->size() == 2);
        auto none = (*store)->sessionInteractions("s-none' OR 1=1 --", 100);
        QVERIFY(none && none->empty());

        auto one = (*store)->interactionAt(turns->at(1).rowId);
        QVERIFY(one && *one);
        QCOMPARE((*one)->document, turns->at(1).document);
        QCOMPARE((*one)->source, "test.jsonl:1");
        auto missing = (*store)->interactionAt(999999);
        QVERIFY(missing && !*missing);
    }

    void duplicatesConflictsAndRejects()
    {
        auto store = Store::open(path("a.sqlite"));
        QVERIFY(store);
        std::vector<IncomingRecord> first{incoming(record("i-1")), incoming(record("i-2")),
                                          incoming(record("i-1"))}; // same id, same content
        std::vector<QuarantinedRecord> rejects{
            {"bad.jsonl:3",
             {{"/metrics/latency_ms", "expected integer, got string"}},
             "{\"x\":1}"}};
        auto counts = (*store)->write(first, rejects);
        QVERIFY(counts);
        QCOMPARE(counts->stored, 2);
        QCOMPARE(counts->duplicates, 1);
        QCOMPARE(counts->rejected, 1);

        // The same id with other content: kept aside, the stored record is untouched.
        // Prepared (compressed) as an import does: the plain text is let go, and write() finds
        // it again to keep the conflict whole and to compare respelled records.
        std::vector<IncomingRecord> second{
            incoming(record("i-1", "Changed prompt"), "other.jsonl:9")};
        (*store)->prepare(second.front());
        QVERIFY(second.front().decoded.document.empty());
        counts = (*store)->write(second, {});
        QVERIFY(counts);
        QCOMPARE(counts->conflicts, 1);
        QCOMPARE(counts->stored, 0);
        // The same record spelled differently (key order, spacing) is a duplicate.
        auto respelled = decodeRecord(record("i-2").dump(2), Dialect::Standard);
        QVERIFY(respelled);
        std::vector<IncomingRecord> again{{std::move(*respelled), "respelled.json:1", {}, {}}};
        (*store)->prepare(again.front());
        counts = (*store)->write(again, {});
        QVERIFY(counts);
        QCOMPARE(counts->duplicates, 1);
        // ...and writing the same conflict again stores nothing new, nor the reject.
        QVERIFY((*store)->write(second, rejects));

        auto stats = (*store)->stats();
        QVERIFY(stats);
        QCOMPARE(stats->interactions, 2);
        QCOMPARE(stats->flagged, 1);
        QCOMPARE(stats->rejected, 1);
        QCOMPARE(stats->conflicts, 1);
        QCOMPARE(stats->sessions, 2);
        QCOMPARE(stats->users, 1);

        auto conflicts = (*store)->conflicts();
        QVERIFY(conflicts);
        QCOMPARE(conflicts->size(), size_t(1));
        QCOMPARE(conflicts->front().interactionId, std::string("i-1"));
        QCOMPARE(conflicts->front().source, std::string("other.jsonl:9"));
        QVERIFY(conflicts->front().storedHash != conflicts->front().incomingHash);
        QVERIFY(json::parse(conflicts->front().document)["request"]["prompt"] == "Changed prompt");

        std::string stored;
        QVERIFY((*store)->forEachInteraction([&](const StoredInteraction &item) {
            if (json::parse(item.document)["interaction_id"] == "i-1")
                stored = item.document;
            return true;
        }));
        QVERIFY(json::parse(stored)["request"]["prompt"] == "What is our refund policy?");

        auto listed = (*store)->rejects();
        QVERIFY(listed);
        QCOMPARE(listed->size(), size_t(1));
        QCOMPARE(listed->front().source, std::string("bad.jsonl:3"));
        QCOMPARE(listed->front().raw, std::string("{\"x\":1}"));
        QCOMPARE(listed->front().errors.front().pointer, std::string("/metrics/latency_ms"));
    }

    void fullTextIndexFindsEveryTextField()
    {
        const QString file = path("fts.sqlite");
        {
            auto store = Store::open(file);
            QVERIFY(store);
            std::vector<IncomingRecord> records{
                incoming(record("f-1", "liability waiver for contractors"))};
            QVERIFY((*store)->write(records, {}));
        }
        QCOMPARE(scalar(file, "SELECT count(*) FROM interactions_fts WHERE interactions_fts MATCH "
                              "'\"liability waiver\"'"),
                 1);
        QCOMPARE(scalar(file,
                        "SELECT count(*) FROM interactions_fts WHERE system_prompt MATCH 'policy'"),
                 1);
        QCOMPARE(
            scalar(file, "SELECT count(*) FROM interactions_fts WHERE context MATCH 'refunds'"), 1);
        QCOMPARE(
            scalar(file, "SELECT count(*) FROM interactions_fts WHERE response MATCH 'purchase'"),
            1);
        QCOMPARE(scalar(file, "SELECT count(*) FROM interactions_fts WHERE interactions_fts MATCH "
                              "'nonexistentword'"),
                 0);
        // The index agrees with the documents it was built from.
        auto store = Store::open(file);
        QVERIFY(store);
        auto checked = (*store)->checkIntegrity();
        QVERIFY2(checked, checked ? "" : qPrintable(checked.error().toString()));
    }

    // The table's prompt and response columns come from previews kept at write time; for
    // interactions stored before them (format 2) they come from the documents, the same.
    void tablePreviewsAtWriteAndAfterUpgrade()
    {
        const QString file = path("previews.sqlite");
        // 205 characters, multi-byte ones among them, on the first of two lines.
        const std::string longLine = std::string(100, 'a') + "é€😀" + std::string(102, 'b');
        json multiline = record("p-1", "First line of the prompt\nsecond line");
        multiline["response"]["content"] = longLine + "\nrest";
        json noResponse = record("p-2", longLine);
        noResponse["response"]["content"] = "";
        auto expectRows = [](Store &store) {
            auto ids = store.rowIds();
            QVERIFY(ids);
            auto rows = store.rows(*ids);
            QVERIFY(rows);
            QCOMPARE(rows->size(), size_t(2));
            const auto &first = rows->at(0).interactionId == "p-1" ? rows->at(0) : rows->at(1);
            const auto &second = rows->at(0).interactionId == "p-1" ? rows->at(1) : rows->at(0);
            QCOMPARE(QString::fromStdString(first.prompt), u"First line of the prompt"_qs);
            QCOMPARE(QString::fromStdString(first.response).toUcs4().size(), 200 + 1); // + "…"
            QVERIFY(first.response.ends_with("bbb…"));
            QVERIFY(first.response.find("é€😀") != std::string::npos);
            QCOMPARE(QString::fromStdString(second.prompt).toUcs4().size(), 200 + 1);
            QCOMPARE(second.response, std::string());
        };
        {
            auto store = Store::open(file);
            QVERIFY(store);
            std::vector<IncomingRecord> records{incoming(multiline), incoming(noResponse)};
            QVERIFY((*store)->write(records, {}));
            expectRows(**store);
        }
        // Back to format 2, as an older version left it (without the previews of format 3 and
        // the review tables and chain of format 4 and the holds of format 5), then open and
        // upgrade.
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(file.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, DowngradeToFormat3Sql, nullptr, nullptr, nullptr), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db,
                              "DROP TRIGGER interactions_preview_gone; "
                              "DROP TABLE interaction_previews; PRAGMA user_version = 2",
                              nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
        auto store = Store::open(file);
        QVERIFY(store);
        QCOMPARE(scalar(file, "SELECT count(*) FROM interaction_previews"), 0);
        expectRows(**store);
    }

    // An upgrade reports its steps; chaining the records reports them page by page.
    void upgradeReportsProgress()
    {
        const QString file = path("upgrade-progress.sqlite");
        constexpr int Records = 3000;
        makeFormat3Store(file, Records);
        QCOMPARE(scalar(file, "PRAGMA user_version"), 3);
        std::vector<std::tuple<int, qint64, qint64>> calls;
        Store::OpenOptions options;
        options.upgradeProgress = [&](int format, qint64 done, qint64 total) {
            calls.emplace_back(format, done, total);
            return true;
        };
        auto store = Store::open(file, options);
        QVERIFY2(store, qPrintable(store ? QString() : store.error().toString()));
        QCOMPARE(scalar(file, "PRAGMA user_version"), SqliteStore::SchemaVersion);
        std::vector<qint64> chaining;
        for (const auto &[format, done, total] : calls)
            if (format == 4) {
                QCOMPARE(total, qint64(Records));
                chaining.push_back(done);
            }
        // 0, then one call per page of 512, ending at all of them.
        QCOMPARE(chaining.size(), size_t(1 + (Records + 511) / 512));
        QCOMPARE(chaining.front(), qint64(0));
        QCOMPARE(chaining.back(), qint64(Records));
        QVERIFY(std::is_sorted(chaining.begin(), chaining.end()));
        QVERIFY(std::adjacent_find(chaining.begin(), chaining.end()) == chaining.end());
        // The step to format 5 as 0 and 1 of 1, after the chain.
        QCOMPARE(calls.back(), std::make_tuple(5, qint64(1), qint64(1)));
        auto report = (*store)->verify();
        QVERIFY(report);
        QVERIFY(report->ok());
        QCOMPARE(report->records.length, qint64(Records));
    }

    void aCancelledUpgradeLeavesTheStoreUnchanged()
    {
        const QString file = path("upgrade-cancel.sqlite");
        constexpr int Records = 2000;
        makeFormat3Store(file, Records);
        qint64 seen = 0;
        Store::OpenOptions options;
        options.upgradeProgress = [&](int format, qint64 done, qint64) {
            seen = done;
            return !(format == 4 && done >= 1024); // cancels after two pages
        };
        auto cancelled = Store::open(file, options);
        QVERIFY(!cancelled);
        QVERIFY2(cancelled.error().message.contains(u"upgrade cancelled, the store is unchanged"),
                 qPrintable(cancelled.error().toString()));
        QCOMPARE(seen, qint64(1024));
        QCOMPARE(scalar(file, "PRAGMA user_version"), 3);
        QCOMPARE(scalar(file, "SELECT count(*) FROM sqlite_schema WHERE name = 'chain_heads'"), 0);
        // A read-only open still refuses it (it needs the upgrade); a plain open upgrades it.
        QVERIFY(!Store::open(file, Store::Access::ReadOnly));
        auto store = Store::open(file);
        QVERIFY2(store, qPrintable(store ? QString() : store.error().toString()));
        QCOMPARE(scalar(file, "PRAGMA user_version"), SqliteStore::SchemaVersion);
        auto count = (*store)->count(FilterExpr{});
        QVERIFY(count);
        QCOMPARE(*count, qint64(Records));
    }

    void indexedLookupsUseIndexes_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("index");
        QTest::newRow("time range") << "SELECT id FROM interactions WHERE ts > 0 ORDER BY ts"
                                    << "interactions_ts";
        QTest::newRow("user") << "SELECT id FROM interactions WHERE user_id = 'u'"
                              << "interactions_user";
        QTest::newRow("session") << "SELECT id FROM interactions WHERE session_id = 's'"
                                 << "interactions_session";
        QTest::newRow("model") << "SELECT id FROM interactions WHERE model = 'm'"
                               << "interactions_model";
        QTest::newRow("id") << "SELECT id FROM interactions WHERE interaction_id = 'x'"
                            << "sqlite_autoindex_interactions_1";
    }

    void indexedLookupsUseIndexes()
    {
        QFETCH(QString, sql);
        QFETCH(QString, index);
        const QString file = path("plan.sqlite");
        QVERIFY(Store::open(file));
        sqlite3 *db = nullptr;
        sqlite3_open(file.toUtf8().constData(), &db);
        sqlite3_stmt *stmt = nullptr;
        const QByteArray plan = "EXPLAIN QUERY PLAN " + sql.toUtf8();
        QCOMPARE(sqlite3_prepare_v2(db, plan.constData(), -1, &stmt, nullptr), SQLITE_OK);
        QString details;
        while (sqlite3_step(stmt) == SQLITE_ROW)
            details +=
                QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 3))) +
                u'\n';
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        QVERIFY2(details.contains(index), qPrintable(details));
    }

    void refusesWhatIsNotAStore()
    {
        const QString file = path("not-a-store.sqlite");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        auto store = Store::open(file);
        QVERIFY(!store);
        QVERIFY2(store.error().message.contains(u"not a store"),
                 qPrintable(store.error().toString()));
        QCOMPARE(QFileInfo(file).size(), 8192); // and it is left as it was

        auto missing = Store::open(path("missing.sqlite"), Store::Access::ReadOnly);
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(u"no store here"));
        QVERIFY(!QFileInfo::exists(path("missing.sqlite")));

        auto directory = Store::open(m_dir.path());
        QVERIFY(!directory);
        QVERIFY(directory.error().message.contains(u"directory"));
    }

    void refusesAStoreFromANewerVersion()
    {
        const QString file = path("newer.sqlite");
        QVERIFY(Store::open(file));
        sqlite3 *db = nullptr;
        sqlite3_open(file.toUtf8().constData(), &db);
        sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        auto store = Store::open(file);
        QVERIFY(!store);
        QVERIFY2(store.error().message.contains(u"newer version"),
                 qPrintable(store.error().toString()));
    }

    void aLockedStoreSaysSo()
    {
        const QString file = path("locked.sqlite");
        QVERIFY(Store::open(file));
        sqlite3 *db = nullptr;
        sqlite3_open(file.toUtf8().constData(), &db);
        QCOMPARE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
        auto store = Store::open(file);
        if (store) { // opening may succeed in WAL mode; writing cannot
            std::vector<IncomingRecord> records{incoming(record("l-1"))};
            QSqlDatabase::database(); // keep the linker honest about Qt Sql
            auto written = (*store)->write(records, {});
            QVERIFY(!written);
            QVERIFY2(written.error().message.contains(u"busy"),
                     qPrintable(written.error().toString()));
        } else {
            QVERIFY2(store.error().message.contains(u"busy"), qPrintable(store.error().toString()));
        }
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }

    // A long run of commits (an import, the collector) leaves the checkpoints to a thread of
    // its own: the database file grows while the writer writes only to the WAL, and closing the
    // store still leaves no WAL behind.
    void bulkWritesAreCheckpointedOnAThreadOfTheirOwn()
    {
        const QString file = path("bulk.sqlite");
        {
            auto store = Store::open(file);
            QVERIFY(store);
            (*store)->tuneForBulkWrites(); // the writer itself would not before 256 MiB
            const qint64 before = QFileInfo(file).size();
            for (int batch = 0; batch < 40; ++batch) {
                std::vector<IncomingRecord> records;
                for (int i = 0; i < 25; ++i)
                    records.push_back(incoming(record("bulk-" + std::to_string(batch * 25 + i),
                                                      std::string(2000, 'a' + batch % 26))));
                QVERIFY((*store)->write(records, {}));
            }
            QVERIFY(QFileInfo::exists(file + u"-wal"_qs));
            QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(file).size() > before + 1024 * 1024, 10000);
            QCOMPARE((*store)->stats()->interactions, 1000);
        }
        QVERIFY(!QFileInfo::exists(file + u"-wal"_qs));
        auto reopened = Store::open(file);
        QVERIFY(reopened);
        QCOMPARE((*reopened)->stats()->interactions, 1000);
    }

    // The checkpointer restarts the WAL past 128 MiB, which needs every reader out of it. A
    // reader that stays (the window running a long query) must not hold up the writer: with the
    // write lock held while waiting for it, writes failed as "busy" after 5 s.
    void aLongReadDoesNotStopBulkWrites()
    {
        const QString file = path("longread.sqlite");
        auto store = Store::open(file);
        QVERIFY(store);
        (*store)->tuneForBulkWrites();
        sqlite3 *reader = nullptr;
        QCOMPARE(sqlite3_open(file.toUtf8().constData(), &reader), SQLITE_OK);
        const auto close = qScopeGuard([&] { sqlite3_close(reader); });
        QCOMPARE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM interactions", nullptr, nullptr,
                              nullptr),
                 SQLITE_OK); // a read transaction, held from here on

        // Words that do not compress away, so that the WAL grows fast.
        std::mt19937 random(7);
        auto text = [&] {
            std::string words;
            while (words.size() < 8000)
                words += "w" + std::to_string(random() % 100000) + ' ';
            return words;
        };
        int written = 0;
        auto writeBatch = [&] {
            std::vector<IncomingRecord> records;
            for (int i = 0; i < 200; ++i)
                records.push_back(incoming(record("lr-" + std::to_string(written++), text())));
            return (*store)->write(records, {}).has_value();
        };
        const QString wal = file + u"-wal"_qs;
        while (QFileInfo(wal).size() < 160 * 1024 * 1024)
            QVERIFY2(writeBatch(), "a write failed before the WAL reached the restart point");
        QElapsedTimer held;
        held.start();
        while (held.elapsed() < 6000) // past the writer's 5 s busy timeout
            QVERIFY2(writeBatch(),
                     qPrintable(u"a write failed after %1 ms"_qs.arg(held.elapsed())));
        QCOMPARE((*store)->stats()->interactions, qint64(written));
    }

    void aFailedWriteLeavesNothingBehind()
    {
        const QString file = path("atomic.sqlite");
        auto store = Store::open(file);
        QVERIFY(store);
        // A trigger makes the third insert fail: the two before it must not stay.
        sqlite3 *db = nullptr;
        sqlite3_open(file.toUtf8().constData(), &db);
        QCOMPARE(
            sqlite3_exec(db,
                         "CREATE TRIGGER refuse BEFORE INSERT ON interactions WHEN "
                         "NEW.interaction_id = 'x-3' BEGIN SELECT RAISE(ABORT, 'refused'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
        sqlite3_close(db);
        std::vector<IncomingRecord> records{incoming(record("x-1")), incoming(record("x-2")),
                                            incoming(record("x-3"))};
        auto written = (*store)->write(records, {});
        QVERIFY(!written);
        QVERIFY(written.error().message.contains(u"test.jsonl:1"));
        QCOMPARE((*store)->stats()->interactions, 0);
    }

    void findsOneInteractionById()
    {
        auto store = Store::open(path("byid.sqlite"));
        QVERIFY(store);
        std::vector<IncomingRecord> records{
            incoming(record("id-1")), incoming(record("id-2", "Another prompt"), "b.jsonl:2")};
        QVERIFY((*store)->write(records, {}));
        auto found = (*store)->interaction("id-2");
        QVERIFY(found);
        QVERIFY(found->has_value());
        QVERIFY(json::parse((*found)->document) == record("id-2", "Another prompt"));
        QCOMPARE((*found)->source, std::string("b.jsonl:2"));
        QVERIFY((*found)->rowId > 0);
        for (const char *absent : {"id-3", "", "id-1' OR '1'='1", "ID-1"}) {
            auto missing = (*store)->interaction(absent);
            QVERIFY(missing);
            QVERIFY2(!missing->has_value(), absent);
        }
    }

    void exportRoundTrips()
    {
        const QString file = path("export.sqlite");
        auto store = Store::open(file);
        QVERIFY(store);
        json odd = record(
            "e-1",
            "=HYPERLINK(\"http://example.invalid\") and a \"quote\", a comma\nand a newline");
        odd["x_unknown"] = {{"kept", true}, {"n", 1.5}};
        std::vector<IncomingRecord> records{incoming(odd), incoming(record("e-2"))};
        QVERIFY((*store)->write(records, {}));

        QBuffer jsonl;
        jsonl.open(QIODevice::WriteOnly);
        QCOMPARE(exportInteractions(**store, ExportFormat::Jsonl, jsonl).value_or(-1), 2);
        const QList<QByteArray> lines = jsonl.data().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY(json::parse(lines[0].toStdString()) == odd); // unknown fields too

        QBuffer csv;
        csv.open(QIODevice::WriteOnly);
        QCOMPARE(exportInteractions(**store, ExportFormat::Csv, csv).value_or(-1), 2);
        const QByteArray text = csv.data();
        QVERIFY(text.startsWith("interaction_id,timestamp,"));
        // Formula text is neutralised, quotes doubled, the newline kept inside quotes.
        QVERIFY2(text.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\") and a \"\"quote\"\", "
                               "a comma\nand a newline\""),
                 text.constData());
        QCOMPARE(QString::fromStdString(csvField("-5", false)), QStringLiteral("-5"));
        QCOMPARE(QString::fromStdString(csvField("@SUM(A1)")), QStringLiteral("'@SUM(A1)"));
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
