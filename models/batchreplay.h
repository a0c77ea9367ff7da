#pragma once

// Replays many interactions as one run: a list of ids (or a function that yields them from
// the store: a filter, later), at most N at once, at most R started a second, with progress,
// stop and cancel, and a summary of how many changed beyond a similarity threshold. A run has
// an id, kept in every replay record it makes (replay.run_id), so that a stopped run resumes
// where it stopped without replaying anything twice. Runs in the thread of its ReplayEngine,
// which must have a store.

#include "replayengine.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <set>

namespace llmaudit {

// The ids of the originals to replay, read from the run's store.
using ReplayIdSource = std::function<Result<std::vector<std::string>>(Store &store)>;

struct BatchOptions
{
    ReplaySpec spec; // for every item; spec.runId names the run (empty: a new one)
    int concurrency = 4;
    double ratePerSecond = 0; // replays started a second at most; 0: no limit
    double threshold = 0;     // a replay whose similarity is below this has changed
    bool resume = false;      // continue run spec.runId, skipping what it has replayed
};

struct BatchItem
{
    qint64 index = 0; // in the run's list of ids
    std::string originalId;
    ReplayOutcome outcome;
    bool changed = false; // replayed, with a similarity below the threshold
};

struct BatchSummary
{
    std::string runId;
    double threshold = 0;
    qint64 total = 0;     // distinct ids
    qint64 skipped = 0;   // replayed in this run before (resume)
    qint64 replayed = 0;  // replayed and stored now
    qint64 failed = 0;    // the provider or the store failed, or the id is unknown
    qint64 cancelled = 0; // in flight when cancel() came; a resume replays them
    qint64 changed = 0;   // replayed with a similarity below the threshold
    qint64 notStarted = 0;
    bool stopped = false;       // stop() or cancel() ended the run early
    std::optional<Error> error; // the run could not start
    std::optional<double> minSimilarity;
    qint64 elapsedMs = 0;

    qint64 done() const { return skipped + replayed + failed + cancelled; }
};

class BatchReplay : public QObject
{
    Q_OBJECT

public:
    BatchReplay(ReplayEngine *engine, BatchOptions options, QObject *parent = nullptr);
    ~BatchReplay() override;

    void setIds(std::vector<std::string> ids);
    void setIdSource(ReplayIdSource source);

    // Reads the ids and starts; started() or, when the run cannot start, finished() with
    // summary().error follows from the event loop.
    void start();
    // Starts nothing more and lets the replays in flight finish (the CLI on Ctrl+C).
    void stop();
    // Starts nothing more and cancels the replays in flight; they are not stored.
    void cancel();

    bool isRunning() const { return m_running; }
    int inFlight() const { return m_active; } // replays started and not finished
    const std::string &runId() const { return m_summary.runId; }
    const BatchSummary &summary() const { return m_summary; }

Q_SIGNALS:
    void started(const QString &runId, qint64 total, qint64 skipped);
    void itemFinished(const llmaudit::BatchItem &item);
    void progress(qint64 done, qint64 total);
    void finished(const llmaudit::BatchSummary &summary);

private:
    void begin();
    void pump();
    void schedulePump();
    void launch(qint64 index);
    void itemDone(qint64 index, ReplayOutcome outcome);
    void finishIfDone();
    void end(std::optional<Error> error = {});

    ReplayEngine *m_engine;
    BatchOptions m_options;
    ReplayIdSource m_source;
    std::vector<std::string> m_ids; // to replay now (the skipped ones removed)
    size_t m_next = 0;
    std::set<ReplayCall *> m_inFlight;
    int m_active = 0; // items started and not finished (m_inFlight and unknown ids)
    bool m_running = false;
    bool m_stopping = false;
    bool m_pumpScheduled = false;
    BatchSummary m_summary;
    QElapsedTimer m_clock;
    qint64 m_nextStartNs = 0; // rate limit: the earliest time of the next start, on m_clock
    QTimer m_rateTimer;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::BatchItem)
Q_DECLARE_METATYPE(llmaudit::BatchSummary)
