#include "reportjob.h"

#include "reportbuilder.h"
#include "reportrenderer.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

namespace llmaudit {

ReportJob::ReportJob(QString storePath, ReportRequest request, ReportFormat format,
                     QString outputPath, QString actor, QObject *parent)
    : QObject(parent)
    , m_storePath(std::move(storePath))
    , m_request(std::move(request))
    , m_format(format)
    , m_outputPath(std::move(outputPath))
    , m_actor(std::move(actor))
{
    m_request.keepRows = m_format == ReportFormat::Csv; // only a CSV lists every interaction
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, [this] {
        const Outcome outcome = m_watcher.result();
        m_activityError = outcome.activityError;
        if (outcome.ok)
            Q_EMIT finished(m_outputPath, outcome.pages, outcome.interactions);
        else if (outcome.cancelled)
            Q_EMIT cancelled();
        else
            Q_EMIT failed(outcome.message);
    });
}

ReportJob::~ReportJob()
{
    cancel();
    m_watcher.waitForFinished();
}

void ReportJob::start()
{
    m_watcher.setFuture(QtConcurrent::run([this]() -> Outcome {
        Outcome outcome;
        // Read-write so that the report is recorded in the activity log; read-only when the file
        // allows no more (the report is written, and activityError() says it was not logged).
        // Never creating a store that is not there: read-only then says so.
        auto store = QFileInfo::exists(m_storePath)
                         ? Store::open(m_storePath, Store::Access::ReadWrite)
                         : Store::open(m_storePath, Store::Access::ReadOnly);
        if (!store)
            store = Store::open(m_storePath, Store::Access::ReadOnly);
        if (!store) {
            outcome.message = store.error().toString();
            return outcome;
        }
        // Reading is most of the work for a big store, writing most of it for a PDF.
        const int readShare = m_format == ReportFormat::Pdf ? 60 : 90;
        auto data = buildReport(
            **store, m_request,
            [this, readShare](const ReportProgress &p) {
                const int percent =
                    p.total > 0 ? int(qint64(readShare) * std::min(p.done, p.total) / p.total) : 0;
                Q_EMIT progressed(
                    percent,
                    p.total > 0 ? tr("%1: %2 of %3").arg(p.step).arg(p.done).arg(p.total) : p.step);
            },
            &m_cancelled);
        if (!data || m_cancelled.load()) {
            outcome.cancelled = m_cancelled.load();
            outcome.message = data ? tr("cancelled") : data.error().toString();
            return outcome;
        }
        Q_EMIT progressed(readShare, tr("Writing the report"));
        auto written = writeReport(
            *data, m_format, m_outputPath,
            [this, readShare](int page, int pages) {
                Q_EMIT progressed(readShare + (100 - readShare) * page / std::max(1, pages),
                                  tr("Writing page %1 of %2").arg(page).arg(pages));
            },
            &m_cancelled);
        if (!written) {
            outcome.cancelled = m_cancelled.load();
            outcome.message = written.error().toString();
            return outcome;
        }
        outcome.ok = true;
        if (auto logged = (*store)->logActivity(reportActivity(
                *data, m_format, QFileInfo(m_outputPath).absoluteFilePath(), m_actor));
            !logged)
            outcome.activityError = logged.error().toString();
        outcome.pages = *written;
        outcome.interactions = data->summary.interactions;
        return outcome;
    }));
}

void ReportJob::cancel()
{
    m_cancelled.store(true);
}

} // namespace llmaudit
