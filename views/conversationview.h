#pragma once

// One session as a conversation, turn by turn: the user's prompt and the model's answer, with
// the system prompt and the context documents folded in (a click unfolds them).

#include "richtextwriter.h"
#include "store.h"

#include <QSet>

namespace llmaudit {

class ConversationView : public InertTextBrowser
{
    Q_OBJECT

public:
    explicit ConversationView(QWidget *parent = nullptr);

    void setConversation(const QString &sessionId, std::vector<StoredInteraction> turns);
    void clearConversation(const QString &message);
    const QString &sessionId() const { return m_sessionId; }
    int turnCount() const { return int(m_turns.size()); }

    // Unfolds or folds a turn's system prompt ("system") or context ("context").
    void setUnfolded(int turn, const QString &part, bool unfolded);
    // Scrolls to the turn of this row id; false when it is not in the conversation.
    bool showTurnOf(qint64 rowId);

Q_SIGNALS:
    void turnActivated(qint64 rowId); // the user clicked a turn's heading

private:
    void render();
    void onAnchor(const QUrl &url);

    QString m_sessionId;
    std::vector<StoredInteraction> m_turns;
    std::vector<nlohmann::json> m_documents;
    QSet<QString> m_unfolded; // "turn/part"
};

} // namespace llmaudit
