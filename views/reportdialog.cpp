#include "reportdialog.h"

#include "reportjob.h"
#include "reviewactions.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>

namespace llmaudit {

namespace {
const QString LastDirKey = QStringLiteral("report/lastDirectory");
const QString LastFormatKey = QStringLiteral("report/lastFormat");
} // namespace

ReportDialog::ReportDialog(QString storePath, QString filterText, FilterExpr filter,
                           std::vector<qint64> selectedRowIds, QWidget *parent)
    : QDialog(parent)
    , m_storePath(std::move(storePath))
    , m_filterText(std::move(filterText))
    , m_filter(std::move(filter))
    , m_selected(std::move(selectedRowIds))
{
    setWindowTitle(tr("Export Report"));
    auto *form = new QFormLayout;

    m_title = new QLineEdit(tr("LLM audit report"), this);
    form->addRow(tr("&Title:"), m_title);

    const QString filterShown =
        m_filterText.trimmed().isEmpty()
            ? tr("All interactions (no filter)")
            : tr("Current filter: %1")
                  .arg(QFontMetrics(font()).elidedText(m_filterText, Qt::ElideMiddle, 360));
    m_useFilter = new QRadioButton(filterShown, this);
    m_useSelection = new QRadioButton(
        m_selected.empty() ? tr("Selected interactions (none selected)")
        : m_selected.size() == 1
            ? tr("The selected interaction, in full")
            : tr("The %1 selected interactions, each in full").arg(qint64(m_selected.size())),
        this);
    m_useSelection->setEnabled(!m_selected.empty());
    (m_selected.size() > 1 ? m_useSelection : m_useFilter)->setChecked(true);
    auto *scope = new QVBoxLayout;
    scope->addWidget(m_useFilter);
    scope->addWidget(m_useSelection);
    form->addRow(tr("Scope:"), scope);

    m_format = new QComboBox(this);
    m_format->addItem(tr("PDF document"), int(ReportFormat::Pdf));
    m_format->addItem(tr("HTML page"), int(ReportFormat::Html));
    m_format->addItem(tr("CSV table (one row per interaction)"), int(ReportFormat::Csv));
    const int last = m_format->findData(QSettings().value(LastFormatKey, 0).toInt());
    m_format->setCurrentIndex(std::max(0, last));
    form->addRow(tr("&Format:"), m_format);

    m_output = new QLineEdit(this);
    QString dir = QSettings().value(LastDirKey).toString();
    if (dir.isEmpty() || !QFileInfo(dir).isDir())
        dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (dir.isEmpty() || !QFileInfo(dir).isDir())
        dir = QDir::homePath();
    m_output->setText(
        QDir(dir).filePath(QStringLiteral("llm-audit-report.") + reportFormatName(format())));
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse…"));
    connect(browse, &QToolButton::clicked, this, &ReportDialog::chooseOutput);
    auto *output = new QHBoxLayout;
    output->addWidget(m_output, 1);
    output->addWidget(browse);
    auto *saveTo = new QLabel(tr("&Save to:"), this);
    saveTo->setBuddy(m_output);
    form->addRow(saveTo, output);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ReportDialog::formatChanged);

    auto *note =
        new QLabel(tr("The report is written in the background; you can go on working."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ReportDialog::exportReport);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_buttons);
    resize(560, sizeHint().height());
}

ReportDialog::~ReportDialog()
{
    if (m_job)
        m_job->cancel();
}

ReportJob *ReportDialog::job() const
{
    return m_job;
}

QProgressDialog *ReportDialog::progressDialog() const
{
    return m_progress;
}

ReportFormat ReportDialog::format() const
{
    return ReportFormat(m_format->currentData().toInt());
}

ReportRequest ReportDialog::request() const
{
    ReportRequest request;
    request.title = m_title->text().trimmed();
    request.generatedBy = defaultReportAuthor(ReviewActions::reviewerName());
    if (m_useSelection->isChecked() && !m_selected.empty()) {
        request.rowIds = m_selected;
    } else {
        request.filterText = m_filterText;
        request.filter = m_filter;
    }
    return request;
}

void ReportDialog::formatChanged()
{
    // Keep the file name's extension in step with the format.
    const QString path = m_output->text().trimmed();
    if (path.isEmpty())
        return;
    const QFileInfo info(path);
    const QString base = reportFormatFromPath(path) ? info.completeBaseName() : info.fileName();
    m_output->setText(info.dir().filePath(base + u'.' + reportFormatName(format())));
}

void ReportDialog::chooseOutput()
{
    const QString filters[] = {tr("PDF documents (*.pdf)"), tr("HTML pages (*.html *.htm)"),
                               tr("CSV tables (*.csv)")};
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Report As"), m_output->text(),
                                                      filters[int(format())]);
    if (!path.isEmpty())
        m_output->setText(path);
}

bool ReportDialog::exportReport()
{
    if (m_job)
        return false;
    QString path = m_output->text().trimmed();
    if (path.isEmpty()) {
        QMessageBox::warning(this, windowTitle(), tr("Choose the file to save the report to."));
        return false;
    }
    if (!reportFormatFromPath(path))
        path += u'.' + reportFormatName(format());
    const QFileInfo info(path);
    if (!info.dir().exists()) {
        QMessageBox::warning(
            this, windowTitle(),
            tr("The folder %1 does not exist.").arg(QDir::toNativeSeparators(info.absolutePath())));
        return false;
    }
    QSettings().setValue(LastDirKey, info.absolutePath());
    QSettings().setValue(LastFormatKey, int(format()));

    m_job =
        new ReportJob(m_storePath, request(), format(), path, ReviewActions::reviewerName(), this);
    m_progress =
        new QProgressDialog(tr("Collecting the interactions…"), tr("Cancel"), 0, 100, this);
    m_progress->setWindowTitle(tr("Writing Report"));
    m_progress->setMinimumDuration(0);
    m_progress->setWindowModality(Qt::NonModal);
    m_progress->setAutoClose(false);
    m_progress->setAutoReset(false);
    m_progress->setValue(0);
    connect(m_progress, &QProgressDialog::canceled, m_job, &ReportJob::cancel);
    connect(m_job, &ReportJob::progressed, m_progress, [this](int percent, const QString &text) {
        if (m_progress) {
            m_progress->setValue(percent);
            m_progress->setLabelText(text);
        }
    });
    connect(m_job, &ReportJob::finished, this,
            [this](const QString &written, int pages, qint64 interactions) {
                const QString notLogged = m_job->activityError();
                finishJob();
                if (!notLogged.isEmpty()) {
                    // Not modal, and owned by the window: this dialog closes now.
                    auto *box = new QMessageBox(
                        QMessageBox::Warning, windowTitle(),
                        tr("The report was written to %1, but it is not recorded in the activity "
                           "log: %2")
                            .arg(QDir::toNativeSeparators(written), notLogged),
                        QMessageBox::Ok, parentWidget());
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                }
                Q_EMIT reportWritten(written, pages, interactions);
                accept();
            });
    connect(m_job, &ReportJob::failed, this, [this](const QString &message) {
        finishJob();
        show();
        Q_EMIT reportFailed(message);
        QMessageBox::warning(this, windowTitle(),
                             tr("The report was not written: %1").arg(message));
    });
    connect(m_job, &ReportJob::cancelled, this, [this] {
        finishJob();
        show();
        Q_EMIT reportCancelled();
    });
    m_buttons->setEnabled(false);
    m_job->start();
    // The form steps aside so that the window is usable while the report is written; only
    // the progress dialog (not modal) stays. A failure or Cancel brings the form back.
    hide();
    m_progress->show();
    return true;
}

void ReportDialog::finishJob()
{
    if (m_progress) {
        m_progress->hide();
        m_progress->deleteLater();
    }
    if (m_job)
        m_job->deleteLater();
    m_job = nullptr;
    m_buttons->setEnabled(true);
}

} // namespace llmaudit
