// Retention and legal hold on a real store: the policy file's retention settings (and their
// errors), what expires, purge with and without holds (tombstones keep the chain verifying, the
// full-text index stays consistent, one activity entry), and backups taken while another
// connection keeps writing.

#include "backup.h"
#include "redactionpolicy.h"
#include "redactor.h"
#include "sqlitestore.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace llmaudit;
using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

constexpr int64_t Day = 86'400'000;
// "Now" for the tests: 2026-03-01T00:00:00Z.
constexpr int64_t Now = 1'772'323'200'000;

json record(const std::string &id, int64_t timeMs, const char *sensitivity)
{
    json r = {
        {"interaction_id", id},
        {"timestamp",
         QDateTime::fromMSecsSinceEpoch(timeMs, Qt::UTC).toString(Qt::ISODateWithMs).toStdString()},
        {"user_id", "u-1"},
        {"session_id", "s-1"},
        {"request", {{"prompt", "Where is parcel " + id + "?"}}},
        {"response", {{"content", "On its way: " + id}, {"finish_reason", "stop"}}}};
    if (sensitivity)
        r["security"] = {{"sensitivity_level", sensitivity}};
    return r;
}

IncomingRecord incoming(const json &document)
{
    auto decoded = decodeDocument(document);
    if (!decoded)
        qFatal("test record invalid: %s", document.dump().c_str());
    return {std::move(*decoded), "test.jsonl:1", {}, {}};
}

std::vector<std::string> idsOf(const std::vector<ExpiredInteraction> &list)
{
    std::vector<std::string> ids;
    for (const auto &item : list)
        ids.push_back(item.interactionId);
    return ids;
}

QStringList qIds(const std::vector<ExpiredInteraction> &list)
{
    QStringList ids;
    for (const auto &id : idsOf(list))
        ids << QString::fromStdString(id);
    return ids;
}

} // namespace

class TestRetention : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_count = 0;

    QString newPath() { return m_dir.filePath(u"r%1.sqlite"_s.arg(++m_count)); }

    // restricted: 40 days old (r-old) and 10 days old (r-new); confidential 100 days (c-old);
    // none 400 days (n-old) and 5 days (n-new); public 1000 days (p-old).
    std::unique_ptr<SqliteStore> storeWithAges(QString *pathOut = nullptr)
    {
        const QString path = newPath();
        auto store = SqliteStore::open(path, Store::Access::ReadWrite);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        std::vector<IncomingRecord> records;
        records.push_back(incoming(record("r-old", Now - 40 * Day, "restricted")));
        records.push_back(incoming(record("r-new", Now - 10 * Day, "restricted")));
        records.push_back(incoming(record("c-old", Now - 100 * Day, "confidential")));
        records.push_back(incoming(record("n-old", Now - 400 * Day, nullptr)));
        records.push_back(incoming(record("n-new", Now - 5 * Day, nullptr)));
        records.push_back(incoming(record("p-old", Now - 1000 * Day, "public")));
        if (!(*store)->write(records, {}))
            qFatal("write failed");
        if (pathOut)
            *pathOut = path;
        return std::move(*store);
    }

    static RetentionPolicy policy(const char *text)
    {
        auto parsed = RetentionPolicy::fromJson(json::parse(text));
        if (!parsed)
            qFatal("%s", qPrintable(parsed.error().toString()));
        return *parsed;
    }

    static qint64 rowIdOf(Store &store, const std::string &id)
    {
        auto found = store.interaction(id);
        return found && *found ? (*found)->rowId : -1;
    }

private Q_SLOTS:
    void parsesRetention_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");      // "where: message" fragment; empty: valid
        QTest::addColumn<QString>("restricted"); // days for restricted records
        QTest::addColumn<QString>("unlabelled"); // days for records without a level

        QTest::newRow("default only")
            << uR"({"max_age_days": 365})"_s << u""_s << u"365"_s << u"365"_s;
        QTest::newRow("level over default")
            << uR"({"max_age_days": 365, "sensitivity": {"restricted": 30}})"_s << u""_s << u"30"_s
            << u"365"_s;
        QTest::newRow("forever default")
            << uR"({"max_age_days": "forever", "sensitivity": {"restricted": 30}})"_s << u""_s
            << u"30"_s << u"forever"_s;
        QTest::newRow("level kept forever")
            << uR"({"max_age_days": 90, "sensitivity": {"restricted": "forever"}})"_s << u""_s
            << u"forever"_s << u"90"_s;
        QTest::newRow("empty") << u"{}"_s << u""_s << u"forever"_s << u"forever"_s;
        QTest::newRow("zero days")
            << uR"({"max_age_days": 0})"_s
            << u"/retention/max_age_days: expected a number of days"_s << u""_s << u""_s;
        QTest::newRow("negative") << uR"({"sensitivity": {"restricted": -3}})"_s
                                  << u"/retention/sensitivity/restricted: expected a number"_s
                                  << u""_s << u""_s;
        QTest::newRow("fraction") << uR"({"max_age_days": 1.5})"_s
                                  << u"/retention/max_age_days: expected"_s << u""_s << u""_s;
        QTest::newRow("text days") << uR"({"max_age_days": "30"})"_s
                                   << u"/retention/max_age_days: expected"_s << u""_s << u""_s;
        QTest::newRow("too many") << uR"({"max_age_days": 36501})"_s
                                  << "/retention/max_age_days: expected a number of days (1 to "
                                     u"36500)"_s
                                  << u""_s << u""_s;
        QTest::newRow("unknown level")
            << uR"({"sensitivity": {"secret": 30}})"_s
            << u"/retention/sensitivity/secret: unknown sensitivity"_s << u""_s << u""_s;
        QTest::newRow("levels not an object")
            << uR"({"sensitivity": [30]})"_s << u"/retention/sensitivity: expected an object"_s
            << u""_s << u""_s;
        QTest::newRow("misspelt key")
            << uR"({"max_age": 30})"_s << u"/retention/max_age: unknown retention setting"_s
            << u""_s << u""_s;
        QTest::newRow("not an object")
            << u"30"_s << u"/retention: expected an object"_s << u""_s << u""_s;
    }

    void parsesRetention()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        QFETCH(QString, restricted);
        QFETCH(QString, unlabelled);
        // Inside a whole policy file, as the store keeps it: errors name the file and the key.
        const QString path = m_dir.filePath(u"policy-%1.json"_s.arg(++m_count));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"redact": false, "retention": )" + text.toUtf8() + "}");
        file.close();
        auto loaded = RedactionPolicy::load(path);
        if (!error.isEmpty()) {
            QVERIFY(!loaded);
            const QString message = loaded.error().toString();
            QVERIFY2(message.startsWith(path + u":/retention"_s), qPrintable(message));
            QVERIFY2(message.contains(error), qPrintable(message));
            return;
        }
        QVERIFY2(loaded, loaded ? "" : qPrintable(loaded.error().toString()));
        QVERIFY(!loaded->redact);
        const RetentionPolicy &r = loaded->retention;
        QCOMPARE(RetentionPolicy::daysText(r.daysFor(Sensitivity::Restricted)), restricted);
        QCOMPARE(RetentionPolicy::daysText(r.daysFor(std::nullopt)), unlabelled);
        // Written and read again: the same settings.
        QVERIFY(loaded->save(path));
        auto again = RedactionPolicy::load(path);
        QVERIFY(again);
        QVERIFY(*again == *loaded);
    }

    // A file with retention settings only redacts nothing; the redaction keys still work beside
    // the retention ones.
    void retentionOnlyFileDoesNotRedact()
    {
        const QString store = newPath();
        RedactionPolicy settings;
        settings.redact = false;
        settings.retention.maxAgeDays = 30;
        QVERIFY(saveStorePolicy(store, settings));
        auto redactor = storeRedactor(store);
        QVERIFY(redactor);
        QVERIFY(!*redactor);
        settings.redact = true;
        QVERIFY(saveStorePolicy(store, settings));
        redactor = storeRedactor(store);
        QVERIFY(redactor && *redactor);
        QCOMPARE((*redactor)->policy().retention.maxAgeDays, std::optional<int>(30));
    }

    void listsWhatExpired()
    {
        auto store = storeWithAges();
        auto plan = store->expired(
            policy(
                R"({"max_age_days": 365, "sensitivity": {"restricted": 30, "public": "forever"}})"),
            Now);
        QVERIFY(plan);
        QCOMPARE(qIds(plan->expired), (QStringList{u"r-old"_s, u"n-old"_s}));
        QVERIFY(plan->held.empty());
        // Nothing expires under an empty policy; a dry run changes nothing.
        plan = store->expired(RetentionPolicy{}, Now);
        QVERIFY(plan && plan->expired.empty());
        QCOMPARE(*store->count(FilterExpr{}), 6);
    }

    // The dry run lists exactly what the purge then removes; held interactions are skipped and
    // counted; the chain still verifies; the full-text index, reviews and notes follow.
    void purgeSkipsHeldAndVerifies()
    {
        auto store = storeWithAges();
        const RetentionPolicy retention =
            policy(R"({"max_age_days": 90, "sensitivity": {"restricted": 30}})");
        const qint64 held = rowIdOf(*store, "c-old");
        const qint64 noted = rowIdOf(*store, "r-old");
        ReviewChange hold;
        hold.hold = "litigation 2026-7";
        hold.reviewer = "alice";
        QCOMPARE(*store->setReview(std::span(&held, 1), hold), 1);
        QVERIFY(store->addNote(std::span(&noted, 1), "bob", "asked for the address"));
        QVERIFY(store->setReview(std::span(&noted, 1),
                                 {ReviewStatus::Issue, std::string("pii"), false, "bob"}));
        auto state = store->reviewOf(held);
        QVERIFY(state && state->held);
        QCOMPARE(state->holdReason, "litigation 2026-7");
        QCOMPARE(state->heldBy, "alice");

        auto dry = store->expired(retention, Now);
        QVERIFY(dry);
        QCOMPARE(qIds(dry->expired), (QStringList{u"r-old"_s, u"n-old"_s, u"p-old"_s}));
        QCOMPARE(qIds(dry->held), QStringList{u"c-old"_s});
        auto counts = store->countExpired(retention, Now);
        QVERIFY(counts);
        QCOMPARE(*counts, std::pair(qint64(3), qint64(1)));

        auto purged = store->purge(retention, Now, "carol");
        QVERIFY2(purged, purged ? "" : qPrintable(purged.error().toString()));
        QCOMPARE(qIds(purged->expired), qIds(dry->expired));
        QCOMPARE(purged->held.size(), size_t(1));
        QVERIFY(purged->activityId > 0);

        for (const char *gone : {"r-old", "n-old", "p-old"})
            QCOMPARE(rowIdOf(*store, gone), -1);
        for (const char *kept : {"r-new", "c-old", "n-new"})
            QVERIFY(rowIdOf(*store, kept) > 0);
        QCOMPARE(*store->count(FilterExpr{}), 3);
        auto notes = store->notes(noted);
        QVERIFY(notes && notes->empty());
        QCOMPARE(int(store->reviewOf(noted)->status), int(ReviewStatus::Unreviewed));
        QVERIFY2(store->checkIntegrity(), "the full-text index no longer matches the documents");
        auto report = store->verify();
        QVERIFY(report);
        QVERIFY2(report->ok(), report->ok() ? "" : report->problem->detail.c_str());
        QCOMPARE(report->records.length, 6); // the chain keeps its length: three tombstones

        // One activity entry: who, when, how many, which ids, and the digest of the ids.
        ActivityQuery query;
        query.kinds = {ActivityKind::Purge};
        auto entries = store->activity(query);
        QVERIFY(entries);
        QCOMPARE(entries->size(), size_t(1));
        const ActivityEntry &e = entries->front();
        QCOMPARE(e.actor, "carol");
        QCOMPARE(e.timeMs, Now);
        QCOMPARE(e.count, std::optional<qint64>(3));
        QCOMPARE(e.interactionIds, idsOf(purged->expired));
        QVERIFY2(e.what.find("1 kept on legal hold") != std::string::npos, e.what.c_str());
        const std::string digest = toHex(sha256("r-old\nn-old\np-old\n"));
        QVERIFY2(e.what.find(digest) != std::string::npos, e.what.c_str());

        // A second purge finds nothing new and logs nothing.
        auto again = store->purge(retention, Now, "carol");
        QVERIFY(again && again->expired.empty() && again->activityId == 0);
        QCOMPARE(store->activity(query)->size(), size_t(1));

        // Released, the held interaction goes with the next purge; the store keeps chaining.
        ReviewChange release;
        release.release = true;
        release.reviewer = "alice";
        QCOMPARE(*store->setReview(std::span(&held, 1), release), 1);
        QVERIFY(!store->reviewOf(held)->held);
        QCOMPARE(*store->setReview(std::span(&held, 1), release), 0); // nothing left to release
        auto later = store->purge(retention, Now, "carol");
        QVERIFY(later);
        QCOMPARE(qIds(later->expired), QStringList{u"c-old"_s});
        std::vector<IncomingRecord> more{incoming(record("after", Now, "internal"))};
        QVERIFY(store->write(more, {}));
        report = store->verify();
        QVERIFY(report && report->ok());
        QCOMPARE(report->records.length, 7);
        QVERIFY(store->checkIntegrity());
        // The hold and its release are in the activity log as reviews.
        query.kinds = {ActivityKind::Review};
        auto reviews = store->activity(query);
        QStringList what;
        for (const auto &entry : *reviews)
            what << QString::fromStdString(entry.what);
        QVERIFY2(what.contains(u"legal hold: litigation 2026-7"_s), qPrintable(what.join(u'|')));
        QVERIFY2(what.contains(u"legal hold released"_s), qPrintable(what.join(u'|')));
    }

    // The newest records purged: the tombstones at the end of the chain still match its head.
    void purgeOfTheNewestRecordVerifies()
    {
        auto store = storeWithAges();
        auto purged = store->purge(policy(R"({"max_age_days": 1})"), Now, "carol");
        QVERIFY(purged);
        QCOMPARE(purged->expired.size(), size_t(6));
        QCOMPARE(*store->count(FilterExpr{}), 0);
        auto report = store->verify();
        QVERIFY(report && report->ok());
        QVERIFY(store->checkIntegrity());
    }

    void heldFilter()
    {
        auto store = storeWithAges();
        const qint64 held = rowIdOf(*store, "n-new");
        ReviewChange hold;
        hold.hold = "";
        hold.reviewer = "alice";
        QVERIFY(store->setReview(std::span(&held, 1), hold));
        FilterExpr filter;
        filter.root = FilterNode{};
        filter.root->kind = FilterNode::Kind::Compare;
        filter.root->field.derived = FilterField::Derived::Held;
        filter.root->field.type = FilterType::Boolean;
        filter.root->op = FilterOp::Equal;
        filter.root->value = true;
        auto ids = store->rowIds(filter, {SortColumn::Ingested, Qt::AscendingOrder});
        QVERIFY2(ids, ids ? "" : qPrintable(ids.error().toString()));
        QCOMPARE(*ids, std::vector<qint64>{held});
    }

    // A backup taken while another connection commits in a loop: the copy opens, verifies and
    // holds at least what was committed before the backup began.
    void backupWhileWriting()
    {
        QString path;
        storeWithAges(&path);
        RedactionPolicy settings;
        settings.redact = false;
        settings.retention.maxAgeDays = 30;
        QVERIFY(saveStorePolicy(path, settings));

        QAtomicInteger<qint64> committed = 6;
        QAtomicInteger<bool> stop = false;
        QString writerError;
        QThread *writer = QThread::create([&] {
            auto own = SqliteStore::open(path, Store::Access::ReadWrite);
            if (!own) {
                writerError = own.error().toString();
                return;
            }
            for (int batch = 0; !stop.loadRelaxed(); ++batch) {
                std::vector<IncomingRecord> records;
                for (int i = 0; i < 20; ++i)
                    records.push_back(incoming(record(
                        "w-" + std::to_string(batch) + "-" + std::to_string(i), Now, "internal")));
                auto written = (*own)->write(records, {});
                if (!written) {
                    writerError = written.error().toString();
                    return;
                }
                committed.fetchAndAddOrdered(written->stored);
            }
        });
        writer->start();
        QTRY_VERIFY(committed.loadAcquire() >= 200);

        auto store = SqliteStore::open(path, Store::Access::ReadWrite);
        QVERIFY(store);
        const QString copy = m_dir.filePath(u"backup.sqlite"_s);
        const qint64 before = committed.loadAcquire();
        auto report = backupStore(**store, copy, false);
        const qint64 after = committed.loadAcquire();
        // Still writing after the copy: the backup did not stop the writer.
        QTRY_VERIFY(committed.loadAcquire() > after);
        stop.storeRelease(true);
        writer->wait();
        delete writer;
        QVERIFY2(writerError.isEmpty(), qPrintable(writerError));
        QVERIFY2(report, report ? "" : qPrintable(report.error().toString()));
        QVERIFY(report->verify.ok());
        QVERIFY(report->interactions >= before);
        QCOMPARE(report->verify.records.length, report->interactions);
        QCOMPARE(report->policyCopy, copy + u".privacy.json"_s);
        QVERIFY(QFile::exists(report->policyCopy));
        QVERIFY(!QFile::exists(copy + u"-wal"_s));

        // The copy opens on its own and verifies; its policy reads.
        {
            auto opened = Store::open(copy, Store::Access::ReadOnly);
            QVERIFY(opened);
            auto verified = (*opened)->verify();
            QVERIFY(verified && verified->ok());
            QCOMPARE(verified->records.link, report->verify.records.link);
            QCOMPARE(*(*opened)->count(FilterExpr{}), report->interactions);
            auto copiedPolicy = loadStorePolicy(copy);
            QVERIFY(copiedPolicy && *copiedPolicy);
            QCOMPARE((*copiedPolicy)->retention.maxAgeDays, std::optional<int>(30));
        }

        // An existing file is refused, and stays as it was; overwrite replaces it.
        const auto sizeBefore = QFileInfo(copy).size();
        auto refused = backupStore(**store, copy, false);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(u"exists already"_s),
                 qPrintable(refused.error().toString()));
        QCOMPARE(QFileInfo(copy).size(), sizeBefore);
        auto replaced = backupStore(**store, copy, true);
        QVERIFY2(replaced, replaced ? "" : qPrintable(replaced.error().toString()));
        QVERIFY(replaced->interactions >= after);
        QVERIFY(!backupStore(**store, path, true)); // never onto the store itself
    }
};

QTEST_GUILESS_MAIN(TestRetention)
#include "tst_retention.moc"
