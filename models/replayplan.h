#pragma once

// What a replay sends and what it records: a record and the user's overrides (ReplaySpec)
// become the request to send (ReplayPlan), and the plan with the provider's answer becomes the
// replay record. Plain values and functions; sending is ReplayEngine's job. docs/replay.md
// describes the rules in words.

#include "chattypes.h"
#include "comparison.h"
#include "providerconfig.h"
#include "result.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmaudit {

// How the user message is put together from the prompt and the context documents, for records
// without request.messages (and for a prompt or context override that cannot be put into the
// recorded messages in place). Placeholders: in `message` {context} and {prompt}; in
// `document` {n} (1-based), {content} and {source}. Without context documents the message is
// the prompt alone. Placeholders are replaced in one pass: text that comes in through one is
// never read as a placeholder itself.
struct ContextTemplate
{
    std::string message = "Context:\n{context}\n\nQuestion: {prompt}";
    std::string document = "[{n}] {content}";
    std::string separator = "\n";

    // `context`: the record's request.context (an array of {content, source, ...}; other items
    // and documents without text content are skipped).
    std::string render(const nlohmann::json &context, std::string_view prompt) const;

    nlohmann::json toJson() const;
    // {"message": ..., "document": ..., "separator": ...}, each optional; unknown keys refused.
    static Result<ContextTemplate> fromJson(const nlohmann::json &json, const QString &where);
    static Result<ContextTemplate> load(const QString &path);

    friend bool operator==(const ContextTemplate &, const ContextTemplate &) = default;
};

enum class SessionMode {
    History,        // each turn with the history as it was recorded
    Counterfactual, // each turn with the replayed answers of the earlier turns as the history
};
std::string_view toString(SessionMode mode); // "history", "counterfactual"
std::optional<SessionMode> sessionModeFromString(std::string_view text);

// What the user changes for a replay; what is not set is taken from the record.
struct ReplayOverrides
{
    std::optional<std::string> prompt;
    std::optional<std::string> systemPrompt;         // "" removes the system prompt
    std::optional<std::vector<std::string>> context; // the documents' contents, in order
    std::optional<std::string> model;
    // Parameters merged over request.parameters: a value replaces the recorded one, null
    // removes it (temperature, top_p, max_tokens, seed, stop, or any other, passed through).
    nlohmann::json parameters = nlohmann::json::object();

    bool isEmpty() const;
    nlohmann::json toJson() const; // what the replay record keeps under replay.overrides
};

struct ReplaySpec
{
    QString provider; // a name from the providers file; empty: see chooseProvider()
    ReplayOverrides overrides;
    bool stream = false;
    std::string runId; // the batch or session run the replay belongs to; empty: none
    // Session replay: the messages to send instead of the record's own (the turn with the
    // history its mode gives it), and the mode, which the record keeps.
    std::optional<std::vector<ChatMessage>> messages;
    std::optional<SessionMode> sessionMode;
};

// Everything a replay sends, decided before anything is sent.
struct ReplayPlan
{
    std::string originalId;
    nlohmann::json original; // the original record
    ProviderConfig provider;
    // What is sent: every message in `messages`, system messages included; `system` is empty.
    ChatRequest request;
    std::string messagesFrom; // "recorded", "rebuilt" or "session"
    // The texts the replay record keeps as its prompt, system prompt and context.
    std::optional<std::string> prompt;
    std::optional<std::string> systemPrompt;
    nlohmann::json context;    // an array, or null when there is none
    nlohmann::json parameters; // as sent, "model" included
    ReplaySpec spec;
    ContextTemplate contextTemplate;
    std::vector<std::string> warnings;
};

// The model a record asked for: request.parameters.model, else response.model; empty if none.
std::string recordedModel(const nlohmann::json &document);

// The provider a replay goes to: the one named; without a name, the first whose model is
// `model`, else the first of the file.
Result<ProviderConfig> chooseProvider(const std::vector<ProviderConfig> &providers,
                                      const QString &name, std::string_view model);

// The chat messages a record stands for: request.messages when present (text content parts
// joined; other parts refused), otherwise the system prompt and the user message rendered from
// the context and the prompt. `rebuilt` tells which; `warnings` gets what could not be carried.
Result<std::vector<ChatMessage>> recordMessages(const nlohmann::json &document,
                                                const ContextTemplate &contextTemplate,
                                                bool *rebuilt = nullptr,
                                                std::vector<std::string> *warnings = nullptr);

Result<ReplayPlan> planReplay(const nlohmann::json &original, const ReplaySpec &spec,
                              const std::vector<ProviderConfig> &providers,
                              const ContextTemplate &contextTemplate = {});

// The replay record of a plan whose call succeeded: valid under the v1 schema, replay_of set,
// the same user and session, request.messages exactly as sent, the provider's answer, usage
// and timings, and the details under "replay". Never holds an API key: any text equal to the
// provider's key (should a server echo it) is replaced by "<API key>".
nlohmann::json replayRecord(const ReplayPlan &plan, const ChatResult &result,
                            const std::string &interactionId, int64_t timestampMs);

// One "KEY=VALUE" of --param: VALUE is read as JSON when it is JSON (0.2, 42, ["a","b"],
// null, true), else taken as a string. null removes the parameter.
Result<std::pair<std::string, nlohmann::json>> parseParameter(QStringView text);

// The similarity a threshold is checked against: the responses' edit similarity, else
// (over the comparison limits) ROUGE-L F1, else token Jaccard. 1 means identical.
double responseSimilarity(const Comparison &comparison);

// A new replay run id: run-YYYYMMDD-HHMMSS-xxxxxx (UTC, random hex).
std::string newReplayRunId();

} // namespace llmaudit
