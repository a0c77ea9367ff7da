#pragma once

// Imports log files into a Store: reads records as a stream, decodes and validates them on a
// thread pool, and writes them in file order in batches, each batch one transaction. Bad
// records are quarantined with where and why; nothing is dropped. Records (and rejects) are
// redacted before they reach the store, by the store's redaction policy unless another
// redactor is set. Run it on a worker thread.

#include "recordreader.h"
#include "redactor.h"
#include "store.h"

#include <QStringList>

#include <atomic>
#include <functional>

namespace llmaudit {

struct ImportProgress
{
    QString file;       // the file being read
    int fileNumber = 0; // 1-based
    int fileCount = 0;
    qint64 bytesDone = 0;  // in this file
    qint64 bytesTotal = 0; // in this file
    qint64 read = 0;       // records read so far, all files
    WriteCounts counts;    // so far, all files
};

struct FileImport
{
    QString path;
    InputFormat format = InputFormat::Auto; // as detected
    Dialect dialect = Dialect::Standard;
    qint64 read = 0;
    WriteCounts counts;
    std::optional<Error> error; // the file could not be read (to its end)
};

// What redaction found in the records read (stored, duplicates and conflicts alike).
struct ImportRedaction
{
    QString policy;
    std::map<QString, qint64> counts; // by type
    qint64 pseudonymized = 0;         // records whose user_id became a pseudonym
};

struct ImportReport
{
    qint64 read = 0;
    WriteCounts counts;
    std::vector<FileImport> files;
    std::optional<Error> storeError; // writing failed: the import stopped there
    bool cancelled = false;
    std::optional<ImportRedaction> redaction; // when a policy was applied

    bool complete() const;
};

class Importer
{
public:
    explicit Importer(Store &store);

    void setFormat(InputFormat format) { m_format = format; }
    // Called in the importing thread after each committed batch.
    void setProgressHandler(std::function<void(const ImportProgress &)> handler);
    // Called in the importing thread for each rejected record, after it was quarantined.
    void setRejectHandler(std::function<void(const QuarantinedRecord &)> handler);

    // Import stops at the next batch once *flag is true (set from any thread, or a signal
    // handler). What was committed stays; importing the same files again completes the job.
    void setCancelFlag(const std::atomic<bool> *flag) { m_cancelled = flag; }

    // Redacts with this redactor instead of the store's policy (STORE.privacy.json). Without
    // this call, importFiles() reads the store's policy; one that cannot be read (or its key)
    // stops the import before anything is written.
    void setRedactor(std::shared_ptr<const Redactor> redactor);
    // Who imports, for the activity log (default: the OS user). importFiles() logs one Import
    // entry when it stored, quarantined or set aside anything.
    void setActor(std::string actor) { m_actor = std::move(actor); }

    ImportReport importFiles(const QStringList &paths);

private:
    void importFile(const QString &path, int number, int count, ImportReport &report);

    Store &m_store;
    InputFormat m_format = InputFormat::Auto;
    std::function<void(const ImportProgress &)> m_progress;
    std::function<void(const QuarantinedRecord &)> m_onReject;
    const std::atomic<bool> *m_cancelled = nullptr;
    std::shared_ptr<const Redactor> m_redactor;
    bool m_redactorSet = false;
    std::string m_actor = Store::osUserName();

    bool cancelled() const { return m_cancelled && m_cancelled->load(); }
};

} // namespace llmaudit
