// `llmaudit verify`, `llmaudit review` and `llmaudit activity`: the integrity chains, review
// state and the activity log from the terminal.

#include "clicommon.h"
#include "counted.h"
#include "logschema.h"

#include <QDateTime>
#include <QRegularExpression>

using namespace Qt::StringLiterals;
using nlohmann::json;

namespace llmaudit::cli {

namespace {

// A time for --since / --until: RFC 3339, a date (its start, UTC), or an age such as 24h, 7d,
// 30m (that long before now).
std::optional<int64_t> parseTime(const QString &text)
{
    static const QRegularExpression age(u"^(\\d+)([smhdw])$"_s);
    if (auto m = age.match(text); m.hasMatch()) {
        const int64_t n = m.captured(1).toLongLong();
        constexpr int64_t units[] = {1'000, 60'000, 3'600'000, 86'400'000, 604'800'000};
        const int64_t unit = units[QStringView(u"smhdw").indexOf(m.captured(2).front())];
        return QDateTime::currentMSecsSinceEpoch() - n * unit;
    }
    if (auto t = LogSchema::parseDateTime(text.toStdString()))
        return t;
    const QDate date = QDate::fromString(text, Qt::ISODate);
    if (date.isValid())
        return QDateTime(date, QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    return std::nullopt;
}

json toJson(const ActivityEntry &e)
{
    json j = json::parse(canonicalJson(e), nullptr, false);
    j["id"] = e.id;
    j["time"] = LogSchema::formatDateTime(e.timeMs);
    return j;
}

} // namespace

int runVerify(const QStringList &args, const QString &description)
{
    Command command(u"verify"_s, description, args);
    command.addStoreOption();
    command.addJsonOption(u"Print one JSON object."_s);
    if (auto stop = command.parse(Command::Positional::None))
        return *stop;
    // Read-write when the file allows it, so that the verification itself is logged.
    std::unique_ptr<Store> store;
    if (auto writable = openShowingUpgrade(command.storePath(), Store::Access::ReadWrite))
        store = std::move(*writable);
    else
        store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    auto report = store->verify();
    if (!report) {
        err(u"llmaudit verify: %1\n"_s.arg(report.error().toString()));
        return Failed;
    }
    const bool asJson = command.parser.isSet(u"json"_s);
    const ChainProblem *p = report->problem ? &*report->problem : nullptr;
    if (asJson) {
        json result = {{"ok", report->ok()}, {"store", store->location().toStdString()}};
        if (p)
            result["problem"] = {{"chain", toString(p->chain)},
                                 {"kind", toString(p->kind)},
                                 {"position", p->position},
                                 {"row_id", p->rowId},
                                 {"interaction_id", p->interactionId},
                                 {"detail", p->detail}};
        else
            result.update(
                {{"records", {{"length", report->records.length}, {"head", report->records.link}}},
                 {"activity",
                  {{"length", report->activity.length}, {"head", report->activity.link}}}});
        printJson(result);
    } else if (p) {
        // Position 0: a problem with no link of its own (review state the log never had).
        out(u"BROKEN  %1 chain%2%3: %4\n  %5\n"_s.arg(QString::fromUtf8(toString(p->chain)))
                .arg(p->position ? u", link %1"_s.arg(p->position) : QString())
                .arg(p->interactionId.empty() ? QString()
                                              : u" (interaction %1)"_s.arg(QString::fromStdString(
                                                    visible(p->interactionId))))
                .arg(QString::fromUtf8(toString(p->kind)), QString::fromStdString(p->detail)));
    } else {
        out(u"OK  records: %1 links, head %2\n    activity: %3 links, head %4\n"_s
                .arg(report->records.length)
                .arg(report->records.link.empty() ? u"(empty)"_s
                                                  : QString::fromStdString(report->records.link))
                .arg(report->activity.length)
                .arg(report->activity.link.empty()
                         ? u"(empty)"_s
                         : QString::fromStdString(report->activity.link)));
    }
    ActivityEntry entry;
    entry.actor = Store::osUserName();
    entry.kind = ActivityKind::Verify;
    entry.what = p ? "verify: broken at " + std::string(toString(p->chain)) + " link " +
                         std::to_string(p->position) + " (" + std::string(toString(p->kind)) + ")"
                   : "verify: OK, records head " + report->records.link.substr(0, 16) +
                         ", activity head " + report->activity.link.substr(0, 16);
    entry.count = report->records.length;
    if (auto logged = store->logActivity(entry); !logged && !asJson)
        err(u"note: the verification was not logged: %1\n"_s.arg(logged.error().toString()));
    return p ? Failed : Ok;
}

int runReview(const QStringList &args, const QString &description)
{
    Command command(u"review"_s, description, args);
    command.addStoreOption();
    command.parser.addPositionalArgument(u"ID"_s, u"interaction_ids to review."_s, u"ID..."_s);
    command.parser.addOption({u"status"_s,
                              u"Set the review status: unreviewed, approved, issue or escalated."_s,
                              u"S"_s});
    command.parser.addOption({u"flag"_s, u"Flag them, for this reason."_s, u"REASON"_s});
    command.parser.addOption({u"unflag"_s, u"Remove a reviewer's flag."_s});
    command.parser.addOption({u"note"_s, u"Add this note to each."_s, u"TEXT"_s});
    command.addActorOption(u"reviewer"_s, u"Who reviews"_s);
    if (auto stop = command.parse())
        return *stop;
    const QCommandLineParser &p = command.parser;
    if (p.positionalArguments().isEmpty())
        return usageError(command.name, u"give the interaction_ids to review"_s);
    ReviewChange change;
    if (p.isSet(u"status"_s)) {
        change.status = reviewStatusFromString(p.value(u"status"_s).toStdString());
        if (!change.status)
            return usageError(command.name,
                              u"unknown status '%1' (unreviewed, approved, issue, escalated)"_s.arg(
                                  p.value(u"status"_s)));
    }
    if (p.isSet(u"flag"_s) && p.isSet(u"unflag"_s))
        return usageError(command.name, u"--flag and --unflag together"_s);
    if (p.isSet(u"flag"_s))
        change.flag = p.value(u"flag"_s).toStdString();
    change.unflag = p.isSet(u"unflag"_s);
    const std::string note = p.value(u"note"_s).toStdString();
    if (change.isEmpty() && note.empty())
        return usageError(command.name, u"nothing to do: give --status, --flag, --unflag or "
                                        "--note"_s);
    if (auto stop = command.readActor(u"reviewer"_s, change.reviewer))
        return *stop;
    auto store = openStore(command, Store::Access::ReadWrite);
    if (!store)
        return Failed;
    const auto found = rowIdsOf(*store, p.positionalArguments(), command.name);
    if (!found)
        return Failed;
    const std::vector<qint64> &rowIds = *found;
    if (!change.isEmpty()) {
        auto changed = store->setReview(rowIds, change);
        if (!changed) {
            err(u"llmaudit review: %1\n"_s.arg(changed.error().toString()));
            return Failed;
        }
    }
    if (!note.empty()) {
        auto added = store->addNote(rowIds, change.reviewer, note);
        if (!added) {
            err(u"llmaudit review: %1\n"_s.arg(added.error().toString()));
            return Failed;
        }
    }
    out(u"%1 reviewed by %2\n"_s.arg(
        counted(qint64(rowIds.size()), u"interaction"_s, u"interactions"_s),
        QString::fromStdString(change.reviewer)));
    return Ok;
}

int runActivity(const QStringList &args, const QString &description)
{
    Command command(u"activity"_s, description, args);
    command.addStoreOption();
    command.addJsonOption(u"Print one JSON object per line (JSONL)."_s);
    command.parser.addOption(
        {u"since"_s, u"From this time: RFC 3339, a date, or an age (24h, 7d)."_s, u"T"_s});
    command.parser.addOption({u"until"_s, u"Before this time (same forms)."_s, u"T"_s});
    command.parser.addOption(
        {u"kind"_s,
         u"Only this kind (import, export, replay, review, purge, report, verify); repeatable."_s,
         u"K"_s});
    command.parser.addOption({u"limit"_s, u"Only the newest N entries."_s, u"N"_s});
    if (auto stop = command.parse(Command::Positional::None))
        return *stop;
    const QCommandLineParser &p = command.parser;
    ActivityQuery query;
    for (const auto &[option, target] :
         {std::pair{u"since"_s, &query.fromMs}, std::pair{u"until"_s, &query.untilMs}}) {
        if (!p.isSet(option))
            continue;
        *target = parseTime(p.value(option));
        if (!*target)
            return usageError(command.name,
                              u"--%1: '%2' is not a time (2026-01-05, "
                              "2026-01-05T10:00:00Z, 24h, 7d)"_s.arg(option, p.value(option)));
    }
    for (const QString &kind : p.values(u"kind"_s)) {
        auto k = activityKindFromString(kind.toStdString());
        if (!k)
            return usageError(command.name, u"unknown kind '%1' (import, export, replay, review, "
                                            "purge, report, verify)"_s.arg(kind));
        query.kinds.push_back(*k);
    }
    if (p.isSet(u"limit"_s)) {
        bool ok = false;
        query.limit = p.value(u"limit"_s).toLongLong(&ok);
        if (!ok || *query.limit < 0)
            return usageError(command.name, u"--limit takes a count"_s);
    }
    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    auto entries = store->activity(query);
    if (!entries) {
        err(u"llmaudit activity: %1\n"_s.arg(entries.error().toString()));
        return Failed;
    }
    if (p.isSet(u"json"_s)) {
        for (const auto &e : *entries)
            printJson(toJson(e));
        return Ok;
    }
    for (const auto &e : *entries) {
        QString on;
        if (!e.interactionIds.empty()) {
            QStringList shown;
            for (size_t i = 0; i < std::min<size_t>(3, e.interactionIds.size()); ++i)
                shown << QString::fromStdString(visible(e.interactionIds[i]));
            if (e.interactionIds.size() > 3)
                shown << u"…"_s;
            on = u"  [%1]"_s.arg(shown.join(u", "));
        } else if (!e.filter.empty()) {
            on = u"  [filter %1]"_s.arg(QString::fromStdString(visible(e.filter)));
        }
        out(u"%1  %2  %3  %4%5\n"_s.arg(QString::fromStdString(LogSchema::formatDateTime(e.timeMs)),
                                        QString::fromUtf8(toString(e.kind)).leftJustified(7),
                                        QString::fromStdString(visible(e.actor)),
                                        QString::fromStdString(visible(e.what)), on));
    }
    out(u"%1\n"_s.arg(counted(qint64(entries->size()), u"entry"_s, u"entries"_s)));
    return Ok;
}

} // namespace llmaudit::cli
