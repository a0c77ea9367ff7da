#pragma once

// Writes log text into a QTextDocument through a cursor: headings, "label: value" fields, boxed
// blocks and links of our own. Every piece of log text goes in through insertText, or as
// Markdown with HTML switched off; never as HTML.

#include <QColor>
#include <QTextBrowser>
#include <QTextCursor>

namespace llmaudit {

// A text browser that never loads anything: log text may hold Markdown images and links, which
// must neither fetch a file or URL nor navigate anywhere. Images show as a small grey square;
// links of our own arrive by anchorClicked().
class InertTextBrowser : public QTextBrowser
{
    Q_OBJECT

public:
    explicit InertTextBrowser(QWidget *parent = nullptr);
    QVariant loadResource(int type, const QUrl &name) override;
};

class RichTextWriter
{
public:
    // Longer texts are cut (copy actions still give all): laying out megabytes of text would
    // stall the window.
    static constexpr qsizetype MaxShownChars = 200'000;
    static QString cut(const QString &text);

    explicit RichTextWriter(QTextDocument *document);

    // `anchor` names the heading for QTextBrowser::scrollToAnchor().
    void heading(const QString &text, const QString &note = {}, const QString &anchor = {});
    void field(const QString &label, const QString &value); // nothing when value is empty
    void label(const QString &text);
    // A link of ours (`href` is never log text), on a line of its own.
    void link(const QString &text, const QString &href);
    // A boxed block of text, as plain text or as Markdown without HTML.
    void box(const QString &text, bool markdown = false, QColor background = {});

private:
    void block(int topMargin);

    QTextCursor m_cursor;
    QTextCharFormat m_heading;
    QTextCharFormat m_note;
    QTextCharFormat m_label;
    QTextCharFormat m_link;
    QColor m_boxBackground;
    bool m_first = true;
};

} // namespace llmaudit
