#pragma once

// The SQLite backend of Store: one file, WAL, versioned migrations, FTS5 over the text.

#include "store.h"

#include <QSqlDatabase>

struct sqlite3;
struct sqlite3_stmt;

namespace llmaudit {

class WalCheckpointer;

class SqliteStore final : public Store
{
    Q_OBJECT

public:
    static constexpr int SchemaVersion = 5;

    static Result<std::unique_ptr<SqliteStore>> open(const QString &path, Access access,
                                                     const UpgradeProgress &progress = {});
    ~SqliteStore() override;

    QString location() const override { return m_path; }

    void prepare(IncomingRecord &record) const override;
    void tuneForBulkWrites() override;

    using Store::forEachInteraction;
    using Store::rowIds;
    using Store::stats;

    Result<WriteCounts> write(std::span<const IncomingRecord> records,
                              std::span<const QuarantinedRecord> rejects,
                              std::vector<WriteOutcome> *outcomes = nullptr) override;
    Result<StoreStats> stats(const FilterExpr &filter) override;
    Result<qint64> changeCounter() override;
    Result<qint64> count(const FilterExpr &filter) override;
    Result<void> checkIntegrity() override;
    Result<void> forEachInteraction(const FilterExpr &filter,
                                    const std::function<bool(const StoredInteraction &)> &visit,
                                    SortOrder order) override;
    Result<std::vector<RejectEntry>> rejects() override;
    Result<std::vector<ConflictEntry>> conflicts() override;
    Result<std::vector<qint64>> rowIds(const FilterExpr &filter, SortOrder order,
                                       std::optional<qint64> limit) override;
    Result<std::vector<InteractionRow>> rows(std::span<const qint64> rowIds) override;
    Result<std::optional<StoredInteraction>> interactionAt(qint64 rowId) override;
    Result<std::vector<SessionSummary>> sessions() override;
    Result<Summary> summary(const FilterExpr &filter) override;
    Result<std::vector<StoredInteraction>> sessionInteractions(const std::string &sessionId,
                                                               int limit) override;

    Result<std::optional<StoredInteraction>> interaction(const std::string &interactionId) override;

    // How SQLite runs the query behind rowIds(filter, order), or behind count(filter) when no
    // order is given: the detail lines of EXPLAIN QUERY PLAN ("SEARCH interactions USING INDEX
    // interactions_user (user_id=?)"). For tests and diagnostics.
    Result<QStringList> explainQueryPlan(const FilterExpr &filter,
                                         std::optional<SortOrder> order = std::nullopt);

    Result<std::vector<StoredInteraction>> replaysOf(const std::string &interactionId,
                                                     int limit) override;
    Result<std::vector<std::string>> replayedInRun(const std::string &runId) override;

    Result<qint64> setReview(std::span<const qint64> rowIds, const ReviewChange &change) override;
    Result<qint64> addNote(std::span<const qint64> rowIds, const std::string &author,
                           const std::string &text) override;
    Result<ReviewState> reviewOf(qint64 rowId) override;
    Result<std::vector<ReviewNote>> notes(qint64 rowId) override;
    Result<std::vector<qint64>> reviewedRowIds() override;
    Result<qint64> logActivity(const ActivityEntry &entry) override;
    Result<std::vector<ActivityEntry>> activity(const ActivityQuery &query) override;
    Result<VerifyReport> verify(const std::function<bool(qint64, qint64)> &progress = {}) override;
    Result<PurgePlan> expired(const RetentionPolicy &policy, int64_t nowMs) override;
    Result<std::pair<qint64, qint64>> countExpired(const RetentionPolicy &policy,
                                                   int64_t nowMs) override;
    Result<PurgePlan> purge(const RetentionPolicy &policy, int64_t nowMs,
                            const std::string &actor) override;
    Result<void> backupTo(const QString &path) override;

private:
    struct Query;
    // The last position and link of a chain ({0, zeros} when empty), and moving it.
    Result<std::pair<qint64, ContentHash>> chainHead(ChainName chain);
    Result<void> setChainHead(ChainName chain, qint64 seq, const ContentHash &link);
    // Links the interactions without a link, in ingest order (the migration to format 4),
    // reporting each page of 512 to `progress`; false when it cancelled.
    Result<bool> extendRecordChain(const UpgradeProgress &progress = {});
    // Appends to the activity chain; the caller holds a write transaction.
    Result<qint64> appendActivity(ActivityEntry entry);
    // Review changes and notes: `apply` binds and runs one statement for a row (false on an
    // SQLite error), in one transaction; the rows it changed get one activity entry and one
    // reviewChanged().
    Result<qint64> changeRows(std::span<const qint64> rowIds, ActivityEntry entry,
                              const QString &doing, const std::function<bool(qint64)> &apply);
    Result<std::optional<ChainProblem>>
    verifyRecords(VerifyReport &report, const std::function<bool(qint64, qint64)> &progress);
    Result<std::optional<ChainProblem>> verifyActivity(VerifyReport &report);
    Result<std::optional<ChainProblem>> unloggedTombstone();
    Result<std::optional<ChainProblem>> unloggedReviewState();
    // The expired interactions, held or not; the caller may hold a transaction.
    Result<PurgePlan> listExpired(const RetentionPolicy &policy, int64_t nowMs);
    Result<Query> filtered(const std::string &head, const FilterExpr &filter,
                           const std::string &tail = {});
    Result<void> forEachInIngestOrder(const std::function<bool(const StoredInteraction &)> &visit);

    SqliteStore(QString path, QString connectionName, Access access);
    Result<void> configure();
    Result<void> migrate(const UpgradeProgress &progress);
    bool isBlank() const; // no tables at all: created, never set up
    Result<sqlite3_stmt *> statement(int which, const char *sql);
    Error sqliteError(const QString &doing) const;
    // Steps a prepared "id, document, original, source, ingested_ms" query for one row.
    Result<std::optional<StoredInteraction>>
    readOne(sqlite3_stmt *stmt, const std::function<void(sqlite3_stmt *)> &bind);

    QString m_path;
    QString m_connectionName;
    Access m_access;
    sqlite3 *m_handle = nullptr;
    std::vector<sqlite3_stmt *> m_statements;
    std::unique_ptr<WalCheckpointer> m_checkpointer; // from tuneForBulkWrites() on
};

} // namespace llmaudit
