#pragma once

// Finds personal data and secrets in text: e-mail addresses, phone numbers, payment cards,
// IBANs, US SSNs, IP addresses, API keys and tokens, private keys, and the policy's own
// patterns. Candidates come from regular expressions; checksums and context rules then keep
// only the real ones (docs/privacy.md lists the rules). A detector is immutable once built and
// may be used from several threads at once.

#include "result.h"

#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <vector>

namespace llmaudit {

// A pattern of the policy's own: its name (the placeholder's label) and the expression.
struct CustomPattern
{
    QString name; // upper case, letters, digits and '_': "EMPLOYEE_ID"
    QString pattern;

    bool operator==(const CustomPattern &) const = default;
};

struct PiiMatch
{
    QString type; // "EMAIL", "CARD", ..., or a custom pattern's name
    qsizetype start = 0;
    qsizetype length = 0;
    QString normalized; // the value in a canonical form (same person, same form)
};

class PiiDetector
{
public:
    // The built-in types, in the order the documentation lists them.
    static const QStringList &builtInTypes();

    // Detects the given built-in types and custom patterns. Fails on an unknown type or a
    // pattern that does not compile (naming the pattern and the place).
    static Result<PiiDetector> create(const QStringList &types,
                                      const std::vector<CustomPattern> &custom);

    // Non-overlapping matches in text order. Where candidates overlap, secrets win, then custom
    // patterns, then the longer candidate.
    std::vector<PiiMatch> find(const QString &text) const;

    // A custom pattern's name is valid when it is a placeholder label: [A-Z][A-Z0-9_]*, and
    // not one of the built-in types.
    static bool isValidCustomName(const QString &name);

private:
    struct Rule
    {
        QString type;
        QRegularExpression expression;
        int group = 0; // the capture group that holds the value
        bool (*accept)(const QString &text, qsizetype start, qsizetype length) = nullptr;
        QString (*normalize)(QStringView value) = nullptr;
        QString hint; // text without it cannot match: the expression is not run at all
        Qt::CaseSensitivity hintCase = Qt::CaseSensitive;
    };
    std::vector<Rule> m_rules;
};

// The checksums, written out because they are a few lines each and no library on the platform
// offers them (Qt has none; libphonenumber-style packages do not cover cards and IBANs).
bool luhnValid(QStringView digits);   // payment cards
bool ibanValid(QStringView iban);     // ISO 13616 mod-97 and the country's length
bool ssnValid(QStringView ssn);       // area, group and serial rules of the SSA
bool jwtHeaderValid(QStringView jwt); // base64url JSON header with "alg"

} // namespace llmaudit
