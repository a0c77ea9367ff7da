#include "conversationview.h"

#include "counted.h"
#include "logschema.h"
#include "storereader.h"

#include <QDateTime>
#include <QScrollBar>
#include <QUrlQuery>

namespace llmaudit {

using nlohmann::json;

namespace {

QString text(const json &object, const char *key)
{
    if (!object.is_object() || !object.contains(key))
        return {};
    const json &value = object[key];
    if (value.is_string())
        return QString::fromStdString(value.get<std::string>());
    return value.is_null()
               ? QString()
               : QString::fromStdString(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

const json &member(const json &object, const char *key)
{
    static const json empty = json::object();
    return object.is_object() && object.contains(key) && object[key].is_object() ? object[key]
                                                                                 : empty;
}

} // namespace

ConversationView::ConversationView(QWidget *parent)
    : InertTextBrowser(parent)
{
    setFrameShape(QFrame::NoFrame);
    connect(this, &QTextBrowser::anchorClicked, this, &ConversationView::onAnchor);
    clearConversation(tr("Choose a session in the sidebar to read it as a conversation."));
}

void ConversationView::clearConversation(const QString &message)
{
    m_sessionId.clear();
    m_turns.clear();
    m_documents.clear();
    m_unfolded.clear();
    setPlainText(message);
}

void ConversationView::setConversation(const QString &sessionId,
                                       std::vector<StoredInteraction> turns)
{
    if (sessionId != m_sessionId)
        m_unfolded.clear();
    m_sessionId = sessionId;
    m_turns = std::move(turns);
    m_documents.clear();
    for (const auto &turn : m_turns)
        m_documents.push_back(json::parse(turn.document, nullptr, false));
    verticalScrollBar()->setValue(0);
    render();
}

void ConversationView::setUnfolded(int turn, const QString &part, bool unfolded)
{
    const QString key = QStringLiteral("%1/%2").arg(turn).arg(part);
    if (unfolded)
        m_unfolded.insert(key);
    else
        m_unfolded.remove(key);
    const int scroll = verticalScrollBar()->value();
    render();
    verticalScrollBar()->setValue(scroll);
}

bool ConversationView::showTurnOf(qint64 rowId)
{
    for (const auto &turn : m_turns)
        if (turn.rowId == rowId) {
            scrollToAnchor(QStringLiteral("turn-%1").arg(rowId));
            return true;
        }
    return false;
}

void ConversationView::onAnchor(const QUrl &url)
{
    // Only our own links exist here (log text never becomes a link target we follow).
    if (url.scheme() != u"llmaudit")
        return;
    const QUrlQuery query(url);
    if (url.host() == u"fold") {
        const int turn = query.queryItemValue(u"turn"_qs).toInt();
        const QString part = query.queryItemValue(u"part"_qs);
        setUnfolded(turn, part, !m_unfolded.contains(QStringLiteral("%1/%2").arg(turn).arg(part)));
    } else if (url.host() == u"turn") {
        Q_EMIT turnActivated(query.queryItemValue(u"row"_qs).toLongLong());
    }
}

void ConversationView::render()
{
    clear();
    RichTextWriter w(document());
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    const QColor userBackground = dark ? QColor(0x1d, 0x35, 0x57) : QColor(0xe8, 0xf0, 0xfb);
    const QColor modelBackground = palette().color(QPalette::AlternateBase);
    QString firstUser;
    for (const auto &doc : m_documents)
        if (firstUser.isEmpty())
            firstUser = text(doc, "user_id");
    w.heading(
        tr("Session %1").arg(m_sessionId),
        tr("%1, user %2").arg(counted(qint64(m_turns.size()), tr("turn"), tr("turns")), firstUser));
    if (int(m_turns.size()) >= StoreReader::MaxSessionTurns)
        w.label(tr("Showing the first %1 turns only.").arg(StoreReader::MaxSessionTurns));
    QString previousSystem;
    for (size_t i = 0; i < m_turns.size(); ++i) {
        const json &doc = m_documents[i];
        const qint64 rowId = m_turns[i].rowId;
        const int turn = int(i) + 1;
        if (doc.is_discarded()) {
            w.heading(tr("Turn %1").arg(turn), tr("(not valid JSON)"));
            w.box(QString::fromStdString(m_turns[i].document));
            continue;
        }
        const json &request = member(doc, "request");
        const json &response = member(doc, "response");
        const json &metrics = member(doc, "metrics");
        QString when = text(doc, "timestamp");
        if (auto ms = LogSchema::parseDateTime(when.toStdString()))
            when = QDateTime::fromMSecsSinceEpoch(*ms).toString(u"yyyy-MM-dd HH:mm:ss"_qs);
        QStringList facts{when};
        QString model = text(response, "model");
        if (model.isEmpty())
            model = text(member(request, "parameters"), "model");
        if (!model.isEmpty())
            facts << model;
        if (!text(metrics, "total_tokens").isEmpty())
            facts << tr("%1 tokens").arg(text(metrics, "total_tokens"));
        if (!text(metrics, "latency_ms").isEmpty())
            facts << tr("%1 ms").arg(text(metrics, "latency_ms"));
        if (member(doc, "evaluation").value("flagged", false) == true)
            facts << tr("⚑ flagged");
        w.heading(tr("Turn %1").arg(turn), facts.join(u"  ·  "_qs),
                  QStringLiteral("turn-%1").arg(rowId));
        w.link(tr("Show in the table and details"),
               QStringLiteral("llmaudit://turn?row=%1").arg(rowId));

        auto foldable = [&](const QString &part, const QString &title, const auto &writeBody) {
            const bool open = m_unfolded.contains(QStringLiteral("%1/%2").arg(turn).arg(part));
            w.link((open ? u"▾ "_qs : u"▸ "_qs) + title,
                   QStringLiteral("llmaudit://fold?turn=%1&part=%2").arg(turn).arg(part));
            if (open)
                writeBody();
        };
        const QString system = text(request, "system_prompt");
        if (!system.isEmpty()) {
            const QString title =
                system == previousSystem
                    ? tr("System prompt (unchanged, %1)")
                          .arg(counted(system.size(), tr("character"), tr("characters")))
                    : tr("System prompt (%1)")
                          .arg(counted(system.size(), tr("character"), tr("characters")));
            foldable(u"system"_qs, title, [&] { w.box(system); });
            previousSystem = system;
        }
        const json context = request.value("context", json::array());
        if (context.is_array() && !context.empty())
            foldable(u"context"_qs,
                     tr("Context: %1")
                         .arg(counted(qint64(context.size()), tr("document"), tr("documents"))),
                     [&] {
                         for (const auto &item : context) {
                             w.label(text(item, "source"));
                             w.box(item.is_object() ? text(item, "content") : QString());
                         }
                     });
        w.label(tr("User"));
        w.box(text(request, "prompt"), false, userBackground);
        w.label(
            tr("Assistant") +
            (text(response, "finish_reason").isEmpty() || text(response, "finish_reason") == u"stop"
                 ? QString()
                 : tr("  (stopped: %1)").arg(text(response, "finish_reason"))));
        w.box(text(response, "content"), true, modelBackground);
    }
}

} // namespace llmaudit
