#pragma once

// A redaction policy: which detectors run, what happens to what they find in each group of
// fields, and whether user ids become pseudonyms; and the store's retention policy (how long
// interactions are kept). Read from and written to a JSON file (the format is in
// docs/privacy.md); a store keeps its policy in STORE.privacy.json beside it.

#include "interaction.h"
#include "piidetector.h"
#include "result.h"

#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <array>
#include <optional>

namespace llmaudit {

// The groups of fields a policy treats separately (docs/privacy.md maps every field to one).
enum class FieldGroup { Prompt, SystemPrompt, Context, Response, Metadata };
constexpr std::array<FieldGroup, 5> AllFieldGroups = {FieldGroup::Prompt, FieldGroup::SystemPrompt,
                                                      FieldGroup::Context, FieldGroup::Response,
                                                      FieldGroup::Metadata};
QString fieldGroupName(FieldGroup group); // "prompt", "system_prompt", ...
std::optional<FieldGroup> fieldGroupFromName(const QString &name);

enum class RedactionAction {
    Keep, // leave the text as it is
    Mask, // each finding becomes a typed placeholder, [EMAIL_1], stable within the record
    Hash, // each finding becomes a keyed hash, [EMAIL:3f9a1c2b4d5e], stable across records
    Drop, // the whole text becomes "", and the record notes it
};
QString actionName(RedactionAction action);
std::optional<RedactionAction> actionFromName(const QString &name);

// How long a store keeps interactions, counted from their timestamp: a number of days per
// sensitivity level, else a default maximum age; no limit means kept forever. Held
// interactions (legal hold, store.h) are kept whatever the policy says.
struct RetentionPolicy
{
    static constexpr int Forever = -1; // a level's days: kept forever, whatever the default
    static constexpr int MaxDays = 36500;

    std::optional<int> maxAgeDays;               // the default; nullopt: kept forever
    std::array<std::optional<int>, 4> levelDays; // by Sensitivity; nullopt: the default applies

    std::optional<int> &days(Sensitivity level) { return levelDays[static_cast<size_t>(level)]; }
    // The days a record of this level (or without one) is kept; nullopt: forever.
    std::optional<int> daysFor(std::optional<Sensitivity> level) const;
    // Nothing ever expires under it.
    bool keepsEverything() const;
    // No setting at all (the file has no "retention" key).
    bool isEmpty() const { return *this == RetentionPolicy{}; }

    // {"max_age_days": 365, "sensitivity": {"restricted": 30, "public": "forever"}}
    nlohmann::json toJson() const;
    // Fails with the JSON Pointer (below `at`) of the first wrong value.
    static Result<RetentionPolicy> fromJson(const nlohmann::json &json,
                                            const QString &at = QStringLiteral("/retention"));
    // One value as the file and the settings dialog write it: days ("30") or "forever".
    static QString daysText(std::optional<int> days);

    bool operator==(const RetentionPolicy &) const = default;
};

struct RedactionPolicy
{
    // False: the file only holds retention settings and records are stored as they arrive.
    bool redact = true;
    RetentionPolicy retention;
    QString name = QStringLiteral("default");
    QStringList detectors = PiiDetector::builtInTypes();
    std::vector<CustomPattern> custom;
    std::array<RedactionAction, 5> actions{RedactionAction::Mask, RedactionAction::Mask,
                                           RedactionAction::Mask, RedactionAction::Mask,
                                           RedactionAction::Mask};
    int hashLength = 12;            // hex digits of a keyed hash kept in the placeholder
    bool pseudonymizeUsers = false; // user_id becomes u- + 16 hex digits of HMAC-SHA256
    QString keyFile;                // empty: defaultKeyFile()

    RedactionAction action(FieldGroup group) const { return actions[static_cast<size_t>(group)]; }
    void setAction(FieldGroup group, RedactionAction a) { actions[static_cast<size_t>(group)] = a; }
    // Whether it needs the secret key (pseudonyms or keyed hashes).
    bool needsKey() const;
    // The key file to use: keyFile with ~ expanded, or the default.
    QString effectiveKeyFile() const;

    nlohmann::json toJson() const;
    // Fails with the JSON Pointer of the first wrong value; unknown keys are errors too (a
    // misspelt "pseudonymise_users" must not silently leave user ids in clear).
    static Result<RedactionPolicy> fromJson(const nlohmann::json &json);
    static Result<RedactionPolicy> load(const QString &path);
    Result<void> save(const QString &path) const;

    bool operator==(const RedactionPolicy &) const = default;
};

// ~/.config/llmaudit/pseudonym.key ($XDG_CONFIG_HOME/llmaudit/ when that is set).
QString defaultKeyFile();

// The policy file of a store: "STORE.privacy.json" beside the store file.
QString storePolicyPath(const QString &storeLocation);
// The store's policy; nothing when it has none. A policy file that cannot be read is an error.
Result<std::optional<RedactionPolicy>> loadStorePolicy(const QString &storeLocation);
Result<void> saveStorePolicy(const QString &storeLocation, const RedactionPolicy &policy);

} // namespace llmaudit
