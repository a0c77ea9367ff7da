#pragma once

// The activity log: who imported, exported, replayed, reviewed, purged, reported or verified
// what and when, filtered by time and kind, exportable as CSV or JSONL.

#include "store.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QTableWidget;

namespace llmaudit {

class ReviewService;

class ActivityDialog : public QDialog
{
    Q_OBJECT

public:
    ActivityDialog(ReviewService *service, QWidget *parent = nullptr);

    // Reads the log again with the chosen time span and kind.
    void refresh();
    // Writes the entries shown to a file (.csv, else JSONL) off the GUI thread.
    void exportTo(const QString &path);

    QTableWidget *table() const { return m_table; }
    QComboBox *timeChoice() const { return m_time; }
    QComboBox *kindChoice() const { return m_kind; }

Q_SIGNALS:
    void loaded(int entries);
    void exported(const QString &path, const QString &error); // error empty when it worked

private:
    void showEntries(std::vector<ActivityEntry> entries);

    ReviewService *m_service;
    quint64 m_generation = 0;
    QComboBox *m_time = nullptr;
    QComboBox *m_kind = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_status = nullptr;
    std::vector<ActivityEntry> m_entries;
};

} // namespace llmaudit
