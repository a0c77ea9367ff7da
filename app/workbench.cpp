#include "workbench.h"

#include "mainwindow.h"
#include "store.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

namespace llmaudit {

int runWorkbench(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("llmaudit"));
    QApplication::setApplicationDisplayName(QStringLiteral("LLM Audit Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(LLMAUDIT_VERSION));
    QApplication::setOrganizationName(QStringLiteral("llmaudit"));
    QApplication::setDesktopFileName(QStringLiteral("io.github.llmaudit.Workbench"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/llmaudit/icons/llmaudit.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Audit and replay LLM interactions."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(
        {QStringLiteral("store"),
         QStringLiteral("The store to open (default: %1).").arg(Store::defaultLocation()),
         QStringLiteral("PATH")});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Log files to import."),
                                 QStringLiteral("[FILE...]"));
    parser.process(app);

    const QString storePath = parser.isSet(QStringLiteral("store"))
                                  ? parser.value(QStringLiteral("store"))
                                  : Store::defaultLocation();
    MainWindow window;
    // A store opened for the first time starts with the bundled sample logs, so that there is
    // something to look at; an explicit --store starts empty.
    const QStringList samples =
        parser.isSet(QStringLiteral("store"))
            ? QStringList()
            : QStringList{QStringLiteral(":/llmaudit/samples/sample-interactions.jsonl")};
    window.openStore(storePath, samples);
    if (!parser.positionalArguments().isEmpty())
        window.importFiles(parser.positionalArguments());
    window.show();
    return app.exec();
}

} // namespace llmaudit
