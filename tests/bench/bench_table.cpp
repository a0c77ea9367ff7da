// The workbench table on a big store, measured as a user meets it (issue 4's targets):
//   bench_table STORE
// prints the time until the first rows show, page fetch times anywhere in the table, the time
// until a filter's first page shows (indexed and full-text), and peak RSS. Nothing asserts;
// docs/performance.md records the figures and how to make a 1,000,000-row store.

#include "filterlanguage.h"
#include "interactiontablemodel.h"
#include "store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace llmaudit;

namespace {

bool waitFor(const std::function<bool()> &done, int timeoutMs = 120000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    }
    return true;
}

long peakRssKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

bool rowShown(InteractionTableModel &model, int row)
{
    return model.index(row, InteractionTableModel::User).data().toString() != u"…";
}

struct Shown
{
    double firstPageMs = -1; // the first rows on screen
    double allMs = -1;       // the whole list of matches known (and counted)
    int rows = 0;
};

// Reloads (after a filter change) and times the first page and the whole list.
Shown reloadAndTime(InteractionTableModel &model)
{
    Shown shown;
    QElapsedTimer timer;
    timer.start();
    bool reset = false;
    bool loaded = false;
    auto onReset = QObject::connect(&model, &QAbstractItemModel::modelReset, [&] { reset = true; });
    auto onLoaded =
        QObject::connect(&model, &InteractionTableModel::loaded, [&] { loaded = true; });
    model.reload();
    waitFor([&] { return (reset && (model.rowCount() == 0 || rowShown(model, 0))) || loaded; });
    shown.firstPageMs = double(timer.nsecsElapsed()) / 1e6;
    waitFor([&] { return loaded; });
    shown.allMs = double(timer.nsecsElapsed()) / 1e6;
    shown.rows = model.rowCount();
    QObject::disconnect(onReset);
    QObject::disconnect(onLoaded);
    return shown;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_table STORE\n");
        return 2;
    }
    const QString path = QString::fromLocal8Bit(argv[1]);

    InteractionTableModel model(path);
    const Shown opened = reloadAndTime(model);
    const int rows = model.rowCount();
    std::printf("rows                      %d\n", rows);
    std::printf("first rows shown          %.1f ms (target 300); all row ids %.1f ms\n",
                opened.firstPageMs, opened.allMs);
    QElapsedTimer timer;

    // Page fetches anywhere (the end, the middle, random places), as scrolling causes them.
    std::mt19937 random(7);
    std::vector<double> pages;
    for (int i = 0; i < 40; ++i) {
        const int row = i == 0 ? rows - 1 : int(random() % unsigned(rows));
        timer.restart();
        model.index(row, InteractionTableModel::User).data(); // asks for the page
        waitFor([&] { return rowShown(model, row); });
        pages.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(pages.begin(), pages.end());
    std::printf("page fetch (128 rows)     median %.1f ms, max %.1f ms over %zu (target 16)\n",
                pages[pages.size() / 2], pages.back(), pages.size());

    for (const QString &filter :
         {u"user_id == \"u-0003\""_qs, u"model == \"gpt-4o\" and latency > 2000"_qs, u"flagged"_qs,
          u"text ~ \"liability cap\""_qs, u"text ~ \"steering committee\""_qs}) {
        auto compiled = compileFilter(filter);
        if (!compiled) {
            std::fprintf(stderr, "bad filter %s\n", qPrintable(filter));
            return 1;
        }
        model.setFilter(compiled->expr);
        const Shown shown = reloadAndTime(model);
        std::printf("filter %-42s first page %7.1f ms (target %s), all %d in %.1f ms\n",
                    qPrintable(filter), shown.firstPageMs,
                    filter.startsWith(u"text") ? "200" : "100", shown.rows, shown.allMs);
    }
    std::printf("peak RSS                  %.1f MB (target 250)\n", double(peakRssKb()) / 1024.0);
    return 0;
}
