#include "redactor.h"

#include "store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <set>

namespace llmaudit {

using namespace Qt::StringLiterals;
using nlohmann::json;

namespace {

std::string childPointer(const std::string &parent, const std::string &key)
{
    std::string escaped;
    for (char c : key) {
        if (c == '~')
            escaped += "~0";
        else if (c == '/')
            escaped += "~1";
        else
            escaped += c;
    }
    return parent + '/' + escaped;
}

QByteArray hmac(const QByteArray &key, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, key, QCryptographicHash::Sha256);
}

// Fields that identify or describe the record itself: never redacted (user_id has its own
// setting). Paths from the document's root.
bool isIdentity(const std::string &pointer)
{
    static const std::set<std::string> fields = {"/interaction_id",
                                                 "/timestamp",
                                                 "/session_id",
                                                 "/trace_id",
                                                 "/span_id",
                                                 "/parent_span_id",
                                                 "/replay_of",
                                                 "/schema_version",
                                                 "/redaction",
                                                 "/_id",
                                                 "/request/parameters/model",
                                                 "/response/id",
                                                 "/response/model",
                                                 "/response/system_fingerprint",
                                                 "/response/finish_reason",
                                                 "/security/sensitivity_level",
                                                 "/replay/run_id",
                                                 "/replay/provider"};
    return fields.contains(pointer);
}

// The group of a chat message's content, by its role.
FieldGroup groupOfRole(const json &message)
{
    const json *role = message.is_object() && message.contains("role") ? &message["role"] : nullptr;
    const std::string name = role && role->is_string() ? role->get<std::string>() : std::string();
    if (name == "system" || name == "developer")
        return FieldGroup::SystemPrompt;
    if (name == "assistant")
        return FieldGroup::Response;
    if (name == "tool" || name == "function")
        return FieldGroup::Context;
    return FieldGroup::Prompt;
}

} // namespace

qint64 RedactionOutcome::total() const
{
    qint64 sum = 0;
    for (const auto &[type, count] : counts)
        sum += count;
    return sum;
}

// The state of one record: which placeholder each value got, and what was done.
class Redactor::Scope
{
public:
    explicit Scope(const Redactor &redactor)
        : r(redactor)
    {}

    const Redactor &r;
    std::map<std::pair<QString, QString>, int> indexes; // (type, normalized value) -> n
    std::map<QString, int> last;                        // type -> highest n given
    RedactionOutcome outcome;
    bool counting = true;
    std::optional<std::string> userIdBefore; // the user_id the pseudonym was made from
    bool skipUser = false;                   // user_id is a pseudonym already

    QString redact(const QString &text, FieldGroup group)
    {
        const RedactionAction action = r.m_policy.action(group);
        if (action == RedactionAction::Keep || text.isEmpty())
            return text;
        if (action == RedactionAction::Drop) {
            if (counting && !outcome.dropped.contains(fieldGroupName(group)))
                outcome.dropped.push_back(fieldGroupName(group));
            return QString();
        }
        const std::vector<PiiMatch> found = r.m_detector.find(text);
        if (found.empty())
            return text;
        QString out;
        qsizetype at = 0;
        for (const PiiMatch &m : found) {
            out += QStringView(text).mid(at, m.start - at);
            out += placeholder(m, action);
            at = m.start + m.length;
            if (counting)
                ++outcome.counts[m.type];
        }
        out += QStringView(text).mid(at);
        return out;
    }

    QString placeholder(const PiiMatch &m, RedactionAction action)
    {
        if (action == RedactionAction::Hash) {
            const QByteArray digest =
                hmac(r.m_key, (m.type + u':' + m.normalized).toUtf8()).toHex();
            return u"[%1:%2]"_s.arg(m.type,
                                    QString::fromLatin1(digest.left(r.m_policy.hashLength)));
        }
        auto [it, added] = indexes.try_emplace({m.type, m.normalized}, 0);
        if (added)
            it->second = ++last[m.type];
        return u"[%1_%2]"_s.arg(m.type).arg(it->second);
    }

    // Every string under `node`, as `group` says.
    void walk(json &node, const std::string &pointer, FieldGroup group)
    {
        if (node.is_string()) {
            const std::string &before = node.get_ref<const std::string &>();
            if (before.empty())
                return;
            const QString text = QString::fromStdString(before);
            const QString after = redact(text, group);
            if (after != text) {
                node = after.toStdString();
                if (counting)
                    outcome.changed.push_back(pointer);
            }
        } else if (node.is_object()) {
            for (auto it = node.begin(); it != node.end(); ++it)
                walk(it.value(), childPointer(pointer, it.key()), group);
        } else if (node.is_array()) {
            for (size_t i = 0; i < node.size(); ++i)
                walk(node[i], pointer + '/' + std::to_string(i), group);
        }
    }

    void document(json &doc)
    {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            const std::string pointer = childPointer("", it.key());
            json &value = it.value();
            if (isIdentity(pointer))
                continue;
            if (it.key() == "user_id") {
                pseudonymize(value);
            } else if (it.key() == "request" && value.is_object()) {
                request(value);
            } else if (it.key() == "response" && value.is_object()) {
                for (auto f = value.begin(); f != value.end(); ++f) {
                    const std::string at = childPointer(pointer, f.key());
                    if (!isIdentity(at))
                        walk(f.value(), at,
                             f.key() == "content" ? FieldGroup::Response : FieldGroup::Metadata);
                }
            } else if (value.is_object()) {
                for (auto f = value.begin(); f != value.end(); ++f) {
                    const std::string at = childPointer(pointer, f.key());
                    if (!isIdentity(at))
                        walk(f.value(), at, FieldGroup::Metadata);
                }
            } else {
                walk(value, pointer, FieldGroup::Metadata);
            }
        }
    }

    void request(json &req)
    {
        for (auto it = req.begin(); it != req.end(); ++it) {
            const std::string pointer = childPointer("/request", it.key());
            json &value = it.value();
            if (it.key() == "prompt") {
                walk(value, pointer, FieldGroup::Prompt);
            } else if (it.key() == "system_prompt") {
                walk(value, pointer, FieldGroup::SystemPrompt);
            } else if (it.key() == "context") {
                walk(value, pointer, FieldGroup::Context);
            } else if (it.key() == "messages" && value.is_array()) {
                for (size_t i = 0; i < value.size(); ++i) {
                    json &message = value[i];
                    const std::string at = pointer + '/' + std::to_string(i);
                    if (!message.is_object()) {
                        walk(message, at, FieldGroup::Prompt);
                        continue;
                    }
                    const FieldGroup group = groupOfRole(message);
                    for (auto f = message.begin(); f != message.end(); ++f) {
                        if (f.key() == "role")
                            continue;
                        walk(f.value(), childPointer(at, f.key()),
                             f.key() == "content" ? group : FieldGroup::Metadata);
                    }
                }
            } else if (it.key() == "parameters" && value.is_object()) {
                for (auto f = value.begin(); f != value.end(); ++f) {
                    const std::string at = childPointer(pointer, f.key());
                    if (!isIdentity(at))
                        walk(f.value(), at, FieldGroup::Metadata);
                }
            } else {
                walk(value, pointer, FieldGroup::Metadata);
            }
        }
    }

    void pseudonymize(json &userId)
    {
        if (!r.m_policy.pseudonymizeUsers || skipUser)
            return;
        const std::string before = userId.is_string() ? userId.get<std::string>() : userId.dump();
        if (userIdBefore) { // the original of a converted record: the document's user
            userId = r.pseudonym(*userIdBefore);
            return;
        }
        userIdBefore = before;
        userId = r.pseudonym(before);
        outcome.pseudonymized = true;
        outcome.changed.push_back("/user_id");
    }

    // Placeholders already in a redacted record (exported from a redacted store): new ones
    // continue their numbering, so that [EMAIL_1] never stands for two values.
    void continueNumbering(const json &node)
    {
        static const QRegularExpression existing(u"\\[([A-Z][A-Z0-9_]*)_(\\d+)\\]"_s);
        if (node.is_string()) {
            auto it = existing.globalMatch(QString::fromStdString(node.get<std::string>()));
            while (it.hasNext()) {
                const auto m = it.next();
                int &n = last[m.captured(1)];
                n = std::max(n, m.captured(2).toInt());
            }
        } else if (node.is_structured()) {
            for (const json &child : node)
                continueNumbering(child);
        }
    }
};

Result<QByteArray> loadOrCreateKey(const QString &path)
{
    QFileInfo info(path);
    if (!info.exists()) {
        const QString folder = info.absolutePath();
        if (!QFileInfo::exists(folder)) {
            if (!QDir().mkpath(folder))
                return fail(u"cannot create the key file's folder"_s, folder);
            QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        }
        QByteArray key(32, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(key.data()),
                                              key.size() / 4);
        QFile file(path);
        // NewOnly: never overwrite a key that appeared meanwhile; the mode is set at creation,
        // so the key is never readable by others, not even for a moment.
        if (file.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                      QFile::ReadOwner | QFile::WriteOwner)) {
            const QByteArray text = key.toHex() + '\n';
            if (file.write(text) != text.size() || !file.flush())
                return fail(u"cannot write the key file: %1"_s.arg(file.errorString()), path);
            return key;
        }
        if (!QFileInfo::exists(path))
            return fail(u"cannot create the key file: %1"_s.arg(file.errorString()), path);
        info.refresh();
    }
    const auto others = QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther |
                        QFile::WriteOther | QFile::ExeGroup | QFile::ExeOther;
    if (info.permissions() & others)
        return fail(u"the key file may be read by other users; make it private "
                    u"(chmod 600) or use another"_s,
                    path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot read the key file: %1"_s.arg(file.errorString()), path);
    const QByteArray key = QByteArray::fromHex(file.readAll().trimmed());
    if (key.size() < 16)
        return fail(u"not a key file (expected at least 32 hex digits)"_s, path);
    return key;
}

Redactor::Redactor(RedactionPolicy policy, PiiDetector detector, QByteArray key)
    : m_policy(std::move(policy))
    , m_detector(std::move(detector))
    , m_key(std::move(key))
{}

Result<std::shared_ptr<const Redactor>> Redactor::create(const RedactionPolicy &policy)
{
    QByteArray key;
    if (policy.needsKey()) {
        auto loaded = loadOrCreateKey(policy.effectiveKeyFile());
        if (!loaded)
            return std::unexpected(loaded.error());
        key = *loaded;
    }
    return create(policy, key);
}

Result<std::shared_ptr<const Redactor>> Redactor::create(const RedactionPolicy &policy,
                                                         QByteArray key)
{
    auto detector = PiiDetector::create(policy.detectors, policy.custom);
    if (!detector)
        return std::unexpected(detector.error());
    if (key.isEmpty() && policy.needsKey()) {
        static const QByteArray processKey = [] {
            QByteArray bytes(32, Qt::Uninitialized);
            QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), 8);
            return bytes;
        }();
        key = processKey;
    }
    return std::shared_ptr<const Redactor>(
        new Redactor(policy, std::move(*detector), std::move(key)));
}

std::string Redactor::pseudonym(const std::string &userId) const
{
    const QByteArray digest = hmac(m_key, QByteArray::fromStdString(userId)).toHex();
    return "u-" + digest.left(16).toStdString();
}

RedactionOutcome Redactor::redactDocument(json &document) const
{
    Scope scope(*this);
    return redactDocument(document, scope);
}

RedactionOutcome Redactor::redactDocument(json &document, Scope &scope) const
{
    const json *previous =
        document.is_object() && document.contains("redaction") && document["redaction"].is_object()
            ? &document["redaction"]
            : nullptr;
    if (previous) {
        scope.continueNumbering(document);
        // A pseudonym is not hashed again when the record says it already is one.
        scope.skipUser = previous->value("pseudonymized_user", false);
    }
    scope.document(document);
    const RedactionOutcome &outcome = scope.outcome;

    json record = previous ? *previous : json::object();
    record["policy"] = m_policy.name.toStdString();
    json counts = record.contains("counts") && record["counts"].is_object() ? record["counts"]
                                                                            : json::object();
    for (const auto &[type, count] : outcome.counts) {
        const std::string key = type.toStdString();
        counts[key] =
            (counts.contains(key) && counts[key].is_number_integer() ? counts[key].get<qint64>()
                                                                     : 0) +
            count;
    }
    record["counts"] = std::move(counts);
    if (!outcome.dropped.isEmpty()) {
        json dropped = record.contains("dropped") && record["dropped"].is_array()
                           ? record["dropped"]
                           : json::array();
        for (const QString &group : outcome.dropped)
            if (std::find(dropped.begin(), dropped.end(), group.toStdString()) == dropped.end())
                dropped.push_back(group.toStdString());
        record["dropped"] = std::move(dropped);
    }
    if (outcome.pseudonymized)
        record["pseudonymized_user"] = true;
    document["redaction"] = std::move(record);
    return outcome;
}

RedactionOutcome Redactor::redactRecord(DecodedRecord &record) const
{
    json document = record.interaction.document.is_object()
                        ? std::move(record.interaction.document)
                        : json::parse(record.document, nullptr, false);
    Scope scope(*this);
    RedactionOutcome outcome = redactDocument(document, scope);
    record.document = document.dump(-1, ' ', false, json::error_handler_t::replace);
    record.hash = sha256(record.document);
    record.interaction = interactionFromDocument(std::move(document));

    if (!record.original.empty()) {
        // The source text (Extended JSON) holds the same values: the same scope gives them the
        // same placeholders, and the user the same pseudonym.
        json original = json::parse(record.original, nullptr, false);
        if (!original.is_object()) {
            record.original.clear(); // cannot be redacted, so not kept
        } else {
            scope.counting = false;
            scope.document(original);
            record.original = original.dump(-1, ' ', false, json::error_handler_t::replace);
        }
    }
    return outcome;
}

void Redactor::redactReject(QuarantinedRecord &reject) const
{
    for (ValidationError &error : reject.errors) {
        // nlohmann's parse errors quote up to 40 bytes of the input: a secret cut in two would
        // escape the detectors, so the quote goes.
        if (auto at = error.reason.find("; last read: '"); at != std::string::npos)
            error.reason = error.reason.substr(0, at) + "; last read: (withheld by the policy)";
        error.reason =
            redactText(QString::fromStdString(error.reason), FieldGroup::Metadata).toStdString();
    }
    json document = json::parse(reject.raw, nullptr, false);
    if (document.is_object()) {
        Scope scope(*this);
        scope.document(document);
        reject.raw = document.dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
    const bool drops = std::find(m_policy.actions.begin(), m_policy.actions.end(),
                                 RedactionAction::Drop) != m_policy.actions.end();
    const bool keepsAll = std::all_of(m_policy.actions.begin(), m_policy.actions.end(),
                                      [](auto a) { return a == RedactionAction::Keep; });
    if (drops) {
        reject.raw = u"[withheld by redaction policy '%1': %2 bytes that are not a JSON object]"_s
                         .arg(m_policy.name)
                         .arg(reject.raw.size())
                         .toStdString();
        return;
    }
    QString text = QString::fromStdString(reject.raw);
    if (!keepsAll) {
        // Not JSON: its fields cannot be told apart, so every finding is masked.
        Scope scope(*this);
        text = [&] {
            QString out;
            qsizetype at = 0;
            for (const PiiMatch &m : m_detector.find(text)) {
                out += QStringView(text).mid(at, m.start - at);
                out += scope.placeholder(m, m_policy.action(FieldGroup::Metadata) ==
                                                    RedactionAction::Hash
                                                ? RedactionAction::Hash
                                                : RedactionAction::Mask);
                at = m.start + m.length;
            }
            out += QStringView(text).mid(at);
            return out;
        }();
    }
    if (m_policy.pseudonymizeUsers) {
        static const QRegularExpression user(uR"re(("user_id"\s*:\s*")((?:[^"\\]|\\.)*)")re"_s);
        QString out;
        qsizetype at = 0;
        auto it = user.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            out += QStringView(text).mid(at, m.capturedStart(2) - at);
            out += QString::fromStdString(pseudonym(m.captured(2).toStdString()));
            at = m.capturedEnd(2);
        }
        out += QStringView(text).mid(at);
        text = out;
    }
    reject.raw = text.toStdString();
}

QString Redactor::redactText(const QString &text, FieldGroup group, RedactionOutcome *outcome) const
{
    Scope scope(*this);
    const QString out = scope.redact(text, group);
    if (outcome)
        *outcome = std::move(scope.outcome);
    return out;
}

Result<std::shared_ptr<const Redactor>> storeRedactor(const QString &storeLocation)
{
    auto policy = loadStorePolicy(storeLocation);
    if (!policy)
        return std::unexpected(policy.error());
    if (!*policy || !(*policy)->redact) // no file, or one with retention settings only
        return std::shared_ptr<const Redactor>();
    return Redactor::create(**policy);
}

} // namespace llmaudit
