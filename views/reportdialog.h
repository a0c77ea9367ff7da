#pragma once

// File > Export Report: asks for the title, the scope (the current filter or the selected
// interactions), the format and the output file, then writes the report off the GUI thread with
// a progress dialog that can cancel it.

#include "filterexpr.h"
#include "reportdata.h"

#include <QDialog>
#include <QPointer>

#include <vector>

class QComboBox;
class QDialogButtonBox;
class QLineEdit;
class QProgressDialog;
class QRadioButton;

namespace llmaudit {

class ReportJob;

class ReportDialog : public QDialog
{
    Q_OBJECT

public:
    // `selectedRowIds`: the table's selection (may be empty: then only the filter is offered).
    ReportDialog(QString storePath, QString filterText, FilterExpr filter,
                 std::vector<qint64> selectedRowIds, QWidget *parent = nullptr);
    ~ReportDialog() override;

    QLineEdit *titleEdit() const { return m_title; }
    QComboBox *formatBox() const { return m_format; }
    QLineEdit *outputEdit() const { return m_output; }
    QRadioButton *filterButton() const { return m_useFilter; }
    QRadioButton *selectionButton() const { return m_useSelection; }
    ReportFormat format() const;
    ReportRequest request() const;
    ReportJob *job() const; // while a report is being written
    QProgressDialog *progressDialog() const;

public Q_SLOTS:
    // Starts writing the report (what the Export button does); false when the form is not
    // complete (the reason is shown in the dialog).
    bool exportReport();

Q_SIGNALS:
    void reportWritten(const QString &path, int pages, qint64 interactions);
    void reportFailed(const QString &message);
    void reportCancelled();

private:
    void chooseOutput();
    void formatChanged();
    void finishJob();

    QString m_storePath;
    QString m_filterText;
    FilterExpr m_filter;
    std::vector<qint64> m_selected;

    QLineEdit *m_title = nullptr;
    QRadioButton *m_useFilter = nullptr;
    QRadioButton *m_useSelection = nullptr;
    QComboBox *m_format = nullptr;
    QLineEdit *m_output = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPointer<ReportJob> m_job;
    QPointer<QProgressDialog> m_progress;
};

} // namespace llmaudit
