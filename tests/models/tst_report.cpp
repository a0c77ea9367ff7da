// Audit reports on a real store: what the builder collects (against Store::summary and the
// records), and the three renderers read back with independent tools: pdftotext for the PDF,
// Python's html.parser and csv module for the HTML and the CSV. Hostile log text must come out
// as text everywhere.

#include "filterlanguage.h"
#include "reportbuilder.h"
#include "reportrecords.h"
#include "reportrenderer.h"
#include "store.h"

#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <map>
#include <optional>

using namespace llmaudit;
using nlohmann::json;

namespace {

IncomingRecord incoming(const json &document)
{
    auto decoded = decodeDocument(document);
    if (!decoded)
        qFatal("test record invalid: %s", decoded.error().front().toString().c_str());
    return {std::move(*decoded), "report.jsonl", {}, {}};
}

QByteArray run(const QString &program, const QStringList &args)
{
    QProcess process;
    process.start(program, args);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        qWarning("%s failed: %s", qPrintable(program), process.readAllStandardError().constData());
        return {};
    }
    return process.readAllStandardOutput();
}

json check(const QString &kind, const QString &path)
{
    const QByteArray out =
        run(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral(LLMAUDIT_SOURCE_DIR "/tests/models/report_check.py"), kind, path});
    return json::parse(out.toStdString(), nullptr, false);
}

// The text pdftotext finds, page by page, each with its whitespace collapsed to one space.
QStringList pdfPages(const QString &path)
{
    const QString text = QString::fromUtf8(run(QStringLiteral("pdftotext"), {path, u"-"_qs}));
    QStringList pages = text.split(u'\f');
    if (!pages.isEmpty() && pages.last().trimmed().isEmpty())
        pages.removeLast();
    for (QString &page : pages)
        page = page.simplified();
    return pages;
}

QString withoutSpace(QString text)
{
    return text.remove(QRegularExpression(u"\\s+"_qs));
}

// Replaces an interaction's stored document behind the store's back, through a connection of
// its own, as someone tampering would (as tst_review does).
bool tamperDocument(const QString &path, const std::string &interactionId,
                    const std::string &document)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open(path.toUtf8().constData(), &db) != SQLITE_OK)
        return false;
    // The store's triggers name its SQL function: a stand-in that passes the text through.
    sqlite3_create_function(
        db, "llmaudit_json", 1, SQLITE_UTF8, nullptr,
        [](sqlite3_context *c, int, sqlite3_value **v) { sqlite3_result_value(c, v[0]); }, nullptr,
        nullptr);
    sqlite3_stmt *update = nullptr;
    bool ok =
        sqlite3_prepare_v2(db, "UPDATE interactions SET document = ?1 WHERE interaction_id = ?2",
                           -1, &update, nullptr) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(update, 1, document.c_str(), int(document.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 2, interactionId.c_str(), int(interactionId.size()),
                          SQLITE_TRANSIENT);
        ok = sqlite3_step(update) == SQLITE_DONE && sqlite3_changes(db) == 1;
    }
    if (!ok)
        qWarning("tampering failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(update);
    sqlite3_close(db);
    return ok;
}

} // namespace

class TestReport : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Store> m_store;

    // Another store holding the fixture's records, for tests that review or tamper with it.
    std::unique_ptr<Store> freshStore(const QString &name)
    {
        auto store = Store::open(m_dir.filePath(name));
        if (!store)
            qFatal("%s", qPrintable(store.error().toString()));
        std::vector<IncomingRecord> batch;
        for (const json &r : reportfixture::records())
            batch.push_back(incoming(r));
        if (!(*store)->write(batch, {}))
            qFatal("cannot write the fixture");
        return std::move(*store);
    }

    static qint64 rowIdOf(Store &store, const std::string &interactionId)
    {
        auto found = store.interaction(interactionId);
        if (!found || !*found)
            qFatal("no %s", interactionId.c_str());
        return (*found)->rowId;
    }

    ReportData build(const ReportRequest &request = {})
    {
        auto data = buildReport(*m_store, request);
        if (!data)
            qFatal("report failed: %s", qPrintable(data.error().toString()));
        return std::move(*data);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto store = Store::open(m_dir.filePath(u"store.sqlite"_qs));
        if (!store)
            QFAIL(qPrintable(store.error().toString()));
        m_store = std::move(*store);
        std::vector<IncomingRecord> batch;
        for (const json &r : reportfixture::records())
            batch.push_back(incoming(r));
        auto written = m_store->write(batch, {});
        QVERIFY(written);
        QCOMPARE(written->stored, 12);
    }

    void collectsTheWholeStore()
    {
        ReportRequest request;
        request.title = u"Quarterly audit"_qs;
        request.generatedBy = u"Ada Auditor"_qs;
        const ReportData data = build(request);
        QCOMPARE(data.title, u"Quarterly audit"_qs);
        QCOMPARE(data.generatedBy, u"Ada Auditor"_qs);
        QCOMPARE(data.storePath, m_store->location());
        QCOMPARE(data.summary.interactions, 12);
        QCOMPARE(qsizetype(data.rows.size()), 12);
        QCOMPARE(data.users, 5);
        QCOMPARE(data.sessions, 5);
        QCOMPARE(data.summary.flagged, 2);
        QCOMPARE(qsizetype(data.summary.byModel.size()), 3);
        QCOMPARE(data.summary.byModel.front().key, std::string("gpt-4o-mini"));
        QCOMPARE(data.summary.byModel.front().count, 9);
        QCOMPARE(data.promptTokens, 30 + 60 + 60 + 10 + 10 * (5 + 6 + 7 + 8 + 9 + 10 + 11 + 12));
        QCOMPARE(data.completionTokens, 20 + 40 + 60 + 5 + (5 + 6 + 7 + 8 + 9 + 10 + 11 + 12));
        QCOMPARE(data.summary.totalTokens, data.promptTokens + data.completionTokens);
        // Time order, first and last.
        QCOMPARE(data.rows.front().interactionId, std::string("hostile-1"));
        QCOMPARE(data.rows.back().interactionId, std::string("plain-9")); // 19:00
        QVERIFY(data.firstMs && data.lastMs && *data.firstMs < *data.lastMs);
        // The flagged ones, listed and in full (a filter report shows the listed in full).
        QCOMPARE(qsizetype(data.listed.size()), 2);
        QCOMPARE(data.listedTotal, 2);
        QCOMPARE(data.listed[0].interactionId, std::string("hostile-1"));
        QCOMPARE(data.listed[0].flagReason,
                 std::string("<script>flag()</script> prompt injection"));
        QCOMPARE(data.listed[1].interactionId, std::string("csv-4"));
        QCOMPARE(qsizetype(data.fullInteractions.size()), 2);
        QCOMPARE(data.fullInteractions[0].row.prompt, reportfixture::HostilePrompt);
        QCOMPARE(data.fullInteractions[0].systemPrompt,
                 std::string("You are a careful assistant. <b>Never</b> run code."));
        QVERIFY(data.fullInteractions[0].parameters.find("\"temperature\":0.2") !=
                std::string::npos);
        // The replay, compared with its original.
        QCOMPARE(qsizetype(data.replays.size()), 1);
        QCOMPARE(data.replays[0].originalId, std::string("orig-2"));
        QCOMPARE(data.replays[0].replayId, std::string("replay-2"));
        QVERIFY(!data.replays[0].comparison.response.exactMatch);
        QVERIFY(data.replays[0].comparison.modelChanged);
        // Nobody reviewed anything yet; the store verifies.
        QCOMPARE(qsizetype(data.reviewStatusCounts.size()), 4);
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Unreviewed), 12);
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Issue), 0);
        QCOMPARE(data.reviewFlagged, 0);
        QVERIFY(data.notes.empty());
        QVERIFY(data.verified());
        auto verified = m_store->verify();
        QVERIFY(verified && verified->ok());
        QCOMPARE(data.integrity->records.length, 12);
        QCOMPARE(data.integrity->records.link, verified->records.link);
        QVERIFY(data.verification.startsWith(u"Verified OK"_qs));
    }

    void selectionSummaryMatchesTheStore()
    {
        // summarize() over all rows must give what Store::summary() gives for all of them.
        const ReportData data = build();
        const Summary mine = summarize(data.rows);
        auto theirs = m_store->summary();
        QVERIFY(theirs);
        QCOMPARE(mine.interactions, theirs->interactions);
        QCOMPARE(mine.flagged, theirs->flagged);
        QCOMPARE(mine.totalTokens, theirs->totalTokens);
        QCOMPARE(mine.latencyP50, theirs->latencyP50);
        QCOMPARE(mine.latencyP95, theirs->latencyP95);
        QCOMPARE(mine.latencyP99, theirs->latencyP99);
        QCOMPARE(mine.timeBucketMs, theirs->timeBucketMs);
        auto same = [](const auto &a, const auto &b) {
            if (a.size() != b.size())
                return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (a[i].key != b[i].key || a[i].count != b[i].count)
                    return false;
            return true;
        };
        QVERIFY(same(mine.byModel, theirs->byModel));
        QVERIFY(same(mine.bySensitivity, theirs->bySensitivity));
        auto sameBuckets = [](const auto &a, const auto &b) {
            if (a.size() != b.size())
                return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (a[i].fromMs != b[i].fromMs || a[i].interactions != b[i].interactions ||
                    a[i].tokens != b[i].tokens)
                    return false;
            return true;
        };
        QVERIFY(sameBuckets(mine.latencyHistogram, theirs->latencyHistogram));
        QVERIFY(sameBuckets(mine.overTime, theirs->overTime));
    }

    void filterReport()
    {
        ReportRequest request;
        request.filterText = u"user_id == \"u-2\""_qs;
        auto compiled = compileFilter(request.filterText);
        QVERIFY(compiled);
        request.filter = compiled->expr;
        const ReportData data = build(request);
        QCOMPARE(data.summary.interactions, 2);
        QCOMPARE(data.filterText, request.filterText);
        QVERIFY(!data.selection);
        QCOMPARE(qsizetype(data.listed.size()), 0);
        QCOMPARE(qsizetype(data.fullInteractions.size()), 0);
        QCOMPARE(qsizetype(data.replays.size()), 1); // both sides are in the scope: once

        // Without the rows (a PDF of a big filter): the same figures, no list of everything.
        request.keepRows = false;
        const ReportData lean = build(request);
        QVERIFY(lean.rows.empty());
        QCOMPARE(lean.summary.interactions, 2);
        QCOMPARE(lean.users, data.users);
        QCOMPARE(lean.firstMs, data.firstMs);
        QCOMPARE(lean.lastMs, data.lastMs);
        QCOMPARE(qsizetype(lean.replays.size()), 1);
    }

    void emptyReport()
    {
        ReportRequest request;
        request.filterText = u"user_id == \"nobody\""_qs;
        request.filter = compileFilter(request.filterText)->expr;
        const ReportData data = build(request);
        QCOMPARE(data.summary.interactions, 0);
        QVERIFY(!data.firstMs);
        const QString path = m_dir.filePath(u"empty.pdf"_qs);
        auto pages = writeReport(data, ReportFormat::Pdf, path);
        QVERIFY(pages);
        const QString all = pdfPages(path).join(u' ');
        QVERIFY(all.contains(u"Time range no interactions"_qs));
        QVERIFY(all.contains(u"No interactions: nothing to chart."_qs));
        QVERIFY(all.contains(u"No interaction is flagged, reviewed or annotated."_qs));
        QVERIFY(all.contains(u"Page %1 of %1"_qs.arg(*pages)));
        const QString csv = m_dir.filePath(u"empty.csv"_qs);
        QVERIFY(writeReport(data, ReportFormat::Csv, csv));
        QCOMPARE(qsizetype(check(u"csv"_qs, csv).size()), 1); // the header alone
    }

    void selectionReport()
    {
        ReportRequest request;
        request.interactionIds = {"replay-2", "hostile-1", "no-such-id", "hostile-1"};
        const ReportData data = build(request);
        QVERIFY(data.selection);
        QCOMPARE(data.selectionRequested, 4);
        QCOMPARE(qsizetype(data.rows.size()), 2);
        QCOMPARE(data.rows[0].interactionId, std::string("hostile-1")); // time order
        QCOMPARE(data.rows[1].interactionId, std::string("replay-2"));
        QCOMPARE(data.missingIds, std::vector<std::string>{"no-such-id"});
        QCOMPARE(qsizetype(data.fullInteractions.size()), 2); // every chosen one in full
        QCOMPARE(data.summary.interactions, 2);
        QCOMPARE(data.summary.flagged, 1);
        // A chosen replay is compared with its original, which the selection does not hold.
        QCOMPARE(qsizetype(data.replays.size()), 1);
        QCOMPARE(data.replays[0].originalId, std::string("orig-2"));

        auto rowIds = m_store->rowIds();
        QVERIFY(rowIds);
        ReportRequest byRow;
        byRow.rowIds = {rowIds->at(0), rowIds->at(1), rowIds->at(2)};
        QCOMPARE(qsizetype(build(byRow).rows.size()), 3);
    }

    void cancels()
    {
        std::atomic<bool> cancel{true};
        auto data = buildReport(*m_store, {}, {}, &cancel);
        QVERIFY(!data);
        QCOMPARE(data.error().message, u"cancelled"_qs);
    }

    void reportsProgress()
    {
        std::vector<ReportProgress> seen;
        auto data = buildReport(*m_store, {}, [&](const ReportProgress &p) { seen.push_back(p); });
        QVERIFY(data);
        QVERIFY(!seen.empty());
        const auto reading = std::find_if(seen.rbegin(), seen.rend(), [](const auto &p) {
            return p.step == u"Reading interactions"_qs;
        });
        QVERIFY(reading != seen.rend());
        QCOMPARE(reading->done, 12);
        QCOMPARE(reading->total, 12);
    }

    void formatNames()
    {
        QCOMPARE(reportFormatFromPath(u"/tmp/a.PDF"_qs), ReportFormat::Pdf);
        QCOMPARE(reportFormatFromPath(u"a.htm"_qs), ReportFormat::Html);
        QCOMPARE(reportFormatFromPath(u"dir.csv/report"_qs), std::nullopt);
        QCOMPARE(reportFormatFromPath(u"report.txt"_qs), std::nullopt);
        QCOMPARE(reportFormatFromName(u"csv"), ReportFormat::Csv);
    }

    void htmlHasNoActiveContentFromLogs()
    {
        const QString path = m_dir.filePath(u"report.html"_qs);
        QVERIFY(writeReport(build(), ReportFormat::Html, path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray raw = file.readAll();
        QVERIFY(!raw.contains("<script"));
        QVERIFY(!raw.contains("<iframe"));
        QVERIFY(!raw.contains("<img src=http"));
        QVERIFY(raw.contains("&lt;script&gt;alert('pwned')&lt;/script&gt;"));

        const json parsed = check(u"html"_qs, path);
        QVERIFY2(parsed.is_object(), "report_check.py html failed");
        QVERIFY2(parsed["active"].empty(), parsed["active"].dump().c_str());
        QVERIFY2(parsed["external"].empty(), parsed["external"].dump().c_str());
        QVERIFY2(parsed["events"].empty(), parsed["events"].dump().c_str());
        QVERIFY(parsed["tags"].value("img", 0) >= 2); // our charts, as data: images
        QVERIFY(!parsed["tags"].contains("a"));
        // Every hostile string is there as text, exactly.
        const std::string text = parsed["text"].get<std::string>();
        for (const std::string &piece :
             {std::string("<script>alert('pwned')</script>"),
              std::string("<img src=http://evil.example/x.png onerror=alert(1)>"),
              std::string("![pic](http://evil.example/p.png)"),
              std::string("<iframe src=\"http://evil.example/frame\"></iframe>"),
              std::string("<script>flag()</script> prompt injection"),
              std::string("=HYPERLINK(\"http://evil.example\")"),
              // Bidirectional overrides and terminal escapes are shown, not obeyed.
              std::string("Open <U+202E>txt.exe<U+202C> now <U+001B>[31mred<U+001B>[0m")})
            QVERIFY2(text.find(piece) != std::string::npos, piece.c_str());
        for (const char *section :
             {"1 Summary", "2 Charts", "3 Flagged and reviewed interactions",
              "4 Interactions in full", "5 Replay comparisons", "6 Verification", "Verified OK"})
            QVERIFY2(text.find(section) != std::string::npos, section);
    }

    void csvReadsBack()
    {
        const ReportData data = build();
        const QString path = m_dir.filePath(u"report.csv"_qs);
        QVERIFY(writeReport(data, ReportFormat::Csv, path));
        const json rows = check(u"csv"_qs, path);
        QVERIFY2(rows.is_array(), "report_check.py csv failed");
        QCOMPARE(qsizetype(rows.size()), 13);
        const json &header = rows[0];
        QCOMPARE(header[0].get<std::string>(), std::string("interaction_id"));
        auto column = [&](const char *name) {
            for (size_t i = 0; i < header.size(); ++i)
                if (header[i] == name)
                    return i;
            qFatal("no column %s", name);
            return size_t(0);
        };
        for (size_t i = 0; i < data.rows.size(); ++i) {
            const ReportRow &r = data.rows[i];
            const json &row = rows[i + 1];
            QCOMPARE(row.size(), header.size());
            QCOMPARE(row[column("interaction_id")].get<std::string>(), r.interactionId);
            QCOMPARE(row[column("model")].get<std::string>(), r.model);
            QCOMPARE(row[column("latency_ms")].get<std::string>(), std::to_string(*r.latencyMs));
            QCOMPARE(row[column("total_tokens")].get<std::string>(),
                     std::to_string(*r.totalTokens));
            QCOMPARE(row[column("flagged")].get<std::string>(),
                     std::string(r.flagged ? "true" : "false"));
            // Text a spreadsheet would run as a formula starts with ' instead.
            auto defused = [](const std::string &text) {
                return !text.empty() && std::string_view("=+-@").find(text[0]) != std::string::npos
                           ? "'" + text
                           : text;
            };
            QCOMPARE(row[column("user_id")].get<std::string>(), defused(r.userId));
            QCOMPARE(row[column("prompt")].get<std::string>(), defused(r.prompt));
            QCOMPARE(row[column("response")].get<std::string>(), defused(r.response));
            QCOMPARE(row[column("flag_reason")].get<std::string>(), defused(r.flagReason));
        }
        const json &csvRow = rows[4]; // csv-4
        QCOMPARE(csvRow[column("user_id")].get<std::string>(),
                 std::string("'=HYPERLINK(\"http://evil.example\")"));
        QCOMPARE(csvRow[column("response")].get<std::string>(),
                 std::string("'-2+3, \"quoted\"\nsecond line"));
    }

    void pdfReadsBack()
    {
        ReportRequest request;
        request.title = u"Quarterly audit"_qs;
        request.generatedBy = u"Ada Auditor"_qs;
        const QString path = m_dir.filePath(u"report.pdf"_qs);
        std::vector<std::pair<int, int>> progress;
        auto pages = writeReport(build(request), ReportFormat::Pdf, path,
                                 [&](int page, int count) { progress.emplace_back(page, count); });
        if (!pages)
            QFAIL(qPrintable(pages.error().toString()));
        QVERIFY(*pages >= 6); // a cover and a page per section at least
        QCOMPARE(qsizetype(progress.size()), *pages);
        // LLMAUDIT_KEEP_REPORT=FILE keeps a copy to look at (pdftoppm -png -r 60 FILE page).
        if (const QString keep = qEnvironmentVariable("LLMAUDIT_KEEP_REPORT"); !keep.isEmpty()) {
            QFile::remove(keep);
            QFile::copy(path, keep);
        }
        const QStringList text = pdfPages(path);
        QCOMPARE(text.size(), *pages);
        for (int i = 0; i < *pages; ++i) {
            // The running header and the page number on every page.
            QVERIFY2(text[i].contains(u"Quarterly audit"_qs), qPrintable(text[i]));
            QVERIFY2(text[i].contains(u"Page %1 of %2"_qs.arg(i + 1).arg(*pages)),
                     qPrintable(text[i]));
            QVERIFY2(text[i].contains(u"by Ada Auditor"_qs), qPrintable(text[i]));
        }
        const QString all = text.join(u' ');
        // The cover.
        QVERIFY(text[0].contains(u"Generated by Ada Auditor"_qs));
        auto verified = m_store->verify();
        QVERIFY(verified);
        QVERIFY2(withoutSpace(text[0]).contains(u"Chainhead"_qs +
                                                QString::fromStdString(verified->records.link) +
                                                u"after12records"_qs),
                 qPrintable(text[0]));
        QVERIFY(text[0].contains(u"Verification Verified OK"_qs));
        QVERIFY(text[0].contains(m_store->location()));
        QVERIFY(text[0].contains(u"2026-02-01 09:00:00 UTC to 2026-02-01 19:00:00 UTC"_qs));
        for (const QString &section :
             {u"1 Summary"_qs, u"2 Charts"_qs, u"3 Flagged and reviewed interactions"_qs,
              u"4 Interactions in full"_qs, u"5 Replay comparisons"_qs, u"6 Verification"_qs})
            QVERIFY2(all.contains(section), qPrintable(section));
        // The figures.
        for (const QString &figure :
             {u"Interactions 12"_qs, u"Users 5"_qs, u"Sessions 5"_qs, u"Models 3"_qs,
              u"Flagged by the log 2 (16.7%)"_qs, u"Flagged by a reviewer 0 (0.0%)"_qs,
              u"Latency p50 / p95 / p99 900 ms / 2,500 ms / 2,500 ms"_qs, u"restricted 1 (8.3%)"_qs,
              u"Status Interactions Share unreviewed 12 100.0% approved 0 0.0% issue 0 0.0% "
              u"escalated 0 0.0%"_qs,
              u"Verified OK: both integrity chains are intact (records: 12 links"_qs})
            QVERIFY2(all.contains(figure), qPrintable(figure));
        // Hostile text, as text (whitespace aside: the PDF wraps long lines).
        const QString flat = withoutSpace(all);
        for (const std::string &piece :
             {std::string("<script>alert('pwned')</script>"),
              std::string("<imgsrc=http://evil.example/x.pngonerror=alert(1)>"),
              std::string("![pic](http://evil.example/p.png)"),
              std::string("<iframesrc=\"http://evil.example/frame\"></iframe>"),
              std::string("Open<U+202E>txt.exe<U+202C>now<U+001B>[31mred<U+001B>[0m")})
            QVERIFY2(flat.contains(QString::fromStdString(piece)), piece.c_str());
        QVERIFY(!all.contains(QChar(0x202E)));
        // The replay's diff: both the removed and the added words are printed.
        QVERIFY(all.contains(u"Replay replay-2 of orig-2"_qs));
        QVERIFY2(flat.contains(u"Refundswithin3014days."_qs),
                 qPrintable(all.mid(all.indexOf(u"Response diff"_qs) - 10, 300)));
    }

    // The replay's response diff is highlighted word by word: what the replay dropped inside the
    // deletion markup (struck through on red), what it added inside the insertion markup (on
    // green), what both say in neither; the PDF prints both sides with those colours behind.
    // The fixture's replay turns "Refunds within 30 days. Keep the receipt." into "Refunds
    // within 14 days. Keep the receipt and the box."
    void replayDiffIsHighlighted()
    {
        const ReportData data = build();
        const QString html = m_dir.filePath(u"diff.html"_qs);
        QVERIFY(writeReport(data, ReportFormat::Html, html));
        const json parsed = check(u"diff"_qs, html);
        QVERIFY2(parsed.is_object(), "report_check.py diff failed");
        QCOMPARE(parsed["diffs"].size(), size_t(1));
        std::map<std::string, QSet<QString>> words; // "del", "ins", "" -> the words in them
        for (const json &segment : parsed["diffs"][0]) {
            const QString text = QString::fromStdString(segment[1].get<std::string>());
            for (const auto &match : QRegularExpression(u"\\w+"_qs).globalMatch(text))
                words[segment[0].get<std::string>()].insert(match.captured());
        }
        QCOMPARE(words["del"], (QSet<QString>{u"30"_qs}));
        QCOMPARE(words["ins"], (QSet<QString>{u"14"_qs, u"and"_qs, u"the"_qs, u"box"_qs}));
        QCOMPARE(words[""], (QSet<QString>{u"Refunds"_qs, u"within"_qs, u"days"_qs, u"Keep"_qs,
                                           u"the"_qs, u"receipt"_qs}));
        // The markup is styled: struck through on red, and on green.
        const QString style = QString::fromStdString(parsed["style"].get<std::string>());
        QVERIFY2(style.contains(QRegularExpression(u"\\.del\\s*\\{[^}]*line-through"_qs)),
                 qPrintable(style));
        QVERIFY(style.contains(QRegularExpression(u"\\.del\\s*\\{[^}]*background-color"_qs)));
        QVERIFY(style.contains(QRegularExpression(u"\\.ins\\s*\\{[^}]*background-color"_qs)));

        // The PDF: both words printed, each on its colour. pdftotext -bbox gives each word's box
        // in points; pdftoppm draws the page at 144 dpi (two pixels a point).
        const QString pdf = m_dir.filePath(u"diff.pdf"_qs);
        QVERIFY(writeReport(data, ReportFormat::Pdf, pdf));
        const QString boxes = QString::fromUtf8(run(u"pdftotext"_qs, {u"-bbox"_qs, pdf, u"-"_qs}));
        struct Word
        {
            int page;
            QRectF box;
            QString text;
        };
        std::vector<Word> pdfWords;
        int page = 0;
        static const QRegularExpression item(
            u"<page |<word xMin=\"([\\d.]+)\" yMin=\"([\\d.]+)\" xMax=\"([\\d.]+)\" "
            u"yMax=\"([\\d.]+)\">([^<]*)</word>"_qs);
        for (const auto &m : item.globalMatch(boxes)) {
            if (m.captured(0) == u"<page ")
                ++page;
            else
                pdfWords.push_back(
                    {page,
                     QRectF(QPointF(m.captured(1).toDouble(), m.captured(2).toDouble()),
                            QPointF(m.captured(3).toDouble(), m.captured(4).toDouble())),
                     m.captured(5)});
        }
        size_t at = 0; // the heading "Response diff"
        while (at + 1 < pdfWords.size() &&
               !(pdfWords[at].text == u"Response" && pdfWords[at + 1].text == u"diff"))
            ++at;
        QVERIFY2(at + 1 < pdfWords.size(), "no Response diff in the PDF");
        // The first TEXT after the heading, with its box narrowed to TEXT's share of the word
        // (pdftotext makes one word of "30" and "14" printed side by side), less a point on
        // either side.
        auto after = [&](const QString &text) -> std::optional<Word> {
            for (size_t i = at + 2; i < pdfWords.size(); ++i) {
                Word w = pdfWords[i];
                const qsizetype start = w.text.indexOf(text);
                if (start < 0)
                    continue;
                const double share = w.box.width() / double(w.text.size());
                w.box.setLeft(w.box.left() + share * double(start) + 1);
                w.box.setWidth(share * double(text.size()) - 2);
                w.text = text;
                return w;
            }
            return std::nullopt;
        };
        const auto removed = after(u"30"_qs), added = after(u"14"_qs), kept = after(u"Refunds"_qs);
        QVERIFY(removed && added && kept);
        QVERIFY(removed->page == added->page && added->page == kept->page);
        const QString png = m_dir.filePath(u"diff-page"_qs);
        run(u"pdftoppm"_qs,
            {u"-f"_qs, QString::number(added->page), u"-l"_qs, QString::number(added->page),
             u"-r"_qs, u"144"_qs, u"-singlefile"_qs, u"-png"_qs, pdf, png});
        const QImage image(png + u".png"_qs);
        QVERIFY(!image.isNull());
        // How many pixels of the word's box have this colour (give or take antialiasing).
        auto pixels = [&](const Word &word, QColor colour) {
            const QRect box(QPoint(int(word.box.left() * 2), int(word.box.top() * 2)),
                            QPoint(int(word.box.right() * 2), int(word.box.bottom() * 2)));
            int count = 0;
            for (int y = box.top(); y <= box.bottom(); ++y)
                for (int x = box.left(); x <= box.right(); ++x) {
                    const QColor c = image.pixelColor(x, y);
                    count += qAbs(c.red() - colour.red()) + qAbs(c.green() - colour.green()) +
                                 qAbs(c.blue() - colour.blue()) <
                             24;
                }
            return count;
        };
        const QColor red(0xff, 0xcd, 0xd2), green(0xc8, 0xe6, 0xc9);
        QVERIFY2(pixels(*removed, red) > 20, "the removed word is not on red");
        QCOMPARE(pixels(*removed, green), 0);
        QVERIFY2(pixels(*added, green) > 20, "the added word is not on green");
        QCOMPARE(pixels(*added, red), 0);
        QCOMPARE(pixels(*kept, red) + pixels(*kept, green), 0);
    }

    void chartsAreDrawn()
    {
        const ReportData data = build();
        for (ReportChart chart :
             {ReportChart::Models, ReportChart::Latency, ReportChart::Sensitivity}) {
            const QImage image = reportChartImage(data, chart, 1);
            QCOMPARE(image.size(), reportChartSize(data, chart));
            int coloured = 0;
            for (int y = 0; y < image.height(); y += 2)
                for (int x = 0; x < image.width(); x += 2)
                    coloured += QColor(image.pixel(x, y)).saturation() > 80;
            QVERIFY2(coloured > 50, qPrintable(u"chart %1"_qs.arg(int(chart))));
        }
    }

    void reviewsAndNotes()
    {
        auto store = freshStore(u"reviewed.sqlite"_qs);
        const qint64 plain5 = rowIdOf(*store, "plain-5");
        const qint64 orig2 = rowIdOf(*store, "orig-2");
        const qint64 hostile1 = rowIdOf(*store, "hostile-1");
        const std::string rita = "Rita Reviewer";
        QCOMPARE(store->setReview({&plain5, 1}, {ReviewStatus::Approved, {}, false, rita}).value(),
                 1);
        QCOMPARE(
            store
                ->setReview({&orig2, 1}, {ReviewStatus::Issue, "=leaks a refund code", false, rita})
                .value(),
            1);
        const std::string note = "Asked <b>legal</b> to look; ticket LEG-42.";
        QCOMPARE(store->addNote({&orig2, 1}, rita, note).value(), 1);
        QCOMPARE(
            store->addNote({&hostile1, 1}, "Sam", "Injection attempt\nblocked upstream.").value(),
            1);

        ReportRequest request;
        request.title = u"Reviewed audit"_qs;
        auto built = buildReport(*store, request);
        QVERIFY(built);
        const ReportData &data = *built;
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Unreviewed), 10);
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Approved), 1);
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Issue), 1);
        QCOMPARE(data.reviewStatusCounts.at(ReviewStatus::Escalated), 0);
        QCOMPARE(data.reviewFlagged, 1);
        // Listed: flagged by the log (hostile-1, csv-4), reviewed (orig-2, plain-5), in order.
        QCOMPARE(data.listedTotal, 4);
        std::vector<std::string> listed;
        for (const ReportRow &r : data.listed)
            listed.push_back(r.interactionId);
        QCOMPARE(listed, (std::vector<std::string>{"hostile-1", "orig-2", "csv-4", "plain-5"}));
        const ReportRow &issue = data.listed[1];
        QCOMPARE(int(issue.reviewStatus), int(ReviewStatus::Issue));
        QVERIFY(issue.reviewFlagged);
        QCOMPARE(issue.reviewFlagReason, std::string("=leaks a refund code"));
        QCOMPARE(issue.reviewer, rita);
        QCOMPARE(issue.notes, 1);
        QCOMPARE(qsizetype(data.fullInteractions.size()), 4); // the listed, in full
        QCOMPARE(int(data.fullInteractions[1].row.reviewStatus), int(ReviewStatus::Issue));
        QCOMPARE(qsizetype(data.notes.size()), 2);
        QCOMPARE(data.notes.at("orig-2").front().author, rita);
        QCOMPARE(data.notes.at("orig-2").front().text, note);
        QVERIFY(data.notes.at("orig-2").front().timeMs > 0);
        QVERIFY(data.verified());

        // The PDF: the status table, the notes under their interactions, the chain head.
        const QString pdf = m_dir.filePath(u"reviewed.pdf"_qs);
        if (auto pages = writeReport(data, ReportFormat::Pdf, pdf); !pages)
            QFAIL(qPrintable(pages.error().toString()));
        if (const QString keep = qEnvironmentVariable("LLMAUDIT_KEEP_REVIEWED_REPORT");
            !keep.isEmpty()) {
            QFile::remove(keep);
            QFile::copy(pdf, keep);
        }
        const QStringList pages = pdfPages(pdf);
        const QString all = pages.join(u' ');
        for (const QString &figure :
             {u"Status Interactions Share unreviewed 10 83.3% approved 1 8.3% issue 1 8.3% "
              u"escalated 0 0.0%"_qs,
              u"Flagged by a reviewer 1 (8.3%)"_qs,
              u"4 interactions are flagged (by the log's evaluation.flagged or by a reviewer), "
              u"given a review status or annotated with notes."_qs,
              u"Note by Rita Reviewer"_qs, u"Note by Sam"_qs, u"flagged by a reviewer"_qs,
              u"Verified OK"_qs})
            QVERIFY2(all.contains(figure), qPrintable(figure + u"\n"_qs + all));
        const QString flat = withoutSpace(all);
        QVERIFY(flat.contains(withoutSpace(QString::fromStdString(note))));
        QVERIFY(flat.contains(u"Injectionattemptblockedupstream."_qs));
        QVERIFY(
            flat.contains(u"internalissueflaggedbyareviewer:=leaksarefundcodebyRitaReviewer"_qs));
        auto verified = store->verify();
        QVERIFY(verified && verified->ok());
        QVERIFY(withoutSpace(pages[0]).contains(QString::fromStdString(verified->records.link)));

        // The HTML: the note is text, not markup.
        const QString html = m_dir.filePath(u"reviewed.html"_qs);
        QVERIFY(writeReport(data, ReportFormat::Html, html));
        QFile file(html);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray raw = file.readAll();
        QVERIFY(!raw.contains("<b>legal"));
        QVERIFY(raw.contains("Asked &lt;b&gt;legal&lt;/b&gt; to look"));
        const json parsed = check(u"html"_qs, html);
        QVERIFY(parsed["active"].empty() && parsed["external"].empty());
        QVERIFY(parsed["text"].get<std::string>().find(note) != std::string::npos);

        // The CSV (every row): the review columns.
        ReportRequest all12;
        auto rows = buildReport(*store, all12);
        QVERIFY(rows);
        const QString csv = m_dir.filePath(u"reviewed.csv"_qs);
        QVERIFY(writeReport(*rows, ReportFormat::Csv, csv));
        const json table = check(u"csv"_qs, csv);
        QCOMPARE(qsizetype(table.size()), 13);
        const json &header = table[0];
        auto column = [&](const char *name) {
            for (size_t i = 0; i < header.size(); ++i)
                if (header[i] == name)
                    return i;
            qFatal("no column %s", name);
            return size_t(0);
        };
        for (size_t i = 1; i < table.size(); ++i) {
            const json &row = table[i];
            const std::string id = row[column("interaction_id")].get<std::string>();
            const std::string status = id == "orig-2"    ? "issue"
                                       : id == "plain-5" ? "approved"
                                                         : "unreviewed";
            QCOMPARE(row[column("review_status")].get<std::string>(), status);
            QCOMPARE(row[column("review_flagged")].get<std::string>(),
                     std::string(id == "orig-2" ? "true" : "false"));
            QCOMPARE(row[column("notes")].get<std::string>(),
                     std::string(id == "orig-2" || id == "hostile-1" ? "1" : "0"));
            QCOMPARE(row[column("review_flag_reason")].get<std::string>(),
                     std::string(id == "orig-2" ? "'=leaks a refund code" : ""));
        }
    }

    void tamperedStoreStatesTheBrokenLink()
    {
        auto store = freshStore(u"tampered.sqlite"_qs);
        const QString path = store->location();
        json edited;
        for (const json &r : reportfixture::records())
            if (r["interaction_id"] == "plain-7")
                edited = r;
        edited["response"]["content"] = "Answer 7, quietly edited.";
        QVERIFY(tamperDocument(path, "plain-7", edited.dump()));

        auto built = buildReport(*store, {});
        QVERIFY(built);
        QVERIFY(!built->verified());
        QVERIFY(built->integrity && built->integrity->problem);
        QCOMPARE(built->integrity->problem->position, 7);
        QVERIFY2(
            built->verification.startsWith(
                u"BROKEN: the records chain breaks at link 7, interaction plain-7 (changed)"_qs),
            qPrintable(built->verification));

        const QString pdf = m_dir.filePath(u"tampered.pdf"_qs);
        QVERIFY(writeReport(*built, ReportFormat::Pdf, pdf));
        const QStringList pages = pdfPages(pdf);
        QVERIFY2(pages[0].contains(u"Chain head not established: the chain is broken"_qs),
                 qPrintable(pages[0]));
        QVERIFY(pages[0].contains(u"Verification BROKEN: the records chain breaks at link 7"_qs));
        const QString all = pages.join(u' ');
        QVERIFY2(all.contains(u"First broken link 7 Interaction plain-7 What is wrong changed:"_qs),
                 qPrintable(all.mid(all.indexOf(u"6 Verification"_qs))));

        // Without verification the report says it did not check.
        ReportRequest unchecked;
        unchecked.verify = false;
        auto quick = buildReport(*store, unchecked);
        QVERIFY(quick && !quick->integrity && !quick->verified());
        QVERIFY(quick->verification.startsWith(u"Not verified"_qs));
    }

    void activityEntryOfAReport()
    {
        ReportRequest request;
        request.title = u"Weekly"_qs;
        request.filterText = u"flagged"_qs;
        request.filter = compileFilter(request.filterText)->expr;
        const ReportData data = build(request);
        const ActivityEntry entry =
            reportActivity(data, ReportFormat::Pdf, u"/tmp/weekly.pdf"_qs, u"Rita"_qs);
        QCOMPARE(int(entry.kind), int(ActivityKind::Report));
        QCOMPARE(entry.actor, std::string("Rita"));
        QCOMPARE(entry.what, std::string("report: pdf \"Weekly\" written to /tmp/weekly.pdf"));
        QCOMPARE(entry.filter, std::string("flagged"));
        QCOMPARE(entry.count, 2);

        ReportRequest chosen;
        chosen.interactionIds = {"orig-2", "hostile-1"};
        const ActivityEntry selection =
            reportActivity(build(chosen), ReportFormat::Csv, u"/tmp/c.csv"_qs, u"Rita"_qs);
        QCOMPARE(selection.interactionIds, (std::vector<std::string>{"hostile-1", "orig-2"}));
        QVERIFY(selection.filter.empty());
        QCOMPARE(selection.count, 2);
    }

    void unwritableFileIsAnError()
    {
        auto pages = writeReport(build(), ReportFormat::Csv, u"/nonexistent-dir/r.csv"_qs);
        QVERIFY(!pages);
        QCOMPARE(pages.error().where, u"/nonexistent-dir/r.csv"_qs);
    }
};

QTEST_MAIN(TestReport)
#include "tst_report.moc"
