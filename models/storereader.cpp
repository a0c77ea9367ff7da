#include "storereader.h"

namespace llmaudit {

class StoreReader::Worker : public QObject
{
public:
    Worker(StoreReader *owner, QString path)
        : m_owner(owner)
        , m_path(std::move(path))
    {}

    Store *store()
    {
        if (!m_store) {
            // Read-write so that a new store is created, and an old one upgraded, here on the
            // worker rather than in the GUI thread; this object itself only reads.
            auto opened = Store::open(m_path, Store::Access::ReadWrite);
            if (!opened) {
                Q_EMIT m_owner->failed(opened.error().toString());
                return nullptr;
            }
            m_store = std::move(*opened);
        }
        return m_store.get();
    }

    void ids(quint64 generation)
    {
        if (Store *s = store()) {
            auto ids = s->rowIds();
            if (!ids)
                Q_EMIT m_owner->failed(ids.error().toString());
            else
                Q_EMIT m_owner->idsLoaded(generation, std::move(*ids));
        }
    }

    void rows(quint64 generation, int page, const std::vector<qint64> &rowIds)
    {
        if (Store *s = store()) {
            auto rows = s->rows(rowIds);
            if (!rows)
                Q_EMIT m_owner->failed(rows.error().toString());
            else
                Q_EMIT m_owner->rowsLoaded(generation, page, std::move(*rows));
        }
    }

    void stats(quint64 generation)
    {
        if (Store *s = store()) {
            auto stats = s->stats();
            if (!stats)
                Q_EMIT m_owner->failed(stats.error().toString());
            else
                Q_EMIT m_owner->statsLoaded(generation, *stats);
        }
    }

    void close() { m_store.reset(); }

private:
    StoreReader *m_owner;
    QString m_path;
    std::unique_ptr<Store> m_store;
};

StoreReader::StoreReader(QString storePath, QObject *parent)
    : QObject(parent)
    , m_storePath(std::move(storePath))
{
    qRegisterMetaType<std::vector<qint64>>();
    qRegisterMetaType<std::vector<llmaudit::InteractionRow>>();
    qRegisterMetaType<llmaudit::StoreStats>();
    auto *worker = new Worker(this, m_storePath);
    worker->moveToThread(&m_thread);
    connect(this, &StoreReader::loadIds, worker, [worker](quint64 g) { worker->ids(g); });
    connect(this, &StoreReader::loadRows, worker,
            [worker](quint64 g, int page, const std::vector<qint64> &ids) {
                worker->rows(g, page, ids);
            });
    connect(this, &StoreReader::loadStats, worker, [worker](quint64 g) { worker->stats(g); });
    connect(&m_thread, &QThread::finished, worker, [worker] {
        worker->close(); // the connection is closed in the thread that opened it
        delete worker;
    });
    m_thread.setObjectName(QStringLiteral("store reader"));
    m_thread.start();
}

StoreReader::~StoreReader()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace llmaudit
