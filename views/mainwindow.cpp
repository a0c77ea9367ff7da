#include "mainwindow.h"

#include "collectorpanel.h"
#include "conversationview.h"
#include "counted.h"
#include "dashboardview.h"
#include "detailpane.h"
#include "diffview.h"
#include "filterbar.h"
#include "importjob.h"
#include "interactiontablemodel.h"
#include "privacydialog.h"
#include "replaypanel.h"
#include "reportdialog.h"
#include "reviewactions.h"
#include "sessionlistmodel.h"
#include "storereader.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

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
    // Writes by others (the collector, an import in a terminal) show up without reopening: the
    // reader looks for them once a second, off this thread.
    auto *watch = new QTimer(this);
    watch->setInterval(1000);
    connect(watch, &QTimer::timeout, this, [this] {
        if (m_reader && m_storeReady)
            Q_EMIT m_reader->checkForChanges();
    });
    watch->start();
    m_table = new QTableView(this);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionsMovable(true);
    m_table->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->horizontalHeader()->setToolTip(tr("Right-click to choose the columns"));
    connect(m_table->horizontalHeader(), &QWidget::customContextMenuRequested, this,
            &MainWindow::showColumnMenu);
    // The prompt and response columns have no sort key: keep the indicator where it was.
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this,
            [this](int section) {
                if (m_model && !InteractionTableModel::sortColumn(section)) {
                    const SortOrder order = m_model->sortOrder();
                    for (int c = 0; c < InteractionTableModel::ColumnCount; ++c)
                        if (InteractionTableModel::sortColumn(c) == order.column)
                            m_table->horizontalHeader()->setSortIndicator(c, order.direction);
                    statusBar()->showMessage(tr("This column cannot be sorted; filter it with "
                                                "contains or ~ instead."),
                                             5000);
                }
            });

    m_detail = new DetailPane(this);
    m_conversation = new ConversationView(this);
    m_lowerTabs = new QTabWidget(this);
    m_lowerTabs->setDocumentMode(true);
    m_lowerTabs->addTab(m_detail, tr("&Details"));
    m_lowerTabs->addTab(m_conversation, tr("&Conversation"));
    m_diff = new DiffView(this);
    m_lowerTabs->addTab(m_diff, tr("Co&mpare"));
    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_lowerTabs);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    m_dashboard = new DashboardView(this);
    m_mainTabs = new QTabWidget(this);
    m_mainTabs->setDocumentMode(true);
    m_filterBar = new FilterBar(this);
    connect(m_filterBar, &FilterBar::filterApplied, this,
            [this](const QString &text, const FilterExpr &filter) {
                m_filter = filter;
                if (m_model)
                    m_model->setFilter(filter);
                if (m_model && m_storeReady) { // else it loads with the filter once open
                    m_status->setText(text.isEmpty() ? tr("Loading…") : tr("Filtering…"));
                    m_model->reload();
                }
                m_dashboardStale = true;
                if (m_mainTabs->currentWidget() == m_dashboard)
                    showDashboard();
            });
    m_interactionsPage = new QWidget(this);
    auto *page = new QVBoxLayout(m_interactionsPage);
    page->setContentsMargins(0, 0, 0, 0);
    page->setSpacing(0);
    page->addWidget(m_filterBar);
    page->addWidget(m_splitter, 1);
    m_mainTabs->addTab(m_interactionsPage, tr("Interactions"));
    m_mainTabs->addTab(m_dashboard, tr("Dashboard"));
    connect(m_mainTabs, &QTabWidget::currentChanged, this, [this] {
        if (m_mainTabs->currentWidget() == m_dashboard && m_dashboardStale)
            showDashboard();
    });
    setCentralWidget(m_mainTabs);
    connect(m_detail, &DetailPane::copied, this, [this](const QString &what) {
        statusBar()->showMessage(tr("Copied the %1.").arg(what), 4000);
    });
    connect(m_conversation, &ConversationView::turnActivated, this, [this](qint64 rowId) {
        if (selectInteraction(rowId))
            m_lowerTabs->setCurrentWidget(m_detail);
        else
            statusBar()->showMessage(tr("That interaction is not in the table."), 4000);
    });
    createSessionsDock();
    createCollectorDock();

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
        if (m_import) {
            m_import->cancel();
        } else if (m_reader && !m_storeReady) {
            m_upgradeCancelled = true;
            m_reader->cancelUpgrade();
            m_cancel->setEnabled(false);
            m_status->setText(tr("Cancelling the upgrade…"));
        }
    });
    createActions();
    m_collector->setFollowAction(m_follow);
    createReplayPanel();
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1400, 900);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray()))
        m_splitter->setSizes({480, 360});
}

void MainWindow::createCollectorDock()
{
    // Hidden until asked for (View › Collector); what it stores reaches the table through
    // refresh(), as any other writer's records do, only sooner.
    auto *dock = new QDockWidget(tr("Collector"), this);
    dock->setObjectName(QStringLiteral("collector"));
    m_collector = new CollectorPanel(dock);
    dock->setWidget(m_collector);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    dock->hide();
    connect(m_collector, &CollectorPanel::interactionsStored, this, [this] {
        if (m_model)
            m_model->refresh();
    });
}

void MainWindow::createSessionsDock()
{
    m_sessions = new SessionListModel(this);
    m_sessionFilter = new QSortFilterProxyModel(this);
    m_sessionFilter->setSourceModel(m_sessions);
    m_sessionFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_sessionFilter->setFilterKeyColumn(-1);
    m_sessionFilter->setSortRole(SessionListModel::SortRole);
    m_sessionSearch = new QLineEdit;
    m_sessionSearch->setPlaceholderText(tr("Search sessions and users"));
    m_sessionSearch->setClearButtonEnabled(true);
    connect(m_sessionSearch, &QLineEdit::textChanged, m_sessionFilter,
            &QSortFilterProxyModel::setFilterFixedString);
    m_sessionList = new QTableView;
    m_sessionList->setModel(m_sessionFilter);
    m_sessionList->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_sessionList->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sessionList->setSortingEnabled(true);
    m_sessionList->sortByColumn(SessionListModel::LastActive, Qt::DescendingOrder);
    m_sessionList->verticalHeader()->hide();
    m_sessionList->verticalHeader()->setDefaultSectionSize(m_sessionList->fontMetrics().height() +
                                                           6);
    m_sessionList->setWordWrap(false);
    m_sessionList->setToolTip(tr("Double-click to list only this session's interactions"));
    connect(m_sessionList, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &i) {
        m_filterBar->applyText(
            u"session_id == "_qs +
            FilterBar::quoted(i.data(SessionListModel::SessionIdRole).toString()));
    });
    m_sessionList->setAlternatingRowColors(true);
    m_sessionList->horizontalHeader()->setStretchLastSection(true);
    m_sessionList->setColumnWidth(SessionListModel::Session, 150);
    m_sessionList->setColumnWidth(SessionListModel::User, 64);
    m_sessionList->setColumnWidth(SessionListModel::Interactions, 48);
    connect(m_sessionList->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    showSession(current.data(SessionListModel::SessionIdRole).toString());
            });
    auto *panel = new QWidget;
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 0, 0);
    layout->addWidget(m_sessionSearch);
    layout->addWidget(m_sessionList, 1);
    auto *dock = m_sessionsDock = new QDockWidget(tr("Sessions"), this);
    dock->setObjectName(QStringLiteral("sessions"));
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    dock->setWidget(panel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    resizeDocks({dock}, {370}, Qt::Horizontal);
}

// The Replay tab and menu: the panel replays the interaction the detail pane shows, and its
// comparisons go to the Compare tab.
void MainWindow::createReplayPanel()
{
    m_replay = new ReplayPanel(this);
    m_lowerTabs->addTab(m_replay, tr("&Replay"));
    connect(m_replay, &ReplayPanel::comparisonReady, this, [this](const Comparison &comparison) {
        m_diff->setComparison(comparison);
        m_lowerTabs->setCurrentWidget(m_diff);
        Q_EMIT comparisonShown();
    });
    connect(m_replay, &ReplayPanel::replayStored, this, [this] {
        if (m_model)
            m_model->reload(); // the replay is a new row
    });
    auto *menu = new QMenu(tr("&Replay"), this);
    QAction *show = menu->addAction(tr("&Replay Selected Interaction…"), this,
                                    [this] { m_lowerTabs->setCurrentWidget(m_replay); });
    show->setShortcuts({QKeySequence(tr("Ctrl+R")), QKeySequence(tr("Alt+4"))});
    show->setStatusTip(tr("Edit the prompt, parameters or provider and replay the interaction"));
    menu->addAction(tr("R&un Replay"), m_replay, &ReplayPanel::run);
    menu->addAction(tr("&Cancel Replay"), m_replay, &ReplayPanel::cancel);
    menu->addSeparator();
    menu->addAction(tr("Reload &Providers"), m_replay, &ReplayPanel::reloadProviders);
    const QList<QAction *> menus = menuBar()->actions();
    menuBar()->insertMenu(menus.isEmpty() ? nullptr : menus.last(), menu); // before Help
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Store…"), this, &MainWindow::chooseStore);
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    updateRecentMenu();
    QAction *import = file->addAction(tr("&Import Logs…"), this, &MainWindow::chooseImportFiles);
    import->setShortcut(QKeySequence(tr("Ctrl+I")));
    file->addAction(tr("Export &Report…"), this, &MainWindow::exportReport);
    QAction *privacy = file->addAction(tr("&Privacy Settings…"), this, [this] {
        if (m_storePath.isEmpty())
            return;
        auto *dialog = new PrivacyDialog(m_storePath, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    privacy->setObjectName(QStringLiteral("privacySettings"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *copyRows = edit->addAction(tr("&Copy Rows"), this, &MainWindow::copySelectedRows);
    copyRows->setShortcut(QKeySequence::Copy);
    copyRows->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_table->addAction(copyRows);
    const QList<QAction *> copies = m_detail->copyActions();
    for (int i = 0; i < copies.size(); ++i) {
        edit->addAction(copies[i]);
        // The record's JSON is the copy one wants most, after the rows themselves.
        if (copies[i] == copies.back())
            copies[i]->setShortcut(QKeySequence(tr("Ctrl+Shift+C")));
    }

    QAction *focusFilter = edit->addAction(tr("&Filter…"), this, [this] {
        m_mainTabs->setCurrentWidget(m_interactionsPage);
        m_filterBar->edit()->setFocus();
        m_filterBar->edit()->selectAll();
    });
    focusFilter->setShortcut(QKeySequence::Find);
    QAction *clearFilter = edit->addAction(tr("C&lear Filter"), m_filterBar, &FilterBar::clear);
    clearFilter->setShortcut(QKeySequence(tr("Ctrl+Shift+L")));

    QMenu *go = menuBar()->addMenu(tr("&Go"));
    QAction *next = go->addAction(tr("&Next Interaction"), this, [this] { moveSelection(1); });
    next->setShortcut(QKeySequence(tr("Ctrl+Down")));
    QAction *previous =
        go->addAction(tr("&Previous Interaction"), this, [this] { moveSelection(-1); });
    previous->setShortcut(QKeySequence(tr("Ctrl+Up")));
    QAction *first = go->addAction(tr("&First Interaction"), this, [this] {
        selectInteraction(m_model ? m_model->rowIdAt(0) : 0);
    });
    first->setShortcut(QKeySequence(tr("Ctrl+Home")));
    QAction *last = go->addAction(tr("&Last Interaction"), this, [this] {
        if (m_model)
            selectInteraction(m_model->rowIdAt(m_model->rowCount() - 1));
    });
    last->setShortcut(QKeySequence(tr("Ctrl+End")));
    go->addSeparator();
    QAction *findSession = go->addAction(tr("Find &Session…"), this, [this] {
        m_sessionsDock->show();
        m_sessionSearch->setFocus();
        m_sessionSearch->selectAll();
    });
    findSession->setShortcut(QKeySequence(tr("Ctrl+Shift+S")));

    QAction *compare = go->addAction(tr("&Compare Selected"), this, &MainWindow::compareSelected);
    compare->setShortcut(QKeySequence(tr("Ctrl+D")));
    compare->setStatusTip(tr("Select two interactions, then compare their responses side by side"));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (auto *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());
    m_follow = view->addAction(tr("&Follow New Interactions"));
    m_follow->setCheckable(true);
    m_follow->setToolTip(tr("Select each new interaction as it arrives"));
    m_follow->setChecked(QSettings().value(QStringLiteral("table/follow"), false).toBool());
    connect(m_follow, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("table/follow"), on);
        if (on)
            selectNewest();
    });
    QAction *markdown = view->addAction(tr("Render Responses as &Markdown"));
    markdown->setCheckable(true);
    markdown->setChecked(m_detail->rendersMarkdown());
    connect(markdown, &QAction::toggled, m_detail, &DetailPane::setRendersMarkdown);
    QAction *details =
        view->addAction(tr("&Details"), this, [this] { m_lowerTabs->setCurrentWidget(m_detail); });
    details->setShortcut(QKeySequence(tr("Alt+1")));
    QAction *conversation = view->addAction(
        tr("&Conversation"), this, [this] { m_lowerTabs->setCurrentWidget(m_conversation); });
    conversation->setShortcut(QKeySequence(tr("Alt+2")));
    QAction *comparison =
        view->addAction(tr("Co&mparison"), this, [this] { m_lowerTabs->setCurrentWidget(m_diff); });
    comparison->setShortcut(QKeySequence(tr("Alt+3")));
    view->addSeparator();
    QAction *interactions = view->addAction(
        tr("&Interactions"), this, [this] { m_mainTabs->setCurrentWidget(m_interactionsPage); });
    interactions->setShortcut(QKeySequence(tr("Ctrl+1")));
    QAction *dashboard = view->addAction(tr("Das&hboard"), this, &MainWindow::showDashboardTab);
    dashboard->setShortcut(QKeySequence(tr("Ctrl+2")));

    m_review = new ReviewActions(this, m_table, m_detail);
    menuBar()->addMenu(m_review->reviewMenu());
    QMenu *tools = menuBar()->addMenu(tr("&Tools"));
    tools->addActions({m_review->activityAction(), m_review->verifyAction()});
    tools->addSeparator();
    tools->addAction(m_review->purgeAction());

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
    if (m_model && m_headerRestored)
        QSettings().setValue(QStringLiteral("table/header"),
                             m_table->horizontalHeader()->saveState());
    m_storePath = path;
    rememberStore(path);
    setWindowTitle(tr("%1 — LLM Audit Workbench").arg(QDir::toNativeSeparators(path)));
    delete m_model;
    delete m_reader;
    m_storeReady = false;
    m_upgradeCancelled = false;
    m_progress->hide();
    m_cancel->hide();
    m_selectedRowId = 0;
    m_detail->showMessage(tr("Select an interaction to see it here."));
    m_conversation->clearConversation(
        tr("Choose a session in the sidebar to read it as a conversation."));
    m_sessions->setSessions({});
    m_model = new InteractionTableModel(path, this);
    m_reader = new StoreReader(path, this);
    m_model->setFilter(m_filter);
    m_replay->setStorePath(path);
    m_collector->setStorePath(path);
    m_table->setModel(m_model);
    m_review->setStore(path, m_model);
    auto *header = m_table->horizontalHeader();
    m_headerRestored =
        header->restoreState(QSettings().value(QStringLiteral("table/header")).toByteArray());
    if (!m_headerRestored) {
        // What a reviewer checks first comes first: flag, review status and sensitivity next to
        // the time, then who and what was asked; the figures last. In a 1440 px window all is in
        // view up to the prompt (the review column used to need scrolling to).
        using C = InteractionTableModel;
        const std::pair<int, int> layout[] = {
            {C::Time, 140},     {C::Flagged, 56},  {C::Review, 80},  {C::SensitivityLevel, 90},
            {C::User, 64},      {C::Session, 110}, {C::Model, 130},  {C::Prompt, 340},
            {C::Response, 280}, {C::Tokens, 64},   {C::Latency, 76}, {C::FinishReason, 56}};
        static_assert(std::size(layout) == C::ColumnCount);
        for (int visual = 0; visual < C::ColumnCount; ++visual) {
            const auto [column, width] = layout[visual];
            header->moveSection(header->visualIndex(column), visual);
            header->resizeSection(column, width);
        }
        m_headerRestored = true;
    }
    if (!InteractionTableModel::sortColumn(header->sortIndicatorSection()))
        header->setSortIndicator(InteractionTableModel::Time, Qt::DescendingOrder);
    // Sorting (which reloads the table) from when the store is open: until then the table's
    // readers ask it nothing.
    m_table->setSortingEnabled(false);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onCurrentRowChanged);
    connect(m_model, &InteractionTableModel::loaded, this, [this] {
        updateStatus();
        // A reload (after an import) resets the table: bring the selection back, or in follow
        // mode go to the newest.
        if (m_follow->isChecked())
            selectNewest();
        else if (m_selectedRowId != 0)
            selectInteraction(m_selectedRowId);
    });
    connect(m_reader, &StoreReader::storeChanged, this, [this] {
        m_model->refresh();
        Q_EMIT m_reader->loadSessions(++m_sessionsGeneration);
        m_dashboardStale = true;
    });
    connect(m_model, &InteractionTableModel::failed, this, [this](const QString &message) {
        m_status->setText(message);
        showMessage(this, QMessageBox::Warning, tr("Cannot read the store"), message);
    });
    connect(m_reader, &StoreReader::failed, this, [this](const QString &message) {
        if (m_storeReady)
            statusBar()->showMessage(message, 10000);
        else
            storeOpenFailed(message);
    });
    connect(m_reader, &StoreReader::upgradeProgress, this, &MainWindow::showUpgradeProgress);
    connect(m_reader, &StoreReader::storeOpened, this, [this] {
        if (m_storeReady)
            return;
        m_storeReady = true;
        m_progress->hide();
        m_cancel->hide();
        m_table->setSortingEnabled(true);
        if (m_import)
            return; // a seed import runs, and loads the table when it has finished
        m_status->setText(tr("Loading…"));
        m_model->reload();
        Q_EMIT m_reader->loadSessions(++m_sessionsGeneration);
    });
    connect(m_reader, &StoreReader::interactionLoaded, this,
            [this](quint64 generation, qint64 rowId, std::optional<StoredInteraction> item) {
                if (generation != m_detailGeneration)
                    return;
                if (!item) {
                    m_detail->showMessage(tr("This interaction is no longer in the store."));
                    return;
                }
                m_detail->setInteraction(*item);
                m_review->showReviewOf(rowId);
                m_replay->setInteraction(*item);
                Q_EMIT interactionShown(rowId);
            });
    connect(m_reader, &StoreReader::sessionsLoaded, this,
            [this](quint64 generation, std::vector<SessionSummary> sessions) {
                if (generation == m_sessionsGeneration)
                    m_sessions->setSessions(std::move(sessions));
            });
    connect(m_reader, &StoreReader::sessionLoaded, this,
            [this](quint64 generation, const std::string &sessionId,
                   std::vector<StoredInteraction> turns) {
                if (generation != m_conversationGeneration)
                    return; // the user has chosen another session meanwhile
                const QString id = QString::fromStdString(sessionId);
                m_conversation->setConversation(id, std::move(turns));
                if (m_selectedRowId != 0)
                    m_conversation->showTurnOf(m_selectedRowId);
                Q_EMIT sessionShown(id);
            });
    connect(m_reader, &StoreReader::compared, this,
            [this](quint64 generation, const Comparison &comparison) {
                if (generation != m_compareGeneration)
                    return;
                m_diff->setComparison(comparison);
                m_lowerTabs->setCurrentWidget(m_diff);
                Q_EMIT comparisonShown();
            });
    connect(m_reader, &StoreReader::summaryLoaded, this,
            [this](quint64 generation, const Summary &summary) {
                if (generation != m_summaryGeneration)
                    return;
                m_dashboard->setSummary(summary);
                Q_EMIT dashboardShown();
            });
    m_dashboardStale = true;
    if (m_mainTabs->currentWidget() == m_dashboard)
        showDashboard();
    if (isNew && !seedFiles.isEmpty()) {
        m_storeReady = true; // created by the import
        m_table->setSortingEnabled(true);
        m_status->setText(tr("Creating the store with the sample logs…"));
        importFiles(seedFiles);
    } else {
        // Opened (and upgraded when an older version wrote it) on the reader's thread first;
        // the table loads when it is open. The other readers open it after that, with nothing
        // left to upgrade, rather than each waiting for the store's lock.
        m_status->setText(tr("Opening the store…"));
        Q_EMIT m_reader->openStore();
    }
}

void MainWindow::showUpgradeProgress(int format, qint64 done, qint64 total)
{
    if (m_storeReady || m_upgradeCancelled)
        return;
    const int percent = total > 0 ? int(100 * done / total) : 100;
    if (total > 1)
        m_status->setText(tr("Upgrading the store to format %1: %2 % (%3 of %4 records)…")
                              .arg(format)
                              .arg(percent)
                              .arg(QLocale().toString(done), QLocale().toString(total)));
    else
        m_status->setText(tr("Upgrading the store to format %1…").arg(format));
    if (m_progress->isHidden()) {
        m_progress->reset();
        m_progress->show();
        m_cancel->setEnabled(true);
        m_cancel->show();
    }
    m_progress->setValue(percent);
}

void MainWindow::storeOpenFailed(const QString &message)
{
    m_progress->hide();
    m_cancel->hide();
    m_cancel->setEnabled(true);
    if (m_upgradeCancelled) {
        m_status->setText(tr("Upgrade cancelled: the store is unchanged and not open. Open it "
                             "again to upgrade it, or open another store."));
        return;
    }
    m_status->setText(tr("The store is not open."));
    showMessage(this, QMessageBox::Warning, tr("Cannot open the store"), message);
}

void MainWindow::updateStatus()
{
    const QString rows = counted(m_model->rowCount(), tr("interaction"), tr("interactions"));
    m_status->setText(
        tr("%1 — %2").arg(m_filter.matchesAll() ? rows : tr("%1 match the filter").arg(rows),
                          QDir::toNativeSeparators(m_storePath)));
}

void MainWindow::onCurrentRowChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const qint64 rowId = current.isValid() ? m_model->rowIdAt(current.row()) : 0;
    if (rowId == 0 || rowId == m_selectedRowId)
        return;
    m_selectedRowId = rowId;
    Q_EMIT m_reader->loadInteraction(++m_detailGeneration, rowId);
}

bool MainWindow::selectInteraction(qint64 rowId)
{
    const int row = m_model && rowId != 0 ? m_model->rowOf(rowId) : -1;
    if (row < 0)
        return false;
    const QModelIndex index = m_model->index(row, InteractionTableModel::Time);
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                          QItemSelectionModel::Rows);
    m_table->scrollTo(index);
    return true;
}

void MainWindow::selectNewest()
{
    // The newest is the one stored last, whatever the order of the table.
    qint64 newest = 0;
    for (int row = 0, rows = m_model ? m_model->rowCount() : 0; row < rows; ++row)
        newest = std::max(newest, m_model->rowIdAt(row));
    selectInteraction(newest);
}

void MainWindow::moveSelection(int delta)
{
    if (!m_model || m_model->rowCount() == 0)
        return;
    const int current = m_table->currentIndex().isValid() ? m_table->currentIndex().row() : -1;
    const int row = std::clamp(current + delta, 0, m_model->rowCount() - 1);
    selectInteraction(m_model->rowIdAt(row));
}

void MainWindow::showSession(const QString &sessionId)
{
    if (!m_reader || sessionId.isEmpty())
        return;
    m_lowerTabs->setCurrentWidget(m_conversation);
    Q_EMIT m_reader->loadSession(++m_conversationGeneration, sessionId.toStdString());
}

void MainWindow::showDashboard()
{
    if (!m_reader)
        return;
    m_dashboardStale = false;
    m_dashboard->showLoading();
    Q_EMIT m_reader->loadSummary(++m_summaryGeneration, m_filter);
}

void MainWindow::showDashboardTab()
{
    if (m_mainTabs->currentWidget() == m_dashboard)
        showDashboard();
    else
        m_mainTabs->setCurrentWidget(m_dashboard); // refreshes it when stale
}

void MainWindow::compareSelected()
{
    if (!m_model || !m_reader)
        return;
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.size() != 2) {
        statusBar()->showMessage(
            tr("Select exactly two interactions to compare (Ctrl+click the second)."), 6000);
        return;
    }
    // The table lists the newest first: the lower row is the older one, shown on the left.
    const int older = std::max(rows[0].row(), rows[1].row());
    const int newer = std::min(rows[0].row(), rows[1].row());
    Q_EMIT m_reader->compare(++m_compareGeneration, m_model->rowIdAt(older),
                             m_model->rowIdAt(newer));
}

void MainWindow::exportReport()
{
    if (!m_model || m_storePath.isEmpty())
        return;
    std::vector<qint64> selected;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        selected.push_back(m_model->rowIdAt(index.row()));
    auto *dialog = new ReportDialog(m_storePath, m_filterBar->appliedText(), m_filter,
                                    std::move(selected), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ReportDialog::reportWritten, this, [this](const QString &path) {
        statusBar()->showMessage(tr("Report written to %1").arg(QDir::toNativeSeparators(path)),
                                 8000);
    });
    dialog->open();
}

void MainWindow::copySelectedRows()
{
    if (!m_model)
        return;
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end());
    const auto *header = m_table->horizontalHeader();
    QStringList lines;
    QStringList titles;
    for (int visual = 0; visual < header->count(); ++visual) {
        const int column = header->logicalIndex(visual);
        if (!header->isSectionHidden(column))
            titles << m_model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString();
    }
    lines << titles.join(u'\t');
    for (const QModelIndex &row : rows) {
        QStringList cells;
        for (int visual = 0; visual < header->count(); ++visual) {
            const int column = header->logicalIndex(visual);
            if (!header->isSectionHidden(column))
                cells << m_model->index(row.row(), column)
                             .data()
                             .toString()
                             .replace(u'\t', u' ')
                             .replace(u'\n', u' ');
        }
        lines << cells.join(u'\t');
    }
    QApplication::clipboard()->setText(lines.join(u'\n') + u'\n');
    statusBar()->showMessage(tr("Copied %1.").arg(counted(rows.size(), tr("row"), tr("rows"))),
                             4000);
}

void MainWindow::showColumnMenu(const QPoint &pos)
{
    if (!m_model)
        return;
    auto *header = m_table->horizontalHeader();
    QMenu menu(this);
    for (int column = 0; column < m_model->columnCount(); ++column) {
        QAction *action =
            menu.addAction(m_model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString());
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        connect(action, &QAction::toggled, header, [header, column](bool on) {
            // Keep at least one column: a table without columns cannot be brought back.
            if (on || header->count() - header->hiddenSectionCount() > 1)
                header->setSectionHidden(column, !on);
        });
    }
    menu.addSeparator();
    menu.addAction(tr("Show All Columns"), header, [header] {
        for (int c = 0; c < header->count(); ++c)
            header->setSectionHidden(c, false);
    });
    menu.exec(header->mapToGlobal(pos));
}

void MainWindow::rememberStore(const QString &path)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentStores")).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue(QStringLiteral("recentStores"), recent);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu()
{
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentStores")).toStringList();
    for (const QString &path : recent) {
        QAction *action = m_recentMenu->addAction(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] {
            if (!QFileInfo::exists(path)) {
                showMessage(this, QMessageBox::Warning, tr("Store not found"),
                            tr("%1 no longer exists.").arg(QDir::toNativeSeparators(path)));
                return;
            }
            openStore(path);
        });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
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
    m_import = new ImportJob(m_storePath, files, ReviewActions::reviewerName(), this);
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
        Q_EMIT m_reader->loadSessions(++m_sessionsGeneration);
        m_dashboardStale = true;
        if (m_mainTabs->currentWidget() == m_dashboard)
            showDashboard();
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
    saveSettings();
    event->accept();
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    if (m_model && m_headerRestored)
        settings.setValue(QStringLiteral("table/header"), m_table->horizontalHeader()->saveState());
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
