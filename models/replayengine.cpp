#include "replayengine.h"

#include "logcodec.h"

#include <QDateTime>
#include <QFileInfo>
#include <QTimer>
#include <QUuid>

namespace llmaudit {

using namespace Qt::StringLiterals;

double ReplayOutcome::similarity() const
{
    return comparison ? responseSimilarity(*comparison) : 0.0;
}

// --- ReplayEngine ----------------------------------------------------------------------------

ReplayEngine::ReplayEngine(Store *store, std::vector<ProviderConfig> providers, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_providers(std::move(providers))
{
    qRegisterMetaType<llmaudit::ReplayOutcome>();
    qRegisterMetaType<llmaudit::ChatResult>();
}

ReplayEngine::~ReplayEngine()
{
    // The calls go before the clients they use, silently.
    qDeleteAll(findChildren<ReplayCall *>(Qt::FindDirectChildrenOnly));
}

void ReplayEngine::setParallelism(int replays)
{
    constexpr int ConnectionsPerClient = 6; // QNetworkAccessManager's limit per host
    m_clientsPerProvider = std::max(1, (replays + ConnectionsPerClient - 1) / ConnectionsPerClient);
}

LlmProvider *ReplayEngine::providerFor(const ProviderConfig &config)
{
    auto &clients = m_clients[config.name];
    if (clients.size() < size_t(m_clientsPerProvider)) {
        clients.push_back(LlmProvider::create(config));
        return clients.back().get();
    }
    size_t &next = m_nextClient[config.name];
    LlmProvider *client = clients[next % clients.size()].get();
    ++next;
    return client;
}

Result<ReplayPlan> ReplayEngine::plan(const nlohmann::json &original, const ReplaySpec &spec) const
{
    return planReplay(original, spec, m_providers, m_template);
}

ReplayCall *ReplayEngine::replay(const StoredInteraction &original, const ReplaySpec &spec)
{
    nlohmann::json document = nlohmann::json::parse(original.document, nullptr, false);
    if (!document.is_object()) {
        auto *call = new ReplayCall(this, {});
        ReplayOutcome outcome;
        outcome.error = Error{u"the stored record is not a JSON object"_s, {}};
        QTimer::singleShot(0, call, [call, outcome] { call->finish(outcome); });
        return call;
    }
    return replay(document, spec);
}

ReplayCall *ReplayEngine::replay(const nlohmann::json &original, const ReplaySpec &spec)
{
    auto planned = plan(original, spec);
    if (!planned) {
        std::string id;
        if (original.is_object())
            if (auto it = original.find("interaction_id"); it != original.end() && it->is_string())
                id = it->get<std::string>();
        auto *call = new ReplayCall(this, id);
        ReplayOutcome outcome;
        outcome.originalId = id;
        outcome.error = planned.error();
        QTimer::singleShot(0, call, [call, outcome] { call->finish(outcome); });
        return call;
    }
    return replay(std::move(*planned));
}

ReplayCall *ReplayEngine::replay(ReplayPlan plan)
{
    auto *call = new ReplayCall(this, plan.originalId);
    LlmProvider *client = providerFor(plan.provider);
    ChatCall *chat = client->chat(plan.request);
    call->m_plan = std::move(plan);
    call->m_chat = chat;
    connect(chat, &ChatCall::textReceived, call, &ReplayCall::textReceived);
    connect(chat, &ChatCall::retrying, call, &ReplayCall::retrying);
    connect(chat, &ChatCall::finished, call, [this, call, chat](const ChatResult &result) {
        call->m_chat = nullptr;
        chat->deleteLater();
        complete(call, result);
    });
    return call;
}

void ReplayEngine::complete(ReplayCall *call, const ChatResult &result)
{
    ReplayOutcome outcome;
    outcome.originalId = call->m_originalId;
    outcome.chat = result;
    if (!result.ok()) {
        outcome.error = result.failure->error;
        outcome.failure = result.failure->kind;
        call->finish(std::move(outcome));
        return;
    }
    const ReplayPlan &plan = *call->m_plan;
    const std::string id = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
    auto decoded =
        decodeDocument(replayRecord(plan, result, id, QDateTime::currentMSecsSinceEpoch()));
    if (!decoded) {
        // Only on a bug: the record is built to the schema.
        QString reasons;
        for (const ValidationError &e : decoded.error())
            reasons += QString::fromStdString(e.pointer + ": " + e.reason + "; ");
        outcome.error = Error{u"the replay record is not valid under the log format: "_s + reasons,
                              QString::fromStdString(plan.originalId)};
        call->finish(std::move(outcome));
        return;
    }
    outcome.replayId = id;
    outcome.comparison =
        compareInteractions(interactionFromDocument(plan.original), decoded->interaction, m_limits);
    outcome.document = decoded->document;
    if (m_store) {
        IncomingRecord record{
            std::move(*decoded), "replay via " + plan.provider.name.toStdString(), {}, {}};
        // What the provider answered may hold what the policy removes from everything else.
        auto redactWith = redactor();
        if (!redactWith) {
            outcome.error = Error{u"the replay was not stored: "_s + redactWith.error().message,
                                  redactWith.error().where};
            call->finish(std::move(outcome));
            return;
        }
        if (*redactWith)
            (*redactWith)->redactRecord(record.decoded);
        auto written = m_store->write(std::span(&record, 1), {});
        if (!written)
            outcome.error = Error{u"the replay could not be stored: "_s + written.error().message,
                                  written.error().where};
        else
            outcome.stored = written->stored == 1;
        if (outcome.stored) {
            ActivityEntry entry;
            entry.actor = m_actor;
            entry.kind = ActivityKind::Replay;
            entry.what = "replayed " + plan.originalId + " as " + id + " via " +
                         plan.provider.name.toStdString();
            entry.interactionIds = {plan.originalId, id};
            entry.count = 1;
            if (auto logged = m_store->logActivity(entry); !logged)
                outcome.error =
                    Error{u"the replay was stored but not logged: "_s + logged.error().message,
                          logged.error().where};
        }
    }
    call->finish(std::move(outcome));
}

Result<std::shared_ptr<const Redactor>> ReplayEngine::redactor()
{
    const QFileInfo file(storePolicyPath(m_store->location()));
    const std::optional<QDateTime> stamp =
        file.exists() ? std::optional(file.lastModified()) : std::nullopt;
    if (!m_policyRead || stamp != m_policyStamp) {
        auto made = storeRedactor(m_store->location());
        if (!made)
            return std::unexpected(made.error());
        m_redactor = std::move(*made);
        m_policyStamp = stamp;
        m_policyRead = true;
    }
    return m_redactor;
}

// --- ReplayCall ------------------------------------------------------------------------------

ReplayCall::ReplayCall(ReplayEngine *engine, std::string originalId)
    : QObject(engine)
    , m_engine(engine)
    , m_originalId(std::move(originalId))
{}

ReplayCall::~ReplayCall()
{
    if (m_chat) {
        ChatCall *chat = m_chat;
        m_chat = nullptr;
        disconnect(chat, nullptr, this, nullptr);
        delete chat; // aborts it silently
    }
}

void ReplayCall::cancel()
{
    if (m_finished)
        return;
    if (m_chat) {
        m_chat->cancel(); // finished() follows at once, through ReplayEngine::complete()
        return;
    }
    ReplayOutcome outcome;
    outcome.originalId = m_originalId;
    outcome.error = Error{u"cancelled"_s, {}};
    outcome.failure = FailureKind::Cancelled;
    finish(std::move(outcome));
}

void ReplayCall::finish(ReplayOutcome outcome)
{
    if (m_finished)
        return;
    m_finished = true;
    if (outcome.originalId.empty())
        outcome.originalId = m_originalId;
    m_outcome = std::move(outcome);
    Q_EMIT finished(m_outcome);
}

} // namespace llmaudit
