#pragma once

// The activity log: who imported, exported, replayed, reviewed, purged, reported or verified
// what and when, filtered by time (a recent span or a from/to range) and kind, exportable as CSV
// or JSONL.

#include "store.h"

#include <QDialog>

#include <optional>
#include <utility>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QPushButton;
class QTableWidget;

namespace llmaudit {

class ReviewService;

class ActivityDialog : public QDialog
{
    Q_OBJECT

public:
    ActivityDialog(ReviewService *service, QWidget *parent = nullptr);

    // Reads the log again with the chosen time span or range and kind.
    void refresh();
    // Writes the entries shown to a file (.csv, else JSONL) off the GUI thread.
    void exportTo(const QString &path);

    // The index in timeChoice() of "Custom range…", which shows the From and To fields: local
    // time, to the minute, both minutes included.
    int customRangeIndex() const;

    QTableWidget *table() const { return m_table; }
    QComboBox *timeChoice() const { return m_time; }
    QComboBox *kindChoice() const { return m_kind; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }
    QPushButton *exportButton() const { return m_export; }
    QLabel *statusLabel() const { return m_status; }

Q_SIGNALS:
    void loaded(int entries);
    void exported(const QString &path, const QString &error); // error empty when it worked

private:
    void timeChoiceChanged();
    // The custom range as a query's [fromMs, untilMs); nothing when From is after To.
    std::optional<std::pair<qint64, qint64>> customRange() const;
    void showEntries(std::vector<ActivityEntry> entries);

    ReviewService *m_service;
    quint64 m_generation = 0;
    bool m_loading = false; // a load is on its way: a failure meanwhile is the load's
    QComboBox *m_time = nullptr;
    qint64 m_lastSpan = 0; // the last preset span chosen, which a custom range starts from
    QWidget *m_range = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QLabel *m_zone = nullptr;
    QLabel *m_rangeError = nullptr;
    QComboBox *m_kind = nullptr;
    QPushButton *m_export = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_status = nullptr;
    std::vector<ActivityEntry> m_entries;
};

} // namespace llmaudit
