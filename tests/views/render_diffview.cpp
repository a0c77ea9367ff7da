// Renders the diff view of an interaction and its replay to PNG, to look at:
//   render_diffview OUTDIR [dark]
// Run it under Xvfb (tests/views/screenshots.sh) to see a real X11 window.

#include "comparison.h"
#include "diffview.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QPalette>
#include <QStyleFactory>

#include <cstdio>

using namespace llmaudit;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: render_diffview OUTDIR [dark]\n");
        return 2;
    }
    const QString outDir = QString::fromLocal8Bit(argv[1]);
    const bool dark = argc > 2 && qstrcmp(argv[2], "dark") == 0;
    QDir().mkpath(outDir);
    QFile file(QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/data/compare/replay-pair.jsonl"));
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(file.fileName()));
        return 1;
    }
    const QList<QByteArray> lines = file.readAll().split('\n');
    auto comparison = compareDocuments(lines.value(0).toStdString(), lines.value(1).toStdString());
    if (!comparison) {
        std::fprintf(stderr, "%s\n", qPrintable(comparison.error().toString()));
        return 1;
    }
    if (dark) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette palette;
        palette.setColor(QPalette::Window, QColor(45, 45, 48));
        palette.setColor(QPalette::WindowText, QColor(220, 220, 220));
        palette.setColor(QPalette::Base, QColor(30, 30, 30));
        palette.setColor(QPalette::AlternateBase, QColor(50, 50, 54));
        palette.setColor(QPalette::Text, QColor(220, 220, 220));
        palette.setColor(QPalette::Button, QColor(55, 55, 58));
        palette.setColor(QPalette::ButtonText, QColor(220, 220, 220));
        palette.setColor(QPalette::Mid, QColor(90, 90, 90));
        palette.setColor(QPalette::Highlight, QColor(42, 130, 218));
        QApplication::setPalette(palette);
    }
    DiffView view;
    view.setComparison(*comparison);
    view.resize(1400, 620);
    view.show();
    view.nextChange();
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    const QString path =
        outDir + (dark ? QStringLiteral("/diff-view-dark.png") : QStringLiteral("/diff-view.png"));
    if (!view.grab().save(path)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
        return 1;
    }
    std::printf("%s\n", qPrintable(path));
    return 0;
}
