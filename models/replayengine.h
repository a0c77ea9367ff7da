#pragma once

// Replays interactions against LLM providers: ReplayEngine sends a planned replay (see
// replayplan.h), turns the answer into a replay record, stores it and compares it with the
// original; ReplayCall is one replay under way. Asynchronous and signal-based, in the thread
// the engine lives in; the store it writes to must belong to that thread too.

#include "comparison.h"
#include "llmprovider.h"
#include "redactor.h"
#include "replayplan.h"
#include "store.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace llmaudit {

// How one replay ended.
struct ReplayOutcome
{
    std::string originalId;
    // Set when the replay failed: planning, the provider (then `failure` says which kind), or
    // storing the record. The message names the provider or the store and what to do.
    std::optional<Error> error;
    std::optional<FailureKind> failure;

    std::string replayId; // the new record's interaction_id (empty when the call failed)
    std::string document; // the replay record, as stored
    bool stored = false;  // false when the engine has no store, or storing failed
    ChatResult chat;      // what the provider sent back (partial text when it failed)
    std::optional<Comparison> comparison; // the original (A) against the replay (B)

    bool ok() const { return !error.has_value(); }
    // responseSimilarity() of the comparison; 0 when there is none.
    double similarity() const;
    QString errorText() const { return error ? error->toString() : QString(); }
};

class ReplayCall;

class ReplayEngine : public QObject
{
    Q_OBJECT

public:
    // `store`: where replay records go (may be null: nothing is stored). It must live in the
    // engine's thread and outlive the engine. Replay records are redacted by the store's
    // policy (STORE.privacy.json) before they are stored, as imports and the collector are.
    ReplayEngine(Store *store, std::vector<ProviderConfig> providers, QObject *parent = nullptr);
    ~ReplayEngine() override;

    const std::vector<ProviderConfig> &providers() const { return m_providers; }
    Store *store() const { return m_store; }

    const ContextTemplate &contextTemplate() const { return m_template; }
    void setContextTemplate(ContextTemplate contextTemplate)
    {
        m_template = std::move(contextTemplate);
    }
    void setComparisonLimits(const ComparisonLimits &limits) { m_limits = limits; }
    // Who replays, for the activity log: each stored replay is logged as a Replay entry naming
    // the original and the replay (default: the OS user).
    void setActor(std::string actor) { m_actor = std::move(actor); }
    // How many replays may run at once against one provider: Qt opens at most six HTTP/1.1
    // connections per host and client, so the engine uses one client per six.
    void setParallelism(int replays);

    // Decides what a replay of `original` sends, without sending anything.
    Result<ReplayPlan> plan(const nlohmann::json &original, const ReplaySpec &spec) const;

    // Starts a replay and returns at once; every signal of the call comes later, from the event
    // loop. A plan that cannot be made finishes the call with its error. The call is a child of
    // the engine: delete it (deleteLater()) when done with it.
    ReplayCall *replay(const nlohmann::json &original, const ReplaySpec &spec);
    ReplayCall *replay(ReplayPlan plan);
    // The same for a stored interaction (its document).
    ReplayCall *replay(const StoredInteraction &original, const ReplaySpec &spec);

private:
    friend class ReplayCall;
    LlmProvider *providerFor(const ProviderConfig &config);
    void complete(ReplayCall *call, const ChatResult &result);
    // The store's redactor (null without a policy), read again when the policy file changed.
    Result<std::shared_ptr<const Redactor>> redactor();

    Store *m_store;
    std::vector<ProviderConfig> m_providers;
    ContextTemplate m_template;
    ComparisonLimits m_limits;
    std::string m_actor = Store::osUserName();
    int m_clientsPerProvider = 1;
    // Clients by provider name, used in turn.
    std::map<QString, std::vector<std::unique_ptr<LlmProvider>>> m_clients;
    std::map<QString, size_t> m_nextClient;
    std::shared_ptr<const Redactor> m_redactor;
    std::optional<QDateTime> m_policyStamp; // the policy file's time when read (null: none)
    bool m_policyRead = false;
};

// One replay under way. Emits textReceived() while a streamed answer arrives, retrying()
// before each retry of the provider, and finished() exactly once.
class ReplayCall : public QObject
{
    Q_OBJECT

public:
    ~ReplayCall() override;

    const std::string &originalId() const { return m_originalId; }
    // Empty when the plan could not be made.
    const std::optional<ReplayPlan> &plan() const { return m_plan; }
    bool isFinished() const { return m_finished; }
    const ReplayOutcome &outcome() const { return m_outcome; }

    // Stops the call: finished() follows with a Cancelled failure, and nothing is stored. Does
    // nothing once finished.
    void cancel();

Q_SIGNALS:
    void textReceived(const QString &text);
    void retrying(int attempt, int delayMs, const QString &reason);
    void finished(const llmaudit::ReplayOutcome &outcome);

private:
    friend class ReplayEngine;
    ReplayCall(ReplayEngine *engine, std::string originalId);
    void finish(ReplayOutcome outcome);

    ReplayEngine *m_engine;
    std::string m_originalId;
    std::optional<ReplayPlan> m_plan;
    QPointer<ChatCall> m_chat;
    ReplayOutcome m_outcome;
    bool m_finished = false;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::ReplayOutcome)
