// Redaction on the command line: the policy options of import and redact, and `llmaudit redact
// --dry-run`, which shows what a policy would do to log files without storing anything.

#include "clicommon.h"
#include "recordreader.h"
#include "redactor.h"

#include <QFileInfo>

namespace llmaudit::cli {

using nlohmann::json;
using namespace Qt::StringLiterals;

void addPolicyOptions(Command &command)
{
    command.parser.addOption({u"policy"_s,
                              u"Redact with the policy in FILE (docs/privacy.md); import also "
                              u"makes it the store's policy."_s,
                              u"FILE"_s});
    command.parser.addOption({u"pseudonymize"_s,
                              u"Replace user ids by keyed-hash pseudonyms (u-…). Without a "
                              u"policy, nothing else is redacted."_s});
    command.parser.addOption(
        {u"key-file"_s,
         u"The secret key of pseudonyms and hashes (default: %1; created when missing)."_s.arg(
             defaultKeyFile()),
         u"FILE"_s});
}

std::optional<int> readPolicyOptions(const Command &command, const QString &storeLocation,
                                     std::optional<RedactionPolicy> &policy, bool &given)
{
    given = command.parser.isSet(u"policy"_s) || command.parser.isSet(u"pseudonymize"_s) ||
            command.parser.isSet(u"key-file"_s);
    if (command.parser.isSet(u"policy"_s)) {
        auto loaded = RedactionPolicy::load(command.parser.value(u"policy"_s));
        if (!loaded) {
            err(u"llmaudit %1: %2\n"_s.arg(command.name, loaded.error().toString()));
            return Failed;
        }
        policy = std::move(*loaded);
    } else if (!storeLocation.isEmpty()) {
        auto stored = loadStorePolicy(storeLocation);
        if (!stored) {
            err(u"llmaudit %1: %2\n"_s.arg(command.name, stored.error().toString()));
            return Failed;
        }
        if (*stored && (*stored)->redact) // a file with retention settings only: no redaction
            policy = std::move(*stored);
    }
    if (command.parser.isSet(u"pseudonymize"_s)) {
        if (!policy) { // pseudonyms only: every field kept as it is
            policy = RedactionPolicy{};
            policy->name = u"pseudonymize"_s;
            policy->actions.fill(RedactionAction::Keep);
        }
        policy->pseudonymizeUsers = true;
    }
    if (command.parser.isSet(u"key-file"_s)) {
        if (!policy)
            return usageError(command.name, u"--key-file needs --policy or --pseudonymize"_s);
        policy->keyFile = QFileInfo(command.parser.value(u"key-file"_s)).absoluteFilePath();
    }
    return std::nullopt;
}

namespace {

// A redacted string as it is shown: on one line, at most about `width` characters, cut around
// the first placeholder so that the reader sees what replaced what.
QString preview(const std::string &text, int width = 110)
{
    QString line = QString::fromStdString(visible(text));
    if (line.size() <= width)
        return line;
    qsizetype first = line.indexOf(u'[');
    if (first < 0)
        first = 0;
    const qsizetype from = std::max<qsizetype>(0, std::min(first - width / 3, line.size() - width));
    QString cut = line.mid(from, width);
    if (from > 0)
        cut.prepend(u'…');
    if (from + width < line.size())
        cut.append(u'…');
    return cut;
}

QString countsText(const std::map<QString, qint64> &counts)
{
    QStringList parts;
    for (const auto &[type, count] : counts)
        parts << u"%1 %2"_s.arg(type).arg(count);
    return parts.join(u", "_s);
}

} // namespace

int runRedact(const QStringList &args, const QString &description)
{
    Command command(u"redact"_s, description, args);
    command.addStoreOption();
    command.parser.addOption({u"dry-run"_s, u"Show what the policy would do; store nothing "
                                            u"(required: import applies the policy for real)."_s});
    addPolicyOptions(command);
    command.parser.addOption({u"format"_s, u"Input format: auto, jsonl, json, mongo or bson."_s,
                              u"FORMAT"_s, u"auto"_s});
    command.addJsonOption(
        u"Print one JSON object: per record the counts and the changed fields."_s);
    command.parser.addPositionalArgument(u"FILE"_s, u"Log files to look at."_s, u"FILE..."_s);
    if (auto stop = command.parse())
        return *stop;
    if (!command.parser.isSet(u"dry-run"_s))
        return usageError(command.name, u"only --dry-run is supported: 'llmaudit import "
                                        u"--policy FILE' redacts as it stores"_s);
    const auto format = inputFormatFromName(command.parser.value(u"format"_s));
    if (!format)
        return usageError(command.name,
                          u"unknown format '%1'"_s.arg(command.parser.value(u"format"_s)));
    const QStringList files = command.parser.positionalArguments();
    if (files.isEmpty())
        return usageError(command.name, u"no files given"_s);

    std::optional<RedactionPolicy> policy;
    bool given = false;
    // The store's policy is the default, when the store exists; it is never created here.
    const QString storeLocation =
        command.parser.isSet(u"policy"_s) || !QFileInfo::exists(command.storePath())
            ? QString()
            : command.storePath();
    if (auto stop = readPolicyOptions(command, storeLocation, policy, given))
        return *stop;
    QString policySource = command.parser.isSet(u"policy"_s) ? command.parser.value(u"policy"_s)
                           : policy                          ? storePolicyPath(storeLocation)
                                                             : u"built-in default"_s;
    if (!policy)
        policy = RedactionPolicy{};
    // A dry run creates no key: with none yet, hashes and pseudonyms use a throwaway key.
    QByteArray key;
    bool throwawayKey = false;
    if (policy->needsKey()) {
        if (QFileInfo::exists(policy->effectiveKeyFile())) {
            auto loaded = loadOrCreateKey(policy->effectiveKeyFile());
            if (!loaded) {
                err(u"llmaudit redact: %1\n"_s.arg(loaded.error().toString()));
                return Failed;
            }
            key = *loaded;
        } else {
            throwawayKey = true;
        }
    }
    auto redactor = Redactor::create(*policy, key);
    if (!redactor) {
        err(u"llmaudit redact: %1\n"_s.arg(redactor.error().toString()));
        return Failed;
    }
    const bool asJson = command.parser.isSet(u"json"_s);
    if (!asJson) {
        out(u"policy '%1' (%2)\n"_s.arg(policy->name, policySource));
        if (throwawayKey)
            out(u"note: the key file %1 does not exist yet; hashes and pseudonyms below use a "
                u"throwaway key\n"_s.arg(policy->effectiveKeyFile()));
    }

    qint64 records = 0, withFindings = 0, invalid = 0, pseudonymized = 0;
    std::map<QString, qint64> totals;
    json list = json::array();
    bool unreadable = false;
    for (const QString &path : files) {
        auto reader = RecordReader::open(path, *format);
        if (!reader) {
            err(u"llmaudit redact: %1\n"_s.arg(reader.error().toString()));
            unreadable = true;
            continue;
        }
        RawRecord raw;
        while ((*reader)->next(raw)) {
            ++records;
            const QString where = (*reader)->location(raw);
            std::expected<DecodedRecord, std::vector<ValidationError>> decoded =
                std::unexpected(std::vector<ValidationError>{{"", raw.frameError}});
            if (raw.frameError.empty())
                decoded = decodeRecord(raw.text, (*reader)->dialect());
            if (!decoded) {
                // Import would quarantine it (redacted); its reasons can quote the input.
                ++invalid;
                if (!asJson)
                    out(u"%1  not a valid record: 'llmaudit validate' says why\n"_s.arg(where));
                continue;
            }
            const json before = decoded->interaction.document;
            const RedactionOutcome outcome = (*redactor)->redactRecord(*decoded);
            const json &after = decoded->interaction.document;
            for (const auto &[type, count] : outcome.counts)
                totals[type] += count;
            if (outcome.pseudonymized)
                ++pseudonymized;
            const bool found = outcome.total() > 0 || !outcome.dropped.isEmpty();
            if (found)
                ++withFindings;
            const QString id = QString::fromStdString(visible(decoded->interaction.interactionId));
            if (asJson) {
                json fields = json::array();
                for (const std::string &pointer : outcome.changed) {
                    const json::json_pointer p(pointer);
                    const json &value = after.at(p);
                    fields.push_back(
                        {{"pointer", pointer},
                         {"preview", value.is_string() ? value.get<std::string>() : value.dump()}});
                }
                json counts = json::object();
                for (const auto &[type, count] : outcome.counts)
                    counts[type.toStdString()] = count;
                json dropped = json::array();
                for (const QString &group : outcome.dropped)
                    dropped.push_back(group.toStdString());
                list.push_back({{"source", where.toStdString()},
                                {"interaction_id", decoded->interaction.interactionId},
                                {"counts", std::move(counts)},
                                {"dropped", std::move(dropped)},
                                {"pseudonymized_user", outcome.pseudonymized},
                                {"fields", std::move(fields)}});
                continue;
            }
            QStringList what;
            if (!outcome.counts.empty())
                what << countsText(outcome.counts);
            if (!outcome.dropped.isEmpty())
                what << u"dropped %1"_s.arg(outcome.dropped.join(u", "_s));
            if (outcome.pseudonymized)
                what << u"user pseudonymized"_s;
            out(u"%1  %2  %3\n"_s.arg(
                where, id, what.isEmpty() ? u"nothing to redact"_s : what.join(u"; "_s)));
            for (const std::string &pointer : outcome.changed) {
                const json::json_pointer p(pointer);
                const json &value = after.at(p);
                const bool dropped =
                    value.is_string() && value.get<std::string>().empty() && before.contains(p);
                out(u"    %1  %2\n"_s.arg(QString::fromStdString(visible(pointer)),
                                          dropped ? u"(dropped)"_s
                                          : value.is_string()
                                              ? preview(value.get<std::string>())
                                              : QString::fromStdString(value.dump())));
            }
        }
        if ((*reader)->ioError()) {
            err(u"llmaudit redact: %1\n"_s.arg((*reader)->ioError()->toString()));
            unreadable = true;
        }
    }
    if (asJson) {
        json counts = json::object();
        for (const auto &[type, count] : totals)
            counts[type.toStdString()] = count;
        printJson({{"policy", policy->name.toStdString()},
                   {"records", list},
                   {"totals",
                    {{"records", records},
                     {"with_findings", withFindings},
                     {"invalid", invalid},
                     {"pseudonymized", pseudonymized},
                     {"counts", std::move(counts)}}}});
    } else {
        out(u"%1 records, %2 with something to redact, %3 invalid%4\n"_s.arg(records)
                .arg(withFindings)
                .arg(invalid)
                .arg(totals.empty() ? QString() : u"; "_s + countsText(totals)));
    }
    return unreadable ? Failed : Ok;
}

} // namespace llmaudit::cli
