#include "importer.h"

#include <QFileInfo>
#include <QFuture>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <deque>

namespace llmaudit {

namespace {

constexpr size_t BatchRecords = 1024;
constexpr size_t BatchBytes = 8 * 1024 * 1024;
// Decoded batches are committed together up to this much input: fewer, larger transactions
// rewrite the indexes' pages far less often. A kill loses at most this much (import again).
constexpr qint64 CommitBytes = 32 * 1024 * 1024;

struct RawBatch
{
    std::vector<RawRecord> records;
    std::vector<std::string> locations;
    Dialect dialect = Dialect::Standard;
    qint64 bytesDone = 0;
};

struct DecodedBatch
{
    std::vector<IncomingRecord> records;
    std::vector<QuarantinedRecord> rejects;
    qint64 read = 0;
    qint64 bytesDone = 0;
    std::map<QString, qint64> redacted;
    qint64 pseudonymized = 0;
};

DecodedBatch decodeBatch(RawBatch batch, const Store *store, const Redactor *redactor)
{
    DecodedBatch out;
    out.read = static_cast<qint64>(batch.records.size());
    out.bytesDone = batch.bytesDone;
    out.records.reserve(batch.records.size());
    for (size_t i = 0; i < batch.records.size(); ++i) {
        RawRecord &raw = batch.records[i];
        std::string &location = batch.locations[i];
        if (!raw.frameError.empty()) {
            out.rejects.push_back(
                {std::move(location), {{"", raw.frameError}}, std::move(raw.text)});
            if (redactor)
                redactor->redactReject(out.rejects.back());
            continue;
        }
        auto decoded = decodeRecord(raw.text, batch.dialect);
        if (!decoded) {
            out.rejects.push_back(
                {std::move(location), std::move(decoded.error()), std::move(raw.text)});
            if (redactor)
                redactor->redactReject(out.rejects.back());
            continue;
        }
        if (redactor) {
            const RedactionOutcome outcome = redactor->redactRecord(*decoded);
            for (const auto &[type, count] : outcome.counts)
                out.redacted[type] += count;
            out.pseudonymized += outcome.pseudonymized ? 1 : 0;
        }
        // The writer needs the text and the extracted fields only; free the tree now.
        decoded->interaction.document = nullptr;
        IncomingRecord record{std::move(*decoded), std::move(location), {}, {}};
        store->prepare(record);
        out.records.push_back(std::move(record));
    }
    return out;
}

// Which records an import stored, as positions in the chain of records ("; chain links 1-400"),
// the way `llmaudit verify` and the window's verification count them. Imports beside another
// writer (the collector) store in several runs; the first few are named, then how many more.
std::string linksText(const std::vector<std::pair<qint64, qint64>> &links)
{
    constexpr size_t Named = 20;
    std::string text;
    for (size_t i = 0; i < links.size() && i < Named; ++i) {
        const auto [first, last] = links[i];
        text += (i == 0 ? "; chain links " : ", ") + std::to_string(first) +
                (last == first ? std::string() : "-" + std::to_string(last));
    }
    if (links.size() > Named)
        text += " and " + std::to_string(links.size() - Named) + " more runs";
    return text;
}

} // namespace

bool ImportReport::complete() const
{
    return !cancelled && !storeError &&
           std::none_of(files.begin(), files.end(),
                        [](const FileImport &f) { return f.error.has_value(); });
}

Importer::Importer(Store &store)
    : m_store(store)
{}

void Importer::setProgressHandler(std::function<void(const ImportProgress &)> handler)
{
    m_progress = std::move(handler);
}

void Importer::setRedactor(std::shared_ptr<const Redactor> redactor)
{
    m_redactor = std::move(redactor);
    m_redactorSet = true;
}

void Importer::setRejectHandler(std::function<void(const QuarantinedRecord &)> handler)
{
    m_onReject = std::move(handler);
}

ImportReport Importer::importFiles(const QStringList &paths)
{
    ImportReport report;
    if (!m_redactorSet) {
        auto redactor = storeRedactor(m_store.location());
        if (!redactor) {
            report.storeError = redactor.error();
            return report;
        }
        m_redactor = *redactor;
    }
    if (m_redactor)
        report.redaction = ImportRedaction{m_redactor->policy().name, {}, 0};
    for (int i = 0; i < paths.size(); ++i) {
        if (cancelled() || report.storeError)
            break;
        importFile(paths[i], i + 1, static_cast<int>(paths.size()), report);
    }
    report.cancelled = cancelled();
    const WriteCounts &c = report.counts;
    if (c.stored + c.conflicts + c.rejected > 0) {
        ActivityEntry entry;
        entry.actor = m_actor;
        entry.kind = ActivityKind::Import;
        QStringList names;
        for (const FileImport &file : report.files)
            names << QFileInfo(file.path).fileName();
        entry.what = QStringLiteral("imported %1: %2 stored, %3 duplicates, %4 conflicts, %5 "
                                    "rejected%6")
                         .arg(names.join(u", "))
                         .arg(c.stored)
                         .arg(c.duplicates)
                         .arg(c.conflicts)
                         .arg(c.rejected)
                         .arg(report.cancelled ? QStringLiteral(" (cancelled)") : QString())
                         .toStdString();
        entry.what += linksText(c.links);
        entry.count = c.stored;
        // A failure to log does not undo the import: it is reported like a store error.
        if (auto logged = m_store.logActivity(entry); !logged && !report.storeError)
            report.storeError = logged.error();
    }
    return report;
}

void Importer::importFile(const QString &path, int number, int count, ImportReport &report)
{
    m_store.tuneForBulkWrites();
    FileImport file;
    file.path = path;
    auto opened = RecordReader::open(path, m_format);
    if (!opened) {
        file.error = opened.error();
        report.files.push_back(std::move(file));
        return;
    }
    RecordReader &reader = **opened;
    file.format = reader.format();
    file.dialect = reader.dialect();

    // Decoding runs on the pool while this thread reads ahead and writes finished batches in
    // order; the window of batches in flight bounds memory.
    // A batch per pool thread and one more: a deeper window was measured to gain nothing (the
    // writer is the bottleneck, see docs/performance.md) and to cost 130 MB of memory.
    const size_t window =
        static_cast<size_t>(std::max(2, QThreadPool::globalInstance()->maxThreadCount())) + 1;
    std::deque<QFuture<DecodedBatch>> inFlight;

    std::vector<DecodedBatch> pending; // decoded, waiting to be committed together
    qint64 pendingBytes = 0;
    qint64 takenBytes = 0; // input up to the end of the last batch taken from the pool

    // Commits run on a writer thread of their own while this one goes on taking decoded batches
    // and handing out new ones: decoding and writing overlap. Committing on this thread left the
    // pool idle through every commit once the window was decoded, and the writer idle while the
    // next batches were decoded (1.5 of the 2 cores busy). One commit at a time, in order.
    struct Commit
    {
        std::vector<IncomingRecord> records;
        std::vector<QuarantinedRecord> rejects;
        qint64 read = 0;
        qint64 bytesDone = 0;
        QFuture<Result<WriteCounts>> written;
    };
    QThreadPool writer;
    writer.setMaxThreadCount(1);
    std::unique_ptr<Commit> committing;
    auto finishCommit = [&]() {
        if (!committing)
            return;
        const std::unique_ptr<Commit> done = std::move(committing);
        Result<WriteCounts> written = done->written.takeResult();
        if (!written) {
            report.storeError = written.error();
            return;
        }
        file.read += done->read;
        file.counts += *written;
        report.read += done->read;
        report.counts += *written;
        if (m_onReject)
            for (const auto &reject : done->rejects)
                m_onReject(reject);
        if (m_progress)
            m_progress(
                {path, number, count, done->bytesDone, reader.size(), report.read, report.counts});
    };
    auto commit = [&]() {
        if (pending.empty() || report.storeError)
            return;
        auto next = std::make_unique<Commit>();
        for (auto &batch : pending) {
            if (report.redaction) {
                for (const auto &[type, count] : batch.redacted)
                    report.redaction->counts[type] += count;
                report.redaction->pseudonymized += batch.pseudonymized;
            }
            std::move(batch.records.begin(), batch.records.end(),
                      std::back_inserter(next->records));
            std::move(batch.rejects.begin(), batch.rejects.end(),
                      std::back_inserter(next->rejects));
            next->read += batch.read;
        }
        next->bytesDone = pending.back().bytesDone;
        pending.clear();
        pendingBytes = 0;
        finishCommit();
        if (report.storeError)
            return;
        committing = std::move(next);
        committing->written = QtConcurrent::run(&writer, [store = &m_store, c = committing.get()] {
            return store->write(c->records, c->rejects);
        });
    };
    auto takeOldest = [&]() {
        DecodedBatch batch = inFlight.front().result();
        inFlight.pop_front();
        pendingBytes += batch.bytesDone - takenBytes;
        takenBytes = batch.bytesDone;
        pending.push_back(std::move(batch));
        if (pendingBytes >= CommitBytes)
            commit();
    };

    bool more = true;
    while (more && !cancelled() && !report.storeError) {
        RawBatch batch;
        batch.dialect = reader.dialect();
        size_t bytes = 0;
        RawRecord record;
        while (batch.records.size() < BatchRecords && bytes < BatchBytes) {
            if (!reader.next(record)) {
                more = false;
                break;
            }
            bytes += record.text.size();
            batch.locations.push_back(reader.location(record).toStdString());
            batch.records.push_back(std::move(record));
        }
        batch.bytesDone = reader.bytesRead();
        if (!batch.records.empty())
            inFlight.push_back(
                QtConcurrent::run(decodeBatch, std::move(batch), &m_store, m_redactor.get()));
        while (inFlight.size() >= window || (!more && !inFlight.empty())) {
            takeOldest();
            if (report.storeError || cancelled())
                break;
        }
    }
    if (!cancelled())
        commit();
    finishCommit();                // also when cancelled: what it committed is counted
    for (auto &pending : inFlight) // cancelled or failed: let the pool finish, then drop
        pending.waitForFinished();
    if (reader.ioError())
        file.error = reader.ioError();
    report.files.push_back(std::move(file));
}

} // namespace llmaudit
