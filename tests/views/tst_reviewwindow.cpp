// Review in the window on a real store: a status and a flag set on a selection of rows show in
// the table and the detail pane, a note shows in the detail pane, the activity log lists the
// changes and exports them, filtered by a recent span or a from/to range, Verify Integrity
// reports the chain heads, and a legal hold is put on and released.

#include "activitydialog.h"
#include "detailpane.h"
#include "interactiontablemodel.h"
#include "mainwindow.h"
#include "redactionpolicy.h"
#include "reviewactions.h"
#include "reviewservice.h"
#include "store.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFile>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <ctime>

using namespace llmaudit;

// Five interactions r-1 … r-5 of February 2026, as JSON Lines.
bool writeFiveRecords(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    for (int i = 1; i <= 5; ++i)
        file.write(
            QStringLiteral(
                R"({"interaction_id": "r-%1", "timestamp": "2026-02-0%1T10:00:00Z", "user_id": "u-r", "session_id": "s-r", "request": {"prompt": "question %1"}, "response": {"content": "answer"}})"
                "\n")
                .arg(i)
                .toUtf8());
    return true;
}

QMessageBox *visibleMessageBox()
{
    for (QWidget *w : QApplication::topLevelWidgets())
        if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible())
            return box;
    return nullptr;
}

class TestReviewWindow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(u"llmaudit-test"_qs);
        QCoreApplication::setApplicationName(u"tst_reviewwindow"_qs);
        QSettings().setValue(u"review/reviewer"_qs, u"Rita Reviewer"_qs);
    }

    void reviewASelection()
    {
        const QString log = m_dir.filePath(u"five.jsonl"_qs);
        QVERIFY(writeFiveRecords(log));
        const QString storePath = m_dir.filePath(u"review.sqlite"_qs);
        {
            auto store = Store::open(storePath);
            QVERIFY(store);
        }
        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(storePath);
        window.importFiles({log});
        QVERIFY(imported.wait(20000));
        if (QMessageBox *box = visibleMessageBox()) // the import's result dialog
            box->accept();
        window.show();
        InteractionTableModel *model = window.model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 5, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            model->index(0, InteractionTableModel::User).data().toString() == u"u-r", 10000);

        // Rows 0 and 1 (newest first: r-5 and r-4) selected, row 0 current (after row 2, so
        // that the detail pane follows a change whatever the window selected by itself).
        QTableView *table = window.table();
        table->setCurrentIndex(model->index(2, 0));
        QTRY_COMPARE_WITH_TIMEOUT(window.detailPane()->rowId(), model->rowIdAt(2), 10000);
        table->setCurrentIndex(model->index(0, 0));
        table->selectionModel()->select(model->index(1, 0),
                                        QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QTRY_COMPARE_WITH_TIMEOUT(window.detailPane()->rowId(), model->rowIdAt(0), 10000);
        QCOMPARE(table->selectionModel()->selectedRows().size(), 2);

        ReviewActions *review = window.review();
        QSignalSpy applied(review, &ReviewActions::reviewApplied);
        QSignalSpy reviewShown(review, &ReviewActions::reviewShown);
        review->setStatusOfSelection(ReviewStatus::Issue);
        QVERIFY(applied.wait(10000));
        QCOMPARE(applied.takeFirst().at(0).toLongLong(), 2);
        review->flagSelection(u"quotes a customer's address"_qs);
        QVERIFY(applied.wait(10000));
        review->addNoteToSelection(u"Sent to the privacy team."_qs);
        QVERIFY(applied.wait(10000));

        // The table shows the status and the flag on both rows, and not on the others.
        for (int row = 0; row < 5; ++row) {
            const bool reviewed = row < 2;
            QTRY_COMPARE_WITH_TIMEOUT(
                model->index(row, InteractionTableModel::Review).data().toString(),
                reviewed ? u"issue"_qs : QString(), 10000);
            QCOMPARE(model->index(row, InteractionTableModel::Flagged).data().toString().isEmpty(),
                     !reviewed);
        }
        // The detail pane shows the state of the current row, the reason and the note.
        QTRY_VERIFY_WITH_TIMEOUT(
            window.detailPane()->overviewText().contains(u"Sent to the privacy team."_qs), 10000);
        const QString overview = window.detailPane()->overviewText();
        QVERIFY2(overview.contains(u"issue"_qs), qPrintable(overview));
        QVERIFY(overview.contains(u"quotes a customer's address"_qs));
        QVERIFY(overview.contains(u"Rita Reviewer"_qs));

        // The activity log lists the import and the three changes, by the reviewer.
        review->showActivityLog();
        ActivityDialog *dialog = review->activityDialog();
        QVERIFY(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->table()->rowCount(), 4, 10000);
        QCOMPARE(dialog->table()->item(0, 2)->text(), u"Rita Reviewer"_qs);
        QVERIFY(dialog->table()->item(0, 3)->text().contains(u"note"_qs));
        QVERIFY(dialog->table()->item(0, 4)->text().contains(u"r-5"_qs));
        dialog->kindChoice()->setCurrentIndex(dialog->kindChoice()->findText(u"import"_qs));
        QTRY_COMPARE_WITH_TIMEOUT(dialog->table()->rowCount(), 1, 10000);
        QSignalSpy exported(dialog, &ActivityDialog::exported);
        const QString csv = m_dir.filePath(u"activity.csv"_qs);
        dialog->exportTo(csv);
        QVERIFY(exported.wait(10000));
        QCOMPARE(exported.first().at(1).toString(), QString());
        QFile out(csv);
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QByteArray text = out.readAll();
        QVERIFY(text.startsWith("id,time,kind,actor,what"));
        QVERIFY(text.contains(",import,"));
        dialog->close();

        // Verify Integrity: OK with both chain heads.
        QSignalSpy verified(review, &ReviewActions::verified);
        review->verifyIntegrity();
        QVERIFY(verified.wait(20000));
        const auto report = verified.first().at(0).value<VerifyReport>();
        QVERIFY(report.ok());
        QCOMPARE(report.records.length, 5);
        QVERIFY(report.activity.length >= 4);
        QMessageBox *box = visibleMessageBox();
        QVERIFY(box);
        QVERIFY2(box->text().contains(u"verifies"_qs), qPrintable(box->text()));
        QVERIFY(box->informativeText().contains(QString::fromStdString(report.records.link)));
        box->accept();

        // Legal hold from the review actions (the same menu is the table's context menu): the
        // detail pane shows it, the store keeps it, and Release lifts it.
        QVERIFY(review->reviewMenu()->actions().contains(review->holdAction()));
        QVERIFY(review->reviewMenu()->actions().contains(review->releaseAction()));
        review->holdSelection(u"case 2026-17"_qs);
        QVERIFY(applied.wait(10000));
        QCOMPARE(applied.takeLast().at(0).toLongLong(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(window.detailPane()->overviewText().contains(u"case 2026-17"_qs),
                                 10000);
        QVERIFY(window.detailPane()->overviewText().contains(u"Legal hold"_qs));
        {
            auto store = Store::open(storePath, Store::Access::ReadOnly);
            QVERIFY(store);
            for (int row : {0, 1}) {
                auto state = (*store)->reviewOf(model->rowIdAt(row));
                QVERIFY(state && state->held);
                QCOMPARE(state->heldBy, "Rita Reviewer");
            }
            QVERIFY(!(*store)->reviewOf(model->rowIdAt(2))->held);
        }
        review->releaseSelection();
        QVERIFY(applied.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!window.detailPane()->overviewText().contains(u"Legal hold"_qs),
                                 10000);
        auto store = Store::open(storePath, Store::Access::ReadOnly);
        QVERIFY(store);
        ActivityQuery reviews;
        reviews.kinds = {ActivityKind::Review};
        auto entries = (*store)->activity(reviews);
        QVERIFY(entries && entries->size() >= 2);
        QCOMPARE(entries->at(entries->size() - 2).what, "legal hold: case 2026-17");
        QCOMPARE(entries->back().what, "legal hold released");
        QCOMPARE(entries->back().actor, "Rita Reviewer");
    }

    // The activity log's time filter. The presets keep what is newer than their span; a custom
    // range keeps exactly what lies inside it, read in local time (here UTC+05:30) to the minute
    // with both ends included, in the list and in the export alike; From after To shows nothing
    // and exports nothing.
    void activityLogTimeFilter()
    {
        const QByteArray oldTz = qgetenv("TZ");
        const bool hadTz = qEnvironmentVariableIsSet("TZ");
        qputenv("TZ", "IST-5:30"); // POSIX form: no tz database needed, no daylight saving
        tzset();
        const auto restoreTz = qScopeGuard([&] {
            if (hadTz)
                qputenv("TZ", oldTz);
            else
                qunsetenv("TZ");
            tzset();
        });
        auto local = [](int y, int mo, int d, int h, int mi, int s = 0, int ms = 0) {
            return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::LocalTime)
                .toMSecsSinceEpoch();
        };
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 day = 86'400'000;
        const std::pair<qint64, const char *> logged[] = {
            {now - 40 * day, "forty days ago"},
            {now - 10 * day, "ten days ago"},
            {now - 3 * day, "three days ago"},
            {now - 2 * 3'600'000, "two hours ago"},
            {local(2024, 3, 10, 11, 59, 59, 999), "just before the range"},
            {local(2024, 3, 10, 12, 0), "in its first minute"},
            {local(2024, 3, 11, 9, 30), "inside the range"},
            {local(2024, 3, 12, 18, 0, 59, 999), "in its last minute"},
            {local(2024, 3, 12, 18, 1), "just after the range"}};
        const QString storePath = m_dir.filePath(u"activity-times.sqlite"_qs);
        {
            auto store = Store::open(storePath);
            QVERIFY(store);
            for (const auto &[timeMs, what] : logged) {
                ActivityEntry entry;
                entry.timeMs = timeMs;
                entry.actor = "Tim Keeper";
                entry.kind = ActivityKind::Review;
                entry.what = what;
                QVERIFY((*store)->logActivity(entry));
            }
        }
        ReviewService service(storePath);
        ActivityDialog dialog(&service);
        dialog.show();
        auto shown = [&] {
            QStringList whats;
            for (int row = 0; row < dialog.table()->rowCount(); ++row)
                whats << dialog.table()->item(row, 3)->text(); // newest first
            return whats;
        };
        auto exportedWhats = [&](const QString &name) {
            QSignalSpy exported(&dialog, &ActivityDialog::exported);
            const QString csv = m_dir.filePath(name);
            dialog.exportTo(csv);
            if (!exported.wait(10000) || !exported.first().at(1).toString().isEmpty())
                return QStringList{u"export failed"_qs};
            QFile file(csv);
            if (!file.open(QIODevice::ReadOnly))
                return QStringList{u"no file"_qs};
            QStringList whats;
            const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
            for (const QByteArray &line : lines.mid(1)) // after the header
                whats << QString::fromUtf8(line.split(',').value(4));
            return whats;
        };
        QTRY_COMPARE_WITH_TIMEOUT(dialog.table()->rowCount(), 9, 10000);
        QVERIFY(!dialog.fromEdit()->isVisible());
        // Only reviews from here on: each export below adds an entry of its own.
        QComboBox *kind = dialog.kindChoice();
        kind->setCurrentIndex(kind->findText(u"review"_qs));

        // The presets.
        QComboBox *time = dialog.timeChoice();
        const std::pair<const char16_t *, QStringList> presets[] = {
            {u"Last 30 days", {u"two hours ago"_qs, u"three days ago"_qs, u"ten days ago"_qs}},
            {u"Last 7 days", {u"two hours ago"_qs, u"three days ago"_qs}},
            {u"Last 24 hours", {u"two hours ago"_qs}}};
        for (const auto &[preset, expected] : presets) {
            const int index = time->findText(QString::fromUtf16(preset));
            QVERIFY(index >= 0);
            time->setCurrentIndex(index);
            QTRY_COMPARE_WITH_TIMEOUT(shown(), expected, 10000);
        }
        QCOMPARE(exportedWhats(u"last-24-hours.csv"_qs), QStringList{u"two hours ago"_qs});

        // Custom range, starting from the preset chosen last, in local time.
        time->setCurrentIndex(time->findText(u"Last 7 days"_qs));
        QTRY_COMPARE_WITH_TIMEOUT(dialog.table()->rowCount(), 2, 10000);
        QVERIFY(dialog.customRangeIndex() >= 0);
        QCOMPARE(time->itemText(dialog.customRangeIndex()), u"Custom range…"_qs);
        time->setCurrentIndex(dialog.customRangeIndex());
        QVERIFY(dialog.fromEdit()->isVisible() && dialog.toEdit()->isVisible());
        QVERIFY(dialog.fromEdit()->calendarPopup());
        QVERIFY(qAbs(dialog.fromEdit()->dateTime().msecsTo(dialog.toEdit()->dateTime()) -
                     7 * day) <= 60'000);
        QTRY_COMPARE_WITH_TIMEOUT(shown(), (QStringList{u"two hours ago"_qs, u"three days ago"_qs}),
                                  10000);

        dialog.fromEdit()->setDateTime(QDateTime(QDate(2024, 3, 10), QTime(12, 0)));
        dialog.toEdit()->setDateTime(QDateTime(QDate(2024, 3, 12), QTime(18, 0)));
        const QStringList inside{u"in its last minute"_qs, u"inside the range"_qs,
                                 u"in its first minute"_qs};
        QTRY_COMPARE_WITH_TIMEOUT(shown(), inside, 10000);
        // The list's times are local, as the range is and as its header says; the tooltip and
        // the export have UTC.
        QCOMPARE(dialog.table()->horizontalHeaderItem(0)->text(), u"Time (UTC+05:30)"_qs);
        QCOMPARE(dialog.table()->item(2, 0)->text(), u"2024-03-10 12:00:00"_qs);
        QCOMPARE(dialog.table()->item(2, 0)->toolTip(), u"2024-03-10 06:30:00.000 UTC"_qs);
        // While a reload is on its way nothing is exported: it would be the previous list.
        dialog.refresh();
        QVERIFY(!dialog.exportButton()->isEnabled());
        {
            QSignalSpy refused(&dialog, &ActivityDialog::exported);
            dialog.exportTo(m_dir.filePath(u"while-loading.csv"_qs));
            QCOMPARE(refused.size(), 1);
            QVERIFY(refused.first().at(1).toString().contains(u"still loading"_qs));
            QVERIFY(!QFile::exists(m_dir.filePath(u"while-loading.csv"_qs)));
        }
        QTRY_VERIFY_WITH_TIMEOUT(dialog.exportButton()->isEnabled(), 10000);
        QCOMPARE(shown(), inside);
        // The export has the same entries, oldest first as a file is read.
        QCOMPARE(exportedWhats(u"custom-range.csv"_qs),
                 (QStringList{inside.rbegin(), inside.rend()}));
        // With a kind as well.
        kind->setCurrentIndex(kind->findText(u"import"_qs));
        QTRY_COMPARE_WITH_TIMEOUT(dialog.table()->rowCount(), 0, 10000);
        kind->setCurrentIndex(kind->findText(u"review"_qs));
        QTRY_COMPARE_WITH_TIMEOUT(shown(), inside, 10000);

        // One minute: From and To the same minute.
        dialog.fromEdit()->setDateTime(QDateTime(QDate(2024, 3, 12), QTime(18, 0)));
        QTRY_COMPARE_WITH_TIMEOUT(shown(), QStringList{u"in its last minute"_qs}, 10000);

        // From after To: nothing shown, nothing exported, and the dialog says why.
        dialog.fromEdit()->setDateTime(QDateTime(QDate(2024, 3, 12), QTime(18, 1)));
        QTRY_COMPARE_WITH_TIMEOUT(dialog.table()->rowCount(), 0, 10000);
        QVERIFY(!dialog.exportButton()->isEnabled());
        QVERIFY2(dialog.statusLabel()->text().contains(u"From is after To"_qs),
                 qPrintable(dialog.statusLabel()->text()));
        QSignalSpy refused(&dialog, &ActivityDialog::exported);
        dialog.exportTo(m_dir.filePath(u"empty-range.csv"_qs));
        QCOMPARE(refused.size(), 1);
        QVERIFY(!refused.first().at(1).toString().isEmpty());
        QVERIFY(!QFile::exists(m_dir.filePath(u"empty-range.csv"_qs)));

        // Back to a preset: the fields go away and the preset applies again.
        time->setCurrentIndex(0);
        QTRY_COMPARE_WITH_TIMEOUT(dialog.table()->rowCount(), 9, 10000);
        QVERIFY(!dialog.fromEdit()->isVisible());
        QVERIFY(dialog.exportButton()->isEnabled());
    }

    // Tools > Purge Expired Interactions applies the store's retention policy as `llmaudit
    // purge` does: it says when nothing expires, asks before it removes, keeps what is held,
    // logs the purge under the reviewer's name, and the table loses the purged rows.
    void purgeExpiredInteractions()
    {
        const QString log = m_dir.filePath(u"purge.jsonl"_qs);
        QVERIFY(writeFiveRecords(log));
        const QString storePath = m_dir.filePath(u"purge.sqlite"_qs);
        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(storePath);
        window.importFiles({log});
        QVERIFY(imported.wait(20000));
        if (QMessageBox *box = visibleMessageBox())
            box->accept();
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 5, 10000);
        ReviewActions *review = window.review();
        QVERIFY(window.findChild<QAction *>(u"purgeExpired"_qs) == review->purgeAction());
        QSignalSpy purged(review, &ReviewActions::purged);

        // No retention policy yet: nothing expires, and the window says so.
        review->purgeExpired();
        QVERIFY(purged.wait(10000));
        QCOMPARE(purged.takeFirst().at(0).toLongLong(), 0);
        QMessageBox *box = visibleMessageBox();
        QVERIFY(box);
        QVERIFY2(box->text().contains(u"keeps everything"_qs), qPrintable(box->text()));
        box->accept();

        // Kept 30 days (the records are from February 2026), and r-1 on legal hold.
        {
            QFile policy(storePolicyPath(storePath));
            QVERIFY(policy.open(QIODevice::WriteOnly));
            policy.write(R"({"redact": false, "retention": {"max_age_days": 30}})");
            auto store = Store::open(storePath);
            QVERIFY(store);
            auto held = (*store)->interaction("r-1");
            QVERIFY(held && *held);
            ReviewChange hold;
            hold.reviewer = "Rita Reviewer";
            hold.hold = "case 2026-18";
            QVERIFY((*store)->setReview(std::vector<qint64>{(*held)->rowId}, hold));
        }
        // Cancelled: nothing changes.
        review->purgeExpired();
        QTRY_VERIFY_WITH_TIMEOUT((box = visibleMessageBox()), 10000);
        QVERIFY2(box->text().contains(u"Purge 4 interactions"_qs), qPrintable(box->text()));
        QVERIFY2(box->informativeText().contains(u"Kept on legal hold: 1 expired interaction."_qs),
                 qPrintable(box->informativeText()));
        QVERIFY(box->informativeText().contains(u"Rita Reviewer"_qs));
        box->reject();
        QTRY_VERIFY(review->purgeAction()->isEnabled());
        QCOMPARE(purged.size(), 0);
        // Confirmed.
        review->purgeExpired();
        QTRY_VERIFY_WITH_TIMEOUT((box = visibleMessageBox()), 10000);
        auto *confirm = box->findChild<QPushButton *>(u"confirmPurge"_qs);
        QVERIFY(confirm);
        confirm->click();
        QVERIFY(purged.wait(10000));
        QCOMPARE(purged.first().at(0).toLongLong(), 4);
        QCOMPARE(purged.first().at(1).toLongLong(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 1, 10000);

        auto store = Store::open(storePath, Store::Access::ReadOnly);
        QVERIFY(store);
        QCOMPARE((*store)->stats()->interactions, 1);
        auto verified = (*store)->verify();
        QVERIFY(verified && verified->ok());
        ActivityQuery purges;
        purges.kinds = {ActivityKind::Purge};
        auto entries = (*store)->activity(purges);
        QVERIFY(entries);
        QCOMPARE(entries->size(), size_t(1));
        QCOMPARE(entries->front().actor, "Rita Reviewer");
        QCOMPARE(entries->front().count, 4);
    }
};

QTEST_MAIN(TestReviewWindow)
#include "tst_reviewwindow.moc"
