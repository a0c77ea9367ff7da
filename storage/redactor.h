#pragma once

// Applies a redaction policy to records on their way into a store: the one function import,
// the collector and the proxy call, so that what reaches the store (the document, its
// original, the full-text index, the quarantine) is already redacted. The record notes what
// was redacted as counts by type in its `redaction` field, never the values. A Redactor is
// immutable once made and may be shared by several threads.

#include "logcodec.h"
#include "piidetector.h"
#include "redactionpolicy.h"
#include "result.h"

#include <QByteArray>

#include <map>
#include <memory>

namespace llmaudit {

struct QuarantinedRecord;

struct RedactionOutcome
{
    std::map<QString, qint64> counts; // findings by type: {"EMAIL": 2, "CARD": 1}
    QStringList dropped;              // the field groups whose text was dropped
    bool pseudonymized = false;       // user_id was replaced by its pseudonym
    std::vector<std::string> changed; // JSON Pointers of the strings that changed

    qint64 total() const;
};

// The secret key of pseudonyms and keyed hashes: 32 random bytes kept as hex in a file that only
// its owner may read. Created (mode 0600, its folder 0700) when it does not exist yet; a key
// file that others may read is refused, as ssh refuses such a private key.
Result<QByteArray> loadOrCreateKey(const QString &path);

class Redactor;

// The redactor of a store's own policy (STORE.privacy.json): null when the store has none.
// What every ingest path (import, collector, proxy) applies.
Result<std::shared_ptr<const Redactor>> storeRedactor(const QString &storeLocation);

class Redactor
{
public:
    // Builds the detectors and, when the policy needs it, reads or creates the key file.
    static Result<std::shared_ptr<const Redactor>> create(const RedactionPolicy &policy);
    // With a key already at hand (tests, previews): `key` may be empty when the policy needs
    // none; a policy that needs one gets a per-process random key otherwise (previews only).
    static Result<std::shared_ptr<const Redactor>> create(const RedactionPolicy &policy,
                                                          QByteArray key);

    const RedactionPolicy &policy() const { return m_policy; }

    // Redacts a document in place (every string, by its field group) and adds the `redaction`
    // field. The document stays valid under the log schema.
    RedactionOutcome redactDocument(nlohmann::json &document) const;

    // Redacts a decoded record: its document (then stored as canonical JSON), its hash, its
    // extracted fields (so the full-text index only sees redacted text) and its original.
    RedactionOutcome redactRecord(DecodedRecord &record) const;

    // Redacts a rejected record before it is quarantined or shown: a JSON object as a document
    // is; other text by masking every finding (or withheld entirely when the policy drops a
    // group, since its fields cannot be told apart). Error reasons lose any quoted input.
    void redactReject(QuarantinedRecord &reject) const;

    // One text as the policy treats the given group: the preview of the settings dialog and
    // `llmaudit redact`. Placeholders are numbered within this call.
    QString redactText(const QString &text, FieldGroup group,
                       RedactionOutcome *outcome = nullptr) const;

    // "u-" and 16 hex digits of HMAC-SHA256(key, userId).
    std::string pseudonym(const std::string &userId) const;

private:
    class Scope;
    Redactor(RedactionPolicy policy, PiiDetector detector, QByteArray key);
    RedactionOutcome redactDocument(nlohmann::json &document, Scope &scope) const;

    RedactionPolicy m_policy;
    PiiDetector m_detector;
    QByteArray m_key;
};

} // namespace llmaudit
