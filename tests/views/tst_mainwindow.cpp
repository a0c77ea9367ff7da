// The main window on a real store: first start with the bundled samples, the lazy table, and
// an import from the window that shows new rows without reopening.

#include "../support/storeformats.h"
#include "conversationview.h"
#include "dashboardview.h"
#include "detailpane.h"
#include "diffview.h"
#include "filterbar.h"
#include "importjob.h"
#include "interactiontablemodel.h"
#include "logcodec.h"
#include "mainwindow.h"
#include "store.h"
#include "storereader.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

using namespace llmaudit;

namespace {

int linesIn(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    int lines = 0;
    while (!file.atEnd())
        lines += !file.readLine().trimmed().isEmpty();
    return lines;
}

// Accepts the visible message boxes (modal result dialogs); returns the last one, or null.
QMessageBox *acceptMessageBoxes()
{
    QMessageBox *last = nullptr;
    for (QWidget *w : QApplication::topLevelWidgets())
        if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible()) {
            box->accept();
            last = box;
        }
    return last;
}

// A store as format 3 left it (before the review tables and chain of format 4 and the holds of
// format 5), with `count` records.
void makeFormat3Store(const QString &path, int count)
{
    {
        auto store = Store::open(path);
        QVERIFY(store);
        std::vector<IncomingRecord> records;
        for (int i = 0; i < count; ++i) {
            const nlohmann::json record = {{"interaction_id", "old-" + std::to_string(i)},
                                           {"timestamp", "2025-06-01T10:00:00Z"},
                                           {"user_id", "u-old"},
                                           {"session_id", "s-old"},
                                           {"request", {{"prompt", "old prompt"}}},
                                           {"response", {{"content", "ok"}}}};
            auto decoded = decodeDocument(record);
            QVERIFY(decoded);
            records.push_back({std::move(*decoded), "old.jsonl", {}, {}});
        }
        QVERIFY((*store)->write(records, {}));
    }
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, DowngradeToFormat3Sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"llmaudit-test"_qs);
        // The Reviewer Name (Review menu): the window's imports are recorded under it.
        QSettings().setValue(u"review/reviewer"_qs, u"Imogen Importer"_qs);
    }

    void firstStartShowsTheSamples()
    {
        const QString samples = QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl");
        const int expected = linesIn(samples);
        QVERIFY(expected > 0);
        const QString storePath = m_dir.filePath(QStringLiteral("first.sqlite"));
        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(storePath, {samples});
        window.show();
        QVERIFY(imported.wait(30000));
        auto *model = window.model();
        QAbstractItemModelTester tester(model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), expected, 10000);
        // Rows arrive page by page; the first page is filled in without blocking.
        QTRY_VERIFY_WITH_TIMEOUT(
            model->index(0, InteractionTableModel::User).data().toString().startsWith(u"u-"),
            10000);
        QVERIFY(!model->index(0, InteractionTableModel::Time).data().toString().isEmpty());
        const int last = model->rowCount() - 1;
        model->index(last, InteractionTableModel::Model).data(); // asks for the last page
        QTRY_VERIFY_WITH_TIMEOUT(
            model->index(last, InteractionTableModel::Model).data().toString() != u"…", 10000);
        // Newest first.
        QVERIFY(model->index(0, 0).data().toString() >= model->index(last, 0).data().toString());

        // The dashboard counts what the file holds.
        QSignalSpy dashboard(&window, &MainWindow::dashboardShown);
        window.showDashboardTab();
        QVERIFY(dashboard.wait(10000));
        QCOMPARE(window.dashboard()->summary().interactions, expected);
        QCOMPARE(window.dashboard()->figure(u"Interactions"_qs), QLocale().toString(expected));
    }

    // Opening a store of an older format upgrades it with progress in the status bar, then
    // shows its records.
    void anOldStoreIsUpgradedWithProgress()
    {
        const QString storePath = m_dir.filePath(QStringLiteral("old.sqlite"));
        constexpr int Records = 3000;
        makeFormat3Store(storePath, Records);
        MainWindow window;
        window.show();
        auto *progress = window.statusBar()->findChild<QProgressBar *>();
        QVERIFY(progress);
        // What the status bar says each time the progress bar moves.
        QStringList texts;
        int highest = -1;
        connect(progress, &QProgressBar::valueChanged, this, [&](int value) {
            highest = std::max(highest, value);
            for (auto *label : window.statusBar()->findChildren<QLabel *>())
                if (label->text().startsWith(u"Upgrading"))
                    texts << label->text();
        });
        window.openStore(storePath);
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), Records, 30000);
        QCOMPARE(highest, 100);
        const QString all = QLocale().toString(Records);
        QVERIFY2(texts.contains(
                     QStringLiteral("Upgrading the store to format 4: 100 % (%1 of %1 records)…")
                         .arg(all)),
                 qPrintable(texts.join(u'\n')));
        QVERIFY(texts.first().startsWith(u"Upgrading the store to format 4: 0 % (0 of "_qs + all));
        QVERIFY(!progress->isVisible());
        auto version = Store::open(storePath, Store::Access::ReadOnly);
        QVERIFY2(version, qPrintable(version ? QString() : version.error().toString()));
    }

    // A cancelled upgrade (StoreReader::cancelUpgrade, what the window's Cancel calls) leaves the
    // store at its old format and not open; the window then opens and upgrades it as usual.
    void aCancelledUpgradeLeavesTheStoreUnchanged()
    {
        const QString storePath = m_dir.filePath(QStringLiteral("cancelled.sqlite"));
        constexpr int Records = 600;
        makeFormat3Store(storePath, Records);
        auto userVersion = [&] {
            sqlite3 *db = nullptr;
            sqlite3_open_v2(storePath.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
            sqlite3_stmt *stmt = nullptr;
            int version = -1;
            if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
                sqlite3_step(stmt) == SQLITE_ROW)
                version = sqlite3_column_int(stmt, 0);
            sqlite3_finalize(stmt);
            sqlite3_close(db);
            return version;
        };
        {
            StoreReader reader(storePath);
            QSignalSpy failed(&reader, &StoreReader::failed);
            QSignalSpy opened(&reader, &StoreReader::storeOpened);
            reader.cancelUpgrade(); // before it starts: it stops at its first report
            Q_EMIT reader.openStore();
            QVERIFY(failed.wait(30000));
            QVERIFY2(failed.first().first().toString().contains(
                         u"upgrade cancelled, the store is unchanged"_qs),
                     qPrintable(failed.first().first().toString()));
            QCOMPARE(opened.size(), 0);
        }
        QCOMPARE(userVersion(), 3);

        MainWindow window;
        window.openStore(storePath);
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), Records, 30000);
        QVERIFY(userVersion() > 3);
    }

    void importFromTheWindowAddsRows()
    {
        const QString storePath = m_dir.filePath(QStringLiteral("second.sqlite"));
        const QString log = m_dir.filePath(QStringLiteral("more <img src=x onerror=y>.jsonl"));
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 3; ++i)
            file.write(
                QStringLiteral(
                    R"({"interaction_id": "w-%1", "timestamp": "2026-02-0%1T10:00:00Z", "user_id": "u-w", "session_id": "s-w", "request": {"prompt": "<b>not bold</b> %1"}, "response": {"content": "ok"}})"
                    "\n")
                    .arg(i + 1)
                    .toUtf8());
        file.write("{\"broken\n");
        file.close();

        MainWindow window;
        window.openStore(storePath); // new and empty: no samples asked for
        QSignalSpy loaded(window.model(), &InteractionTableModel::loaded);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(window.model()->rowCount(), 0);
        QSignalSpy imported(&window, &MainWindow::importFinished);
        // The result dialog is modal: close it when it shows.
        Qt::TextFormat dialogFormat = Qt::RichText;
        QString dialogDetails;
        QTimer closer;
        connect(&closer, &QTimer::timeout, this, [&] {
            if (QMessageBox *box = acceptMessageBoxes()) {
                dialogFormat = box->textFormat();
                dialogDetails = box->detailedText();
            }
        });
        closer.start(50);
        window.importFiles({log});
        QVERIFY(imported.wait(30000));
        const auto report = imported.first().first().value<ImportReport>();
        QCOMPARE(report.counts.stored, 3);
        QCOMPARE(report.counts.rejected, 1);
        // The result dialog lists the reject, as plain text whatever the file is called.
        QTRY_COMPARE(dialogFormat, Qt::PlainText);
        QVERIFY2(dialogDetails.startsWith(u"more <img src=x onerror=y>.jsonl:4 /: not valid JSON"),
                 qPrintable(dialogDetails));
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 3, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.model()->index(0, InteractionTableModel::Prompt).data().toString(),
            QStringLiteral("<b>not bold</b> 3"), 10000);

        // The activity log has the import, under the Reviewer Name (not the OS user).
        auto store = Store::open(storePath, Store::Access::ReadOnly);
        QVERIFY(store);
        ActivityQuery query;
        query.kinds = {ActivityKind::Import};
        auto entries = (*store)->activity(query);
        QVERIFY(entries);
        QCOMPARE(entries->size(), size_t(1));
        QCOMPARE(entries->front().actor, std::string("Imogen Importer"));
        QCOMPARE(entries->front().count, 3);
    }

    // Selecting a row shows that record in the detail pane; the sessions sidebar lists every
    // session of the sample file, and a session reads as its conversation.
    void detailsSessionsAndConversation()
    {
        const QString samples = QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl");
        // What the file says, read independently of the store.
        QFile file(samples);
        QVERIFY(file.open(QIODevice::ReadOnly));
        std::map<std::string, nlohmann::json> byId;
        std::map<std::string, int> turnsOf;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (line.isEmpty())
                continue;
            auto doc = nlohmann::json::parse(line.toStdString());
            ++turnsOf[doc["session_id"].get<std::string>()];
            byId[doc["interaction_id"].get<std::string>()] = doc;
        }

        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(m_dir.filePath(QStringLiteral("details.sqlite")), {samples});
        window.show();
        QVERIFY(imported.wait(30000));
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), int(byId.size()), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionList()->model()->rowCount(), int(turnsOf.size()),
                                  10000);

        QSignalSpy shown(&window, &MainWindow::interactionShown);
        window.table()->selectRow(5);
        QVERIFY(shown.wait(10000));
        const qint64 rowId = shown.last().first().toLongLong();
        QCOMPARE(rowId, window.model()->rowIdAt(5));
        const auto &doc = window.detailPane()->document();
        const auto &expected = byId.at(doc["interaction_id"].get<std::string>());
        QVERIFY(doc == expected);
        const QString overview = window.detailPane()->overviewText();
        QVERIFY(overview.contains(QString::fromStdString(expected["request"]["prompt"])));
        QTRY_COMPARE(window.model()->index(5, InteractionTableModel::Session).data().toString(),
                     QString::fromStdString(expected["session_id"]));

        // Ctrl+Down moves to the next row and shows it.
        QTest::keyClick(window.table(), Qt::Key_Down, Qt::ControlModifier);
        QVERIFY(shown.wait(10000));
        QCOMPARE(shown.last().first().toLongLong(), window.model()->rowIdAt(6));

        // The conversation of this row's session, with the selected turn in it.
        const QString session = QString::fromStdString(expected["session_id"]);
        QSignalSpy sessionShown(&window, &MainWindow::sessionShown);
        window.sessionSearch()->setText(session);
        QCOMPARE(window.sessionList()->model()->rowCount(), 1);
        window.sessionList()->selectRow(0);
        QVERIFY(sessionShown.wait(10000));
        QCOMPARE(sessionShown.last().first().toString(), session);
        QCOMPARE(window.conversation()->turnCount(), turnsOf.at(session.toStdString()));
        QVERIFY(window.conversation()->showTurnOf(window.model()->rowIdAt(6)));
        window.sessionSearch()->setText(u"no such session <b>"_qs);
        QCOMPARE(window.sessionList()->model()->rowCount(), 0);

        // Two rows selected: Compare shows the older response on the left.
        // (Not selectRow(): after the Ctrl+Down above, it would extend the selection.)
        window.table()->selectionModel()->select(window.model()->index(2, 0),
                                                 QItemSelectionModel::ClearAndSelect |
                                                     QItemSelectionModel::Rows);
        window.table()->selectionModel()->select(
            window.model()->index(7, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QSignalSpy compared(&window, &MainWindow::comparisonShown);
        window.compareSelected();
        QVERIFY(compared.wait(10000));
        // What the store holds for those rows, read through a connection of the test's own.
        auto store = Store::open(window.storePath());
        QVERIFY(store);
        auto responseOfRow = [&](int row) {
            auto item = (*store)->interactionAt(window.model()->rowIdAt(row));
            return item && *item ? nlohmann::json::parse((*item)->document)["response"].value(
                                       "content", std::string())
                                 : std::string("(missing)");
        };
        QCOMPARE(window.diffView()->diff().textA(), responseOfRow(7));
        QCOMPARE(window.diffView()->diff().textB(), responseOfRow(2));
    }

    // The filter bar: a filter lists only what it selects (counted here from the file), a bad
    // one turns red and says where; sorting by a column reorders the rows.
    void filterAndSort()
    {
        const QString samples = QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl");
        QFile file(samples);
        QVERIFY(file.open(QIODevice::ReadOnly));
        int slow = 0;
        int confidentialOrAbove = 0;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (line.isEmpty())
                continue;
            const auto doc = nlohmann::json::parse(line.toStdString());
            const auto latency = doc.value("/metrics/latency_ms"_json_pointer, nlohmann::json());
            slow += latency.is_number() && latency.get<double>() > 2000;
            const auto level = doc.value("/security/sensitivity_level"_json_pointer, std::string());
            confidentialOrAbove += level == "confidential" || level == "restricted";
        }
        QVERIFY(slow > 0 && confidentialOrAbove > 0);

        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(m_dir.filePath(QStringLiteral("filter.sqlite")), {samples});
        window.show();
        QVERIFY(imported.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(window.model()->rowCount() > slow, 10000);

        FilterBar *bar = window.filterBar();
        // Completion: fields, then the field's operators, then its enum names.
        QString prefix;
        QVERIFY(bar->completionsAt(u"lat"_qs, 3, &prefix).contains(u"latency"_qs));
        QCOMPARE(prefix, u"lat"_qs);
        QVERIFY(bar->completionsAt(u"latency "_qs, 8, &prefix).contains(u">"_qs));
        QVERIFY(bar->completionsAt(u"user_id == \"x\" and sensitivity >= c"_qs, 35, &prefix)
                    .contains(u"confidential"_qs));
        QTest::keyClicks(bar->edit(), u"latency > 2000"_qs);
        QVERIFY(bar->isValid());
        QTest::keyClick(bar->edit(), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), slow, 10000);
        QCOMPARE(bar->history().value(0), u"latency > 2000"_qs);

        bar->edit()->setText(u"latncy > 2000"_qs);
        QVERIFY(!bar->isValid());
        QTest::keyClick(bar->edit(), Qt::Key_Return); // not applied
        QCOMPARE(window.model()->rowCount(), slow);

        bar->applyText(u"sensitivity >= confidential"_qs);
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), confidentialOrAbove, 10000);

        // The dashboard follows the filter.
        QSignalSpy dashboard(&window, &MainWindow::dashboardShown);
        window.showDashboardTab();
        QVERIFY(dashboard.wait(10000));
        QCOMPARE(window.dashboard()->summary().interactions, confidentialOrAbove);

        // Sorted by latency, longest first.
        bar->clear();
        QTRY_VERIFY_WITH_TIMEOUT(window.model()->rowCount() > confidentialOrAbove, 10000);
        QSignalSpy loaded(window.model(), &InteractionTableModel::loaded);
        window.table()->sortByColumn(InteractionTableModel::Latency, Qt::DescendingOrder);
        QVERIFY(loaded.wait(10000));
        auto latencyAt = [&](int row) {
            return window.model()->index(row, InteractionTableModel::Latency).data().toString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(latencyAt(0) != u"…", 10000);
        QTRY_VERIFY_WITH_TIMEOUT(latencyAt(1) != u"…", 10000);
        auto ms = [](QString text) {
            return text.remove(QRegularExpression(u"[^0-9]"_qs)).toLongLong();
        };
        QVERIFY2(ms(latencyAt(0)) >= ms(latencyAt(1)),
                 qPrintable(latencyAt(0) + u' ' + latencyAt(1)));
    }

    // New rows arriving (an import) keep the selected interaction selected.
    void selectionSurvivesNewRows()
    {
        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(m_dir.filePath(QStringLiteral("keep.sqlite")),
                         {QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl")});
        QVERIFY(imported.wait(30000));
        // The whole list, not just its first page (which comes first, from another thread).
        QTRY_VERIFY_WITH_TIMEOUT(window.model()->rowCount() > 10 && !window.model()->isLoading(),
                                 10000);
        QSignalSpy shown(&window, &MainWindow::interactionShown);
        window.table()->selectRow(3);
        QVERIFY(shown.wait(10000));
        const qint64 selected = shown.last().first().toLongLong();
        const int before = window.model()->rowCount();

        // Two newer records: they sort above the selection and push it down.
        const QString log = m_dir.filePath(QStringLiteral("newer.jsonl"));
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 2; ++i)
            file.write(QStringLiteral("{\"interaction_id\": \"new-%1\", \"timestamp\": "
                                      "\"2030-01-0%1T10:00:00Z\", \"user_id\": \"u\", "
                                      "\"session_id\": \"s\", \"request\": {}, \"response\": {}}\n")
                           .arg(i + 1)
                           .toUtf8());
        file.close();
        QTimer closer; // the result dialog is modal: close it when it shows
        connect(&closer, &QTimer::timeout, this, [] { acceptMessageBoxes(); });
        closer.start(50);
        window.importFiles({log});
        QVERIFY(imported.wait(30000));
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), before + 2, 10000);
        QTRY_COMPARE(window.table()->currentIndex().row(), 5);
        QCOMPARE(window.model()->rowIdAt(window.table()->currentIndex().row()), selected);
    }

    // Another writer (the collector, `llmaudit import` in a terminal) adds interactions while the
    // window is open: they show up by themselves, inserted above the selection, which stays;
    // in follow mode the newest is selected as it arrives.
    void rowsFromAnotherWriterShowUp()
    {
        const QString storePath = m_dir.filePath(QStringLiteral("live.sqlite"));
        MainWindow window;
        QSignalSpy imported(&window, &MainWindow::importFinished);
        window.openStore(storePath,
                         {QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl")});
        QVERIFY(imported.wait(30000));
        // The whole list, not just its first page (which comes first, from another thread).
        QTRY_VERIFY_WITH_TIMEOUT(window.model()->rowCount() > 10 && !window.model()->isLoading(),
                                 10000);
        QAbstractItemModelTester tester(window.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy shown(&window, &MainWindow::interactionShown);
        window.table()->selectRow(2);
        QVERIFY(shown.wait(10000));
        const qint64 selected = shown.last().first().toLongLong();
        const int before = window.model()->rowCount();
        QSignalSpy inserted(window.model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(window.model(), &QAbstractItemModel::modelReset);

        auto writer = Store::open(storePath);
        QVERIFY(writer);
        auto write = [&](const std::string &id, const std::string &day) {
            const nlohmann::json record = {{"interaction_id", id},
                                           {"timestamp", "2031-01-" + day + "T10:00:00Z"},
                                           {"user_id", "u-live"},
                                           {"session_id", "s-live"},
                                           {"request", {{"prompt", "live " + id}}},
                                           {"response", {{"content", "ok"}}}};
            auto decoded = decodeDocument(record);
            QVERIFY(decoded);
            std::vector<IncomingRecord> records{{std::move(*decoded), "collector", {}, {}}};
            QVERIFY((*writer)->write(records, {}));
        };
        write("live-1", "01");
        write("live-2", "02");
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), before + 2, 10000);
        QVERIFY(!inserted.isEmpty());
        QCOMPARE(reset.size(), 0); // inserted, not reloaded: nothing on screen jumps
        QCOMPARE(window.model()->rowIdAt(window.table()->currentIndex().row()), selected);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.model()->index(0, InteractionTableModel::Prompt).data().toString(),
            u"live live-2"_qs, 10000);

        // Follow mode: each new one is selected and shown in the detail pane.
        QAction *follow = nullptr;
        for (QAction *action : window.findChildren<QAction *>())
            if (action->text() == u"&Follow New Interactions")
                follow = action;
        QVERIFY(follow);
        follow->setChecked(true);
        write("live-3", "03");
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), before + 3, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.table()->currentIndex().row(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.model()->rowIdAt(0) != 0 &&
                                     shown.last().first().toLongLong() ==
                                         window.model()->rowIdAt(0),
                                 10000);
        follow->setChecked(false);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
