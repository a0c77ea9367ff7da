#pragma once

// The store of interactions: the one API through which import, export, the collector, the GUI
// and the CLI read and write logs. A Store object is one connection and belongs to the thread
// that opened it; other threads open their own. Backends: SQLite (a file path) now; the
// interface leaves room for PostgreSQL (a postgresql:// location).

#include "filterexpr.h"
#include "logcodec.h"
#include "result.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace llmaudit {

// A decoded record on its way in, with where it came from ("events.jsonl:17").
struct IncomingRecord
{
    DecodedRecord decoded;
    std::string source;
    // Filled by Store::prepare(): the documents in the backend's storage form.
    std::string packedDocument;
    std::string packedOriginal;
};

// A record that could not be stored, kept verbatim with the reasons.
struct QuarantinedRecord
{
    std::string source;
    std::vector<ValidationError> errors;
    std::string raw;
};

// What write() did with each incoming record, in order.
enum class WriteOutcome { Stored, Duplicate, Conflict };

struct WriteCounts
{
    qint64 stored = 0;
    qint64 duplicates = 0; // same id, same content: nothing new to store
    qint64 conflicts = 0;  // same id, other content: kept aside, the stored record untouched
    qint64 rejected = 0;
    // Where the stored records are in the chain of records: runs of positions, first to last
    // (one per write; runs that meet are joined).
    std::vector<std::pair<qint64, qint64>> links;

    WriteCounts &operator+=(const WriteCounts &other);
};

struct StoreStats
{
    qint64 interactions = 0;
    qint64 sessions = 0;
    qint64 users = 0;
    qint64 flagged = 0;
    qint64 rejected = 0;
    qint64 conflicts = 0;
    std::optional<int64_t> firstMs; // earliest and latest interaction time
    std::optional<int64_t> lastMs;
};

struct StoredInteraction
{
    qint64 rowId = 0;     // ingest order
    std::string document; // canonical JSON of the record
    std::string original; // the source document when it was converted (Mongo, BSON)
    std::string source;
    int64_t ingestedMs = 0;
};

// --- Review ---------------------------------------------------------------------------------
//
// Review data is the reviewers', kept beside the records (never inside their documents, which
// stay as logged): a status, a flag with a reason, and notes. The record's own
// evaluation.flagged (from the log) and a reviewer's flag are separate; the filter `flagged`
// matches either (docs/filter-language.md).

enum class ReviewStatus { Unreviewed = 0, Approved = 1, Issue = 2, Escalated = 3 };

// "unreviewed", "approved", "issue", "escalated".
std::string_view toString(ReviewStatus status);
std::optional<ReviewStatus> reviewStatusFromString(std::string_view text);

// The review state of one interaction; all defaults when nobody reviewed it.
struct ReviewState
{
    ReviewStatus status = ReviewStatus::Unreviewed;
    bool flagged = false;   // flagged by a reviewer
    std::string flagReason; // why (empty when not flagged)
    std::string reviewer;   // who changed the state last
    int64_t updatedMs = 0;  // when; 0 when never reviewed
    // Legal hold: a held interaction is never purged, whatever the retention policy says,
    // until someone releases it.
    bool held = false;
    std::string holdReason;
    std::string heldBy;
    int64_t heldMs = 0;
};

// A change to the review state of some interactions: what is unset stays as it was.
struct ReviewChange
{
    std::optional<ReviewStatus> status;
    std::optional<std::string> flag;      // flag with this reason (may be empty)
    bool unflag = false;                  // remove a reviewer's flag (ignored when `flag` is set)
    std::string reviewer;                 // who makes the change (required)
    std::optional<std::string> hold = {}; // put on legal hold, for this reason (may be empty)
    bool release = false;                 // release a legal hold (ignored when `hold` is set)
    std::string filter = {};              // the filter that chose the interactions, for the log

    bool isEmpty() const { return !status && !flag && !unflag && !hold && !release; }
    bool changesReview() const { return status || flag || unflag; }
};

struct ReviewNote
{
    qint64 id = 0;
    std::string author;
    int64_t timeMs = 0;
    std::string text;
};

// --- Activity log ----------------------------------------------------------------------------
//
// Who did what to which records, appended (never edited) and chained like the records (see
// verify()). Review changes and notes are logged by the store itself, in the same transaction
// as the change; imports by the Importer; exports, replays, reports and verifications by their
// callers through logActivity().

enum class ActivityKind { Import, Export, Replay, Review, Purge, Report, Verify };

// "import", "export", "replay", "review", "purge", "report", "verify".
std::string_view toString(ActivityKind kind);
std::optional<ActivityKind> activityKindFromString(std::string_view text);

struct ActivityEntry
{
    qint64 id = 0;      // set by the store
    int64_t timeMs = 0; // set by the store when 0
    std::string actor;  // who: the reviewer's name from settings, or the OS user
    ActivityKind kind = ActivityKind::Review;
    std::string what; // one line: what was done ("status issue, flagged: leaks an e-mail")
    // On which records: their interaction_ids, or the filter that chose them, and how many.
    std::vector<std::string> interactionIds;
    std::string filter;
    std::optional<qint64> count;
    // Review entries: what changed, as data ({"status": "issue", "flag": "why", "unflag": true,
    // "hold": "why", "release": true, "note": "text"}); verify() folds these into the state each
    // interaction must be in. Null for other kinds, and for entries written before it existed.
    nlohmann::json change;
};

// Which entries activity() lists: time in [fromMs, untilMs), kinds (all when empty), the newest
// `limit` of them.
struct ActivityQuery
{
    std::optional<int64_t> fromMs;
    std::optional<int64_t> untilMs;
    std::vector<ActivityKind> kinds;
    std::optional<qint64> limit;
};

// The entry as it is stored and hashed: compact JSON, keys sorted.
std::string canonicalJson(const ActivityEntry &entry);
// The entry read back from canonicalJson(); nullopt when the text is not one.
std::optional<ActivityEntry> activityFromJson(std::string_view text);

// --- Retention ------------------------------------------------------------------------------
//
// What a retention policy (redactionpolicy.h) lets go: the interactions older than their
// level's limit, less those on legal hold. purge() removes them; each leaves a tombstone in the
// record chain (its position, digest and link), so that verify() still succeeds.

struct RetentionPolicy;

struct ExpiredInteraction
{
    qint64 rowId = 0;
    std::string interactionId;
    int64_t timestampMs = 0;
    std::optional<Sensitivity> sensitivity;
};

struct PurgePlan
{
    int64_t nowMs = 0;                       // the moment ages are counted from
    std::vector<ExpiredInteraction> expired; // removed (or to be), in ingest order
    std::vector<ExpiredInteraction> held;    // expired but on hold: kept
    qint64 activityId = 0;                   // the purge's activity entry (0: dry run or none)
};

// --- Integrity chain -------------------------------------------------------------------------
//
// Two hash chains, one over the records in ingest order and one over the activity log
// (docs/integrity.md): link n = SHA-256 of the ASCII line "n PREV DIGEST\n", PREV the hex of
// link n - 1 (64 zeros for the first), DIGEST the hex SHA-256 of the record's stored document
// (or of the activity entry's canonical JSON).

enum class ChainName { Records, Activity };

struct ChainProblem
{
    enum class Kind {
        Changed,  // the data no longer matches its link (edited document, link or order)
        Missing,  // links are gone (records or entries deleted)
        Inserted, // data the store did not chain (added behind its back)
    };
    ChainName chain = ChainName::Records;
    Kind kind = Kind::Changed;
    qint64 position = 0;       // the chain position (link number) where it breaks
    qint64 rowId = 0;          // the interaction's row id (or the activity entry's id), 0 if none
    std::string interactionId; // for records, when known
    std::string detail;        // what is wrong, in words
};

struct ChainHead
{
    qint64 length = 0;
    std::string link; // hex; empty for an empty chain
};

struct VerifyReport
{
    ChainHead records;
    ChainHead activity;
    std::optional<ChainProblem> problem; // the first broken link; none: the store verifies

    bool ok() const { return !problem; }
};

std::string_view toString(ChainProblem::Kind kind); // "changed", "missing", "inserted"
std::string_view toString(ChainName chain);         // "records", "activity"

// The columns the table shows for one interaction.
struct InteractionRow
{
    qint64 rowId = 0;
    std::string interactionId;
    int64_t timestampMs = 0;
    std::string userId;
    std::string sessionId;
    std::string model;
    std::string prompt;   // the first line, shortened
    std::string response; // the first line, shortened
    std::optional<int64_t> totalTokens;
    std::optional<int64_t> latencyMs;
    std::string finishReason;
    bool flagged = false; // the record's evaluation.flagged
    std::optional<Sensitivity> sensitivity;
    ReviewStatus reviewStatus = ReviewStatus::Unreviewed;
    bool reviewFlagged = false; // a reviewer's flag
};

// Figures for the dashboard and report summaries.
struct Summary
{
    struct Count
    {
        std::string key; // a model name, or a sensitivity level ("" when not given)
        qint64 count = 0;
    };
    struct Bucket
    {
        int64_t fromMs = 0; // start of the bucket (time), or its lower bound (latency)
        qint64 interactions = 0;
        qint64 tokens = 0;
    };

    qint64 interactions = 0;
    qint64 flagged = 0;
    std::vector<Count> byModel;       // most used first
    std::vector<Count> bySensitivity; // public .. restricted, then "" for records without one
    // Latency: counts in the buckets that start at LatencyBucketsMs (those with any records);
    // percentiles over the records that have a latency.
    static constexpr int64_t LatencyBucketsMs[] = {
        0, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000, 120000};
    std::vector<Bucket> latencyHistogram;
    std::optional<int64_t> latencyP50, latencyP95, latencyP99;
    // Interactions and tokens per hour, day or week, whichever gives a readable number of
    // buckets for the time span.
    int64_t timeBucketMs = 0;
    std::vector<Bucket> overTime;
    qint64 totalTokens = 0;
};

// One session: its (first) user, size and time span.
struct SessionSummary
{
    std::string sessionId;
    std::string userId;
    int users = 1; // distinct users in the session (usually one)
    qint64 interactions = 0;
    int64_t firstMs = 0;
    int64_t lastMs = 0;
};

struct RejectEntry
{
    qint64 id = 0;
    int64_t receivedMs = 0;
    std::string source;
    std::vector<ValidationError> errors;
    std::string raw;
};

struct ConflictEntry
{
    qint64 id = 0;
    int64_t receivedMs = 0;
    std::string interactionId;
    std::string source;
    std::string document;     // the incoming record that was kept aside
    std::string storedHash;   // SHA-256 of the stored record's text, hex
    std::string incomingHash; // and of the incoming one
};

// What a list of interactions is ordered by. Ties are broken so that an index gives the order
// without sorting: by time then row id for Time, User, Session, Model, Flagged, Sensitivity,
// PromptTokens, CompletionTokens and FinishReason; by row id for the others. Absent values
// (NULL) come first in ascending order.
enum class SortColumn {
    Time,
    Ingested, // the row id: the order in which the store received the interactions
    InteractionId,
    User,
    Session,
    Model,
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    Latency,
    FinishReason,
    Flagged,
    Sensitivity,
    ReplayOf,
};

struct SortOrder
{
    SortColumn column = SortColumn::Time;
    Qt::SortOrder direction = Qt::DescendingOrder;

    bool operator==(const SortOrder &) const = default;
};

class Store : public QObject
{
    Q_OBJECT

public:
    enum class Access { ReadWrite, ReadOnly };

    // How far the upgrade of a store written by an older version has come: the step that brings
    // it to `format` has done `done` of `total` units (records for the step that chains them,
    // 0 or 1 of 1 for the others). Returning false cancels the upgrade: it is rolled back, the
    // store keeps its old format and open() fails saying so. Called on the opening thread.
    using UpgradeProgress = std::function<bool(int format, qint64 done, qint64 total)>;

    struct OpenOptions
    {
        Access access = Access::ReadWrite;
        UpgradeProgress upgradeProgress; // none: an upgrade runs without reporting
    };

    // Opens the store at `location`, creating and migrating it when needed (ReadWrite).
    static Result<std::unique_ptr<Store>> open(const QString &location,
                                               Access access = Access::ReadWrite);
    static Result<std::unique_ptr<Store>> open(const QString &location, const OpenOptions &options);

    // The embedded default store under the user's data directory.
    static QString defaultLocation();

    ~Store() override;

    virtual QString location() const = 0;

    // Turns a record into the backend's storage form (compression; the plain texts may be let go,
    // write() takes either). Thread-safe: importers call it on their worker threads.
    virtual void prepare(IncomingRecord &record) const { (void)record; }

    // Tunes this connection for a long run of writes (an import, the collector): more page cache,
    // WAL checkpoints on a thread of their own. Memory grows by up to about 64 MiB while it lasts.
    virtual void tuneForBulkWrites() {}

    // Stores records and quarantines rejects in one transaction: all of it lands, or none.
    // With `outcomes`, it receives one entry per record, in order (the collector answers each).
    virtual Result<WriteCounts> write(std::span<const IncomingRecord> records,
                                      std::span<const QuarantinedRecord> rejects,
                                      std::vector<WriteOutcome> *outcomes = nullptr) = 0;

    // Counts over the interactions a filter selects (all of them for an empty filter); the
    // rejected and conflicts counts are the store's, whatever the filter.
    virtual Result<StoreStats> stats(const FilterExpr &filter) = 0;
    // A number that changes when another connection (of this process or another: an import, the
    // collector) has committed to the store since the last call on this one; cheap to poll.
    virtual Result<qint64> changeCounter() = 0;
    Result<StoreStats> stats() { return stats(FilterExpr{}); }

    // How many interactions a filter selects.
    virtual Result<qint64> count(const FilterExpr &filter) = 0;

    // Checks the store's structure and that the full-text index matches the documents.
    virtual Result<void> checkIntegrity() = 0;

    // Visits the interactions a filter selects, in `order`, a page at a time; the visitor returns
    // false to stop. The selection is made when the call starts (interactions stored meanwhile
    // are not visited). Memory: one page of documents, plus 8 bytes per selected interaction
    // unless the filter is empty and the order is ingest order (then memory stays flat).
    virtual Result<void>
    forEachInteraction(const FilterExpr &filter,
                       const std::function<bool(const StoredInteraction &)> &visit,
                       SortOrder order) = 0;
    // All interactions in ingest order.
    Result<void> forEachInteraction(const std::function<bool(const StoredInteraction &)> &visit)
    {
        return forEachInteraction(FilterExpr{}, visit, {SortColumn::Ingested, Qt::AscendingOrder});
    }

    virtual Result<std::vector<RejectEntry>> rejects() = 0;
    virtual Result<std::vector<ConflictEntry>> conflicts() = 0;

    // Row ids of the interactions a filter selects, in `order` (the table keeps these), and the
    // table columns for some of them.
    // With a limit, only the first `limit` of them (a table's first page, shown at once).
    virtual Result<std::vector<qint64>> rowIds(const FilterExpr &filter, SortOrder order,
                                               std::optional<qint64> limit) = 0;
    Result<std::vector<qint64>> rowIds(const FilterExpr &filter, SortOrder order)
    {
        return rowIds(filter, order, std::nullopt);
    }
    Result<std::vector<qint64>> rowIds() { return rowIds(FilterExpr{}, SortOrder{}); }
    virtual Result<std::vector<InteractionRow>> rows(std::span<const qint64> rowIds) = 0;

    // Dashboard and report figures over the interactions a filter selects.
    virtual Result<Summary> summary(const FilterExpr &filter) = 0;
    Result<Summary> summary() { return summary(FilterExpr{}); }

    // One interaction by row id (for the detail pane); nullopt when there is none.
    virtual Result<std::optional<StoredInteraction>> interactionAt(qint64 rowId) = 0;

    // Every session, the most recently active first.
    virtual Result<std::vector<SessionSummary>> sessions() = 0;

    // The first `limit` interactions of a session in time order: the conversation.
    virtual Result<std::vector<StoredInteraction>> sessionInteractions(const std::string &sessionId,
                                                                       int limit) = 0;

    // The stored interaction with this interaction_id; nothing when there is none.
    virtual Result<std::optional<StoredInteraction>>
    interaction(const std::string &interactionId) = 0;

    // Replays. The first `limit` replays of an interaction (records whose replay_of names it),
    // newest first.
    virtual Result<std::vector<StoredInteraction>> replaysOf(const std::string &interactionId,
                                                             int limit) = 0;
    // The interaction_ids of the originals that have a replay in the replay run `runId` (the
    // replay.run_id of batch and session replays), for resuming a stopped run.
    virtual Result<std::vector<std::string>> replayedInRun(const std::string &runId) = 0;

    // --- Review, activity and integrity (see the types above) ---

    // Applies a change to the interactions with these row ids, logging one Review activity for
    // them in the same transaction. Returns how many interactions exist among the ids (unknown
    // ids are skipped). An empty change or reviewer is refused.
    virtual Result<qint64> setReview(std::span<const qint64> rowIds,
                                     const ReviewChange &change) = 0;
    // Adds the same note to each of these interactions (and logs it). Returns how many.
    virtual Result<qint64> addNote(std::span<const qint64> rowIds, const std::string &author,
                                   const std::string &text) = 0;
    // The review state of one interaction (defaults when never reviewed or no such row).
    virtual Result<ReviewState> reviewOf(qint64 rowId) = 0;
    // Its notes, oldest first.
    virtual Result<std::vector<ReviewNote>> notes(qint64 rowId) = 0;
    // The row ids of the interactions that have review data (a status other than unreviewed, a
    // reviewer's flag or a note), ascending: what a report walking many interactions looks up
    // instead of asking reviewOf() for each.
    virtual Result<std::vector<qint64>> reviewedRowIds() = 0;

    // The review state of one interaction includes its legal hold; setReview() places and
    // releases holds (ReviewChange::hold, ::release).

    // What `policy` lets go as of `nowMs` (a dry run): nothing is changed.
    virtual Result<PurgePlan> expired(const RetentionPolicy &policy, int64_t nowMs) = 0;
    // How many expired() would list, as {expired, held}: without reading their ids.
    virtual Result<std::pair<qint64, qint64>> countExpired(const RetentionPolicy &policy,
                                                           int64_t nowMs) = 0;
    // Removes what expired() lists, in one transaction: the records, their full-text index rows,
    // previews, reviews, notes and conflicts; each record leaves a tombstone. Logs one Purge
    // activity by `actor` (when anything was removed). Returns what was removed and kept.
    virtual Result<PurgePlan> purge(const RetentionPolicy &policy, int64_t nowMs,
                                    const std::string &actor) = 0;

    // A consistent copy of the whole store as one file at `path` (which must not exist), taken
    // while other connections may be writing: what was committed when the copy began.
    virtual Result<void> backupTo(const QString &path) = 0;

    // Appends an entry to the activity log; returns its id.
    virtual Result<qint64> logActivity(const ActivityEntry &entry) = 0;
    // Entries in time order (oldest first; with a limit, the newest `limit`).
    virtual Result<std::vector<ActivityEntry>> activity(const ActivityQuery &query) = 0;

    // Checks both chains from their start: OK with the heads, or the first broken link. The
    // progress callback gets (records checked, records in all) now and then; it returns false
    // to stop (the result is then an error).
    virtual Result<VerifyReport>
    verify(const std::function<bool(qint64, qint64)> &progress = {}) = 0;

    // The name an activity is recorded under when nobody configured one: the OS user.
    static std::string osUserName();

Q_SIGNALS:
    // Emitted after review data changed (in the writing thread), with the row ids.
    void reviewChanged(const QList<qint64> &rowIds);
    // Emitted after a write that stored something, in the writing thread.
    void interactionsAdded(qint64 count);

protected:
    explicit Store(QObject *parent = nullptr);
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::SortOrder)
