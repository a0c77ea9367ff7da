// Review state, notes, the activity log and the integrity chains: round trips through a real
// store, tampering with the SQLite file behind the store's back (each kind is detected and
// named), and the upgrade of a format-2 store.

#include "importer.h"
#include "integritychain.h"
#include "redactionpolicy.h"
#include "sqlitestore.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace llmaudit;
using nlohmann::json;

namespace {

json record(const std::string &id, bool flagged = false)
{
    return {{"interaction_id", id},
            {"timestamp", "2026-01-05T10:00:00Z"},
            {"user_id", "u-1"},
            {"session_id", "s-1"},
            {"request", {{"prompt", "What is the refund policy for " + id + "?"}}},
            {"response", {{"content", "Within 30 days."}, {"finish_reason", "stop"}}},
            {"metrics", {{"latency_ms", 1200}, {"total_tokens", 90}}},
            {"evaluation", {{"flagged", flagged}}}};
}

IncomingRecord incoming(const json &document)
{
    auto decoded = decodeDocument(document);
    if (!decoded)
        qFatal("test record invalid");
    return {std::move(*decoded), "test.jsonl:1", {}, {}};
}

// Runs SQL on the store file through a connection of its own, as someone tampering would.
void tamper(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
    // The store's triggers name its SQL function: a stand-in that passes the text through.
    sqlite3_create_function(
        db, "llmaudit_json", 1, SQLITE_UTF8, nullptr,
        [](sqlite3_context *c, int, sqlite3_value **v) { sqlite3_result_value(c, v[0]); }, nullptr,
        nullptr);
    char *message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    const QString error = QString::fromUtf8(message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, qPrintable(error));
}

} // namespace

class TestReview : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_count = 0;

    // A store with records i-1 .. i-n, stored in that order.
    std::unique_ptr<SqliteStore> storeWith(int n, QString *pathOut = nullptr)
    {
        const QString path = m_dir.filePath(QStringLiteral("s%1.sqlite").arg(++m_count));
        auto store = SqliteStore::open(path, Store::Access::ReadWrite);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        std::vector<IncomingRecord> records;
        for (int i = 1; i <= n; ++i)
            records.push_back(incoming(record("i-" + std::to_string(i), i == 3)));
        if (!(*store)->write(records, {}))
            qFatal("write failed");
        if (pathOut)
            *pathOut = path;
        return std::move(*store);
    }

    static qint64 rowIdOf(Store &store, const std::string &id)
    {
        auto found = store.interaction(id);
        return found && *found ? (*found)->rowId : -1;
    }

    static ChainProblem problemOf(Store &store)
    {
        auto report = store.verify();
        if (!report)
            qFatal("verify failed: %s", qPrintable(report.error().toString()));
        if (report->ok())
            return ChainProblem{ChainName::Records, ChainProblem::Kind::Changed, -1, 0, {}, "OK"};
        return *report->problem;
    }

private Q_SLOTS:
    void reviewRoundTrip()
    {
        auto store = storeWith(3);
        const qint64 a = rowIdOf(*store, "i-1");
        const qint64 b = rowIdOf(*store, "i-2");
        auto state = store->reviewOf(a);
        QVERIFY(state);
        QCOMPARE(int(state->status), int(ReviewStatus::Unreviewed));
        QCOMPARE(state->updatedMs, 0);

        const qint64 both[] = {a, b, 999999}; // an unknown row is skipped
        auto changed = store->setReview(
            both, {ReviewStatus::Issue, std::string("leaks an e-mail address"), false, "alice"});
        QVERIFY2(changed, changed ? "" : qPrintable(changed.error().toString()));
        QCOMPARE(*changed, 2);
        for (qint64 id : {a, b}) {
            state = store->reviewOf(id);
            QCOMPARE(int(state->status), int(ReviewStatus::Issue));
            QVERIFY(state->flagged);
            QCOMPARE(state->flagReason, "leaks an e-mail address");
            QCOMPARE(state->reviewer, "alice");
            QVERIFY(state->updatedMs > 0);
        }
        // A status alone keeps the flag; unflag alone keeps the status.
        QVERIFY(store->setReview(std::span(&a, 1), {ReviewStatus::Escalated, {}, false, "bob"}));
        state = store->reviewOf(a);
        QCOMPARE(int(state->status), int(ReviewStatus::Escalated));
        QVERIFY(state->flagged);
        QCOMPARE(state->reviewer, "bob");
        QVERIFY(store->setReview(std::span(&a, 1), {{}, {}, true, "bob"}));
        state = store->reviewOf(a);
        QCOMPARE(int(state->status), int(ReviewStatus::Escalated));
        QVERIFY(!state->flagged);
        QVERIFY(state->flagReason.empty());

        // The table's rows carry the state.
        const qint64 ids[] = {a, b};
        auto rows = store->rows(ids);
        QVERIFY(rows);
        QCOMPARE(rows->size(), 2u);
        for (const auto &row : *rows) {
            QCOMPARE(int(row.reviewStatus),
                     int(row.rowId == a ? ReviewStatus::Escalated : ReviewStatus::Issue));
            QCOMPARE(row.reviewFlagged, row.rowId == b);
        }
        // Refused: nothing to change, no reviewer.
        QVERIFY(!store->setReview(std::span(&a, 1), {{}, {}, false, "bob"}));
        QVERIFY(!store->setReview(std::span(&a, 1), {ReviewStatus::Approved, {}, false, ""}));
    }

    void notesRoundTrip()
    {
        auto store = storeWith(2);
        const qint64 a = rowIdOf(*store, "i-1");
        const qint64 b = rowIdOf(*store, "i-2");
        const qint64 both[] = {a, b};
        QCOMPARE(*store->addNote(both, "alice", "Asked legal to look at this."), 2);
        QCOMPARE(*store->addNote(std::span(&a, 1), "bob", "Legal says: fine.\nClosing."), 1);
        auto notes = store->notes(a);
        QVERIFY(notes);
        QCOMPARE(notes->size(), 2u);
        QCOMPARE((*notes)[0].author, "alice");
        QCOMPARE((*notes)[0].text, "Asked legal to look at this.");
        QCOMPARE((*notes)[1].author, "bob");
        QCOMPARE((*notes)[1].text, "Legal says: fine.\nClosing.");
        QVERIFY((*notes)[0].timeMs > 0);
        QCOMPARE(store->notes(b)->size(), 1u);
        QVERIFY(!store->addNote(both, "alice", "   ")); // empty
        QVERIFY(!store->addNote(both, "", "text"));     // nobody
    }

    void activityRoundTrip()
    {
        QString path;
        auto store = storeWith(2, &path);
        const qint64 a = rowIdOf(*store, "i-1");
        QVERIFY(store->setReview(std::span(&a, 1), {ReviewStatus::Approved, {}, false, "alice"}));
        ActivityEntry exported;
        exported.actor = "carol";
        exported.kind = ActivityKind::Export;
        exported.what = "exported JSONL to audit.jsonl";
        exported.filter = "flagged and latency > 2s";
        exported.count = 17;
        exported.timeMs = 1'000; // long ago
        QVERIFY(store->logActivity(exported));

        auto all = store->activity({});
        QVERIFY(all);
        QCOMPARE(all->size(), 2u);
        QCOMPARE(int(all->front().kind), int(ActivityKind::Export)); // oldest first
        QCOMPARE(all->front().actor, "carol");
        QCOMPARE(all->front().filter, "flagged and latency > 2s");
        QCOMPARE(all->front().count, 17);
        QCOMPARE(int(all->back().kind), int(ActivityKind::Review));
        QCOMPARE(all->back().actor, "alice");
        QCOMPARE(all->back().what, "status approved");
        QCOMPARE(all->back().interactionIds, std::vector<std::string>{"i-1"});

        ActivityQuery reviews;
        reviews.kinds = {ActivityKind::Review};
        QCOMPARE(store->activity(reviews)->size(), 1u);
        ActivityQuery old;
        old.untilMs = 2'000;
        QCOMPARE(store->activity(old)->size(), 1u);
        QCOMPARE(int(store->activity(old)->front().kind), int(ActivityKind::Export));
        ActivityQuery recent;
        recent.fromMs = 2'000;
        recent.kinds = {ActivityKind::Export, ActivityKind::Import};
        QCOMPARE(store->activity(recent)->size(), 0u);

        // The importer logs what it imported.
        const QString file = m_dir.filePath(QStringLiteral("more.jsonl"));
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray::fromStdString(record("i-9").dump() + "\n"));
        out.close();
        Importer importer(*store);
        importer.setActor("dave");
        QVERIFY(importer.importFiles({file}).complete());
        ActivityQuery imports;
        imports.kinds = {ActivityKind::Import};
        auto logged = store->activity(imports);
        QCOMPARE(logged->size(), 1u);
        QCOMPARE(logged->front().actor, "dave");
        QCOMPARE(logged->front().count, 1);
        QVERIFY(logged->front().what.find("more.jsonl") != std::string::npos);
        // ... and which records: i-9 came after the two of storeWith().
        QVERIFY2(logged->front().what.ends_with("; chain links 3"), logged->front().what.c_str());

        // Several files in one import, stored in runs that meet: one run.
        QStringList files;
        for (int f = 0; f < 2; ++f) {
            files << m_dir.filePath(QStringLiteral("batch%1.jsonl").arg(f));
            QFile batch(files.back());
            QVERIFY(batch.open(QIODevice::WriteOnly));
            for (int i = 0; i < 3; ++i)
                batch.write(QByteArray::fromStdString(
                    record("b-" + std::to_string(f) + "-" + std::to_string(i)).dump() + "\n"));
        }
        QVERIFY(importer.importFiles(files).complete());
        logged = store->activity(imports);
        QCOMPARE(logged->size(), 2u);
        QVERIFY2(logged->back().what.ends_with("; chain links 4-9"), logged->back().what.c_str());
    }

    // The chain as docs/integrity.md describes it: link 1 computed here from the document alone.
    void chainFollowsTheDocumentedFormula()
    {
        auto store = storeWith(3);
        auto report = store->verify();
        QVERIFY(report);
        QVERIFY(report->ok());
        QCOMPARE(report->records.length, 3);
        auto first = store->interaction("i-1");
        const QByteArray digest = QCryptographicHash::hash(
            QByteArray::fromStdString((*first)->document), QCryptographicHash::Sha256);
        QByteArray link = QByteArray(32, '\0');
        for (int position = 1; position <= 3; ++position) {
            auto item = store->interaction("i-" + std::to_string(position));
            const QByteArray d = QCryptographicHash::hash(
                QByteArray::fromStdString((*item)->document), QCryptographicHash::Sha256);
            const QByteArray line =
                QByteArray::number(position) + ' ' + link.toHex() + ' ' + d.toHex() + '\n';
            link = QCryptographicHash::hash(line, QCryptographicHash::Sha256);
        }
        QVERIFY(!digest.isEmpty());
        QCOMPARE(QByteArray::fromStdString(report->records.link), link.toHex());
    }

    void detectsAChangedDocument()
    {
        QString path;
        auto store = storeWith(4, &path);
        QVERIFY(store->verify()->ok());
        // Plain text is a valid stored document (the store reads uncompressed ones too).
        tamper(path, R"(UPDATE interactions SET document = '{"interaction_id":"i-2"}'
                        WHERE interaction_id = 'i-2')");
        const ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.chain), int(ChainName::Records));
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(p.position, 2);
        QCOMPARE(p.interactionId, "i-2");
        QVERIFY2(p.detail.find("changed after it was stored") != std::string::npos,
                 p.detail.c_str());
    }

    // verify reads the chain in pages and checks each page's records on a pool while it reads
    // the next: what it reports is still the first problem in chain order, whichever page it
    // lies in.
    void reportsTheFirstProblemAcrossPages()
    {
        QString path;
        auto store = storeWith(2500, &path);
        QVERIFY(store->verify()->ok());
        tamper(path, "UPDATE interactions SET latency_ms = 1 WHERE interaction_id = 'i-2300'");
        ChainProblem p = problemOf(*store);
        QCOMPARE(p.position, 2300);
        QCOMPARE(p.interactionId, "i-2300");
        QVERIFY2(p.detail.find("latency_ms column was altered") != std::string::npos,
                 p.detail.c_str());
        tamper(path, R"(UPDATE interactions SET document = '{"interaction_id":"i-1500"}'
                        WHERE interaction_id = 'i-1500')");
        p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(p.position, 1500);
        QVERIFY2(p.detail.find("changed after it was stored") != std::string::npos,
                 p.detail.c_str());
        tamper(path, "DELETE FROM interactions WHERE interaction_id = 'i-1024'");
        p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.position, 1024);
    }

    void detectsADeletedRecord()
    {
        QString path;
        auto store = storeWith(4, &path);
        tamper(path, "DELETE FROM interactions WHERE interaction_id = 'i-2'");
        ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.position, 2);
        QVERIFY2(p.detail.find("before i-3") != std::string::npos, p.detail.c_str());

        // The newest record: only the recorded head shows it.
        auto other = storeWith(4, &path);
        tamper(path, "DELETE FROM interactions WHERE interaction_id = 'i-4'");
        p = problemOf(*other);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.position, 4);
        QVERIFY2(p.detail.find("newest") != std::string::npos, p.detail.c_str());
    }

    void detectsAnInsertedRecord()
    {
        QString path;
        auto store = storeWith(3, &path);
        tamper(path, R"(INSERT INTO interactions (interaction_id, ts, user_id, session_id,
                        ingested_ms, content_hash, document)
                        VALUES ('forged', 0, 'u-x', 's-x', 0, x'00', '{"interaction_id":"forged"}'))");
        ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Inserted));
        QCOMPARE(p.interactionId, "forged");

        // With a made-up place in the chain, too.
        auto other = storeWith(3, &path);
        tamper(path, R"(INSERT INTO interactions (interaction_id, ts, user_id, session_id,
                        ingested_ms, content_hash, document, chain_seq, chain_link)
                        VALUES ('forged', 0, 'u-x', 's-x', 0, x'00', '{}', 4, zeroblob(32)))");
        p = problemOf(*other);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Inserted));
        QCOMPARE(p.position, 4);
        QCOMPARE(p.interactionId, "forged");
    }

    // Filters, the table, stats and reports read the extracted columns and previews, not the
    // document: an edit there is a change of the record too.
    void detectsAnAlteredColumn_data()
    {
        QTest::addColumn<QByteArray>("set");
        QTest::addColumn<QByteArray>("column");
        QTest::newRow("latency") << QByteArray("latency_ms = 999999") << QByteArray("latency_ms");
        QTest::newRow("user") << QByteArray("user_id = 'forged'") << QByteArray("user_id");
        QTest::newRow("time") << QByteArray("ts = ts + 1") << QByteArray("ts");
        QTest::newRow("tokens gone")
            << QByteArray("total_tokens = NULL") << QByteArray("total_tokens");
        QTest::newRow("tokens added")
            << QByteArray("prompt_tokens = 5") << QByteArray("prompt_tokens");
        QTest::newRow("log flag") << QByteArray("flagged = 1") << QByteArray("flagged");
        QTest::newRow("sensitivity") << QByteArray("sensitivity = 0") << QByteArray("sensitivity");
        QTest::newRow("finish") << QByteArray("finish_reason = 'length'")
                                << QByteArray("finish_reason");
        QTest::newRow("model") << QByteArray("model = 'gpt-forged'") << QByteArray("model");
        QTest::newRow("replay of") << QByteArray("replay_of = 'i-1'") << QByteArray("replay_of");
    }

    void detectsAnAlteredColumn()
    {
        QFETCH(QByteArray, set);
        QFETCH(QByteArray, column);
        QString path;
        auto store = storeWith(4, &path);
        QVERIFY(store->verify()->ok());
        tamper(path, "UPDATE interactions SET " + set + " WHERE interaction_id = 'i-2'");
        const ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.chain), int(ChainName::Records));
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(p.position, 2);
        QCOMPARE(p.interactionId, "i-2");
        QVERIFY2(p.detail.find("its " + column.toStdString() + " column was altered") !=
                     std::string::npos,
                 p.detail.c_str());
    }

    void detectsAnAlteredPreview()
    {
        QString path;
        auto store = storeWith(3, &path);
        tamper(path, "UPDATE interaction_previews SET response = 'All refunds approved.' "
                     "WHERE id = (SELECT id FROM interactions WHERE interaction_id = 'i-3')");
        const ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(p.position, 3);
        QVERIFY2(p.detail.find("response preview column was altered") != std::string::npos &&
                     p.detail.find("All refunds approved.") != std::string::npos &&
                     p.detail.find("Within 30 days.") != std::string::npos,
                 p.detail.c_str());

        // A row without a kept preview (written before format 3) reads it from its document.
        auto other = storeWith(3, &path);
        tamper(path, "DELETE FROM interaction_previews");
        QVERIFY(other->verify()->ok());
    }

    // Review status, flags, holds and notes change only through the store, which logs each
    // change: a row edited, added or deleted by hand no longer matches the log.
    void detectsAlteredReviewState_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("status") << QByteArray("UPDATE reviews SET status = 1")
                                << QByteArray("its review in the store: approved");
        QTest::newRow("flag reason")
            << QByteArray("UPDATE reviews SET flag_reason = 'fine'") << QByteArray("flagged: fine");
        QTest::newRow("review deleted")
            << QByteArray("DELETE FROM reviews") << QByteArray("its review in the store: none");
        QTest::newRow("review added")
            << QByteArray("INSERT INTO reviews (interaction, status, flagged, reviewer, "
                          "updated_ms) SELECT id, 1, 0, 'mallory', 0 FROM interactions "
                          "WHERE interaction_id = 'i-3'")
            << QByteArray("in the activity log: none");
        QTest::newRow("hold released")
            << QByteArray("DELETE FROM holds") << QByteArray("its legal hold in the store: none");
        QTest::newRow("hold reason")
            << QByteArray("UPDATE holds SET reason = 'other'") << QByteArray("legal hold: other");
        QTest::newRow("note deleted")
            << QByteArray("DELETE FROM notes") << QByteArray("its notes in the store: none");
        QTest::newRow("note edited") << QByteArray("UPDATE notes SET text = 'All fine.'")
                                     << QByteArray("note \"All fine.\"");
        QTest::newRow("note added")
            << QByteArray("INSERT INTO notes (interaction, author, created_ms, text) SELECT id, "
                          "'mallory', 0, 'Approved by legal.' FROM interactions "
                          "WHERE interaction_id = 'i-1'")
            << QByteArray("Approved by legal.");
    }

    void detectsAlteredReviewState()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QByteArray, expected);
        QString path;
        auto store = storeWith(3, &path);
        const qint64 a = rowIdOf(*store, "i-1");
        // A flag reason that reads like the words of a hold; a status change that keeps it.
        QVERIFY(store->setReview(
            std::span(&a, 1),
            {ReviewStatus::Issue, std::string("pii; legal hold soon"), false, "alice"}));
        ReviewChange hold;
        hold.status = ReviewStatus::Escalated;
        hold.hold = "case 7";
        hold.reviewer = "bob";
        QVERIFY(store->setReview(std::span(&a, 1), hold));
        QVERIFY(store->addNote(std::span(&a, 1), "carol", "Sent to legal; waiting."));
        auto before = store->verify();
        QVERIFY(before);
        QVERIFY2(before->ok(), before->problem ? before->problem->detail.c_str() : "");

        tamper(path, sql.constData());
        const ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.chain), int(ChainName::Activity));
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QVERIFY2(p.detail.find("altered outside the workbench") != std::string::npos &&
                     p.detail.find(expected.toStdString()) != std::string::npos,
                 p.detail.c_str());
    }

    void detectsTamperedActivity()
    {
        QString path;
        auto store = storeWith(2, &path);
        const qint64 a = rowIdOf(*store, "i-1");
        for (auto status : {ReviewStatus::Issue, ReviewStatus::Approved, ReviewStatus::Escalated})
            QVERIFY(store->setReview(std::span(&a, 1), {status, {}, false, "alice"}));
        QCOMPARE(store->verify()->activity.length, 3);
        tamper(path, "UPDATE activity SET entry = replace(entry, 'alice', 'mallory') "
                     "WHERE chain_seq = 2");
        ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.chain), int(ChainName::Activity));
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(p.position, 2);

        auto other = storeWith(2, &path);
        const qint64 b = rowIdOf(*other, "i-1");
        for (auto status : {ReviewStatus::Issue, ReviewStatus::Approved, ReviewStatus::Escalated})
            QVERIFY(other->setReview(std::span(&b, 1), {status, {}, false, "alice"}));
        tamper(path, "DELETE FROM activity WHERE chain_seq = 1");
        p = problemOf(*other);
        QCOMPARE(int(p.chain), int(ChainName::Activity));
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.position, 1);
    }

    // Only a purge leaves a tombstone: one made up by hand for a deleted record is a deletion.
    void aTombstoneWithoutItsPurgeIsADeletion()
    {
        QString path;
        auto store = storeWith(3, &path);
        tamper(path, R"(INSERT INTO tombstones (chain_seq, interaction_id, content_hash, chain_link,
                        purged_ms, reason)
                        SELECT chain_seq, interaction_id, content_hash, chain_link, 0, 'retention'
                        FROM interactions WHERE interaction_id = 'i-2';
                        DELETE FROM interactions WHERE interaction_id = 'i-2')");
        ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.position, 2);
        QCOMPARE(p.interactionId, "i-2");
        QVERIFY2(p.detail.find("names a purge the activity log does not have") != std::string::npos,
                 p.detail.c_str());
        // A tombstone with another digest breaks the chain itself.
        tamper(path, "UPDATE tombstones SET content_hash = zeroblob(32)");
        QCOMPARE(int(problemOf(*store).kind), int(ChainProblem::Kind::Changed));
        QCOMPARE(problemOf(*store).position, 2);
    }

    // A real purge's tombstones keep the chain; one added under that purge's time is caught by
    // the count the purge logged, one swapped for another by the ids it logged.
    void aTombstoneMustBeOneItsPurgeLogged()
    {
        QString path;
        auto store = storeWith(4, &path);
        const qint64 kept = rowIdOf(*store, "i-4");
        ReviewChange hold;
        hold.hold = "case 7";
        hold.reviewer = "alice";
        QCOMPARE(*store->setReview(std::span(&kept, 1), hold), 1);
        auto retention = RetentionPolicy::fromJson(json::parse(R"({"max_age_days": 30})"));
        QVERIFY(retention);
        const int64_t now =
            QDateTime::fromString(QStringLiteral("2026-06-01T00:00:00Z"), Qt::ISODate)
                .toMSecsSinceEpoch();
        auto purged = store->purge(*retention, now, "carol");
        QVERIFY(purged);
        QCOMPARE(purged->expired.size(), size_t(3));
        auto report = store->verify();
        QVERIFY(report);
        QVERIFY2(report->ok(), report->problem ? report->problem->detail.c_str() : "");
        QCOMPARE(report->records.length, 4);

        const std::string disguise =
            "INSERT INTO tombstones (chain_seq, interaction_id, content_hash, chain_link, "
            "purged_ms, reason) SELECT chain_seq, interaction_id, content_hash, chain_link, " +
            std::to_string(now) +
            ", 'retention' FROM interactions WHERE interaction_id = 'i-4'; "
            "DELETE FROM holds; DELETE FROM interactions WHERE interaction_id = 'i-4'";
        tamper(path, disguise.c_str());
        ChainProblem p = problemOf(*store);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QVERIFY2(p.detail.find("which removed 3") != std::string::npos, p.detail.c_str());

        // The same count: a purged record put back from a copy kept aside, its tombstone
        // removed, and another record deleted under the purge's name in its stead.
        auto other = storeWith(4, &path);
        QCOMPARE(*other->setReview(std::span(&kept, 1), hold), 1);
        tamper(path,
               "CREATE TABLE aside AS SELECT * FROM interactions WHERE interaction_id = 'i-3'");
        QVERIFY(other->purge(*retention, now, "carol"));
        tamper(path, ("INSERT INTO interactions SELECT * FROM aside; DELETE FROM tombstones WHERE "
                      "interaction_id = 'i-3'; " +
                      disguise)
                         .c_str());
        p = problemOf(*other);
        QCOMPARE(int(p.kind), int(ChainProblem::Kind::Missing));
        QCOMPARE(p.interactionId, "i-4");
        QVERIFY2(p.detail.find("not among the ids its purge logged") != std::string::npos,
                 p.detail.c_str());
    }

    // A store written by an earlier version (format 2, 25 sample records) is upgraded: its
    // records are chained in ingest order, as an import into a new store chains them.
    void upgradesAFormat2Store()
    {
        const QString source = QStringLiteral(LLMAUDIT_SOURCE_DIR);
        const QString path = m_dir.filePath(QStringLiteral("format2.sqlite"));
        QVERIFY(QFile::copy(source + QStringLiteral("/tests/data/stores/format2.sqlite"), path));
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
        auto store = SqliteStore::open(path, Store::Access::ReadWrite);
        QVERIFY2(store, store ? "" : qPrintable(store.error().toString()));
        auto report = (*store)->verify();
        QVERIFY(report);
        QVERIFY(report->ok());
        QCOMPARE(report->records.length, 25);
        QCOMPARE(report->activity.length, 0);

        // The same 25 records imported into a new store give the same chain head.
        const QString lines = m_dir.filePath(QStringLiteral("first25.jsonl"));
        QFile in(source + QStringLiteral("/resources/samples/sample-interactions.jsonl"));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QFile out(lines);
        QVERIFY(out.open(QIODevice::WriteOnly));
        for (int i = 0; i < 25; ++i)
            out.write(in.readLine());
        out.close();
        auto fresh = SqliteStore::open(m_dir.filePath(QStringLiteral("fresh.sqlite")),
                                       Store::Access::ReadWrite);
        QVERIFY(fresh);
        Importer importer(**fresh);
        QVERIFY(importer.importFiles({lines}).complete());
        auto freshReport = (*fresh)->verify();
        QVERIFY(freshReport && freshReport->ok());
        QCOMPARE(freshReport->records.link, report->records.link);

        // The upgraded store takes reviews and goes on chaining.
        const qint64 one =
            (*(*store)->rowIds(FilterExpr{}, {SortColumn::Ingested, Qt::AscendingOrder}))[0];
        QVERIFY((*store)->setReview(std::span(&one, 1), {ReviewStatus::Issue, {}, false, "eve"}));
        std::vector<IncomingRecord> more{incoming(record("after-upgrade"))};
        QVERIFY((*store)->write(more, {}));
        report = (*store)->verify();
        QVERIFY(report->ok());
        QCOMPARE(report->records.length, 26);
        QCOMPARE(report->activity.length, 1);
    }
};

QTEST_GUILESS_MAIN(TestReview)
#include "tst_review.moc"
