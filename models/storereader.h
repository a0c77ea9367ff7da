#pragma once

// Reads the store for the GUI on a worker thread: it owns its own connection there, and answers
// requests by queued signals, so the GUI thread never waits on disk.

#include "comparison.h"
#include "store.h"

#include <QObject>
#include <QThread>

#include <atomic>

namespace llmaudit {

class StoreReader : public QObject
{
    Q_OBJECT

public:
    // Starts the worker thread; the connection is opened there (creating the store if needed).
    explicit StoreReader(QString storePath, QObject *parent = nullptr);
    ~StoreReader() override;

    const QString &storePath() const { return m_storePath; }

    // Stops an upgrade of an older store that openStore() (or any request) started: it is
    // rolled back within one page of records, and the open fails with failed(). The store stays
    // closed for this reader: further requests fail at once when it still needs the upgrade.
    // Thread-safe; the destructor calls it too, so that closing never waits for an upgrade.
    void cancelUpgrade() { m_cancelUpgrade = true; }

    // A conversation shows at most this many turns.
    static constexpr int MaxSessionTurns = 2000;

Q_SIGNALS:
    // Requests (from any thread).
    // Opens the store now (upgrading one written by an older version, with upgradeProgress()):
    // storeOpened() or failed(). Every other request opens it too when it is not open yet.
    void openStore();
    // With a limit, the first `limit` ids only (idsLoaded's `complete` is false).
    void loadIds(quint64 generation, llmaudit::FilterExpr filter, llmaudit::SortOrder order,
                 qint64 limit = 0);
    void loadRows(quint64 generation, int page, std::vector<qint64> rowIds);
    void loadStats(quint64 generation);
    void loadInteraction(quint64 generation, qint64 rowId);
    void loadSessions(quint64 generation);
    void loadSession(quint64 generation, std::string sessionId);
    void compare(quint64 generation, qint64 rowIdA, qint64 rowIdB);
    void loadSummary(quint64 generation, llmaudit::FilterExpr filter);
    // Looks whether another connection has written to the store since the last look:
    // storeChanged() when it has.
    void checkForChanges();

    // Answers (to the requester's thread).
    // The upgrade of an older store to `format`: `done` of `total` (records while they are
    // chained, else 0 or 1 of 1); see Store::UpgradeProgress.
    void upgradeProgress(int format, qint64 done, qint64 total);
    void storeOpened();
    void idsLoaded(quint64 generation, std::vector<qint64> rowIds, bool complete);
    void rowsLoaded(quint64 generation, int page, std::vector<llmaudit::InteractionRow> rows);
    void statsLoaded(quint64 generation, llmaudit::StoreStats stats);
    // `interaction` is empty when the row is gone.
    void interactionLoaded(quint64 generation, qint64 rowId,
                           std::optional<llmaudit::StoredInteraction> interaction);
    void sessionsLoaded(quint64 generation, std::vector<llmaudit::SessionSummary> sessions);
    void sessionLoaded(quint64 generation, std::string sessionId,
                       std::vector<llmaudit::StoredInteraction> turns);
    void compared(quint64 generation, llmaudit::Comparison comparison);
    void summaryLoaded(quint64 generation, llmaudit::Summary summary);
    void storeChanged();
    void failed(QString message);

private:
    class Worker;
    QString m_storePath;
    std::atomic<bool> m_cancelUpgrade = false;
    QThread m_thread;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::StoreStats)
Q_DECLARE_METATYPE(std::optional<llmaudit::StoredInteraction>)
Q_DECLARE_METATYPE(std::vector<llmaudit::SessionSummary>)
Q_DECLARE_METATYPE(std::vector<llmaudit::StoredInteraction>)
Q_DECLARE_METATYPE(llmaudit::Comparison)
Q_DECLARE_METATYPE(llmaudit::Summary)
