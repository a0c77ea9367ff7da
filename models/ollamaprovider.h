#pragma once

// Ollama's native chat protocol (POST {base_url}/api/chat; NDJSON when streaming, parameters
// in "options").

#include "llmprovider.h"

namespace llmaudit {

class OllamaProvider final : public LlmProvider
{
public:
    explicit OllamaProvider(ProviderConfig config);

protected:
    Result<PreparedRequest> prepare(const ChatRequest &request,
                                    const QByteArray &apiKey) const override;
    std::optional<QString> readResponse(const nlohmann::json &body,
                                        ChatResult &result) const override;
    std::unique_ptr<StreamDecoder> newStreamDecoder() const override;
    QByteArray streamContentType() const override
    {
        return QByteArrayLiteral("application/x-ndjson");
    }
    QString errorDetail(const nlohmann::json &body) const override;
};

} // namespace llmaudit
