#include "richtextwriter.h"

#include "counted.h"

#include <QApplication>
#include <QImage>
#include <QTextFrame>

namespace llmaudit {

InertTextBrowser::InertTextBrowser(QWidget *parent)
    : QTextBrowser(parent)
{
    setOpenLinks(false);
    setOpenExternalLinks(false);
}

QVariant InertTextBrowser::loadResource(int type, const QUrl &)
{
    // Never a null QVariant: for that QTextDocument::loadResource() reads local files itself.
    if (type == QTextDocument::ImageResource) {
        static const QImage placeholder = [] {
            QImage image(16, 16, QImage::Format_ARGB32);
            image.fill(QColor(128, 128, 128, 96));
            return image;
        }();
        return placeholder;
    }
    return QByteArray();
}

QString RichTextWriter::cut(const QString &text)
{
    if (text.size() <= MaxShownChars)
        return text;
    return text.left(MaxShownChars) +
           QApplication::translate("RichTextWriter",
                                   "\n… (%1 more not shown; Copy gives the whole text)")
               .arg(counted(text.size() - MaxShownChars, u"character"_qs, u"characters"_qs));
}

RichTextWriter::RichTextWriter(QTextDocument *document)
    : m_cursor(document)
{
    const QPalette palette = QApplication::palette();
    m_heading.setFontWeight(QFont::Bold);
    m_heading.setFontPointSize(QApplication::font().pointSizeF() * 1.2);
    m_note.setForeground(palette.color(QPalette::PlaceholderText));
    m_label.setForeground(palette.color(QPalette::PlaceholderText));
    m_label.setFontWeight(QFont::DemiBold);
    m_link.setForeground(palette.color(QPalette::Link));
    m_link.setAnchor(true);
    m_boxBackground = palette.color(QPalette::AlternateBase);
}

void RichTextWriter::block(int topMargin)
{
    QTextBlockFormat format;
    format.setTopMargin(m_first ? 0 : topMargin);
    if (m_first)
        m_cursor.setBlockFormat(format);
    else
        m_cursor.insertBlock(format);
    m_first = false;
}

void RichTextWriter::heading(const QString &text, const QString &note, const QString &anchor)
{
    block(14);
    QTextCharFormat format = m_heading;
    if (!anchor.isEmpty()) {
        format.setAnchor(true);
        format.setAnchorNames({anchor});
    }
    m_cursor.insertText(text, format);
    if (!note.isEmpty())
        m_cursor.insertText(u"   "_qs + note, m_note);
}

void RichTextWriter::field(const QString &label, const QString &value)
{
    if (value.isEmpty())
        return;
    block(0);
    m_cursor.insertText(label + u": "_qs, m_label);
    m_cursor.insertText(value, QTextCharFormat());
}

void RichTextWriter::label(const QString &text)
{
    block(6);
    m_cursor.insertText(text, m_label);
}

void RichTextWriter::link(const QString &text, const QString &href)
{
    block(4);
    QTextCharFormat format = m_link;
    format.setAnchorHref(href);
    m_cursor.insertText(text, format);
}

void RichTextWriter::box(const QString &text, bool markdown, QColor background)
{
    QTextFrameFormat frame;
    frame.setBackground(background.isValid() ? background : m_boxBackground);
    frame.setPadding(6);
    frame.setTopMargin(2);
    frame.setBottomMargin(2);
    m_cursor.insertFrame(frame);
    if (markdown)
        m_cursor.insertMarkdown(
            cut(text), QTextDocument::MarkdownFeatures(QTextDocument::MarkdownDialectGitHub |
                                                       QTextDocument::MarkdownNoHTML));
    else
        m_cursor.insertText(cut(text), QTextCharFormat());
    m_cursor.movePosition(QTextCursor::End);
    m_first = false;
}

} // namespace llmaudit
