#include "detailpane.h"

#include "logcodec.h"
#include "logschema.h"
#include "richtextwriter.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSyntaxHighlighter>
#include <QTabWidget>
#include <QTextBlock>
#include <QTextFrame>
#include <QToolButton>
#include <QVBoxLayout>

#include <set>

namespace llmaudit {

using nlohmann::json;

// Where the time of one interaction went: embedding, retrieval, the model call and the rest.
class TimingBar : public QWidget
{
public:
    struct Segment
    {
        QString name;
        qint64 ms;
        QColor color;
    };

    explicit TimingBar(QWidget *parent = nullptr)
        : QWidget(parent)
    {
        setMinimumHeight(fontMetrics().height() * 2 + 10);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }

    void setSegments(std::vector<Segment> segments, qint64 totalMs)
    {
        m_segments = std::move(segments);
        m_total = totalMs;
        setVisible(m_total > 0);
        update();
    }

    const std::vector<Segment> &segments() const { return m_segments; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        if (m_total <= 0)
            return;
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const int barHeight = fontMetrics().height();
        const QRectF bar(0.5, 0.5, width() - 1.0, barHeight);
        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(palette().color(QPalette::Base));
        p.drawRoundedRect(bar, 3, 3);
        double x = bar.left();
        int legendX = 0;
        const int legendY = barHeight + 4 + fontMetrics().ascent();
        for (const auto &s : m_segments) {
            const double w = bar.width() * double(s.ms) / double(m_total);
            if (w > 0.5) {
                p.setPen(Qt::NoPen);
                p.setBrush(s.color);
                p.drawRect(QRectF(x, bar.top() + 1, w, bar.height() - 1));
            }
            x += w;
            const QString label = QStringLiteral("%1 %2 ms").arg(s.name).arg(s.ms);
            p.setBrush(s.color);
            p.drawRect(legendX, legendY - fontMetrics().ascent() + 2, 10, 10);
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(legendX + 14, legendY, label);
            legendX += 14 + fontMetrics().horizontalAdvance(label) + 16;
        }
        const QString total = tr("total %1 ms").arg(m_total);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(width() - fontMetrics().horizontalAdvance(total) - 2, legendY, total);
    }

private:
    std::vector<Segment> m_segments;
    qint64 m_total = 0;
};

namespace {

// Colours JSON: keys, strings, numbers and literals. By pattern, line by line: the text is the
// pretty-printed record, one value per line, so no parser state spans lines.
class JsonHighlighter : public QSyntaxHighlighter
{
public:
    using QSyntaxHighlighter::QSyntaxHighlighter;

protected:
    void highlightBlock(const QString &text) override
    {
        static const QRegularExpression token(QStringLiteral(
            R"re(("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b)re"));
        const bool dark = QApplication::palette().color(QPalette::Base).lightness() < 128;
        QTextCharFormat key, string, number, literal;
        key.setForeground(dark ? QColor(0x9c, 0xdc, 0xfe) : QColor(0x0b, 0x4f, 0x8a));
        key.setFontWeight(QFont::DemiBold);
        string.setForeground(dark ? QColor(0xce, 0x91, 0x78) : QColor(0xa3, 0x15, 0x15));
        number.setForeground(dark ? QColor(0xb5, 0xce, 0xa8) : QColor(0x09, 0x86, 0x58));
        literal.setForeground(dark ? QColor(0x56, 0x9c, 0xd6) : QColor(0x00, 0x00, 0xff));
        for (auto it = token.globalMatch(text); it.hasNext();) {
            const auto m = it.next();
            if (m.capturedLength(1))
                setFormat(m.capturedStart(1), m.capturedLength(1),
                          m.capturedLength(2) ? key : string);
            else if (m.capturedLength(3))
                setFormat(m.capturedStart(3), m.capturedLength(3), number);
            else
                setFormat(m.capturedStart(4), m.capturedLength(4), literal);
        }
    }
};

QString str(const json &value)
{
    if (value.is_string())
        return QString::fromStdString(value.get<std::string>());
    if (value.is_null())
        return QString();
    return QString::fromStdString(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

// An array of strings as "a, b, c"; anything else as str().
QString list(const json &value)
{
    if (!value.is_array())
        return str(value);
    QStringList items;
    for (const auto &item : value)
        items << str(item);
    return items.join(u", "_qs);
}

const json *at(const json &doc, const char *pointer)
{
    const json::json_pointer p(pointer);
    return doc.contains(p) ? &doc.at(p) : nullptr;
}

QString scores(const json &evaluation, std::initializer_list<const char *> keys)
{
    QStringList parts;
    for (const char *key : keys)
        if (evaluation.contains(key) && evaluation[key].is_number())
            parts << QStringLiteral("%1 %2")
                         .arg(QString::fromUtf8(key).chopped(6).replace(u'_', u' '))
                         .arg(evaluation[key].get<double>(), 0, 'f', 2);
    return parts.join(u"  ·  "_qs);
}

} // namespace

DetailPane::DetailPane(QWidget *parent)
    : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_subtitle = new QLabel(this);
    m_subtitle->setTextFormat(Qt::PlainText);
    m_subtitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_timing = new TimingBar(this);
    m_timing->hide();

    m_overview = new InertTextBrowser(this);
    m_overview->setFrameShape(QFrame::NoFrame);
    m_json = new QPlainTextEdit(this);
    m_json->setReadOnly(true);
    m_json->setFrameShape(QFrame::NoFrame);
    m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new JsonHighlighter(m_json->document());
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_overview, tr("Interaction"));
    m_tabs->addTab(m_json, tr("JSON"));

    m_markdownToggle = new QToolButton(this);
    m_markdownToggle->setText(tr("Markdown"));
    m_markdownToggle->setToolTip(tr("Show the response rendered as Markdown, or as raw text"));
    m_markdownToggle->setCheckable(true);
    m_markdownToggle->setChecked(m_markdown);
    connect(m_markdownToggle, &QToolButton::toggled, this, &DetailPane::setRendersMarkdown);
    m_tabs->setCornerWidget(m_markdownToggle, Qt::TopRightCorner);

    auto addCopy = [this](const QString &text, const QString &what, auto get) {
        auto *action = new QAction(text, this);
        connect(action, &QAction::triggered, this, [this, what, get] { copy(what, get()); });
        m_copyActions << action;
    };
    addCopy(tr("Copy Interaction ID"), tr("interaction id"),
            [this] { return fieldText("/interaction_id"); });
    addCopy(tr("Copy Prompt"), tr("prompt"), [this] { return fieldText("/request/prompt"); });
    addCopy(tr("Copy Response"), tr("response"), [this] { return fieldText("/response/content"); });
    addCopy(tr("Copy JSON"), tr("JSON"), [this] { return jsonText(); });
    auto *copyButton = new QToolButton(this);
    copyButton->setText(tr("Copy"));
    copyButton->setPopupMode(QToolButton::InstantPopup);
    copyButton->addActions(m_copyActions);
    copyButton->setEnabled(false);

    auto *header = new QHBoxLayout;
    auto *titles = new QVBoxLayout;
    titles->addWidget(m_title);
    titles->addWidget(m_subtitle);
    header->addLayout(titles, 1);
    header->addWidget(copyButton, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 0);
    layout->addLayout(header);
    layout->addWidget(m_timing);
    layout->addWidget(m_tabs, 1);
    m_copyButton = copyButton;
    showMessage(tr("Select an interaction to see it here."));
}

void DetailPane::showMessage(const QString &text)
{
    m_document = json();
    m_stored = {};
    m_review.reset();
    m_notes.clear();
    m_title->setText(text);
    m_subtitle->clear();
    m_timing->hide();
    m_overview->clear();
    m_json->clear();
    m_copyButton->setEnabled(false);
}

void DetailPane::setReview(qint64 rowId, const ReviewState &state,
                           const std::vector<ReviewNote> &notes)
{
    if (rowId != m_stored.rowId || m_stored.document.empty())
        return;
    m_review = state;
    m_notes = notes;
    render();
}

void DetailPane::setInteraction(const StoredInteraction &interaction)
{
    if (interaction.rowId != m_stored.rowId) {
        m_review.reset();
        m_notes.clear();
    }
    m_stored = interaction;
    m_document = json::parse(interaction.document, nullptr, false);
    m_copyButton->setEnabled(true);
    render();
}

void DetailPane::setRendersMarkdown(bool on)
{
    if (m_markdown == on)
        return;
    m_markdown = on;
    m_markdownToggle->setChecked(on);
    if (!m_stored.document.empty())
        render();
}

QString DetailPane::fieldText(const char *pointer) const
{
    const json *value = at(m_document, pointer);
    return value ? str(*value) : QString();
}

void DetailPane::copy(const QString &what, const QString &text)
{
    QApplication::clipboard()->setText(text);
    Q_EMIT copied(what);
}

QString DetailPane::overviewText() const
{
    return m_overview->toPlainText();
}

QString DetailPane::jsonText() const
{
    if (m_document.is_discarded())
        return QString::fromStdString(m_stored.document);
    return QString::fromStdString(m_document.dump(2, ' ', false, json::error_handler_t::replace));
}

void DetailPane::render()
{
    const int scroll = m_overview->verticalScrollBar()->value();
    m_overview->clear();
    const QString jsonText = this->jsonText();
    m_json->setPlainText(RichTextWriter::cut(jsonText));
    if (m_document.is_discarded() || !m_document.is_object()) {
        m_title->setText(tr("This record is not valid JSON; the JSON tab shows it as stored."));
        m_subtitle->clear();
        m_timing->hide();
        m_tabs->setCurrentWidget(m_json);
        return;
    }
    const json &doc = m_document;
    const json empty = json::object();
    auto object = [&](const char *key) -> const json & {
        return doc.contains(key) && doc[key].is_object() ? doc[key] : empty;
    };
    const json &request = object("request");
    const json &response = object("response");
    const json &metrics = object("metrics");
    const json &evaluation = object("evaluation");
    const json &security = object("security");

    QString when = fieldText("/timestamp");
    if (auto ms = LogSchema::parseDateTime(when.toStdString()))
        when = QDateTime::fromMSecsSinceEpoch(*ms).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_qs);
    QString model = fieldText("/response/model");
    if (model.isEmpty())
        model = fieldText("/request/parameters/model");
    m_title->setText(
        QStringLiteral("%1  ·  %2").arg(when, model.isEmpty() ? tr("(no model)") : model));
    m_subtitle->setText(
        tr("user %1  ·  session %2  ·  %3")
            .arg(fieldText("/user_id"), fieldText("/session_id"), fieldText("/interaction_id")));

    auto ms = [&](const char *key) -> qint64 {
        return metrics.contains(key) && metrics[key].is_number() ? metrics[key].get<qint64>() : 0;
    };
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    std::vector<TimingBar::Segment> segments;
    qint64 parts = 0;
    auto addSegment = [&](const QString &name, qint64 value, QColor color) {
        if (value > 0) {
            segments.push_back({name, value, dark ? color.darker(130) : color});
            parts += value;
        }
    };
    addSegment(tr("embedding"), ms("embedding_time_ms"), QColor(0x8e, 0xc0, 0xe4));
    addSegment(tr("retrieval"), ms("retrieval_time_ms"), QColor(0xf2, 0xb4, 0x6d));
    addSegment(tr("LLM"), ms("llm_time_ms"), QColor(0x86, 0xc9, 0x8a));
    const qint64 total = std::max(ms("latency_ms"), parts);
    addSegment(tr("other"), total - parts, QColor(0xc8, 0xc8, 0xc8));
    m_timing->setSegments(std::move(segments), total);

    RichTextWriter w(m_overview->document());
    if (m_review && (m_review->updatedMs != 0 || !m_notes.empty() || m_review->held)) {
        auto time = [](int64_t ms) {
            return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm"_qs);
        };
        w.heading(tr("Review"));
        w.field(tr("Status"), QString::fromUtf8(toString(m_review->status)));
        if (m_review->flagged)
            w.field(tr("Flagged by the reviewer"),
                    m_review->flagReason.empty() ? tr("(no reason given)")
                                                 : QString::fromStdString(m_review->flagReason));
        if (m_review->held)
            w.field(tr("Legal hold"),
                    tr("since %1 by %2%3 (never purged while held)")
                        .arg(time(m_review->heldMs), QString::fromStdString(m_review->heldBy),
                             m_review->holdReason.empty()
                                 ? QString()
                                 : u": "_qs + QString::fromStdString(m_review->holdReason)));
        if (m_review->updatedMs != 0)
            w.field(tr("Last change"), tr("%1, %2").arg(QString::fromStdString(m_review->reviewer),
                                                        time(m_review->updatedMs)));
        for (const ReviewNote &note : m_notes) {
            w.label(
                tr("Note by %1, %2").arg(QString::fromStdString(note.author), time(note.timeMs)));
            w.box(QString::fromStdString(note.text));
        }
    }
    w.heading(tr("Request"));
    if (request.contains("system_prompt")) {
        w.label(tr("System prompt"));
        w.box(str(request["system_prompt"]));
    }
    if (request.contains("messages") && request["messages"].is_array()) {
        w.label(tr("Messages sent (%n)", nullptr, int(request["messages"].size())));
        for (const auto &message : request["messages"]) {
            if (!message.is_object())
                continue;
            QString text;
            const json content = message.value("content", json());
            if (content.is_array()) {
                QStringList pieces;
                for (const auto &part : content)
                    pieces << (part.is_object() && part.value("type", "") == "text"
                                   ? str(part.value("text", json()))
                                   : str(part));
                text = pieces.join(u'\n');
            } else {
                text = str(content);
            }
            w.label(
                str(message.value("role", json())) +
                (message.contains("name") ? u" ("_qs + str(message["name"]) + u')' : QString()));
            w.box(text);
        }
    }
    if (request.contains("prompt")) {
        w.label(tr("Prompt"));
        w.box(str(request["prompt"]));
    }
    if (request.contains("parameters") && request["parameters"].is_object() &&
        !request["parameters"].empty()) {
        w.label(tr("Parameters"));
        for (const auto &[key, value] : request["parameters"].items())
            w.field(QString::fromStdString(key), str(value));
    }

    if (request.contains("context") && request["context"].is_array() &&
        !request["context"].empty()) {
        const json &context = request["context"];
        w.heading(tr("Context documents (%n)", nullptr, int(context.size())));
        int n = 0;
        for (const auto &item : context) {
            ++n;
            QString title = tr("#%1").arg(n);
            if (item.is_object() && item.contains("source"))
                title += u"  "_qs + str(item["source"]);
            w.label(title);
            if (!item.is_object()) {
                w.box(str(item));
                continue;
            }
            if (item.contains("metadata") && item["metadata"].is_object())
                for (const auto &[key, value] : item["metadata"].items())
                    w.field(QString::fromStdString(key), str(value));
            if (item.contains("content"))
                w.box(str(item["content"]));
        }
    }

    w.heading(tr("Response"));
    w.box(str(response.value("content", json())), m_markdown);
    w.field(tr("Finish reason"), str(response.value("finish_reason", json())));
    w.field(tr("Response id"), str(response.value("id", json())));
    w.field(tr("System fingerprint"), str(response.value("system_fingerprint", json())));

    if (!metrics.empty() || response.contains("completion_tokens")) {
        w.heading(tr("Metrics"));
        auto number = [&](const json &o, const char *key) {
            return o.contains(key) ? str(o[key]) : QString();
        };
        w.field(tr("Tokens (prompt / completion / total)"),
                QStringLiteral("%1 / %2 / %3")
                    .arg(number(metrics, "prompt_tokens"), number(response, "completion_tokens"),
                         number(metrics, "total_tokens")));
        w.field(tr("Latency"), number(metrics, "latency_ms") + tr(" ms"));
        for (const auto &[key, value] : metrics.items())
            if (key != "prompt_tokens" && key != "total_tokens" && key != "latency_ms")
                w.field(QString::fromStdString(key), str(value));
    }

    if (!evaluation.empty()) {
        w.heading(tr("Evaluation"));
        w.field(tr("Scores"),
                scores(evaluation, {"relevance_score", "quality_score", "security_score"}));
        if (evaluation.contains("flagged"))
            w.field(tr("Flagged"), evaluation["flagged"] == true ? tr("yes") : tr("no"));
        w.field(tr("Flag reason"), str(evaluation.value("flag_reason", json())));
        for (const auto &[key, value] : evaluation.items())
            if (key != "relevance_score" && key != "quality_score" && key != "security_score" &&
                key != "flagged" && key != "flag_reason")
                w.field(QString::fromStdString(key), str(value));
    }

    if (!security.empty()) {
        w.heading(tr("Security"));
        for (const auto &[key, value] : security.items())
            w.field(QString::fromStdString(key).replace(u'_', u' '),
                    value.is_array() && value.empty() ? tr("none") : list(value));
    }

    w.heading(tr("Record"));
    static const std::set<std::string> shown = {"request", "response", "metrics", "evaluation",
                                                "security"};
    for (const auto &[key, value] : doc.items())
        if (!shown.contains(key))
            w.field(QString::fromStdString(key), list(value));
    w.field(tr("Imported from"), QString::fromStdString(m_stored.source));
    if (m_stored.ingestedMs > 0)
        w.field(tr("Imported at"), QDateTime::fromMSecsSinceEpoch(m_stored.ingestedMs)
                                       .toString(u"yyyy-MM-dd HH:mm:ss"_qs));
    m_overview->verticalScrollBar()->setValue(scroll);
}

} // namespace llmaudit
