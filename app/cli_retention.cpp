// `llmaudit purge`, `llmaudit hold` and `llmaudit backup`: retention, legal hold and backups of
// a store from the terminal (docs/privacy.md, docs/backup.md).

#include "backup.h"
#include "clicommon.h"
#include "counted.h"
#include "logschema.h"

#include <QDateTime>
#include <QFileInfo>

using namespace Qt::StringLiterals;
using nlohmann::json;

namespace llmaudit::cli {

namespace {

json idList(const std::vector<ExpiredInteraction> &list)
{
    json ids = json::array();
    for (const auto &item : list)
        ids.push_back(item.interactionId);
    return ids;
}

QString line(const ExpiredInteraction &item, int64_t nowMs)
{
    return u"%1  %2  %3  %4 days old\n"_s.arg(
        QString::fromStdString(visible(item.interactionId)),
        QString::fromStdString(LogSchema::formatDateTime(item.timestampMs)),
        item.sensitivity ? QString::fromUtf8(toString(*item.sensitivity)).leftJustified(12)
                         : u"(no level)  "_s,
        QString::number((nowMs - item.timestampMs) / 86'400'000));
}

} // namespace

int runPurge(const QStringList &args, const QString &description)
{
    Command command(u"purge"_s, description, args);
    command.addStoreOption();
    command.parser.addOption(
        {u"dry-run"_s, u"List what the retention policy would remove now; change nothing."_s});
    command.addActorOption(u"by"_s, u"Who purges"_s);
    command.addJsonOption(u"Print one JSON object: the ids removed (or to be) and kept on hold."_s);
    if (auto stop = command.parse(Command::Positional::None))
        return *stop;
    const QCommandLineParser &p = command.parser;
    const bool dryRun = p.isSet(u"dry-run"_s);
    std::string actor;
    if (auto stop = command.readActor(u"by"_s, actor))
        return *stop;

    auto store = openStore(command, dryRun ? Store::Access::ReadOnly : Store::Access::ReadWrite);
    if (!store)
        return Failed;
    // The retention settings live in the store's policy file; one that cannot be read stops
    // here (its error names the file and the key), before anything is removed.
    auto settings = loadStorePolicy(store->location());
    if (!settings) {
        err(u"llmaudit purge: %1\n"_s.arg(settings.error().toString()));
        return Failed;
    }
    const RetentionPolicy retention = *settings ? (*settings)->retention : RetentionPolicy{};
    const int64_t now = QDateTime::currentMSecsSinceEpoch();
    auto plan = dryRun ? store->expired(retention, now) : store->purge(retention, now, actor);
    if (!plan) {
        err(u"llmaudit purge: %1\n"_s.arg(plan.error().toString()));
        return Failed;
    }
    if (p.isSet(u"json"_s)) {
        json result = {{"store", store->location().toStdString()},
                       {"dry_run", dryRun},
                       {"now", LogSchema::formatDateTime(now)},
                       {"retention", retention.toJson()},
                       {dryRun ? "would_purge" : "purged", idList(plan->expired)},
                       {"held", idList(plan->held)},
                       {"count", plan->expired.size()},
                       {"held_count", plan->held.size()}};
        if (!dryRun && plan->activityId)
            result["activity_id"] = plan->activityId;
        printJson(result);
        return Ok;
    }
    if (retention.keepsEverything())
        out(u"The store's retention policy keeps everything (%1): nothing expires.\n"_s.arg(
            *settings ? storePolicyPath(store->location())
                      : u"no %1"_s.arg(fileName(storePolicyPath(store->location())))));
    for (const auto &item : plan->expired)
        out(line(item, now));
    const QString interactions =
        counted(qint64(plan->expired.size()), u"interaction"_s, u"interactions"_s);
    if (dryRun)
        out(u"%1 would be purged now, %2 kept on legal hold (dry run: nothing was changed)\n"_s
                .arg(interactions)
                .arg(plan->held.size()));
    else
        out(u"%1 purged, %2 kept on legal hold%3\n"_s.arg(interactions)
                .arg(plan->held.size())
                .arg(plan->activityId ? u"; activity entry %1"_s.arg(plan->activityId)
                                      : QString()));
    return Ok;
}

int runHold(const QStringList &args, const QString &description)
{
    Command command(u"hold"_s, description, args);
    command.addStoreOption();
    command.parser.addPositionalArgument(u"ID"_s, u"interaction_ids to hold or release."_s,
                                         u"[ID...]"_s);
    command.addFilterOption(u"Hold (or release) every interaction this filter selects."_s);
    command.parser.addOption({u"reason"_s, u"Why they are held (a case, a request)."_s, u"TEXT"_s});
    command.parser.addOption({u"release"_s, u"Release the hold instead."_s});
    command.parser.addOption({u"list"_s, u"List the interactions on hold."_s});
    command.addActorOption(u"reviewer"_s, u"Who holds or releases"_s);
    command.addJsonOption(u"With --list: one JSON object per line (JSONL)."_s);
    if (auto stop = command.parse())
        return *stop;
    const QCommandLineParser &p = command.parser;
    const QStringList ids = p.positionalArguments();
    const bool byFilter = p.isSet(u"filter"_s);
    if (p.isSet(u"list"_s)) {
        if (!ids.isEmpty() || byFilter || p.isSet(u"release"_s) || p.isSet(u"reason"_s))
            return usageError(command.name,
                              u"--list takes no ids, filter, --reason or --release"_s);
        auto store = openStore(command, Store::Access::ReadOnly);
        if (!store)
            return Failed;
        auto held = compileFilter(u"held"_s);
        auto rows = held ? store->rowIds(held->expr, {SortColumn::Ingested, Qt::AscendingOrder})
                         : Result<std::vector<qint64>>(fail(u"no 'held' filter"_s));
        if (!rows) {
            err(u"llmaudit hold: %1\n"_s.arg(rows.error().toString()));
            return Failed;
        }
        for (qint64 rowId : *rows) {
            auto item = store->interactionAt(rowId);
            auto state = store->reviewOf(rowId);
            if (!item || !*item || !state) {
                err(u"llmaudit hold: cannot read interaction %1\n"_s.arg(rowId));
                return Failed;
            }
            const auto doc = json::parse((*item)->document, nullptr, false);
            const std::string id = doc.is_object() ? doc.value("interaction_id", "") : "";
            if (p.isSet(u"json"_s))
                printJson({{"interaction_id", id},
                           {"reason", state->holdReason},
                           {"by", state->heldBy},
                           {"since", LogSchema::formatDateTime(state->heldMs)}});
            else
                out(u"%1  since %2 by %3%4\n"_s.arg(
                    QString::fromStdString(visible(id)),
                    QString::fromStdString(LogSchema::formatDateTime(state->heldMs)),
                    QString::fromStdString(visible(state->heldBy)),
                    state->holdReason.empty()
                        ? QString()
                        : u": "_s + QString::fromStdString(visible(state->holdReason))));
        }
        if (!p.isSet(u"json"_s))
            out(u"%1 on legal hold\n"_s.arg(
                counted(qint64(rows->size()), u"interaction"_s, u"interactions"_s)));
        return Ok;
    }
    if (ids.isEmpty() == !byFilter)
        return usageError(command.name, u"give the interaction_ids or --filter (one of them)"_s);
    if (p.isSet(u"release"_s) && p.isSet(u"reason"_s))
        return usageError(command.name, u"--reason is for holding, not --release"_s);
    ReviewChange change;
    if (p.isSet(u"release"_s))
        change.release = true;
    else
        change.hold = p.value(u"reason"_s).toStdString();
    if (auto stop = command.readActor(u"reviewer"_s, change.reviewer))
        return *stop;
    FilterExpr filter;
    if (auto stop = command.readFilter(filter))
        return *stop;
    auto store = openStore(command, Store::Access::ReadWrite);
    if (!store)
        return Failed;
    std::vector<qint64> rowIds;
    if (byFilter) {
        change.filter = p.value(u"filter"_s).toStdString();
        auto selected = store->rowIds(filter, {SortColumn::Ingested, Qt::AscendingOrder});
        if (!selected) {
            err(u"llmaudit hold: %1\n"_s.arg(selected.error().toString()));
            return Failed;
        }
        rowIds = std::move(*selected);
    } else {
        auto found = rowIdsOf(*store, ids, command.name);
        if (!found)
            return Failed;
        rowIds = std::move(*found);
    }
    auto changed = store->setReview(rowIds, change);
    if (!changed) {
        err(u"llmaudit hold: %1\n"_s.arg(changed.error().toString()));
        return Failed;
    }
    const QString count = counted(*changed, u"interaction"_s, u"interactions"_s);
    if (change.release)
        out(u"%1 released from legal hold by %2 (%3 selected)\n"_s
                .arg(count, QString::fromStdString(change.reviewer))
                .arg(rowIds.size()));
    else
        out(u"%1 on legal hold by %2\n"_s.arg(count, QString::fromStdString(change.reviewer)));
    return Ok;
}

int runBackup(const QStringList &args, const QString &description)
{
    Command command(u"backup"_s, description, args);
    command.addStoreOption();
    command.parser.addPositionalArgument(u"FILE"_s, u"The backup file to write."_s);
    command.parser.addOption({u"force"_s, u"Replace FILE (and its policy file) if it exists."_s});
    command.addJsonOption(u"Print one JSON object."_s);
    if (auto stop = command.parse())
        return *stop;
    const QStringList files = command.parser.positionalArguments();
    if (files.size() != 1)
        return usageError(command.name,
                          files.isEmpty() ? u"give the backup FILE"_s : u"one backup FILE only"_s);
    // Read-write: a read-only connection cannot open a store whose WAL it may not create.
    auto store = openStore(command, Store::Access::ReadWrite);
    if (!store)
        return Failed;
    auto report = backupStore(*store, files.first(), command.parser.isSet(u"force"_s));
    if (!report) {
        err(u"llmaudit backup: %1\n"_s.arg(report.error().toString()));
        return Failed;
    }
    // A backup is a copy of the data leaving the store: the activity log says who made it.
    ActivityEntry entry;
    entry.actor = Store::osUserName();
    entry.kind = ActivityKind::Export;
    entry.what = "backup to " + report->file.toStdString() + ", verified, records head " +
                 report->verify.records.link.substr(0, 16);
    entry.count = report->interactions;
    if (auto logged = store->logActivity(entry); !logged)
        err(u"llmaudit backup: note: not recorded in the activity log: %1\n"_s.arg(
            logged.error().toString()));
    if (command.parser.isSet(u"json"_s)) {
        json result = {
            {"ok", true},
            {"store", store->location().toStdString()},
            {"backup", report->file.toStdString()},
            {"interactions", report->interactions},
            {"records",
             {{"length", report->verify.records.length}, {"head", report->verify.records.link}}},
            {"activity",
             {{"length", report->verify.activity.length}, {"head", report->verify.activity.link}}}};
        if (!report->policyCopy.isEmpty())
            result["policy"] = report->policyCopy.toStdString();
        printJson(result);
        return Ok;
    }
    auto head = [](const ChainHead &h) {
        return h.link.empty() ? u"(empty)"_s : QString::fromStdString(h.link);
    };
    out(u"backup %1: %2, verified OK\n  records: %3 links, head %4\n  activity: %5 links, "
        "head %6\n"_s
            .arg(report->file, counted(report->interactions, u"interaction"_s, u"interactions"_s))
            .arg(report->verify.records.length)
            .arg(head(report->verify.records))
            .arg(report->verify.activity.length)
            .arg(head(report->verify.activity)));
    if (!report->policyCopy.isEmpty())
        out(u"  policy: %1\n"_s.arg(report->policyCopy));
    out(u"  not copied: the pseudonym key file; back it up separately (docs/backup.md)\n"_s);
    return Ok;
}

} // namespace llmaudit::cli
