#pragma once

// The display-filter bar: green when the filter is valid, red with the error's place and reason
// when not, yellow for warnings; completion of field names, operators and enum names; Enter
// applies; history of applied filters and named saved filters (kept in the settings).

#include "filterexpr.h"

#include <QWidget>

class QCompleter;
class QLabel;
class QLineEdit;
class QStringListModel;
class QToolButton;

namespace llmaudit {

class FilterBar : public QWidget
{
    Q_OBJECT

public:
    static constexpr int HistorySize = 20;

    explicit FilterBar(QWidget *parent = nullptr);

    QLineEdit *edit() const { return m_edit; }
    QString text() const;
    // Sets the text and applies it (when valid).
    void applyText(const QString &text);
    bool isValid() const { return m_valid; }
    const QString &appliedText() const { return m_applied; }

    QStringList history() const;
    QStringList savedNames() const;
    void saveFilter(const QString &name, const QString &text);

    // The completions offered for the text before the cursor (for tests and the completer).
    QStringList completionsAt(const QString &text, int cursor, QString *prefix) const;

    // Quotes a value as a string of the filter language.
    static QString quoted(const QString &value);

Q_SIGNALS:
    void filterApplied(const QString &text, const llmaudit::FilterExpr &filter);

public Q_SLOTS:
    void apply();
    void clear();

private:
    void check();
    void updateCompletions(bool force = false);
    void insertCompletion(const QString &completion);
    void showHistoryMenu();
    void showSavedMenu();

    QLineEdit *m_edit = nullptr;
    QLabel *m_message = nullptr;
    QCompleter *m_completer = nullptr;
    QStringListModel *m_completions = nullptr;
    QToolButton *m_historyButton = nullptr;
    QToolButton *m_savedButton = nullptr;
    bool m_valid = true;
    QString m_applied;
};

} // namespace llmaudit
