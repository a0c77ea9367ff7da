#include "storereader.h"

#include "storeworker.h"

namespace llmaudit {

// Notes the store's change counter when it opens, so that checkForChanges() sees what
// changed from then on.
class StoreReader::Worker : public StoreWorker
{
public:
    using StoreWorker::StoreWorker;
    qint64 lastChangeCounter = -1; // none yet

protected:
    void opened(Store &store) override
    {
        if (auto counter = store.changeCounter())
            lastChangeCounter = *counter;
    }
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
    // Read-write so that a new store is created, and an old one upgraded, here on the worker
    // rather than in the GUI thread; this object itself only reads.
    Store::OpenOptions options;
    options.upgradeProgress = [this](int format, qint64 done, qint64 total) {
        Q_EMIT upgradeProgress(format, done, total);
        return !m_cancelUpgrade;
    };
    auto *worker = new Worker(m_storePath, std::move(options),
                              [this](const QString &error) { Q_EMIT failed(error); });
    worker->moveInto(m_thread);
    connect(this, &StoreReader::openStore, worker, [this, worker] {
        if (worker->store())
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
