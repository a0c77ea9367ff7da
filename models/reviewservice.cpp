#include "reviewservice.h"

#include "storeworker.h"

#include <QDateTime>

namespace llmaudit {

ReviewService::ReviewService(QString storePath, QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<std::vector<qint64>>();
    qRegisterMetaType<std::string>();
    qRegisterMetaType<llmaudit::ReviewChange>();
    qRegisterMetaType<llmaudit::ReviewState>();
    qRegisterMetaType<std::vector<llmaudit::ReviewNote>>();
    qRegisterMetaType<llmaudit::ActivityQuery>();
    qRegisterMetaType<llmaudit::ActivityEntry>();
    qRegisterMetaType<std::vector<llmaudit::ActivityEntry>>();
    qRegisterMetaType<llmaudit::VerifyReport>();
    qRegisterMetaType<llmaudit::RetentionPolicy>();
    qRegisterMetaType<llmaudit::PurgePlan>();
    auto *worker = new StoreWorker(std::move(storePath), {Store::Access::ReadWrite, {}},
                                   [this](const QString &error) { Q_EMIT failed(error); });
    worker->moveInto(m_thread);
    connect(this, &ReviewService::applyReview, worker,
            [this, worker](const std::vector<qint64> &ids, const ReviewChange &change) {
                worker->run([&](Store &s) { return s.setReview(ids, change); },
                            [&](qint64 count) { Q_EMIT reviewApplied(ids, count); });
            });
    connect(this, &ReviewService::addNote, worker,
            [this, worker](const std::vector<qint64> &ids, const std::string &author,
                           const std::string &text) {
                worker->run([&](Store &s) { return s.addNote(ids, author, text); },
                            [&](qint64 count) { Q_EMIT reviewApplied(ids, count); });
            });
    connect(this, &ReviewService::loadReview, worker, [this, worker](quint64 g, qint64 rowId) {
        worker->run(
            [&](Store &s) -> Result<std::pair<ReviewState, std::vector<ReviewNote>>> {
                auto state = s.reviewOf(rowId);
                if (!state)
                    return std::unexpected(state.error());
                auto notes = s.notes(rowId);
                if (!notes)
                    return std::unexpected(notes.error());
                return std::pair(std::move(*state), std::move(*notes));
            },
            [&](std::pair<ReviewState, std::vector<ReviewNote>> found) {
                Q_EMIT reviewLoaded(g, rowId, std::move(found.first), std::move(found.second));
            });
    });
    connect(this, &ReviewService::loadActivity, worker,
            [this, worker](quint64 g, const ActivityQuery &query) {
                worker->run([&](Store &s) { return s.activity(query); },
                            [&](std::vector<ActivityEntry> entries) {
                                Q_EMIT activityLoaded(g, std::move(entries));
                            });
            });
    connect(this, &ReviewService::verify, worker, [this, worker](quint64 g) {
        worker->run(
            [&](Store &s) {
                return s.verify([this](qint64 done, qint64 total) {
                    Q_EMIT verifyProgress(done, total);
                    return true;
                });
            },
            [&](VerifyReport report) { Q_EMIT verified(g, std::move(report)); });
    });
    connect(this, &ReviewService::logActivity, worker, [this, worker](const ActivityEntry &entry) {
        worker->run([&](Store &s) { return s.logActivity(entry); }, [](qint64) {});
    });
    connect(this, &ReviewService::planPurge, worker, [this, worker] {
        worker->run(
            [](Store &s) -> Result<std::pair<RetentionPolicy, PurgePlan>> {
                // As `llmaudit purge` does: a policy file that cannot be read stops here.
                auto settings = loadStorePolicy(s.location());
                if (!settings)
                    return std::unexpected(settings.error());
                const RetentionPolicy policy =
                    *settings ? (*settings)->retention : RetentionPolicy{};
                auto plan = s.expired(policy, QDateTime::currentMSecsSinceEpoch());
                if (!plan)
                    return std::unexpected(plan.error());
                return std::pair(policy, std::move(*plan));
            },
            [&](std::pair<RetentionPolicy, PurgePlan> found) {
                Q_EMIT purgePlanned(found.first, std::move(found.second));
            });
    });
    connect(this, &ReviewService::purge, worker,
            [this, worker](const RetentionPolicy &policy, qint64 nowMs, const std::string &actor) {
                worker->run([&](Store &s) { return s.purge(policy, nowMs, actor); },
                            [&](PurgePlan plan) { Q_EMIT purged(std::move(plan)); });
            });
    m_thread.setObjectName(QStringLiteral("review"));
    m_thread.start();
}

ReviewService::~ReviewService()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace llmaudit
