#include "reportbuilder.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSettings>

#include <nlohmann/json.hpp>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <set>
#include <unordered_set>

namespace llmaudit {

namespace {

// The first `maxChars` code points of UTF-8 text, with "…" when something was cut.
std::string cutText(const std::string &text, qsizetype maxChars)
{
    qsizetype chars = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == maxChars)
            return text.substr(0, i) + "\u2026";
    }
    return text;
}

std::string compact(const nlohmann::json &document, const char *key)
{
    auto it = document.find(key);
    if (it == document.end() || it->is_null())
        return {};
    return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ReportRow rowFrom(const Interaction &r, qsizetype maxChars)
{
    ReportRow row;
    row.interactionId = r.interactionId;
    row.timestamp = r.timestamp;
    row.timestampMs = r.timestampMs;
    row.userId = r.userId;
    row.sessionId = r.sessionId;
    row.model = r.model;
    row.promptTokens = r.promptTokens;
    row.completionTokens = r.completionTokens;
    row.totalTokens = r.totalTokens;
    row.latencyMs = r.latencyMs;
    row.finishReason = r.finishReason;
    row.flagged = r.flagged;
    if (auto e = r.document.find("evaluation"); e != r.document.end() && e->is_object())
        if (auto reason = e->find("flag_reason"); reason != e->end() && reason->is_string())
            row.flagReason = cutText(reason->get<std::string>(), maxChars);
    row.sensitivity = r.sensitivity;
    row.replayOf = r.replayOf;
    row.prompt = cutText(r.prompt, maxChars);
    row.response = cutText(r.response, maxChars);
    return row;
}

ReportInteraction fullFrom(const Interaction &r)
{
    ReportInteraction full;
    full.row = rowFrom(r, ReportData::MaxFullTextChars);
    full.systemPrompt = cutText(r.systemPrompt, ReportData::MaxFullTextChars);
    const nlohmann::json &doc = r.document;
    if (auto request = doc.find("request"); request != doc.end() && request->is_object()) {
        if (auto context = request->find("context");
            context != request->end() && context->is_array()) {
            for (const auto &item : *context) {
                ReportInteraction::Context c;
                if (item.is_object()) {
                    if (auto s = item.find("source"); s != item.end() && s->is_string())
                        c.source = s->get<std::string>();
                    if (auto s = item.find("content"); s != item.end() && s->is_string())
                        c.content = cutText(s->get<std::string>(), ReportData::MaxFullTextChars);
                } else if (item.is_string()) {
                    c.content = cutText(item.get<std::string>(), ReportData::MaxFullTextChars);
                }
                full.context.push_back(std::move(c));
            }
        }
        full.parameters = compact(*request, "parameters");
    }
    full.evaluation = compact(doc, "evaluation");
    full.security = compact(doc, "security");
    if (auto tags = doc.find("tags"); tags != doc.end() && tags->is_array())
        for (const auto &tag : *tags)
            if (tag.is_string())
                full.tags.push_back(tag.get<std::string>());
    return full;
}

Result<Interaction> decode(const StoredInteraction &stored)
{
    auto document = nlohmann::json::parse(stored.document, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(QCoreApplication::translate("Report", "a stored record is not a JSON object"),
                    QStringLiteral("row %1").arg(stored.rowId));
    return interactionFromDocument(std::move(document));
}

// The review state of an interaction, as the report shows it.
void applyReview(ReportRow &row, const ReviewState &state, qint64 notes, qsizetype maxChars)
{
    row.reviewStatus = state.status;
    row.reviewFlagged = state.flagged;
    row.reviewFlagReason = cutText(state.flagReason, maxChars);
    row.reviewer = state.reviewer;
    row.notes = notes;
}

// Store::verify()'s result in words: OK with the chains' lengths, or the first broken link and
// what is wrong with it.
QString verificationText(const VerifyReport &report)
{
    if (report.ok())
        return QCoreApplication::translate("Report",
                                           "Verified OK: both integrity chains are intact "
                                           "(records: %1 links, activity log: %2 links).")
            .arg(report.records.length)
            .arg(report.activity.length);
    const ChainProblem &p = *report.problem;
    return QCoreApplication::translate("Report",
                                       "BROKEN: the %1 chain breaks at link %2%3 (%4): %5.")
        .arg(p.chain == ChainName::Records ? QCoreApplication::translate("Report", "records")
                                           : QCoreApplication::translate("Report", "activity log"))
        .arg(p.position)
        .arg(p.interactionId.empty() ? QString()
                                     : QCoreApplication::translate("Report", ", interaction %1")
                                           .arg(QString::fromStdString(p.interactionId)))
        .arg(QString::fromUtf8(toString(p.kind)), QString::fromStdString(p.detail));
}

} // namespace

std::optional<ReportFormat> reportFormatFromName(QStringView name)
{
    if (name.compare(u"pdf", Qt::CaseInsensitive) == 0)
        return ReportFormat::Pdf;
    if (name.compare(u"html", Qt::CaseInsensitive) == 0 ||
        name.compare(u"htm", Qt::CaseInsensitive) == 0)
        return ReportFormat::Html;
    if (name.compare(u"csv", Qt::CaseInsensitive) == 0)
        return ReportFormat::Csv;
    return std::nullopt;
}

std::optional<ReportFormat> reportFormatFromPath(const QString &path)
{
    const qsizetype dot = path.lastIndexOf(u'.');
    const qsizetype slash = std::max(path.lastIndexOf(u'/'), path.lastIndexOf(u'\\'));
    if (dot < 0 || dot < slash)
        return std::nullopt;
    return reportFormatFromName(QStringView(path).mid(dot + 1));
}

QString reportFormatName(ReportFormat format)
{
    switch (format) {
    case ReportFormat::Pdf:
        return QStringLiteral("pdf");
    case ReportFormat::Html:
        return QStringLiteral("html");
    case ReportFormat::Csv:
        return QStringLiteral("csv");
    }
    return {};
}

QString defaultReportAuthor(const QString &fallback)
{
    const QString configured = QSettings().value(QStringLiteral("report/author")).toString();
    if (!configured.trimmed().isEmpty())
        return configured.trimmed();
    if (!fallback.trimmed().isEmpty())
        return fallback.trimmed();
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("LOGNAME");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME");
#ifdef Q_OS_UNIX
    if (user.isEmpty())
        if (const passwd *entry = getpwuid(getuid()); entry && entry->pw_name)
            user = QString::fromLocal8Bit(entry->pw_name);
#endif
    return user.isEmpty() ? QCoreApplication::translate("Report", "unknown user") : user;
}

ActivityEntry reportActivity(const ReportData &data, ReportFormat format, const QString &outputPath,
                             const QString &actor)
{
    ActivityEntry entry;
    entry.actor = actor.toStdString();
    entry.kind = ActivityKind::Report;
    entry.what = "report: " + reportFormatName(format).toStdString() + " \"" +
                 data.title.toStdString() + "\" written to " + outputPath.toStdString();
    if (data.selection) {
        // The rows of a selection are always kept: exactly the interactions covered.
        for (const ReportRow &row : data.rows)
            entry.interactionIds.push_back(row.interactionId);
    } else {
        entry.filter = data.filterText.toStdString();
    }
    entry.count = data.summary.interactions;
    return entry;
}

Summary summarize(std::span<const ReportRow> rows)
{
    Summary summary;
    summary.interactions = qint64(rows.size());
    if (rows.empty())
        return summary;
    std::map<std::string, qint64> models;
    std::map<int, qint64> sensitivities; // -1: none
    std::map<int64_t, qint64> latency;
    std::vector<int64_t> latencies;
    int64_t first = rows.front().timestampMs;
    int64_t last = first;
    for (const ReportRow &row : rows) {
        summary.flagged += row.flagged;
        summary.totalTokens += row.totalTokens.value_or(0);
        ++models[row.model];
        ++sensitivities[row.sensitivity ? int(*row.sensitivity) : -1];
        if (row.latencyMs) {
            latencies.push_back(*row.latencyMs);
            const auto &bounds = Summary::LatencyBucketsMs;
            int64_t bucket = bounds[std::size(bounds) - 1];
            for (size_t i = 1; i < std::size(bounds); ++i)
                if (*row.latencyMs < bounds[i]) {
                    bucket = bounds[i - 1];
                    break;
                }
            ++latency[bucket];
        }
        first = std::min(first, row.timestampMs);
        last = std::max(last, row.timestampMs);
    }
    for (const auto &[model, count] : models)
        summary.byModel.push_back({model, count});
    std::stable_sort(summary.byModel.begin(), summary.byModel.end(),
                     [](const auto &a, const auto &b) { return a.count > b.count; });
    for (const auto &[level, count] : sensitivities)
        if (level >= 0)
            summary.bySensitivity.push_back(
                {std::string(toString(static_cast<Sensitivity>(level))), count});
    if (auto none = sensitivities.find(-1); none != sensitivities.end())
        summary.bySensitivity.push_back({std::string(), none->second});
    for (const auto &[from, count] : latency)
        summary.latencyHistogram.push_back({from, count, 0});
    std::sort(latencies.begin(), latencies.end());
    const auto n = qint64(latencies.size());
    for (auto [p, target] :
         {std::pair{0.50, &summary.latencyP50}, std::pair{0.95, &summary.latencyP95},
          std::pair{0.99, &summary.latencyP99}})
        if (n > 0)
            *target = latencies[size_t(std::min<qint64>(n - 1, qint64(p * double(n))))];

    constexpr int64_t Hour = 3'600'000;
    const int64_t span = last - first;
    summary.timeBucketMs = span <= 3 * 24 * Hour     ? Hour
                           : span <= 180 * 24 * Hour ? 24 * Hour
                                                     : 7 * 24 * Hour;
    std::map<int64_t, Summary::Bucket> overTime;
    for (const ReportRow &row : rows) {
        // Truncating division like SQLite's, so that the buckets match Store::summary().
        const int64_t from = (row.timestampMs / summary.timeBucketMs) * summary.timeBucketMs;
        auto &bucket = overTime[from];
        bucket.fromMs = from;
        ++bucket.interactions;
        bucket.tokens += row.totalTokens.value_or(0);
    }
    for (const auto &[from, bucket] : overTime)
        summary.overTime.push_back(bucket);
    return summary;
}

Result<ReportData> buildReport(Store &store, const ReportRequest &request,
                               const ReportProgressHandler &progress,
                               const std::atomic<bool> *cancel)
{
    auto cancelled = [cancel] { return cancel && cancel->load(); };
    auto report = [&](qint64 done, qint64 total, const QString &step) {
        if (progress)
            progress({done, total, step});
    };
    const QString readingStep = QCoreApplication::translate("Report", "Reading interactions");

    ReportData data;
    data.title = request.title.trimmed().isEmpty()
                     ? QCoreApplication::translate("Report", "LLM audit report")
                     : request.title.trimmed();
    data.filterText = request.filterText.trimmed();
    data.selection = request.isSelection();
    data.storePath = store.location();
    data.generatedBy = request.generatedBy.isEmpty() ? defaultReportAuthor() : request.generatedBy;
    data.generatedAtMs =
        request.generatedAtMs != 0 ? request.generatedAtMs : QDateTime::currentMSecsSinceEpoch();

    std::unordered_set<std::string> users;
    std::unordered_set<std::string> sessions;
    std::vector<std::string> originals;                  // interactions whose replays are looked up
    std::set<std::pair<std::string, std::string>> pairs; // (original, replay)
    std::vector<std::pair<std::string, std::string>> pairOrder;
    qint64 total = 0;

    auto addPair = [&](const std::string &original, const std::string &replay) {
        if (pairs.insert({original, replay}).second)
            pairOrder.emplace_back(original, replay);
    };

    // Review data is looked up only for the interactions that have some (usually few).
    for (ReviewStatus status : {ReviewStatus::Unreviewed, ReviewStatus::Approved,
                                ReviewStatus::Issue, ReviewStatus::Escalated})
        data.reviewStatusCounts[status] = 0;
    auto reviewed = store.reviewedRowIds();
    if (!reviewed)
        return std::unexpected(reviewed.error());

    qint64 taken = 0;
    auto take = [&](const Interaction &r, qint64 rowId) -> Result<void> {
        ReportRow row = rowFrom(r, ReportData::MaxExcerptChars);
        ReviewState state;
        std::vector<ReviewNote> notes;
        if (std::binary_search(reviewed->begin(), reviewed->end(), rowId)) {
            auto found = store.reviewOf(rowId);
            if (!found)
                return std::unexpected(found.error());
            auto noted = store.notes(rowId);
            if (!noted)
                return std::unexpected(noted.error());
            state = std::move(*found);
            notes = std::move(*noted);
            applyReview(row, state, qint64(notes.size()), ReportData::MaxExcerptChars);
        }
        ++taken;
        ++data.reviewStatusCounts[row.reviewStatus];
        data.reviewFlagged += row.reviewFlagged;
        data.firstMs = std::min(data.firstMs.value_or(r.timestampMs), r.timestampMs);
        data.lastMs = std::max(data.lastMs.value_or(r.timestampMs), r.timestampMs);
        users.insert(r.userId);
        sessions.insert(r.sessionId);
        if (r.promptTokens)
            data.promptTokens += *r.promptTokens;
        if (r.completionTokens)
            data.completionTokens += *r.completionTokens;
        bool shown = false; // listed or in full: its notes are printed
        const bool listed = row.listed();
        if (listed && data.listedTotal++ < ReportData::MaxListed) {
            data.listed.push_back(row);
            shown = true;
        }
        const bool full = data.selection || listed;
        const int maxFull =
            data.selection ? ReportData::MaxFullSelection : ReportData::MaxFullListed;
        if (full) {
            if (int(data.fullInteractions.size()) < maxFull) {
                data.fullInteractions.push_back(fullFrom(r));
                applyReview(data.fullInteractions.back().row, state, qint64(notes.size()),
                            ReportData::MaxFullTextChars);
                shown = true;
            } else {
                ++data.fullOmitted;
            }
        }
        if (shown && !notes.empty()) {
            auto &kept = data.notes[r.interactionId];
            for (const ReviewNote &note : notes)
                kept.push_back(
                    {note.author, note.timeMs, cutText(note.text, ReportData::MaxFullTextChars)});
        }
        if (!r.replayOf.empty())
            addPair(r.replayOf, r.interactionId);
        else
            originals.push_back(r.interactionId);
        if (data.selection || request.keepRows)
            data.rows.push_back(std::move(row));
        if (taken % 64 == 0)
            report(taken, total, readingStep);
        return {};
    };

    if (data.selection) {
        // The chosen interactions, each once, in time order.
        std::vector<StoredInteraction> chosen;
        std::unordered_set<qint64> seen;
        total = qint64(request.interactionIds.size() + request.rowIds.size());
        data.selectionRequested = total;
        report(0, total, readingStep);
        for (const std::string &id : request.interactionIds) {
            if (cancelled())
                return fail(QCoreApplication::translate("Report", "cancelled"));
            auto found = store.interaction(id);
            if (!found)
                return std::unexpected(found.error());
            if (!*found)
                data.missingIds.push_back(id);
            else if (seen.insert((*found)->rowId).second)
                chosen.push_back(std::move(**found));
        }
        for (qint64 rowId : request.rowIds) {
            if (cancelled())
                return fail(QCoreApplication::translate("Report", "cancelled"));
            auto found = store.interactionAt(rowId);
            if (!found)
                return std::unexpected(found.error());
            if (!*found)
                data.missingIds.push_back("row " + std::to_string(rowId));
            else if (seen.insert((*found)->rowId).second)
                chosen.push_back(std::move(**found));
        }
        std::vector<std::pair<Interaction, qint64>> decoded; // with its row id
        decoded.reserve(chosen.size());
        for (const StoredInteraction &stored : chosen) {
            auto r = decode(stored);
            if (!r)
                return std::unexpected(r.error());
            decoded.emplace_back(std::move(*r), stored.rowId);
        }
        std::stable_sort(decoded.begin(), decoded.end(), [](const auto &a, const auto &b) {
            return a.first.timestampMs < b.first.timestampMs;
        });
        for (const auto &[r, rowId] : decoded) {
            if (cancelled())
                return fail(QCoreApplication::translate("Report", "cancelled"));
            if (auto t = take(r, rowId); !t)
                return std::unexpected(t.error());
        }
        data.summary = summarize(data.rows);
    } else {
        auto count = store.count(request.filter);
        if (!count)
            return std::unexpected(count.error());
        total = *count;
        report(0, total, readingStep);
        std::optional<Error> failure;
        auto walked = store.forEachInteraction(request.filter,
                                               [&](const StoredInteraction &stored) {
                                                   if (cancelled())
                                                       return false;
                                                   auto r = decode(stored);
                                                   if (!r) {
                                                       failure = r.error();
                                                       return false;
                                                   }
                                                   if (auto t = take(*r, stored.rowId); !t) {
                                                       failure = t.error();
                                                       return false;
                                                   }
                                                   return true;
                                               },
                                               {SortColumn::Time, Qt::AscendingOrder});
        if (!walked)
            return std::unexpected(walked.error());
        if (failure)
            return std::unexpected(*failure);
        if (cancelled())
            return fail(QCoreApplication::translate("Report", "cancelled"));
        auto summary = store.summary(request.filter);
        if (!summary)
            return std::unexpected(summary.error());
        data.summary = std::move(*summary);
    }
    report(taken, total, readingStep);
    data.users = qint64(users.size());
    data.sessions = qint64(sessions.size());

    // Replays: of the covered interactions, and the originals of covered replays.
    const QString replayStep = QCoreApplication::translate("Report", "Looking for replays");
    qint64 looked = 0;
    for (const std::string &id : originals) {
        if (cancelled())
            return fail(QCoreApplication::translate("Report", "cancelled"));
        if (++looked % 64 == 0)
            report(looked, qint64(originals.size()), replayStep);
        auto replays = store.replaysOf(id, ReportData::MaxReplaysPerInteraction);
        if (!replays)
            return std::unexpected(replays.error());
        for (const StoredInteraction &replay : *replays) {
            auto r = decode(replay);
            if (!r)
                return std::unexpected(r.error());
            addPair(id, r->interactionId);
        }
    }
    const QString compareStep = QCoreApplication::translate("Report", "Comparing replays");
    std::sort(pairOrder.begin(), pairOrder.end());
    for (const auto &[originalId, replayId] : pairOrder) {
        if (int(data.replays.size()) >= ReportData::MaxReplays) {
            ++data.replaysOmitted;
            continue;
        }
        if (cancelled())
            return fail(QCoreApplication::translate("Report", "cancelled"));
        report(qint64(data.replays.size()), qint64(pairOrder.size()), compareStep);
        auto original = store.interaction(originalId);
        if (!original)
            return std::unexpected(original.error());
        auto replay = store.interaction(replayId);
        if (!replay)
            return std::unexpected(replay.error());
        if (!*original || !*replay)
            continue; // a replay whose original is not in the store: nothing to compare with
        auto comparison = compareDocuments((*original)->document, (*replay)->document);
        if (!comparison)
            return std::unexpected(comparison.error());
        data.replays.push_back({originalId, replayId, std::move(*comparison)});
    }

    // Integrity: both chains, as of now (the report's own activity entry comes after).
    if (request.verify) {
        const QString verifyStep =
            QCoreApplication::translate("Report", "Verifying the integrity chains");
        report(0, 0, verifyStep);
        auto verified = store.verify([&](qint64 done, qint64 all) {
            report(done, all, verifyStep);
            return !cancelled();
        });
        if (cancelled())
            return fail(QCoreApplication::translate("Report", "cancelled"));
        if (verified) {
            data.verification = verificationText(*verified);
            data.integrity = std::move(*verified);
        } else {
            data.verification = QCoreApplication::translate("Report", "Not verified: %1")
                                    .arg(verified.error().toString());
        }
    } else {
        data.verification =
            QCoreApplication::translate("Report", "Not verified: the report was made without it.");
    }
    return data;
}

} // namespace llmaudit
