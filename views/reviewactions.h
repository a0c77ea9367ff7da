#pragma once

// The window's review actions: a Review menu (also the table's context menu) that sets the
// status, flags, adds a note to or puts on legal hold (and releases) the selected interactions,
// the Activity Log dialog, Verify Integrity and Purge Expired Interactions. All store work runs
// on a ReviewService worker; the reviewer's name comes from the settings (key
// "review/reviewer", default the OS user).

#include "store.h"

#include <QObject>
#include <QPointer>

class QAction;
class QMainWindow;
class QMenu;
class QTableView;

namespace llmaudit {

class ActivityDialog;
class DetailPane;
class InteractionTableModel;
class ReviewService;

class ReviewActions : public QObject
{
    Q_OBJECT

public:
    ReviewActions(QMainWindow *window, QTableView *table, DetailPane *detail);
    ~ReviewActions() override;

    // Follows the window to another store (the table's model changes with it).
    void setStore(const QString &path, InteractionTableModel *model);
    // Loads the review state and notes of the interaction the detail pane shows.
    void showReviewOf(qint64 rowId);

    QMenu *reviewMenu() const { return m_menu; }
    QAction *verifyAction() const { return m_verify; }
    QAction *activityAction() const { return m_activity; }
    QAction *purgeAction() const { return m_purge; }

    static QString reviewerName();

    // What the actions do, on the selected rows (the flag and note actions ask for the text).
    void setStatusOfSelection(ReviewStatus status);
    void flagSelection(const QString &reason);
    void unflagSelection();
    void addNoteToSelection(const QString &text);
    // Legal hold (never purged while held) and its release; recorded in the activity log.
    void holdSelection(const QString &reason);
    void releaseSelection();
    QAction *holdAction() const { return m_hold; }
    QAction *releaseAction() const { return m_release; }
    void verifyIntegrity();
    // Counts what the store's retention policy (File > Privacy Settings) has expired, asks, and
    // purges it: as `llmaudit purge`, logged under the reviewer's name; held ones stay.
    void purgeExpired();
    void showActivityLog();
    ActivityDialog *activityDialog() const;

Q_SIGNALS:
    void reviewApplied(qint64 count);
    void reviewShown(qint64 rowId); // the detail pane shows the review of this row
    void verified(const llmaudit::VerifyReport &report);
    void purged(qint64 count, qint64 held); // also (0, held) when nothing had expired

private:
    std::vector<qint64> selectedRowIds() const;
    void apply(const ReviewChange &change);
    void confirmPurge(const RetentionPolicy &policy, const PurgePlan &plan);

    QMainWindow *m_window;
    QTableView *m_table;
    DetailPane *m_detail;
    InteractionTableModel *m_model = nullptr;
    ReviewService *m_service = nullptr;
    quint64 m_generation = 0;
    QMenu *m_menu = nullptr;
    QAction *m_verify = nullptr;
    QAction *m_activity = nullptr;
    QAction *m_hold = nullptr;
    QAction *m_release = nullptr;
    QAction *m_purge = nullptr;
    QPointer<ActivityDialog> m_dialog;
};

} // namespace llmaudit
