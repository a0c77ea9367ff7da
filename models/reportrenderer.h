#pragma once

// Turns a report (reportdata.h) into a file: a paginated PDF with a cover, running headers and
// page numbers; one self-contained HTML page; or CSV with one row per interaction. Every piece
// of log text is escaped (HTML) or quoted and defused (CSV): a prompt holding HTML or Markdown
// prints as text and never loads or runs anything.
//
// The PDF and the charts use Qt GUI (fonts, QPainter, QTextDocument, QPdfWriter) but no widgets:
// they need a QGuiApplication (the offscreen platform will do) and run on any thread.

#include "reportdata.h"
#include "result.h"

#include <QByteArray>
#include <QImage>

#include <atomic>
#include <functional>

namespace llmaudit {

// Which page of how many is being drawn, for progress.
using PageProgressHandler = std::function<void(int page, int pages)>;

// The report as HTML. For a browser (`forPdf` false) the charts are embedded as data: PNG
// images; for the PDF they are the document's own resources ("chart:models" ...).
QString reportHtml(const ReportData &data, bool forPdf = false);

// One row per interaction covered: the main columns, RFC 4180 quoted, formulas defused.
QByteArray reportCsv(const ReportData &data);

enum class ReportChart { Models, Latency, Sensitivity };
// A chart drawn with QPainter at `scale` times its layout size (reportChartSize()).
QImage reportChartImage(const ReportData &data, ReportChart chart, qreal scale = 3);
QSize reportChartSize(const ReportData &data, ReportChart chart);

// Writes the report to `path` (replaced only once complete). Returns the number of pages for a
// PDF, 1 otherwise. Fails with a message naming the file, or "cancelled".
Result<int> writeReport(const ReportData &data, ReportFormat format, const QString &path,
                        const PageProgressHandler &progress = {},
                        const std::atomic<bool> *cancel = nullptr);

} // namespace llmaudit
