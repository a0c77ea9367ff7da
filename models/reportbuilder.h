#pragma once

// Collects what an audit report says (reportdata.h) from a store: the interactions a filter
// selects or a chosen list of them, walked once in time order, their summary, the flagged ones,
// the ones shown in full, and their replays compared with the originals. Runs on any thread with
// its own Store connection; reports progress and stops when asked.

#include "reportdata.h"
#include "result.h"
#include "store.h"

#include <atomic>
#include <functional>
#include <span>

namespace llmaudit {

struct ReportProgress
{
    qint64 done = 0;
    qint64 total = 0; // 0: not known yet
    QString step;     // "Reading interactions", "Comparing replays"
};
using ReportProgressHandler = std::function<void(const ReportProgress &)>;

// Fails with the store's error, or "cancelled" when `cancel` was set.
Result<ReportData> buildReport(Store &store, const ReportRequest &request,
                               const ReportProgressHandler &progress = {},
                               const std::atomic<bool> *cancel = nullptr);

// The activity log's entry for a report written to `outputPath` (kind report): who, the format
// and file, the scope (the filter, or the chosen interactions' ids) and how many interactions.
ActivityEntry reportActivity(const ReportData &data, ReportFormat format, const QString &outputPath,
                             const QString &actor);

// The figures Store::summary() gives, computed the same way over a list of interactions (a
// selection report, which no filter describes).
Summary summarize(std::span<const ReportRow> rows);

} // namespace llmaudit
