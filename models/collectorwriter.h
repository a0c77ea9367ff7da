#pragma once

// The collector's one writer: a thread that owns the Store connection and commits what the
// connection threads hand it in batches (group commit: every request waiting when a commit
// starts shares its transaction). A request is answered through its future only after its
// records are committed. The queue is bounded in records: a submit that does not fit is
// refused, and the server answers 503.

#include "redactor.h"
#include "store.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace llmaudit {

class CollectorWriter
{
public:
    using Done = Result<std::vector<WriteOutcome>>;

    // capacity: the records queued or being written beyond which submit() refuses.
    explicit CollectorWriter(qint64 capacity);
    ~CollectorWriter();

    // Opens the store on the writer thread; an error when it cannot be opened.
    Result<void> start(const QString &location);
    // Commits everything submitted so far, then closes the store. Submits after it fail.
    void stop();

    // Called on the writer thread after each commit.
    void setCommittedHandler(std::function<void(const WriteCounts &)> handler)
    {
        m_onCommitted = std::move(handler);
    }

    // Queues records (and rejects to quarantine); nullopt when the queue is full or stopped.
    // `force` queues even past the capacity (the proxy: the call has happened already).
    std::optional<std::future<Done>> submit(std::vector<IncomingRecord> records,
                                            std::vector<QuarantinedRecord> rejects,
                                            bool force = false);

    // The store's redaction policy, then its prepare() (compression), for the submitting
    // threads.
    void prepare(IncomingRecord &record) const;

    qint64 pending() const; // records queued or being written
    qint64 capacity() const { return m_capacity; }

private:
    struct Job
    {
        std::vector<IncomingRecord> records;
        std::vector<QuarantinedRecord> rejects;
        std::promise<Done> done;
    };
    void run(QString location, std::promise<Result<void>> opened);

    const qint64 m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_queue;
    qint64 m_pending = 0;
    bool m_stopping = false;
    bool m_running = false;
    std::thread m_thread;
    Store *m_store = nullptr;                   // owned by the writer thread
    std::shared_ptr<const Redactor> m_redactor; // the store's policy; null: none
    std::function<void(const WriteCounts &)> m_onCommitted;
};

} // namespace llmaudit
