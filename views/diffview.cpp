#include "diffview.h"

#include "logcodec.h"

#include <QButtonGroup>
#include <QEvent>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPaintEvent>
#include <QPainter>
#include <QPlainTextEdit>
#include <QResizeEvent>
#include <QScrollBar>
#include <QShortcut>
#include <QSplitter>
#include <QStyle>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

namespace llmaudit {

namespace {

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t),
                            float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightnessF() < 0.5;
}

// Tints over the palette's base colour, so that they read on light and dark themes alike and
// the palette's text colour stays legible on them.
struct Tints
{
    QColor deletedLine, deletedWord, insertedLine, insertedWord, filler, gutterText, accent;

    explicit Tints(const QPalette &palette)
    {
        const QColor base = palette.color(QPalette::Base);
        const bool dark = isDark(palette);
        const QColor red = dark ? QColor(255, 90, 90) : QColor(215, 40, 40);
        const QColor green = dark ? QColor(80, 220, 110) : QColor(30, 160, 60);
        deletedLine = mix(base, red, dark ? 0.16 : 0.10);
        deletedWord = mix(base, red, dark ? 0.42 : 0.32);
        insertedLine = mix(base, green, dark ? 0.16 : 0.10);
        insertedWord = mix(base, green, dark ? 0.42 : 0.32);
        filler = mix(base, palette.color(QPalette::Text), 0.06);
        gutterText = mix(base, palette.color(QPalette::Text), 0.5);
        accent = palette.color(QPalette::Highlight);
    }
};

QString optionalNumber(std::optional<int64_t> value)
{
    return value ? QString::number(*value) : QStringLiteral("–");
}

QString signedNumber(int64_t value)
{
    return value > 0 ? QStringLiteral("+%1").arg(value) : QString::number(value);
}

QString score(std::optional<double> value)
{
    return value ? QString::number(*value, 'f', 3) : QStringLiteral("n/a");
}

QString details(const ComparedInteraction &side)
{
    QStringList parts;
    parts << (side.model.empty() ? QStringLiteral("no model") : DiffView::shownText(side.model));
    if (!side.finishReason.empty())
        parts << QStringLiteral("finish: %1").arg(DiffView::shownText(side.finishReason));
    parts << QStringLiteral("tokens %1 + %2 = %3")
                 .arg(optionalNumber(side.promptTokens), optionalNumber(side.completionTokens),
                      optionalNumber(side.totalTokens));
    parts << QStringLiteral("latency %1 ms").arg(optionalNumber(side.latencyMs));
    if (!side.timestamp.empty())
        parts << DiffView::shownText(side.timestamp);
    return parts.join(QStringLiteral("  ·  "));
}

QLabel *plainLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

// One side: a read-only text pane with the rows' line numbers in a gutter on its left.
class DiffPane : public QPlainTextEdit
{
public:
    explicit DiffPane(QWidget *parent)
        : QPlainTextEdit(parent)
        , m_gutter(new Gutter(this))
    {
        setReadOnly(true);
        setUndoRedoEnabled(false);
        setLineWrapMode(QPlainTextEdit::NoWrap);
        setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
        connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect &rect, int dy) {
            if (dy != 0)
                m_gutter->scroll(0, dy);
            else
                m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
        });
    }

    // Line numbers by row (0 for a filler) and the rows of the current change.
    void setNumbers(std::vector<int64_t> numbers)
    {
        m_numbers = std::move(numbers);
        int64_t largest = 1;
        for (auto n : m_numbers)
            largest = std::max(largest, n);
        const int digits = static_cast<int>(QString::number(largest).size());
        m_gutterWidth = 12 + fontMetrics().horizontalAdvance(u'9') * std::max(digits, 2);
        setViewportMargins(m_gutterWidth, 0, 0, 0);
        m_gutter->update();
    }

    void setCurrentRows(int first, int count)
    {
        m_currentFirst = first;
        m_currentCount = count;
        m_gutter->update();
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QPlainTextEdit::resizeEvent(event);
        const QRect area = contentsRect();
        m_gutter->setGeometry(area.left(), area.top(), m_gutterWidth, area.height());
    }

private:
    class Gutter : public QWidget
    {
    public:
        explicit Gutter(DiffPane *pane)
            : QWidget(pane)
            , m_pane(pane)
        {}

    protected:
        void paintEvent(QPaintEvent *event) override { m_pane->paintGutter(event->rect()); }

    private:
        DiffPane *m_pane;
    };

    void paintGutter(const QRect &area)
    {
        QPainter painter(m_gutter);
        const Tints tints(palette());
        painter.fillRect(area, tints.filler);
        painter.setFont(font());
        QTextBlock block = firstVisibleBlock();
        int row = block.blockNumber();
        qreal top = blockBoundingGeometry(block).translated(contentOffset()).top();
        const int lineHeight = fontMetrics().height();
        while (block.isValid() && top <= area.bottom()) {
            const int y = qRound(top);
            if (row >= m_currentFirst && row < m_currentFirst + m_currentCount)
                painter.fillRect(0, y, 3, qRound(blockBoundingRect(block).height()), tints.accent);
            if (size_t(row) < m_numbers.size() && m_numbers[size_t(row)] > 0) {
                painter.setPen(tints.gutterText);
                painter.drawText(0, y, m_gutterWidth - 6, lineHeight, Qt::AlignRight,
                                 QString::number(m_numbers[size_t(row)]));
            }
            top += blockBoundingRect(block).height();
            block = block.next();
            ++row;
        }
    }

    Gutter *m_gutter;
    std::vector<int64_t> m_numbers;
    int m_gutterWidth = 0;
    int m_currentFirst = -1;
    int m_currentCount = 0;
};

DiffView::DiffView(QWidget *parent)
    : QWidget(parent)
{
    // The strip: scores on the left, mode and navigation on the right.
    m_scores = new QWidget(this);
    m_scores->setObjectName(QStringLiteral("diffScores"));
    auto *scoresLayout = new QHBoxLayout(m_scores);
    scoresLayout->setContentsMargins(0, 0, 0, 0);
    scoresLayout->setSpacing(6);

    auto *modes = new QButtonGroup(this);
    auto modeButton = [&](const QString &text, const QString &tip) {
        auto *button = new QToolButton(this);
        button->setText(text);
        button->setToolTip(tip);
        button->setCheckable(true);
        button->setAutoRaise(true);
        modes->addButton(button);
        return button;
    };
    m_words = modeButton(tr("Words"), tr("Highlight the changed words"));
    m_lines = modeButton(tr("Lines"), tr("Highlight whole changed lines"));
    m_words->setChecked(true);
    connect(m_words, &QAbstractButton::toggled, this,
            [this](bool on) { setMode(on ? DiffMode::Words : DiffMode::Lines); });

    m_previous = new QToolButton(this);
    m_previous->setIcon(style()->standardIcon(QStyle::SP_ArrowUp));
    m_previous->setToolTip(tr("Previous change (Alt+Up)"));
    m_previous->setAutoRaise(true);
    m_next = new QToolButton(this);
    m_next->setIcon(style()->standardIcon(QStyle::SP_ArrowDown));
    m_next->setToolTip(tr("Next change (Alt+Down)"));
    m_next->setAutoRaise(true);
    connect(m_previous, &QToolButton::clicked, this, &DiffView::previousChange);
    connect(m_next, &QToolButton::clicked, this, &DiffView::nextChange);
    for (auto [key, slot] : {std::pair{Qt::Key_Up, &DiffView::previousChange},
                             std::pair{Qt::Key_Down, &DiffView::nextChange}}) {
        auto *shortcut = new QShortcut(QKeySequence(Qt::ALT | key), this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, slot);
    }
    m_position = plainLabel(this);
    m_position->setMinimumWidth(
        fontMetrics().horizontalAdvance(QStringLiteral("Change 888 of 888")));
    m_position->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto *strip = new QHBoxLayout;
    strip->addWidget(m_scores, 1);
    strip->addWidget(m_words);
    strip->addWidget(m_lines);
    strip->addSpacing(8);
    strip->addWidget(m_previous);
    strip->addWidget(m_next);
    strip->addWidget(m_position);

    m_limits = plainLabel(this);
    m_limits->setWordWrap(true);
    m_limits->hide();

    // The two sides, each with its header, in a splitter.
    auto side = [this](QLabel *&title, QLabel *&detailsLabel, DiffPane *&pane) {
        auto *box = new QWidget(this);
        auto *layout = new QVBoxLayout(box);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->setSpacing(2);
        title = plainLabel(box);
        QFont bold = title->font();
        bold.setBold(true);
        title->setFont(bold);
        detailsLabel = plainLabel(box);
        pane = new DiffPane(box);
        layout->addWidget(title);
        layout->addWidget(detailsLabel);
        layout->addWidget(pane, 1);
        return box;
    };
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(side(m_titleA, m_detailsA, m_left));
    splitter->addWidget(side(m_titleB, m_detailsB, m_right));

    // Scrolled together: the rows are aligned one block each, so equal values match.
    for (auto [from, to] : {std::pair{m_left, m_right}, std::pair{m_right, m_left}}) {
        connect(from->verticalScrollBar(), &QScrollBar::valueChanged, to->verticalScrollBar(),
                &QScrollBar::setValue);
        connect(from->horizontalScrollBar(), &QScrollBar::valueChanged, to->horizontalScrollBar(),
                &QScrollBar::setValue);
    }

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(strip);
    layout->addWidget(m_limits);
    layout->addWidget(splitter, 1);
    clear();
}

DiffView::~DiffView() = default;

QPlainTextEdit *DiffView::leftPane() const
{
    return m_left;
}

QPlainTextEdit *DiffView::rightPane() const
{
    return m_right;
}

QString DiffView::shownText(std::string_view text)
{
    // visible() writes tabs as <U+0009>; in a pane they may stay.
    QString shown;
    size_t start = 0;
    for (;;) {
        const size_t tab = text.find('\t', start);
        shown += QString::fromStdString(visible(text.substr(start, tab - start)));
        if (tab == std::string_view::npos)
            break;
        shown += u'\t';
        start = tab + 1;
    }
    // A line or paragraph separator would break the line and the rows' alignment with it.
    shown.replace(QChar(QChar::LineSeparator), QStringLiteral("<U+2028>"));
    shown.replace(QChar(QChar::ParagraphSeparator), QStringLiteral("<U+2029>"));
    return shown;
}

void DiffView::setComparison(const Comparison &comparison)
{
    m_titleA->setText(tr("A  %1").arg(shownText(comparison.a.interactionId)));
    m_titleB->setText(
        comparison.b.replayOf.empty()
            ? tr("B  %1").arg(shownText(comparison.b.interactionId))
            : tr("B  %1  (replay of %2)")
                  .arg(shownText(comparison.b.interactionId), shownText(comparison.b.replayOf)));
    m_detailsA->setText(details(comparison.a));
    m_detailsB->setText(details(comparison.b));
    m_detailsA->show();
    m_detailsB->show();
    m_diff = comparison.responseDiff;
    showScores(comparison.response);

    // The interaction-level numbers join the text scores.
    auto *layout = static_cast<QHBoxLayout *>(m_scores->layout());
    auto chip = [&](const QString &text, bool changed) {
        auto *label = plainLabel(m_scores);
        label->setText(text);
        label->setProperty("changed", changed);
        layout->insertWidget(layout->count() - 1, label);
    };
    auto delta = [](std::optional<int64_t> value, const QString &unit) {
        return value ? signedNumber(*value) + unit : QStringLiteral("–");
    };
    chip(tr("Δ tokens %1").arg(delta(comparison.totalTokensDelta, QString())),
         comparison.totalTokensDelta.value_or(0) != 0);
    chip(tr("Δ latency %1").arg(delta(comparison.latencyMsDelta, QStringLiteral(" ms"))),
         comparison.latencyMsDelta.value_or(0) != 0);
    if (comparison.finishReasonChanged)
        chip(tr("finish %1 → %2")
                 .arg(shownText(comparison.a.finishReason), shownText(comparison.b.finishReason)),
             true);
    if (comparison.modelChanged)
        chip(tr("model %1 → %2").arg(shownText(comparison.a.model), shownText(comparison.b.model)),
             true);
    if (!comparison.prompt.exactMatch)
        chip(tr("prompt differs"), true);
    if (!comparison.limits.empty()) {
        QStringList notes;
        for (const auto &limit : comparison.limits)
            notes << QString::fromStdString(limit);
        m_limits->setText(tr("Not everything was compared: %1").arg(notes.join(u"; ")));
        m_limits->show();
    }
    render();
}

void DiffView::setTexts(std::string_view a, std::string_view b, const QString &labelA,
                        const QString &labelB)
{
    m_titleA->setText(labelA.isEmpty() ? tr("A") : labelA);
    m_titleB->setText(labelB.isEmpty() ? tr("B") : labelB);
    m_detailsA->hide();
    m_detailsB->hide();
    m_diff = diffTexts(a, b);
    const TextScores scores = scoreTexts(a, b);
    showScores(scores);
    std::vector<std::string> limits = scores.limits;
    limits.insert(limits.end(), m_diff.limits.begin(), m_diff.limits.end());
    if (!limits.empty()) {
        QStringList notes;
        for (const auto &limit : limits)
            notes << QString::fromStdString(limit);
        m_limits->setText(tr("Not everything was compared: %1").arg(notes.join(u"; ")));
        m_limits->show();
    }
    render();
}

void DiffView::clear()
{
    m_titleA->setText(tr("A"));
    m_titleB->setText(tr("B"));
    m_detailsA->clear();
    m_detailsB->clear();
    m_diff = {};
    showScores({});
    render();
}

void DiffView::showScores(const TextScores &scores)
{
    auto *layout = static_cast<QHBoxLayout *>(m_scores->layout());
    while (QLayoutItem *item = layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_limits->hide();
    auto chip = [&](const QString &text, const QString &tip, bool changed = false) {
        auto *label = plainLabel(m_scores);
        label->setText(text);
        label->setToolTip(tip);
        label->setProperty("changed", changed);
        layout->addWidget(label);
    };
    chip(scores.exactMatch ? tr("identical") : tr("different"),
         tr("Whether the two texts are byte for byte the same"), !scores.exactMatch);
    chip(tr("similarity %1").arg(score(scores.editSimilarity)),
         tr("1 − Levenshtein distance / longer length, over characters"));
    chip(tr("Jaccard %1").arg(score(scores.tokenJaccard)),
         tr("Shared distinct words / all distinct words (case-folded)"));
    chip(tr("ROUGE-L %1").arg(score(scores.rougeL)),
         tr("F1 of the longest common word subsequence (case-folded)"));
    chip(tr("Δ length %1 chars, %2 words")
             .arg(signedNumber(scores.charDelta()), signedNumber(scores.tokenDelta())),
         tr("B − A: %1 → %2 characters, %3 → %4 words")
             .arg(scores.charsA)
             .arg(scores.charsB)
             .arg(scores.tokensA)
             .arg(scores.tokensB),
         scores.charDelta() != 0);
    layout->addStretch(1);
    // Chips: framed, palette colours; changed values in the highlight colour.
    m_scores->setStyleSheet(QStringLiteral(
        "#diffScores QLabel { border: 1px solid palette(mid); border-radius: 3px;"
        " padding: 1px 6px; background: palette(alternate-base); }"
        "#diffScores QLabel[changed=\"true\"] { border-color: palette(highlight); }"));
}

QString DiffView::scoresText() const
{
    QStringList parts;
    for (auto *label : m_scores->findChildren<QLabel *>(Qt::FindDirectChildrenOnly))
        parts << label->text();
    return parts.join(QStringLiteral(" | "));
}

void DiffView::setMode(DiffMode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    (mode == DiffMode::Words ? m_words : m_lines)->setChecked(true);
    const int scroll = m_left->verticalScrollBar()->value();
    render();
    m_left->verticalScrollBar()->setValue(scroll);
}

void DiffView::render()
{
    const Tints tints(palette());
    const bool words = m_mode == DiffMode::Words;
    for (DiffPane *pane : {m_left, m_right}) {
        const bool left = pane == m_left;
        const QColor lineTint = left ? tints.deletedLine : tints.insertedLine;
        const QColor wordTint = left ? tints.deletedWord : tints.insertedWord;
        const DiffOp changedOp = left ? DiffOp::Delete : DiffOp::Insert;
        pane->clear();
        QTextCursor cursor(pane->document());
        cursor.beginEditBlock();
        std::vector<int64_t> numbers;
        numbers.reserve(m_diff.rows.size());
        QTextCharFormat plain;
        QTextCharFormat changed;
        changed.setBackground(wordTint);
        for (size_t r = 0; r < m_diff.rows.size(); ++r) {
            const DiffRow &row = m_diff.rows[r];
            const DiffLine &line = left ? row.left : row.right;
            QTextBlockFormat block;
            if (line.isFiller())
                block.setBackground(tints.filler);
            else if (row.changed)
                block.setBackground(words ? lineTint : wordTint);
            if (r == 0)
                cursor.setBlockFormat(block);
            else
                cursor.insertBlock(block, plain);
            numbers.push_back(line.number);
            for (const auto &segment : line.segments)
                cursor.insertText(shownText(segment.text),
                                  words && segment.op == changedOp ? changed : plain);
        }
        cursor.endEditBlock();
        pane->setNumbers(std::move(numbers));
    }
    m_current = -1;
    m_left->setCurrentRows(-1, 0);
    m_right->setCurrentRows(-1, 0);
    updateNavigation();
}

void DiffView::showChange(int index)
{
    if (index < 0 || index >= changeCount())
        return;
    m_current = index;
    const DiffChange &change = m_diff.changes[size_t(index)];
    for (DiffPane *pane : {m_left, m_right}) {
        pane->setCurrentRows(change.firstRow, change.rowCount);
        QTextCursor cursor(pane->document()->findBlockByNumber(change.firstRow));
        pane->setTextCursor(cursor);
    }
    // A few rows of context above the change.
    m_left->verticalScrollBar()->setValue(std::max(0, change.firstRow - 3));
    updateNavigation();
    Q_EMIT currentChangeChanged(m_current, changeCount());
}

void DiffView::nextChange()
{
    showChange(std::min(m_current + 1, changeCount() - 1));
}

void DiffView::previousChange()
{
    showChange(std::max(m_current - 1, 0));
}

void DiffView::updateNavigation()
{
    const int count = changeCount();
    m_previous->setEnabled(count > 0 && m_current > 0);
    m_next->setEnabled(count > 0 && m_current < count - 1);
    if (count == 0)
        m_position->setText(m_diff.rows.empty() ? QString() : tr("No differences"));
    else if (m_current < 0)
        m_position->setText(tr("%n change(s)", nullptr, count));
    else
        m_position->setText(tr("Change %1 of %2").arg(m_current + 1).arg(count));
}

void DiffView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_left) {
        const int current = m_current;
        const int scroll = m_left->verticalScrollBar()->value();
        render();
        m_left->verticalScrollBar()->setValue(scroll);
        if (current >= 0)
            showChange(current);
    }
}

} // namespace llmaudit
