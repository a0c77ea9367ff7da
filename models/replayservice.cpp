#include "replayservice.h"

#include <map>

namespace llmaudit {

using namespace Qt::StringLiterals;

class ReplayService::Worker : public QObject
{
public:
    Worker(ReplayService *owner, QString storePath, QString providersPath)
        : m_owner(owner)
        , m_storePath(std::move(storePath))
        , m_providersPath(std::move(providersPath))
    {}

    void close()
    {
        m_calls.clear(); // the engine deletes them, silently
        m_engine.reset();
        m_store.reset();
    }

    void loadProviders()
    {
        auto loaded = llmaudit::loadProviders(m_providersPath);
        if (!loaded) {
            m_providers.clear();
            Q_EMIT m_owner->providersLoaded({}, loaded.error().toString());
        } else {
            m_providers = std::move(*loaded);
            Q_EMIT m_owner->providersLoaded(m_providers, {});
        }
        m_providersRead = true;
        // A running replay keeps the engine it started on; the next one gets a new one.
        if (m_calls.empty())
            m_engine.reset();
    }

    void run(quint64 ticket, const StoredInteraction &original, const ReplaySpec &spec)
    {
        ReplayEngine *engine = this->engine();
        if (!engine) {
            ReplayOutcome outcome;
            outcome.error = m_error;
            Q_EMIT m_owner->finished(ticket, outcome);
            return;
        }
        ReplayCall *call = engine->replay(original, spec);
        m_calls[ticket] = call;
        connect(call, &ReplayCall::textReceived, this, [this, ticket](const QString &text) {
            Q_EMIT m_owner->textReceived(ticket, text);
        });
        connect(call, &ReplayCall::retrying, this,
                [this, ticket](int attempt, int delayMs, const QString &reason) {
                    Q_EMIT m_owner->retrying(ticket, attempt, delayMs, reason);
                });
        connect(call, &ReplayCall::finished, this,
                [this, ticket, call](const ReplayOutcome &outcome) {
                    m_calls.erase(ticket);
                    call->deleteLater();
                    Q_EMIT m_owner->finished(ticket, outcome);
                });
    }

    void setActor(const QString &actor)
    {
        m_actor = actor.toStdString();
        if (m_engine && !m_actor.empty())
            m_engine->setActor(m_actor);
    }

    void cancel(quint64 ticket)
    {
        if (auto it = m_calls.find(ticket); it != m_calls.end())
            it->second->cancel();
    }

    void loadHistory(quint64 generation, const std::string &interactionId)
    {
        Store *s = store();
        if (!s)
            return;
        auto original = s->interaction(interactionId);
        auto replays = s->replaysOf(interactionId, MaxHistory);
        if (!original || !replays) {
            Q_EMIT m_owner->failed(original ? replays.error().toString()
                                            : original.error().toString());
            return;
        }
        std::string originalResponse;
        if (*original) {
            auto doc = nlohmann::json::parse((*original)->document, nullptr, false);
            originalResponse = responseText(doc);
        }
        std::vector<ReplayHistoryEntry> entries;
        for (const StoredInteraction &item : *replays) {
            auto doc = nlohmann::json::parse(item.document, nullptr, false);
            if (!doc.is_object())
                continue;
            ReplayHistoryEntry entry;
            entry.replayId = text(doc, {"interaction_id"});
            entry.timestamp = text(doc, {"timestamp"});
            entry.runId = text(doc, {"replay", "run_id"});
            entry.provider = text(doc, {"replay", "provider", "name"});
            entry.model = recordedModel(doc);
            entry.finishReason = text(doc, {"response", "finish_reason"});
            if (*original) {
                const TextScores scores = scoreTexts(originalResponse, responseText(doc));
                entry.exactMatch = scores.exactMatch;
                entry.similarity = scores.editSimilarity;
            }
            entries.push_back(std::move(entry));
        }
        Q_EMIT m_owner->historyLoaded(generation, interactionId, std::move(entries));
    }

    void compare(quint64 generation, const std::string &idA, const std::string &idB)
    {
        Store *s = store();
        if (!s)
            return;
        auto a = s->interaction(idA);
        auto b = s->interaction(idB);
        if (!a || !b) {
            Q_EMIT m_owner->failed(a ? b.error().toString() : a.error().toString());
            return;
        }
        if (!*a || !*b) {
            Q_EMIT m_owner->failed(tr("The interaction is no longer in the store."));
            return;
        }
        auto comparison = compareDocuments((*a)->document, (*b)->document);
        if (!comparison) {
            Q_EMIT m_owner->failed(comparison.error().toString());
            return;
        }
        Q_EMIT m_owner->compared(generation, std::move(*comparison));
    }

private:
    // The string at a path of keys; empty when it is missing or not a string.
    static std::string text(const nlohmann::json &doc, std::initializer_list<const char *> path)
    {
        const nlohmann::json *at = &doc;
        for (const char *key : path) {
            if (!at->is_object())
                return {};
            auto it = at->find(key);
            if (it == at->end())
                return {};
            at = &*it;
        }
        return at->is_string() ? at->get<std::string>() : std::string();
    }

    static std::string responseText(const nlohmann::json &doc)
    {
        return text(doc, {"response", "content"});
    }

    Store *store()
    {
        if (!m_store) {
            auto opened = Store::open(m_storePath, Store::Access::ReadWrite);
            if (!opened) {
                m_error = opened.error();
                Q_EMIT m_owner->failed(opened.error().toString());
                return nullptr;
            }
            m_store = std::move(*opened);
        }
        return m_store.get();
    }

    ReplayEngine *engine()
    {
        if (!m_providersRead)
            loadProviders();
        if (!m_engine) {
            Store *s = store();
            if (!s)
                return nullptr;
            m_engine = std::make_unique<ReplayEngine>(s, m_providers);
            if (!m_actor.empty())
                m_engine->setActor(m_actor);
        }
        return m_engine.get();
    }

    ReplayService *m_owner;
    QString m_storePath;
    QString m_providersPath;
    std::unique_ptr<Store> m_store;
    std::vector<ProviderConfig> m_providers;
    bool m_providersRead = false;
    std::unique_ptr<ReplayEngine> m_engine;
    std::map<quint64, ReplayCall *> m_calls;
    std::string m_actor; // empty: the engine's default
    Error m_error;
};

ReplayService::ReplayService(QString storePath, QString providersPath, QObject *parent)
    : QObject(parent)
    , m_storePath(std::move(storePath))
    , m_providersPath(std::move(providersPath))
{
    qRegisterMetaType<llmaudit::ReplaySpec>();
    qRegisterMetaType<llmaudit::StoredInteraction>();
    qRegisterMetaType<llmaudit::ReplayOutcome>();
    qRegisterMetaType<llmaudit::Comparison>();
    qRegisterMetaType<std::string>();
    qRegisterMetaType<std::vector<llmaudit::ProviderConfig>>();
    qRegisterMetaType<std::vector<llmaudit::ReplayHistoryEntry>>();
    auto *worker = new Worker(this, m_storePath, m_providersPath);
    worker->moveToThread(&m_thread);
    connect(this, &ReplayService::setActor, worker,
            [worker](const QString &actor) { worker->setActor(actor); });
    connect(this, &ReplayService::loadProviders, worker, [worker] { worker->loadProviders(); });
    connect(this, &ReplayService::run, worker,
            [worker](quint64 ticket, const StoredInteraction &original, const ReplaySpec &spec) {
                worker->run(ticket, original, spec);
            });
    connect(this, &ReplayService::cancel, worker,
            [worker](quint64 ticket) { worker->cancel(ticket); });
    connect(this, &ReplayService::loadHistory, worker,
            [worker](quint64 generation, const std::string &id) {
                worker->loadHistory(generation, id);
            });
    connect(this, &ReplayService::compare, worker,
            [worker](quint64 generation, const std::string &a, const std::string &b) {
                worker->compare(generation, a, b);
            });
    connect(&m_thread, &QThread::finished, worker, [worker] {
        worker->close(); // the connection and the network clients end in their own thread
        delete worker;
    });
    m_thread.setObjectName(QStringLiteral("replay"));
    m_thread.start();
}

ReplayService::~ReplayService()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace llmaudit
