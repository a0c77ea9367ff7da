#pragma once

// The OpenAI Chat Completions protocol (POST {base_url}/chat/completions, Bearer key), which
// OpenAI and most compatible servers (vLLM, llama.cpp, LM Studio, Ollama's /v1) speak.

#include "llmprovider.h"

namespace llmaudit {

class OpenAiProvider final : public LlmProvider
{
public:
    explicit OpenAiProvider(ProviderConfig config);

protected:
    Result<PreparedRequest> prepare(const ChatRequest &request,
                                    const QByteArray &apiKey) const override;
    std::optional<QString> readResponse(const nlohmann::json &body,
                                        ChatResult &result) const override;
    std::unique_ptr<StreamDecoder> newStreamDecoder() const override;
    QByteArray streamContentType() const override { return QByteArrayLiteral("text/event-stream"); }
    QString errorDetail(const nlohmann::json &body) const override;
};

} // namespace llmaudit
