#pragma once

// What an audit report says, as plain values: the request (scope), and the figures, lists and
// comparisons the builder collects from a store. The renderers (reportrenderer.h) turn it into
// PDF, HTML or CSV; nothing here knows about a format.

#include "comparison.h"
#include "filterexpr.h"
#include "store.h"

#include <QString>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmaudit {

enum class ReportFormat { Pdf, Html, Csv };

std::optional<ReportFormat> reportFormatFromName(QStringView name); // "pdf", "html", "csv"
// From an output file's extension (.pdf, .html/.htm, .csv); nothing for another one.
std::optional<ReportFormat> reportFormatFromPath(const QString &path);
QString reportFormatName(ReportFormat format);

// What to report on: the interactions a filter selects, or a chosen list of them.
struct ReportRequest
{
    QString title;
    QString filterText; // as the user wrote it (shown on the cover)
    FilterExpr filter;  // compiled from filterText; used when no ids are given
    // A selection: interaction ids (the CLI's --ids-from) and/or row ids (the window's table).
    // When either is given the report covers exactly these, in time order, each shown in full.
    std::vector<std::string> interactionIds;
    std::vector<qint64> rowIds;
    QString generatedBy; // a person's name; see defaultReportAuthor()
    // Whether ReportData::rows lists every interaction covered (a CSV needs them; a PDF or
    // HTML report of a big filter does not, and then keeps only figures and short lists).
    // A selection always keeps them.
    bool keepRows = true;
    int64_t generatedAtMs = 0; // 0: now
    // Whether to verify the store's integrity chains (Store::verify(), which reads every record
    // of the store, not only those the report covers). Off, the report says it was not checked.
    bool verify = true;

    bool isSelection() const { return !interactionIds.empty() || !rowIds.empty(); }
};

// Who generates a report unless told: the "report/author" setting, else `fallback` (the
// window passes its Reviewer Name), else the OS user name.
QString defaultReportAuthor(const QString &fallback = {});

// One interaction as the report's lists and the CSV show it. Texts are the whole prompt and
// response for interactions shown in full, else their first MaxExcerptChars characters.
struct ReportRow
{
    std::string interactionId;
    std::string timestamp;
    int64_t timestampMs = 0;
    std::string userId;
    std::string sessionId;
    std::string model;
    std::optional<int64_t> promptTokens;
    std::optional<int64_t> completionTokens;
    std::optional<int64_t> totalTokens;
    std::optional<int64_t> latencyMs;
    std::string finishReason;
    bool flagged = false; // evaluation.flagged of the record
    std::string flagReason;
    std::optional<Sensitivity> sensitivity;
    std::string replayOf;
    std::string prompt;
    std::string response;
    // The reviewers' data kept beside the record (store.h): status, flag, how many notes.
    ReviewStatus reviewStatus = ReviewStatus::Unreviewed;
    bool reviewFlagged = false;
    std::string reviewFlagReason;
    std::string reviewer; // who changed the review last (empty when never reviewed)
    qint64 notes = 0;

    // Listed in the report's "flagged and reviewed" list: flagged by the log or a reviewer,
    // given a status, or with notes.
    bool listed() const
    {
        return flagged || reviewFlagged || reviewStatus != ReviewStatus::Unreviewed || notes > 0;
    }
};

// An interaction shown in full: every field a reader needs, taken from the record.
struct ReportInteraction
{
    ReportRow row;
    std::string systemPrompt;
    struct Context
    {
        std::string source;
        std::string content;
    };
    std::vector<Context> context;
    std::string parameters; // request.parameters as compact JSON
    std::string evaluation; // evaluation as compact JSON
    std::string security;   // security as compact JSON
    std::vector<std::string> tags;
};

// A reviewer's note on an interaction.
struct ReportNote
{
    std::string author;
    int64_t timeMs = 0;
    std::string text;
};

struct ReportReplay
{
    std::string originalId;
    std::string replayId;
    Comparison comparison;
};

struct ReportData
{
    // Scope.
    QString title;
    QString filterText;
    bool selection = false;
    qint64 selectionRequested = 0;       // ids asked for (selection reports)
    std::vector<std::string> missingIds; // asked for but not in the store
    QString storePath;
    QString generatedBy;
    int64_t generatedAtMs = 0;
    std::optional<int64_t> firstMs; // time range of the interactions covered
    std::optional<int64_t> lastMs;

    // Summary: Store::summary's figures (computed the same way for a selection) and the rest.
    Summary summary;
    qint64 users = 0;
    qint64 sessions = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;

    // Every interaction covered, in time order (unless the request said !keepRows).
    std::vector<ReportRow> rows;
    // The flagged and reviewed ones (ReportRow::listed()), at most MaxListed of listedTotal.
    std::vector<ReportRow> listed;
    qint64 listedTotal = 0;
    std::vector<ReportInteraction> fullInteractions; // shown in full
    qint64 fullOmitted = 0; // would have been shown in full but for MaxFull*
    std::vector<ReportReplay> replays;
    qint64 replaysOmitted = 0;

    // Review: interactions covered per status (every status, in ReviewStatus order, zeros too),
    // how many a reviewer flagged, and the notes of the listed interactions, oldest first.
    std::map<ReviewStatus, qint64> reviewStatusCounts;
    qint64 reviewFlagged = 0;
    std::map<std::string, std::vector<ReportNote>> notes; // interaction id -> notes

    // Integrity: Store::verify() when the report was made. `integrity` is nothing when the
    // verification could not run (`verification` then says why); its `problem` is the first
    // broken link. `verification` is always a sentence to print.
    std::optional<VerifyReport> integrity;
    QString verification;
    bool verified() const { return integrity && integrity->ok(); }

    // Limits that keep a report readable and its memory bounded.
    static constexpr qsizetype MaxExcerptChars = 500;
    static constexpr qsizetype MaxFullTextChars = 20'000;
    static constexpr int MaxListed = 1000;
    static constexpr int MaxFullSelection = 200; // chosen interactions shown in full
    static constexpr int MaxFullListed = 25;     // listed ones shown in full in a filter report
    static constexpr int MaxReplays = 50;
    static constexpr int MaxReplaysPerInteraction = 5;
};

} // namespace llmaudit
