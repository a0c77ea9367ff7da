#include "batchreplay.h"

#include <QTimer>

#include <cmath>
#include <unordered_set>

namespace llmaudit {

using namespace Qt::StringLiterals;

BatchReplay::BatchReplay(ReplayEngine *engine, BatchOptions options, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_options(std::move(options))
{
    qRegisterMetaType<llmaudit::BatchItem>();
    qRegisterMetaType<llmaudit::BatchSummary>();
    m_options.concurrency = std::max(1, m_options.concurrency);
    m_rateTimer.setSingleShot(true);
    m_rateTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_rateTimer, &QTimer::timeout, this, &BatchReplay::pump);
}

BatchReplay::~BatchReplay()
{
    for (ReplayCall *call : m_inFlight) {
        disconnect(call, nullptr, this, nullptr);
        call->deleteLater();
    }
}

void BatchReplay::setIds(std::vector<std::string> ids)
{
    m_source = [ids = std::move(ids)](Store &) -> Result<std::vector<std::string>> { return ids; };
}

void BatchReplay::setIdSource(ReplayIdSource source)
{
    m_source = std::move(source);
}

void BatchReplay::start()
{
    if (m_running)
        return;
    m_running = true;
    m_stopping = false;
    m_summary = {};
    m_summary.threshold = m_options.threshold;
    m_summary.runId = m_options.spec.runId;
    m_clock.start();
    QTimer::singleShot(0, this, &BatchReplay::begin);
}

void BatchReplay::begin()
{
    Store *store = m_engine->store();
    if (!store)
        return end(Error{u"batch replay needs a store"_s, {}});
    if (!m_source)
        return end(Error{u"no interactions to replay were given"_s, {}});
    if (m_options.resume && m_summary.runId.empty())
        return end(Error{u"resuming needs the id of the run"_s, {}});
    auto ids = m_source(*store);
    if (!ids)
        return end(ids.error());
    std::set<std::string> done;
    if (m_summary.runId.empty()) {
        m_summary.runId = newReplayRunId();
    } else {
        auto replayed = store->replayedInRun(m_summary.runId);
        if (!replayed)
            return end(replayed.error());
        if (!m_options.resume && !replayed->empty())
            return end(Error{u"run \"%1\" has replayed %2 interactions already: resume it, or "
                             "choose another run id"_s.arg(QString::fromStdString(m_summary.runId))
                                 .arg(replayed->size()),
                             {}});
        done.insert(replayed->begin(), replayed->end());
    }
    m_options.spec.runId = m_summary.runId;
    std::unordered_set<std::string> seen;
    for (std::string &id : *ids) {
        if (!seen.insert(id).second)
            continue;
        ++m_summary.total;
        if (done.contains(id))
            ++m_summary.skipped;
        else
            m_ids.push_back(std::move(id));
    }
    m_engine->setParallelism(m_options.concurrency);
    Q_EMIT started(QString::fromStdString(m_summary.runId), m_summary.total, m_summary.skipped);
    Q_EMIT progress(m_summary.done(), m_summary.total);
    pump();
}

void BatchReplay::stop()
{
    if (!m_running || m_stopping)
        return;
    m_stopping = true;
    m_summary.stopped = true;
    m_rateTimer.stop();
    schedulePump(); // ends the run when nothing is in flight
}

void BatchReplay::cancel()
{
    if (!m_running)
        return;
    stop();
    // Cancelling finishes each call at once; copy, since itemDone() edits the set.
    const std::set<ReplayCall *> calls = m_inFlight;
    for (ReplayCall *call : calls)
        call->cancel();
}

void BatchReplay::schedulePump()
{
    if (m_pumpScheduled)
        return;
    m_pumpScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_pumpScheduled = false;
            pump();
        },
        Qt::QueuedConnection);
}

void BatchReplay::pump()
{
    if (!m_running)
        return;
    const qint64 intervalNs =
        m_options.ratePerSecond > 0 ? qint64(std::llround(1e9 / m_options.ratePerSecond)) : 0;
    while (!m_stopping && m_next < m_ids.size() && m_active < m_options.concurrency) {
        if (intervalNs > 0) {
            const qint64 now = m_clock.nsecsElapsed();
            if (now < m_nextStartNs) {
                if (!m_rateTimer.isActive())
                    m_rateTimer.start(int((m_nextStartNs - now + 999'999) / 1'000'000));
                break;
            }
            // Never faster than the rate, even after an idle spell: no bursts.
            m_nextStartNs = now + intervalNs;
        }
        launch(qint64(m_next++));
    }
    finishIfDone();
}

void BatchReplay::launch(qint64 index)
{
    const std::string &id = m_ids[size_t(index)];
    ++m_active;
    auto original = m_engine->store()->interaction(id);
    if (!original || !*original) {
        ReplayOutcome outcome;
        outcome.originalId = id;
        outcome.error = original ? Error{u"no interaction with this id in the store"_s,
                                         QString::fromStdString(id)}
                                 : original.error();
        // Reported from the event loop, like every other item.
        QTimer::singleShot(0, this,
                           [this, index, outcome] { itemDone(index, std::move(outcome)); });
        return;
    }
    ReplayCall *call = m_engine->replay(**original, m_options.spec);
    m_inFlight.insert(call);
    connect(call, &ReplayCall::finished, this, [this, call, index](const ReplayOutcome &outcome) {
        m_inFlight.erase(call);
        call->deleteLater();
        itemDone(index, outcome);
    });
}

void BatchReplay::itemDone(qint64 index, ReplayOutcome outcome)
{
    --m_active;
    BatchItem item;
    item.index = index;
    item.originalId = m_ids[size_t(index)];
    if (outcome.ok()) {
        ++m_summary.replayed;
        const double similarity = outcome.similarity();
        m_summary.minSimilarity =
            m_summary.minSimilarity ? std::min(*m_summary.minSimilarity, similarity) : similarity;
        item.changed = similarity < m_options.threshold;
        if (item.changed)
            ++m_summary.changed;
    } else if (outcome.failure == FailureKind::Cancelled) {
        ++m_summary.cancelled;
    } else {
        ++m_summary.failed;
    }
    item.outcome = std::move(outcome);
    Q_EMIT itemFinished(item);
    Q_EMIT progress(m_summary.done(), m_summary.total);
    schedulePump();
}

void BatchReplay::finishIfDone()
{
    if (m_active > 0)
        return;
    if (m_stopping || m_next >= m_ids.size())
        end();
}

void BatchReplay::end(std::optional<Error> error)
{
    if (!m_running)
        return;
    m_running = false;
    m_rateTimer.stop();
    m_summary.error = std::move(error);
    m_summary.notStarted = qint64(m_ids.size() - m_next);
    m_summary.elapsedMs = m_clock.elapsed();
    Q_EMIT finished(m_summary);
}

} // namespace llmaudit
