#pragma once

// What a retention policy would purge from a store now, counted on a worker thread with a
// connection of its own (for the Privacy Settings dialog): request() as often as the settings
// change; only the answer to the latest request arrives.

#include "redactionpolicy.h"
#include "store.h"

#include <QFutureWatcher>
#include <QObject>

namespace llmaudit {

class RetentionPreview : public QObject
{
    Q_OBJECT

public:
    struct Counts
    {
        qint64 expired = 0; // would be purged now
        qint64 held = 0;    // expired, but on legal hold
    };

    explicit RetentionPreview(QString storePath, QObject *parent = nullptr);
    ~RetentionPreview() override;

    void request(const RetentionPolicy &policy);

Q_SIGNALS:
    void counted(qint64 expired, qint64 held);
    void failed(const QString &message);

private:
    void start();

    QString m_storePath;
    QFutureWatcher<Result<Counts>> m_watcher;
    std::optional<RetentionPolicy> m_next; // asked for while another count ran
};

} // namespace llmaudit
