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

// Applies a filter and returns the ms until its first page shows (and the matches).
std::pair<double, int> firstPageOf(InteractionTableModel &model, const QString &text)
{
    auto compiled = compileFilter(text);
    if (!compiled) {
        std::fprintf(stderr, "bad filter %s\n", qPrintable(text));
        return {-1, 0};
    }
    QElapsedTimer timer;
    timer.start();
    bool loaded = false;
    auto connection =
        QObject::connect(&model, &InteractionTableModel::loaded, [&] { loaded = true; });
    model.setFilter(compiled->expr);
    model.reload();
    waitFor([&] { return loaded && (model.rowCount() == 0 || rowShown(model, 0)); });
    QObject::disconnect(connection);
    return {double(timer.nsecsElapsed()) / 1e6, model.rowCount()};
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

    QElapsedTimer timer;
    timer.start();
    InteractionTableModel model(path);
    model.reload();
    if (!waitFor([&] { return model.rowCount() > 0 && rowShown(model, 0); })) {
        std::fprintf(stderr, "the table did not fill\n");
        return 1;
    }
    const double firstRows = double(timer.nsecsElapsed()) / 1e6;
    const int rows = model.rowCount();
    std::printf("rows                      %d\n", rows);
    std::printf("first rows shown          %.1f ms (target 300)\n", firstRows);

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
        const auto [ms, matches] = firstPageOf(model, filter);
        std::printf("filter %-34s first page %.1f ms, %d matches (target %s)\n", qPrintable(filter),
                    ms, matches, filter.startsWith(u"text") ? "200" : "100");
    }
    std::printf("peak RSS                  %.1f MB (target 250)\n", double(peakRssKb()) / 1024.0);
    return 0;
}
