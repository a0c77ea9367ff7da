#include "retentionpreview.h"

#include <QDateTime>
#include <QFileInfo>
#include <QtConcurrent>

namespace llmaudit {

RetentionPreview::RetentionPreview(QString storePath, QObject *parent)
    : QObject(parent)
    , m_storePath(std::move(storePath))
{
    connect(&m_watcher, &QFutureWatcher<Result<Counts>>::finished, this, [this] {
        if (m_next) { // the settings changed meanwhile: this answer is stale
            start();
            return;
        }
        const Result<Counts> result = m_watcher.result();
        if (result)
            Q_EMIT counted(result->expired, result->held);
        else
            Q_EMIT failed(result.error().toString());
    });
}

RetentionPreview::~RetentionPreview()
{
    m_watcher.waitForFinished(); // the worker uses m_storePath
}

void RetentionPreview::request(const RetentionPolicy &policy)
{
    m_next = policy;
    if (!m_watcher.isRunning())
        start();
}

void RetentionPreview::start()
{
    const RetentionPolicy policy = *m_next;
    m_next.reset();
    const QString path = m_storePath;
    m_watcher.setFuture(QtConcurrent::run([path, policy]() -> Result<Counts> {
        if (!QFileInfo::exists(path))
            return Counts{}; // no store yet: nothing to purge
        // A connection of this thread's own, closed before the thread goes back to the pool.
        auto store = Store::open(path, Store::Access::ReadOnly);
        if (!store)
            return std::unexpected(store.error());
        auto counts = (*store)->countExpired(policy, QDateTime::currentMSecsSinceEpoch());
        if (!counts)
            return std::unexpected(counts.error());
        return Counts{counts->first, counts->second};
    }));
}

} // namespace llmaudit
