#pragma once

// The Anthropic Messages protocol (POST {base_url}/v1/messages, x-api-key and
// anthropic-version headers, SSE events when streaming).

#include "llmprovider.h"

namespace llmaudit {

class AnthropicProvider final : public LlmProvider
{
public:
    static constexpr const char *ApiVersion = "2023-06-01";

    explicit AnthropicProvider(ProviderConfig config);

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
