#include "sqlitestore.h"

#include "integritychain.h"
#include "jsonparse.h"
#include "redactionpolicy.h"
#include "sqlitefilter.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QScopeGuard>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentMap>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <zstd.h>

namespace llmaudit {

namespace {

// Schema migrations: entry N brings a store from user_version N to N + 1.
const std::vector<std::vector<const char *>> &migrations()
{
    static const std::vector<std::vector<const char *>> steps = {
        {
            // Extracted columns first, the documents last: SQLite reads a row's leading columns
            // without touching the overflow pages that hold a long document.
            R"(CREATE TABLE interactions (
                id INTEGER PRIMARY KEY,
                interaction_id TEXT NOT NULL UNIQUE,
                ts INTEGER NOT NULL,
                user_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                model TEXT,
                prompt_tokens INTEGER,
                completion_tokens INTEGER,
                total_tokens INTEGER,
                latency_ms INTEGER,
                finish_reason TEXT,
                flagged INTEGER NOT NULL DEFAULT 0,
                sensitivity INTEGER,
                replay_of TEXT,
                ingested_ms INTEGER NOT NULL,
                source TEXT,
                content_hash BLOB NOT NULL,
                document BLOB NOT NULL, -- zstd-compressed JSON: read with llmaudit_json()
                original BLOB))",
            "CREATE INDEX interactions_ts ON interactions(ts, id)",
            "CREATE INDEX interactions_user ON interactions(user_id, ts)",
            "CREATE INDEX interactions_session ON interactions(session_id, ts)",
            "CREATE INDEX interactions_model ON interactions(model, ts)",
            "CREATE INDEX interactions_latency ON interactions(latency_ms)",
            "CREATE INDEX interactions_tokens ON interactions(total_tokens)",
            "CREATE INDEX interactions_flagged ON interactions(flagged, ts)",
            "CREATE INDEX interactions_sensitivity ON interactions(sensitivity, ts)",
            "CREATE INDEX interactions_replay_of ON interactions(replay_of) "
            "WHERE replay_of IS NOT NULL",
            // The full-text index keeps no copy of the text: its content is read back from the
            // documents through this view when needed (snippets, deletes, rebuilds). FTS5 reads
            // it with SQLITE_PREPARE_NO_VTAB, hence a recursive CTE rather than json_each.
            R"(CREATE VIEW interactions_text AS SELECT id,
                json_extract(doc, '$.request.prompt') AS prompt,
                json_extract(doc, '$.request.system_prompt') AS system_prompt,
                (WITH RECURSIVE item(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM item
                         WHERE n + 1 < json_array_length(doc, '$.request.context'))
                 SELECT group_concat(json_extract(doc, '$.request.context[' || n || '].content'), char(10))
                   FROM item
                  WHERE json_type(doc, '$.request.context[' || n || '].content') = 'text'
                    AND json_extract(doc, '$.request.context[' || n || '].content') <> '') AS context,
                json_extract(doc, '$.response.content') AS response
              FROM (SELECT id, llmaudit_json(document) AS doc FROM interactions))",
            "CREATE VIRTUAL TABLE interactions_fts USING fts5(prompt, system_prompt, context, "
            "response, content='interactions_text', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')",
            R"(CREATE TABLE conflicts (
                id INTEGER PRIMARY KEY,
                interaction_id TEXT NOT NULL,
                received_ms INTEGER NOT NULL,
                source TEXT,
                content_hash BLOB NOT NULL,
                document TEXT NOT NULL,
                original TEXT,
                UNIQUE (interaction_id, content_hash)))",
            R"(CREATE TABLE rejects (
                id INTEGER PRIMARY KEY,
                received_ms INTEGER NOT NULL,
                source TEXT NOT NULL,
                errors TEXT NOT NULL,
                raw_hash BLOB NOT NULL,
                raw BLOB NOT NULL,
                UNIQUE (raw_hash, source)))",
        },
        {
            // Replay runs (batch and session replays): which originals a run has replayed, so
            // that a stopped run resumes without replaying them twice. Filled by a trigger from
            // the record's replay.run_id, in the same transaction as the record itself.
            R"(CREATE TABLE replay_runs (
                run_id TEXT NOT NULL,
                original_id TEXT NOT NULL,
                replay_id TEXT NOT NULL UNIQUE,
                PRIMARY KEY (run_id, original_id, replay_id)) WITHOUT ROWID)",
            R"(CREATE TRIGGER interactions_replay_run AFTER INSERT ON interactions
                WHEN NEW.replay_of IS NOT NULL BEGIN
                INSERT OR IGNORE INTO replay_runs (run_id, original_id, replay_id)
                    SELECT run, NEW.replay_of, NEW.interaction_id
                      FROM (SELECT json_extract(llmaudit_json(NEW.document), '$.replay.run_id')
                                AS run)
                     WHERE typeof(run) = 'text';
            END)",
            R"(CREATE TRIGGER interactions_replay_run_gone AFTER DELETE ON interactions
                WHEN OLD.replay_of IS NOT NULL BEGIN
                DELETE FROM replay_runs WHERE replay_id = OLD.interaction_id;
            END)",
            R"(INSERT OR IGNORE INTO replay_runs (run_id, original_id, replay_id)
                SELECT run, replay_of, interaction_id
                  FROM (SELECT json_extract(llmaudit_json(document), '$.replay.run_id') AS run,
                               replay_of, interaction_id
                          FROM interactions WHERE replay_of IS NOT NULL)
                 WHERE typeof(run) = 'text')",
        },
        {
            // The table's prompt and response columns: each one's first line, at most 200
            // characters. Kept apart from the documents so that a page of the table is an
            // indexed read of small rows, not a decompression and JSON parse per row. Written
            // with each new record; interactions stored before this table (format 2 and older)
            // have none, and rows() reads theirs from the documents (an upgrade that filled them
            // in would take minutes on a big store, with the store locked).
            R"(CREATE TABLE interaction_previews (
                id INTEGER PRIMARY KEY,
                prompt TEXT,
                response TEXT))",
            R"(CREATE TRIGGER interactions_preview_gone AFTER DELETE ON interactions BEGIN
                DELETE FROM interaction_previews WHERE id = OLD.id;
            END)",
        },
        {
            // Review data, the activity log and the integrity chains (docs/integrity.md). The
            // links of the records already stored are computed after these statements, in the
            // same transaction (SqliteStore::extendRecordChain).
            "ALTER TABLE interactions ADD COLUMN chain_seq INTEGER",
            "ALTER TABLE interactions ADD COLUMN chain_link BLOB",
            "CREATE UNIQUE INDEX interactions_chain ON interactions(chain_seq) "
            "WHERE chain_seq IS NOT NULL",
            // The last link of each chain ('records', 'activity'): deleting the newest records
            // or entries breaks the match with it.
            R"(CREATE TABLE chain_heads (
                chain TEXT PRIMARY KEY,
                seq INTEGER NOT NULL,
                link BLOB NOT NULL))",
            // What a purged record leaves behind (written by retention, a later version): its
            // place in the chain, its digest and link, so that the chain still verifies.
            R"(CREATE TABLE tombstones (
                chain_seq INTEGER PRIMARY KEY,
                interaction_id TEXT NOT NULL,
                content_hash BLOB NOT NULL,
                chain_link BLOB NOT NULL,
                purged_ms INTEGER NOT NULL,
                reason TEXT))",
            R"(CREATE TABLE reviews (
                interaction INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
                status INTEGER NOT NULL DEFAULT 0,
                flagged INTEGER NOT NULL DEFAULT 0,
                flag_reason TEXT,
                reviewer TEXT NOT NULL,
                updated_ms INTEGER NOT NULL))",
            "CREATE INDEX reviews_status ON reviews(status)",
            "CREATE INDEX reviews_flagged ON reviews(flagged) WHERE flagged = 1",
            R"(CREATE TABLE notes (
                id INTEGER PRIMARY KEY,
                interaction INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
                author TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                text TEXT NOT NULL))",
            "CREATE INDEX notes_interaction ON notes(interaction)",
            // `entry` is the canonical JSON that the chain hashes; ts and kind repeat two of its
            // fields for filtering.
            R"(CREATE TABLE activity (
                id INTEGER PRIMARY KEY,
                ts INTEGER NOT NULL,
                kind TEXT NOT NULL,
                entry TEXT NOT NULL,
                chain_seq INTEGER NOT NULL UNIQUE,
                chain_link BLOB NOT NULL))",
            "CREATE INDEX activity_ts ON activity(ts)",
        },
        {
            // Legal holds (docs/privacy.md): a held interaction is never purged. Placed and
            // released by setReview(), each change logged like a review.
            R"(CREATE TABLE holds (
                interaction INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
                reason TEXT,
                holder TEXT NOT NULL,
                placed_ms INTEGER NOT NULL))",
        },
    };
    return steps;
}

enum StatementId {
    InsertInteraction,
    InsertText,
    InsertPreview,
    SelectHash,
    InsertConflict,
    InsertReject,
    PageOfInteractions,
    InteractionAt,
    InteractionById,
    SessionInteractions,
    InteractionsById,
    ReplaysOf,
    ReplayedInRun,
    StatementCount
};

QString fromUtf8(const unsigned char *text, int bytes)
{
    return QString::fromUtf8(reinterpret_cast<const char *>(text), bytes);
}

std::string columnText(sqlite3_stmt *stmt, int column)
{
    const auto *text = sqlite3_column_text(stmt, column);
    return text ? std::string(reinterpret_cast<const char *>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt, column)))
                : std::string();
}

void bindText(sqlite3_stmt *stmt, int index, const std::string &text)
{
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void bindTextOrNull(sqlite3_stmt *stmt, int index, const std::string &text)
{
    if (text.empty())
        sqlite3_bind_null(stmt, index);
    else
        bindText(stmt, index, text);
}

void bindOptional(sqlite3_stmt *stmt, int index, const std::optional<int64_t> &value)
{
    if (value)
        sqlite3_bind_int64(stmt, index, *value);
    else
        sqlite3_bind_null(stmt, index);
}

void bindBlob(sqlite3_stmt *stmt, int index, const void *data, size_t size)
{
    sqlite3_bind_blob(stmt, index, data, static_cast<int>(size), SQLITE_STATIC);
}

std::string errorsToJson(const std::vector<ValidationError> &errors)
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto &e : errors)
        list.push_back({{"pointer", e.pointer}, {"reason", e.reason}});
    return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<ValidationError> errorsFromJson(const QString &text)
{
    std::vector<ValidationError> errors;
    auto list = nlohmann::json::parse(text.toStdString(), nullptr, false);
    if (list.is_array())
        for (const auto &e : list)
            errors.push_back({e.value("pointer", ""), e.value("reason", "")});
    return errors;
}

int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// The table's preview of a text: its first line, at most `maxChars` characters (code points),
// "…" when cut.
std::string previewLine(std::string_view line, int maxChars = 200)
{
    line = line.substr(0, line.find('\n'));
    int chars = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80)
            continue; // a UTF-8 continuation byte
        if (chars++ == maxChars)
            return std::string(line.substr(0, i)) + "…";
    }
    return std::string(line);
}

// Documents are stored zstd-compressed: JSON logs shrink about fourfold, which keeps the store
// smaller than its input and halves what SQLite and the kernel copy during an import. Level 1:
// compression runs on the import's decode threads and should not be its bottleneck.
std::string pack(std::string_view text)
{
    if (text.empty())
        return {};
    thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx *)> context(ZSTD_createCCtx(),
                                                                             ZSTD_freeCCtx);
    std::string out(ZSTD_compressBound(text.size()), '\0');
    const size_t size =
        ZSTD_compressCCtx(context.get(), out.data(), out.size(), text.data(), text.size(), 1);
    if (ZSTD_isError(size))
        qFatal("zstd: %s", ZSTD_getErrorName(size)); // only on a bug: the bound is exact
    out.resize(size);
    return out;
}

// Plain text passes through, so that a store written without compression still reads.
std::optional<std::string> unpack(const void *data, size_t size)
{
    const unsigned long long length = ZSTD_getFrameContentSize(data, size);
    if (length == ZSTD_CONTENTSIZE_ERROR || length == ZSTD_CONTENTSIZE_UNKNOWN)
        return std::nullopt;
    thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx *)> context(ZSTD_createDCtx(),
                                                                             ZSTD_freeDCtx);
    std::string out(length, '\0');
    const size_t got = ZSTD_decompressDCtx(context.get(), out.data(), out.size(), data, size);
    if (ZSTD_isError(got) || got != length)
        return std::nullopt;
    return out;
}

// A record's text: as it came, or unpacked from what prepare() made of it.
std::string plainText(const std::string &text, const std::string &packed)
{
    if (!text.empty() || packed.empty())
        return text;
    return unpack(packed.data(), packed.size()).value_or(std::string());
}

std::string unpackColumn(sqlite3_stmt *stmt, int column)
{
    if (sqlite3_column_type(stmt, column) != SQLITE_BLOB)
        return columnText(stmt, column);
    const void *data = sqlite3_column_blob(stmt, column);
    const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, column));
    return unpack(data, size).value_or(std::string());
}

// Reads "id, document, original, source, ingested_ms" from the current row.
StoredInteraction storedInteraction(sqlite3_stmt *stmt)
{
    StoredInteraction item;
    item.rowId = sqlite3_column_int64(stmt, 0);
    item.document = unpackColumn(stmt, 1);
    item.original = unpackColumn(stmt, 2);
    item.source = columnText(stmt, 3);
    item.ingestedMs = sqlite3_column_int64(stmt, 4);
    return item;
}

// llmaudit_json(document): the JSON text of a stored document, for SQL (views, filters).
void jsonFunction(sqlite3_context *context, int, sqlite3_value **argv)
{
    sqlite3_value *value = argv[0];
    if (sqlite3_value_type(value) != SQLITE_BLOB) {
        sqlite3_result_value(context, value);
        return;
    }
    auto text = unpack(sqlite3_value_blob(value), static_cast<size_t>(sqlite3_value_bytes(value)));
    if (!text) {
        sqlite3_result_error(context, "llmaudit_json: a damaged document", -1);
        return;
    }
    sqlite3_result_text64(context, text->data(), text->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

} // namespace

WriteCounts &WriteCounts::operator+=(const WriteCounts &other)
{
    stored += other.stored;
    duplicates += other.duplicates;
    conflicts += other.conflicts;
    rejected += other.rejected;
    for (const auto &run : other.links) {
        if (!links.empty() && links.back().second + 1 == run.first)
            links.back().second = run.second;
        else
            links.push_back(run);
    }
    return *this;
}

Store::Store(QObject *parent)
    : QObject(parent)
{}

Store::~Store() = default;

QString Store::defaultLocation()
{
    const QString fromEnvironment = qEnvironmentVariable("LLMAUDIT_STORE");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    QString base = qEnvironmentVariable("XDG_DATA_HOME");
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/llmaudit/store.sqlite");
}

Result<std::unique_ptr<Store>> Store::open(const QString &location, Access access)
{
    return open(location, OpenOptions{access, {}});
}

Result<std::unique_ptr<Store>> Store::open(const QString &location, const OpenOptions &options)
{
    if (location.startsWith(QStringLiteral("postgresql://")))
        return fail(QStringLiteral("PostgreSQL stores are not supported by this version yet"),
                    location);
    auto store = SqliteStore::open(location, options.access, options.upgradeProgress);
    if (!store)
        return std::unexpected(store.error());
    return std::unique_ptr<Store>(std::move(*store));
}

SqliteStore::SqliteStore(QString path, QString connectionName, Access access)
    : m_path(std::move(path))
    , m_connectionName(std::move(connectionName))
    , m_access(access)
    , m_statements(StatementCount, nullptr)
{}

SqliteStore::~SqliteStore()
{
    m_checkpointer.reset(); // first: closing the last connection checkpoints and removes the WAL
    for (auto *stmt : m_statements)
        sqlite3_finalize(stmt);
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen() && m_access == Access::ReadWrite)
            QSqlQuery(db).exec(QStringLiteral("PRAGMA optimize"));
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const QString &path, Access access,
                                                       const UpgradeProgress &progress)
{
    static QAtomicInteger<quint64> counter;
    const QFileInfo info(path);
    if (path.isEmpty())
        return fail(QStringLiteral("no store path given"));
    if (info.isDir())
        return fail(QStringLiteral("is a directory, not a store file"), path);
    if (access == Access::ReadOnly && !info.exists())
        return fail(QStringLiteral("no store here (import something first, or check the path)"),
                    path);
    if (access == Access::ReadWrite && !info.exists()) {
        if (!QDir().mkpath(info.absolutePath()))
            return fail(QStringLiteral("cannot create the folder %1").arg(info.absolutePath()),
                        path);
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return fail(QStringLiteral("Qt's SQLite driver is not installed (Debian package "
                                   "libqt6sql6-sqlite)"));

    // Before SQLite's first use in this process: no memory statistics, which nothing here reads
    // and which cost a global mutex around every allocation (8 % of the collector's writer).
    // Refused harmlessly (SQLITE_MISUSE) when something started SQLite earlier.
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    const QString name = QStringLiteral("llmaudit-%1").arg(counter.fetchAndAddRelaxed(1));
    std::unique_ptr<SqliteStore> store(new SqliteStore(info.absoluteFilePath(), name, access));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(store->m_path);
        if (access == Access::ReadOnly)
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (!db.open())
            return fail(QStringLiteral("cannot open the store: %1").arg(db.lastError().text()),
                        path);
        QVariant handle = db.driver()->handle();
        if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
            return fail(QStringLiteral("unexpected SQLite driver"), path);
        store->m_handle = *static_cast<sqlite3 *const *>(handle.data());
    }
    // Connections of this process set up one after another: switching a new file to WAL while
    // another connection creates the schema can fail with SQLITE_BUSY without waiting.
    static QMutex setup;
    QMutexLocker lock(&setup);
    if (auto configured = store->configure(); !configured)
        return std::unexpected(configured.error());
    // A file that was created but never set up (its creator was killed at that moment) holds
    // no data: a reader sets it up first rather than refusing it.
    if (access == Access::ReadOnly && store->isBlank()) {
        store.reset();
        lock.unlock();
        if (auto created = open(path, Access::ReadWrite); !created)
            return std::unexpected(created.error());
        return open(path, access);
    }
    if (auto migrated = store->migrate(progress); !migrated)
        return std::unexpected(migrated.error());
    return store;
}

Error SqliteStore::sqliteError(const QString &doing) const
{
    const int code = sqlite3_errcode(m_handle);
    QString message =
        fromUtf8(reinterpret_cast<const unsigned char *>(sqlite3_errmsg(m_handle)), -1);
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        message = QStringLiteral("the store is busy: another program (an import, the collector) "
                                 "is writing to it; try again when it has finished");
        break;
    case SQLITE_NOTADB:
        message = QStringLiteral("this file is not a store (not an SQLite database, or its "
                                 "header is damaged)");
        break;
    case SQLITE_CORRUPT:
        message =
            QStringLiteral("the store is damaged (%1); restore it from a backup").arg(message);
        break;
    case SQLITE_FULL:
        message = QStringLiteral("the disk is full");
        break;
    case SQLITE_READONLY:
        message = QStringLiteral("the store is read-only here (%1)").arg(message);
        break;
    default:
        break;
    }
    return Error{doing + QStringLiteral(": ") + message, m_path};
}

Result<void> SqliteStore::configure()
{
    if (sqlite3_create_function_v2(m_handle, "llmaudit_json", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                   jsonFunction, nullptr, nullptr, nullptr) != SQLITE_OK ||
        registerFilterFunctions(m_handle) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot open the store")));
    // Each pragma is checked: the first statement on a file that is not a database fails here.
    const char *pragmas[] = {
        "PRAGMA busy_timeout = 5000",
        "PRAGMA foreign_keys = ON",
        "PRAGMA cache_size = -32768",
        "PRAGMA temp_store = MEMORY",
    };
    for (const char *sql : pragmas)
        if (sqlite3_exec(m_handle, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            return std::unexpected(sqliteError(QStringLiteral("cannot open the store")));
    if (sqlite3_exec(m_handle, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
        SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot open the store")));
    if (m_access == Access::ReadWrite) {
        // WAL: readers never wait for the writer, and a killed writer leaves a store that opens.
        // synchronous=NORMAL is still safe against a crash of the program (not of the OS).
        if (sqlite3_exec(m_handle, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr) !=
                SQLITE_OK ||
            sqlite3_exec(m_handle, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr) !=
                SQLITE_OK)
            return std::unexpected(sqliteError(QStringLiteral("cannot open the store")));
    }
    return {};
}

bool SqliteStore::isBlank() const
{
    sqlite3_stmt *stmt = nullptr;
    bool blank = false;
    if (sqlite3_prepare_v2(m_handle, "SELECT count(*) FROM sqlite_schema", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        blank = sqlite3_column_int(stmt, 0) == 0;
    sqlite3_finalize(stmt);
    return blank;
}

Result<void> SqliteStore::migrate(const UpgradeProgress &progress)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next())
        return fail(
            QStringLiteral("cannot read the store's version: %1").arg(query.lastError().text()),
            m_path);
    int version = query.value(0).toInt();
    const int latest = static_cast<int>(migrations().size());
    if (version > latest)
        return fail(QStringLiteral("the store was written by a newer version of LLM Audit "
                                   "Workbench (store format %1, this program knows up to %2)")
                        .arg(version)
                        .arg(latest),
                    m_path);
    if (version == latest)
        return {};
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store needs upgrading to format %1; open it once "
                                   "without read-only access")
                        .arg(latest),
                    m_path);
    // The version is read again inside the write transaction: another connection (the window
    // opens several) may have upgraded the store meanwhile.
    auto currentVersion = [this]() -> int {
        sqlite3_stmt *stmt = nullptr;
        int found = -1;
        if (sqlite3_prepare_v2(m_handle, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            found = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        return found;
    };
    // All the steps in one transaction: a program killed during an upgrade (or while setting up
    // a new store) leaves the store at its old format, which every version can open, rather
    // than at one in between that a read-only connection would refuse.
    if (sqlite3_exec(m_handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot upgrade the store")));
    version = currentVersion();
    if (version < 0 || version >= latest) {
        Error error = sqliteError(QStringLiteral("cannot read the store's version"));
        sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        if (version < 0)
            return std::unexpected(error);
        return {}; // upgraded meanwhile
    }
    const int from = version;
    auto cancelled = [&] {
        sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return fail(QStringLiteral("upgrade cancelled, the store is unchanged (it stays at "
                                   "format %1; opening it again upgrades it to format %2)")
                        .arg(from)
                        .arg(latest),
                    m_path);
    };
    auto report = [&](int format, qint64 done, qint64 total) {
        return !progress || progress(format, done, total);
    };
    for (; version < latest; ++version) {
        const bool chains = version + 1 == 4; // reports its own progress, in records
        if (!chains && !report(version + 1, 0, 1))
            return cancelled();
        for (const char *sql : migrations()[static_cast<size_t>(version)]) {
            if (sqlite3_exec(m_handle, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
                Error error = sqliteError(
                    QStringLiteral("cannot upgrade the store to format %1").arg(version + 1));
                sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
                return std::unexpected(error);
            }
        }
        if (chains) { // chain the records stored before there was a chain
            auto chained = extendRecordChain(progress);
            if (!chained) {
                sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
                return std::unexpected(
                    Error{QStringLiteral("cannot upgrade the store to format 4: %1")
                              .arg(chained.error().message),
                          m_path});
            }
            if (!*chained)
                return cancelled();
        } else if (!report(version + 1, 1, 1)) {
            return cancelled();
        }
    }
    const std::string bump = "PRAGMA user_version = " + std::to_string(latest);
    if (sqlite3_exec(m_handle, bump.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(m_handle, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        Error error = sqliteError(QStringLiteral("cannot upgrade the store"));
        sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return std::unexpected(error);
    }
    return {};
}

// Copies the WAL into the database on a thread and a connection of its own. A checkpoint run by
// the writer itself (SQLite's automatic one, after a commit) copies up to 64 MiB and waits for
// fdatasync while the import or the collector can do nothing else: the collector's p90 latency
// was made of those. Passive passes never block the writer. But a busy writer never finds the
// WAL wholly copied by another connection when it begins, and only then does it start the file
// over: past RestartFrames, one RESTART pass takes the write lock at the writer's next pause
// (retrying every 0.2 ms: SQLite's own busy handler backs off for up to 100 ms, time in which the
// writer commits again and again), copies the little that is left and has the next transaction
// start the file over. It gives up after 20 ms and tries again at the next pass: holding the write
// lock, it waits for readers (the window's) to leave the WAL, and a long read must not hold up the
// writer for longer than that (its own busy timeout would fail the import).
class WalCheckpointer
{
public:
    static constexpr std::chrono::milliseconds Interval{50};
    static constexpr int RestartFrames = 32768; // 128 MiB of 4 KiB pages

    static std::unique_ptr<WalCheckpointer> start(const QString &path)
    {
        sqlite3 *db = nullptr;
        if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READWRITE,
                            nullptr) != SQLITE_OK ||
            // Until it has read the file, a connection does not know it is in WAL mode, and its
            // checkpoints do nothing.
            sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
                SQLITE_OK) {
            sqlite3_close(db);
            return nullptr;
        }
        sqlite3_busy_handler(
            db,
            [](void *, int tries) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                return tries < 100 ? 1 : 0; // 20 ms
            },
            nullptr);
        return std::unique_ptr<WalCheckpointer>(
            new WalCheckpointer(db, QFile::encodeName(path) + "-wal"));
    }
    ~WalCheckpointer()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_one();
        m_thread.join();
        sqlite3_close(m_db);
    }

private:
    WalCheckpointer(sqlite3 *db, QByteArray walPath)
        : m_db(db)
        , m_walPath(std::move(walPath))
        , m_thread([this] { run(); })
    {}
    void run()
    {
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, Interval, [this] { return m_stop; })) {
            lock.unlock();
            int frames = 0;
            if (sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                          nullptr) == SQLITE_OK &&
                frames >= RestartFrames) {
                // A RESTART holds the writer while it syncs the WAL, copies what is left and
                // syncs the database (which the passive pass just did). The WAL's sync, done
                // first without holding anyone, leaves it only the last few milliseconds' data.
                if (const int fd = ::open(m_walPath.constData(), O_RDONLY | O_CLOEXEC); fd >= 0) {
                    ::fdatasync(fd);
                    ::close(fd);
                }
                sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr,
                                          nullptr);
            }
            lock.lock();
        }
    }

    sqlite3 *m_db;
    const QByteArray m_walPath;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_thread;
};

void SqliteStore::tuneForBulkWrites()
{
    // The full-text index and the secondary indexes are rewritten page by page: a cache that
    // holds their working set spares SQLite reading the same pages again and again.
    sqlite3_exec(m_handle, "PRAGMA cache_size = -65536", nullptr, nullptr, nullptr);
    if (!m_checkpointer)
        m_checkpointer = WalCheckpointer::start(m_path);
    // Without the thread (the file could not be opened twice), the writer checkpoints every
    // 64 MiB of WAL rather than 4 MiB. With it, only past 256 MiB: when the thread's RESTART
    // found no pause between the writer's transactions (an import's follow each other closely),
    // the writer's own pass finds the WAL nearly all copied and its next transaction starts the
    // file over, which keeps it bounded.
    sqlite3_exec(m_handle,
                 m_checkpointer ? "PRAGMA wal_autocheckpoint = 65536"
                                : "PRAGMA wal_autocheckpoint = 16384",
                 nullptr, nullptr, nullptr);
}

void SqliteStore::prepare(IncomingRecord &record) const
{
    if (record.packedDocument.empty())
        record.packedDocument = pack(record.decoded.document);
    if (record.packedOriginal.empty() && !record.decoded.original.empty())
        record.packedOriginal = pack(record.decoded.original);
    // The plain texts are not kept once packed: an import holds two commits' worth of records,
    // and write() needs them only for a conflict (plainText() unpacks them then).
    std::string().swap(record.decoded.document);
    std::string().swap(record.decoded.original);
}

Result<sqlite3_stmt *> SqliteStore::statement(int which, const char *sql)
{
    sqlite3_stmt *&stmt = m_statements[static_cast<size_t>(which)];
    if (!stmt && sqlite3_prepare_v3(m_handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
                     SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot prepare a query")));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

// The hot path of import and the collector. It uses SQLite's C API on the connection Qt Sql
// opened: Qt Sql would convert every document to UTF-16 and back, about a third of import time.
Result<WriteCounts> SqliteStore::write(std::span<const IncomingRecord> records,
                                       std::span<const QuarantinedRecord> rejects,
                                       std::vector<WriteOutcome> *outcomes)
{
    if (outcomes) {
        outcomes->clear();
        outcomes->reserve(records.size());
    }
    auto outcome = [outcomes](WriteOutcome o) {
        if (outcomes)
            outcomes->push_back(o);
    };
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store is open read-only"), m_path);
    WriteCounts counts;
    if (records.empty() && rejects.empty())
        return counts;
    auto insert = statement(InsertInteraction, R"(INSERT INTO interactions (interaction_id, ts,
            user_id, session_id, model, prompt_tokens, completion_tokens, total_tokens, latency_ms,
            finish_reason, flagged, sensitivity, replay_of, ingested_ms, source, content_hash,
            document, original, chain_seq, chain_link) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
            ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
            ON CONFLICT (interaction_id) DO NOTHING)");
    auto text =
        statement(InsertText, "INSERT INTO interactions_fts (rowid, prompt, "
                              "system_prompt, context, response) VALUES (?1, ?2, ?3, ?4, ?5)");
    auto preview =
        statement(InsertPreview,
                  "INSERT INTO interaction_previews (id, prompt, response) VALUES (?1, ?2, ?3)");
    auto hash = statement(
        SelectHash, "SELECT content_hash, document FROM interactions WHERE interaction_id = ?1");
    auto conflict = statement(InsertConflict, R"(INSERT INTO conflicts (interaction_id,
            received_ms, source, content_hash, document, original) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT DO NOTHING)");
    auto reject = statement(InsertReject, R"(INSERT INTO rejects (received_ms, source, errors,
            raw_hash, raw) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING)");
    for (const auto *prepared : {&insert, &text, &preview, &hash, &conflict, &reject})
        if (!*prepared)
            return std::unexpected(prepared->error());

    const int64_t now = nowMs();
    auto failed = [&](const QString &doing) {
        Error error = sqliteError(doing);
        sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return std::unexpected(error);
    };
    if (sqlite3_exec(m_handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot write to the store")));
    // The chain goes on from its head, read inside this write transaction: no other writer can
    // move it meanwhile. One more SHA-256 over a 140-byte line per stored record.
    auto head = chainHead(ChainName::Records);
    if (!head) {
        sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return std::unexpected(head.error());
    }
    auto [seq, previous] = *head;
    const qint64 firstLink = seq + 1;

    // The full-text rows are written last, all together. FTS5 flushes what it holds in memory
    // to a new segment whenever another statement of the transaction opens a savepoint (every
    // INSERT into interactions does, for its triggers and unique indexes): interleaved, each
    // record became a segment of its own, and merging those cost more than the rest of the write.
    std::vector<std::pair<qint64, const IncomingRecord *>> toIndex;
    toIndex.reserve(records.size());
    for (const IncomingRecord &record : records) {
        // Records that did not come through prepare() (the collector, tests) are packed here.
        const bool prepared = !record.packedDocument.empty();
        const std::string packedHere = prepared ? std::string() : pack(record.decoded.document);
        const std::string packedOriginalHere =
            prepared ? std::string() : pack(record.decoded.original);
        const std::string &document = prepared ? record.packedDocument : packedHere;
        const std::string &original = prepared ? record.packedOriginal : packedOriginalHere;
        const Interaction &r = record.decoded.interaction;
        sqlite3_stmt *s = *insert;
        sqlite3_reset(s);
        bindText(s, 1, r.interactionId);
        sqlite3_bind_int64(s, 2, r.timestampMs);
        bindText(s, 3, r.userId);
        bindText(s, 4, r.sessionId);
        bindTextOrNull(s, 5, r.model);
        bindOptional(s, 6, r.promptTokens);
        bindOptional(s, 7, r.completionTokens);
        bindOptional(s, 8, r.totalTokens);
        bindOptional(s, 9, r.latencyMs);
        bindTextOrNull(s, 10, r.finishReason);
        sqlite3_bind_int(s, 11, r.flagged ? 1 : 0);
        bindOptional(s, 12,
                     r.sensitivity ? std::optional<int64_t>(static_cast<int>(*r.sensitivity))
                                   : std::nullopt);
        bindTextOrNull(s, 13, r.replayOf);
        sqlite3_bind_int64(s, 14, now);
        bindText(s, 15, record.source);
        bindBlob(s, 16, record.decoded.hash.data(), record.decoded.hash.size());
        bindBlob(s, 17, document.data(), document.size());
        if (original.empty())
            sqlite3_bind_null(s, 18);
        else
            bindBlob(s, 18, original.data(), original.size());
        const ContentHash link = chainLink(seq + 1, previous, record.decoded.hash);
        sqlite3_bind_int64(s, 19, seq + 1);
        bindBlob(s, 20, link.data(), link.size());
        if (sqlite3_step(s) != SQLITE_DONE)
            return failed(
                QStringLiteral("cannot store %1").arg(QString::fromStdString(record.source)));
        if (sqlite3_changes(m_handle) == 1) {
            const qint64 rowId = sqlite3_last_insert_rowid(m_handle);
            ++seq;
            previous = link;
            toIndex.emplace_back(rowId, &record);
            sqlite3_stmt *v = *preview;
            sqlite3_reset(v);
            const std::string promptPreview = previewLine(r.prompt);
            const std::string responsePreview = previewLine(r.response);
            sqlite3_bind_int64(v, 1, rowId);
            bindTextOrNull(v, 2, promptPreview);
            bindTextOrNull(v, 3, responsePreview);
            if (sqlite3_step(v) != SQLITE_DONE)
                return failed(
                    QStringLiteral("cannot index %1").arg(QString::fromStdString(record.source)));
            ++counts.stored;
            outcome(WriteOutcome::Stored);
            continue;
        }
        sqlite3_stmt *h = *hash;
        sqlite3_reset(h);
        bindText(h, 1, r.interactionId);
        if (sqlite3_step(h) != SQLITE_ROW)
            return failed(
                QStringLiteral("cannot compare %1").arg(QString::fromStdString(record.source)));
        // The same bytes, or the same record written with other spacing or key order.
        const bool same = (sqlite3_column_bytes(h, 0) == int(record.decoded.hash.size()) &&
                           std::memcmp(sqlite3_column_blob(h, 0), record.decoded.hash.data(),
                                       record.decoded.hash.size()) == 0) ||
                          sameContent(unpackColumn(h, 1),
                                      plainText(record.decoded.document, record.packedDocument));
        sqlite3_reset(h);
        if (same) {
            ++counts.duplicates;
            outcome(WriteOutcome::Duplicate);
            continue;
        }
        sqlite3_stmt *c = *conflict;
        sqlite3_reset(c);
        bindText(c, 1, r.interactionId);
        sqlite3_bind_int64(c, 2, now);
        bindText(c, 3, record.source);
        bindBlob(c, 4, record.decoded.hash.data(), record.decoded.hash.size());
        const std::string plainDocument = plainText(record.decoded.document, record.packedDocument);
        const std::string plainOriginal = plainText(record.decoded.original, record.packedOriginal);
        bindText(c, 5, plainDocument);
        bindTextOrNull(c, 6, plainOriginal);
        if (sqlite3_step(c) != SQLITE_DONE)
            return failed(QStringLiteral("cannot keep the conflicting %1")
                              .arg(QString::fromStdString(record.source)));
        ++counts.conflicts;
        outcome(WriteOutcome::Conflict);
    }
    for (const QuarantinedRecord &q : rejects) {
        sqlite3_stmt *s = *reject;
        sqlite3_reset(s);
        const ContentHash rawHash = sha256(q.raw);
        const std::string errors = errorsToJson(q.errors);
        sqlite3_bind_int64(s, 1, now);
        bindText(s, 2, q.source);
        bindText(s, 3, errors);
        bindBlob(s, 4, rawHash.data(), rawHash.size());
        bindBlob(s, 5, q.raw.data(), q.raw.size());
        if (sqlite3_step(s) != SQLITE_DONE)
            return failed(
                QStringLiteral("cannot quarantine %1").arg(QString::fromStdString(q.source)));
        ++counts.rejected;
    }
    for (const auto &[rowId, record] : toIndex) {
        const Interaction &r = record->decoded.interaction;
        sqlite3_stmt *t = *text;
        sqlite3_reset(t);
        sqlite3_bind_int64(t, 1, rowId);
        bindTextOrNull(t, 2, r.prompt);
        bindTextOrNull(t, 3, r.systemPrompt);
        bindTextOrNull(t, 4, r.contextText);
        bindTextOrNull(t, 5, r.response);
        if (sqlite3_step(t) != SQLITE_DONE)
            return failed(
                QStringLiteral("cannot index %1").arg(QString::fromStdString(record->source)));
    }
    if (counts.stored > 0)
        if (auto moved = setChainHead(ChainName::Records, seq, previous); !moved) {
            sqlite3_exec(m_handle, "ROLLBACK", nullptr, nullptr, nullptr);
            return std::unexpected(moved.error());
        }
    if (sqlite3_exec(m_handle, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        return failed(QStringLiteral("cannot commit to the store"));
    if (counts.stored > 0) {
        counts.links = {{firstLink, seq}};
        Q_EMIT interactionsAdded(counts.stored);
    }
    return counts;
}

struct SqliteStore::Query
{
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> stmt{nullptr, sqlite3_finalize};

    sqlite3_stmt *get() const { return stmt.get(); }
};

// `head` WHERE <the filter's condition> `tail`, prepared and bound. Neither head nor tail may
// hold parameters.
Result<SqliteStore::Query> SqliteStore::filtered(const std::string &head, const FilterExpr &filter,
                                                 const std::string &tail)
{
    auto condition = sqliteCondition(filter, nowMs());
    if (!condition)
        return std::unexpected(condition.error());
    const int limit = sqlite3_limit(m_handle, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    if (condition->params.size() > static_cast<size_t>(limit))
        return fail(QStringLiteral("the filter has too many values for one query (%1 values and "
                                   "field paths; at most %2)")
                        .arg(condition->params.size())
                        .arg(limit));
    const std::string sql = head + " WHERE (" + condition->sql + ")" + tail;
    Query query;
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(m_handle, sql.c_str(), int(sql.size()), &stmt, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot filter the interactions")));
    query.stmt.reset(stmt);
    bindSqlValues(stmt, 1, condition->params);
    return query;
}

namespace {

std::string orderByClause(SortOrder order)
{
    const char *column = "ts";
    // The tie-breaks follow the indexes: (col, ts) indexes carry ts then the row id.
    bool thenTime = true;
    switch (order.column) {
    case SortColumn::Time:
        thenTime = false;
        break;
    case SortColumn::Ingested:
        column = nullptr;
        thenTime = false;
        break;
    case SortColumn::InteractionId:
        column = "interaction_id";
        thenTime = false;
        break;
    case SortColumn::User:
        column = "user_id";
        break;
    case SortColumn::Session:
        column = "session_id";
        break;
    case SortColumn::Model:
        column = "model";
        break;
    case SortColumn::PromptTokens:
        column = "prompt_tokens";
        break;
    case SortColumn::CompletionTokens:
        column = "completion_tokens";
        break;
    case SortColumn::TotalTokens:
        column = "total_tokens";
        thenTime = false;
        break;
    case SortColumn::Latency:
        column = "latency_ms";
        thenTime = false;
        break;
    case SortColumn::FinishReason:
        column = "finish_reason";
        break;
    case SortColumn::Flagged:
        column = "flagged";
        break;
    case SortColumn::Sensitivity:
        column = "sensitivity";
        break;
    case SortColumn::ReplayOf:
        column = "replay_of";
        thenTime = false;
        break;
    }
    const std::string direction = order.direction == Qt::AscendingOrder ? " ASC" : " DESC";
    std::string clause = " ORDER BY ";
    if (column)
        clause += std::string("interactions.") + column + direction + ", ";
    if (thenTime)
        clause += "interactions.ts" + direction + ", ";
    return clause + "interactions.id" + direction;
}

} // namespace

Result<StoreStats> SqliteStore::stats(const FilterExpr &filter)
{
    StoreStats stats;
    {
        auto query = filtered("SELECT count(*), count(DISTINCT session_id), "
                              "count(DISTINCT user_id), coalesce(sum(flagged), 0), min(ts), "
                              "max(ts) FROM interactions",
                              filter);
        if (!query)
            return std::unexpected(query.error());
        sqlite3_stmt *s = query->get();
        if (sqlite3_step(s) != SQLITE_ROW)
            return std::unexpected(sqliteError(QStringLiteral("cannot count")));
        stats.interactions = sqlite3_column_int64(s, 0);
        stats.sessions = sqlite3_column_int64(s, 1);
        stats.users = sqlite3_column_int64(s, 2);
        stats.flagged = sqlite3_column_int64(s, 3);
        if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
            stats.firstMs = sqlite3_column_int64(s, 4);
            stats.lastMs = sqlite3_column_int64(s, 5);
        }
    }
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(QStringLiteral(
            "SELECT (SELECT count(*) FROM rejects), (SELECT count(*) FROM conflicts)")) ||
        !query.next())
        return fail(QStringLiteral("cannot count: %1").arg(query.lastError().text()), m_path);
    stats.rejected = query.value(0).toLongLong();
    stats.conflicts = query.value(1).toLongLong();
    return stats;
}

Result<qint64> SqliteStore::count(const FilterExpr &filter)
{
    auto query = filtered("SELECT count(*) FROM interactions", filter);
    if (!query)
        return std::unexpected(query.error());
    if (sqlite3_step(query->get()) != SQLITE_ROW)
        return std::unexpected(sqliteError(QStringLiteral("cannot count")));
    return sqlite3_column_int64(query->get(), 0);
}

Result<QStringList> SqliteStore::explainQueryPlan(const FilterExpr &filter,
                                                  std::optional<SortOrder> order)
{
    auto query = order ? filtered("EXPLAIN QUERY PLAN SELECT interactions.id FROM interactions",
                                  filter, orderByClause(*order))
                       : filtered("EXPLAIN QUERY PLAN SELECT count(*) FROM interactions", filter);
    if (!query)
        return std::unexpected(query.error());
    QStringList lines;
    int rc;
    while ((rc = sqlite3_step(query->get())) == SQLITE_ROW)
        lines << QString::fromUtf8(
            reinterpret_cast<const char *>(sqlite3_column_text(query->get(), 3)));
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot explain the query")));
    return lines;
}

Result<void> SqliteStore::checkIntegrity()
{
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(m_handle, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot check the store")));
    QStringList problems;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const QString line =
            QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
        if (line != u"ok")
            problems << line;
    }
    sqlite3_finalize(stmt);
    if (!problems.isEmpty())
        return fail(QStringLiteral("the store is damaged: %1").arg(problems.join(u"; ")), m_path);
    // rank = 1: also compare the index with the documents it was built from.
    if (sqlite3_exec(m_handle,
                     "INSERT INTO interactions_fts(interactions_fts, rank) "
                     "VALUES('integrity-check', 1)",
                     nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(
            sqliteError(QStringLiteral("the full-text index does not match the documents")));
    return {};
}

Result<void>
SqliteStore::forEachInteraction(const FilterExpr &filter,
                                const std::function<bool(const StoredInteraction &)> &visit,
                                SortOrder order)
{
    if (filter.matchesAll() && order == SortOrder{SortColumn::Ingested, Qt::AscendingOrder})
        return forEachInIngestOrder(visit);
    // The selection first, then the documents by row id a page at a time. Paging the filtered
    // query itself (WHERE id > last AND <filter> LIMIT n) would run the filter again for every
    // page: a full-text search or an index the planner prefers over the order makes that
    // quadratic in the number of matches.
    auto ids = rowIds(filter, order);
    if (!ids)
        return std::unexpected(ids.error());
    constexpr int PageSize = 256;
    std::string sql =
        "SELECT id, document, original, source, ingested_ms FROM interactions WHERE id IN (";
    for (int i = 1; i <= PageSize; ++i)
        sql += (i > 1 ? ",?" : "?") + std::to_string(i);
    sql += ")";
    auto page = statement(InteractionsById, sql.c_str());
    if (!page)
        return std::unexpected(page.error());
    std::unordered_map<qint64, StoredInteraction> found;
    for (size_t start = 0; start < ids->size(); start += PageSize) {
        const size_t end = std::min(ids->size(), start + PageSize);
        sqlite3_stmt *s = *page;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s); // unused places stay NULL
        for (size_t i = start; i < end; ++i)
            sqlite3_bind_int64(s, int(i - start) + 1, (*ids)[i]);
        found.clear();
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            StoredInteraction item;
            item.rowId = sqlite3_column_int64(s, 0);
            item.document = unpackColumn(s, 1);
            item.original = unpackColumn(s, 2);
            item.source = columnText(s, 3);
            item.ingestedMs = sqlite3_column_int64(s, 4);
            found.emplace(item.rowId, std::move(item));
        }
        if (rc != SQLITE_DONE)
            return std::unexpected(sqliteError(QStringLiteral("cannot read the interactions")));
        sqlite3_reset(s);
        for (size_t i = start; i < end; ++i) {
            auto it = found.find((*ids)[i]);
            if (it != found.end() && !visit(it->second)) // gone meanwhile: skipped
                return {};
        }
    }
    return {};
}

Result<void>
SqliteStore::forEachInIngestOrder(const std::function<bool(const StoredInteraction &)> &visit)
{
    // Keyset paging on the ingest order: each page is an index seek, never an OFFSET scan, and
    // no read transaction stays open between pages.
    auto page = statement(PageOfInteractions,
                          "SELECT id, document, original, source, ingested_ms FROM interactions "
                          "WHERE id > ?1 ORDER BY id LIMIT 512");
    if (!page)
        return std::unexpected(page.error());
    qint64 after = 0;
    for (;;) {
        sqlite3_stmt *s = *page;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, after);
        int rows = 0;
        std::vector<StoredInteraction> batch;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            batch.push_back(storedInteraction(s));
            ++rows;
        }
        if (rc != SQLITE_DONE)
            return std::unexpected(sqliteError(QStringLiteral("cannot read the interactions")));
        sqlite3_reset(s);
        for (const auto &item : batch)
            if (!visit(item))
                return {};
        if (rows == 0)
            return {};
        after = batch.back().rowId;
    }
}

Result<std::vector<RejectEntry>> SqliteStore::rejects()
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(
            QStringLiteral("SELECT id, received_ms, source, errors, raw FROM rejects ORDER BY id")))
        return fail(QStringLiteral("cannot list rejects: %1").arg(query.lastError().text()),
                    m_path);
    std::vector<RejectEntry> list;
    while (query.next()) {
        RejectEntry entry;
        entry.id = query.value(0).toLongLong();
        entry.receivedMs = query.value(1).toLongLong();
        entry.source = query.value(2).toString().toStdString();
        entry.errors = errorsFromJson(query.value(3).toString());
        entry.raw = query.value(4).toByteArray().toStdString();
        list.push_back(std::move(entry));
    }
    return list;
}

Result<std::vector<ConflictEntry>> SqliteStore::conflicts()
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(QStringLiteral(
            "SELECT c.id, c.received_ms, c.interaction_id, c.source, c.document, "
            "hex(i.content_hash), hex(c.content_hash) FROM conflicts c "
            "LEFT JOIN interactions i ON i.interaction_id = c.interaction_id ORDER BY c.id")))
        return fail(QStringLiteral("cannot list conflicts: %1").arg(query.lastError().text()),
                    m_path);
    std::vector<ConflictEntry> list;
    while (query.next()) {
        ConflictEntry entry;
        entry.id = query.value(0).toLongLong();
        entry.receivedMs = query.value(1).toLongLong();
        entry.interactionId = query.value(2).toString().toStdString();
        entry.source = query.value(3).toString().toStdString();
        entry.document = query.value(4).toString().toStdString();
        entry.storedHash = query.value(5).toString().toLower().toStdString();
        entry.incomingHash = query.value(6).toString().toLower().toStdString();
        list.push_back(std::move(entry));
    }
    return list;
}

Result<qint64> SqliteStore::changeCounter()
{
    // SQLite's data_version: the same for this connection's own commits, different after any
    // other connection's.
    sqlite3_stmt *stmt = nullptr;
    qint64 version = -1;
    if (sqlite3_prepare_v2(m_handle, "PRAGMA data_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (version < 0)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the store's version")));
    return version;
}

Result<std::vector<qint64>> SqliteStore::rowIds(const FilterExpr &filter, SortOrder order,
                                                std::optional<qint64> limit)
{
    // SQLite's plan for a full-text filter alone reads the row of every match to sort them by
    // time (20,000 matches: about 250 ms before the first page). Walking the time index instead,
    // probing each entry against the matches, reads no row and stops at the page's end (about
    // 20 ms); its worst case, a phrase that few rows hold, walks the index once.
    const bool walkTimeIndex = filter.root && filter.root->kind == FilterNode::Kind::FullText &&
                               order.column == SortColumn::Time;
    auto query = filtered(walkTimeIndex ? "SELECT interactions.id FROM interactions INDEXED BY "
                                          "interactions_ts"
                                        : "SELECT interactions.id FROM interactions",
                          filter, orderByClause(order) + (limit ? " LIMIT ?" : ""));
    if (!query)
        return std::unexpected(query.error());
    if (limit) // the parameter after the filter's
        sqlite3_bind_int64(query->get(), sqlite3_bind_parameter_count(query->get()), *limit);
    std::vector<qint64> ids;
    int rc;
    while ((rc = sqlite3_step(query->get())) == SQLITE_ROW)
        ids.push_back(sqlite3_column_int64(query->get(), 0));
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot list the interactions")));
    return ids;
}

Result<std::vector<InteractionRow>> SqliteStore::rows(std::span<const qint64> ids)
{
    std::vector<InteractionRow> list;
    if (ids.empty())
        return list;
    QString placeholders;
    for (size_t i = 0; i < ids.size(); ++i)
        placeholders += i == 0 ? QStringLiteral("?") : QStringLiteral(",?");
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT i.id, i.interaction_id, i.ts, i.user_id, i.session_id, i.model, "
                       "CASE WHEN p.id IS NULL THEN json_extract(llmaudit_json(i.document), "
                       "'$.request.prompt') ELSE p.prompt END, "
                       "CASE WHEN p.id IS NULL THEN json_extract(llmaudit_json(i.document), "
                       "'$.response.content') ELSE p.response END, "
                       "i.total_tokens, i.latency_ms, i.finish_reason, i.flagged, i.sensitivity, "
                       "p.id IS NULL, coalesce(r.status, 0), coalesce(r.flagged, 0) "
                       "FROM interactions i LEFT JOIN interaction_previews p ON p.id = i.id "
                       "LEFT JOIN reviews r ON r.interaction = i.id WHERE i.id IN (%1)")
            .arg(placeholders));
    for (size_t i = 0; i < ids.size(); ++i)
        query.bindValue(static_cast<int>(i), ids[i]);
    if (!query.exec())
        return fail(QStringLiteral("cannot read interactions: %1").arg(query.lastError().text()),
                    m_path);
    auto optionalInt = [&](int column) {
        return query.isNull(column) ? std::nullopt
                                    : std::optional<int64_t>(query.value(column).toLongLong());
    };
    while (query.next()) {
        InteractionRow row;
        row.rowId = query.value(0).toLongLong();
        row.interactionId = query.value(1).toString().toStdString();
        row.timestampMs = query.value(2).toLongLong();
        row.userId = query.value(3).toString().toStdString();
        row.sessionId = query.value(4).toString().toStdString();
        row.model = query.value(5).toString().toStdString();
        const bool fromDocument = query.value(13).toBool(); // stored before the previews
        row.prompt = fromDocument ? previewLine(query.value(6).toString().toStdString())
                                  : query.value(6).toString().toStdString();
        row.response = fromDocument ? previewLine(query.value(7).toString().toStdString())
                                    : query.value(7).toString().toStdString();
        row.totalTokens = optionalInt(8);
        row.latencyMs = optionalInt(9);
        row.finishReason = query.value(10).toString().toStdString();
        row.flagged = query.value(11).toInt() != 0;
        if (!query.isNull(12))
            row.sensitivity = static_cast<Sensitivity>(query.value(12).toInt());
        row.reviewStatus = static_cast<ReviewStatus>(std::clamp(query.value(14).toInt(), 0, 3));
        row.reviewFlagged = query.value(15).toInt() != 0;
        list.push_back(std::move(row));
    }
    return list;
}

Result<std::optional<StoredInteraction>>
SqliteStore::readOne(sqlite3_stmt *stmt, const std::function<void(sqlite3_stmt *)> &bind)
{
    sqlite3_reset(stmt);
    bind(stmt);
    std::optional<StoredInteraction> item;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        item = storedInteraction(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read an interaction")));
    return item;
}

Result<std::optional<StoredInteraction>> SqliteStore::interactionAt(qint64 rowId)
{
    auto stmt = statement(InteractionAt, "SELECT id, document, original, source, ingested_ms "
                                         "FROM interactions WHERE id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    return readOne(*stmt, [&](sqlite3_stmt *s) { sqlite3_bind_int64(s, 1, rowId); });
}

Result<std::vector<SessionSummary>> SqliteStore::sessions()
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.setForwardOnly(true);
    if (!query.exec(QStringLiteral(
            "SELECT session_id, min(user_id), count(DISTINCT user_id), count(*), min(ts), max(ts) "
            "FROM interactions GROUP BY session_id ORDER BY max(ts) DESC")))
        return fail(QStringLiteral("cannot list sessions: %1").arg(query.lastError().text()),
                    m_path);
    std::vector<SessionSummary> list;
    while (query.next()) {
        SessionSummary session;
        session.sessionId = query.value(0).toString().toStdString();
        session.userId = query.value(1).toString().toStdString();
        session.users = query.value(2).toInt();
        session.interactions = query.value(3).toLongLong();
        session.firstMs = query.value(4).toLongLong();
        session.lastMs = query.value(5).toLongLong();
        list.push_back(std::move(session));
    }
    return list;
}

Result<std::vector<StoredInteraction>>
SqliteStore::sessionInteractions(const std::string &sessionId, int limit)
{
    auto stmt = statement(SessionInteractions,
                          "SELECT id, document, original, source, ingested_ms FROM interactions "
                          "WHERE session_id = ?1 ORDER BY ts, id LIMIT ?2");
    if (!stmt)
        return std::unexpected(stmt.error());
    sqlite3_stmt *s = *stmt;
    sqlite3_reset(s);
    bindText(s, 1, sessionId);
    sqlite3_bind_int(s, 2, limit);
    std::vector<StoredInteraction> list;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        list.push_back(storedInteraction(s));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the session")));
    return list;
}

Result<std::optional<StoredInteraction>> SqliteStore::interaction(const std::string &interactionId)
{
    auto stmt = statement(InteractionById, "SELECT id, document, original, source, ingested_ms "
                                           "FROM interactions WHERE interaction_id = ?1");
    if (!stmt)
        return std::unexpected(stmt.error());
    return readOne(*stmt, [&](sqlite3_stmt *s) { bindText(s, 1, interactionId); });
}

Result<Summary> SqliteStore::summary(const FilterExpr &filter)
{
    // Every figure comes from an index where one exists (model, sensitivity, flagged, latency);
    // only tokens over time read the table.
    Summary summary;
    auto run = [&](const std::string &head, const std::string &tail,
                   const std::function<void(sqlite3_stmt *)> &row,
                   std::optional<int64_t> extra = {}) -> Result<void> {
        auto query = filtered(head, filter, tail);
        if (!query)
            return std::unexpected(query.error());
        sqlite3_stmt *stmt = query->get();
        if (extra) // one more parameter after the filter's, for the tail
            sqlite3_bind_int64(stmt, sqlite3_bind_parameter_count(stmt), *extra);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            row(stmt);
        if (rc != SQLITE_DONE)
            return std::unexpected(
                sqliteError(QStringLiteral("cannot summarize the interactions")));
        return {};
    };
    int64_t first = 0;
    int64_t last = 0;
    qint64 withLatency = 0;
    if (auto ok = run("SELECT count(*), total(flagged), total(total_tokens), min(ts), max(ts), "
                      "count(latency_ms) FROM interactions",
                      {},
                      [&](sqlite3_stmt *s) {
                          summary.interactions = sqlite3_column_int64(s, 0);
                          summary.flagged = sqlite3_column_int64(s, 1);
                          summary.totalTokens = sqlite3_column_int64(s, 2);
                          first = sqlite3_column_int64(s, 3);
                          last = sqlite3_column_int64(s, 4);
                          withLatency = sqlite3_column_int64(s, 5);
                      });
        !ok)
        return std::unexpected(ok.error());
    if (summary.interactions == 0)
        return summary;

    if (auto ok = run("SELECT coalesce(model, ''), count(*) FROM interactions",
                      " GROUP BY 1 ORDER BY 2 DESC, 1",
                      [&](sqlite3_stmt *s) {
                          summary.byModel.push_back({columnText(s, 0), sqlite3_column_int64(s, 1)});
                      });
        !ok)
        return std::unexpected(ok.error());

    if (auto ok = run("SELECT sensitivity, count(*) FROM interactions",
                      " GROUP BY 1 ORDER BY sensitivity IS NULL, 1",
                      [&](sqlite3_stmt *s) {
                          summary.bySensitivity.push_back(
                              {sqlite3_column_type(s, 0) == SQLITE_NULL
                                   ? std::string()
                                   : std::string(toString(
                                         static_cast<Sensitivity>(sqlite3_column_int(s, 0)))),
                               sqlite3_column_int64(s, 1)});
                      });
        !ok)
        return std::unexpected(ok.error());

    // The bucket bounds are this program's constants, not input: they may be SQL text.
    std::string bucket = "CASE";
    const auto &bounds = Summary::LatencyBucketsMs;
    for (size_t i = 1; i < std::size(bounds); ++i)
        bucket += " WHEN latency_ms < " + std::to_string(bounds[i]) + " THEN " +
                  std::to_string(bounds[i - 1]);
    bucket += " ELSE " + std::to_string(bounds[std::size(bounds) - 1]) + " END";
    if (auto ok = run("SELECT " + bucket + " AS b, count(*) FROM interactions",
                      " AND latency_ms IS NOT NULL GROUP BY b ORDER BY b",
                      [&](sqlite3_stmt *s) {
                          summary.latencyHistogram.push_back(
                              {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), 0});
                      });
        !ok)
        return std::unexpected(ok.error());
    for (auto [p, target] :
         {std::pair{0.50, &summary.latencyP50}, std::pair{0.95, &summary.latencyP95},
          std::pair{0.99, &summary.latencyP99}}) {
        if (withLatency == 0)
            break;
        const qint64 offset = std::min<qint64>(withLatency - 1, qint64(p * double(withLatency)));
        if (auto ok = run(
                "SELECT latency_ms FROM interactions",
                " AND latency_ms IS NOT NULL ORDER BY latency_ms LIMIT 1 OFFSET ?",
                [&](sqlite3_stmt *s) { *target = sqlite3_column_int64(s, 0); }, offset);
            !ok)
            return std::unexpected(ok.error());
    }

    constexpr int64_t Hour = 3'600'000;
    const int64_t span = last - first;
    summary.timeBucketMs = span <= 3 * 24 * Hour     ? Hour
                           : span <= 180 * 24 * Hour ? 24 * Hour
                                                     : 7 * 24 * Hour;
    const std::string width = std::to_string(summary.timeBucketMs); // ours, not input
    if (auto ok = run("SELECT (ts / " + width + ") * " + width +
                          " AS t, count(*), total(total_tokens) FROM interactions",
                      " GROUP BY t ORDER BY t",
                      [&](sqlite3_stmt *s) {
                          summary.overTime.push_back({sqlite3_column_int64(s, 0),
                                                      sqlite3_column_int64(s, 1),
                                                      sqlite3_column_int64(s, 2)});
                      });
        !ok)
        return std::unexpected(ok.error());
    return summary;
}

// --- Replays ---------------------------------------------------------------------------------

Result<std::vector<StoredInteraction>> SqliteStore::replaysOf(const std::string &interactionId,
                                                              int limit)
{
    auto stmt = statement(ReplaysOf, "SELECT id, document, original, source, ingested_ms "
                                     "FROM interactions WHERE replay_of = ?1 "
                                     "ORDER BY ts DESC, id DESC LIMIT ?2");
    if (!stmt)
        return std::unexpected(stmt.error());
    sqlite3_stmt *s = *stmt;
    bindText(s, 1, interactionId);
    sqlite3_bind_int(s, 2, limit);
    std::vector<StoredInteraction> list;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        list.push_back(storedInteraction(s));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the replays")));
    return list;
}

Result<std::vector<std::string>> SqliteStore::replayedInRun(const std::string &runId)
{
    auto stmt = statement(ReplayedInRun, "SELECT DISTINCT original_id FROM replay_runs "
                                         "WHERE run_id = ?1 ORDER BY original_id");
    if (!stmt)
        return std::unexpected(stmt.error());
    sqlite3_stmt *s = *stmt;
    bindText(s, 1, runId);
    std::vector<std::string> list;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        list.push_back(columnText(s, 0));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the replay run")));
    return list;
}

// --- Review, activity and integrity chains ---------------------------------------------------

namespace {

// A statement prepared for one call.
struct Statement
{
    sqlite3_stmt *stmt = nullptr;
    Statement(sqlite3 *db, const std::string &sql)
    {
        if (sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &stmt, nullptr) != SQLITE_OK)
            stmt = nullptr;
    }
    ~Statement() { sqlite3_finalize(stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    explicit operator bool() const { return stmt != nullptr; }
    sqlite3_stmt *get() const { return stmt; }
    void reset() const
    {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

ContentHash blobHash(sqlite3_stmt *stmt, int column)
{
    ContentHash hash{};
    if (sqlite3_column_type(stmt, column) == SQLITE_BLOB &&
        sqlite3_column_bytes(stmt, column) == int(hash.size()))
        std::memcpy(hash.data(), sqlite3_column_blob(stmt, column), hash.size());
    return hash;
}

// Runs `work` in a write transaction: all of it or nothing.
template<class Work>
auto inTransaction(sqlite3 *db, const Work &work) -> decltype(work())
{
    // BEGIN IMMEDIATE waits up to the busy timeout (5 s) for the write lock. An import in
    // another process takes the lock again as soon as each of its commits ends, and SQLite's
    // back-off can miss every gap: a review, note or log entry keeps asking for up to a minute.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    int begun;
    while ((begun = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr)) ==
               SQLITE_BUSY &&
           std::chrono::steady_clock::now() < deadline) {
    }
    if (begun != SQLITE_OK)
        return fail(QStringLiteral("cannot write to the store: %1")
                        .arg(QString::fromUtf8(sqlite3_errmsg(db))));
    auto result = work();
    if (!result || sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        QString message = QString::fromUtf8(sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        if (result)
            return fail(QStringLiteral("cannot commit to the store: %1").arg(message));
    }
    return result;
}

} // namespace

Result<std::pair<qint64, ContentHash>> SqliteStore::chainHead(ChainName chain)
{
    Statement q(m_handle, "SELECT seq, link FROM chain_heads WHERE chain = ?1");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the integrity chain")));
    bindText(q.get(), 1, std::string(toString(chain)));
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_ROW)
        return std::pair(sqlite3_column_int64(q.get(), 0), blobHash(q.get(), 1));
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the integrity chain")));
    return std::pair(qint64(0), ContentHash{});
}

Result<void> SqliteStore::setChainHead(ChainName chain, qint64 seq, const ContentHash &link)
{
    Statement q(m_handle, "INSERT INTO chain_heads (chain, seq, link) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, "
                          "link = excluded.link");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot extend the integrity chain")));
    bindText(q.get(), 1, std::string(toString(chain)));
    sqlite3_bind_int64(q.get(), 2, seq);
    bindBlob(q.get(), 3, link.data(), link.size());
    if (sqlite3_step(q.get()) != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot extend the integrity chain")));
    return {};
}

Result<bool> SqliteStore::extendRecordChain(const UpgradeProgress &progress)
{
    auto head = chainHead(ChainName::Records);
    if (!head)
        return std::unexpected(head.error());
    auto [seq, previous] = *head;
    qint64 total = 0;
    qint64 done = 0;
    if (progress) {
        // All rows less the linked ones: the partial index answers the second count, where
        // counting "chain_seq IS NULL" would read every row.
        Statement all(m_handle, "SELECT count(*) FROM interactions");
        Statement linked(m_handle, "SELECT count(*) FROM interactions WHERE chain_seq IS NOT NULL");
        if (!all || !linked || sqlite3_step(all.get()) != SQLITE_ROW ||
            sqlite3_step(linked.get()) != SQLITE_ROW)
            return std::unexpected(sqliteError(QStringLiteral("cannot count the records")));
        total = sqlite3_column_int64(all.get(), 0) - sqlite3_column_int64(linked.get(), 0);
        if (!progress(4, 0, total))
            return false;
    }
    Statement page(m_handle, "SELECT id, document FROM interactions "
                             "WHERE chain_seq IS NULL AND id > ?1 ORDER BY id LIMIT 512");
    Statement update(m_handle,
                     "UPDATE interactions SET chain_seq = ?2, chain_link = ?3 WHERE id = ?1");
    if (!page || !update)
        return std::unexpected(sqliteError(QStringLiteral("cannot build the integrity chain")));
    qint64 after = 0;
    const qint64 before = seq;
    for (;;) {
        page.reset();
        sqlite3_bind_int64(page.get(), 1, after);
        std::vector<std::pair<qint64, ContentHash>> batch;
        int rc;
        while ((rc = sqlite3_step(page.get())) == SQLITE_ROW)
            batch.emplace_back(sqlite3_column_int64(page.get(), 0),
                               sha256(unpackColumn(page.get(), 1)));
        if (rc != SQLITE_DONE)
            return std::unexpected(sqliteError(QStringLiteral("cannot build the integrity chain")));
        if (batch.empty())
            break;
        for (const auto &[id, digest] : batch) {
            previous = chainLink(++seq, previous, digest);
            update.reset();
            sqlite3_bind_int64(update.get(), 1, id);
            sqlite3_bind_int64(update.get(), 2, seq);
            bindBlob(update.get(), 3, previous.data(), previous.size());
            if (sqlite3_step(update.get()) != SQLITE_DONE)
                return std::unexpected(
                    sqliteError(QStringLiteral("cannot build the integrity chain")));
        }
        after = batch.back().first;
        done += qint64(batch.size());
        if (progress && !progress(4, done, total))
            return false;
    }
    if (seq == before)
        return true;
    if (auto moved = setChainHead(ChainName::Records, seq, previous); !moved)
        return std::unexpected(moved.error());
    return true;
}

Result<qint64> SqliteStore::appendActivity(ActivityEntry entry)
{
    if (entry.timeMs == 0)
        entry.timeMs = nowMs();
    auto head = chainHead(ChainName::Activity);
    if (!head)
        return std::unexpected(head.error());
    const std::string text = canonicalJson(entry);
    const qint64 seq = head->first + 1;
    const ContentHash link = chainLink(seq, head->second, sha256(text));
    Statement q(m_handle, "INSERT INTO activity (ts, kind, entry, chain_seq, chain_link) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot log the activity")));
    sqlite3_bind_int64(q.get(), 1, entry.timeMs);
    bindText(q.get(), 2, std::string(toString(entry.kind)));
    bindText(q.get(), 3, text);
    sqlite3_bind_int64(q.get(), 4, seq);
    bindBlob(q.get(), 5, link.data(), link.size());
    if (sqlite3_step(q.get()) != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot log the activity")));
    const qint64 id = sqlite3_last_insert_rowid(m_handle);
    if (auto moved = setChainHead(ChainName::Activity, seq, link); !moved)
        return std::unexpected(moved.error());
    return id;
}

Result<qint64> SqliteStore::logActivity(const ActivityEntry &entry)
{
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store is open read-only"), m_path);
    auto id = inTransaction(m_handle, [&] { return appendActivity(entry); });
    if (!id)
        return fail(id.error().message, m_path);
    return id;
}

Result<std::vector<ActivityEntry>> SqliteStore::activity(const ActivityQuery &query)
{
    std::string sql = "SELECT id, entry FROM activity WHERE ts >= ?1 AND ts < ?2";
    if (!query.kinds.empty()) {
        sql += " AND kind IN (";
        for (size_t i = 0; i < query.kinds.size(); ++i)
            sql += (i ? ", ?" : "?") + std::to_string(i + 4);
        sql += ")";
    }
    sql += " ORDER BY ts DESC, id DESC LIMIT ?3";
    Statement q(m_handle, sql);
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the activity log")));
    sqlite3_bind_int64(q.get(), 1, query.fromMs.value_or(std::numeric_limits<int64_t>::min()));
    sqlite3_bind_int64(q.get(), 2, query.untilMs.value_or(std::numeric_limits<int64_t>::max()));
    sqlite3_bind_int64(q.get(), 3, query.limit.value_or(-1));
    std::vector<std::string> kinds;
    for (ActivityKind kind : query.kinds)
        kinds.emplace_back(toString(kind));
    for (size_t i = 0; i < kinds.size(); ++i)
        bindText(q.get(), int(i) + 4, kinds[i]);
    std::vector<ActivityEntry> list;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        auto entry = activityFromJson(columnText(q.get(), 1));
        if (!entry) { // shown, not dropped: verify() says what is wrong with it
            entry = ActivityEntry{};
            entry->what = "(unreadable entry: " + visible(columnText(q.get(), 1)) + ")";
        }
        entry->id = sqlite3_column_int64(q.get(), 0);
        list.push_back(std::move(*entry));
    }
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the activity log")));
    std::ranges::reverse(list);
    return list;
}

Result<qint64> SqliteStore::setReview(std::span<const qint64> rowIds, const ReviewChange &change)
{
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store is open read-only"), m_path);
    if (change.isEmpty())
        return fail(QStringLiteral("nothing to change: give a status, a flag or an unflag"));
    if (change.reviewer.empty())
        return fail(QStringLiteral("no reviewer name given"));
    Statement upsert(
        m_handle,
        "INSERT INTO reviews (interaction, status, flagged, flag_reason, reviewer, updated_ms) "
        "SELECT id, coalesce(?2, 0), coalesce(?3, 0), CASE WHEN ?3 = 1 THEN ?4 END, ?5, ?6 "
        "FROM interactions WHERE id = ?1 "
        "ON CONFLICT (interaction) DO UPDATE SET status = coalesce(?2, status), "
        "flagged = coalesce(?3, flagged), flag_reason = CASE WHEN ?3 IS NULL THEN flag_reason "
        "WHEN ?3 = 1 THEN ?4 END, reviewer = ?5, updated_ms = ?6");
    if (!upsert)
        return std::unexpected(sqliteError(QStringLiteral("cannot change the review")));
    const int64_t now = nowMs();
    ActivityEntry entry;
    entry.timeMs = now;
    entry.actor = change.reviewer;
    entry.kind = ActivityKind::Review;
    std::vector<std::string> parts;
    if (change.status)
        parts.push_back("status " + std::string(toString(*change.status)));
    if (change.flag)
        parts.push_back(change.flag->empty() ? std::string("flagged") : "flagged: " + *change.flag);
    else if (change.unflag)
        parts.push_back("unflagged");
    if (change.hold)
        parts.push_back(change.hold->empty() ? std::string("legal hold")
                                             : "legal hold: " + *change.hold);
    else if (change.release)
        parts.push_back("legal hold released");
    for (const auto &part : parts)
        entry.what += (entry.what.empty() ? "" : "; ") + part;
    entry.change = nlohmann::json::object();
    if (change.status)
        entry.change["status"] = toString(*change.status);
    if (change.flag)
        entry.change["flag"] = *change.flag;
    else if (change.unflag)
        entry.change["unflag"] = true;
    if (change.hold)
        entry.change["hold"] = *change.hold;
    else if (change.release)
        entry.change["release"] = true;
    entry.filter = change.filter;
    Statement hold(m_handle, "INSERT INTO holds (interaction, reason, holder, placed_ms) "
                             "SELECT id, ?2, ?3, ?4 FROM interactions WHERE id = ?1 "
                             "ON CONFLICT (interaction) DO UPDATE SET reason = ?2, holder = ?3, "
                             "placed_ms = ?4");
    Statement release(m_handle, "DELETE FROM holds WHERE interaction = ?1");
    if (!hold || !release)
        return std::unexpected(sqliteError(QStringLiteral("cannot change the review")));
    return changeRows(rowIds, std::move(entry), QStringLiteral("cannot change the review"),
                      [&](qint64 rowId) {
                          if (change.hold || change.release) {
                              sqlite3_stmt *h = change.hold ? hold.get() : release.get();
                              sqlite3_reset(h);
                              sqlite3_clear_bindings(h);
                              sqlite3_bind_int64(h, 1, rowId);
                              if (change.hold) {
                                  bindText(h, 2, *change.hold);
                                  bindText(h, 3, change.reviewer);
                                  sqlite3_bind_int64(h, 4, now);
                              }
                              if (sqlite3_step(h) != SQLITE_DONE)
                                  return false;
                          }
                          if (!change.changesReview())
                              return true;
                          upsert.reset();
                          sqlite3_bind_int64(upsert.get(), 1, rowId);
                          if (change.status)
                              sqlite3_bind_int(upsert.get(), 2, static_cast<int>(*change.status));
                          if (change.flag || change.unflag)
                              sqlite3_bind_int(upsert.get(), 3, change.flag ? 1 : 0);
                          if (change.flag)
                              bindText(upsert.get(), 4, *change.flag);
                          bindText(upsert.get(), 5, change.reviewer);
                          sqlite3_bind_int64(upsert.get(), 6, now);
                          return sqlite3_step(upsert.get()) == SQLITE_DONE;
                      });
}

Result<qint64> SqliteStore::changeRows(std::span<const qint64> rowIds, ActivityEntry entry,
                                       const QString &doing,
                                       const std::function<bool(qint64)> &apply)
{
    Statement idOf(m_handle, "SELECT interaction_id FROM interactions WHERE id = ?1");
    if (!idOf)
        return std::unexpected(sqliteError(doing));
    QList<qint64> changed;
    auto result = inTransaction(m_handle, [&]() -> Result<qint64> {
        for (qint64 rowId : rowIds) {
            const sqlite3_int64 before = sqlite3_total_changes64(m_handle);
            if (!apply(rowId))
                return std::unexpected(sqliteError(doing));
            if (sqlite3_total_changes64(m_handle) == before)
                continue; // no such interaction (or nothing to release)
            idOf.reset();
            sqlite3_bind_int64(idOf.get(), 1, rowId);
            if (sqlite3_step(idOf.get()) == SQLITE_ROW)
                entry.interactionIds.push_back(columnText(idOf.get(), 0));
            changed.push_back(rowId);
        }
        entry.count = changed.size();
        if (changed.isEmpty())
            return qint64(0);
        if (auto logged = appendActivity(entry); !logged)
            return std::unexpected(logged.error());
        return qint64(changed.size());
    });
    if (result && !changed.isEmpty())
        Q_EMIT reviewChanged(changed);
    return result;
}

Result<qint64> SqliteStore::addNote(std::span<const qint64> rowIds, const std::string &author,
                                    const std::string &text)
{
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store is open read-only"), m_path);
    if (author.empty())
        return fail(QStringLiteral("no author given for the note"));
    if (QString::fromStdString(text).trimmed().isEmpty())
        return fail(QStringLiteral("the note is empty"));
    Statement insert(m_handle, "INSERT INTO notes (interaction, author, created_ms, text) "
                               "SELECT id, ?2, ?3, ?4 FROM interactions WHERE id = ?1");
    if (!insert)
        return std::unexpected(sqliteError(QStringLiteral("cannot add the note")));
    const int64_t now = nowMs();
    ActivityEntry entry;
    entry.timeMs = now;
    entry.actor = author;
    entry.kind = ActivityKind::Review;
    entry.what = "note: " + text;
    entry.change = {{"note", text}};
    return changeRows(rowIds, std::move(entry), QStringLiteral("cannot add the note"),
                      [&](qint64 rowId) {
                          insert.reset();
                          sqlite3_bind_int64(insert.get(), 1, rowId);
                          bindText(insert.get(), 2, author);
                          sqlite3_bind_int64(insert.get(), 3, now);
                          bindText(insert.get(), 4, text);
                          return sqlite3_step(insert.get()) == SQLITE_DONE;
                      });
}

Result<ReviewState> SqliteStore::reviewOf(qint64 rowId)
{
    Statement q(m_handle, "SELECT status, flagged, flag_reason, reviewer, updated_ms FROM reviews "
                          "WHERE interaction = ?1");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the review")));
    sqlite3_bind_int64(q.get(), 1, rowId);
    ReviewState state;
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_ROW) {
        state.status = static_cast<ReviewStatus>(std::clamp(sqlite3_column_int(q.get(), 0), 0, 3));
        state.flagged = sqlite3_column_int(q.get(), 1) != 0;
        state.flagReason = columnText(q.get(), 2);
        state.reviewer = columnText(q.get(), 3);
        state.updatedMs = sqlite3_column_int64(q.get(), 4);
    } else if (rc != SQLITE_DONE) {
        return std::unexpected(sqliteError(QStringLiteral("cannot read the review")));
    }
    Statement h(m_handle, "SELECT reason, holder, placed_ms FROM holds WHERE interaction = ?1");
    if (!h)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the legal hold")));
    sqlite3_bind_int64(h.get(), 1, rowId);
    const int held = sqlite3_step(h.get());
    if (held == SQLITE_ROW) {
        state.held = true;
        state.holdReason = columnText(h.get(), 0);
        state.heldBy = columnText(h.get(), 1);
        state.heldMs = sqlite3_column_int64(h.get(), 2);
    } else if (held != SQLITE_DONE) {
        return std::unexpected(sqliteError(QStringLiteral("cannot read the legal hold")));
    }
    return state;
}

Result<std::vector<ReviewNote>> SqliteStore::notes(qint64 rowId)
{
    Statement q(m_handle, "SELECT id, author, created_ms, text FROM notes WHERE interaction = ?1 "
                          "ORDER BY created_ms, id");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the notes")));
    sqlite3_bind_int64(q.get(), 1, rowId);
    std::vector<ReviewNote> list;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
        list.push_back({sqlite3_column_int64(q.get(), 0), columnText(q.get(), 1),
                        sqlite3_column_int64(q.get(), 2), columnText(q.get(), 3)});
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the notes")));
    return list;
}

Result<std::vector<qint64>> SqliteStore::reviewedRowIds()
{
    Statement q(m_handle, "SELECT interaction FROM reviews WHERE status != 0 OR flagged = 1 "
                          "UNION SELECT interaction FROM notes ORDER BY 1");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the reviews")));
    std::vector<qint64> ids;
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
        ids.push_back(sqlite3_column_int64(q.get(), 0));
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot read the reviews")));
    return ids;
}

namespace {

// The columns write() extracts from a record, in alteredColumn()'s order (the previews follow).
constexpr std::string_view ExtractedColumns =
    "i.interaction_id, i.ts, i.user_id, i.session_id, i.model, i.prompt_tokens, "
    "i.completion_tokens, i.total_tokens, i.latency_ms, i.finish_reason, i.flagged, "
    "i.sensitivity, i.replay_of";

// One row of the records chain as verify reads it, and what its check worked out off the
// reading thread.
struct VerifiedRow
{
    static constexpr int ColumnCount = 15; // ExtractedColumns, then the two previews

    qint64 seq = 0;
    qint64 rowId = 0;
    std::string interactionId;
    ContentHash storedHash{};
    ContentHash link{};
    std::string stored; // the document as stored: zstd-packed when `packed`
    bool packed = false;
    std::array<std::optional<std::string>, ColumnCount> columns; // nullopt: NULL

    std::optional<std::string> document; // nullopt: cannot be read
    ContentHash digest{};
    std::optional<std::string> altered; // alteredColumn()'s finding
};

// Which of the row's extracted columns (ExtractedColumns and the two previews) no longer say
// what its document says, in words; nullopt when all agree. A NULL column stands for an empty
// text or an absent number, as write() stores them; a NULL preview for one not kept (rows
// written before format 3 read theirs from the document).
std::optional<std::string>
alteredColumn(const std::array<std::optional<std::string>, VerifiedRow::ColumnCount> &stored,
              const std::string &document)
{
    nlohmann::json parsed;
    try {
        parsed = parseJson(document);
    } catch (const nlohmann::json::exception &) {
        return "its document is not JSON any more";
    }
    const Interaction r = interactionFromDocument(std::move(parsed));
    auto differs = [&](int column, const char *name,
                       std::optional<std::string> expected) -> std::optional<std::string> {
        const std::optional<std::string> &value = stored[size_t(column)];
        if (value == expected)
            return std::nullopt;
        return std::string("its ") + name + " column was altered after it was stored: it says " +
               (value ? "'" + visible(*value) + "'" : std::string("NULL")) +
               ", the chained document says " +
               (expected ? "'" + visible(*expected) + "'" : std::string("nothing (NULL)"));
    };
    auto text = [](const std::string &value) {
        return value.empty() ? std::nullopt : std::optional<std::string>(value);
    };
    auto number = [](std::optional<int64_t> value) {
        return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
    };
    const std::optional<std::string> sensitivity =
        r.sensitivity ? std::optional(std::to_string(static_cast<int>(*r.sensitivity)))
                      : std::nullopt;
    const std::pair<const char *, std::optional<std::string>> columns[] = {
        {"interaction_id", r.interactionId},
        {"ts", std::to_string(r.timestampMs)},
        {"user_id", r.userId},
        {"session_id", r.sessionId},
        {"model", text(r.model)},
        {"prompt_tokens", number(r.promptTokens)},
        {"completion_tokens", number(r.completionTokens)},
        {"total_tokens", number(r.totalTokens)},
        {"latency_ms", number(r.latencyMs)},
        {"finish_reason", text(r.finishReason)},
        {"flagged", r.flagged ? "1" : "0"},
        {"sensitivity", sensitivity},
        {"replay_of", text(r.replayOf)},
    };
    int column = 0;
    for (const auto &[name, expected] : columns) {
        if (auto altered = differs(column, name, expected))
            return altered;
        ++column;
    }
    for (const auto &[name, full] :
         {std::pair{"prompt preview", &r.prompt}, std::pair{"response preview", &r.response}}) {
        if (stored[size_t(column)])
            if (auto altered = differs(column, name, text(previewLine(*full))))
                return altered;
        ++column;
    }
    return std::nullopt;
}

// The part of a row's check that needs no other row: unpack, hash, compare the columns.
void examine(VerifiedRow &row)
{
    row.document = row.packed ? unpack(row.stored.data(), row.stored.size())
                              : std::optional<std::string>(std::move(row.stored));
    row.stored = {};
    if (!row.document)
        return;
    // OpenSSL's SHA-256 for the documents (the bulk of the bytes), as import does.
    row.digest = sha256(*row.document);
    row.altered = alteredColumn(row.columns, *row.document);
}

} // namespace

Result<VerifyReport> SqliteStore::verify(const std::function<bool(qint64, qint64)> &progress)
{
    // One read transaction: both chains and their heads as of one moment.
    if (sqlite3_exec(m_handle, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
    VerifyReport report;
    auto records = verifyRecords(report, progress);
    Result<std::optional<ChainProblem>> activity = std::optional<ChainProblem>();
    if (records && !*records)
        activity = verifyActivity(report);
    // Only a purge leaves a tombstone, and the (verified) activity log says which: a record
    // deleted with a tombstone made up for it is as missing as one deleted without.
    if (records && !*records && activity && !*activity) {
        auto purged = unloggedTombstone();
        if (!purged)
            activity = std::unexpected(purged.error());
        else
            records = std::move(*purged);
    }
    if (records && !*records && activity && !*activity)
        activity = unloggedReviewState();
    sqlite3_exec(m_handle, "COMMIT", nullptr, nullptr, nullptr);
    if (!records)
        return std::unexpected(records.error());
    if (!activity)
        return std::unexpected(activity.error());
    report.problem = *records ? *records : *activity;
    return report;
}

Result<std::optional<ChainProblem>>
SqliteStore::verifyRecords(VerifyReport &report,
                           const std::function<bool(qint64, qint64)> &progress)
{
    using Kind = ChainProblem::Kind;
    auto problem = [](Kind kind, qint64 position, qint64 rowId, std::string interactionId,
                      std::string detail) {
        return std::optional<ChainProblem>(ChainProblem{ChainName::Records, kind, position, rowId,
                                                        std::move(interactionId),
                                                        std::move(detail)});
    };
    auto head = chainHead(ChainName::Records);
    if (!head)
        return std::unexpected(head.error());
    const auto [headSeq, headLink] = *head;

    qint64 total = 0;
    {
        Statement count(m_handle, "SELECT count(*) FROM interactions");
        if (!count || sqlite3_step(count.get()) != SQLITE_ROW)
            return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
        total = sqlite3_column_int64(count.get(), 0);
    }
    // Tombstones are few: all of them, merged into the walk by position.
    struct Tombstone
    {
        qint64 seq;
        std::string interactionId;
        ContentHash digest;
        ContentHash link;
    };
    std::vector<Tombstone> tombstones;
    {
        Statement q(m_handle, "SELECT chain_seq, interaction_id, content_hash, chain_link "
                              "FROM tombstones ORDER BY chain_seq");
        if (!q)
            return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
        while (sqlite3_step(q.get()) == SQLITE_ROW)
            tombstones.push_back({sqlite3_column_int64(q.get(), 0), columnText(q.get(), 1),
                                  blobHash(q.get(), 2), blobHash(q.get(), 3)});
    }

    qint64 expected = 1;
    ContentHash previous{};
    // One position of the chain: a live record or a tombstone. Checks the link.
    auto check = [&](qint64 seq, qint64 rowId, const std::string &interactionId,
                     const ContentHash &digest, const ContentHash &link,
                     const std::optional<ContentHash> &storedHash,
                     bool unreadable) -> std::optional<ChainProblem> {
        if (seq > headSeq)
            return problem(Kind::Inserted, seq, rowId, interactionId,
                           "link " + std::to_string(seq) +
                               " lies beyond the chain head the store recorded (link " +
                               std::to_string(headSeq) + "): a record added behind its back");
        if (seq > expected)
            return problem(Kind::Missing, expected, 0, {},
                           seq == expected + 1 ? "link " + std::to_string(expected) +
                                                     " is missing: the record stored before " +
                                                     interactionId + " was deleted"
                                               : "links " + std::to_string(expected) + " to " +
                                                     std::to_string(seq - 1) +
                                                     " are missing: the records stored before " +
                                                     interactionId + " were deleted");
        if (seq < expected)
            return problem(Kind::Inserted, seq, rowId, interactionId,
                           "a second item claims link " + std::to_string(seq));
        if (chainLink(seq, previous, digest) != link) {
            if (unreadable)
                return problem(Kind::Changed, seq, rowId, interactionId,
                               "the stored document cannot be read (damaged or replaced)");
            if (storedHash && chainLink(seq, previous, *storedHash) == link)
                return problem(Kind::Changed, seq, rowId, interactionId,
                               "the document was changed after it was stored: its SHA-256 is " +
                                   toHex(digest) + ", the chain committed to " +
                                   toHex(*storedHash));
            return problem(Kind::Changed, seq, rowId, interactionId,
                           "the link does not follow from link " + std::to_string(seq - 1) +
                               " and this record (its document, digest or link was altered)");
        }
        previous = link;
        ++expected;
        return std::nullopt;
    };

    // The extracted columns and previews too: filters, the table, stats and reports read them,
    // not the document, so each is derived again from the chained document and compared.
    Statement page(m_handle, "SELECT i.chain_seq, i.id, i.interaction_id, i.content_hash, "
                             "i.chain_link, i.document, " +
                                 std::string(ExtractedColumns) +
                                 ", p.prompt, p.response FROM interactions i LEFT JOIN "
                                 "interaction_previews p ON p.id = i.id WHERE i.chain_seq > ?1 "
                                 "ORDER BY i.chain_seq LIMIT 1024");
    if (!page)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
    size_t nextTombstone = 0;
    auto tombstonesBefore = [&](qint64 seq) -> std::optional<ChainProblem> {
        for (; nextTombstone < tombstones.size() && tombstones[nextTombstone].seq < seq;
             ++nextTombstone) {
            const Tombstone &t = tombstones[nextTombstone];
            if (auto p = check(t.seq, 0, t.interactionId, t.digest, t.link, std::nullopt, false)) {
                p->detail += " (a purged record's tombstone)";
                return p;
            }
        }
        return std::nullopt;
    };
    // Pages of rows: while a pool unpacks, hashes and parses one (the bulk of the work), this
    // thread reads the next; then it walks the page in chain order, which is all that must be
    // sequential.
    auto readPage = [&](qint64 after, std::vector<VerifiedRow> &rows) -> bool {
        rows.clear();
        page.reset();
        sqlite3_bind_int64(page.get(), 1, after);
        int rc;
        while ((rc = sqlite3_step(page.get())) == SQLITE_ROW) {
            sqlite3_stmt *s = page.get();
            VerifiedRow &row = rows.emplace_back();
            row.seq = sqlite3_column_int64(s, 0);
            row.rowId = sqlite3_column_int64(s, 1);
            row.interactionId = columnText(s, 2);
            row.storedHash = blobHash(s, 3);
            row.link = blobHash(s, 4);
            row.packed = sqlite3_column_type(s, 5) == SQLITE_BLOB;
            const auto *bytes = static_cast<const char *>(sqlite3_column_blob(s, 5));
            row.stored.assign(bytes ? bytes : "", size_t(sqlite3_column_bytes(s, 5)));
            for (int c = 0; c < VerifiedRow::ColumnCount; ++c)
                if (sqlite3_column_type(s, 6 + c) != SQLITE_NULL)
                    row.columns[size_t(c)] = columnText(s, 6 + c);
        }
        return rc == SQLITE_DONE;
    };
    QThreadPool pool;
    pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    std::vector<VerifiedRow> current, next;
    if (!readPage(0, current))
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
    qint64 done = 0;
    while (!current.empty()) {
        QFuture<void> examined = QtConcurrent::map(&pool, current, examine);
        const bool read = readPage(current.back().seq, next);
        examined.waitForFinished();
        if (!read)
            return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
        for (const VerifiedRow &row : current) {
            if (auto p = tombstonesBefore(row.seq))
                return p;
            if (auto p = check(row.seq, row.rowId, row.interactionId, row.digest, row.link,
                               row.storedHash, !row.document))
                return p;
            if (row.altered)
                return problem(Kind::Changed, row.seq, row.rowId, row.interactionId, *row.altered);
            ++done;
        }
        if (progress && !progress(done, total))
            return fail(QStringLiteral("verification cancelled"));
        std::swap(current, next);
    }
    if (auto p = tombstonesBefore(std::numeric_limits<qint64>::max()))
        return p;
    if (expected - 1 < headSeq)
        return problem(
            Kind::Missing, expected, 0, {},
            expected == headSeq
                ? "link " + std::to_string(expected) + " is missing: the newest record was deleted"
                : "links " + std::to_string(expected) + " to " + std::to_string(headSeq) +
                      " are missing: the newest records were deleted");
    if (previous != headLink)
        return problem(Kind::Changed, headSeq, 0, {},
                       "the chain head the store recorded does not match the last link");
    {
        Statement q(m_handle, "SELECT id, interaction_id FROM interactions "
                              "WHERE chain_seq IS NULL OR chain_link IS NULL ORDER BY id LIMIT 1");
        if (!q)
            return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
        if (sqlite3_step(q.get()) == SQLITE_ROW)
            return problem(Kind::Inserted, 0, sqlite3_column_int64(q.get(), 0),
                           columnText(q.get(), 1),
                           "the record " + columnText(q.get(), 1) +
                               " is not in the chain: it was added behind the store's back");
    }
    report.records = {headSeq, headSeq ? toHex(headLink) : std::string()};
    if (progress)
        progress(total, total);
    return std::optional<ChainProblem>();
}

Result<std::optional<ChainProblem>> SqliteStore::unloggedTombstone()
{
    auto missing = [](qint64 seq, const std::string &interactionId, const std::string &why) {
        return std::optional<ChainProblem>(
            ChainProblem{ChainName::Records, ChainProblem::Kind::Missing, seq, 0, interactionId,
                         "the record " + visible(interactionId) + " (link " + std::to_string(seq) +
                             ") was deleted: its tombstone " + why});
    };
    // What each purge logged, by its time (the time its tombstones carry).
    struct Purge
    {
        qint64 count = 0;
        std::set<std::string> ids; // listed when the purge removed up to 1,000
        std::string idsDigest;     // the SHA-256 of all the ids, one per line, in row order
        int entries = 0;
    };
    std::map<int64_t, Purge> purges;
    Statement logged(m_handle, "SELECT entry FROM activity WHERE kind = 'purge'");
    Statement tombstones(m_handle, "SELECT chain_seq, interaction_id, purged_ms FROM tombstones "
                                   "ORDER BY chain_seq");
    if (!logged || !tombstones)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the store")));
    while (sqlite3_step(logged.get()) == SQLITE_ROW) {
        const auto entry = activityFromJson(columnText(logged.get(), 0));
        if (!entry)
            continue;
        Purge &purge = purges[entry->timeMs];
        purge.count += entry->count.value_or(0);
        purge.ids.insert(entry->interactionIds.begin(), entry->interactionIds.end());
        constexpr std::string_view DigestLabel = "ids sha256 ";
        if (auto at = entry->what.find(DigestLabel); at != std::string::npos)
            purge.idsDigest = entry->what.substr(at + DigestLabel.size(), 64);
        ++purge.entries;
    }
    struct Tombstone
    {
        qint64 seq;
        std::string interactionId;
    };
    std::map<int64_t, std::vector<Tombstone>> byPurge;
    while (sqlite3_step(tombstones.get()) == SQLITE_ROW)
        byPurge[sqlite3_column_int64(tombstones.get(), 2)].push_back(
            {sqlite3_column_int64(tombstones.get(), 0), columnText(tombstones.get(), 1)});
    for (const auto &[purgedMs, group] : byPurge) {
        const auto purge = purges.find(purgedMs);
        if (purge == purges.end())
            return missing(group.front().seq, group.front().interactionId,
                           "names a purge the activity log does not have");
        if (qint64(group.size()) != purge->second.count)
            return missing(group.front().seq, group.front().interactionId,
                           "is one of " + std::to_string(group.size()) +
                               " that name the purge of " +
                               QDateTime::fromMSecsSinceEpoch(purgedMs, Qt::UTC)
                                   .toString(Qt::ISODateWithMs)
                                   .toStdString() +
                               ", which removed " + std::to_string(purge->second.count));
        std::string ids;
        for (const Tombstone &t : group) {
            if (!purge->second.ids.empty() && !purge->second.ids.contains(t.interactionId))
                return missing(t.seq, t.interactionId, "is not among the ids its purge logged");
            ids += t.interactionId + "\n";
        }
        if (purge->second.entries == 1 && !purge->second.idsDigest.empty() &&
            toHex(sha256(ids)) != purge->second.idsDigest)
            return missing(group.front().seq, group.front().interactionId,
                           "is one of a set of ids other than the one its purge logged");
    }
    return std::optional<ChainProblem>();
}

namespace {

// Review state as words, the same for what the tables hold and what the log says:
// "issue, flagged: pii, by alice at 2026-01-05T10:00:00.000Z".
std::string reviewWords(int status, bool flagged, const std::string &reason, const std::string &by,
                        int64_t ms)
{
    return std::string(toString(static_cast<ReviewStatus>(std::clamp(status, 0, 3)))) +
           (flagged ? ", flagged" + (reason.empty() ? std::string() : ": " + reason) : "") +
           ", by " + by + " at " +
           QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs).toStdString();
}

std::string holdWords(const std::string &reason, const std::string &by, int64_t ms)
{
    return "legal hold" + (reason.empty() ? std::string() : ": " + reason) +
           reviewWords(0, false, {}, by, ms).substr(toString(ReviewStatus::Unreviewed).size());
}

std::string noteWords(const std::string &text, const std::string &by, int64_t ms)
{
    return "note \"" + text + "\"" +
           reviewWords(0, false, {}, by, ms).substr(toString(ReviewStatus::Unreviewed).size());
}

// What one review entry of the activity log changed, from its `change`; nullopt for entries
// written before the change was kept as data (their words alone are ambiguous: a reason may
// read like the words of a hold).
struct LoggedReview
{
    std::optional<int> status;
    std::optional<std::pair<bool, std::string>> flag;
    std::optional<std::optional<std::string>> hold; // a reason: placed; nullopt: released
    std::optional<std::string> note;
};

std::optional<LoggedReview> loggedReview(const ActivityEntry &entry)
{
    const nlohmann::json &c = entry.change;
    if (!c.is_object())
        return std::nullopt;
    LoggedReview change;
    auto text = [&c](const char *key) -> std::optional<std::string> {
        auto at = c.find(key);
        return at != c.end() && at->is_string() ? std::optional(at->get<std::string>())
                                                : std::nullopt;
    };
    if (auto status = text("status"))
        if (auto known = reviewStatusFromString(*status))
            change.status = static_cast<int>(*known);
    if (auto flag = text("flag"))
        change.flag = {true, *flag};
    else if (c.contains("unflag"))
        change.flag = {false, {}};
    if (auto hold = text("hold"))
        change.hold = std::optional(*hold);
    else if (c.contains("release"))
        change.hold = std::optional<std::string>();
    change.note = text("note");
    return change;
}

} // namespace

// Review status, flags, notes and legal holds are changed only through setReview() and addNote(),
// each of which logs what it did: folded in log order, the log gives the state each interaction
// must be in. A row edited, added or deleted by hand no longer matches.
Result<std::optional<ChainProblem>> SqliteStore::unloggedReviewState()
{
    struct Expected
    {
        std::optional<std::string> review, hold;
        std::vector<std::string> notes;
        qint64 link = 0; // the log position that last changed it
        int status = 0;
        bool flagged = false;
        std::string reason;
    };
    std::unordered_map<std::string, Expected> expected;
    std::set<std::string> unchecked; // changed by entries without their change as data
    Statement entries(
        m_handle, "SELECT chain_seq, entry FROM activity WHERE kind = 'review' ORDER BY chain_seq");
    if (!entries)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the review state")));
    while (sqlite3_step(entries.get()) == SQLITE_ROW) {
        const auto entry = activityFromJson(columnText(entries.get(), 1));
        if (!entry)
            continue; // the chain vouched for it; an entry this version cannot read is skipped
        const std::optional<LoggedReview> logged = loggedReview(*entry);
        if (!logged) {
            unchecked.insert(entry->interactionIds.begin(), entry->interactionIds.end());
            continue;
        }
        const LoggedReview &change = *logged;
        for (const std::string &id : entry->interactionIds) {
            Expected &e = expected[id];
            e.link = sqlite3_column_int64(entries.get(), 0);
            if (change.note)
                e.notes.push_back(noteWords(*change.note, entry->actor, entry->timeMs));
            if (change.status)
                e.status = *change.status;
            if (change.flag)
                std::tie(e.flagged, e.reason) = *change.flag;
            if (change.status || change.flag)
                e.review = reviewWords(e.status, e.flagged, e.reason, entry->actor, entry->timeMs);
            if (change.hold)
                e.hold = *change.hold
                             ? std::optional(holdWords(**change.hold, entry->actor, entry->timeMs))
                             : std::nullopt;
        }
    }
    // What the tables hold, in the same words, for every interaction that has any.
    std::unordered_map<std::string, std::pair<qint64, Expected>> actual;
    Statement reviews(m_handle, "SELECT i.interaction_id, i.id, r.status, r.flagged, "
                                "r.flag_reason, r.reviewer, r.updated_ms FROM reviews r "
                                "JOIN interactions i ON i.id = r.interaction");
    Statement holds(m_handle, "SELECT i.interaction_id, i.id, h.reason, h.holder, h.placed_ms "
                              "FROM holds h JOIN interactions i ON i.id = h.interaction");
    Statement notes(m_handle, "SELECT i.interaction_id, i.id, n.text, n.author, n.created_ms "
                              "FROM notes n JOIN interactions i ON i.id = n.interaction "
                              "ORDER BY n.id");
    Statement live(m_handle, "SELECT id FROM interactions WHERE interaction_id = ?1");
    if (!reviews || !holds || !notes || !live)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the review state")));
    while (sqlite3_step(reviews.get()) == SQLITE_ROW) {
        sqlite3_stmt *r = reviews.get();
        auto &[rowId, a] = actual[columnText(r, 0)];
        rowId = sqlite3_column_int64(r, 1);
        a.review = reviewWords(sqlite3_column_int(r, 2), sqlite3_column_int(r, 3) != 0,
                               columnText(r, 4), columnText(r, 5), sqlite3_column_int64(r, 6));
    }
    while (sqlite3_step(holds.get()) == SQLITE_ROW) {
        sqlite3_stmt *h = holds.get();
        auto &[rowId, a] = actual[columnText(h, 0)];
        rowId = sqlite3_column_int64(h, 1);
        a.hold = holdWords(columnText(h, 2), columnText(h, 3), sqlite3_column_int64(h, 4));
    }
    while (sqlite3_step(notes.get()) == SQLITE_ROW) {
        sqlite3_stmt *n = notes.get();
        auto &[rowId, a] = actual[columnText(n, 0)];
        rowId = sqlite3_column_int64(n, 1);
        a.notes.push_back(
            noteWords(columnText(n, 2), columnText(n, 3), sqlite3_column_int64(n, 4)));
    }
    auto differs = [](const char *what, const std::vector<std::string> &store,
                      const std::vector<std::string> &log) -> std::optional<std::string> {
        std::vector<std::string> a = store, b = log;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (a == b)
            return std::nullopt;
        auto list = [](const std::vector<std::string> &items) {
            std::string text;
            for (const auto &item : items)
                text += (text.empty() ? "" : "; ") + visible(item);
            return text.empty() ? std::string("none") : text;
        };
        return std::string("its ") + what + " in the store: " + list(a) +
               "; in the activity log: " + list(b);
    };
    auto asList = [](const std::optional<std::string> &item) {
        return item ? std::vector<std::string>{*item} : std::vector<std::string>{};
    };
    auto compare = [&](const std::string &id, qint64 rowId, const Expected &a,
                       const Expected &e) -> std::optional<ChainProblem> {
        std::optional<std::string> detail = differs("review", asList(a.review), asList(e.review));
        if (!detail)
            detail = differs("legal hold", asList(a.hold), asList(e.hold));
        if (!detail)
            detail = differs("notes", a.notes, e.notes);
        if (!detail)
            return std::nullopt;
        return ChainProblem{ChainName::Activity,
                            ChainProblem::Kind::Changed,
                            e.link,
                            rowId,
                            id,
                            "the review state of " + visible(id) +
                                " was altered outside the workbench: " + *detail};
    };
    const Expected none;
    for (const auto &[id, state] : actual) {
        if (unchecked.contains(id))
            continue;
        const auto e = expected.find(id);
        if (auto p = compare(id, state.first, state.second, e == expected.end() ? none : e->second))
            return std::optional(*p);
    }
    for (const auto &[id, e] : expected) {
        if (actual.contains(id) || unchecked.contains(id))
            continue;
        live.reset();
        bindText(live.get(), 1, id);
        if (sqlite3_step(live.get()) != SQLITE_ROW)
            continue; // purged: its review state went with it
        if (auto p = compare(id, sqlite3_column_int64(live.get(), 0), none, e))
            return std::optional(*p);
    }
    return std::optional<ChainProblem>();
}

Result<std::optional<ChainProblem>> SqliteStore::verifyActivity(VerifyReport &report)
{
    using Kind = ChainProblem::Kind;
    auto problem = [](Kind kind, qint64 position, qint64 id, std::string detail) {
        return std::optional<ChainProblem>(
            ChainProblem{ChainName::Activity, kind, position, id, {}, std::move(detail)});
    };
    auto head = chainHead(ChainName::Activity);
    if (!head)
        return std::unexpected(head.error());
    const auto [headSeq, headLink] = *head;
    Statement q(
        m_handle,
        "SELECT chain_seq, id, ts, kind, entry, chain_link FROM activity ORDER BY chain_seq");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the activity log")));
    qint64 expected = 1;
    ContentHash previous{};
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        sqlite3_stmt *s = q.get();
        const qint64 seq = sqlite3_column_int64(s, 0);
        const qint64 id = sqlite3_column_int64(s, 1);
        const std::string text = columnText(s, 4);
        const std::string at = "entry " + std::to_string(id);
        if (seq > headSeq)
            return problem(Kind::Inserted, seq, id,
                           at + " (link " + std::to_string(seq) +
                               ") lies beyond the chain head the store recorded (link " +
                               std::to_string(headSeq) + ")");
        if (seq > expected)
            return problem(Kind::Missing, expected, 0,
                           "activity links " + std::to_string(expected) + " to " +
                               std::to_string(seq - 1) + " are missing (entries deleted)");
        if (chainLink(seq, previous, sha256(text)) != blobHash(s, 5))
            return problem(Kind::Changed, seq, id,
                           at + " does not match its link (the entry or its link was altered)");
        const auto entry = activityFromJson(text);
        if (!entry || entry->timeMs != sqlite3_column_int64(s, 2) ||
            toString(entry->kind) != columnText(s, 3))
            return problem(Kind::Changed, seq, id,
                           at + ": its time or kind column was altered (the entry says " +
                               (entry ? QDateTime::fromMSecsSinceEpoch(entry->timeMs, Qt::UTC)
                                                .toString(Qt::ISODateWithMs)
                                                .toStdString() +
                                            " " + std::string(toString(entry->kind))
                                      : std::string("nothing readable")) +
                               ")");
        previous = blobHash(s, 5);
        ++expected;
    }
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot verify the activity log")));
    if (expected - 1 < headSeq)
        return problem(Kind::Missing, expected, 0,
                       "activity links " + std::to_string(expected) + " to " +
                           std::to_string(headSeq) + " are missing (the newest entries deleted)");
    if (previous != headLink)
        return problem(Kind::Changed, headSeq, 0,
                       "the activity chain head the store recorded does not match the last link");
    report.activity = {headSeq, headSeq ? toHex(headLink) : std::string()};
    return std::optional<ChainProblem>();
}

// --- Retention, purge and backup -------------------------------------------------------------

namespace {

// The WHERE condition of the expired interactions under `policy` as of `nowMs`, and the cut-off
// times it binds (?1, ?2, ...): one term per level that expires (and one for records without a
// level), each on the (sensitivity, ts) index. Empty when nothing expires.
std::pair<std::string, std::vector<int64_t>> expiredCondition(const RetentionPolicy &policy,
                                                              int64_t nowMs)
{
    constexpr int64_t Day = 86'400'000;
    std::string where;
    std::vector<int64_t> cutoffs;
    auto term = [&](const std::string &level, std::optional<int> days) {
        if (!days)
            return;
        where += std::string(where.empty() ? "" : " OR ") + "(sensitivity " + level +
                 " AND ts < ?" + std::to_string(cutoffs.size() + 1) + ")";
        cutoffs.push_back(nowMs - int64_t(*days) * Day);
    };
    for (int level = 0; level < 4; ++level)
        term("= " + std::to_string(level), policy.daysFor(static_cast<Sensitivity>(level)));
    term("IS NULL", policy.daysFor(std::nullopt));
    return {where, cutoffs};
}

} // namespace

Result<PurgePlan> SqliteStore::listExpired(const RetentionPolicy &policy, int64_t nowMs)
{
    PurgePlan plan;
    plan.nowMs = nowMs;
    const auto [where, cutoffs] = expiredCondition(policy, nowMs);
    if (where.empty())
        return plan; // kept forever
    Statement q(m_handle, "SELECT id, interaction_id, ts, sensitivity, "
                          "id IN (SELECT interaction FROM holds) FROM interactions WHERE " +
                              where + " ORDER BY id");
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot list expired interactions")));
    for (size_t i = 0; i < cutoffs.size(); ++i)
        sqlite3_bind_int64(q.get(), int(i) + 1, cutoffs[i]);
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
        sqlite3_stmt *r = q.get();
        ExpiredInteraction item{sqlite3_column_int64(r, 0), columnText(r, 1),
                                sqlite3_column_int64(r, 2), std::nullopt};
        if (sqlite3_column_type(r, 3) != SQLITE_NULL)
            item.sensitivity = static_cast<Sensitivity>(std::clamp(sqlite3_column_int(r, 3), 0, 3));
        (sqlite3_column_int(r, 4) ? plan.held : plan.expired).push_back(std::move(item));
    }
    if (rc != SQLITE_DONE)
        return std::unexpected(sqliteError(QStringLiteral("cannot list expired interactions")));
    return plan;
}

Result<std::pair<qint64, qint64>> SqliteStore::countExpired(const RetentionPolicy &policy,
                                                            int64_t nowMs)
{
    const auto [where, cutoffs] = expiredCondition(policy, nowMs);
    if (where.empty())
        return std::pair(qint64(0), qint64(0));
    Statement q(m_handle, "SELECT count(*), total(id IN (SELECT interaction FROM holds)) "
                          "FROM interactions WHERE " +
                              where);
    if (!q)
        return std::unexpected(sqliteError(QStringLiteral("cannot count expired interactions")));
    for (size_t i = 0; i < cutoffs.size(); ++i)
        sqlite3_bind_int64(q.get(), int(i) + 1, cutoffs[i]);
    if (sqlite3_step(q.get()) != SQLITE_ROW)
        return std::unexpected(sqliteError(QStringLiteral("cannot count expired interactions")));
    const auto held = qint64(sqlite3_column_double(q.get(), 1));
    return std::pair(sqlite3_column_int64(q.get(), 0) - held, held);
}

Result<PurgePlan> SqliteStore::expired(const RetentionPolicy &policy, int64_t nowMs)
{
    // One read transaction: the held and the expired as of one moment.
    if (sqlite3_exec(m_handle, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(sqliteError(QStringLiteral("cannot list expired interactions")));
    auto plan = listExpired(policy, nowMs);
    sqlite3_exec(m_handle, "COMMIT", nullptr, nullptr, nullptr);
    return plan;
}

Result<PurgePlan> SqliteStore::purge(const RetentionPolicy &policy, int64_t nowMs,
                                     const std::string &actor)
{
    if (m_access == Access::ReadOnly)
        return fail(QStringLiteral("the store is open read-only"), m_path);
    if (actor.empty())
        return fail(QStringLiteral("no name given for who purges"));
    // The full-text index keeps no text of its own (external content): a row is removed by
    // giving FTS5 the values it indexed, which the view reads from the document, so this runs
    // before the record itself goes.
    Statement tombstone(m_handle,
                        "INSERT INTO tombstones (chain_seq, interaction_id, content_hash, "
                        "chain_link, purged_ms, reason) SELECT chain_seq, interaction_id, "
                        "content_hash, chain_link, ?2, 'retention' FROM interactions "
                        "WHERE id = ?1 AND chain_seq IS NOT NULL");
    Statement unindex(m_handle, "INSERT INTO interactions_fts (interactions_fts, rowid, prompt, "
                                "system_prompt, context, response) SELECT 'delete', id, prompt, "
                                "system_prompt, context, response FROM interactions_text "
                                "WHERE id = ?1");
    Statement conflicts(m_handle, "DELETE FROM conflicts WHERE interaction_id = ?1");
    // Previews, replay runs (triggers), reviews, notes and holds (foreign keys) go with it.
    Statement remove(m_handle, "DELETE FROM interactions WHERE id = ?1");
    if (!tombstone || !unindex || !conflicts || !remove)
        return std::unexpected(sqliteError(QStringLiteral("cannot purge the store")));
    // Deleted content is overwritten with zeros rather than left in free pages; the checkpoint
    // after the commit then also copies the zeroed pages over the old ones in the file.
    sqlite3_exec(m_handle, "PRAGMA secure_delete = ON", nullptr, nullptr, nullptr);
    auto secureDeleteOff = qScopeGuard([this] {
        sqlite3_exec(m_handle, "PRAGMA secure_delete = OFF", nullptr, nullptr, nullptr);
    });
    PurgePlan done;
    auto result = inTransaction(m_handle, [&]() -> Result<qint64> {
        auto plan = listExpired(policy, nowMs);
        if (!plan)
            return std::unexpected(plan.error());
        done = std::move(*plan);
        for (const ExpiredInteraction &item : done.expired) {
            tombstone.reset();
            sqlite3_bind_int64(tombstone.get(), 1, item.rowId);
            sqlite3_bind_int64(tombstone.get(), 2, nowMs);
            unindex.reset();
            sqlite3_bind_int64(unindex.get(), 1, item.rowId);
            conflicts.reset();
            bindText(conflicts.get(), 1, item.interactionId);
            remove.reset();
            sqlite3_bind_int64(remove.get(), 1, item.rowId);
            for (const Statement *step : {&tombstone, &unindex, &conflicts, &remove})
                if (sqlite3_step(step->get()) != SQLITE_DONE)
                    return std::unexpected(
                        sqliteError(QStringLiteral("cannot purge %1")
                                        .arg(QString::fromStdString(visible(item.interactionId)))));
        }
        if (done.expired.empty())
            return qint64(0);
        // The ids in the entry when they are few; always their digest, so that a list kept
        // elsewhere can be checked against the log.
        std::string ids;
        for (const ExpiredInteraction &item : done.expired)
            ids += item.interactionId + "\n";
        ActivityEntry entry;
        entry.timeMs = nowMs;
        entry.actor = actor;
        entry.kind = ActivityKind::Purge;
        entry.count = qint64(done.expired.size());
        entry.what = "purge: " + std::to_string(done.expired.size()) +
                     " expired interactions removed, " + std::to_string(done.held.size()) +
                     " kept on legal hold; ids sha256 " + toHex(sha256(ids)) + "; retention " +
                     policy.toJson().dump();
        if (done.expired.size() <= 1000)
            for (const ExpiredInteraction &item : done.expired)
                entry.interactionIds.push_back(item.interactionId);
        return appendActivity(entry);
    });
    if (!result)
        return fail(result.error().message, m_path);
    done.activityId = *result;
    if (!done.expired.empty()) // best effort: readers may keep older pages in the WAL a while
        sqlite3_wal_checkpoint_v2(m_handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return done;
}

Result<void> SqliteStore::backupTo(const QString &path)
{
    if (QFileInfo::exists(path))
        return fail(QStringLiteral("the backup file exists already"), path);
    sqlite3 *copy = nullptr;
    const QByteArray file = QFile::encodeName(path);
    if (sqlite3_open_v2(file.constData(), &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
        const QString why = QString::fromUtf8(sqlite3_errmsg(copy));
        sqlite3_close(copy);
        return fail(QStringLiteral("cannot create the backup: %1").arg(why), path);
    }
    // SQLite's online backup in one step: it reads the store in one read transaction, so the
    // copy is the store as of that moment while other connections go on writing (WAL).
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt < 50 && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED); ++attempt) {
        if (attempt > 0)
            QThread::msleep(100);
        sqlite3_backup *backup = sqlite3_backup_init(copy, "main", m_handle, "main");
        if (!backup) {
            rc = sqlite3_errcode(copy);
            break;
        }
        rc = sqlite3_backup_step(backup, -1);
        sqlite3_backup_finish(backup);
    }
    QString why = rc == SQLITE_DONE ? QString() : QString::fromUtf8(sqlite3_errstr(rc));
    // A backup is one file: no WAL beside it.
    if (rc == SQLITE_DONE &&
        sqlite3_exec(copy, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr) != SQLITE_OK)
        why = QString::fromUtf8(sqlite3_errmsg(copy));
    sqlite3_close(copy);
    if (!why.isEmpty()) {
        QFile::remove(path);
        return fail(QStringLiteral("cannot copy the store: %1").arg(why), path);
    }
    return {};
}

} // namespace llmaudit
