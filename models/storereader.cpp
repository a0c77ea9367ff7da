#include "storereader.h"

namespace llmaudit {

class StoreReader::Worker : public QObject
{
public:
    Worker(StoreReader *owner, QString path)
        : m_owner(owner)
        , m_path(std::move(path))
    {}

    // Runs `query` on the store and hands its value to `answer`, or reports the error.
    template<typename Query, typename Answer>
    void run(Query &&query, Answer &&answer)
    {
        Store *s = store();
        if (!s)
            return;
        auto result = query(*s);
        if (!result)
            Q_EMIT m_owner->failed(result.error().toString());
        else
            answer(std::move(*result));
    }

    void close() { m_store.reset(); }
    bool open() { return store() != nullptr; }

    qint64 lastChangeCounter = -1; // checkForChanges(): none yet

private:
    Store *store()
    {
        if (!m_store) {
            // Read-write so that a new store is created, and an old one upgraded, here on the
            // worker rather than in the GUI thread; this object itself only reads.
            Store::OpenOptions options;
            options.upgradeProgress = [this](int format, qint64 done, qint64 total) {
                Q_EMIT m_owner->upgradeProgress(format, done, total);
                return !m_owner->m_cancelUpgrade;
            };
            auto opened = Store::open(m_path, options);
            if (!opened) {
                Q_EMIT m_owner->failed(opened.error().toString());
                return nullptr;
            }
            m_store = std::move(*opened);
            if (auto counter = m_store->changeCounter())
                lastChangeCounter = *counter;
        }
        return m_store.get();
    }

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
    qRegisterMetaType<std::optional<llmaudit::StoredInteraction>>();
    qRegisterMetaType<std::vector<llmaudit::SessionSummary>>();
    qRegisterMetaType<std::vector<llmaudit::StoredInteraction>>();
    qRegisterMetaType<std::string>();
    qRegisterMetaType<llmaudit::Comparison>();
    qRegisterMetaType<llmaudit::Summary>();
    qRegisterMetaType<llmaudit::FilterExpr>();
    qRegisterMetaType<llmaudit::SortOrder>();
    auto *worker = new Worker(this, m_storePath);
    worker->moveToThread(&m_thread);
    connect(this, &StoreReader::openStore, worker, [this, worker] {
        if (worker->open())
            Q_EMIT storeOpened();
    });
    connect(this, &StoreReader::loadIds, worker,
            [this, worker](quint64 g, const FilterExpr &filter, SortOrder order, qint64 limit) {
                const auto bound = limit > 0 ? std::optional<qint64>(limit) : std::nullopt;
                worker->run(
                    [&](Store &s) { return s.rowIds(filter, order, bound); },
                    [&](std::vector<qint64> ids) { Q_EMIT idsLoaded(g, std::move(ids), !bound); });
            });
    connect(this, &StoreReader::loadRows, worker,
            [this, worker](quint64 g, int page, const std::vector<qint64> &ids) {
                worker->run([&](Store &s) { return s.rows(ids); },
                            [&](std::vector<InteractionRow> rows) {
                                Q_EMIT rowsLoaded(g, page, std::move(rows));
                            });
            });
    connect(this, &StoreReader::loadStats, worker, [this, worker](quint64 g) {
        worker->run([](Store &s) { return s.stats(); },
                    [&](StoreStats stats) { Q_EMIT statsLoaded(g, stats); });
    });
    connect(this, &StoreReader::checkForChanges, worker, [this, worker] {
        worker->run([](Store &s) { return s.changeCounter(); },
                    [&](qint64 counter) {
                        if (worker->lastChangeCounter >= 0 && counter != worker->lastChangeCounter)
                            Q_EMIT storeChanged();
                        worker->lastChangeCounter = counter;
                    });
    });
    connect(this, &StoreReader::loadInteraction, worker, [this, worker](quint64 g, qint64 id) {
        worker->run([&](Store &s) { return s.interactionAt(id); },
                    [&](std::optional<StoredInteraction> item) {
                        Q_EMIT interactionLoaded(g, id, std::move(item));
                    });
    });
    connect(this, &StoreReader::loadSessions, worker, [this, worker](quint64 g) {
        worker->run(
            [](Store &s) { return s.sessions(); },
            [&](std::vector<SessionSummary> list) { Q_EMIT sessionsLoaded(g, std::move(list)); });
    });
    connect(this, &StoreReader::loadSession, worker,
            [this, worker](quint64 g, const std::string &session) {
                worker->run(
                    [&](Store &s) { return s.sessionInteractions(session, MaxSessionTurns); },
                    [&](std::vector<StoredInteraction> turns) {
                        Q_EMIT sessionLoaded(g, session, std::move(turns));
                    });
            });
    connect(this, &StoreReader::compare, worker, [this, worker](quint64 g, qint64 a, qint64 b) {
        worker->run(
            [&](Store &s) -> Result<Comparison> {
                auto first = s.interactionAt(a);
                if (!first)
                    return std::unexpected(first.error());
                auto second = s.interactionAt(b);
                if (!second)
                    return std::unexpected(second.error());
                if (!*first || !*second)
                    return fail(tr("One of the two interactions is no longer in the store."));
                return compareDocuments((*first)->document, (*second)->document);
            },
            [&](Comparison comparison) { Q_EMIT compared(g, std::move(comparison)); });
    });
    connect(this, &StoreReader::loadSummary, worker,
            [this, worker](quint64 g, const FilterExpr &filter) {
                worker->run([&](Store &s) { return s.summary(filter); },
                            [&](Summary summary) { Q_EMIT summaryLoaded(g, std::move(summary)); });
            });
    connect(&m_thread, &QThread::finished, worker, [worker] {
        worker->close(); // the connection is closed in the thread that opened it
        delete worker;
    });
    m_thread.setObjectName(QStringLiteral("store reader"));
    m_thread.start();
}

StoreReader::~StoreReader()
{
    cancelUpgrade();
    m_thread.quit();
    m_thread.wait();
}

} // namespace llmaudit
