#pragma once

// Replays a whole session, turn after turn in time order, either with the history each turn
// was recorded with or counterfactually, with the replayed answers of the earlier turns as the
// history. Runs in the thread of the ReplayEngine it uses, which must have a store.

#include "replayengine.h"

#include <QObject>
#include <QPointer>

namespace llmaudit {

struct SessionReplaySummary
{
    std::string sessionId;
    std::string runId;
    SessionMode mode = SessionMode::History;
    int turns = 0;    // originals in the session (replays of them are not turns)
    int replayed = 0; // turns replayed and stored
    int failed = 0;
    int notRun = 0; // after a counterfactual failure, or when cancelled
    // Counterfactual: assistant messages of recorded histories that matched no earlier turn's
    // answer and were sent as recorded.
    int unmatchedAssistantMessages = 0;
    bool cancelled = false;
    std::optional<Error> error;          // the session could not be read
    std::vector<ReplayOutcome> outcomes; // one a turn that ran, in order
};

class SessionReplay : public QObject
{
    Q_OBJECT

public:
    explicit SessionReplay(ReplayEngine *engine, QObject *parent = nullptr);

    // Reads the session's turns from the engine's store and replays them. `spec` applies to
    // every turn (provider, model, parameters, system prompt; a prompt or context override is
    // refused: a session has one a turn). Its runId names the run; empty: a new one.
    void start(const std::string &sessionId, SessionMode mode, ReplaySpec spec);
    // Stops after cancelling the turn under way.
    void cancel();

    bool isRunning() const { return m_running; }
    const SessionReplaySummary &summary() const { return m_summary; }

    // The messages turn `index` of `turns` is sent with in `mode`: pure, for tests and previews.
    // `answers[j]` is the replayed answer of turn j < index (counterfactual).
    static Result<std::vector<ChatMessage>> turnMessages(const std::vector<nlohmann::json> &turns,
                                                         size_t index, SessionMode mode,
                                                         const std::vector<std::string> &answers,
                                                         const ContextTemplate &contextTemplate,
                                                         int *unmatched = nullptr);

Q_SIGNALS:
    void turnStarted(int index, int count, const QString &originalId);
    void textReceived(const QString &text);
    void turnFinished(int index, const llmaudit::ReplayOutcome &outcome);
    void finished(const llmaudit::SessionReplaySummary &summary);

private:
    void next();
    void turnDone(size_t index, ReplayOutcome outcome);
    void end();

    ReplayEngine *m_engine;
    SessionMode m_mode = SessionMode::History;
    ReplaySpec m_spec;
    std::vector<nlohmann::json> m_turns;
    std::vector<std::string> m_answers;
    size_t m_index = 0;
    QPointer<ReplayCall> m_call;
    bool m_running = false;
    bool m_cancelled = false;
    SessionReplaySummary m_summary;
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::SessionReplaySummary)
