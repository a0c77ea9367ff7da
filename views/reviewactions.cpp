#include "reviewactions.h"

#include "activitydialog.h"
#include "counted.h"
#include "detailpane.h"
#include "interactiontablemodel.h"
#include "redactionpolicy.h"
#include "reviewservice.h"

#include <QAction>
#include <QInputDialog>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>

namespace llmaudit {

ReviewActions::ReviewActions(QMainWindow *window, QTableView *table, DetailPane *detail)
    : QObject(window)
    , m_window(window)
    , m_table(table)
    , m_detail(detail)
{
    m_menu = new QMenu(tr("Re&view"), window);
    const std::pair<ReviewStatus, QString> statuses[] = {
        {ReviewStatus::Approved, tr("&Approve")},
        {ReviewStatus::Issue, tr("Mark as &Issue")},
        {ReviewStatus::Escalated, tr("&Escalate")},
        {ReviewStatus::Unreviewed, tr("Mark as &Unreviewed")},
    };
    const char *keys[] = {"Ctrl+Alt+A", "Ctrl+Alt+I", "Ctrl+Alt+E", "Ctrl+Alt+U"};
    for (size_t i = 0; i < std::size(statuses); ++i) {
        const ReviewStatus status = statuses[i].first;
        QAction *action = m_menu->addAction(statuses[i].second, this,
                                            [this, status] { setStatusOfSelection(status); });
        action->setShortcut(QKeySequence(tr(keys[i])));
        table->addAction(action); // the shortcut works where the table has the focus
    }
    m_menu->addSeparator();
    QAction *flag = m_menu->addAction(tr("&Flag…"), this, [this] {
        bool ok = false;
        const QString reason =
            QInputDialog::getText(m_window, tr("Flag"), tr("Why are these interactions flagged?"),
                                  QLineEdit::Normal, {}, &ok);
        if (ok)
            flagSelection(reason.trimmed());
    });
    flag->setShortcut(QKeySequence(tr("Ctrl+Alt+F")));
    table->addAction(flag);
    m_menu->addAction(tr("U&nflag"), this, &ReviewActions::unflagSelection);
    QAction *note = m_menu->addAction(tr("Add &Note…"), this, [this] {
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(
            m_window, tr("Add a Note"), tr("Note (by %1):").arg(reviewerName()), {}, &ok);
        if (ok && !text.trimmed().isEmpty())
            addNoteToSelection(text);
    });
    note->setShortcut(QKeySequence(tr("Ctrl+Alt+N")));
    table->addAction(note);
    m_menu->addSeparator();
    // Legal hold: held interactions are never purged by the retention policy.
    m_hold = m_menu->addAction(tr("Put on Legal &Hold…"), this, [this] {
        bool ok = false;
        const QString reason = QInputDialog::getText(
            m_window, tr("Legal Hold"),
            tr("Why are these interactions held? (They are never purged while held.)"),
            QLineEdit::Normal, {}, &ok);
        if (ok)
            holdSelection(reason.trimmed());
    });
    m_hold->setObjectName(QStringLiteral("holdAction"));
    m_release =
        m_menu->addAction(tr("&Release Legal Hold"), this, &ReviewActions::releaseSelection);
    m_release->setObjectName(QStringLiteral("releaseAction"));
    m_menu->addSeparator();
    m_menu->addAction(tr("&Reviewer Name…"), this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(
            m_window, tr("Reviewer Name"), tr("Reviews and notes are recorded under this name:"),
            QLineEdit::Normal, reviewerName(), &ok);
        if (ok && !name.trimmed().isEmpty())
            QSettings().setValue(QStringLiteral("review/reviewer"), name.trimmed());
    });
    m_activity = new QAction(tr("&Activity Log"), this);
    m_activity->setShortcut(QKeySequence(tr("Ctrl+Shift+G")));
    connect(m_activity, &QAction::triggered, this, &ReviewActions::showActivityLog);
    m_verify = new QAction(tr("&Verify Integrity"), this);
    connect(m_verify, &QAction::triggered, this, &ReviewActions::verifyIntegrity);
    m_purge = new QAction(tr("&Purge Expired Interactions…"), this);
    m_purge->setObjectName(QStringLiteral("purgeExpired"));
    connect(m_purge, &QAction::triggered, this, &ReviewActions::purgeExpired);

    table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        if (!m_table->selectionModel() || !m_table->selectionModel()->hasSelection())
            return;
        m_menu->popup(m_table->viewport()->mapToGlobal(pos));
    });
}

ReviewActions::~ReviewActions() = default;

QString ReviewActions::reviewerName()
{
    const QString name = QSettings().value(QStringLiteral("review/reviewer")).toString();
    return name.isEmpty() ? QString::fromStdString(Store::osUserName()) : name;
}

void ReviewActions::setStore(const QString &path, InteractionTableModel *model)
{
    delete m_dialog;
    delete m_service;
    m_model = model;
    m_service = new ReviewService(path, this);
    connect(m_service, &ReviewService::failed, this, [this](const QString &message) {
        m_verify->setEnabled(true);
        m_purge->setEnabled(true);
        m_window->statusBar()->showMessage(message, 10000);
    });
    connect(m_service, &ReviewService::purgePlanned, this, &ReviewActions::confirmPurge);
    connect(m_service, &ReviewService::purged, this, [this](const PurgePlan &plan) {
        m_purge->setEnabled(true);
        const auto count = static_cast<qint64>(plan.expired.size());
        m_window->statusBar()->showMessage(
            tr("%1 purged, %2 kept on legal hold")
                .arg(counted(count, tr("interaction"), tr("interactions")))
                .arg(plan.held.size()),
            10000);
        if (m_model)
            m_model->reload();
        Q_EMIT purged(count, static_cast<qint64>(plan.held.size()));
    });
    connect(m_service, &ReviewService::reviewApplied, this,
            [this](const std::vector<qint64> &rowIds, qint64 count) {
                if (m_model)
                    m_model->refreshReview();
                if (std::ranges::find(rowIds, m_detail->rowId()) != rowIds.end())
                    showReviewOf(m_detail->rowId());
                m_window->statusBar()->showMessage(
                    tr("Review of %1 recorded")
                        .arg(counted(count, tr("interaction"), tr("interactions"))),
                    5000);
                Q_EMIT reviewApplied(count);
            });
    connect(m_service, &ReviewService::reviewLoaded, this,
            [this](quint64 generation, qint64 rowId, const ReviewState &state,
                   const std::vector<ReviewNote> &notes) {
                if (generation != m_generation)
                    return;
                m_detail->setReview(rowId, state, notes);
                Q_EMIT reviewShown(rowId);
            });
    connect(m_service, &ReviewService::verifyProgress, this, [this](qint64 done, qint64 total) {
        m_window->statusBar()->showMessage(tr("Verifying… %1 of %2 records").arg(done).arg(total));
    });
    connect(m_service, &ReviewService::verified, this, [this](quint64, const VerifyReport &report) {
        m_verify->setEnabled(true);
        m_window->statusBar()->clearMessage();
        ActivityEntry entry;
        entry.actor = reviewerName().toStdString();
        entry.kind = ActivityKind::Verify;
        entry.count = report.records.length;
        auto *box = new QMessageBox(m_window);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setWindowTitle(tr("Verify Integrity"));
        if (const auto &p = report.problem) {
            box->setIcon(QMessageBox::Warning);
            const QString chain = QString::fromUtf8(toString(p->chain));
            const QString kind = QString::fromUtf8(toString(p->kind));
            // Position 0: a problem with no link of its own (review state the log never had).
            box->setText(
                p->position > 0
                    ? tr("The store does not verify: link %1 of the %2 chain is %3.")
                          .arg(p->position)
                          .arg(chain, kind)
                    : tr("The store does not verify: %1, against the %2 chain.").arg(kind, chain));
            box->setInformativeText(QString::fromStdString(visible(p->detail)));
            entry.what = "verify: broken at " + std::string(toString(p->chain)) +
                         (p->position > 0 ? " link " + std::to_string(p->position) : "");
        } else {
            box->setIcon(QMessageBox::Information);
            box->setText(tr("The store verifies: %1 and %2 are intact.")
                             .arg(counted(report.records.length, tr("record"), tr("records")),
                                  counted(report.activity.length, tr("activity entry"),
                                          tr("activity entries"))));
            box->setInformativeText(tr("Chain heads — records: %1\nactivity: %2")
                                        .arg(QString::fromStdString(report.records.link),
                                             QString::fromStdString(report.activity.link)));
            box->setTextInteractionFlags(Qt::TextSelectableByMouse);
            entry.what = "verify: OK, records head " + report.records.link.substr(0, 16);
        }
        Q_EMIT m_service->logActivity(entry);
        box->open();
        Q_EMIT verified(report);
    });
}

void ReviewActions::showReviewOf(qint64 rowId)
{
    if (m_service && rowId != 0)
        Q_EMIT m_service->loadReview(++m_generation, rowId);
}

std::vector<qint64> ReviewActions::selectedRowIds() const
{
    std::vector<qint64> ids;
    if (!m_model || !m_table->selectionModel())
        return ids;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        if (const qint64 id = m_model->rowIdAt(index.row()); id != 0)
            ids.push_back(id);
    if (ids.empty() && m_table->currentIndex().isValid())
        if (const qint64 id = m_model->rowIdAt(m_table->currentIndex().row()); id != 0)
            ids.push_back(id);
    return ids;
}

void ReviewActions::apply(const ReviewChange &change)
{
    auto ids = selectedRowIds();
    if (ids.empty() || !m_service) {
        m_window->statusBar()->showMessage(tr("Select the interactions to review first."), 5000);
        return;
    }
    Q_EMIT m_service->applyReview(std::move(ids), change);
}

void ReviewActions::setStatusOfSelection(ReviewStatus status)
{
    apply({status, {}, false, reviewerName().toStdString()});
}

void ReviewActions::flagSelection(const QString &reason)
{
    apply({{}, reason.toStdString(), false, reviewerName().toStdString()});
}

void ReviewActions::unflagSelection()
{
    apply({{}, {}, true, reviewerName().toStdString()});
}

void ReviewActions::holdSelection(const QString &reason)
{
    ReviewChange change;
    change.reviewer = reviewerName().toStdString();
    change.hold = reason.toStdString();
    apply(change);
}

void ReviewActions::releaseSelection()
{
    ReviewChange change;
    change.reviewer = reviewerName().toStdString();
    change.release = true;
    apply(change);
}

void ReviewActions::addNoteToSelection(const QString &text)
{
    auto ids = selectedRowIds();
    if (ids.empty() || !m_service)
        return;
    Q_EMIT m_service->addNote(std::move(ids), reviewerName().toStdString(), text.toStdString());
}

void ReviewActions::verifyIntegrity()
{
    if (!m_service)
        return;
    m_verify->setEnabled(false); // one at a time
    m_window->statusBar()->showMessage(tr("Verifying the integrity chains…"));
    Q_EMIT m_service->verify(0);
}

void ReviewActions::purgeExpired()
{
    if (!m_service)
        return;
    m_purge->setEnabled(false); // one at a time
    m_window->statusBar()->showMessage(tr("Checking the store's retention policy…"));
    Q_EMIT m_service->planPurge();
}

void ReviewActions::confirmPurge(const RetentionPolicy &policy, const PurgePlan &plan)
{
    m_window->statusBar()->clearMessage();
    const auto held = static_cast<qint64>(plan.held.size());
    const QString onHold =
        tr("Kept on legal hold: %1.")
            .arg(counted(held, tr("expired interaction"), tr("expired interactions")));
    auto *box = new QMessageBox(m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowTitle(tr("Purge Expired Interactions"));
    if (plan.expired.empty()) {
        m_purge->setEnabled(true);
        box->setIcon(QMessageBox::Information);
        box->setText(policy.keepsEverything()
                         ? tr("The store's retention policy keeps everything: nothing expires.")
                         : tr("No interaction is past the store's retention policy."));
        box->setInformativeText((held > 0 ? onHold + u' ' : QString()) +
                                tr("Retention is set in File > Privacy Settings."));
        box->open();
        Q_EMIT purged(0, held);
        return;
    }
    box->setIcon(QMessageBox::Warning);
    box->setText(
        tr("Purge %1 past the store's retention policy?")
            .arg(counted(qint64(plan.expired.size()), tr("interaction"), tr("interactions"))));
    box->setInformativeText(
        tr("They are removed from the store for good, each leaving a tombstone so that the "
           "integrity chain still verifies. The purge is recorded in the activity log under %1.")
            .arg(reviewerName()) +
        (held > 0 ? u' ' + onHold : QString()));
    QPushButton *purge = box->addButton(tr("Purge"), QMessageBox::DestructiveRole);
    purge->setObjectName(QStringLiteral("confirmPurge"));
    box->setDefaultButton(box->addButton(QMessageBox::Cancel));
    // The store that was counted: should the window have moved to another meanwhile, nothing
    // is purged there.
    const QPointer<ReviewService> service = m_service;
    connect(box, &QMessageBox::finished, this,
            [this, box, purge, policy, now = plan.nowMs, service] {
                if (box->clickedButton() != purge || !service || service != m_service) {
                    m_purge->setEnabled(true);
                    return;
                }
                m_window->statusBar()->showMessage(tr("Purging expired interactions…"));
                // The moment the plan was counted at: no more is purged than was shown.
                Q_EMIT m_service->purge(policy, now, reviewerName().toStdString());
            });
    box->open();
}

ActivityDialog *ReviewActions::activityDialog() const
{
    return m_dialog;
}

void ReviewActions::showActivityLog()
{
    if (!m_service)
        return;
    if (!m_dialog)
        m_dialog = new ActivityDialog(m_service, m_window);
    else
        m_dialog->refresh();
    m_dialog->show();
    m_dialog->raise();
}

} // namespace llmaudit
