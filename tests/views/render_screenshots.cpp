// Renders the workbench's main views to PNG files for the README and for looking at them:
//   render_screenshots OUTDIR
// Run it under Xvfb (tests/views/screenshots.sh) to see a real X11 window.

#include "activitydialog.h"
#include "filterbar.h"
#include "interactiontablemodel.h"
#include "mainwindow.h"
#include "privacydialog.h"
#include "reviewactions.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>

#include <cstdio>

using namespace llmaudit;

namespace {

bool waitFor(const std::function<bool()> &done, int timeoutMs = 20000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("llmaudit-screenshots"));
    if (argc < 2) {
        std::fprintf(stderr, "usage: render_screenshots OUTDIR\n");
        return 2;
    }
    const QString outDir = QString::fromLocal8Bit(argv[1]);
    QDir().mkpath(outDir);
    QTemporaryDir storeDir;
    MainWindow window;
    window.resize(1440, 900);
    window.openStore(storeDir.filePath(QStringLiteral("store.sqlite")),
                     {QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl")});
    window.show();
    InteractionTableModel *model = window.model();
    const bool loaded = waitFor([&] {
        return model->rowCount() > 0 &&
               model->index(0, InteractionTableModel::User).data().toString() != u"…";
    });
    if (!loaded) {
        std::fprintf(stderr, "the table did not fill in time\n");
        return 1;
    }
    auto save = [&](const QString &name) {
        waitFor([] { return false; }, 500); // let the status bar and the rows settle
        const QString path = outDir + u'/' + name;
        if (!window.grab().save(path)) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
            return false;
        }
        std::printf("%s\n", qPrintable(path));
        return true;
    };
    window.filterBar()->applyText(u"latency > 1000 and sensitivity >= internal"_qs);
    waitFor([&] {
        return model->rowCount() < 400 && model->rowCount() > 0 &&
               model->index(0, InteractionTableModel::User).data().toString() != u"…";
    });
    bool shown = false;
    QObject::connect(&window, &MainWindow::interactionShown, [&] { shown = true; });
    window.table()->selectRow(2);
    if (!waitFor([&] { return shown; }) || !save(QStringLiteral("main-window.png")))
        return 1;
    bool sessionShown = false;
    QObject::connect(&window, &MainWindow::sessionShown, [&] { sessionShown = true; });
    window.sessionList()->selectRow(1);
    if (!waitFor([&] { return sessionShown; }) || !save(QStringLiteral("conversation.png")))
        return 1;
    bool dashboardShown = false;
    QObject::connect(&window, &MainWindow::dashboardShown, [&] { dashboardShown = true; });
    window.showDashboardTab();
    if (!waitFor([&] { return dashboardShown; }) || !save(QStringLiteral("dashboard.png")))
        return 1;
    // Not for the README: to look at the collector dock and the privacy settings.
    if (auto *dock = window.findChild<QDockWidget *>(QStringLiteral("collector"))) {
        dock->show();
        if (!save(QStringLiteral("collector-dock.png")))
            return 1;
        dock->hide();
    }
    PrivacyDialog privacy(storeDir.filePath(QStringLiteral("store.sqlite")), &window);
    privacy.show();
    waitFor([] { return false; }, 1500); // the retention preview is counted on a worker thread
    const QString privacyPath = outDir + u"/privacy-settings.png"_qs;
    if (!privacy.grab().save(privacyPath))
        return 1;
    std::printf("%s\n", qPrintable(privacyPath));
    // Not for the README either: the activity log with its custom range shown.
    window.review()->showActivityLog();
    ActivityDialog *activity = window.review()->activityDialog();
    if (!activity)
        return 1;
    activity->timeChoice()->setCurrentIndex(activity->customRangeIndex());
    waitFor([&] { return activity->table()->rowCount() > 0; });
    waitFor([] { return false; }, 500);
    const QString activityPath = outDir + u"/activity-log.png"_qs;
    if (!activity->grab().save(activityPath))
        return 1;
    std::printf("%s\n", qPrintable(activityPath));
    // And with From after To.
    activity->fromEdit()->setDateTime(activity->toEdit()->dateTime().addDays(1));
    waitFor([] { return false; }, 300);
    const QString emptyRangePath = outDir + u"/activity-log-empty-range.png"_qs;
    if (!activity->grab().save(emptyRangePath))
        return 1;
    std::printf("%s\n", qPrintable(emptyRangePath));
    return 0;
}
