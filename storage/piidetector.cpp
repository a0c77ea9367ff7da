#include "piidetector.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <optional>

namespace llmaudit {

using namespace Qt::StringLiterals;

namespace {

QString digitsOf(QStringView text)
{
    QString digits;
    digits.reserve(text.size());
    for (QChar c : text)
        if (c.isDigit() && c.unicode() < 128)
            digits += c;
    return digits;
}

// Up to `count` characters before `start`, lower-cased: the context rules look at them.
QString before(const QString &text, qsizetype start, qsizetype count)
{
    const qsizetype from = std::max<qsizetype>(0, start - count);
    return text.mid(from, start - from).toLower();
}

bool contextMatches(const QString &text, qsizetype start, const QRegularExpression &words)
{
    return words.match(before(text, start, 40)).hasMatch();
}

// -- e-mail ------------------------------------------------------------------------------------

bool acceptEmail(const QString &text, qsizetype start, qsizetype length)
{
    const QStringView value = QStringView(text).mid(start, length);
    const qsizetype at = value.indexOf(u'@');
    const QStringView local = value.left(at);
    if (local.startsWith(u'.') || local.endsWith(u'.') || local.contains(u".."))
        return false;
    // "icon@2x.png", "logo@3x.webp": retina image names, not addresses.
    static const QStringList fileTypes = {u"png"_s,  u"jpg"_s, u"jpeg"_s, u"gif"_s, u"svg"_s,
                                          u"webp"_s, u"ico"_s, u"bmp"_s,  u"tiff"_s};
    const QStringView tld = value.mid(value.lastIndexOf(u'.') + 1);
    return !fileTypes.contains(tld.toString().toLower());
}

QString lower(QStringView value)
{
    return value.toString().toLower();
}

// -- phone numbers -----------------------------------------------------------------------------

const QRegularExpression &phoneWords()
{
    static const QRegularExpression words(
        uR"((?:phone|tel|telephone|call|called|mobile|cell|fax|whatsapp|sms|text me|dial|)"
        uR"(hotline|landline|handy|portable|telefon|téléphone)\b[^\d\n]{0,16}$)"_s);
    return words;
}

bool looksLikeDate(const QString &value)
{
    static const QRegularExpression date(
        uR"(^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$)"_s);
    return date.match(value).hasMatch();
}

bool acceptPhone(const QString &text, qsizetype start, qsizetype length)
{
    const QString value = text.mid(start, length);
    const QString digits = digitsOf(value);
    const bool hasSeparator =
        std::any_of(value.begin(), value.end(), [](QChar c) { return !c.isDigit(); });
    if (value.startsWith(u'+')) // international: "+44 20 7946 0958", "+1 (415) 555-0132"
        return digits.size() >= 8 && digits.size() <= 15 && !value.contains(u'/') &&
               digits.front() != u'0';
    if (digits.size() < 7 || digits.size() > 15 || looksLikeDate(value))
        return false;
    // "0044 20 7946 0958": 00, a country code, then the number without its trunk 0.
    static const QRegularExpression international(uR"(^00[1-9]\d{0,2} [1-9])"_s);
    if (digits.size() >= 11 && international.match(value).hasMatch())
        return true;
    // The national formats most logs show; each anchored on the whole candidate.
    static const QRegularExpression national(
        uR"(^(?:)"
        uR"((?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4})" // NANP
        uR"(|0[1-9]([ .-])\d{2}(?:\1\d{2}){3})"                              // France
        uR"(|0\d{2,4} [1-9]\d{2,3} ?\d{3,4})"                                // UK
        uR"(|0\d{2,5}[ /-][1-9]\d{2,7}(?:[ -]\d{1,5})?)"                     // Germany and alike
        uR"()$)"_s);
    if (national.match(value).hasMatch())
        return true;
    // Anything else (a bare run of digits, other groupings) only next to a word that says phone:
    // bare numbers are order ids, timestamps and amounts far more often.
    if (!contextMatches(text, start, phoneWords()))
        return false;
    return !hasSeparator || !value.contains(u'/');
}

QString normalizePhone(QStringView value)
{
    const QString digits = digitsOf(value);
    if (value.startsWith(u'+'))
        return u'+' + digits;
    if (value.startsWith(u"00"))
        return u'+' + digits.mid(2);
    return digits;
}

// -- payment cards -----------------------------------------------------------------------------

bool cardPrefixValid(const QString &digits)
{
    const int n = static_cast<int>(digits.size());
    auto prefix = [&](int length) { return digits.left(length).toInt(); };
    if (digits.startsWith(u'4'))
        return n == 13 || n == 16 || n == 19; // Visa
    if ((prefix(2) >= 51 && prefix(2) <= 55) || (prefix(4) >= 2221 && prefix(4) <= 2720))
        return n == 16; // Mastercard
    if (prefix(2) == 34 || prefix(2) == 37)
        return n == 15; // American Express
    if (prefix(4) == 6011 || prefix(2) == 65 || (prefix(3) >= 644 && prefix(3) <= 649))
        return n >= 16 && n <= 19; // Discover
    if (prefix(4) >= 3528 && prefix(4) <= 3589)
        return n >= 16 && n <= 19; // JCB
    if (prefix(2) == 36 || prefix(2) == 38 || (prefix(3) >= 300 && prefix(3) <= 305))
        return n >= 14 && n <= 19; // Diners Club
    if (prefix(2) == 62)
        return n >= 16 && n <= 19; // UnionPay
    if (prefix(2) == 50 || (prefix(2) >= 56 && prefix(2) <= 69))
        return n >= 12 && n <= 19; // Maestro
    return false;
}

bool acceptCard(const QString &text, qsizetype start, qsizetype length)
{
    const QString value = text.mid(start, length);
    const QString digits = digitsOf(value);
    if (digits.size() < 12 || digits.size() > 19 || !cardPrefixValid(digits) || !luhnValid(digits))
        return false;
    // Separators, when there are any, are all the same and group the digits as printed on
    // cards: fours (the last group shorter), or 4-6-5 / 4-6-4 (Amex, Diners).
    QList<qsizetype> groups{0};
    QChar separator;
    for (QChar c : value) {
        if (c.isDigit()) {
            ++groups.back();
            continue;
        }
        if (!separator.isNull() && c != separator)
            return false;
        separator = c;
        groups.push_back(0);
    }
    if (groups.size() == 1)
        return true;
    if (groups == QList<qsizetype>{4, 6, 5} || groups == QList<qsizetype>{4, 6, 4})
        return true;
    for (qsizetype i = 0; i + 1 < groups.size(); ++i)
        if (groups[i] != 4)
            return false;
    return groups.back() >= 1 && groups.back() <= 4;
}

// -- IBAN, SSN ---------------------------------------------------------------------------------

bool acceptIban(const QString &text, qsizetype start, qsizetype length)
{
    return ibanValid(QStringView(text).mid(start, length));
}

QString normalizeIban(QStringView value)
{
    QString out = value.toString().toUpper();
    out.remove(u' ');
    return out;
}

const QRegularExpression &ssnWords()
{
    static const QRegularExpression words(
        uR"((?:ssn|social security(?: number| no\.?)?|ss#|ss no\.?)[^\d\n]{0,16}$)"_s);
    return words;
}

bool acceptSsn(const QString &text, qsizetype start, qsizetype length)
{
    const QStringView value = QStringView(text).mid(start, length);
    if (!ssnValid(value))
        return false;
    // 123-45-6789 is an SSN by its shape; 123 45 6789 and 123456789 only when the text says so.
    return value.contains(u'-') || contextMatches(text, start, ssnWords());
}

QString normalizeDigits(QStringView value)
{
    return digitsOf(value);
}

// -- IP addresses ------------------------------------------------------------------------------

// The address's bytes when `text` is one of `family` (AF_INET: a dotted quad; AF_INET6). POSIX's
// parser rather than Qt Network's, which the storage layer does not link.
std::optional<std::array<unsigned char, 16>> parseAddress(int family, const QString &text)
{
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(family, text.toLatin1().constData(), bytes.data()) != 1)
        return std::nullopt;
    return bytes;
}

bool acceptIpv4(const QString &text, qsizetype start, qsizetype length)
{
    const QString value = text.mid(start, length);
    for (const QString &part : value.split(u'.'))
        if (part.size() > 1 && part.startsWith(u'0'))
            return false; // "01.02.03.04" is not how addresses are written
    if (!parseAddress(AF_INET, value))
        return false;
    // 1.2.3.4 is a valid address; a dotted quad right after a version marker is a version.
    static const QRegularExpression version(
        uR"((?:\bversion|\bver\.?|\bv|\brelease|\bbuild|\bfirmware|\bfw|\bsdk|\bpatch|)"
        uR"(\bupgrade[ds]? to|\bupdate[ds]? to|\bbump(?:ed)? to|==|~=|@)\s*(?:is\s+|[:=]\s*)?$)"_s);
    return !version.match(before(text, start, 24)).hasMatch();
}

bool acceptIpv6(const QString &text, qsizetype start, qsizetype length)
{
    const QString value = text.mid(start, length);
    int hexDigits = 0;
    for (QChar c : value)
        if (c.isLetterOrNumber())
            ++hexDigits;
    if (hexDigits < 2 || value.count(u':') < 2)
        return false;
    return bool(parseAddress(AF_INET6, value));
}

// The canonical text (RFC 5952: lower case, the longest run of zero groups as "::"), so that
// one address written two ways gets one placeholder.
QString normalizeIpv6(QStringView value)
{
    const auto address = parseAddress(AF_INET6, value.toString());
    char text[INET6_ADDRSTRLEN] = {};
    if (!address || !inet_ntop(AF_INET6, address->data(), text, sizeof text))
        return value.toString();
    return QString::fromLatin1(text);
}

// -- secrets -----------------------------------------------------------------------------------

bool acceptOpenAiKey(const QString &text, qsizetype start, qsizetype length)
{
    const QStringView value = QStringView(text).mid(start, length);
    const bool digit =
        std::any_of(value.begin() + 3, value.end(), [](QChar c) { return c.isDigit(); });
    const bool letter =
        std::any_of(value.begin() + 3, value.end(), [](QChar c) { return c.isLetter(); });
    // "sk-learn-is-a-python-library" has no digit; real keys are random.
    return digit && letter;
}

bool acceptJwt(const QString &text, qsizetype start, qsizetype length)
{
    return jwtHeaderValid(QStringView(text).mid(start, length));
}

} // namespace

bool luhnValid(QStringView digits)
{
    int sum = 0;
    bool twice = false;
    for (qsizetype i = digits.size() - 1; i >= 0; --i) {
        const QChar c = digits[i];
        if (!c.isDigit())
            return false;
        int d = c.digitValue();
        if (twice && (d *= 2) > 9)
            d -= 9;
        sum += d;
        twice = !twice;
    }
    return !digits.isEmpty() && sum % 10 == 0;
}

bool ibanValid(QStringView text)
{
    QString iban = text.toString().toUpper();
    iban.remove(u' ');
    if (iban.size() < 15 || iban.size() > 34)
        return false;
    // ISO 13616 lengths of the countries most often seen; other countries: 15 to 34.
    static const QHash<QString, int> lengths = {
        {u"AD"_s, 24}, {u"AT"_s, 20}, {u"BE"_s, 16}, {u"BG"_s, 22}, {u"CH"_s, 21}, {u"CY"_s, 28},
        {u"CZ"_s, 24}, {u"DE"_s, 22}, {u"DK"_s, 18}, {u"EE"_s, 20}, {u"ES"_s, 24}, {u"FI"_s, 18},
        {u"FR"_s, 27}, {u"GB"_s, 22}, {u"GR"_s, 27}, {u"HR"_s, 21}, {u"HU"_s, 28}, {u"IE"_s, 22},
        {u"IS"_s, 26}, {u"IT"_s, 27}, {u"LI"_s, 21}, {u"LT"_s, 20}, {u"LU"_s, 20}, {u"LV"_s, 21},
        {u"MC"_s, 27}, {u"MT"_s, 31}, {u"NL"_s, 18}, {u"NO"_s, 15}, {u"PL"_s, 28}, {u"PT"_s, 25},
        {u"RO"_s, 24}, {u"SE"_s, 24}, {u"SI"_s, 19}, {u"SK"_s, 24}, {u"SM"_s, 27}, {u"TR"_s, 26},
        {u"SA"_s, 24}, {u"AE"_s, 23}, {u"IL"_s, 23}, {u"BR"_s, 29}, {u"QA"_s, 29}, {u"UA"_s, 29}};
    if (auto it = lengths.find(iban.left(2)); it != lengths.end() && *it != iban.size())
        return false;
    if (!iban[0].isLetter() || !iban[1].isLetter() || !iban[2].isDigit() || !iban[3].isDigit())
        return false;
    // Mod 97 of the number made of the rearranged text, letters as 10..35, a digit at a time.
    const QString rearranged = iban.mid(4) + iban.left(4);
    int remainder = 0;
    for (QChar c : rearranged) {
        if (c.isDigit() && c.unicode() < 128) {
            remainder = (remainder * 10 + c.digitValue()) % 97;
        } else if (c >= u'A' && c <= u'Z') {
            remainder = (remainder * 100 + (c.unicode() - u'A' + 10)) % 97;
        } else {
            return false;
        }
    }
    return remainder == 1;
}

bool ssnValid(QStringView text)
{
    const QString digits = digitsOf(text);
    if (digits.size() != 9)
        return false;
    const int area = digits.left(3).toInt();
    const int group = digits.mid(3, 2).toInt();
    const int serial = digits.mid(5).toInt();
    // Never issued: area 000, 666 and 900-999, group 00, serial 0000.
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool jwtHeaderValid(QStringView jwt)
{
    const qsizetype dot = jwt.indexOf(u'.');
    if (dot <= 0)
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(
        jwt.left(dot).toLatin1(),
        QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    const auto header =
        nlohmann::json::parse(decoded.decoded.begin(), decoded.decoded.end(), nullptr, false);
    return header.is_object() && header.contains("alg") && header["alg"].is_string();
}

const QStringList &PiiDetector::builtInTypes()
{
    static const QStringList types = {
        u"EMAIL"_s,        u"PHONE"_s, u"CARD"_s,       u"IBAN"_s,    u"SSN"_s,
        u"IPV4"_s,         u"IPV6"_s,  u"API_KEY"_s,    u"AWS_KEY"_s, u"AWS_SECRET"_s,
        u"GITHUB_TOKEN"_s, u"JWT"_s,   u"PRIVATE_KEY"_s};
    return types;
}

bool PiiDetector::isValidCustomName(const QString &name)
{
    static const QRegularExpression label(u"^[A-Z][A-Z0-9_]{0,31}$"_s);
    return label.match(name).hasMatch() && !builtInTypes().contains(name);
}

Result<PiiDetector> PiiDetector::create(const QStringList &types,
                                        const std::vector<CustomPattern> &custom)
{
    struct BuiltIn
    {
        const char16_t *type;
        const char16_t *pattern;
        int group;
        bool (*accept)(const QString &, qsizetype, qsizetype);
        QString (*normalize)(QStringView);
    };
    // Most text holds none of these; skipping the expression then halves redaction time.
    static const QHash<QString, std::pair<QString, Qt::CaseSensitivity>> hints = {
        {u"EMAIL"_s, {u"@"_s, Qt::CaseSensitive}},
        {u"IPV6"_s, {u":"_s, Qt::CaseSensitive}},
        {u"API_KEY"_s, {u"sk-"_s, Qt::CaseSensitive}},
        {u"AWS_SECRET"_s, {u"access"_s, Qt::CaseInsensitive}},
        {u"GITHUB_TOKEN"_s, {u"_"_s, Qt::CaseSensitive}},
        {u"JWT"_s, {u"eyJ"_s, Qt::CaseSensitive}},
        {u"PRIVATE_KEY"_s, {u"PRIVATE KEY"_s, Qt::CaseSensitive}}};
    // The candidates. The look-arounds keep a match from starting or ending inside a longer
    // token (an id, a hash, a path); the accept functions do the rest.
    static const BuiltIn builtIns[] = {
        {u"EMAIL",
         uR"((?<![\w.%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-]|\.[A-Za-z0-9]))",
         0, acceptEmail, lower},
        {u"PHONE", uR"((?<![\w+.\-/:@#$€£,])\+?\(?\d(?:[ .\-/()]{1,2}\d|\d)*+(?![\w@]|[.\-/:,]\d))",
         0, acceptPhone, normalizePhone},
        {u"CARD", uR"((?<![\w\-.,])\d(?:[ \-]?\d){11,18}(?![\w\-]|[.,]\d))", 0, acceptCard,
         normalizeDigits},
        {u"IBAN", uR"((?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![\w]))", 0,
         acceptIban, normalizeIban},
        {u"SSN", uR"((?<![\w\-.])\d{3}([ \-]?)\d{2}\1\d{4}(?![\w\-]|[.,]\d))", 0, acceptSsn,
         normalizeDigits},
        {u"IPV4", uR"((?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d))", 0, acceptIpv4, nullptr},
        {u"IPV6",
         uR"((?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d))",
         0, acceptIpv6, normalizeIpv6},
        {u"API_KEY",
         uR"((?<![\w\-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_\-]{20,}(?![\w\-]))", 0,
         acceptOpenAiKey, nullptr},
        {u"AWS_KEY",
         uR"((?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Za-z0-9]))",
         0, nullptr, nullptr},
        {u"AWS_SECRET",
         uR"((?i:aws_?secret_?access_?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))",
         1, nullptr, nullptr},
        {u"GITHUB_TOKEN",
         uR"((?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{40,255})(?![\w]))",
         0, nullptr, nullptr},
        {u"JWT",
         uR"((?<![\w\-.])eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*(?![\w\-]|\.[A-Za-z0-9]))",
         0, acceptJwt, nullptr},
        {u"PRIVATE_KEY",
         uR"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z))",
         0, nullptr, nullptr},
    };

    PiiDetector detector;
    // Custom patterns first: on a tie the policy's own name wins.
    for (const CustomPattern &p : custom) {
        if (!isValidCustomName(p.name))
            return fail(u"'%1' is not a valid pattern name (upper-case letters, digits and '_', "
                        u"starting with a letter, not a built-in type)"_s.arg(p.name),
                        u"custom"_s);
        QRegularExpression expression(p.pattern);
        if (!expression.isValid())
            return fail(u"pattern %1 does not compile at offset %2: %3"_s.arg(p.name)
                            .arg(expression.patternErrorOffset())
                            .arg(expression.errorString()),
                        u"custom"_s);
        if (expression.match(QString()).hasMatch())
            return fail(u"pattern %1 matches empty text"_s.arg(p.name), u"custom"_s);
        detector.m_rules.push_back({p.name, std::move(expression), 0, nullptr, nullptr, {}, {}});
    }
    for (const QString &type : types)
        if (!builtInTypes().contains(type))
            return fail(
                u"unknown detector '%1' (known: %2)"_s.arg(type, builtInTypes().join(u", "_s)),
                u"detectors"_s);
    for (const BuiltIn &b : builtIns) {
        const QString type = QString::fromUtf16(b.type);
        if (!types.contains(type))
            continue;
        QRegularExpression expression(QString::fromUtf16(b.pattern));
        Q_ASSERT(expression.isValid());
        expression.optimize();
        const auto hint = hints.value(type);
        detector.m_rules.push_back(
            {type, std::move(expression), b.group, b.accept, b.normalize, hint.first, hint.second});
    }
    return detector;
}

std::vector<PiiMatch> PiiDetector::find(const QString &text) const
{
    struct Candidate
    {
        PiiMatch match;
        size_t rule;
    };
    std::vector<Candidate> candidates;
    for (size_t r = 0; r < m_rules.size(); ++r) {
        const Rule &rule = m_rules[r];
        if (!rule.hint.isEmpty() && !text.contains(rule.hint, rule.hintCase))
            continue;
        auto take = [&](qsizetype start, qsizetype length) {
            if (length <= 0 || (rule.accept && !rule.accept(text, start, length)))
                return false;
            const QStringView value = QStringView(text).mid(start, length);
            candidates.push_back({{rule.type, start, length,
                                   rule.normalize ? rule.normalize(value) : value.toString()},
                                  r});
            return true;
        };
        auto it = rule.expression.globalMatch(text);
        while (it.hasNext()) {
            const QRegularExpressionMatch m = it.next();
            const qsizetype start = m.capturedStart(rule.group);
            const qsizetype length = m.capturedLength(rule.group);
            if (take(start, length) || rule.type != u"PHONE")
                continue;
            // A phone number run together with a neighbouring number ("room 12 555-0100 ...")
            // is one candidate: try its pieces, split at spaces, longest first. What a piece
            // leaves out must be short: a piece of a long run of digit groups (an IBAN with a
            // wrong checksum, a reference number) is not a phone number.
            const QStringView value = QStringView(text).mid(start, length);
            QList<qsizetype> starts{0}, ends;
            for (qsizetype i = 0; i < value.size(); ++i)
                if (value[i] == u' ') {
                    ends.push_back(i);
                    starts.push_back(i + 1);
                }
            ends.push_back(value.size());
            std::vector<std::pair<qsizetype, qsizetype>> pieces;
            for (qsizetype s : starts)
                for (qsizetype e : ends)
                    if (e > s && !(s == 0 && e == value.size()) &&
                        digitsOf(value.left(s)).size() + digitsOf(value.mid(e)).size() <= 4)
                        pieces.push_back({s, e});
            std::sort(pieces.begin(), pieces.end(), [](const auto &a, const auto &b) {
                return a.second - a.first > b.second - b.first;
            });
            std::vector<std::pair<qsizetype, qsizetype>> taken;
            for (const auto &[s, e] : pieces) {
                const bool overlaps = std::any_of(taken.begin(), taken.end(), [&](const auto &t) {
                    return s < t.second && t.first < e;
                });
                if (!overlaps && take(start + s, e - s))
                    taken.push_back({s, e});
            }
        }
    }
    // Secrets first (a token in a URL's user part is a token, not an e-mail address), then the
    // policy's own patterns, then the rest; within a tier the longest first. A candidate that
    // overlaps one already kept is dropped.
    auto tier = [](const QString &type) {
        static const QStringList secrets = {u"PRIVATE_KEY"_s,  u"JWT"_s,     u"API_KEY"_s,
                                            u"GITHUB_TOKEN"_s, u"AWS_KEY"_s, u"AWS_SECRET"_s};
        if (secrets.contains(type))
            return 0;
        return builtInTypes().contains(type) ? 2 : 1;
    };
    std::stable_sort(candidates.begin(), candidates.end(), [&](const auto &a, const auto &b) {
        const int ta = tier(a.match.type), tb = tier(b.match.type);
        if (ta != tb)
            return ta < tb;
        if (a.match.length != b.match.length)
            return a.match.length > b.match.length;
        return a.rule < b.rule;
    });
    std::vector<PiiMatch> kept;
    for (auto &c : candidates) {
        const qsizetype s = c.match.start, e = c.match.start + c.match.length;
        if (std::none_of(kept.begin(), kept.end(),
                         [&](const PiiMatch &k) { return s < k.start + k.length && k.start < e; }))
            kept.push_back(std::move(c.match));
    }
    std::sort(kept.begin(), kept.end(),
              [](const PiiMatch &a, const PiiMatch &b) { return a.start < b.start; });
    return kept;
}

} // namespace llmaudit
