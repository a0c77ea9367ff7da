#include "reportrenderer.h"

#include "exporter.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QCoreApplication>
#include <QDateTime>
#include <QFontMetricsF>
#include <QLocale>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>
#include <cmath>

namespace llmaudit {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Report", text);
}

// Log text shown as text: control characters (but newlines and tabs) and bidirectional
// overrides become <U+XXXX> so that nothing hides or reorders what follows, then HTML-escaped.
QString shown(const std::string &text)
{
    const QString raw = QString::fromUtf8(text);
    QString out;
    out.reserve(raw.size());
    for (QChar c : raw) {
        const char16_t u = c.unicode();
        const bool control =
            (u < 0x20 && u != u'\n' && u != u'\t') || u == 0x7F || (u >= 0x80 && u < 0xA0);
        const bool bidi = (u >= 0x202A && u <= 0x202E) || (u >= 0x2066 && u <= 0x2069) ||
                          u == 0x200E || u == 0x200F || u == 0x061C;
        if (control || bidi)
            out += QStringLiteral("<U+%1>").arg(int(u), 4, 16, QChar(u'0')).toUpper();
        else
            out += c;
    }
    return out;
}

QString esc(const std::string &text)
{
    return shown(text).toHtmlEscaped();
}

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString num(qint64 n)
{
    return QLocale(QLocale::English).toString(n);
}

QString num(std::optional<int64_t> n, const QString &unit = {})
{
    return n ? num(qint64(*n)) + unit : QStringLiteral("\u2013");
}

QString percent(qint64 part, qint64 whole)
{
    if (whole == 0)
        return QStringLiteral("0%");
    return QLocale(QLocale::English).toString(100.0 * double(part) / double(whole), 'f', 1) + u'%';
}

QString score(std::optional<double> value)
{
    return value ? QLocale(QLocale::English).toString(*value, 'f', 3) : tr("not computed");
}

QString utcTime(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

QString sensitivityName(const std::optional<Sensitivity> &s)
{
    return s ? QString::fromUtf8(toString(*s)) : QStringLiteral("\u2013");
}

QString scopeText(const ReportData &data)
{
    if (data.selection)
        return tr("a selection of %1 (%2 asked for)")
            .arg(data.rows.size() == 1 ? tr("1 interaction")
                                       : tr("%1 interactions").arg(num(qint64(data.rows.size()))))
            .arg(num(data.selectionRequested));
    if (data.filterText.isEmpty())
        return tr("all interactions in the store");
    return tr("the interactions matching the filter");
}

QString timeRange(const ReportData &data)
{
    if (!data.firstMs)
        return tr("no interactions");
    return tr("%1 to %2").arg(utcTime(*data.firstMs), utcTime(*data.lastMs));
}

QColor sensitivityColor(const std::string &level)
{
    if (level == "public")
        return QColor(0x4c, 0xaf, 0x50);
    if (level == "internal")
        return QColor(0x21, 0x96, 0xf3);
    if (level == "confidential")
        return QColor(0xff, 0x98, 0x00);
    if (level == "restricted")
        return QColor(0xe5, 0x39, 0x35);
    return QColor(0x9e, 0x9e, 0x9e);
}

QString latencyLabel(int64_t ms)
{
    return ms >= 1000 ? QStringLiteral("%1 s").arg(double(ms) / 1000.0)
                      : QStringLiteral("%1 ms").arg(ms);
}

// --- Charts ---------------------------------------------------------------------------------

constexpr int ChartWidth = 640;
constexpr int MaxModelBars = 10;

struct Bar
{
    QString label;
    qint64 value = 0;
    QColor color;
};

std::vector<Bar> modelBars(const ReportData &data)
{
    std::vector<Bar> bars;
    qint64 other = 0;
    for (size_t i = 0; i < data.summary.byModel.size(); ++i) {
        const auto &m = data.summary.byModel[i];
        if (int(i) < MaxModelBars - 1 || data.summary.byModel.size() <= size_t(MaxModelBars))
            bars.push_back({m.key.empty() ? tr("(no model)") : shown(m.key), m.count,
                            QColor(0x3f, 0x51, 0xb5)});
        else
            other += m.count;
    }
    if (other > 0)
        bars.push_back({tr("other models"), other, QColor(0x9f, 0xa8, 0xda)});
    return bars;
}

std::vector<Bar> latencyBars(const ReportData &data)
{
    std::vector<Bar> bars;
    const auto &hist = data.summary.latencyHistogram;
    if (hist.empty())
        return bars;
    const auto &bounds = Summary::LatencyBucketsMs;
    const size_t n = std::size(bounds);
    size_t first = n, last = 0;
    for (size_t i = 0; i < n; ++i)
        for (const auto &b : hist)
            if (b.fromMs == bounds[i] && b.interactions > 0) {
                first = std::min(first, i);
                last = std::max(last, i);
            }
    for (size_t i = first; i <= last && i < n; ++i) {
        qint64 count = 0;
        for (const auto &b : hist)
            if (b.fromMs == bounds[i])
                count = b.interactions;
        const QString label =
            i + 1 < n ? latencyLabel(bounds[i]) + u'\u2013' + latencyLabel(bounds[i + 1])
                      : u'\u2265' + latencyLabel(bounds[i]);
        bars.push_back({label, count, QColor(0x00, 0x96, 0x88)});
    }
    return bars;
}

QFont chartFont(int pixels, bool bold = false)
{
    QFont font;
    font.setPixelSize(pixels);
    font.setBold(bold);
    return font;
}

void drawHorizontalBars(QPainter &p, const std::vector<Bar> &bars, int width)
{
    const QFont font = chartFont(12);
    p.setFont(font);
    QFontMetricsF fm(font);
    qreal labelWidth = 0;
    for (const Bar &b : bars)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(b.label));
    labelWidth = std::min<qreal>(labelWidth + 8, width * 0.4);
    qint64 max = 1;
    for (const Bar &b : bars)
        max = std::max(max, b.value);
    const qreal valueWidth = fm.horizontalAdvance(num(max)) + 10;
    const qreal barSpace = width - labelWidth - valueWidth;
    qreal y = 4;
    for (const Bar &b : bars) {
        const QRectF label(0, y, labelWidth - 8, 20);
        p.setPen(QColor(0x33, 0x33, 0x33));
        p.drawText(label, Qt::AlignRight | Qt::AlignVCenter,
                   fm.elidedText(b.label, Qt::ElideMiddle, label.width()));
        const qreal w = std::max<qreal>(1, barSpace * double(b.value) / double(max));
        p.fillRect(QRectF(labelWidth, y + 3, w, 14), b.color);
        p.drawText(QRectF(labelWidth + w + 4, y, valueWidth, 20), Qt::AlignLeft | Qt::AlignVCenter,
                   num(b.value));
        y += 22;
    }
}

void drawColumns(QPainter &p, const std::vector<Bar> &bars, QSize size)
{
    const QFont font = chartFont(10);
    p.setFont(font);
    QFontMetricsF fm(font);
    qint64 max = 1;
    for (const Bar &b : bars)
        max = std::max(max, b.value);
    const qreal bottom = size.height() - 34; // room for two lines of labels
    const qreal top = 16;
    const qreal slot = qreal(size.width()) / qreal(std::max<size_t>(1, bars.size()));
    p.setPen(QColor(0xbb, 0xbb, 0xbb));
    p.drawLine(QPointF(0, bottom), QPointF(size.width(), bottom));
    for (size_t i = 0; i < bars.size(); ++i) {
        const Bar &b = bars[i];
        const qreal h = (bottom - top) * double(b.value) / double(max);
        const QRectF bar(i * slot + slot * 0.15, bottom - h, slot * 0.7, h);
        p.fillRect(bar, b.color);
        p.setPen(QColor(0x33, 0x33, 0x33));
        p.drawText(QRectF(i * slot, bottom - h - 15, slot, 14), Qt::AlignCenter, num(b.value));
        // The bucket's range on two lines under it: "10 ms–" / "20 ms".
        const QStringList parts = b.label.split(u'\u2013');
        p.setPen(QColor(0x55, 0x55, 0x55));
        p.drawText(QRectF(i * slot, bottom + 3, slot, 14), Qt::AlignCenter,
                   fm.elidedText(parts.value(0) +
                                     (parts.size() > 1 ? QStringLiteral("\u2013") : QString()),
                                 Qt::ElideRight, slot));
        if (parts.size() > 1)
            p.drawText(QRectF(i * slot, bottom + 17, slot, 14), Qt::AlignCenter,
                       fm.elidedText(parts.value(1), Qt::ElideRight, slot));
    }
}

void drawStackedBar(QPainter &p, const ReportData &data, QSize size)
{
    qint64 total = 0;
    for (const auto &c : data.summary.bySensitivity)
        total += c.count;
    const QFont font = chartFont(12);
    p.setFont(font);
    QFontMetricsF fm(font);
    qreal x = 0;
    const qreal barHeight = 28;
    for (const auto &c : data.summary.bySensitivity) {
        const qreal w = total > 0 ? size.width() * double(c.count) / double(total) : 0;
        p.fillRect(QRectF(x, 4, w, barHeight), sensitivityColor(c.key));
        x += w;
    }
    // Legend: a swatch, the level, its count and share.
    qreal lx = 0;
    qreal ly = barHeight + 16;
    for (const auto &c : data.summary.bySensitivity) {
        const QString text =
            QStringLiteral("%1: %2 (%3)")
                .arg(c.key.empty() ? tr("not given") : QString::fromStdString(c.key), num(c.count),
                     percent(c.count, total));
        const qreal w = 18 + fm.horizontalAdvance(text) + 18;
        if (lx + w > size.width()) {
            lx = 0;
            ly += 20;
        }
        p.fillRect(QRectF(lx, ly + 3, 12, 12), sensitivityColor(c.key));
        p.setPen(QColor(0x33, 0x33, 0x33));
        p.drawText(QRectF(lx + 18, ly, w, 18), Qt::AlignLeft | Qt::AlignVCenter, text);
        lx += w;
    }
}

QString chartName(ReportChart chart)
{
    switch (chart) {
    case ReportChart::Models:
        return QStringLiteral("models");
    case ReportChart::Latency:
        return QStringLiteral("latency");
    case ReportChart::Sensitivity:
        return QStringLiteral("sensitivity");
    }
    return {};
}

QString chartPng(const ReportData &data, ReportChart chart)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    reportChartImage(data, chart, 2).save(&buffer, "PNG");
    return QStringLiteral("data:image/png;base64,") + QString::fromLatin1(bytes.toBase64());
}

// --- HTML -----------------------------------------------------------------------------------

const char *const StyleSheet =
    "body { font-family: 'DejaVu Sans', sans-serif; font-size: 10pt; color: #222; }"
    "h1 { font-size: 22pt; color: #1a237e; }"
    "h2 { font-size: 15pt; color: #1a237e; margin-top: 18px; }"
    "h3 { font-size: 11.5pt; color: #283593; margin-top: 14px; }"
    "td, th { padding: 3px 6px; vertical-align: top; }"
    "th { background-color: #e8eaf6; text-align: left; }"
    ".k { color: #555; width: 28%; }"
    ".text { white-space: pre-wrap; background-color: #f5f5f5; padding: 6px; }"
    ".mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 8.5pt; "
    "white-space: pre-wrap; }"
    ".muted { color: #777; }"
    ".label { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; font-weight: bold; "
    "color: #3949ab; }"
    ".del { background-color: #ffcdd2; color: #b71c1c; text-decoration: line-through; }"
    ".ins { background-color: #c8e6c9; color: #1b5e20; }"
    ".flag { color: #c62828; font-weight: bold; }"
    ".ok { color: #2e7d32; font-weight: bold; }"
    ".note { white-space: pre-wrap; margin-bottom: 4px; }";

class HtmlWriter
{
public:
    HtmlWriter(const ReportData &data, bool forPdf)
        : d(data)
        , m_forPdf(forPdf)
    {}

    QString write()
    {
        h += QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                            "'none'; img-src data:; style-src 'unsafe-inline'\">"
                            "<title>%1</title><style>%2</style></head><body>\n")
                 .arg(esc(d.title),
                      QString::fromLatin1(StyleSheet) +
                          // A browser window is wider than a page: keep lines readable.
                          (m_forPdf ? QString()
                                    : QStringLiteral("body { max-width: 60em; margin: 1em auto; "
                                                     "padding: 0 1em; }")));
        cover();
        summary();
        charts();
        listed();
        full();
        replays();
        verification();
        h += QStringLiteral("</body></html>\n");
        return h;
    }

private:
    void section(const QString &title, bool newPage = true)
    {
        h += (newPage ? QStringLiteral("<h2 style=\"page-break-before: always\">%1</h2>\n")
                      : QStringLiteral("<h2>%1</h2>\n"))
                 .arg(esc(title));
    }

    void row(const QString &key, const QString &valueHtml)
    {
        h += QStringLiteral("<tr><td class=\"k\">%1</td><td>%2</td></tr>\n")
                 .arg(esc(key), valueHtml);
    }

    void beginTable() { h += QStringLiteral("<table width=\"100%\" cellspacing=\"0\">\n"); }
    void endTable() { h += QStringLiteral("</table>\n"); }

    void textBlock(const QString &label, const std::string &text, bool mono = false)
    {
        if (text.empty())
            return;
        // One cell holding the label and the text, so that the box is one shape and the label
        // never stays alone at the foot of a page while its text starts on the next.
        h +=
            QStringLiteral("<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" "
                           "bgcolor=\"#f5f5f5\" style=\"margin-top: 8px\"><tr><td class=\"%1\">"
                           "<span class=\"label\">%2</span>\n%3</td></tr></table>\n")
                .arg(mono ? QStringLiteral("mono") : QStringLiteral("text"), esc(label), esc(text));
    }

    // A chain's head as the report shows it: the link in hex and how long the chain is.
    static QString head(const ChainHead &chain, const QString &what)
    {
        if (chain.link.empty())
            return esc(tr("empty (no %1)").arg(what));
        return QStringLiteral("<span class=\"mono\">%1</span><br>%2")
            .arg(esc(chain.link), esc(tr("after %1 %2").arg(num(chain.length), what)));
    }

    QString recordsHead() const
    {
        if (!d.integrity)
            return esc(tr("not known: the store was not verified"));
        if (!d.integrity->ok())
            return QStringLiteral("<span class=\"flag\">%1</span>")
                .arg(esc(tr("not established: the chain is broken (see 6 Verification)")));
        return head(d.integrity->records, tr("records"));
    }

    QString verificationResult() const
    {
        return QStringLiteral("<span class=\"%1\">%2</span>")
            .arg(d.verified() ? QStringLiteral("ok") : QStringLiteral("flag"),
                 esc(d.verification.toStdString()));
    }

    static QString statusName(ReviewStatus status) { return QString::fromUtf8(toString(status)); }

    // The review of a listed row in a few words: "issue; flagged by a reviewer: reason".
    static QString reviewText(const ReportRow &r)
    {
        QString text = r.reviewStatus == ReviewStatus::Unreviewed
                           ? esc(tr("unreviewed"))
                           : QStringLiteral("<b>%1</b>").arg(esc(statusName(r.reviewStatus)));
        if (r.reviewFlagged)
            text += QStringLiteral("<br><span class=\"flag\">%1</span>%2")
                        .arg(esc(tr("flagged by a reviewer")),
                             r.reviewFlagReason.empty()
                                 ? QString()
                                 : QStringLiteral(": ") + esc(r.reviewFlagReason));
        if (!r.reviewer.empty())
            text += QStringLiteral("<br><span class=\"muted\">%1</span>")
                        .arg(esc(tr("by %1").arg(shown(r.reviewer))));
        return text;
    }

    void cover()
    {
        h += QStringLiteral("<p class=\"muted\" style=\"margin-top: 40px\">%1</p>\n")
                 .arg(esc(tr("LLM Audit Workbench \u2014 audit report")));
        h += QStringLiteral("<h1>%1</h1>\n").arg(esc(d.title));
        h += QStringLiteral("<p style=\"margin-bottom: 24px\">%1</p>\n")
                 .arg(esc(tr("This report covers %1.").arg(scopeText(d))));
        beginTable();
        if (!d.selection)
            row(tr("Filter"), d.filterText.isEmpty()
                                  ? esc(tr("none (all interactions)"))
                                  : QStringLiteral("<span class=\"mono\">%1</span>")
                                        .arg(esc(d.filterText.toStdString())));
        else
            row(tr("Selection"), esc(tr("%1 chosen, %2 found in the store")
                                         .arg(num(d.selectionRequested))
                                         .arg(num(qint64(d.rows.size())))));
        if (!d.missingIds.empty()) {
            QStringList missing;
            for (const auto &id : d.missingIds)
                missing << esc(id);
            row(tr("Not in the store"), missing.join(QStringLiteral(", ")));
        }
        row(tr("Time range"), esc(timeRange(d)));
        row(tr("Interactions"), esc(num(d.summary.interactions)));
        row(tr("Store"),
            QStringLiteral("<span class=\"mono\">%1</span>").arg(esc(d.storePath.toStdString())));
        row(tr("Generated by"), esc(d.generatedBy.toStdString()));
        row(tr("Generated at"), esc(utcTime(d.generatedAtMs)));
        row(tr("Chain head"), recordsHead());
        row(tr("Verification"), verificationResult());
        endTable();
        h += QStringLiteral("<h3>%1</h3>\n<ol>").arg(esc(tr("Contents")));
        for (const QString &s :
             {tr("Summary"), tr("Charts"), tr("Flagged and reviewed interactions"),
              tr("Interactions in full"), tr("Replay comparisons"), tr("Verification")})
            h += QStringLiteral("<li>%1</li>").arg(esc(s));
        h += QStringLiteral("</ol>\n");
    }

    void summary()
    {
        const Summary &s = d.summary;
        section(tr("1 Summary"));
        beginTable();
        row(tr("Interactions"), esc(num(s.interactions)));
        row(tr("Users"), esc(num(d.users)));
        row(tr("Sessions"), esc(num(d.sessions)));
        row(tr("Models"), esc(num(qint64(s.byModel.size()))));
        row(tr("Flagged by the log"),
            esc(QStringLiteral("%1 (%2)").arg(num(s.flagged), percent(s.flagged, s.interactions))));
        row(tr("Flagged by a reviewer"),
            esc(QStringLiteral("%1 (%2)").arg(num(d.reviewFlagged),
                                              percent(d.reviewFlagged, s.interactions))));
        QStringList mix;
        for (const auto &c : s.bySensitivity)
            mix << esc(QStringLiteral("%1 %2 (%3)")
                           .arg(c.key.empty() ? tr("not given") : QString::fromStdString(c.key),
                                num(c.count), percent(c.count, s.interactions)));
        row(tr("Sensitivity mix"),
            mix.isEmpty() ? esc(tr("none")) : mix.join(QStringLiteral(", ")));
        row(tr("Latency p50 / p95 / p99"), esc(QStringLiteral("%1 / %2 / %3")
                                                   .arg(num(s.latencyP50, QStringLiteral(" ms")),
                                                        num(s.latencyP95, QStringLiteral(" ms")),
                                                        num(s.latencyP99, QStringLiteral(" ms")))));
        row(tr("Tokens (total)"), esc(num(s.totalTokens)));
        row(tr("Tokens (prompt / completion)"),
            esc(QStringLiteral("%1 / %2").arg(num(d.promptTokens), num(d.completionTokens))));
        row(tr("Replay comparisons"), esc(num(qint64(d.replays.size()) + d.replaysOmitted)));
        row(tr("Time range"), esc(timeRange(d)));
        endTable();

        h += QStringLiteral("<h3>%1</h3>\n").arg(esc(tr("Review status")));
        h += QStringLiteral("<table width=\"100%\" cellspacing=\"0\"><tr><th width=\"60%\">%1</th>"
                            "<th width=\"20%\" align=\"right\">%2</th>"
                            "<th width=\"20%\" align=\"right\">%3</th></tr>\n")
                 .arg(esc(tr("Status")), esc(tr("Interactions")), esc(tr("Share")));
        for (const auto &[status, count] : d.reviewStatusCounts)
            h += QStringLiteral("<tr><td>%1</td><td align=\"right\">%2</td>"
                                "<td align=\"right\">%3</td></tr>\n")
                     .arg(esc(statusName(status)), esc(num(count)),
                          esc(percent(count, s.interactions)));
        endTable();

        if (!s.byModel.empty()) {
            h += QStringLiteral("<h3>%1</h3>\n").arg(esc(tr("Interactions by model")));
            h += QStringLiteral(
                     "<table width=\"100%\" cellspacing=\"0\"><tr><th width=\"60%\">%1</th>"
                     "<th width=\"20%\" align=\"right\">%2</th>"
                     "<th width=\"20%\" align=\"right\">%3</th></tr>\n")
                     .arg(esc(tr("Model")), esc(tr("Interactions")), esc(tr("Share")));
            for (const auto &m : s.byModel)
                h += QStringLiteral("<tr><td>%1</td><td align=\"right\">%2</td>"
                                    "<td align=\"right\">%3</td></tr>\n")
                         .arg(m.key.empty() ? esc(tr("(no model)")) : esc(m.key), esc(num(m.count)),
                              esc(percent(m.count, s.interactions)));
            endTable();
        }
    }

    void chart(ReportChart which, const QString &title, const QString &caption)
    {
        const QSize size = reportChartSize(d, which);
        h += QStringLiteral("<h3>%1</h3>\n").arg(esc(title));
        const QString src =
            m_forPdf ? QStringLiteral("chart:") + chartName(which) : chartPng(d, which);
        h += QStringLiteral("<p><img src=\"%1\" width=\"%2\" height=\"%3\" alt=\"%4\"></p>\n")
                 .arg(src)
                 .arg(size.width())
                 .arg(size.height())
                 .arg(esc(title));
        if (!caption.isEmpty())
            h += QStringLiteral("<p class=\"muted\">%1</p>\n").arg(esc(caption));
    }

    void charts()
    {
        section(tr("2 Charts"));
        if (d.summary.interactions == 0) {
            h += QStringLiteral("<p>%1</p>\n").arg(esc(tr("No interactions: nothing to chart.")));
            return;
        }
        chart(ReportChart::Models, tr("Interactions by model"),
              d.summary.byModel.size() > size_t(MaxModelBars)
                  ? tr("The %1 most used models; the others together.").arg(MaxModelBars - 1)
                  : QString());
        if (!d.summary.latencyHistogram.empty())
            chart(ReportChart::Latency, tr("Latency distribution"),
                  tr("Interactions per latency range. p50 %1, p95 %2, p99 %3.")
                      .arg(num(d.summary.latencyP50, QStringLiteral(" ms")),
                           num(d.summary.latencyP95, QStringLiteral(" ms")),
                           num(d.summary.latencyP99, QStringLiteral(" ms"))));
        chart(ReportChart::Sensitivity, tr("Sensitivity mix"), {});
    }

    QString notesOf(const std::string &id) const
    {
        auto it = d.notes.find(id);
        if (it == d.notes.end())
            return {};
        QStringList parts;
        for (const ReportNote &note : it->second)
            parts
                << QStringLiteral("<span class=\"label\">%1</span><div class=\"note\">%2</div>")
                       .arg(esc(tr("Note by %1, %2").arg(shown(note.author), utcTime(note.timeMs))),
                            esc(note.text));
        return parts.join(QString());
    }

    void listed()
    {
        section(tr("3 Flagged and reviewed interactions"));
        const qint64 count = d.listedTotal;
        if (count == 0) {
            h += QStringLiteral("<p>%1</p>\n")
                     .arg(esc(tr("No interaction is flagged, reviewed or annotated.")));
            return;
        }
        h += QStringLiteral("<p>%1</p>\n")
                 .arg(esc((count == 1 ? tr("1 interaction is")
                                      : tr("%1 interactions are").arg(num(count))) +
                          tr(" flagged (by the log's evaluation.flagged or by a reviewer), "
                             "given a review status or annotated with notes.")));
        if (qint64(d.listed.size()) < count)
            h += QStringLiteral("<p class=\"muted\">%1</p>\n")
                     .arg(esc(tr("The first %1 are listed.").arg(num(qint64(d.listed.size())))));
        h += QStringLiteral("<table width=\"100%\" cellspacing=\"0\"><tr><th width=\"15%\">%1</th>"
                            "<th width=\"27%\">%2</th><th width=\"20%\">%3</th>"
                            "<th width=\"38%\">%4</th></tr>\n")
                 .arg(esc(tr("Time")), esc(tr("Interaction, user, model, sensitivity")),
                      esc(tr("Review")), esc(tr("Flag reason and prompt")));
        int i = 0;
        for (const ReportRow &r : d.listed) {
            const QString shade = i++ % 2 ? QStringLiteral(" bgcolor=\"#fafafa\"") : QString();
            QString reason;
            if (r.flagged)
                reason += QStringLiteral("<span class=\"flag\">%1</span>%2<br>")
                              .arg(esc(tr("flagged by the log")),
                                   r.flagReason.empty() ? QString()
                                                        : QStringLiteral(": ") + esc(r.flagReason));
            h += QStringLiteral("<tr%1><td>%2</td><td><span class=\"mono\">%3</span><br>%4<br>%5"
                                "<br>%6</td><td>%7</td><td>%8<span class=\"muted\">%9</span>"
                                "</td></tr>\n")
                     .arg(shade,
                          esc(utcTime(r.timestampMs)).replace(10, 1, u"<br>"_qs), // date, then time
                          esc(r.interactionId), esc(r.userId), esc(r.model),
                          esc(sensitivityName(r.sensitivity)), reviewText(r), reason,
                          esc(firstChars(r.prompt, 140)));
            // Its notes under it, across the columns but the first.
            if (const QString notes = notesOf(r.interactionId); !notes.isEmpty())
                h += QStringLiteral("<tr%1><td></td><td colspan=\"3\">%2</td></tr>\n")
                         .arg(shade, notes);
        }
        endTable();
    }

    static std::string firstChars(const std::string &text, int chars)
    {
        const QString s = QString::fromUtf8(text);
        return s.size() <= chars ? text : (s.left(chars) + QStringLiteral("\u2026")).toStdString();
    }

    void full()
    {
        section(tr("4 Interactions in full"));
        if (d.fullInteractions.empty()) {
            h += QStringLiteral("<p>%1</p>\n")
                     .arg(esc(d.selection ? tr("None of the chosen interactions is in the store.")
                                          : tr("No flagged or reviewed interaction to show "
                                               "in full.")));
            return;
        }
        h += QStringLiteral("<p>%1</p>\n")
                 .arg(esc(d.selection ? tr("Every chosen interaction, oldest first.")
                                      : tr("The flagged and reviewed interactions, oldest "
                                           "first.")));
        if (d.fullOmitted > 0)
            h += QStringLiteral("<p class=\"muted\">%1</p>\n")
                     .arg(esc(tr("%1 more are not shown in full; the CSV report lists them all.")
                                  .arg(num(d.fullOmitted))));
        bool first = true;
        for (const ReportInteraction &f : d.fullInteractions) {
            const ReportRow &r = f.row;
            h += QStringLiteral("%1<h3>%2</h3>\n")
                     .arg(first ? QString() : QStringLiteral("<hr>"),
                          esc(tr("Interaction %1").arg(shown(r.interactionId))));
            first = false;
            beginTable();
            row(tr("Time"), esc(utcTime(r.timestampMs)));
            row(tr("User / session"), esc(r.userId) + QStringLiteral(" / ") + esc(r.sessionId));
            row(tr("Model"), esc(r.model));
            row(tr("Tokens (prompt / completion / total)"),
                esc(QStringLiteral("%1 / %2 / %3")
                        .arg(num(r.promptTokens), num(r.completionTokens), num(r.totalTokens))));
            row(tr("Latency"), esc(num(r.latencyMs, QStringLiteral(" ms"))));
            if (!r.finishReason.empty())
                row(tr("Finish reason"), esc(r.finishReason));
            row(tr("Flagged by the log"),
                r.flagged
                    ? QStringLiteral("<span class=\"flag\">%1</span>%2")
                          .arg(esc(tr("yes")), r.flagReason.empty()
                                                   ? QString()
                                                   : QStringLiteral(" \u2014 ") + esc(r.flagReason))
                    : esc(tr("no")));
            row(tr("Sensitivity"), esc(sensitivityName(r.sensitivity)));
            if (!r.replayOf.empty())
                row(tr("Replay of"), esc(r.replayOf));
            if (!f.tags.empty()) {
                QStringList tags;
                for (const auto &t : f.tags)
                    tags << esc(t);
                row(tr("Tags"), tags.join(QStringLiteral(", ")));
            }
            row(tr("Review"), reviewText(r));
            endTable();
            if (const QString notes = notesOf(r.interactionId); !notes.isEmpty())
                h += QStringLiteral("<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" "
                                    "style=\"margin-top: 8px\"><tr><td>%1</td></tr></table>\n")
                         .arg(notes);
            textBlock(tr("System prompt"), f.systemPrompt);
            textBlock(tr("Prompt"), r.prompt);
            for (size_t i = 0; i < f.context.size(); ++i)
                textBlock(tr("Context document %1%2")
                              .arg(i + 1)
                              .arg(f.context[i].source.empty()
                                       ? QString()
                                       : QStringLiteral(" \u2014 ") + shown(f.context[i].source)),
                          f.context[i].content);
            textBlock(tr("Response"), r.response);
            textBlock(tr("Parameters"), f.parameters, true);
            textBlock(tr("Evaluation"), f.evaluation, true);
            textBlock(tr("Security"), f.security, true);
        }
    }

    QString side(const ComparedInteraction &c) const
    {
        return esc(QStringLiteral("%1 \u00b7 %2 \u00b7 %3 tokens \u00b7 %4")
                       .arg(shown(c.interactionId), shown(c.model), num(c.totalTokens),
                            num(c.latencyMs, QStringLiteral(" ms"))));
    }

    void replays()
    {
        section(tr("5 Replay comparisons"));
        if (d.replays.empty()) {
            h += QStringLiteral("<p>%1</p>\n")
                     .arg(esc(tr("No replay of these interactions is in the store.")));
            return;
        }
        h += QStringLiteral("<p>%1 <span class=\"del\">%2</span> %3 "
                            "<span class=\"ins\">%4</span>.</p>\n")
                 .arg(esc(tr("Each replay's response against its original's, word by word:")),
                      esc(tr("removed")), esc(tr("and")), esc(tr("added")));
        if (d.replaysOmitted > 0)
            h += QStringLiteral("<p class=\"muted\">%1</p>\n")
                     .arg(esc(tr("%1 more comparisons are not shown.").arg(num(d.replaysOmitted))));
        for (const ReportReplay &rp : d.replays) {
            const Comparison &c = rp.comparison;
            h += QStringLiteral("<h3>%1</h3>\n")
                     .arg(esc(tr("Replay %1 of %2").arg(shown(rp.replayId), shown(rp.originalId))));
            beginTable();
            row(tr("Original"), side(c.a));
            row(tr("Replay"), side(c.b));
            row(tr("Response"),
                esc(tr("%1; edit similarity %2, token Jaccard %3, ROUGE-L %4")
                        .arg(c.response.exactMatch ? tr("identical") : tr("different"),
                             score(c.response.editSimilarity), score(c.response.tokenJaccard),
                             score(c.response.rougeL))));
            row(tr("Prompt"),
                esc(c.prompt.exactMatch
                        ? tr("identical")
                        : tr("edited; edit similarity %1").arg(score(c.prompt.editSimilarity))));
            QStringList deltas;
            if (c.modelChanged)
                deltas << tr("model %1 \u2192 %2").arg(shown(c.a.model), shown(c.b.model));
            if (c.totalTokensDelta)
                deltas << tr("tokens %1%2")
                              .arg(*c.totalTokensDelta > 0 ? u"+"_qs : QString())
                              .arg(*c.totalTokensDelta);
            if (c.latencyMsDelta)
                deltas << tr("latency %1%2 ms")
                              .arg(*c.latencyMsDelta > 0 ? u"+"_qs : QString())
                              .arg(*c.latencyMsDelta);
            if (c.finishReasonChanged)
                deltas << tr("finish reason %1 \u2192 %2")
                              .arg(shown(c.a.finishReason), shown(c.b.finishReason));
            row(tr("Changes"), esc(deltas.isEmpty() ? tr("none") : deltas.join(u", "_qs)));
            if (!c.limits.empty()) {
                QStringList limits;
                for (const auto &l : c.limits)
                    limits << esc(l);
                row(tr("Limits"), limits.join(u"; "_qs));
            }
            endTable();
            // Within one change, what was removed reads before what was added.
            QString diff, removed, added;
            auto flush = [&] {
                if (!removed.isEmpty())
                    diff += QStringLiteral("<span class=\"del\">%1</span>").arg(removed);
                if (!added.isEmpty())
                    diff += QStringLiteral("<span class=\"ins\">%1</span>").arg(added);
                removed.clear();
                added.clear();
            };
            for (const DiffSegment &s : c.responseDiff.wordSegments) {
                switch (s.op) {
                case DiffOp::Equal:
                    flush();
                    diff += esc(s.text);
                    break;
                case DiffOp::Delete:
                    removed += esc(s.text);
                    break;
                case DiffOp::Insert:
                    added += esc(s.text);
                    break;
                }
            }
            flush();
            h += QStringLiteral("<p><b>%1</b></p>\n<table width=\"100%\" cellspacing=\"0\" "
                                "cellpadding=\"6\" bgcolor=\"#f5f5f5\"><tr><td class=\"text\">%2"
                                "</td></tr></table>\n")
                     .arg(esc(tr("Response diff")), diff);
        }
    }

    void verification()
    {
        section(tr("6 Verification"));
        h += QStringLiteral("<p>%1</p>\n")
                 .arg(esc(tr("Every record and every activity log entry is chained by SHA-256 "
                             "(docs/integrity.md); verifying recomputes both chains from their "
                             "start over the whole store, not only the interactions this report "
                             "covers.")));
        beginTable();
        row(tr("Result"), verificationResult());
        if (d.integrity && d.integrity->problem) {
            const ChainProblem &p = *d.integrity->problem;
            row(tr("Chain"),
                esc(p.chain == ChainName::Records ? tr("records") : tr("activity log")));
            if (p.position > 0) // 0: no link of its own (review state the log never had)
                row(tr("First broken link"), esc(num(p.position)));
            if (!p.interactionId.empty())
                row(tr("Interaction"),
                    QStringLiteral("<span class=\"mono\">%1</span>").arg(esc(p.interactionId)));
            row(tr("What is wrong"),
                esc(QString::fromUtf8(toString(p.kind)) + QStringLiteral(": ")) + esc(p.detail));
        } else if (d.integrity) {
            row(tr("Records chain head"), head(d.integrity->records, tr("records")));
            row(tr("Activity log chain head"),
                head(d.integrity->activity, tr("activity log entries")));
        }
        row(tr("Checked at"), esc(utcTime(d.generatedAtMs)));
        endTable();
        h += QStringLiteral("<p class=\"muted\" style=\"margin-top: 18px\">%1</p>\n")
                 .arg(esc(tr("End of report.")));
    }

    const ReportData &d;
    bool m_forPdf;
    QString h;
};

// --- PDF ------------------------------------------------------------------------------------

// Layout units: CSS pixels (96 per inch), the unit the HTML above is written in. The document
// is laid out in them and the painter scaled to the PDF's resolution.
constexpr qreal LayoutDpi = 96;
constexpr qreal PdfDpi = 300;
constexpr qreal MmPerInch = 25.4;
constexpr qreal px(qreal mm)
{
    return mm / MmPerInch * LayoutDpi;
}

struct PageGeometry
{
    QSizeF page{px(210), px(297)}; // A4
    qreal left = px(18);
    qreal right = px(18);
    qreal top = px(24);    // the running header sits in here
    qreal bottom = px(20); // the page number sits in here
    QSizeF content() const { return {page.width() - left - right, page.height() - top - bottom}; }
};

void drawHeaderAndFooter(QPainter &p, const PageGeometry &g, const ReportData &d, int page,
                         int pages)
{
    const QFont font = chartFont(9);
    p.setFont(font);
    QFontMetricsF fm(font);
    const qreal width = g.content().width();
    p.setPen(QColor(0x55, 0x55, 0x55));
    // Header: the title on the left, the scope on the right, a rule under both.
    const qreal headerY = g.top - px(9);
    const QString scope = d.selection ? tr("Selection of %1").arg(num(qint64(d.rows.size())))
                          : d.filterText.isEmpty()
                              ? tr("All interactions")
                              : tr("Filter: %1").arg(shown(d.filterText.toStdString()));
    const qreal half = width / 2 - 8;
    p.drawText(QRectF(g.left, headerY, half, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(d.title, Qt::ElideRight, half));
    p.drawText(QRectF(g.left + width - half, headerY, half, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(scope, Qt::ElideMiddle, half));
    p.setPen(QPen(QColor(0xc5, 0xca, 0xe9), 0.8));
    p.drawLine(QPointF(g.left, headerY + fm.height() + 3),
               QPointF(g.left + width, headerY + fm.height() + 3));
    // Footer: who and when on the left, the page number on the right, a rule above.
    const qreal footerY = g.page.height() - g.bottom + px(6);
    p.drawLine(QPointF(g.left, footerY - 4), QPointF(g.left + width, footerY - 4));
    p.setPen(QColor(0x55, 0x55, 0x55));
    p.drawText(QRectF(g.left, footerY, width * 0.7, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(tr("Generated %1 by %2")
                                 .arg(utcTime(d.generatedAtMs), shown(d.generatedBy.toStdString())),
                             Qt::ElideRight, width * 0.7));
    p.drawText(QRectF(g.left + width * 0.7, footerY, width * 0.3, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, tr("Page %1 of %2").arg(page).arg(pages));
}

Result<int> writePdf(const ReportData &data, QIODevice &out, const QString &where,
                     const PageProgressHandler &progress, const std::atomic<bool> *cancel)
{
    const PageGeometry g;
    // A reference device so that the layout is made at 96 dpi whatever the screen says.
    QImage reference(1, 1, QImage::Format_RGB32);
    reference.setDotsPerMeterX(qRound(LayoutDpi / MmPerInch * 1000));
    reference.setDotsPerMeterY(qRound(LayoutDpi / MmPerInch * 1000));

    QTextDocument document;
    document.documentLayout()->setPaintDevice(&reference);
    document.setDocumentMargin(0);
    QTextOption option = document.defaultTextOption();
    // Long ids and URLs in logs must wrap instead of running off the page.
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    document.setDefaultTextOption(option);
    QFont base;
    base.setFamily(QStringLiteral("DejaVu Sans"));
    base.setPointSizeF(10);
    // No ligatures: text copied or extracted from the PDF ("Verification", "flagged") must be
    // the letters that were written, not U+FB01.
    base.setStyleStrategy(QFont::PreferNoShaping);
    document.setDefaultFont(base);
    for (ReportChart chart : {ReportChart::Models, ReportChart::Latency, ReportChart::Sensitivity})
        document.addResource(QTextDocument::ImageResource,
                             QUrl(QStringLiteral("chart:") + chartName(chart)),
                             reportChartImage(data, chart, 3));
    document.setHtml(reportHtml(data, true));
    document.setPageSize(g.content());
    const int pages = document.pageCount();

    QPdfWriter writer(&out);
    writer.setResolution(int(PdfDpi));
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setTitle(data.title);
    writer.setCreator(
        QStringLiteral("LLM Audit Workbench %1").arg(QStringLiteral(LLMAUDIT_VERSION)));
    QPainter painter;
    if (!painter.begin(&writer))
        return fail(tr("cannot start writing the PDF"), where);
    painter.scale(PdfDpi / LayoutDpi, PdfDpi / LayoutDpi);
    const QSizeF content = g.content();
    for (int page = 0; page < pages; ++page) {
        if (cancel && cancel->load()) {
            painter.end();
            return fail(tr("cancelled"));
        }
        if (progress)
            progress(page + 1, pages);
        if (page > 0)
            writer.newPage();
        painter.save();
        painter.translate(g.left, g.top - page * content.height());
        const QRectF clip(0, page * content.height(), content.width(), content.height());
        painter.setClipRect(clip);
        document.drawContents(&painter, clip);
        painter.restore();
        drawHeaderAndFooter(painter, g, data, page + 1, pages);
    }
    if (!painter.end())
        return fail(tr("cannot finish the PDF"), where);
    return pages;
}

} // namespace

QSize reportChartSize(const ReportData &data, ReportChart chart)
{
    switch (chart) {
    case ReportChart::Models:
        return {ChartWidth, 8 + 22 * int(std::max<size_t>(1, modelBars(data).size()))};
    case ReportChart::Latency:
        return {ChartWidth, 200};
    case ReportChart::Sensitivity: {
        // Room for the legend's lines.
        return {ChartWidth, 28 + 16 + 20 * (1 + int(data.summary.bySensitivity.size()) / 4) + 8};
    }
    }
    return {ChartWidth, 100};
}

QImage reportChartImage(const ReportData &data, ReportChart chart, qreal scale)
{
    const QSize size = reportChartSize(data, chart);
    QImage image((QSizeF(size) * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    p.scale(scale, scale);
    switch (chart) {
    case ReportChart::Models:
        drawHorizontalBars(p, modelBars(data), size.width());
        break;
    case ReportChart::Latency:
        drawColumns(p, latencyBars(data), size);
        break;
    case ReportChart::Sensitivity:
        drawStackedBar(p, data, size);
        break;
    }
    p.end();
    return image;
}

QString reportHtml(const ReportData &data, bool forPdf)
{
    return HtmlWriter(data, forPdf).write();
}

QByteArray reportCsv(const ReportData &data)
{
    // The export's columns (storage/exporter.h), with the report's own beside them: the flag
    // reason after `flagged`, the review after `sensitivity_level`.
    using Column = CsvColumn<ReportRow>;
    using F = std::string (*)(const ReportRow &);
    static const std::vector<Column> columns = [] {
        std::vector<Column> list;
        for (const Column &column : interactionCsvColumns<ReportRow>()) {
            list.push_back(column);
            if (std::string_view(column.name) == "flagged")
                list.push_back(
                    {"flag_reason", F([](const ReportRow &r) { return csvField(r.flagReason); })});
            if (std::string_view(column.name) == "sensitivity_level") {
                list.push_back({"review_status", F([](const ReportRow &r) {
                                    return csvField(toString(r.reviewStatus));
                                })});
                list.push_back({"review_flagged", F([](const ReportRow &r) {
                                    return csvField(r.reviewFlagged ? "true" : "false", false);
                                })});
                list.push_back({"review_flag_reason", F([](const ReportRow &r) {
                                    return csvField(r.reviewFlagReason);
                                })});
                list.push_back({"notes", F([](const ReportRow &r) { return csvNumber(r.notes); })});
            }
        }
        return list;
    }();
    std::string out = csvHeader<ReportRow>(columns);
    for (const ReportRow &r : data.rows)
        out += csvRow<ReportRow>(columns, r);
    return QByteArray::fromStdString(out);
}

Result<int> writeReport(const ReportData &data, ReportFormat format, const QString &path,
                        const PageProgressHandler &progress, const std::atomic<bool> *cancel)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(tr("cannot write the report: %1").arg(file.errorString()), path);
    int pages = 1;
    switch (format) {
    case ReportFormat::Pdf: {
        auto written = writePdf(data, file, path, progress, cancel);
        if (!written) {
            file.cancelWriting();
            return std::unexpected(written.error());
        }
        pages = *written;
        break;
    }
    case ReportFormat::Html:
        file.write(reportHtml(data, false).toUtf8());
        break;
    case ReportFormat::Csv:
        file.write(reportCsv(data));
        break;
    }
    if (cancel && cancel->load()) {
        file.cancelWriting();
        return fail(tr("cancelled"));
    }
    if (!file.commit())
        return fail(tr("cannot write the report: %1").arg(file.errorString()), path);
    return pages;
}

} // namespace llmaudit
