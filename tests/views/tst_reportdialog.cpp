// File > Export Report: the dialog under the offscreen platform on a real store, writing real
// reports off the GUI thread; cancel; and the main window's menu action that opens it.

#include "../models/reportrecords.h"
#include "filterlanguage.h"
#include "interactiontablemodel.h"
#include "mainwindow.h"
#include "reportdialog.h"
#include "reportjob.h"
#include "store.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QProgressDialog>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace llmaudit;

namespace {

int csvRecords(const QString &path)
{
    QProcess python;
    python.start(u"/usr/bin/python3"_qs,
                 {u"-c"_qs,
                  u"import csv,sys; print(len(list(csv.reader(open(sys.argv[1], "
                  "newline='')))))"_qs,
                  path});
    if (!python.waitForFinished(60000) || python.exitCode() != 0)
        return -1;
    return python.readAllStandardOutput().trimmed().toInt();
}

// Accepts the visible message boxes (modal warnings); returns the last one, or null.
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

} // namespace

class TestReportDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_store;
    std::vector<qint64> m_rowIds;

    FilterExpr filter(const QString &text)
    {
        auto compiled = compileFilter(text);
        if (!compiled)
            qFatal("bad filter");
        return compiled->expr;
    }

    ActivityEntry lastReportEntry()
    {
        auto store = Store::open(m_store, Store::Access::ReadOnly);
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        ActivityQuery query;
        query.kinds = {ActivityKind::Report};
        auto entries = (*store)->activity(query);
        if (!entries || entries->empty())
            qFatal("no report in the activity log");
        return entries->back();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // the dialog remembers its folder and format
        QCoreApplication::setOrganizationName(u"llmaudit-test"_qs);
        // The Reviewer Name (Review menu): the window's reports are recorded under it.
        QSettings().setValue(u"review/reviewer"_qs, u"Rita Reviewer"_qs);
        QSettings().remove(u"report/author"_qs);
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(u"store.sqlite"_qs);
        auto store = Store::open(m_store);
        QVERIFY(store);
        std::vector<IncomingRecord> batch;
        for (const auto &r : reportfixture::records()) {
            auto decoded = decodeDocument(r);
            QVERIFY(decoded);
            batch.push_back({std::move(*decoded), "fixture", {}, {}});
        }
        QVERIFY((*store)->write(batch, {}));
        auto ids = (*store)->rowIds();
        QVERIFY(ids);
        m_rowIds = {ids->at(0), ids->at(1)};
    }

    void defaults()
    {
        ReportDialog withSelection(m_store, u"flagged"_qs, filter(u"flagged"_qs), m_rowIds);
        QVERIFY(withSelection.selectionButton()->isEnabled());
        QVERIFY(withSelection.selectionButton()->isChecked()); // two rows chosen: those
        QVERIFY(withSelection.filterButton()->text().contains(u"flagged"_qs));
        // LLMAUDIT_DIALOG_PNG=FILE saves a picture of the dialog to look at.
        if (const QString png = qEnvironmentVariable("LLMAUDIT_DIALOG_PNG"); !png.isEmpty()) {
            withSelection.show();
            withSelection.grab().save(png);
        }

        ReportDialog without(m_store, {}, {}, {});
        QVERIFY(!without.selectionButton()->isEnabled());
        QVERIFY(without.filterButton()->isChecked());
        QVERIFY(without.filterButton()->text().contains(u"All interactions"_qs));
        // The extension follows the format.
        without.outputEdit()->setText(m_dir.filePath(u"audit.pdf"_qs));
        without.formatBox()->setCurrentIndex(without.formatBox()->findData(int(ReportFormat::Csv)));
        QCOMPARE(without.outputEdit()->text(), m_dir.filePath(u"audit.csv"_qs));
        QCOMPARE(without.format(), ReportFormat::Csv);
        QCOMPARE(without.request().filterText, QString());
        QVERIFY(without.request().rowIds.empty());
    }

    void writesTheFilterReport()
    {
        ReportDialog dialog(m_store, u"flagged"_qs, filter(u"flagged"_qs), m_rowIds);
        dialog.show();
        dialog.filterButton()->setChecked(true);
        dialog.formatBox()->setCurrentIndex(dialog.formatBox()->findData(int(ReportFormat::Csv)));
        const QString path = m_dir.filePath(u"flagged.csv"_qs);
        dialog.outputEdit()->setText(path);
        QSignalSpy written(&dialog, &ReportDialog::reportWritten);
        QVERIFY(dialog.exportReport());
        QVERIFY(dialog.job());
        QVERIFY(dialog.progressDialog()); // progress and Cancel while it runs
        QVERIFY(written.wait(60000));
        QCOMPARE(written.first().at(0).toString(), path);
        QCOMPARE(written.first().at(2).toLongLong(), 2); // the two flagged ones
        QCOMPARE(csvRecords(path), 3);
        QCOMPARE(dialog.result(), int(QDialog::Accepted));

        // The activity log has the report, under the Reviewer Name.
        const ActivityEntry entry = lastReportEntry();
        QCOMPARE(entry.actor, std::string("Rita Reviewer"));
        QCOMPARE(entry.what, "report: csv \"LLM audit report\" written to " + path.toStdString());
        QCOMPARE(entry.filter, std::string("flagged"));
        QCOMPARE(entry.count, 2);
    }

    void writesTheSelectionAsPdf()
    {
        ReportDialog dialog(m_store, {}, {}, m_rowIds);
        dialog.show();
        dialog.selectionButton()->setChecked(true);
        dialog.titleEdit()->setText(u"Chosen two"_qs);
        dialog.formatBox()->setCurrentIndex(dialog.formatBox()->findData(int(ReportFormat::Pdf)));
        const QString path = m_dir.filePath(u"chosen"_qs); // the extension is added
        dialog.outputEdit()->setText(path);
        QSignalSpy written(&dialog, &ReportDialog::reportWritten);
        QVERIFY(dialog.exportReport());
        QVERIFY(written.wait(60000));
        QCOMPARE(written.first().at(0).toString(), path + u".pdf"_qs);
        QVERIFY(written.first().at(1).toInt() >= 6);
        QCOMPARE(written.first().at(2).toLongLong(), 2);
        QProcess text;
        text.start(u"pdftotext"_qs, {path + u".pdf"_qs, u"-"_qs});
        QVERIFY(text.waitForFinished(60000));
        const QString pdf = QString::fromUtf8(text.readAllStandardOutput()).simplified();
        QVERIFY(pdf.contains(u"Chosen two"_qs));
        QVERIFY(pdf.contains(u"Selection of 2"_qs));
        QVERIFY(pdf.contains(u"Generated by Rita Reviewer"_qs));
        QVERIFY(pdf.contains(u"Verified OK"_qs));
        const ActivityEntry entry = lastReportEntry();
        QCOMPARE(entry.actor, std::string("Rita Reviewer"));
        QCOMPARE(entry.interactionIds, (std::vector<std::string>{"plain-8", "plain-9"}));
    }

    void aMissingFolderIsSaid()
    {
        ReportDialog dialog(m_store, {}, {}, {});
        dialog.show();
        dialog.outputEdit()->setText(m_dir.filePath(u"no/such/folder/r.pdf"_qs));
        QString warning;
        QTimer closer;
        connect(&closer, &QTimer::timeout, this, [&] {
            if (QMessageBox *box = acceptMessageBoxes())
                warning = box->text();
        });
        closer.start(20);
        QVERIFY(!dialog.exportReport());
        QVERIFY2(warning.contains(u"does not exist"_qs), qPrintable(warning));
        QVERIFY(!dialog.job());
    }

    void cancelStopsTheJob()
    {
        const QString path = m_dir.filePath(u"cancelled.pdf"_qs);
        ReportJob job(m_store, {}, ReportFormat::Pdf, path, u"Rita Reviewer"_qs);
        QSignalSpy cancelled(&job, &ReportJob::cancelled);
        QSignalSpy finished(&job, &ReportJob::finished);
        job.cancel(); // before it reads anything
        job.start();
        QVERIFY(cancelled.wait(60000));
        QCOMPARE(finished.count(), 0);
        QVERIFY(!QFile::exists(path));

        // From the dialog: Cancel on the progress dialog ends the run one way or the other; when
        // it was in time, no file is left.
        ReportDialog dialog(m_store, {}, {}, {});
        dialog.show();
        const QString second = m_dir.filePath(u"second.pdf"_qs);
        dialog.outputEdit()->setText(second);
        QSignalSpy dialogCancelled(&dialog, &ReportDialog::reportCancelled);
        QSignalSpy dialogWritten(&dialog, &ReportDialog::reportWritten);
        QVERIFY(dialog.exportReport());
        dialog.progressDialog()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(dialogCancelled.count() + dialogWritten.count() == 1, 60000);
        QCOMPARE(QFile::exists(second), dialogWritten.count() == 1);
        QVERIFY(!dialog.job());
    }

    void mainWindowOpensTheDialog()
    {
        MainWindow window;
        window.openStore(m_store);
        window.show();
        QSignalSpy loaded(window.model(), &InteractionTableModel::loaded);
        QVERIFY(loaded.wait(10000));
        window.table()->selectRow(0);
        QAction *action = nullptr;
        for (QAction *menu : window.menuBar()->actions())
            if (menu->menu())
                for (QAction *item : menu->menu()->actions())
                    if (item->text() == u"Export &Report…"_qs)
                        action = item;
        QVERIFY(action);
        action->trigger();
        auto *dialog = window.findChild<ReportDialog *>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QVERIFY(dialog->selectionButton()->isEnabled()); // one row selected
        QVERIFY(dialog->filterButton()->isChecked());    // one row: the filter stays the default
        QCOMPARE(dialog->request().filterText, QString());
        dialog->selectionButton()->setChecked(true);
        QCOMPARE(qsizetype(dialog->request().rowIds.size()), 1);
        dialog->reject();
    }
};

QTEST_MAIN(TestReportDialog)
#include "tst_reportdialog.moc"
