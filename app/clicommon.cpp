#include "clicommon.h"

#include "logschema.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>

namespace llmaudit::cli {

using nlohmann::json;

void out(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
}

void err(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
}

void printJson(const json &value)
{
    out(QString::fromStdString(value.dump(-1, ' ', false, json::error_handler_t::replace)) + u'\n');
}

int usageError(const QString &command, const QString &reason)
{
    err(QStringLiteral("llmaudit %1: %2 (see 'llmaudit %1 --help')\n").arg(command, reason));
    return Usage;
}

QString isoTime(std::optional<int64_t> ms)
{
    return ms ? QString::fromStdString(LogSchema::formatDateTime(*ms)) : QString();
}

QString fileName(const QString &path)
{
    return QFileInfo(path).fileName();
}

// A QCommandLineParser for one sub-command, with the usual --help.
Command::Command(QString commandName, const QString &description, QStringList args)
    : name(std::move(commandName))
    , arguments(std::move(args))
{
    parser.setApplicationDescription(description);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addHelpOption();
}

void Command::addStoreOption()
{
    parser.addOption({QStringLiteral("store"),
                      QStringLiteral("The store file (default: %1).").arg(Store::defaultLocation()),
                      QStringLiteral("PATH")});
}

void Command::addJsonOption(const QString &what)
{
    parser.addOption({QStringLiteral("json"), what});
}

std::optional<int> Command::parse()
{
    if (!parser.parse(arguments))
        return usageError(name, parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QString help = parser.helpText();
        help.replace(QCoreApplication::applicationFilePath(), QStringLiteral("llmaudit"));
        help.replace(QStringLiteral("Usage: llmaudit"), QStringLiteral("Usage: llmaudit ") + name);
        out(help);
        return Ok;
    }
    return std::nullopt;
}

QString Command::storePath() const
{
    const QString path = parser.value(QStringLiteral("store"));
    return path.isEmpty() ? Store::defaultLocation() : path;
}

std::unique_ptr<Store> openStore(const Command &command, Store::Access access)
{
    auto store = Store::open(command.storePath(), access);
    if (!store) {
        err(QStringLiteral("llmaudit %1: %2\n").arg(command.name, store.error().toString()));
        return nullptr;
    }
    return std::move(*store);
}

} // namespace llmaudit::cli
