#pragma once

// Reads the store for the GUI on a worker thread: it owns its own connection there, and answers
// requests by queued signals, so the GUI thread never waits on disk.

#include "store.h"

#include <QObject>
#include <QThread>

namespace llmaudit {

class StoreReader : public QObject
{
    Q_OBJECT

public:
    // Starts the worker thread; the connection is opened there (creating the store if needed).
    explicit StoreReader(QString storePath, QObject *parent = nullptr);
    ~StoreReader() override;

    const QString &storePath() const { return m_storePath; }

Q_SIGNALS:
    // Requests (from any thread).
    void loadIds(quint64 generation);
    void loadRows(quint64 generation, int page, std::vector<qint64> rowIds);
    void loadStats(quint64 generation);

    // Answers (to the requester's thread).
    void idsLoaded(quint64 generation, std::vector<qint64> rowIds);
    void rowsLoaded(quint64 generation, int page, std::vector<llmaudit::InteractionRow> rows);
    void statsLoaded(quint64 generation, llmaudit::StoreStats stats);
    void failed(QString message);

private:
    class Worker;
    QString m_storePath;
    QThread m_thread;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::StoreStats)
