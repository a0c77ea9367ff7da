#pragma once

// One report run for the window: builds the report from its own store connection and writes
// the file on the thread pool, with progress by signals and cancel.

#include "reportdata.h"

#include <QFutureWatcher>
#include <QObject>

#include <atomic>

namespace llmaudit {

class ReportJob : public QObject
{
    Q_OBJECT

public:
    // `actor`: who the activity log records the report under (the window's Reviewer Name).
    ReportJob(QString storePath, ReportRequest request, ReportFormat format, QString outputPath,
              QString actor, QObject *parent = nullptr);
    ~ReportJob() override;

    void start();
    void cancel();
    bool isRunning() const { return m_watcher.isRunning(); }
    const QString &outputPath() const { return m_outputPath; }
    // After finished(): why the report, though written, is not in the activity log (empty when
    // it is).
    const QString &activityError() const { return m_activityError; }

Q_SIGNALS:
    void progressed(int percent, const QString &text);
    // `pages` is the PDF's page count (1 for HTML and CSV).
    void finished(const QString &outputPath, int pages, qint64 interactions);
    void failed(const QString &message);
    void cancelled();

private:
    struct Outcome
    {
        bool ok = false;
        bool cancelled = false;
        QString message;
        int pages = 0;
        qint64 interactions = 0;
        QString activityError;
    };

    QString m_storePath;
    ReportRequest m_request;
    ReportFormat m_format;
    QString m_outputPath;
    QString m_actor;
    QString m_activityError;
    std::atomic<bool> m_cancelled{false};
    QFutureWatcher<Outcome> m_watcher;
};

} // namespace llmaudit
