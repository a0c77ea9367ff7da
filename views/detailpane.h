#pragma once

// Everything about one interaction: request, context documents, response (Markdown or raw),
// metrics with a timing bar, evaluation and security fields, and the record's JSON.

#include "store.h"

#include <QWidget>

class QAction;
class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QToolButton;

namespace llmaudit {

class InertTextBrowser;
class TimingBar;

class DetailPane : public QWidget
{
    Q_OBJECT

public:
    explicit DetailPane(QWidget *parent = nullptr);

    // Shows a stored interaction; a document that is not valid JSON is shown raw.
    void setInteraction(const StoredInteraction &interaction);
    void showMessage(const QString &text); // instead of an interaction ("No selection", errors)
    // The review state and notes of the interaction shown (ignored for another row id).
    void setReview(qint64 rowId, const ReviewState &state, const std::vector<ReviewNote> &notes);
    qint64 rowId() const { return m_stored.rowId; }

    bool rendersMarkdown() const { return m_markdown; }
    void setRendersMarkdown(bool on);

    // For tests and copy actions.
    QString overviewText() const;
    QString jsonText() const;
    const nlohmann::json &document() const { return m_document; }

    QList<QAction *> copyActions() const { return m_copyActions; }

Q_SIGNALS:
    void copied(const QString &what);

private:
    void render();
    void copy(const QString &what, const QString &text);
    QString fieldText(const char *pointer) const;

    nlohmann::json m_document;
    StoredInteraction m_stored;
    std::optional<ReviewState> m_review; // of m_stored, once it has arrived
    std::vector<ReviewNote> m_notes;
    bool m_markdown = true;
    QLabel *m_title = nullptr;
    QLabel *m_subtitle = nullptr;
    TimingBar *m_timing = nullptr;
    QTabWidget *m_tabs = nullptr;
    InertTextBrowser *m_overview = nullptr;
    QPlainTextEdit *m_json = nullptr;
    QToolButton *m_markdownToggle = nullptr;
    QToolButton *m_copyButton = nullptr;
    QList<QAction *> m_copyActions;
};

} // namespace llmaudit
