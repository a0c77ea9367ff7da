#pragma once

// The collector dock: a switch that starts and stops the live collector and recording proxy on
// the open store, its address, port and token, where it listens, and live counters of what it
// received, stored and rejected. Starting and stopping (which waits for the requests under way
// and commits them) run on a worker thread, so the window never waits.

#include "collectorserver.h"

#include <QFutureWatcher>
#include <QWidget>

class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace llmaudit {

class CollectorPanel : public QWidget
{
    Q_OBJECT

public:
    explicit CollectorPanel(QWidget *parent = nullptr);
    ~CollectorPanel() override; // stops the collector

    // The store the collector writes to; a running collector is restarted on the new one.
    void setStorePath(const QString &path);
    QString storePath() const { return m_storePath; }

    // Address, port, token and upstreams; the store path is the panel's own.
    void setConfig(const CollectorConfig &config);
    CollectorConfig config() const;

    // The window's follow mode (the table keeps the newest interaction selected as they
    // arrive), shown as a check box here too.
    void setFollowAction(QAction *follow);

    bool isRunning() const;
    quint16 port() const; // where it listens while running
    CollectorServer &server() { return m_server; }

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    // Records were committed (in the GUI thread): the table can show them. Coalesced: at most
    // one signal every half second, with the count since the last one.
    void interactionsStored(qint64 count);
    void runningChanged(bool running);

private:
    void loadSettings();
    static void saveSettings(const CollectorConfig &config);
    void refresh();
    void setBusy(bool busy);
    void finished(const QString &error);

    CollectorServer m_server;
    CollectorConfig m_config;
    QString m_storePath;
    QFutureWatcher<QString> m_watcher;
    bool m_restart = false;

    qint64 m_unannounced = 0;
    QTimer *m_announce = nullptr;
    QCheckBox *m_toggle = nullptr;
    QCheckBox *m_follow = nullptr;
    QLineEdit *m_address = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_token = nullptr;
    QPushButton *m_newToken = nullptr;
    QLineEdit *m_openaiUpstream = nullptr;
    QLineEdit *m_anthropicUpstream = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_received = nullptr;
    QLabel *m_stored = nullptr;
    QLabel *m_duplicates = nullptr;
    QLabel *m_rejected = nullptr;
    QLabel *m_queue = nullptr;
    QTimer *m_timer = nullptr;
};

} // namespace llmaudit
