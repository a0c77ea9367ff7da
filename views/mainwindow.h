#pragma once

// The workbench's main window: the interactions of one store in a table, with import.

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QProgressBar;
class QTableView;
class QToolButton;

namespace llmaudit {

class ImportJob;
class InteractionTableModel;
struct ImportReport;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Shows the store at `path`; with `seedFiles`, imports them first when the store is new.
    void openStore(const QString &path, const QStringList &seedFiles = {});
    QString storePath() const { return m_storePath; }

    QTableView *table() const { return m_table; }
    InteractionTableModel *model() const { return m_model; }

    // Imports files into the open store off the GUI thread, with progress and cancel.
    void importFiles(const QStringList &files);

Q_SIGNALS:
    void importFinished(const llmaudit::ImportReport &report);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void chooseStore();
    void chooseImportFiles();
    void showImportResult(const ImportReport &report);
    void updateStatus();

    QString m_storePath;
    QTableView *m_table = nullptr;
    InteractionTableModel *m_model = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QPointer<ImportJob> m_import;
};

} // namespace llmaudit
