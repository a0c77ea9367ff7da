#include "mainwindow.h"

#include "importjob.h"
#include "interactiontablemodel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QToolButton>

namespace llmaudit {

namespace {

// Messages quote paths, file names and log content: always plain text, never rich text (which
// QMessageBox would guess from a '<' in them).
void showMessage(QWidget *parent, QMessageBox::Icon icon, const QString &title, const QString &text,
                 const QString &details = {})
{
    QMessageBox box(icon, title, text, QMessageBox::Ok, parent);
    box.setTextFormat(Qt::PlainText);
    if (!details.isEmpty())
        box.setDetailedText(details);
    box.exec();
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    qRegisterMetaType<llmaudit::ImportReport>();
    setWindowTitle(tr("LLM Audit Workbench"));
    setAcceptDrops(true);
    m_table = new QTableView(this);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setStretchLastSection(false);
    setCentralWidget(m_table);

    m_status = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(220);
    m_progress->setRange(0, 100);
    m_progress->hide();
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->hide();
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    connect(m_cancel, &QToolButton::clicked, this, [this] {
        if (m_import)
            m_import->cancel();
    });
    createActions();
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 760);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Store…"), this, &MainWindow::chooseStore);
    open->setShortcut(QKeySequence::Open);
    QAction *import = file->addAction(tr("&Import Logs…"), this, &MainWindow::chooseImportFiles);
    import->setShortcut(QKeySequence(tr("Ctrl+I")));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About LLM Audit Workbench"),
                           tr("<b>LLM Audit Workbench</b> %1<br>Audit and replay LLM interactions.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::openStore(const QString &path, const QStringList &seedFiles)
{
    const bool isNew = !QFileInfo::exists(path);
    m_storePath = path;
    setWindowTitle(tr("%1 — LLM Audit Workbench").arg(QDir::toNativeSeparators(path)));
    delete m_model;
    m_model = new InteractionTableModel(path, this);
    m_table->setModel(m_model);
    auto *header = m_table->horizontalHeader();
    // Fits 1440 px; the prompt and response take what is left.
    const int widths[] = {140, 64, 120, 150, 330, 280, 64, 76, 56, 56, 96};
    for (int c = 0; c < InteractionTableModel::ColumnCount; ++c)
        header->resizeSection(c, widths[c]);
    connect(m_model, &InteractionTableModel::loaded, this, &MainWindow::updateStatus);
    connect(m_model, &InteractionTableModel::failed, this, [this](const QString &message) {
        m_status->setText(message);
        showMessage(this, QMessageBox::Warning, tr("Cannot read the store"), message);
    });
    if (isNew && !seedFiles.isEmpty()) {
        m_status->setText(tr("Creating the store with the sample logs…"));
        importFiles(seedFiles);
    } else {
        m_status->setText(tr("Loading…"));
        m_model->reload();
    }
}

void MainWindow::updateStatus()
{
    m_status->setText(tr("%Ln interaction(s) — %1", nullptr, m_model->rowCount())
                          .arg(QDir::toNativeSeparators(m_storePath)));
}

void MainWindow::chooseStore()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Open or Create a Store"), QFileInfo(m_storePath).absolutePath(),
        tr("Stores (*.sqlite *.llmaudit);;All files (*)"), nullptr,
        QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty())
        openStore(path);
}

void MainWindow::chooseImportFiles()
{
    const QStringList files =
        QFileDialog::getOpenFileNames(this, tr("Import Logs"), QDir::homePath(),
                                      tr("Logs (*.jsonl *.ndjson *.json *.bson);;All files (*)"));
    if (!files.isEmpty())
        importFiles(files);
}

void MainWindow::importFiles(const QStringList &files)
{
    if (m_import) {
        QMessageBox::information(this, tr("Import running"),
                                 tr("An import is already running; wait for it or cancel it."));
        return;
    }
    m_import = new ImportJob(m_storePath, files, this);
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    connect(m_import, &ImportJob::progressed, this, [this](int percent, const QString &text) {
        m_progress->setValue(percent);
        m_status->setText(text);
    });
    connect(m_import, &ImportJob::failed, this, [this](const QString &message) {
        m_progress->hide();
        m_cancel->hide();
        m_import->deleteLater();
        showMessage(this, QMessageBox::Critical, tr("Import failed"), message);
    });
    connect(m_import, &ImportJob::finished, this, [this](const ImportReport &report) {
        m_progress->hide();
        m_cancel->hide();
        m_model->reload();
        showImportResult(report);
        m_import->deleteLater();
        Q_EMIT importFinished(report);
    });
    m_import->start();
}

void MainWindow::showImportResult(const ImportReport &report)
{
    QString text = tr("Read %1, stored %2, duplicates %3, conflicts %4, rejected %5.")
                       .arg(report.read)
                       .arg(report.counts.stored)
                       .arg(report.counts.duplicates)
                       .arg(report.counts.conflicts)
                       .arg(report.counts.rejected);
    QStringList problems;
    for (const auto &file : report.files)
        if (file.error)
            problems << file.error->toString();
    if (report.storeError)
        problems << report.storeError->toString();
    if (report.cancelled)
        problems << tr("Cancelled: what was committed stays; importing the same files again "
                       "completes the import.");
    if (report.counts.rejected == 0 && problems.isEmpty()) {
        statusBar()->showMessage(text, 10000);
        return;
    }
    QString details;
    for (const auto &reject : m_import->rejects())
        for (const auto &e : reject.errors)
            details +=
                QStringLiteral("%1 %2: %3\n")
                    .arg(QString::fromStdString(visible(reject.source)),
                         QString::fromStdString(visible(e.pointer.empty() ? "/" : e.pointer)),
                         QString::fromStdString(visible(e.reason)));
    if (!problems.isEmpty())
        text += u"\n\n"_qs + problems.join(u'\n');
    showMessage(this, problems.isEmpty() ? QMessageBox::Information : QMessageBox::Warning,
                tr("Import finished"), text, details);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_import) {
        m_import->cancel();
    }
    QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList files;
    for (const QUrl &url : event->mimeData()->urls())
        if (url.isLocalFile())
            files << url.toLocalFile();
    if (!files.isEmpty())
        importFiles(files);
}

} // namespace llmaudit
