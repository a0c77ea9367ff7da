#include "sessionreplay.h"

#include <QTimer>

namespace llmaudit {

namespace {

using nlohmann::json;
using namespace Qt::StringLiterals;

constexpr int MaxTurns = 100000;

std::string responseContent(const json &document)
{
    auto response = document.find("response");
    if (response == document.end() || !response->is_object())
        return {};
    auto content = response->find("content");
    return content != response->end() && content->is_string() ? content->get<std::string>()
                                                              : std::string();
}

bool hasRecordedMessages(const json &document)
{
    auto request = document.find("request");
    if (request == document.end() || !request->is_object())
        return false;
    auto messages = request->find("messages");
    return messages != request->end() && messages->is_array() && !messages->empty();
}

} // namespace

SessionReplay::SessionReplay(ReplayEngine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
{
    qRegisterMetaType<llmaudit::SessionReplaySummary>();
}

Result<std::vector<ChatMessage>>
SessionReplay::turnMessages(const std::vector<json> &turns, size_t index, SessionMode mode,
                            const std::vector<std::string> &answers,
                            const ContextTemplate &contextTemplate, int *unmatched)
{
    const json &turn = turns.at(index);
    auto own = recordMessages(turn, contextTemplate);
    if (!own)
        return std::unexpected(own.error());
    if (hasRecordedMessages(turn)) {
        if (mode == SessionMode::History)
            return own;
        // The recorded history holds the original answers: each assistant message that is the
        // answer of an earlier turn becomes that turn's replayed answer.
        for (ChatMessage &message : *own) {
            if (message.role != "assistant")
                continue;
            bool matched = false;
            for (size_t j = index; j-- > 0;) {
                if (j < answers.size() && responseContent(turns[j]) == message.content) {
                    message.content = answers[j];
                    matched = true;
                    break;
                }
            }
            if (!matched && unmatched)
                ++*unmatched;
        }
        return own;
    }
    // No recorded messages: the history is built from the earlier turns, each its user message
    // and its answer (the original one, or the replayed one).
    std::vector<ChatMessage> messages;
    if (!own->empty() && own->front().role == "system")
        messages.push_back(own->front());
    for (size_t j = 0; j < index; ++j) {
        auto earlier = recordMessages(turns[j], contextTemplate);
        if (!earlier)
            return std::unexpected(earlier.error());
        auto user = std::ranges::find_if(earlier->rbegin(), earlier->rend(),
                                         [](const ChatMessage &m) { return m.role == "user"; });
        if (user != earlier->rend())
            messages.push_back(*user);
        if (mode == SessionMode::Counterfactual && j < answers.size())
            messages.push_back({"assistant", answers[j]});
        else
            messages.push_back({"assistant", responseContent(turns[j])});
    }
    messages.push_back(own->back());
    return messages;
}

void SessionReplay::start(const std::string &sessionId, SessionMode mode, ReplaySpec spec)
{
    m_summary = {};
    m_summary.sessionId = sessionId;
    m_summary.mode = mode;
    m_mode = mode;
    m_spec = std::move(spec);
    if (m_spec.runId.empty())
        m_spec.runId = newReplayRunId();
    m_spec.sessionMode = mode;
    m_summary.runId = m_spec.runId;
    m_turns.clear();
    m_answers.clear();
    m_index = 0;
    m_cancelled = false;
    m_running = true;
    auto failNow = [this](Error error) {
        m_summary.error = std::move(error);
        QTimer::singleShot(0, this, &SessionReplay::end);
    };
    if (m_spec.overrides.prompt || m_spec.overrides.context)
        return failNow(Error{u"a session is replayed with each turn's own prompt and context: "
                             "they cannot be overridden for all turns"_s,
                             {}});
    Store *store = m_engine->store();
    if (!store)
        return failNow(Error{u"session replay needs a store"_s, {}});
    auto stored = store->sessionInteractions(sessionId, MaxTurns);
    if (!stored)
        return failNow(stored.error());
    for (const StoredInteraction &item : *stored) {
        json document = json::parse(item.document, nullptr, false);
        if (!document.is_object())
            continue;
        if (auto replayOf = document.find("replay_of");
            replayOf != document.end() && replayOf->is_string() && !replayOf->empty())
            continue; // a replay is not a turn of the session
        m_turns.push_back(std::move(document));
    }
    m_summary.turns = int(m_turns.size());
    if (m_turns.empty())
        return failNow(Error{
            u"no interactions in session \"%1\""_s.arg(QString::fromStdString(sessionId)), {}});
    QTimer::singleShot(0, this, &SessionReplay::next);
}

void SessionReplay::cancel()
{
    if (!m_running || m_cancelled)
        return;
    m_cancelled = true;
    m_summary.cancelled = true;
    if (m_call)
        m_call->cancel(); // its finished() ends the run
    else
        QTimer::singleShot(0, this, &SessionReplay::end);
}

void SessionReplay::next()
{
    if (!m_running)
        return;
    if (m_cancelled || m_index >= m_turns.size()) {
        end();
        return;
    }
    const size_t index = m_index;
    const std::string originalId = m_turns[index].value("interaction_id", std::string());
    Q_EMIT turnStarted(int(index), int(m_turns.size()), QString::fromStdString(originalId));
    auto messages = turnMessages(m_turns, index, m_mode, m_answers, m_engine->contextTemplate(),
                                 &m_summary.unmatchedAssistantMessages);
    if (!messages) {
        ReplayOutcome outcome;
        outcome.originalId = originalId;
        outcome.error = messages.error();
        turnDone(index, std::move(outcome));
        return;
    }
    ReplaySpec spec = m_spec;
    spec.messages = std::move(*messages);
    ReplayCall *call = m_engine->replay(m_turns[index], spec);
    m_call = call;
    connect(call, &ReplayCall::textReceived, this, &SessionReplay::textReceived);
    connect(call, &ReplayCall::finished, this, [this, call, index](const ReplayOutcome &outcome) {
        m_call = nullptr;
        call->deleteLater();
        turnDone(index, outcome);
    });
}

void SessionReplay::turnDone(size_t index, ReplayOutcome outcome)
{
    if (outcome.ok()) {
        ++m_summary.replayed;
        m_answers.push_back(outcome.chat.content);
    } else {
        ++m_summary.failed;
        // History mode goes on (each turn stands alone); counterfactually there is no answer to
        // carry forward, so the run stops here.
        m_answers.push_back(responseContent(m_turns[index]));
        if (m_mode == SessionMode::Counterfactual)
            m_cancelled = true;
    }
    m_summary.outcomes.push_back(outcome);
    Q_EMIT turnFinished(int(index), outcome);
    ++m_index;
    QTimer::singleShot(0, this, &SessionReplay::next);
}

void SessionReplay::end()
{
    if (!m_running)
        return;
    m_running = false;
    m_summary.notRun = std::max(0, m_summary.turns - m_summary.replayed - m_summary.failed);
    Q_EMIT finished(m_summary);
}

} // namespace llmaudit
