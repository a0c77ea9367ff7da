#include "filterbar.h"

#include "filterlanguage.h"

#include <QAbstractItemView>
#include <QCompleter>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QShortcut>
#include <QStringListModel>
#include <QToolButton>
#include <QVBoxLayout>

namespace llmaudit {

namespace {

const QString HistoryKey = QStringLiteral("filters/history");
const QString SavedKey = QStringLiteral("filters/saved");

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'.';
}

// Colours that read on light and dark palettes.
QColor tint(const QPalette &palette, QColor color)
{
    const QColor base = palette.color(QPalette::Base);
    const double a = base.lightness() < 128 ? 0.35 : 0.22;
    return QColor::fromRgbF(base.redF() * (1 - a) + color.redF() * a,
                            base.greenF() * (1 - a) + color.greenF() * a,
                            base.blueF() * (1 - a) + color.blueF() * a);
}

} // namespace

FilterBar::FilterBar(QWidget *parent)
    : QWidget(parent)
{
    m_edit = new QLineEdit(this);
    m_edit->setPlaceholderText(
        tr("Filter, e.g. latency > 2000 and model in {\"gpt-4o\" \"llama3\"} or text ~ \"refund\""
           "  (Enter applies)"));
    m_edit->setClearButtonEnabled(true);
    QFont mono = m_edit->font();
    mono.setFamily(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::TypeWriter);
    m_edit->setFont(mono);
    m_edit->setToolTip(tr("The filter language is described in docs/filter-language.md.\n"
                          "Ctrl+Space completes field names and operators."));
    m_completions = new QStringListModel(this);
    m_completer = new QCompleter(m_completions, this);
    m_completer->setWidget(m_edit);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setCompletionMode(QCompleter::PopupCompletion);
    m_completer->setMaxVisibleItems(12);
    connect(m_completer, qOverload<const QString &>(&QCompleter::activated), this,
            &FilterBar::insertCompletion);
    connect(m_edit, &QLineEdit::textEdited, this, [this] {
        check();
        updateCompletions();
    });
    connect(m_edit, &QLineEdit::textChanged, this, &FilterBar::check);
    connect(m_edit, &QLineEdit::returnPressed, this, [this] {
        if (!m_completer->popup()->isVisible())
            apply();
    });
    auto *complete = new QShortcut(QKeySequence(tr("Ctrl+Space")), m_edit);
    complete->setContext(Qt::WidgetShortcut);
    connect(complete, &QShortcut::activated, this, [this] { updateCompletions(true); });

    auto *applyButton = new QToolButton(this);
    applyButton->setText(tr("Apply"));
    connect(applyButton, &QToolButton::clicked, this, &FilterBar::apply);
    m_historyButton = new QToolButton(this);
    m_historyButton->setText(tr("Recent"));
    m_historyButton->setToolTip(tr("Filters applied recently"));
    connect(m_historyButton, &QToolButton::clicked, this, &FilterBar::showHistoryMenu);
    m_savedButton = new QToolButton(this);
    m_savedButton->setText(tr("Saved"));
    m_savedButton->setToolTip(tr("Named filters: save the current one, or apply a saved one"));
    connect(m_savedButton, &QToolButton::clicked, this, &FilterBar::showSavedMenu);

    m_message = new QLabel(this);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    m_message->hide();

    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_edit, 1);
    row->addWidget(applyButton);
    row->addWidget(m_historyButton);
    row->addWidget(m_savedButton);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 2);
    layout->setSpacing(2);
    layout->addLayout(row);
    layout->addWidget(m_message);
}

QString FilterBar::text() const
{
    return m_edit->text();
}

void FilterBar::check()
{
    const FilterCheck result = checkFilter(m_edit->text());
    m_valid = result.ok();
    QPalette palette = this->palette();
    const bool empty = m_edit->text().trimmed().isEmpty();
    if (!empty)
        palette.setColor(QPalette::Base,
                         tint(palette, !m_valid                   ? QColor(0xe0, 0x30, 0x30)
                                       : !result.warnings.empty() ? QColor(0xe8, 0xc0, 0x20)
                                                                  : QColor(0x30, 0xb0, 0x40)));
    m_edit->setPalette(palette);
    QString message;
    if (result.error)
        message = result.error->toString();
    else if (!result.warnings.empty())
        message = tr("Warning: %1").arg(result.warnings.front().toString());
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty() && !empty);
}

void FilterBar::apply()
{
    const QString text = m_edit->text().trimmed();
    auto compiled = compileFilter(text);
    if (!compiled) {
        check();
        // Put the cursor where the problem is.
        m_edit->setCursorPosition(int(compiled.error().offset));
        m_edit->setSelection(int(compiled.error().offset), int(compiled.error().length));
        return;
    }
    m_applied = text;
    if (!text.isEmpty()) {
        QStringList recent = history();
        recent.removeAll(text);
        recent.prepend(text);
        while (recent.size() > HistorySize)
            recent.removeLast();
        QSettings().setValue(HistoryKey, recent);
    }
    Q_EMIT filterApplied(text, compiled->expr);
}

void FilterBar::applyText(const QString &text)
{
    m_edit->setText(text);
    apply();
}

void FilterBar::clear()
{
    applyText(QString());
}

QStringList FilterBar::history() const
{
    return QSettings().value(HistoryKey).toStringList();
}

QStringList FilterBar::savedNames() const
{
    QSettings settings;
    settings.beginGroup(SavedKey);
    return settings.childKeys();
}

void FilterBar::saveFilter(const QString &name, const QString &text)
{
    QSettings settings;
    settings.beginGroup(SavedKey);
    settings.setValue(name, text);
}

void FilterBar::showHistoryMenu()
{
    QMenu menu(this);
    const QStringList recent = history();
    for (const QString &text : recent)
        menu.addAction(QString(text).replace(u'&', u"&&"_qs), this,
                       [this, text] { applyText(text); });
    if (recent.isEmpty())
        menu.addAction(tr("No filters applied yet"))->setEnabled(false);
    menu.exec(m_historyButton->mapToGlobal(QPoint(0, m_historyButton->height())));
}

void FilterBar::showSavedMenu()
{
    QMenu menu(this);
    QAction *save = menu.addAction(tr("Save Current Filter…"), this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Save Filter"), tr("Name:"),
                                                   QLineEdit::Normal, QString(), &ok)
                                 .trimmed();
        if (ok && !name.isEmpty())
            saveFilter(name, m_edit->text().trimmed());
    });
    save->setEnabled(m_valid && !m_edit->text().trimmed().isEmpty());
    const QStringList names = savedNames();
    if (!names.isEmpty())
        menu.addSeparator();
    QSettings settings;
    settings.beginGroup(SavedKey);
    for (const QString &name : names) {
        const QString text = settings.value(name).toString();
        QAction *action = menu.addAction(QString(name).replace(u'&', u"&&"_qs), this,
                                         [this, text] { applyText(text); });
        action->setToolTip(text);
    }
    menu.setToolTipsVisible(true);
    menu.exec(m_savedButton->mapToGlobal(QPoint(0, m_savedButton->height())));
}

QStringList FilterBar::completionsAt(const QString &text, int cursor, QString *prefix) const
{
    // The word being typed, then the two tokens before it: "FIELD OP word" offers the field's
    // enum names, "FIELD word" its operators, anything else field names and keywords.
    cursor = std::clamp(cursor, 0, int(text.size()));
    auto tokenBefore = [&](int end, int *start) {
        while (end > 0 && text.at(end - 1).isSpace())
            --end;
        int begin = end;
        const bool word = begin > 0 && isWordChar(text.at(begin - 1));
        while (begin > 0 && !text.at(begin - 1).isSpace() &&
               isWordChar(text.at(begin - 1)) == word && text.at(begin - 1) != u'(')
            --begin;
        *start = begin;
        return text.mid(begin, end - begin);
    };
    auto fieldNamed = [](const QString &name) -> const FilterFieldInfo * {
        for (const auto &f : filterFields())
            if (f.name == name || f.aliases.contains(name))
                return &f;
        return nullptr;
    };
    int start = cursor;
    while (start > 0 && isWordChar(text.at(start - 1)))
        --start;
    *prefix = text.mid(start, cursor - start);
    int previousStart = 0;
    const QString previous = tokenBefore(start, &previousStart);
    if (const FilterFieldInfo *field = fieldNamed(previous))
        return filterOperators(*field);
    int fieldStart = 0;
    if (const FilterFieldInfo *field = fieldNamed(tokenBefore(previousStart, &fieldStart));
        field && !previous.isEmpty() && !field->enumNames.isEmpty())
        return field->enumNames;
    QStringList list;
    for (const auto &f : filterFields())
        list << f.aliases << f.name;
    list << filterKeywords();
    list.removeDuplicates();
    return list;
}

void FilterBar::updateCompletions(bool force)
{
    QString prefix;
    const QStringList list = completionsAt(m_edit->text(), m_edit->cursorPosition(), &prefix);
    m_completions->setStringList(list);
    m_completer->setCompletionPrefix(prefix);
    const bool show =
        (force || !prefix.isEmpty()) && m_completer->completionCount() > 0 &&
        !(m_completer->completionCount() == 1 && m_completer->currentCompletion() == prefix);
    if (show) {
        QRect rect = m_edit->inputMethodQuery(Qt::ImCursorRectangle).toRect();
        rect.setWidth(m_completer->popup()->sizeHintForColumn(0) + 24);
        m_completer->complete(rect);
    } else {
        m_completer->popup()->hide();
    }
}

void FilterBar::insertCompletion(const QString &completion)
{
    QString text = m_edit->text();
    const int cursor = m_edit->cursorPosition();
    int start = cursor;
    while (start > 0 && isWordChar(text.at(start - 1)))
        --start;
    text.replace(start, cursor - start, completion + u' ');
    m_edit->setText(text);
    m_edit->setCursorPosition(start + int(completion.size()) + 1);
}

QString FilterBar::quoted(const QString &value)
{
    QString escaped = value;
    escaped.replace(u'\\', u"\\\\"_qs).replace(u'"', u"\\\""_qs);
    escaped.replace(u'\n', u"\\n"_qs).replace(u'\r', u"\\r"_qs).replace(u'\t', u"\\t"_qs);
    return u'"' + escaped + u'"';
}

} // namespace llmaudit
