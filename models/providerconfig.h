#pragma once

// The configured LLM endpoints (providers.json, format in docs/providers.md) and their loader.
// API keys are never in the file: an entry names the environment variable that holds its key.

#include "result.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace llmaudit {

enum class ProviderKind { OpenAi, Anthropic, Ollama };

std::optional<ProviderKind>
providerKindFromString(std::string_view text); // openai|anthropic|ollama
QString toString(ProviderKind kind);

struct ProviderConfig
{
    QString name;
    ProviderKind kind = ProviderKind::OpenAi;
    // OpenAI: up to and including /v1 (https://api.openai.com/v1); Anthropic: the host
    // (https://api.anthropic.com); Ollama: the host (http://localhost:11434).
    QUrl baseUrl;
    QString defaultModel;
    QString apiKeyEnv;      // the NAME of the environment variable with the key; empty: no key sent
    int timeoutMs = 120000; // one attempt, from sending to the last byte of the response
    int connectTimeoutMs = 10000; // one attempt, until the request is sent
    int maxRetries = 2;           // retries after 408, 409, 429, 5xx and failed connections
    int retryBaseMs = 500;        // first backoff, doubled each retry, capped at 8 s, jittered
    int maxRetryWaitMs = 60000;   // a longer Retry-After gives up at once
    int defaultMaxTokens = 1024;  // Anthropic requires max_tokens; used when the request has none
    std::vector<std::pair<QByteArray, QByteArray>> headers; // extra request headers

    // "name (base_url)", how messages name the provider.
    QString label() const;
};

// $LLMAUDIT_PROVIDERS when set, else $XDG_CONFIG_HOME/llmaudit/providers.json
// (~/.config/llmaudit/providers.json).
QString defaultProvidersPath();

// Reads a providers.json. Errors name the file and the line and column (syntax) or the JSON
// Pointer of the offending value.
Result<std::vector<ProviderConfig>> loadProviders(const QString &path);

// The same for text already read; `where` names it in errors.
Result<std::vector<ProviderConfig>> parseProviders(std::string_view text, const QString &where);

} // namespace llmaudit
