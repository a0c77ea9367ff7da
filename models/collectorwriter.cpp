#include "collectorwriter.h"

#include <chrono>

namespace llmaudit {

namespace {
// Records in one transaction at most: large enough to amortise the commit, small enough that
// the requests sharing it are not held long.
constexpr size_t MaxBatchRecords = 8192;
// Tries of one commit (each waits up to the store's busy timeout for the write lock).
constexpr int WriteAttempts = 4;
} // namespace

CollectorWriter::CollectorWriter(qint64 capacity)
    : m_capacity(std::max<qint64>(1, capacity))
{}

CollectorWriter::~CollectorWriter()
{
    stop();
}

Result<void> CollectorWriter::start(const QString &location)
{
    // The store's redaction policy applies here as in an import: nothing unredacted is queued.
    auto redactor = storeRedactor(location);
    if (!redactor)
        return std::unexpected(redactor.error());
    m_redactor = std::move(*redactor);
    std::promise<Result<void>> opened;
    auto result = opened.get_future();
    m_stopping = false;
    m_thread = std::thread(&CollectorWriter::run, this, location, std::move(opened));
    Result<void> r = result.get();
    if (!r) {
        m_thread.join();
        return r;
    }
    std::lock_guard lock(m_mutex);
    m_running = true;
    return r;
}

void CollectorWriter::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_running = false;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void CollectorWriter::prepare(IncomingRecord &record) const
{
    // prepare() is const and thread-safe (Store's contract); m_store lives as long as the
    // writer runs, and submitters only call this while it does.
    if (m_redactor)
        m_redactor->redactRecord(record.decoded);
    if (m_store)
        m_store->prepare(record);
}

qint64 CollectorWriter::pending() const
{
    std::lock_guard lock(m_mutex);
    return m_pending;
}

std::optional<std::future<CollectorWriter::Done>>
CollectorWriter::submit(std::vector<IncomingRecord> records, std::vector<QuarantinedRecord> rejects,
                        bool force)
{
    if (m_redactor)
        for (QuarantinedRecord &reject : rejects)
            m_redactor->redactReject(reject);
    const qint64 size = static_cast<qint64>(records.size() + rejects.size());
    std::future<Done> future;
    {
        std::lock_guard lock(m_mutex);
        if (!m_running)
            return std::nullopt;
        // An empty queue takes any request, however large, so that none waits forever.
        if (!force && m_pending > 0 && m_pending + size > m_capacity)
            return std::nullopt;
        Job job{std::move(records), std::move(rejects), {}};
        future = job.done.get_future();
        m_queue.push_back(std::move(job));
        m_pending += size;
    }
    m_wake.notify_one();
    return future;
}

void CollectorWriter::run(QString location, std::promise<Result<void>> opened)
{
    auto store = Store::open(location, Store::Access::ReadWrite);
    if (!store) {
        opened.set_value(std::unexpected(store.error()));
        return;
    }
    m_store = store->get();
    // A long run of small commits: checkpoints must not stall them (the latency's tail).
    m_store->tuneForBulkWrites();
    opened.set_value({});

    for (;;) {
        std::vector<Job> jobs;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty() && m_stopping)
                break;
            size_t records = 0;
            while (!m_queue.empty() && (jobs.empty() || records < MaxBatchRecords)) {
                records += m_queue.front().records.size() + m_queue.front().rejects.size();
                jobs.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
        }
        std::vector<IncomingRecord> records;
        std::vector<QuarantinedRecord> rejects;
        std::vector<size_t> counts; // each job's records, to split the outcomes by
        qint64 size = 0;
        for (Job &job : jobs) {
            size += static_cast<qint64>(job.records.size() + job.rejects.size());
            counts.push_back(job.records.size());
            std::move(job.records.begin(), job.records.end(), std::back_inserter(records));
            std::move(job.rejects.begin(), job.rejects.end(), std::back_inserter(rejects));
        }
        std::vector<WriteOutcome> outcomes;
        auto written = m_store->write(records, rejects, &outcomes);
        // A failed write rolled back whole. The usual cause is another writer holding the lock
        // past the busy timeout (a large import into the same store): try again a few times
        // before the requests get their 500.
        for (int attempt = 1; !written && attempt < WriteAttempts; ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            written = m_store->write(records, rejects, &outcomes);
        }
        {
            std::lock_guard lock(m_mutex);
            m_pending -= size;
        }
        if (written && m_onCommitted)
            m_onCommitted(*written);
        size_t next = 0;
        for (size_t j = 0; j < jobs.size(); ++j) {
            if (!written) {
                jobs[j].done.set_value(std::unexpected(written.error()));
                continue;
            }
            const auto first = outcomes.begin() + static_cast<std::ptrdiff_t>(next);
            next += counts[j];
            jobs[j].done.set_value(
                std::vector<WriteOutcome>(first, first + static_cast<std::ptrdiff_t>(counts[j])));
        }
    }
    m_store = nullptr;
    store->reset();
}

} // namespace llmaudit
