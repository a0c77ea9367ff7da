#pragma once

// One import run for the GUI: it runs on the thread pool with its own store connection, reports
// progress by signals and can be cancelled.

#include "importer.h"

#include <QFutureWatcher>
#include <QObject>

namespace llmaudit {

class ImportJob : public QObject
{
    Q_OBJECT

public:
    // `actor`: who the activity log records the import under (the window's Reviewer Name).
    ImportJob(QString storePath, QStringList files, QString actor, QObject *parent = nullptr);
    ~ImportJob() override;

    void start();
    void cancel();
    bool isRunning() const { return m_watcher.isRunning(); }

    // Valid after finished(): the rejects seen (at most MaxRejectsKept of them).
    static constexpr int MaxRejectsKept = 1000;
    const std::vector<QuarantinedRecord> &rejects() const { return m_rejects; }

Q_SIGNALS:
    void progressed(int percent, const QString &text);
    void finished(const llmaudit::ImportReport &report);
    void failed(const QString &message); // the store could not be opened

private:
    QString m_storePath;
    QStringList m_files;
    QString m_actor;
    std::atomic<bool> m_cancelled{false};
    std::vector<QuarantinedRecord> m_rejects;
    QFutureWatcher<std::optional<ImportReport>> m_watcher;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::ImportReport)
