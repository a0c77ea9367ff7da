#pragma once

// Two texts side by side: the original (A, left) and the replay or other one (B, right), lines
// aligned with filler lines where a side has none, changed words or lines highlighted, scrolled
// together, with the comparison's scores above and next/previous change navigation. Log text
// is only ever inserted as plain text.

#include "comparison.h"

#include <QWidget>

class QAbstractButton;
class QLabel;
class QPlainTextEdit;
class QToolButton;

namespace llmaudit {

class DiffPane;

class DiffView : public QWidget
{
    Q_OBJECT

public:
    explicit DiffView(QWidget *parent = nullptr);
    ~DiffView() override;

    // Two interactions: their ids, models and numbers above, their responses below.
    void setComparison(const Comparison &comparison);
    // Any two texts (prompts, system prompts), with their scores; the labels name the sides.
    void setTexts(std::string_view a, std::string_view b, const QString &labelA = {},
                  const QString &labelB = {});
    void clear();

    DiffMode mode() const { return m_mode; }
    void setMode(DiffMode mode);

    const TextDiff &diff() const { return m_diff; }
    int changeCount() const { return static_cast<int>(m_diff.changes.size()); }
    int currentChange() const { return m_current; } // -1: none chosen yet

    QPlainTextEdit *leftPane() const;
    QPlainTextEdit *rightPane() const;
    // The scores strip, as one line of text (for tests and accessibility).
    QString scoresText() const;

    // How a piece of log text appears in a pane: control characters, bidirectional overrides
    // and line or paragraph separators become <U+XXXX>, tabs stay tabs.
    static QString shownText(std::string_view text);

public Q_SLOTS:
    void nextChange();
    void previousChange();

Q_SIGNALS:
    void currentChangeChanged(int index, int count);

protected:
    void changeEvent(QEvent *event) override;

private:
    void render();
    void showScores(const TextScores &scores);
    void showChange(int index);
    void updateNavigation();

    TextDiff m_diff;
    DiffMode m_mode = DiffMode::Words;
    int m_current = -1;

    QLabel *m_titleA = nullptr;
    QLabel *m_titleB = nullptr;
    QLabel *m_detailsA = nullptr;
    QLabel *m_detailsB = nullptr;
    QWidget *m_scores = nullptr;
    QLabel *m_limits = nullptr;
    QLabel *m_position = nullptr;
    QAbstractButton *m_words = nullptr;
    QAbstractButton *m_lines = nullptr;
    QToolButton *m_previous = nullptr;
    QToolButton *m_next = nullptr;
    DiffPane *m_left = nullptr;
    DiffPane *m_right = nullptr;
};

} // namespace llmaudit
