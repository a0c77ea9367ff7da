// The filter language over review data on a real store: review status, the reviewer's flag
// (and `flagged` matching either flag), flag reasons, notes and legal holds.

#include "filterlanguage.h"
#include "sqlitestore.h"

#include <QTemporaryDir>
#include <QTest>

using namespace llmaudit;
using nlohmann::json;

class TestReviewFilter : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<SqliteStore> m_store;
    std::map<std::string, qint64> m_rows;

    // The interaction_ids a filter selects, sorted.
    QStringList select(const QString &text)
    {
        auto compiled = compileFilter(text);
        if (!compiled)
            qFatal("%s", qPrintable(compiled.error().toString()));
        auto ids = m_store->rowIds(compiled->expr, {SortColumn::Ingested, Qt::AscendingOrder});
        if (!ids)
            qFatal("%s", qPrintable(ids.error().toString()));
        QStringList names;
        for (const auto &[name, row] : m_rows)
            if (std::ranges::find(*ids, row) != ids->end())
                names << QString::fromStdString(name);
        names.sort();
        return names;
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto store = SqliteStore::open(m_dir.filePath(u"f.sqlite"_qs), Store::Access::ReadWrite);
        QVERIFY(store);
        m_store = std::move(*store);
        std::vector<IncomingRecord> records;
        for (int i = 1; i <= 5; ++i) {
            const std::string id = "i-" + std::to_string(i);
            json doc = {{"interaction_id", id},
                        {"timestamp", "2026-01-05T10:00:00Z"},
                        {"user_id", "u-1"},
                        {"session_id", "s-1"},
                        {"request", {{"prompt", "Hello"}}},
                        {"response", {{"content", "Hi"}}},
                        {"evaluation", {{"flagged", i == 5}}}};
            records.push_back({*decodeDocument(doc), "t:1", {}, {}});
        }
        QVERIFY(m_store->write(records, {}));
        for (int i = 1; i <= 5; ++i) {
            const std::string id = "i-" + std::to_string(i);
            m_rows[id] = (*m_store->interaction(id))->rowId;
        }
        // i-1 issue and flagged by a reviewer; i-2 escalated; i-3 approved with a note.
        const qint64 one = m_rows["i-1"], two = m_rows["i-2"], three = m_rows["i-3"];
        QVERIFY(m_store->setReview(
            std::span(&one, 1),
            {ReviewStatus::Issue, std::string("PII in the answer"), false, "alice"}));
        QVERIFY(
            m_store->setReview(std::span(&two, 1), {ReviewStatus::Escalated, {}, false, "bob"}));
        QVERIFY(
            m_store->setReview(std::span(&three, 1), {ReviewStatus::Approved, {}, false, "bob"}));
        QVERIFY(m_store->addNote(std::span(&three, 1), "bob", "Checked with legal."));
        QVERIFY(m_store->addNote(std::span(&three, 1), "bob", "Closed."));
        // i-2 and i-4 on legal hold.
        const qint64 held[] = {two, m_rows["i-4"]};
        ReviewChange hold;
        hold.reviewer = "carol";
        hold.hold = "case 9";
        QVERIFY(m_store->setReview(held, hold));
    }

    void filters_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QStringList>("expected");
        auto row = [](const char *filter, QStringList expected) {
            QTest::newRow(filter) << QString::fromUtf8(filter) << expected;
        };
        row("review == issue", {u"i-1"_qs});
        row("review == unreviewed", {u"i-4"_qs, u"i-5"_qs});
        row("review != unreviewed", {u"i-1"_qs, u"i-2"_qs, u"i-3"_qs});
        row("review in {issue escalated}", {u"i-1"_qs, u"i-2"_qs});
        row("review >= issue", {u"i-1"_qs, u"i-2"_qs});
        row("flagged", {u"i-1"_qs, u"i-5"_qs}); // the reviewer's or the log's flag
        row("not flagged", {u"i-2"_qs, u"i-3"_qs, u"i-4"_qs});
        row("evaluation.flagged", {u"i-5"_qs});
        row("review.flagged", {u"i-1"_qs});
        row("review.flag_reason contains \"pii\"", {u"i-1"_qs});
        row("has review.flag_reason", {u"i-1"_qs});
        row("has note", {u"i-3"_qs});
        row("not has note", {u"i-1"_qs, u"i-2"_qs, u"i-4"_qs, u"i-5"_qs});
        row("note contains \"legal\"", {u"i-3"_qs});
        row("note == \"Closed.\"", {u"i-3"_qs});
        row("note != \"Closed.\"", {});
        row("review == approved and has note", {u"i-3"_qs});
        row("held", {u"i-2"_qs, u"i-4"_qs});
        row("!held", {u"i-1"_qs, u"i-3"_qs, u"i-5"_qs});
        row("held == false and review != unreviewed", {u"i-1"_qs, u"i-3"_qs});
        row("held and review == escalated", {u"i-2"_qs});
    }

    void filters()
    {
        QFETCH(QString, filter);
        QFETCH(QStringList, expected);
        QCOMPARE(select(filter), expected);
    }

    // Unflagging takes an interaction out of `flagged` (the log's flag stays).
    void unflag()
    {
        const qint64 one = m_rows["i-1"], five = m_rows["i-5"];
        const qint64 both[] = {one, five};
        QVERIFY(m_store->setReview(both, {{}, {}, true, "alice"}));
        QCOMPARE(select(u"flagged"_qs), QStringList{u"i-5"_qs});
        QCOMPARE(select(u"review == issue"_qs), QStringList{u"i-1"_qs});
    }
};

QTEST_GUILESS_MAIN(TestReviewFilter)
#include "tst_reviewfilter.moc"
