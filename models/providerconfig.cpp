#include "providerconfig.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace llmaudit {

namespace {

using namespace Qt::StringLiterals;
using nlohmann::json;

constexpr std::array KnownKeys{"name",
                               "kind",
                               "base_url",
                               "model",
                               "api_key_env",
                               "timeout_ms",
                               "connect_timeout_ms",
                               "max_retries",
                               "retry_base_ms",
                               "max_retry_wait_ms",
                               "max_tokens",
                               "headers"};

QString typeName(const json &value)
{
    return QString::fromUtf8(value.type_name());
}

QString knownKeys()
{
    QStringList keys;
    for (const char *key : KnownKeys)
        keys.append(QString::fromLatin1(key));
    return keys.join(u", "_s);
}

// Line and column (both from 1) of the byte nlohmann names (the count of bytes read, so the
// 1-based index of the offending one), for syntax errors.
QString position(std::string_view text, size_t byte)
{
    const size_t offset = std::min(byte > 0 ? byte - 1 : 0, text.size());
    int line = 1;
    size_t lineStart = 0;
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    return QString::number(line) + u':' + QString::number(offset - lineStart + 1);
}

class EntryReader
{
public:
    EntryReader(const json &entry, QString where, QString pointer)
        : m_entry(entry)
        , m_where(std::move(where))
        , m_pointer(std::move(pointer))
    {}

    Error error(const QString &key, const QString &message) const
    {
        return Error{message,
                     m_where + u' ' + m_pointer + (key.isEmpty() ? QString() : u'/' + key)};
    }

    Result<std::optional<QString>> string(const char *key, bool required) const
    {
        const auto it = m_entry.find(key);
        if (it == m_entry.end()) {
            if (required)
                return std::unexpected(
                    error({}, u"missing required key \""_s + QString::fromLatin1(key) + u'"'));
            return std::optional<QString>();
        }
        if (!it->is_string())
            return std::unexpected(
                error(QString::fromLatin1(key), u"expected a string, got "_s + typeName(*it)));
        return std::optional<QString>(QString::fromStdString(it->get<std::string>()));
    }

    Result<void> integer(const char *key, int minimum, int maximum, int &out) const
    {
        const auto it = m_entry.find(key);
        if (it == m_entry.end())
            return {};
        if (!it->is_number_integer())
            return std::unexpected(
                error(QString::fromLatin1(key), u"expected an integer, got "_s + typeName(*it)));
        const int64_t value = it->get<int64_t>();
        if (value < minimum || value > maximum)
            return std::unexpected(
                error(QString::fromLatin1(key),
                      u"expected %1..%2, got %3"_s.arg(minimum).arg(maximum).arg(value)));
        out = int(value);
        return {};
    }

private:
    const json &m_entry;
    QString m_where;
    QString m_pointer;
};

Result<ProviderConfig> readEntry(const json &entry, const QString &where, const QString &pointer)
{
    EntryReader reader(entry, where, pointer);
    if (!entry.is_object())
        return std::unexpected(reader.error({}, u"expected an object, got "_s + typeName(entry)));
    for (const auto &[key, value] : entry.items()) {
        const QString name = QString::fromStdString(key);
        if (key == "api_key" || key == "key" || key == "apiKey")
            return std::unexpected(reader.error(
                name, u"API keys are never read from this file: put the key in an environment "
                      "variable and name that variable in \"api_key_env\""_s));
        if (std::ranges::find(KnownKeys, key) == KnownKeys.end())
            return std::unexpected(reader.error(name, u"unknown key \""_s + name +
                                                          u"\" (known: "_s + knownKeys() + u')'));
    }

    ProviderConfig config;
    auto name = reader.string("name", true);
    if (!name)
        return std::unexpected(name.error());
    config.name = **name;
    if (config.name.trimmed().isEmpty())
        return std::unexpected(reader.error(u"name"_s, u"must not be empty"_s));

    auto kind = reader.string("kind", true);
    if (!kind)
        return std::unexpected(kind.error());
    const auto parsedKind = providerKindFromString((*kind)->toStdString());
    if (!parsedKind)
        return std::unexpected(reader.error(u"kind"_s, u"expected \"openai\", \"anthropic\" or "
                                                       "\"ollama\", got \""_s +
                                                           **kind + u'"'));
    config.kind = *parsedKind;

    auto baseUrl = reader.string("base_url", true);
    if (!baseUrl)
        return std::unexpected(baseUrl.error());
    config.baseUrl = QUrl(**baseUrl, QUrl::StrictMode);
    if (!config.baseUrl.isValid() || config.baseUrl.host().isEmpty() ||
        (config.baseUrl.scheme() != u"http" && config.baseUrl.scheme() != u"https"))
        return std::unexpected(reader.error(
            u"base_url"_s,
            u"expected an http:// or https:// URL with a host, got \""_s + **baseUrl + u'"'));
    if (!config.baseUrl.userInfo().isEmpty())
        return std::unexpected(reader.error(
            u"base_url"_s, u"must not hold a user name or password; use api_key_env"_s));

    auto model = reader.string("model", false);
    if (!model)
        return std::unexpected(model.error());
    config.defaultModel = model->value_or(QString());

    auto keyEnv = reader.string("api_key_env", false);
    if (!keyEnv)
        return std::unexpected(keyEnv.error());
    config.apiKeyEnv = keyEnv->value_or(QString());
    static const QRegularExpression envName(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    if (keyEnv->has_value() && !envName.match(config.apiKeyEnv).hasMatch())
        return std::unexpected(reader.error(u"api_key_env"_s,
                                            u"expected the name of an environment variable (like "
                                            "OPENAI_API_KEY), not the key itself"_s));

    for (const auto &[key, min, max, field] :
         {std::tuple{"timeout_ms", 1, 24 * 3600 * 1000, &config.timeoutMs},
          std::tuple{"connect_timeout_ms", 1, 3600 * 1000, &config.connectTimeoutMs},
          std::tuple{"max_retries", 0, 20, &config.maxRetries},
          std::tuple{"retry_base_ms", 0, 600 * 1000, &config.retryBaseMs},
          std::tuple{"max_retry_wait_ms", 0, 3600 * 1000, &config.maxRetryWaitMs},
          std::tuple{"max_tokens", 1, 10000000, &config.defaultMaxTokens}}) {
        if (auto ok = reader.integer(key, min, max, *field); !ok)
            return std::unexpected(ok.error());
    }

    if (const auto headers = entry.find("headers"); headers != entry.end()) {
        if (!headers->is_object())
            return std::unexpected(
                reader.error(u"headers"_s, u"expected an object, got "_s + typeName(*headers)));
        static const QRegularExpression token(u"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"_s);
        for (const auto &[key, value] : headers->items()) {
            const QString header = QString::fromStdString(key);
            const QString at = u"headers/"_s + header;
            if (!token.match(header).hasMatch())
                return std::unexpected(reader.error(at, u"not a valid header name"_s));
            const QString lower = header.toLower();
            if (lower == u"authorization" || lower == u"x-api-key" || lower == u"api-key")
                return std::unexpected(
                    reader.error(at, u"keys are never written in this file: name the environment "
                                     "variable that holds the key in \"api_key_env\""_s));
            if (!value.is_string())
                return std::unexpected(
                    reader.error(at, u"expected a string, got "_s + typeName(value)));
            const std::string text = value.get<std::string>();
            if (text.find_first_of("\r\n") != std::string::npos)
                return std::unexpected(reader.error(at, u"must be one line"_s));
            config.headers.emplace_back(QByteArray::fromStdString(key),
                                        QByteArray::fromStdString(text));
        }
    }
    return config;
}

} // namespace

std::optional<ProviderKind> providerKindFromString(std::string_view text)
{
    if (text == "openai")
        return ProviderKind::OpenAi;
    if (text == "anthropic")
        return ProviderKind::Anthropic;
    if (text == "ollama")
        return ProviderKind::Ollama;
    return std::nullopt;
}

QString toString(ProviderKind kind)
{
    switch (kind) {
    case ProviderKind::OpenAi:
        return u"openai"_s;
    case ProviderKind::Anthropic:
        return u"anthropic"_s;
    case ProviderKind::Ollama:
        return u"ollama"_s;
    }
    return {};
}

QString ProviderConfig::label() const
{
    return name + u" ("_s + baseUrl.toString() + u')';
}

QString defaultProvidersPath()
{
    const QString overridden = qEnvironmentVariable("LLMAUDIT_PROVIDERS");
    if (!overridden.isEmpty())
        return overridden;
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           u"/llmaudit/providers.json"_s;
}

Result<std::vector<ProviderConfig>> parseProviders(std::string_view text, const QString &where)
{
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error &e) {
        QString reason = QString::fromUtf8(e.what());
        // nlohmann's text is "[json.exception.parse_error.101] parse error at line 3, column 5:
        // syntax error while parsing object - ..."; keep what follows the position.
        if (const qsizetype colon = reason.indexOf(u": "_s); colon >= 0)
            reason = reason.mid(colon + 2);
        return fail(u"not valid JSON: "_s + reason, where + u':' + position(text, e.byte));
    } catch (const json::exception &e) { // out_of_range: a number such as 1e400
        QString reason = QString::fromUtf8(e.what());
        if (const qsizetype end = reason.indexOf(u"] "_s); end >= 0)
            reason = reason.mid(end + 2);
        return fail(u"not valid JSON: "_s + reason, where);
    }
    if (!document.is_object())
        return fail(u"expected an object with a \"providers\" array, got "_s + typeName(document),
                    where);
    for (const auto &[key, value] : document.items()) {
        if (key != "providers")
            return fail(u"unknown key \""_s + QString::fromStdString(key) +
                            u"\" (the file holds one key, \"providers\")"_s,
                        where + u" /"_s + QString::fromStdString(key));
    }
    const auto providers = document.find("providers");
    if (providers == document.end())
        return fail(u"missing the \"providers\" array"_s, where);
    if (!providers->is_array())
        return fail(u"expected an array, got "_s + typeName(*providers), where + u" /providers"_s);

    std::vector<ProviderConfig> configs;
    QSet<QString> names;
    for (size_t i = 0; i < providers->size(); ++i) {
        const QString pointer = u"/providers/"_s + QString::number(i);
        auto config = readEntry((*providers)[i], where, pointer);
        if (!config)
            return std::unexpected(config.error());
        if (names.contains(config->name))
            return fail(u"a provider named \""_s + config->name + u"\" is already defined"_s,
                        where + u' ' + pointer + u"/name"_s);
        names.insert(config->name);
        configs.push_back(std::move(*config));
    }
    return configs;
}

Result<std::vector<ProviderConfig>> loadProviders(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return fail(u"no provider settings file here; create one (see docs/providers.md) or set "
                    "LLMAUDIT_PROVIDERS to its path"_s,
                    path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot read: "_s + file.errorString(), path);
    const QByteArray text = file.readAll();
    return parseProviders(std::string_view(text.constData(), size_t(text.size())), path);
}

} // namespace llmaudit
