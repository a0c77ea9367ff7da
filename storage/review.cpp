// The value types of review, activity and integrity (store.h): names and the activity entry's
// canonical JSON.

#include "store.h"

#include <QDir>

namespace llmaudit {

namespace {

constexpr std::string_view s_statusNames[] = {"unreviewed", "approved", "issue", "escalated"};
constexpr std::string_view s_kindNames[] = {"import", "export", "replay", "review",
                                            "purge",  "report", "verify"};

} // namespace

std::string_view toString(ReviewStatus status)
{
    return s_statusNames[static_cast<size_t>(status)];
}

std::optional<ReviewStatus> reviewStatusFromString(std::string_view text)
{
    for (size_t i = 0; i < std::size(s_statusNames); ++i)
        if (s_statusNames[i] == text)
            return static_cast<ReviewStatus>(i);
    return std::nullopt;
}

std::string_view toString(ActivityKind kind)
{
    return s_kindNames[static_cast<size_t>(kind)];
}

std::optional<ActivityKind> activityKindFromString(std::string_view text)
{
    for (size_t i = 0; i < std::size(s_kindNames); ++i)
        if (s_kindNames[i] == text)
            return static_cast<ActivityKind>(i);
    return std::nullopt;
}

std::string_view toString(ChainProblem::Kind kind)
{
    switch (kind) {
    case ChainProblem::Kind::Changed:
        return "changed";
    case ChainProblem::Kind::Missing:
        return "missing";
    case ChainProblem::Kind::Inserted:
        return "inserted";
    }
    return "changed";
}

std::string_view toString(ChainName chain)
{
    return chain == ChainName::Records ? "records" : "activity";
}

std::string canonicalJson(const ActivityEntry &entry)
{
    // nlohmann::json objects keep their keys sorted: the text is the same for the same entry.
    nlohmann::json j = {{"time", entry.timeMs},
                        {"actor", entry.actor},
                        {"kind", toString(entry.kind)},
                        {"what", entry.what},
                        {"ids", entry.interactionIds}};
    if (!entry.filter.empty())
        j["filter"] = entry.filter;
    if (entry.count)
        j["count"] = *entry.count;
    if (entry.change.is_object())
        j["change"] = entry.change;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<ActivityEntry> activityFromJson(std::string_view text)
{
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("time") || !j["time"].is_number_integer() ||
        !j.contains("kind") || !j["kind"].is_string())
        return std::nullopt;
    ActivityEntry entry;
    auto kind = activityKindFromString(j["kind"].get<std::string>());
    if (!kind)
        return std::nullopt;
    entry.kind = *kind;
    entry.timeMs = j["time"].get<int64_t>();
    entry.actor = j.value("actor", std::string());
    entry.what = j.value("what", std::string());
    entry.filter = j.value("filter", std::string());
    if (auto ids = j.find("ids"); ids != j.end() && ids->is_array())
        for (const auto &id : *ids)
            if (id.is_string())
                entry.interactionIds.push_back(id.get<std::string>());
    if (auto count = j.find("count"); count != j.end() && count->is_number_integer())
        entry.count = count->get<qint64>();
    if (auto change = j.find("change"); change != j.end() && change->is_object())
        entry.change = *change;
    return entry;
}

std::string Store::osUserName()
{
    QString name = qEnvironmentVariable("USER");
    if (name.isEmpty())
        name = qEnvironmentVariable("USERNAME");
    if (name.isEmpty())
        name = QDir::home().dirName();
    return name.toStdString();
}

} // namespace llmaudit
