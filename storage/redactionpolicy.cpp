#include "redactionpolicy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace llmaudit {

using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

const char *const GroupNames[] = {"prompt", "system_prompt", "context", "response", "metadata"};
const char *const ActionNames[] = {"keep", "mask", "hash", "drop"};

QString str(const json &value)
{
    return QString::fromStdString(value.get<std::string>());
}

} // namespace

QString fieldGroupName(FieldGroup group)
{
    return QString::fromLatin1(GroupNames[static_cast<size_t>(group)]);
}

std::optional<FieldGroup> fieldGroupFromName(const QString &name)
{
    for (FieldGroup group : AllFieldGroups)
        if (fieldGroupName(group) == name)
            return group;
    return std::nullopt;
}

QString actionName(RedactionAction action)
{
    return QString::fromLatin1(ActionNames[static_cast<size_t>(action)]);
}

std::optional<RedactionAction> actionFromName(const QString &name)
{
    for (size_t i = 0; i < std::size(ActionNames); ++i)
        if (name == QLatin1StringView(ActionNames[i]))
            return static_cast<RedactionAction>(i);
    return std::nullopt;
}

std::optional<int> RetentionPolicy::daysFor(std::optional<Sensitivity> level) const
{
    if (level) {
        const std::optional<int> days = levelDays[static_cast<size_t>(*level)];
        if (days)
            return *days == Forever ? std::nullopt : days;
    }
    return maxAgeDays;
}

bool RetentionPolicy::keepsEverything() const
{
    if (daysFor(std::nullopt))
        return false;
    for (int level = 0; level < int(levelDays.size()); ++level)
        if (daysFor(static_cast<Sensitivity>(level)))
            return false;
    return true;
}

QString RetentionPolicy::daysText(std::optional<int> days)
{
    return !days || *days == Forever ? u"forever"_s : QString::number(*days);
}

json RetentionPolicy::toJson() const
{
    auto value = [](std::optional<int> days) -> json {
        if (!days || *days == Forever)
            return "forever";
        return *days;
    };
    json out = json::object();
    out["max_age_days"] = value(maxAgeDays);
    json levels = json::object();
    for (size_t i = 0; i < levelDays.size(); ++i)
        if (levelDays[i])
            levels[std::string(toString(static_cast<Sensitivity>(i)))] = value(levelDays[i]);
    if (!levels.empty())
        out["sensitivity"] = std::move(levels);
    return out;
}

Result<RetentionPolicy> RetentionPolicy::fromJson(const json &in, const QString &at)
{
    if (!in.is_object())
        return fail(u"expected an object: {\"max_age_days\": DAYS, \"sensitivity\": "
                    u"{\"restricted\": DAYS, ...}}"_s,
                    at);
    // Days are a whole number from 1 to MaxDays, or "forever".
    auto days = [](const json &value) -> std::optional<int> {
        if (value.is_string() && value.get<std::string>() == "forever")
            return Forever;
        if (value.is_number_integer() && value.get<int64_t>() >= 1 &&
            value.get<int64_t>() <= MaxDays)
            return int(value.get<int64_t>());
        return std::nullopt;
    };
    const QString expected = u"expected a number of days (1 to %1) or \"forever\""_s.arg(MaxDays);
    RetentionPolicy policy;
    for (auto it = in.begin(); it != in.end(); ++it) {
        const QString here = at + u'/' + QString::fromStdString(it.key());
        if (it.key() == "max_age_days") {
            const auto d = days(it.value());
            if (!d)
                return fail(expected, here);
            policy.maxAgeDays = *d == Forever ? std::nullopt : d;
        } else if (it.key() == "sensitivity") {
            if (!it.value().is_object())
                return fail(u"expected an object of sensitivity level: days"_s, here);
            for (auto l = it.value().begin(); l != it.value().end(); ++l) {
                const QString levelAt = here + u'/' + QString::fromStdString(l.key());
                const auto level = sensitivityFromString(l.key());
                if (!level)
                    return fail(u"unknown sensitivity level (public, internal, confidential, "
                                u"restricted)"_s,
                                levelAt);
                const auto d = days(l.value());
                if (!d)
                    return fail(expected, levelAt);
                policy.days(*level) = d;
            }
        } else {
            return fail(u"unknown retention setting (max_age_days, sensitivity)"_s, here);
        }
    }
    return policy;
}

bool RedactionPolicy::needsKey() const
{
    return pseudonymizeUsers ||
           std::find(actions.begin(), actions.end(), RedactionAction::Hash) != actions.end();
}

QString RedactionPolicy::effectiveKeyFile() const
{
    if (keyFile.isEmpty())
        return defaultKeyFile();
    if (keyFile == u"~" || keyFile.startsWith(u"~/"))
        return QDir::homePath() + keyFile.mid(1);
    return keyFile;
}

json RedactionPolicy::toJson() const
{
    json fields = json::object();
    for (FieldGroup group : AllFieldGroups)
        fields[fieldGroupName(group).toStdString()] = actionName(action(group)).toStdString();
    json detectorList = json::array();
    for (const QString &type : detectors)
        detectorList.push_back(type.toStdString());
    json customList = json::array();
    for (const CustomPattern &p : custom)
        customList.push_back(
            {{"name", p.name.toStdString()}, {"pattern", p.pattern.toStdString()}});
    json out = {{"name", name.toStdString()},      {"detectors", std::move(detectorList)},
                {"custom", std::move(customList)}, {"fields", std::move(fields)},
                {"hash_length", hashLength},       {"pseudonymize_users", pseudonymizeUsers}};
    if (!keyFile.isEmpty())
        out["key_file"] = keyFile.toStdString();
    if (!redact)
        out["redact"] = false;
    if (!retention.isEmpty())
        out["retention"] = retention.toJson();
    return out;
}

Result<RedactionPolicy> RedactionPolicy::fromJson(const json &in)
{
    if (!in.is_object())
        return fail(u"a redaction policy is a JSON object"_s, u"/"_s);
    RedactionPolicy policy;
    auto wrong = [](const QString &pointer, const QString &what) { return fail(what, pointer); };
    for (auto it = in.begin(); it != in.end(); ++it) {
        const std::string &key = it.key();
        const json &value = it.value();
        const QString at = u"/"_s + QString::fromStdString(key);
        if (key == "name") {
            if (!value.is_string())
                return wrong(at, u"expected a string"_s);
            policy.name = str(value);
        } else if (key == "detectors") {
            if (!value.is_array())
                return wrong(at, u"expected an array of detector names"_s);
            policy.detectors.clear();
            for (size_t i = 0; i < value.size(); ++i) {
                const QString here = at + u'/' + QString::number(i);
                if (!value[i].is_string())
                    return wrong(here, u"expected a detector name"_s);
                const QString type = str(value[i]);
                if (!PiiDetector::builtInTypes().contains(type))
                    return wrong(here, u"unknown detector '%1' (known: %2)"_s.arg(
                                           type, PiiDetector::builtInTypes().join(u", "_s)));
                if (!policy.detectors.contains(type))
                    policy.detectors.push_back(type);
            }
        } else if (key == "custom") {
            if (!value.is_array())
                return wrong(at, u"expected an array of {\"name\", \"pattern\"} objects"_s);
            for (size_t i = 0; i < value.size(); ++i) {
                const QString here = at + u'/' + QString::number(i);
                const json &item = value[i];
                if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
                    !item.contains("pattern") || !item["pattern"].is_string() || item.size() != 2)
                    return wrong(here, u"expected {\"name\": \"LABEL\", \"pattern\": \"REGEX\"}"_s);
                policy.custom.push_back({str(item["name"]), str(item["pattern"])});
            }
        } else if (key == "fields") {
            if (!value.is_object())
                return wrong(at, u"expected an object of field group: action"_s);
            for (auto f = value.begin(); f != value.end(); ++f) {
                const QString here = at + u'/' + QString::fromStdString(f.key());
                const auto group = fieldGroupFromName(QString::fromStdString(f.key()));
                if (!group)
                    return wrong(here, u"unknown field group (prompt, system_prompt, context, "
                                       u"response, metadata)"_s);
                const auto action =
                    f.value().is_string() ? actionFromName(str(f.value())) : std::nullopt;
                if (!action)
                    return wrong(here, u"expected keep, mask, hash or drop"_s);
                policy.setAction(*group, *action);
            }
        } else if (key == "hash_length") {
            if (!value.is_number_integer() || value.get<int>() < 8 || value.get<int>() > 64)
                return wrong(at, u"expected an integer from 8 to 64"_s);
            policy.hashLength = value.get<int>();
        } else if (key == "pseudonymize_users") {
            if (!value.is_boolean())
                return wrong(at, u"expected true or false"_s);
            policy.pseudonymizeUsers = value.get<bool>();
        } else if (key == "key_file") {
            if (!value.is_string())
                return wrong(at, u"expected a path"_s);
            policy.keyFile = str(value);
        } else if (key == "redact") {
            if (!value.is_boolean())
                return wrong(at, u"expected true or false"_s);
            policy.redact = value.get<bool>();
        } else if (key == "retention") {
            auto retention = RetentionPolicy::fromJson(value, at);
            if (!retention)
                return std::unexpected(retention.error());
            policy.retention = *retention;
        } else {
            return wrong(at, u"unknown setting (name, detectors, custom, fields, hash_length, "
                             u"pseudonymize_users, key_file, redact, retention)"_s);
        }
    }
    // The custom patterns are checked here so that a bad policy is refused when it is read.
    if (auto detector = PiiDetector::create({}, policy.custom); !detector)
        return wrong(u"/custom"_s, detector.error().message);
    return policy;
}

Result<RedactionPolicy> RedactionPolicy::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot read the policy: %1"_s.arg(file.errorString()), path);
    const QByteArray bytes = file.readAll();
    const json parsed = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (parsed.is_discarded())
        return fail(u"the policy is not valid JSON"_s, path);
    auto policy = fromJson(parsed);
    if (!policy)
        return fail(policy.error().message, path + u':' + policy.error().where);
    return policy;
}

Result<void> RedactionPolicy::save(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(u"cannot write the policy: %1"_s.arg(file.errorString()), path);
    const std::string text = toJson().dump(2) + "\n";
    file.write(text.data(), static_cast<qint64>(text.size()));
    if (!file.commit())
        return fail(u"cannot write the policy: %1"_s.arg(file.errorString()), path);
    return {};
}

QString defaultKeyFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           u"/llmaudit/pseudonym.key"_s;
}

QString storePolicyPath(const QString &storeLocation)
{
    return storeLocation + u".privacy.json"_s;
}

Result<std::optional<RedactionPolicy>> loadStorePolicy(const QString &storeLocation)
{
    const QString path = storePolicyPath(storeLocation);
    if (!QFileInfo::exists(path))
        return std::optional<RedactionPolicy>();
    auto policy = RedactionPolicy::load(path);
    if (!policy)
        return std::unexpected(policy.error());
    return std::optional<RedactionPolicy>(std::move(*policy));
}

Result<void> saveStorePolicy(const QString &storeLocation, const RedactionPolicy &policy)
{
    return policy.save(storePolicyPath(storeLocation));
}

} // namespace llmaudit
