#pragma once

// Small helpers shared by the protocol clients (OpenAiProvider, AnthropicProvider,
// OllamaProvider): lenient reads of response fields, endpoint URLs, request body text.

#include "logcodec.h"
#include "result.h"

#include <QString>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace llmaudit::providerutil {

// The string at `key`, empty when absent, null or not a string.
inline std::string text(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The integer at `key`, empty when absent or not an integer.
inline std::optional<int64_t> integer(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return std::nullopt;
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer())
        return std::nullopt;
    return it->get<int64_t>();
}

inline const nlohmann::json &member(const nlohmann::json &object, const char *key)
{
    static const nlohmann::json null;
    if (!object.is_object())
        return null;
    const auto it = object.find(key);
    return it == object.end() ? null : *it;
}

// base_url with `path` appended ("http://h/v1" + "/chat/completions"); the query is kept.
inline QUrl endpoint(const QUrl &base, const QString &path)
{
    QUrl url = base;
    QString basePath = base.path();
    while (basePath.endsWith(u'/'))
        basePath.chop(1);
    url.setPath(basePath + path);
    return url;
}

// The body as sent: compact UTF-8 JSON. Text that is not valid UTF-8 is refused rather than
// silently changed.
inline Result<QByteArray> serialize(const nlohmann::ordered_json &body)
{
    try {
        const std::string text = body.dump();
        return QByteArray::fromStdString(text);
    } catch (const nlohmann::json::exception &e) {
        return fail(QStringLiteral("the request cannot be sent as JSON: ") +
                    QString::fromUtf8(e.what()));
    }
}

// A short excerpt of server text for a message, safe to show on one line.
inline QString excerpt(std::string_view text)
{
    QString out = QString::fromStdString(visible(text.substr(0, 120))).simplified();
    return text.size() > 120 ? out + QStringLiteral("…") : out;
}

} // namespace llmaudit::providerutil
