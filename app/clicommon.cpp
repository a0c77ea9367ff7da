#include "clicommon.h"

#include "logschema.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <csignal>
#include <cstdio>
#include <unistd.h>

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

namespace {
std::atomic<bool> s_interrupted{false};
std::atomic<int> s_interrupts{0};
// So that the handler may set them.
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void interrupt(int)
{
    s_interrupted.store(true);
    s_interrupts.fetch_add(1);
}
} // namespace

Interruption::Interruption()
    : m_previousInt(std::signal(SIGINT, interrupt))
    , m_previousTerm(std::signal(SIGTERM, interrupt))
{
    if (m_previousInt != interrupt) { // the outermost one starts afresh
        s_interrupted.store(false);
        s_interrupts.store(0);
    }
}

Interruption::~Interruption()
{
    std::signal(SIGINT, m_previousInt);
    std::signal(SIGTERM, m_previousTerm);
}

const std::atomic<bool> &Interruption::flag()
{
    return s_interrupted;
}

int Interruption::count()
{
    return s_interrupts.load();
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

std::optional<int> Command::parse(Positional positional)
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
    if (positional == Positional::None && !parser.positionalArguments().isEmpty())
        return usageError(
            name,
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    return std::nullopt;
}

void Command::addActorOption(const QString &optionName, const QString &who)
{
    parser.addOption({optionName,
                      QStringLiteral("%1, for the activity log (default: the OS user, %2).")
                          .arg(who, QString::fromStdString(Store::osUserName())),
                      QStringLiteral("NAME")});
}

std::optional<int> Command::readActor(const QString &optionName, std::string &actor) const
{
    actor = parser.isSet(optionName) ? parser.value(optionName).toStdString() : Store::osUserName();
    if (actor.empty())
        return usageError(name, QStringLiteral("--%1 is empty").arg(optionName));
    return std::nullopt;
}

void Command::addFilterOption(const QString &what)
{
    parser.addOption({QStringLiteral("filter"),
                      what + QStringLiteral(" EXPR is a display filter, e.g. 'latency > 2s and "
                                            "flagged' (docs/filter-language.md)."),
                      QStringLiteral("EXPR")});
}

std::optional<int> Command::readFilter(FilterExpr &filter) const
{
    filter = {};
    if (!parser.isSet(QStringLiteral("filter")))
        return std::nullopt;
    const QString text = parser.value(QStringLiteral("filter"));
    auto compiled = compileFilter(text);
    auto show = [&](const char *kind, const FilterDiagnostic &d) {
        err(QStringLiteral("llmaudit %1: filter %2 at %3: %4\n%5")
                .arg(name, QLatin1StringView(kind))
                .arg(d.offset)
                .arg(QString::fromStdString(visible(d.message.toStdString())),
                     filterExcerpt(text, d)));
    };
    if (!compiled) {
        show("error", compiled.error());
        return Usage;
    }
    for (const auto &warning : compiled->warnings)
        show("warning", warning);
    filter = std::move(compiled->expr);
    return std::nullopt;
}

QString filterExcerpt(const QString &filter, const FilterDiagnostic &diagnostic)
{
    // Each character as the terminal shows it: control and bidi characters as <U+XXXX>, so
    // that the carets line up with what is printed.
    QStringList shown;
    for (qsizetype i = 0; i < filter.size(); ++i) {
        const qsizetype length = filter[i].isHighSurrogate() && i + 1 < filter.size() ? 2 : 1;
        shown << QString::fromStdString(visible(filter.mid(i, length).toStdString()));
        if (length == 2)
            shown << QString(); // the low surrogate takes no column of its own
        i += length - 1;
    }
    auto column = [&](qsizetype offset) {
        qsizetype c = 0;
        for (qsizetype i = 0; i < std::min(offset, shown.size()); ++i)
            c += shown[i].size();
        return c;
    };
    const QString line = shown.join(QString());
    const qsizetype from = column(diagnostic.offset);
    const qsizetype to = std::max(from + 1, column(diagnostic.offset + diagnostic.length));
    // At most about 100 columns: a window around the place.
    constexpr qsizetype Width = 100;
    qsizetype start = 0;
    if (line.size() > Width)
        start =
            std::clamp<qsizetype>(from - Width / 3, 0, std::max<qsizetype>(0, line.size() - Width));
    QString text = line.mid(start, Width);
    QString prefix = QStringLiteral("  ");
    if (start > 0)
        text.prepend(QStringLiteral("…"));
    if (start + Width < line.size())
        text.append(QStringLiteral("…"));
    const qsizetype caretStart = from - start + (start > 0 ? 1 : 0);
    const qsizetype caretLength = std::min(to - from, Width - (from - start));
    return prefix + text + u'\n' + prefix + QString(caretStart, u' ') +
           QString(std::max<qsizetype>(1, caretLength), u'^') + u'\n';
}

QString Command::storePath() const
{
    const QString path = parser.value(QStringLiteral("store"));
    return path.isEmpty() ? Store::defaultLocation() : path;
}

Result<std::unique_ptr<Store>> openShowingUpgrade(const QString &path, Store::Access access)
{
    Store::OpenOptions options;
    options.access = access;
    // A store written by an older version is upgraded here, which takes minutes on a big one:
    // on a terminal the progress shows on one line, as import's does.
    // Ctrl-C cancels it: rolled back, and the reason printed says the store is unchanged.
    bool shown = false;
    QElapsedTimer sincePrint;
    sincePrint.start();
    std::optional<Interruption> interruption(std::in_place);
    if (access == Store::Access::ReadWrite) {
        const bool terminal = isatty(STDERR_FILENO);
        options.upgradeProgress = [&, terminal](int format, qint64 done, qint64 total) {
            if (interruption->happened())
                return false;
            if (!terminal || (shown && done < total && sincePrint.elapsed() < 100))
                return true;
            sincePrint.restart();
            shown = true;
            const int percent = total > 0 ? int(100 * done / total) : 100;
            err(total > 1 ? QStringLiteral("\r\033[KUpgrading the store to format %1: %2 % "
                                           "(%3 of %4 records)")
                                .arg(format)
                                .arg(percent)
                                .arg(done)
                                .arg(total)
                          : QStringLiteral("\r\033[KUpgrading the store to format %1").arg(format));
            return true;
        };
    }
    auto store = Store::open(path, options);
    if (shown)
        err(QStringLiteral("\r\033[K"));
    const bool pressed = interruption->happened();
    interruption.reset();
    if (pressed) { // Ctrl-C ends the command as always, after rolling an upgrade back
        if (!store)
            err(QStringLiteral("llmaudit: %1\n").arg(store.error().toString()));
        std::raise(SIGINT);
    }
    return store;
}

std::unique_ptr<Store> openStore(const Command &command, Store::Access access)
{
    auto store = openShowingUpgrade(command.storePath(), access);
    if (!store) {
        err(QStringLiteral("llmaudit %1: %2\n").arg(command.name, store.error().toString()));
        return nullptr;
    }
    return std::move(*store);
}

void logActivity(const Command &command, ActivityEntry entry)
{
    if (entry.actor.empty())
        entry.actor = Store::osUserName();
    auto store = Store::open(command.storePath(), Store::Access::ReadWrite);
    auto logged =
        store ? (*store)->logActivity(entry) : Result<qint64>(std::unexpected(store.error()));
    if (!logged)
        err(QStringLiteral("llmaudit %1: note: not recorded in the activity log: %2\n")
                .arg(command.name, logged.error().toString()));
}

Result<std::vector<std::string>> readIdsFile(const QString &path)
{
    QFile file;
    const bool opened = path == u"-" ? file.open(stdin, QIODevice::ReadOnly)
                                     : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened)
        return fail(QStringLiteral("cannot read the ids: ") + file.errorString(), path);
    std::vector<std::string> ids;
    // Not `while (!file.atEnd())`: on a pipe atEnd() is true whenever nothing has arrived yet,
    // so the ids of a writer slower than this reader were lost. readLine() waits for a line and
    // comes back empty only at the end of the input or on an error (a blank line is "\n").
    for (QByteArray line; !(line = file.readLine()).isEmpty();) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        ids.push_back(line.toStdString());
    }
    if (file.error() != QFileDevice::NoError)
        return fail(QStringLiteral("cannot read the ids: ") + file.errorString(), path);
    return ids;
}

std::optional<std::vector<qint64>> rowIdsOf(Store &store, const QStringList &ids,
                                            const QString &command)
{
    std::vector<qint64> rowIds;
    QStringList unknown;
    for (const QString &id : ids) {
        auto found = store.interaction(id.toStdString());
        if (!found) {
            err(QStringLiteral("llmaudit %1: %2\n").arg(command, found.error().toString()));
            return std::nullopt;
        }
        if (*found)
            rowIds.push_back((*found)->rowId);
        else
            unknown << QString::fromStdString(visible(id.toStdString()));
    }
    if (!unknown.isEmpty()) {
        err(QStringLiteral("llmaudit %1: no interaction %2 in %3; nothing was changed\n")
                .arg(command, unknown.join(u", "), store.location()));
        return std::nullopt;
    }
    return rowIds;
}

} // namespace llmaudit::cli
