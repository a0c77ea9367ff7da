#include "importjob.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

namespace llmaudit {

ImportJob::ImportJob(QString storePath, QStringList files, QString actor, QObject *parent)
    : QObject(parent)
    , m_storePath(std::move(storePath))
    , m_files(std::move(files))
    , m_actor(std::move(actor))
{
    qRegisterMetaType<llmaudit::ImportReport>();
    connect(&m_watcher, &QFutureWatcher<std::optional<ImportReport>>::finished, this, [this] {
        auto result = m_watcher.result();
        if (result)
            Q_EMIT finished(*result);
    });
}

ImportJob::~ImportJob()
{
    cancel();
    m_watcher.waitForFinished();
}

void ImportJob::start()
{
    m_watcher.setFuture(QtConcurrent::run([this]() -> std::optional<ImportReport> {
        auto store = Store::open(m_storePath, Store::Access::ReadWrite);
        if (!store) {
            Q_EMIT failed(store.error().toString());
            return std::nullopt;
        }
        Importer importer(**store);
        if (!m_actor.isEmpty())
            importer.setActor(m_actor.toStdString());
        importer.setCancelFlag(&m_cancelled);
        importer.setRejectHandler([this](const QuarantinedRecord &reject) {
            if (m_rejects.size() < MaxRejectsKept)
                m_rejects.push_back(reject);
        });
        importer.setProgressHandler([this](const ImportProgress &p) {
            const int percent =
                p.bytesTotal > 0
                    ? int((100 * (p.fileNumber - 1) + 100 * p.bytesDone / p.bytesTotal) /
                          std::max(1, p.fileCount))
                    : 100;
            Q_EMIT progressed(percent, tr("%1: %2 read, %3 stored, %4 rejected")
                                           .arg(QFileInfo(p.file).fileName())
                                           .arg(p.read)
                                           .arg(p.counts.stored)
                                           .arg(p.counts.rejected));
        });
        return importer.importFiles(m_files);
    }));
}

void ImportJob::cancel()
{
    m_cancelled.store(true);
}

} // namespace llmaudit
