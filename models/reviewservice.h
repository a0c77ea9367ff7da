#pragma once

// Review changes, notes, the activity log and integrity checks for the GUI, on a worker thread
// with its own store connection: requests and answers are queued signals, so the GUI thread
// never waits on the store.

#include "redactionpolicy.h"
#include "store.h"

#include <QObject>
#include <QThread>

namespace llmaudit {

class ReviewService : public QObject
{
    Q_OBJECT

public:
    explicit ReviewService(QString storePath, QObject *parent = nullptr);
    ~ReviewService() override;

Q_SIGNALS:
    // Requests (from any thread).
    void applyReview(std::vector<qint64> rowIds, llmaudit::ReviewChange change);
    void addNote(std::vector<qint64> rowIds, std::string author, std::string text);
    void loadReview(quint64 generation, qint64 rowId);
    void loadActivity(quint64 generation, llmaudit::ActivityQuery query);
    void verify(quint64 generation);
    void logActivity(llmaudit::ActivityEntry entry);
    // What the store's retention policy (its policy file) would purge now; then the purge of
    // what had expired at that plan's moment, logged under `actor`.
    void planPurge();
    void purge(llmaudit::RetentionPolicy policy, qint64 nowMs, std::string actor);

    // Answers (to the requester's thread).
    // After applyReview or addNote: the rows whose review data changed, and how many.
    void reviewApplied(std::vector<qint64> rowIds, qint64 count);
    void reviewLoaded(quint64 generation, qint64 rowId, llmaudit::ReviewState state,
                      std::vector<llmaudit::ReviewNote> notes);
    void activityLoaded(quint64 generation, std::vector<llmaudit::ActivityEntry> entries);
    void verifyProgress(qint64 done, qint64 total);
    void verified(quint64 generation, llmaudit::VerifyReport report);
    void purgePlanned(llmaudit::RetentionPolicy policy, llmaudit::PurgePlan plan);
    void purged(llmaudit::PurgePlan plan);
    void failed(QString message);

private:
    QThread m_thread;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::ReviewChange)
Q_DECLARE_METATYPE(llmaudit::ReviewState)
Q_DECLARE_METATYPE(std::vector<llmaudit::ReviewNote>)
Q_DECLARE_METATYPE(llmaudit::ActivityQuery)
Q_DECLARE_METATYPE(llmaudit::ActivityEntry)
Q_DECLARE_METATYPE(std::vector<llmaudit::ActivityEntry>)
Q_DECLARE_METATYPE(llmaudit::VerifyReport)
Q_DECLARE_METATYPE(llmaudit::RetentionPolicy)
Q_DECLARE_METATYPE(llmaudit::PurgePlan)
