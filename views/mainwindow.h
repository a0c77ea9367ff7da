#pragma once

// The workbench's main window: the interactions of one store in a table, a sessions sidebar,
// the detail pane and the conversation of a session, and import.

#include "filterexpr.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QToolButton;

namespace llmaudit {

class CollectorPanel;
class ConversationView;
class DashboardView;
class FilterBar;
class DiffView;
class DetailPane;
class ImportJob;
class InteractionTableModel;
class ReplayPanel;
class ReviewActions;
class SessionListModel;
class StoreReader;
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
    DetailPane *detailPane() const { return m_detail; }
    ConversationView *conversation() const { return m_conversation; }
    DiffView *diffView() const { return m_diff; }
    DashboardView *dashboard() const { return m_dashboard; }
    FilterBar *filterBar() const { return m_filterBar; }
    void showDashboard();    // computes the figures again
    void showDashboardTab(); // brings the dashboard forward

    ReplayPanel *replayPanel() const { return m_replay; }
    ReviewActions *review() const { return m_review; }
    QTableView *sessionList() const { return m_sessionList; }
    QLineEdit *sessionSearch() const { return m_sessionSearch; }

    // Imports files into the open store off the GUI thread, with progress and cancel.
    void importFiles(const QStringList &files);
    // Selects the table row of this interaction (row id); false when it is not listed.
    bool selectInteraction(qint64 rowId);
    void showSession(const QString &sessionId);
    // Compares the two selected interactions (the older one on the left) in the Compare tab.
    void compareSelected();
    // File > Export Report: the report dialog for the current filter or the selection.
    void exportReport();

Q_SIGNALS:
    void importFinished(const llmaudit::ImportReport &report);
    void interactionShown(qint64 rowId); // the detail pane shows it
    void sessionShown(const QString &sessionId);
    void comparisonShown();
    void dashboardShown();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createSessionsDock();
    void createCollectorDock();
    void createReplayPanel();
    void chooseStore();
    void chooseImportFiles();
    void showImportResult(const ImportReport &report);
    void updateStatus();
    void showUpgradeProgress(int format, qint64 done, qint64 total);
    void storeOpenFailed(const QString &message);
    void onCurrentRowChanged();
    void copySelectedRows();
    void moveSelection(int delta);
    void selectNewest();
    void showColumnMenu(const QPoint &pos);
    void rememberStore(const QString &path);
    void updateRecentMenu();
    void saveSettings();

    QString m_storePath;
    QTableView *m_table = nullptr;
    InteractionTableModel *m_model = nullptr;
    StoreReader *m_reader = nullptr; // details and sessions, beside the table's own reader
    quint64 m_detailGeneration = 0;
    quint64 m_sessionsGeneration = 0;     // the sessions list
    quint64 m_conversationGeneration = 0; // the session shown as a conversation
    qint64 m_selectedRowId = 0;           // kept across reloads
    QSplitter *m_splitter = nullptr;
    QTabWidget *m_lowerTabs = nullptr;
    DetailPane *m_detail = nullptr;
    ConversationView *m_conversation = nullptr;
    DiffView *m_diff = nullptr;
    QTabWidget *m_mainTabs = nullptr;
    QWidget *m_interactionsPage = nullptr;
    FilterBar *m_filterBar = nullptr;
    DashboardView *m_dashboard = nullptr;
    quint64 m_summaryGeneration = 0;
    bool m_dashboardStale = true;
    FilterExpr m_filter;
    quint64 m_compareGeneration = 0;
    ReplayPanel *m_replay = nullptr;
    ReviewActions *m_review = nullptr;
    SessionListModel *m_sessions = nullptr;
    QSortFilterProxyModel *m_sessionFilter = nullptr;
    QTableView *m_sessionList = nullptr;
    QLineEdit *m_sessionSearch = nullptr;
    QDockWidget *m_sessionsDock = nullptr;
    QMenu *m_recentMenu = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QPointer<ImportJob> m_import;
    // The store is open (upgraded when it came from an older version); until then the table
    // and the readers ask it nothing. An upgrade can be cancelled with m_cancel.
    bool m_storeReady = false;
    bool m_upgradeCancelled = false;
    bool m_headerRestored = false;
    QAction *m_follow = nullptr;
    CollectorPanel *m_collector = nullptr;
};

} // namespace llmaudit
