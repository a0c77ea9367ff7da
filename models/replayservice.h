#pragma once

// Replays for the window: a worker thread with its own store connection, the configured
// providers and a ReplayEngine. Requests go in and answers come back by queued signals, so the
// GUI thread never waits on the network or the disk.

#include "replayengine.h"
#include "storereader.h" // the metatypes of Comparison and StoredInteraction lists

#include <QObject>
#include <QThread>

namespace llmaudit {

// One replay of an interaction, as its history lists it.
struct ReplayHistoryEntry
{
    std::string replayId;
    std::string timestamp;
    std::string provider;
    std::string model;
    std::string runId;
    std::string finishReason;
    bool exactMatch = false;
    std::optional<double> similarity; // the responses' edit similarity
};

class ReplayService : public QObject
{
    Q_OBJECT

public:
    // Starts the worker thread. The store is opened there when first needed; the providers
    // file is read on loadProviders() and before the first replay.
    explicit ReplayService(QString storePath, QString providersPath = defaultProvidersPath(),
                           QObject *parent = nullptr);
    ~ReplayService() override;

    const QString &storePath() const { return m_storePath; }
    const QString &providersPath() const { return m_providersPath; }

    // At most this many replays are listed in an interaction's history.
    static constexpr int MaxHistory = 500;

Q_SIGNALS:
    // Requests (from any thread).
    // Who the activity log records the next replays under (the window's Reviewer Name; until
    // set, the OS user).
    void setActor(QString actor);
    void loadProviders();
    void run(quint64 ticket, llmaudit::StoredInteraction original, llmaudit::ReplaySpec spec);
    void cancel(quint64 ticket);
    void loadHistory(quint64 generation, std::string interactionId);
    void compare(quint64 generation, std::string idA, std::string idB);

    // Answers (to the requester's thread).
    void providersLoaded(std::vector<llmaudit::ProviderConfig> providers, QString error);
    void textReceived(quint64 ticket, QString text);
    void retrying(quint64 ticket, int attempt, int delayMs, QString reason);
    void finished(quint64 ticket, llmaudit::ReplayOutcome outcome);
    void historyLoaded(quint64 generation, std::string interactionId,
                       std::vector<llmaudit::ReplayHistoryEntry> entries);
    void compared(quint64 generation, llmaudit::Comparison comparison);
    void failed(QString message);

private:
    class Worker;
    QString m_storePath;
    QString m_providersPath;
    QThread m_thread;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::ReplaySpec)
Q_DECLARE_METATYPE(llmaudit::StoredInteraction)
Q_DECLARE_METATYPE(std::vector<llmaudit::ProviderConfig>)
Q_DECLARE_METATYPE(std::vector<llmaudit::ReplayHistoryEntry>)
