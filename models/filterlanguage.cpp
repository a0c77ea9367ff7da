#include "filterlanguage.h"

#include "logschema.h"

#include <QDate>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

namespace llmaudit {

namespace {

constexpr qsizetype MaxLength = 1'000'000;
constexpr int MaxDepth = 48;

QString quote(QStringView text)
{
    return u'\'' + text.toString() + u'\'';
}

FilterDiagnostic diagnostic(qsizetype offset, qsizetype length, QString message)
{
    return FilterDiagnostic{offset, length, std::move(message)};
}

// A character as a message shows it: control and invisible characters by code point.
QString describeChar(QChar c)
{
    if (c.isPrint() && !c.isSpace())
        return quote(QString(c));
    return QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')).toUpper();
}

// ---------------------------------------------------------------------------------------------
// Scanner

enum class Tok {
    End,
    Error, // what the scanner could not read: the parser reports it when it gets there
    Name,  // field path or word: user_id, metrics.latency_ms, and, true, confidential
    String,
    Number,
    Duration,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    DotDot,
    Compare, // == = != < <= > >=
    Tilde,
    Bang,
    AndAnd,
    OrOr,
    Minus,
    Plus,
};

struct Token
{
    Tok kind = Tok::End;
    qsizetype pos = 0;
    qsizetype len = 0;
    QString text; // Name: as written; String: the decoded text; Error: the message
    // String: where each decoded code unit came from in the filter (for regex errors), plus
    // one entry for the closing quote.
    std::vector<qsizetype> sourceOf;
    bool integer = false; // Number
    int64_t integerValue = 0;
    double realValue = 0;
    int64_t ms = 0;                       // Duration
    FilterOp op = FilterOp::Equal;        // Compare
    QString spelled;                      // the operator as written
    QString raw;                          // the token as written
    qsizetype errorPos = 0, errorLen = 0; // Error
};

bool isWord(const Token &t, const char *word)
{
    return t.kind == Tok::Name && t.text.compare(QLatin1StringView(word), Qt::CaseInsensitive) == 0;
}

const char *const s_keywords[] = {"and",   "or",  "not", "in", "contains", "matches", "has", "true",
                                  "false", "now", "eq",  "ne", "lt",       "le",      "gt",  "ge"};

bool isKeyword(const Token &t)
{
    return std::ranges::any_of(s_keywords, [&](const char *k) { return isWord(t, k); });
}

bool isAsciiLetter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
}
bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

class Scanner
{
public:
    explicit Scanner(QStringView text)
        : m_text(text)
    {}

    std::vector<Token> scan()
    {
        std::vector<Token> tokens;
        for (;;) {
            while (m_pos < m_text.size() && m_text[m_pos].isSpace())
                ++m_pos;
            Token t = next();
            if (t.kind != Tok::Error)
                t.raw = m_text.mid(t.pos, t.len).toString();
            const Tok kind = t.kind;
            tokens.push_back(std::move(t));
            if (kind == Tok::End || kind == Tok::Error)
                return tokens;
        }
    }

private:
    QChar at(qsizetype i) const { return i < m_text.size() ? m_text[i] : QChar(); }

    Token simple(Tok kind, qsizetype length)
    {
        Token t;
        t.kind = kind;
        t.pos = m_pos;
        t.len = length;
        m_pos += length;
        return t;
    }

    Token error(qsizetype pos, qsizetype length, QString message)
    {
        Token t;
        t.kind = Tok::Error;
        t.pos = t.errorPos = pos;
        t.len = t.errorLen = length;
        t.text = std::move(message);
        return t;
    }

    Token compare(FilterOp op, qsizetype length)
    {
        Token t = simple(Tok::Compare, length);
        t.op = op;
        t.spelled = m_text.mid(t.pos, length).toString();
        return t;
    }

    Token next()
    {
        if (m_pos >= m_text.size())
            return simple(Tok::End, 0);
        const QChar c = m_text[m_pos];
        const QChar n = at(m_pos + 1);
        if (isAsciiLetter(c))
            return name();
        if (isAsciiDigit(c) || (c == u'.' && isAsciiDigit(n)))
            return number();
        switch (c.unicode()) {
        case '"':
        case '\'':
            return string();
        case '(':
            return simple(Tok::LParen, 1);
        case ')':
            return simple(Tok::RParen, 1);
        case '{':
            return simple(Tok::LBrace, 1);
        case '}':
            return simple(Tok::RBrace, 1);
        case ',':
            return simple(Tok::Comma, 1);
        case '~':
            return simple(Tok::Tilde, 1);
        case '-':
            return simple(Tok::Minus, 1);
        case '+':
            return simple(Tok::Plus, 1);
        case '.':
            if (n == u'.')
                return simple(Tok::DotDot, 2);
            break;
        case '=':
            return compare(FilterOp::Equal, n == u'=' ? 2 : 1);
        case '!':
            if (n == u'=')
                return compare(FilterOp::NotEqual, 2);
            return simple(Tok::Bang, 1);
        case '<':
            return n == u'=' ? compare(FilterOp::LessEqual, 2) : compare(FilterOp::Less, 1);
        case '>':
            return n == u'=' ? compare(FilterOp::GreaterEqual, 2) : compare(FilterOp::Greater, 1);
        case '&':
            if (n == u'&')
                return simple(Tok::AndAnd, 2);
            return error(m_pos, 1, QStringLiteral("unexpected '&': write 'and' or '&&'"));
        case '|':
            if (n == u'|')
                return simple(Tok::OrOr, 2);
            return error(m_pos, 1, QStringLiteral("unexpected '|': write 'or' or '||'"));
        default:
            break;
        }
        if (c.isLetter())
            return error(m_pos, 1,
                         QStringLiteral("unexpected character %1: field names are written in "
                                        "ASCII letters, digits and '_'; text goes in quotes")
                             .arg(describeChar(c)));
        return error(m_pos, 1, QStringLiteral("unexpected character %1").arg(describeChar(c)));
    }

    // A field path or a word: letters, digits and '_', parts joined by '.'.
    Token name()
    {
        const qsizetype start = m_pos;
        for (;;) {
            while (m_pos < m_text.size() &&
                   (isAsciiLetter(m_text[m_pos]) || isAsciiDigit(m_text[m_pos])))
                ++m_pos;
            if (at(m_pos) != u'.' || at(m_pos + 1) == u'.')
                break;
            if (!isAsciiLetter(at(m_pos + 1)))
                return error(start, m_pos + 1 - start,
                             QStringLiteral("expected a field name after %1")
                                 .arg(quote(m_text.mid(start, m_pos + 1 - start))));
            ++m_pos;
        }
        Token t;
        t.kind = Tok::Name;
        t.pos = start;
        t.len = m_pos - start;
        t.text = m_text.mid(start, t.len).toString();
        return t;
    }

    // 2000, 0.5, 1e3; a whole number followed by units is a duration: 24h, 1h30m, 500ms.
    Token number()
    {
        const qsizetype start = m_pos;
        while (isAsciiDigit(at(m_pos)))
            ++m_pos;
        bool whole = true;
        if (at(m_pos) == u'.' && isAsciiDigit(at(m_pos + 1))) {
            whole = false;
            ++m_pos;
            while (isAsciiDigit(at(m_pos)))
                ++m_pos;
        }
        if ((at(m_pos) == u'e' || at(m_pos) == u'E') &&
            (isAsciiDigit(at(m_pos + 1)) ||
             ((at(m_pos + 1) == u'+' || at(m_pos + 1) == u'-') && isAsciiDigit(at(m_pos + 2))))) {
            whole = false;
            m_pos += 2;
            while (isAsciiDigit(at(m_pos)))
                ++m_pos;
        }
        if (at(m_pos) == u'.' && at(m_pos + 1) != u'.')
            return error(m_pos, 1, QStringLiteral("unexpected '.' after a number"));
        if (isAsciiLetter(at(m_pos))) {
            if (!whole) {
                while (isAsciiLetter(at(m_pos)) || isAsciiDigit(at(m_pos)))
                    ++m_pos;
                return error(start, m_pos - start,
                             QStringLiteral("a duration is whole numbers with units, as in 90m "
                                            "or 1h30m (units: ms, s, m, h, d, w)"));
            }
            m_pos = start;
            return duration();
        }
        Token t;
        t.kind = Tok::Number;
        t.pos = start;
        t.len = m_pos - start;
        const QString text = m_text.mid(start, t.len).toString();
        bool ok = false;
        if (whole) {
            t.integerValue = text.toLongLong(&ok);
            t.integer = ok;
        }
        t.realValue = text.toDouble(&ok);
        if (!ok || !std::isfinite(t.realValue))
            return error(start, t.len, QStringLiteral("number out of range"));
        return t;
    }

    Token duration()
    {
        const qsizetype start = m_pos;
        struct Unit
        {
            const char *name;
            int64_t ms;
        };
        static constexpr Unit units[] = {{"ms", 1},        {"s", 1000},       {"m", 60'000},
                                         {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};
        int64_t total = 0;
        while (isAsciiDigit(at(m_pos))) {
            const qsizetype digits = m_pos;
            while (isAsciiDigit(at(m_pos)))
                ++m_pos;
            bool ok = false;
            const qint64 count = m_text.mid(digits, m_pos - digits).toLongLong(&ok);
            const qsizetype unitStart = m_pos;
            while (isAsciiLetter(at(m_pos)))
                ++m_pos;
            const QStringView unit = m_text.mid(unitStart, m_pos - unitStart);
            const Unit *found = nullptr;
            for (const Unit &u : units)
                if (unit == QLatin1StringView(u.name))
                    found = &u;
            if (!found) {
                if (unit.isEmpty())
                    return error(digits, m_pos - digits,
                                 QStringLiteral("expected a unit after %1 (ms, s, m, h, d or w)")
                                     .arg(m_text.mid(digits, m_pos - digits)));
                return error(unitStart, unit.size(),
                             QStringLiteral("unknown unit %1 in a duration (ms, s, m, h, d or "
                                            "w)")
                                 .arg(quote(unit)));
            }
            if (!ok || count > (std::numeric_limits<int64_t>::max() / 4) / found->ms ||
                total > std::numeric_limits<int64_t>::max() / 4)
                return error(start, m_pos - start, QStringLiteral("duration too long"));
            total += count * found->ms;
        }
        if (at(m_pos) == u'.' && at(m_pos + 1) != u'.')
            return error(start, m_pos + 1 - start,
                         QStringLiteral("a duration is whole numbers with units, as in 90m or "
                                        "1h30m"));
        Token t;
        t.kind = Tok::Duration;
        t.pos = start;
        t.len = m_pos - start;
        t.ms = total;
        return t;
    }

    // "text" or 'text'. Escapes: \" \' \\ \n \r \t \uXXXX; a backslash before anything else
    // stays as written, so that regular expressions such as "\d+" need no doubling.
    Token string()
    {
        const qsizetype start = m_pos;
        const QChar quoteChar = m_text[m_pos++];
        Token t;
        t.kind = Tok::String;
        t.pos = start;
        auto nul = [&](qsizetype pos, qsizetype length) {
            return error(pos, length,
                         QStringLiteral("a NUL character (U+0000) cannot be part of a filter"));
        };
        for (;;) {
            if (m_pos >= m_text.size())
                return error(start, m_text.size() - start,
                             QStringLiteral("unterminated text: the %1 at %2 has no closing %1")
                                 .arg(QString(quoteChar))
                                 .arg(start));
            const QChar c = m_text[m_pos];
            if (c == quoteChar) {
                t.sourceOf.push_back(m_pos);
                ++m_pos;
                break;
            }
            if (c.unicode() == 0)
                return nul(m_pos, 1);
            if (c != u'\\') {
                t.text += c;
                t.sourceOf.push_back(m_pos++);
                continue;
            }
            const QChar e = at(m_pos + 1);
            const qsizetype escapeAt = m_pos;
            switch (e.unicode()) {
            case '"':
            case '\'':
            case '\\':
                t.text += e;
                break;
            case 'n':
                t.text += u'\n';
                break;
            case 'r':
                t.text += u'\r';
                break;
            case 't':
                t.text += u'\t';
                break;
            case 'u': {
                bool ok = false;
                const uint code = m_text.mid(m_pos + 2, 4).toUInt(&ok, 16);
                if (!ok || m_pos + 6 > m_text.size())
                    return error(m_pos, std::min<qsizetype>(6, m_text.size() - m_pos),
                                 QStringLiteral("expected four hex digits after \\u"));
                if (code == 0)
                    return nul(m_pos, 6);
                t.text += QChar(char16_t(code));
                t.sourceOf.push_back(escapeAt);
                m_pos += 6;
                continue;
            }
            default: // kept as written, backslash included
                t.text += u'\\';
                t.sourceOf.push_back(m_pos++);
                continue;
            }
            t.sourceOf.push_back(escapeAt);
            m_pos += 2;
        }
        // A \u escape may have left half of a surrogate pair.
        for (qsizetype i = 0; i < t.text.size(); ++i) {
            const QChar c = t.text[i];
            if (c.isHighSurrogate() && i + 1 < t.text.size() && t.text[i + 1].isLowSurrogate()) {
                ++i;
                continue;
            }
            if (c.isSurrogate())
                return error(t.sourceOf[size_t(i)], 1,
                             QStringLiteral("half of a UTF-16 surrogate pair: write the "
                                            "character itself, or both halves as \\uXXXX"));
        }
        t.len = m_pos - start;
        return t;
    }

    QStringView m_text;
    qsizetype m_pos = 0;
};

// ---------------------------------------------------------------------------------------------
// Syntax tree

struct SyntaxValue
{
    enum class Kind { String, Number, Duration, Word, Now };
    Kind kind = Kind::String;
    qsizetype pos = 0;
    qsizetype len = 0;
    Token token;           // the literal or word
    bool negative = false; // a '-' before a number or duration
    int64_t nowOffsetMs = 0;
};

struct SyntaxItem
{
    SyntaxValue from;
    std::optional<SyntaxValue> to;
};

struct Syntax
{
    enum class Kind { Or, And, Not, Has, Test, Compare };
    enum class Relation { Compare, In, Contains, Matches, Search };

    Kind kind = Kind::Test;
    qsizetype pos = 0;
    qsizetype len = 0;
    std::vector<Syntax> children;
    Token field;
    Relation relation = Relation::Compare;
    Token op;             // the operator as written
    bool negated = false; // `not in`
    SyntaxValue value;
    std::vector<SyntaxItem> set;
};

const QString &relationHint()
{
    static const QString hint = QStringLiteral("==, !=, <, <=, >, >=, in, contains, matches or ~");
    return hint;
}

class Parser
{
public:
    explicit Parser(std::vector<Token> tokens)
        : m_tokens(std::move(tokens))
    {}

    // An empty filter is nullopt.
    std::expected<std::optional<Syntax>, FilterDiagnostic> parse()
    {
        if (peek().kind == Tok::End)
            return std::optional<Syntax>();
        auto tree = orExpr(0);
        if (!tree)
            return std::unexpected(tree.error());
        const Token &t = peek();
        if (t.kind != Tok::End) {
            if (t.kind == Tok::RParen)
                return std::unexpected(diagnostic(t.pos, t.len,
                                                  QStringLiteral("unexpected ')': there is no '(' "
                                                                 "to close")));
            if (auto bad = lexical(t))
                return std::unexpected(*bad);
            return std::unexpected(
                diagnostic(t.pos, t.len,
                           QStringLiteral("expected 'and', 'or' or the end of the filter, found %1")
                               .arg(describe(t))));
        }
        return std::optional<Syntax>(std::move(*tree));
    }

private:
    using Parsed = std::expected<Syntax, FilterDiagnostic>;

    const Token &peek(size_t ahead = 0) const
    {
        return m_tokens[std::min(m_next + ahead, m_tokens.size() - 1)];
    }
    const Token &take() { return m_tokens[std::min(m_next++, m_tokens.size() - 1)]; }

    static std::optional<FilterDiagnostic> lexical(const Token &t)
    {
        if (t.kind == Tok::Error)
            return diagnostic(t.errorPos, t.errorLen, t.text);
        return std::nullopt;
    }

    QString describe(const Token &t) const
    {
        switch (t.kind) {
        case Tok::End:
            return QStringLiteral("the end of the filter");
        case Tok::String:
            return QStringLiteral("the text \"%1\"").arg(t.text.left(40));
        default:
            return quote(spelling(t));
        }
    }
    QString spelling(const Token &t) const
    {
        if (t.kind == Tok::Name)
            return t.text;
        if (t.kind == Tok::Compare)
            return t.spelled;
        static const std::map<Tok, QString> spellings = {
            {Tok::LParen, QStringLiteral("(")},  {Tok::RParen, QStringLiteral(")")},
            {Tok::LBrace, QStringLiteral("{")},  {Tok::RBrace, QStringLiteral("}")},
            {Tok::Comma, QStringLiteral(",")},   {Tok::DotDot, QStringLiteral("..")},
            {Tok::Tilde, QStringLiteral("~")},   {Tok::Bang, QStringLiteral("!")},
            {Tok::AndAnd, QStringLiteral("&&")}, {Tok::OrOr, QStringLiteral("||")},
            {Tok::Minus, QStringLiteral("-")},   {Tok::Plus, QStringLiteral("+")}};
        if (auto it = spellings.find(t.kind); it != spellings.end())
            return it->second;
        if (t.kind == Tok::Number)
            return t.integer ? QString::number(t.integerValue) : QString::number(t.realValue);
        if (t.kind == Tok::Duration)
            return QStringLiteral("a duration");
        return QStringLiteral("?");
    }

    FilterDiagnostic expected(const Token &t, const QString &what) const
    {
        if (auto bad = lexical(t))
            return *bad;
        return diagnostic(t.pos, t.len,
                          QStringLiteral("expected %1, found %2").arg(what, describe(t)));
    }

    static Syntax span(Syntax node, qsizetype from, qsizetype to)
    {
        node.pos = from;
        node.len = to - from;
        return node;
    }

    bool isOr(const Token &t) const { return t.kind == Tok::OrOr || isWord(t, "or"); }
    bool isAnd(const Token &t) const { return t.kind == Tok::AndAnd || isWord(t, "and"); }

    Parsed orExpr(int depth)
    {
        auto first = andExpr(depth);
        if (!first || !isOr(peek()))
            return first;
        Syntax node;
        node.kind = Syntax::Kind::Or;
        node.children.push_back(std::move(*first));
        while (isOr(peek())) {
            take();
            auto next = andExpr(depth);
            if (!next)
                return next;
            node.children.push_back(std::move(*next));
        }
        const auto &last = node.children.back();
        return span(std::move(node), node.children.front().pos, last.pos + last.len);
    }

    Parsed andExpr(int depth)
    {
        auto first = unary(depth);
        if (!first || !isAnd(peek()))
            return first;
        Syntax node;
        node.kind = Syntax::Kind::And;
        node.children.push_back(std::move(*first));
        while (isAnd(peek())) {
            take();
            auto next = unary(depth);
            if (!next)
                return next;
            node.children.push_back(std::move(*next));
        }
        const auto &last = node.children.back();
        return span(std::move(node), node.children.front().pos, last.pos + last.len);
    }

    std::optional<FilterDiagnostic> deeper(const Token &t, int depth) const
    {
        if (depth < MaxDepth)
            return std::nullopt;
        return diagnostic(t.pos, t.len,
                          QStringLiteral("the filter is nested too deeply (more than %1 levels "
                                         "of parentheses and 'not')")
                              .arg(MaxDepth));
    }

    Parsed unary(int depth)
    {
        const Token &t = peek();
        if (t.kind == Tok::Bang || isWord(t, "not")) {
            if (auto tooDeep = deeper(t, depth))
                return std::unexpected(*tooDeep);
            const qsizetype start = take().pos;
            auto child = unary(depth + 1);
            if (!child)
                return child;
            Syntax node;
            node.kind = Syntax::Kind::Not;
            const qsizetype end = child->pos + child->len;
            node.children.push_back(std::move(*child));
            return span(std::move(node), start, end);
        }
        return primary(depth);
    }

    Parsed primary(int depth)
    {
        const Token &t = peek();
        if (t.kind == Tok::LParen) {
            if (auto tooDeep = deeper(t, depth))
                return std::unexpected(*tooDeep);
            const Token open = take();
            if (peek().kind == Tok::RParen)
                return std::unexpected(
                    diagnostic(open.pos, peek().pos + 1 - open.pos,
                               QStringLiteral("empty parentheses: expected a condition inside")));
            auto inner = orExpr(depth + 1);
            if (!inner)
                return inner;
            if (peek().kind != Tok::RParen) {
                if (auto bad = lexical(peek()))
                    return std::unexpected(*bad);
                return std::unexpected(
                    diagnostic(peek().pos, peek().len,
                               QStringLiteral("expected ')' to close the '(' at %1, found %2")
                                   .arg(open.pos)
                                   .arg(describe(peek()))));
            }
            const Token close = take();
            return span(std::move(*inner), open.pos, close.pos + 1);
        }
        if (isWord(t, "has")) {
            const Token has = take();
            const Token &field = peek();
            if (field.kind != Tok::Name || isKeyword(field))
                return std::unexpected(expected(field, QStringLiteral("a field name after 'has'")));
            Syntax node;
            node.kind = Syntax::Kind::Has;
            node.field = take();
            return span(std::move(node), has.pos, node.field.pos + node.field.len);
        }
        if (t.kind != Tok::Name || isKeyword(t)) {
            QString what = QStringLiteral("a field name, 'not', 'has' or '('");
            if (t.kind == Tok::String || t.kind == Tok::Number)
                what += QStringLiteral(" (a condition starts with the field, as in "
                                       "user_id == \"u-17\")");
            return std::unexpected(expected(t, what));
        }
        Syntax node;
        node.field = take();
        return relation(std::move(node));
    }

    Parsed relation(Syntax node)
    {
        const Token &t = peek();
        const qsizetype start = node.field.pos;
        if (t.kind == Tok::Compare || isWord(t, "eq") || isWord(t, "ne") || isWord(t, "lt") ||
            isWord(t, "le") || isWord(t, "gt") || isWord(t, "ge")) {
            node.kind = Syntax::Kind::Compare;
            node.relation = Syntax::Relation::Compare;
            node.op = take();
            if (node.op.kind == Tok::Name) {
                static const std::map<QString, FilterOp> words = {
                    {QStringLiteral("eq"), FilterOp::Equal},
                    {QStringLiteral("ne"), FilterOp::NotEqual},
                    {QStringLiteral("lt"), FilterOp::Less},
                    {QStringLiteral("le"), FilterOp::LessEqual},
                    {QStringLiteral("gt"), FilterOp::Greater},
                    {QStringLiteral("ge"), FilterOp::GreaterEqual}};
                node.op.op = words.at(node.op.text.toLower());
                node.op.spelled = node.op.text;
            }
            auto v = value(node.op);
            if (!v)
                return std::unexpected(v.error());
            node.value = std::move(*v);
            return span(std::move(node), start, node.value.pos + node.value.len);
        }
        if (isWord(t, "in") || (isWord(t, "not") && isWord(peek(1), "in"))) {
            node.kind = Syntax::Kind::Compare;
            node.relation = Syntax::Relation::In;
            node.negated = isWord(t, "not");
            if (node.negated)
                take();
            node.op = take();
            node.op.spelled = node.negated ? QStringLiteral("not in") : QStringLiteral("in");
            auto end = set(node);
            if (!end)
                return std::unexpected(end.error());
            return span(std::move(node), start, *end);
        }
        if (isWord(t, "contains") || isWord(t, "matches") || t.kind == Tok::Tilde) {
            node.kind = Syntax::Kind::Compare;
            node.relation = t.kind == Tok::Tilde    ? Syntax::Relation::Search
                            : isWord(t, "contains") ? Syntax::Relation::Contains
                                                    : Syntax::Relation::Matches;
            node.op = take();
            node.op.spelled = node.op.kind == Tok::Tilde ? QStringLiteral("~") : node.op.text;
            const Token &text = peek();
            if (text.kind != Tok::String)
                return std::unexpected(expected(
                    text,
                    node.relation == Syntax::Relation::Matches
                        ? QStringLiteral("a regular expression in quotes after 'matches'")
                        : QStringLiteral("text in quotes after %1").arg(quote(node.op.spelled))));
            node.value.kind = SyntaxValue::Kind::String;
            node.value.token = take();
            node.value.pos = node.value.token.pos;
            node.value.len = node.value.token.len;
            return span(std::move(node), start, node.value.pos + node.value.len);
        }
        // A field alone: a test of a true/false field. What follows must end the condition.
        if (t.kind == Tok::End || t.kind == Tok::RParen || isAnd(t) || isOr(t)) {
            node.kind = Syntax::Kind::Test;
            return span(std::move(node), start, node.field.pos + node.field.len);
        }
        if (auto bad = lexical(t))
            return std::unexpected(*bad);
        return std::unexpected(diagnostic(
            t.pos, t.len,
            QStringLiteral("expected an operator after %1 (%2), or 'and', 'or', ')' or the end")
                .arg(quote(node.field.text), relationHint())));
    }

    std::expected<SyntaxValue, FilterDiagnostic> value(const Token &op)
    {
        const QString what =
            QStringLiteral("a value after %1 (text in quotes, a number, true/false, a name such "
                           "as confidential, or a time such as now - 24h)")
                .arg(quote(op.spelled));
        SyntaxValue v;
        const Token &t = peek();
        v.pos = t.pos;
        if (t.kind == Tok::Minus &&
            (peek(1).kind == Tok::Number || peek(1).kind == Tok::Duration) &&
            peek(1).pos == t.pos + 1) {
            take();
            v.negative = true;
        }
        const Token &literal = peek();
        switch (literal.kind) {
        case Tok::String:
            v.kind = SyntaxValue::Kind::String;
            break;
        case Tok::Number:
            v.kind = SyntaxValue::Kind::Number;
            break;
        case Tok::Duration:
            v.kind = SyntaxValue::Kind::Duration;
            break;
        case Tok::Name:
            if (isWord(literal, "now")) {
                v.kind = SyntaxValue::Kind::Now;
                v.token = take();
                if (peek().kind == Tok::Minus || peek().kind == Tok::Plus) {
                    const Token sign = take();
                    const Token &amount = peek();
                    if (amount.kind != Tok::Duration)
                        return std::unexpected(expected(
                            amount, QStringLiteral("a duration after 'now %1' (as in 24h, 7d or "
                                                   "1h30m)")
                                        .arg(QChar(sign.kind == Tok::Minus ? u'-' : u'+'))));
                    v.nowOffsetMs = sign.kind == Tok::Minus ? -amount.ms : amount.ms;
                    v.len = amount.pos + amount.len - v.pos;
                    take();
                } else {
                    v.len = v.token.len;
                }
                return v;
            }
            if (isKeyword(literal) && !isWord(literal, "true") && !isWord(literal, "false"))
                return std::unexpected(expected(literal, what));
            v.kind = SyntaxValue::Kind::Word;
            break;
        default:
            return std::unexpected(expected(literal, what));
        }
        v.token = take();
        v.len = v.token.pos + v.token.len - v.pos;
        return v;
    }

    // Returns where the set ends.
    std::expected<qsizetype, FilterDiagnostic> set(Syntax &node)
    {
        const Token &open = peek();
        if (open.kind != Tok::LBrace)
            return std::unexpected(expected(
                open, QStringLiteral("'{' after %1, as in model in {\"gpt-4o\" \"llama3\"}")
                          .arg(quote(node.op.spelled))));
        const Token brace = take();
        for (;;) {
            const Token &t = peek();
            if (t.kind == Tok::RBrace) {
                if (node.set.empty())
                    return std::unexpected(diagnostic(
                        brace.pos, t.pos + 1 - brace.pos,
                        QStringLiteral("an empty set: list at least one value between { and }")));
                return take().pos + 1;
            }
            if (t.kind == Tok::Comma && !node.set.empty()) {
                take();
                continue;
            }
            if (t.kind == Tok::End)
                return std::unexpected(diagnostic(
                    t.pos, 0,
                    QStringLiteral("expected '}' to close the '{' at %1").arg(brace.pos)));
            auto from = value(node.op);
            if (!from) {
                if (lexical(t))
                    return std::unexpected(from.error());
                return std::unexpected(expected(
                    t,
                    QStringLiteral("a value or '}' in the set that starts at %1").arg(brace.pos)));
            }
            SyntaxItem item{std::move(*from), std::nullopt};
            if (peek().kind == Tok::DotDot) {
                const Token dots = take();
                Token op = dots;
                op.spelled = QStringLiteral("..");
                auto to = value(op);
                if (!to)
                    return std::unexpected(to.error());
                item.to = std::move(*to);
            }
            node.set.push_back(std::move(item));
        }
    }

    std::vector<Token> m_tokens;
    size_t m_next = 0;
};

// ---------------------------------------------------------------------------------------------
// The fields: the log schema, common undeclared fields, aliases

struct SchemaNode
{
    FilterType type = FilterType::Any;
    bool declared = false;
    bool list = false;
    std::shared_ptr<SchemaNode> items;                         // list
    std::map<std::string, std::shared_ptr<SchemaNode>> fields; // object
    std::vector<std::string> order;                            // of the fields, as declared
    QStringList enumNames;
    QString description;
};

std::shared_ptr<SchemaNode> fromSchema(const nlohmann::json &schema)
{
    auto node = std::make_shared<SchemaNode>();
    node->description = QString::fromStdString(schema.value("description", std::string()));
    const auto type = schema.find("type");
    if (type == schema.end() || !type->is_string())
        return node; // several types, or none: Any
    const std::string name = type->get<std::string>();
    node->declared = true;
    if (name == "string") {
        node->type = FilterType::Text;
        if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
            node->type = FilterType::Enum;
            for (const auto &item : *e)
                node->enumNames << QString::fromStdString(item.get<std::string>());
        } else if (schema.value("format", std::string()) == "date-time") {
            node->type = FilterType::Time;
        }
    } else if (name == "integer") {
        node->type = FilterType::Integer;
    } else if (name == "number") {
        node->type = FilterType::Number;
    } else if (name == "boolean") {
        node->type = FilterType::Boolean;
    } else if (name == "array") {
        node->list = true;
        auto items = schema.find("items");
        node->items = items != schema.end() ? fromSchema(*items) : std::make_shared<SchemaNode>();
        node->type = node->items->list || node->items->type == FilterType::Object
                         ? FilterType::Object
                         : node->items->type;
    } else if (name == "object") {
        node->type = FilterType::Object;
        if (auto properties = schema.find("properties"); properties != schema.end())
            for (const auto &[key, value] : properties->items()) {
                node->fields[key] = fromSchema(value);
                node->order.push_back(key);
            }
    } else {
        node->declared = false;
    }
    return node;
}

// Fields the log schema leaves open but that loggers commonly write: their type is checked in
// the filter, but not guaranteed by import, so each record is checked when the filter runs.
struct Hint
{
    const char *path;
    FilterType type;
    const char *description;
};
constexpr Hint s_hints[] = {
    {"request.parameters.model", FilterType::Text, "Model requested"},
    {"request.parameters.temperature", FilterType::Number, "Sampling temperature"},
    {"request.parameters.top_p", FilterType::Number, "Nucleus sampling probability"},
    {"request.parameters.max_tokens", FilterType::Integer, "Token limit of the response"},
    {"request.parameters.seed", FilterType::Integer, "Sampling seed"},
    {"request.parameters.frequency_penalty", FilterType::Number, "Frequency penalty"},
    {"request.parameters.presence_penalty", FilterType::Number, "Presence penalty"},
    {"request.parameters.stream", FilterType::Boolean, "Streamed response"},
    {"metrics.cost_usd", FilterType::Number, "Cost of the call in US dollars"},
    {"security.token_inspection_result.blocked", FilterType::Boolean,
     "The token inspection blocked the request"},
    {"security.token_inspection_result.injection_score", FilterType::Number,
     "Prompt-injection score of the token inspection"},
    {"security.token_inspection_result.pii_types", FilterType::Text,
     "Kinds of personal data the token inspection found"},
};

struct Alias
{
    const char *name;
    const char *target;
};
constexpr Alias s_aliases[] = {
    {"id", "interaction_id"},
    {"time", "timestamp"},
    {"ts", "timestamp"},
    {"user", "user_id"},
    {"session", "session_id"},
    {"prompt", "request.prompt"},
    {"system_prompt", "request.system_prompt"},
    {"system", "request.system_prompt"},
    {"context", "request.context"},
    {"messages", "request.messages"},
    {"parameters", "request.parameters"},
    {"params", "request.parameters"},
    {"temperature", "request.parameters.temperature"},
    {"top_p", "request.parameters.top_p"},
    {"max_tokens", "request.parameters.max_tokens"},
    {"response", "response.content"},
    {"finish_reason", "response.finish_reason"},
    {"completion_tokens", "response.completion_tokens"},
    {"prompt_tokens", "metrics.prompt_tokens"},
    {"tokens", "metrics.total_tokens"},
    {"total_tokens", "metrics.total_tokens"},
    {"latency", "metrics.latency_ms"},
    {"latency_ms", "metrics.latency_ms"},
    {"cost", "metrics.cost_usd"},
    {"flag_reason", "evaluation.flag_reason"},
    {"relevance", "evaluation.relevance_score"},
    {"relevance_score", "evaluation.relevance_score"},
    {"quality", "evaluation.quality_score"},
    {"quality_score", "evaluation.quality_score"},
    {"security_score", "evaluation.security_score"},
    {"sensitivity", "security.sensitivity_level"},
    {"yara", "security.yara_matches"},
    {"yara_matches", "security.yara_matches"},
    {"entropy", "security.prompt_entropy"},
    {"prompt_entropy", "security.prompt_entropy"},
};

// The columns of the full-text index and the fields they hold.
unsigned fullTextColumnsOf(const std::string &path)
{
    if (path == "request.prompt")
        return FullTextPrompt;
    if (path == "request.system_prompt")
        return FullTextSystemPrompt;
    if (path == "request.context" || path == "request.context.content")
        return FullTextContext;
    if (path == "response.content")
        return FullTextResponse;
    return 0;
}

// Fields the store keeps beside the documents or derives from them.
struct DerivedField
{
    const char *name;
    FilterField::Derived derived;
    FilterType type;
    const char *description;
};
constexpr DerivedField s_derived[] = {
    {"model", FilterField::Derived::Model, FilterType::Text,
     "The model that answered: response.model, else request.parameters.model"},
    {"flagged", FilterField::Derived::Flagged, FilterType::Boolean,
     "Flagged in the log (evaluation.flagged) or by a reviewer (review.flagged)"},
    {"review", FilterField::Derived::ReviewStatus, FilterType::Enum,
     "Review status: unreviewed, approved, issue, escalated"},
    {"review.flagged", FilterField::Derived::ReviewFlagged, FilterType::Boolean,
     "Flagged by a reviewer"},
    {"review.flag_reason", FilterField::Derived::ReviewFlagReason, FilterType::Text,
     "Why a reviewer flagged it"},
    {"note", FilterField::Derived::Note, FilterType::Text,
     "The text of a reviewer's note (has note: it has one)"},
    {"held", FilterField::Derived::Held, FilterType::Boolean,
     "On legal hold: never purged by retention (llmaudit hold)"},
};
const char *const s_reviewStatuses[] = {"unreviewed", "approved", "issue", "escalated"};

struct Catalogue
{
    std::shared_ptr<SchemaNode> root;
    std::map<std::string, std::string> aliases; // name -> target path
    std::map<std::string, const Hint *> hints;  // path -> hint
    std::vector<FilterFieldInfo> fields;
    QStringList names; // every name a field can be written as, for suggestions
};

// `insideList`: the fields are those of the items of a list (each record has several values).
void listFields(Catalogue &c, const SchemaNode &node, const std::string &path, bool insideList)
{
    for (const auto &key : node.order) {
        const SchemaNode &child = *node.fields.at(key);
        const std::string childPath = path.empty() ? key : path + "." + key;
        FilterFieldInfo info;
        info.name = QString::fromStdString(childPath);
        info.type = child.type;
        info.list = (insideList || child.list) && child.type != FilterType::Object;
        info.declared = child.declared;
        info.fullText = fullTextColumnsOf(childPath) != 0;
        info.enumNames = child.enumNames;
        info.description = child.description;
        c.fields.push_back(info);
        const SchemaNode *inner = child.list ? child.items.get() : &child;
        if (inner && !inner->order.empty())
            listFields(c, *inner, childPath, insideList || child.list);
        // The common fields under an open object, after it.
        for (const Hint &hint : s_hints) {
            const std::string hintPath = hint.path;
            if (hintPath.rfind(childPath + ".", 0) == 0 &&
                hintPath.find('.', childPath.size() + 1) == std::string::npos &&
                !(inner && inner->fields.contains(hintPath.substr(childPath.size() + 1)))) {
                FilterFieldInfo h;
                h.name = QString::fromLatin1(hint.path);
                h.type = hint.type;
                h.list = hint.type == FilterType::Text && hintPath.ends_with("pii_types");
                h.description = QString::fromLatin1(hint.description) +
                                QStringLiteral(" (common; not declared by the log schema)");
                c.fields.push_back(h);
            }
        }
    }
}

const Catalogue &catalogue()
{
    static const Catalogue c = [] {
        Catalogue c;
        c.root = fromSchema(LogSchema::v1().document());
        for (const Hint &hint : s_hints)
            c.hints[hint.path] = &hint;
        FilterFieldInfo text;
        text.name = QStringLiteral("text");
        text.type = FilterType::Text;
        text.fullText = true;
        text.declared = true;
        text.description = QStringLiteral("Full-text search (~ only) over the prompt, system "
                                          "prompt, context documents and response");
        c.fields.push_back(text);
        for (const DerivedField &d : s_derived) {
            FilterFieldInfo info;
            info.name = QString::fromLatin1(d.name);
            info.type = d.type;
            info.declared = true;
            info.list = d.derived == FilterField::Derived::Note;
            info.description = QString::fromLatin1(d.description);
            if (d.derived == FilterField::Derived::ReviewStatus)
                for (const char *status : s_reviewStatuses)
                    info.enumNames << QString::fromLatin1(status);
            if (d.derived == FilterField::Derived::ReviewStatus)
                info.aliases << QStringLiteral("review.status");
            if (d.derived == FilterField::Derived::Note)
                info.aliases << QStringLiteral("notes");
            c.fields.push_back(info);
        }
        listFields(c, *c.root, {}, false);
        for (const Alias &alias : s_aliases) {
            c.aliases[alias.name] = alias.target;
            for (auto &field : c.fields)
                if (field.name == QLatin1StringView(alias.target))
                    field.aliases << QString::fromLatin1(alias.name);
        }
        for (const auto &field : c.fields) {
            c.names << field.name;
            c.names << field.aliases;
        }
        return c;
    }();
    return c;
}

// Edit distance, for "did you mean". Qt has none, and the names are short.
int editDistance(QStringView a, QStringView b)
{
    std::vector<int> row(size_t(b.size()) + 1);
    for (size_t j = 0; j < row.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int above = row[size_t(j)];
            const bool same = a[i - 1].toCaseFolded() == b[j - 1].toCaseFolded();
            row[size_t(j)] =
                std::min({above + 1, row[size_t(j - 1)] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row.back();
}

std::optional<QString> closest(QStringView word, const QStringList &candidates)
{
    std::optional<QString> best;
    int bestDistance = std::max<int>(1, std::min<int>(3, int(word.size()) / 3)) + 1;
    for (const QString &candidate : candidates) {
        const int distance = editDistance(word, candidate);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = candidate;
        }
    }
    return best;
}

QString didYouMean(QStringView word, const QStringList &candidates)
{
    if (auto best = closest(word, candidates))
        return QStringLiteral(" (did you mean %1?)").arg(quote(*best));
    return {};
}

// ---------------------------------------------------------------------------------------------
// Checker: syntax tree to FilterExpr

struct Resolved
{
    FilterField field;
    QString name;              // the full name, for messages
    unsigned fullText = 0;     // the columns `~` searches
    bool textOnly = false;     // `text`: only `~`
    bool milliseconds = false; // a *_ms field: durations are allowed as values
    std::optional<FilterDiagnostic> warning;
};

QString typeDescription(const Resolved &r)
{
    if (r.field.type == FilterType::Object)
        return QStringLiteral("an object or a list of objects");
    QString type = filterTypeName(r.field.type);
    if (r.field.many)
        return QStringLiteral("a list of %1 values").arg(type);
    switch (r.field.type) {
    case FilterType::Integer:
        return QStringLiteral("an integer");
    case FilterType::Number:
        return QStringLiteral("a number");
    case FilterType::Enum:
        return QStringLiteral("one of %1")
            .arg(r.field.enumNames.empty() ? QString()
                                           : QString::fromStdString(r.field.enumNames.front()) +
                                                 QStringLiteral(" < … < ") +
                                                 QString::fromStdString(r.field.enumNames.back()));
    case FilterType::Any:
        return QStringLiteral("not declared by the log schema");
    default:
        return type;
    }
}

class Checker
{
public:
    std::vector<FilterDiagnostic> warnings;

    std::expected<FilterNode, FilterDiagnostic> check(const Syntax &s)
    {
        switch (s.kind) {
        case Syntax::Kind::Or:
        case Syntax::Kind::And: {
            FilterNode node;
            node.kind = s.kind == Syntax::Kind::Or ? FilterNode::Kind::Or : FilterNode::Kind::And;
            for (const Syntax &child : s.children) {
                auto checked = check(child);
                if (!checked)
                    return checked;
                // (a or b) or c is a or b or c.
                if (checked->kind == node.kind)
                    for (auto &grandchild : checked->children)
                        node.children.push_back(std::move(grandchild));
                else
                    node.children.push_back(std::move(*checked));
            }
            return node;
        }
        case Syntax::Kind::Not: {
            auto checked = check(s.children.front());
            if (!checked)
                return checked;
            FilterNode node;
            node.kind = FilterNode::Kind::Not;
            node.children.push_back(std::move(*checked));
            return node;
        }
        case Syntax::Kind::Has: {
            auto r = resolve(s.field);
            if (!r)
                return std::unexpected(r.error());
            if (r->textOnly)
                return std::unexpected(diagnostic(
                    s.field.pos, s.field.len,
                    QStringLiteral("'has text' means nothing: text is the full-text search "
                                   "(text ~ \"words\"); write has prompt, has context, ...")));
            FilterNode node;
            node.kind = FilterNode::Kind::Exists;
            node.field = r->field;
            return node;
        }
        case Syntax::Kind::Test: {
            auto r = resolve(s.field);
            if (!r)
                return std::unexpected(r.error());
            if (r->textOnly)
                return std::unexpected(diagnostic(
                    s.field.pos, s.field.len,
                    QStringLiteral("text is the full-text search: write text ~ \"words\"")));
            if (r->field.type != FilterType::Boolean && r->field.type != FilterType::Any)
                return std::unexpected(diagnostic(
                    s.field.pos, s.field.len,
                    QStringLiteral("%1 is %2, not true/false: a field alone tests a true/false "
                                   "field; to test whether it is there, write has %3")
                        .arg(quote(s.field.text), typeDescription(*r), s.field.text)));
            FilterNode node;
            node.kind = FilterNode::Kind::Compare;
            node.field = r->field;
            node.op = FilterOp::Equal;
            node.value = true;
            return node;
        }
        case Syntax::Kind::Compare:
            return compare(s);
        }
        return std::unexpected(diagnostic(s.pos, s.len, QStringLiteral("internal error")));
    }

private:
    std::expected<Resolved, FilterDiagnostic> resolve(const Token &t)
    {
        const Catalogue &c = catalogue();
        const std::string written = t.text.toStdString();
        auto unknown = [&](const QString &why) {
            return std::unexpected(diagnostic(t.pos, t.len, why));
        };
        Resolved r;
        if (written == "text") {
            r.textOnly = true;
            r.fullText = FullTextAll;
            r.name = QStringLiteral("text");
            r.field.type = FilterType::Text;
            return r;
        }
        const std::string derivedName = written == "review.status" ? std::string("review")
                                        : written == "notes"       ? std::string("note")
                                                                   : written;
        for (const DerivedField &d : s_derived) {
            if (derivedName != d.name)
                continue;
            r.name = QString::fromLatin1(d.name);
            r.field.derived = d.derived;
            r.field.type = d.type;
            r.field.declared = true;
            r.field.many = d.derived == FilterField::Derived::Note;
            if (d.derived == FilterField::Derived::ReviewStatus)
                for (const char *status : s_reviewStatuses)
                    r.field.enumNames.emplace_back(status);
            return r;
        }
        std::string path = written;
        if (auto alias = c.aliases.find(written); alias != c.aliases.end()) {
            path = alias->second;
        } else if (auto dot = written.find('.'); dot != std::string::npos) {
            const std::string head = written.substr(0, dot);
            auto prefix = c.aliases.find(head);
            if (prefix != c.aliases.end() && !c.root->fields.contains(head))
                path = prefix->second + written.substr(dot);
        }
        std::vector<std::string> keys;
        for (qsizetype from = 0;;) {
            const auto dot = path.find('.', size_t(from));
            keys.push_back(path.substr(
                size_t(from), dot == std::string::npos ? std::string::npos : dot - size_t(from)));
            if (dot == std::string::npos)
                break;
            from = qsizetype(dot + 1);
        }
        r.name = QString::fromStdString(path);
        r.fullText = fullTextColumnsOf(path);
        r.milliseconds = path.ends_with("_ms");

        const SchemaNode *node = c.root.get();
        std::string walked;
        for (size_t i = 0; i < keys.size(); ++i) {
            const std::string &key = keys[i];
            if (node->list) {
                r.field.path.push_back("[]");
                node = node->items.get();
            }
            if (node->type != FilterType::Object) {
                return unknown(QStringLiteral("%1 is %2: it has no field %3")
                                   .arg(quote(QString::fromStdString(walked)),
                                        filterTypeName(node->type),
                                        quote(QString::fromStdString(key))));
            }
            auto child = node->fields.find(key);
            if (child != node->fields.end()) {
                r.field.path.push_back(key);
                walked += (walked.empty() ? "" : ".") + key;
                node = child->second.get();
                continue;
            }
            if (i == 0)
                return unknown(QStringLiteral("unknown field %1%2")
                                   .arg(quote(t.text), didYouMean(t.text, c.names)));
            // Not declared: the log format allows more fields than it declares. Compared
            // where present, by the type of the value.
            for (size_t j = i; j < keys.size(); ++j)
                r.field.path.push_back(keys[j]);
            r.field.type = FilterType::Any;
            r.field.declared = false;
            if (auto hint = c.hints.find(path); hint != c.hints.end()) {
                r.field.type = hint->second->type;
            } else if (!node->fields.empty()) {
                QStringList siblings;
                for (const auto &key : node->order)
                    siblings << QString::fromStdString(walked + "." + key);
                for (const Hint &h : s_hints)
                    if (std::string(h.path).rfind(walked + ".", 0) == 0)
                        siblings << QString::fromLatin1(h.path);
                const QString full = QString::fromStdString(path);
                if (auto best = closest(full, siblings))
                    r.warning = diagnostic(
                        t.pos, t.len,
                        QStringLiteral("%1 is not a field of the log schema (did you mean %2?); "
                                       "it is compared where a record has it")
                            .arg(quote(full), quote(*best)));
            }
            return r;
        }
        r.field.declared = node->declared;
        r.field.type = node->type;
        if (node->list) {
            if (node->type != FilterType::Object) {
                r.field.many = true;
                r.field.declared = node->items->declared;
            }
        }
        for (const QString &name : node->enumNames)
            r.field.enumNames.push_back(name.toStdString());
        return r;
    }

    std::expected<FilterNode, FilterDiagnostic> compare(const Syntax &s)
    {
        auto resolved = resolve(s.field);
        if (!resolved)
            return std::unexpected(resolved.error());
        Resolved &r = *resolved;
        if (r.warning)
            warnings.push_back(*r.warning);
        const QString fieldName = quote(s.field.text);
        auto bad = [](const auto &at, QString message) {
            return std::unexpected(diagnostic(at.pos, at.len, std::move(message)));
        };

        if (s.relation == Syntax::Relation::Search) {
            if (!r.fullText)
                return bad(s.op, QStringLiteral("~ is the full-text search, and %1 is not in the "
                                                "full-text index (text, prompt, system_prompt, "
                                                "context, response are); use contains or matches")
                                     .arg(fieldName));
            const QString &phrase = s.value.token.text;
            if (!std::ranges::any_of(phrase, [](QChar c) { return c.isLetterOrNumber(); }))
                return bad(s.value, QStringLiteral("nothing to search for: the text has no "
                                                   "letters or digits"));
            FilterNode node;
            node.kind = FilterNode::Kind::FullText;
            node.phrase = phrase.toStdString();
            node.columns = r.fullText;
            return node;
        }
        if (r.textOnly)
            return bad(s.op, QStringLiteral("text is the full-text search: write text ~ \"words\" "
                                            "(or prompt contains \"...\" for a substring)"));
        if (r.field.type == FilterType::Object)
            return bad(s.op,
                       QStringLiteral("%1 is %2: compare one of its fields%3, test it with "
                                      "has%4")
                           .arg(fieldName, typeDescription(r),
                                r.name == u"request.context"
                                    ? QStringLiteral(" (context.source, context.content)")
                                    : QString(),
                                r.fullText ? QStringLiteral(", or search it with ~") : QString()));

        FilterNode node;
        node.kind = FilterNode::Kind::Compare;
        node.field = r.field;

        if (s.relation == Syntax::Relation::Contains || s.relation == Syntax::Relation::Matches) {
            const bool matches = s.relation == Syntax::Relation::Matches;
            if (r.field.type != FilterType::Text && r.field.type != FilterType::Any)
                return bad(s.op, QStringLiteral("%1 applies to text, and %2 is %3")
                                     .arg(quote(s.op.spelled), fieldName, typeDescription(r)));
            node.op = matches ? FilterOp::Matches : FilterOp::Contains;
            const Token &literal = s.value.token;
            if (matches) {
                const QRegularExpression regex = filterRegex(literal.text);
                if (!regex.isValid()) {
                    const qsizetype at =
                        std::clamp<qsizetype>(regex.patternErrorOffset(), 0, literal.text.size());
                    const qsizetype where =
                        literal.sourceOf.empty() ? literal.pos : literal.sourceOf[size_t(at)];
                    return std::unexpected(diagnostic(
                        where, at < literal.text.size() ? 1 : 0,
                        QStringLiteral("invalid regular expression: %1").arg(regex.errorString())));
                }
            }
            node.value = literal.text.toStdString();
            return node;
        }

        const FilterOp op = s.relation == Syntax::Relation::In ? FilterOp::In : s.op.op;
        node.op = op;
        const bool ordering = op == FilterOp::Less || op == FilterOp::LessEqual ||
                              op == FilterOp::Greater || op == FilterOp::GreaterEqual;
        if (r.field.type == FilterType::Boolean && ordering)
            return bad(s.op, QStringLiteral("%1 does not apply to %2, which is true or false: "
                                            "use == or !=")
                                 .arg(quote(s.op.spelled), fieldName));
        if (op == FilterOp::In) {
            for (const SyntaxItem &item : s.set) {
                auto from = value(r, item.from, s.op);
                if (!from)
                    return std::unexpected(from.error());
                FilterSetItem member{std::move(*from), std::nullopt};
                if (item.to) {
                    const bool ordered =
                        r.field.type == FilterType::Integer || r.field.type == FilterType::Number ||
                        r.field.type == FilterType::Time || r.field.type == FilterType::Enum ||
                        (r.field.type == FilterType::Any &&
                         (item.from.kind == SyntaxValue::Kind::Number ||
                          item.from.kind == SyntaxValue::Kind::Duration));
                    if (!ordered)
                        return bad(*item.to, QStringLiteral("a range (..) needs numbers, times "
                                                            "or ordered names; %1 is %2")
                                                 .arg(fieldName, typeDescription(r)));
                    auto to = value(r, *item.to, s.op);
                    if (!to)
                        return std::unexpected(to.error());
                    if (auto empty = emptyRange(member.from, *to))
                        return bad(*item.to, *empty);
                    member.to = std::move(*to);
                }
                node.set.push_back(std::move(member));
            }
        } else {
            auto v = value(r, s.value, s.op);
            if (!v)
                return std::unexpected(v.error());
            node.value = std::move(*v);
        }
        if (!s.negated)
            return node;
        FilterNode negation;
        negation.kind = FilterNode::Kind::Not;
        negation.children.push_back(std::move(node));
        return negation;
    }

    static std::optional<QString> emptyRange(const FilterValue &from, const FilterValue &to)
    {
        auto number = [](const FilterValue &v) -> std::optional<double> {
            if (const auto *i = std::get_if<int64_t>(&v))
                return double(*i);
            if (const auto *d = std::get_if<double>(&v))
                return *d;
            if (const auto *e = std::get_if<FilterEnumItem>(&v))
                return double(e->index);
            if (const auto *t = std::get_if<FilterTime>(&v))
                return t->relativeToNow ? std::nullopt : std::optional<double>(double(t->fromMs));
            return std::nullopt;
        };
        const auto a = number(from);
        const auto b = number(to);
        if (a && b && *b < *a)
            return QStringLiteral("an empty range: the end comes before the start");
        if (std::holds_alternative<FilterTime>(from) != std::holds_alternative<FilterTime>(to))
            return QStringLiteral("a range needs two values of the same kind");
        return std::nullopt;
    }

    static std::optional<FilterTime> parseTime(const QString &text)
    {
        static const QRegularExpression pattern(QStringLiteral(
            R"(^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)"
            R"((?:([Zz])|([+-])(\d{2}):(\d{2}))?)?$)"));
        const auto m = pattern.match(text);
        if (!m.hasMatch())
            return std::nullopt;
        const QDate date(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt());
        if (!date.isValid())
            return std::nullopt;
        int64_t ms = (date.toJulianDay() - QDate(1970, 1, 1).toJulianDay()) * 86'400'000;
        int64_t span = 86'400'000;
        if (m.hasCaptured(4)) {
            const int hour = m.captured(4).toInt();
            const int minute = m.captured(5).toInt();
            if (hour > 23 || minute > 59)
                return std::nullopt;
            ms += hour * 3'600'000LL + minute * 60'000LL;
            span = 60'000;
            if (m.hasCaptured(6)) {
                const int second = m.captured(6).toInt();
                if (second > 59)
                    return std::nullopt;
                ms += second * 1000LL;
                span = 1000;
                if (m.hasCaptured(7)) {
                    ms += m.captured(7).left(3).leftJustified(3, u'0').toInt();
                    span = 1;
                }
            }
            if (m.hasCaptured(9)) {
                const int hours = m.captured(10).toInt();
                const int minutes = m.captured(11).toInt();
                if (hours > 23 || minutes > 59)
                    return std::nullopt;
                const int64_t offset = (hours * 60LL + minutes) * 60'000;
                ms += m.captured(9) == u"+" ? -offset : offset;
            }
        }
        return FilterTime{ms, ms + span, false};
    }

    std::expected<FilterValue, FilterDiagnostic> value(const Resolved &r, const SyntaxValue &v,
                                                       const Token &op)
    {
        auto bad = [&](QString message) {
            return std::unexpected(diagnostic(v.pos, v.len, std::move(message)));
        };
        const QString field = quote(r.name);
        const Token &t = v.token;
        const bool word = v.kind == SyntaxValue::Kind::Word;
        const bool boolean = word && (isWord(t, "true") || isWord(t, "false"));
        auto number = [&]() -> FilterValue {
            if (v.kind == SyntaxValue::Kind::Duration)
                return int64_t(v.negative ? -t.ms : t.ms);
            if (t.integer && !(v.negative && t.integerValue == std::numeric_limits<int64_t>::min()))
                return int64_t(v.negative ? -t.integerValue : t.integerValue);
            return v.negative ? -t.realValue : t.realValue;
        };
        auto wordHint = [&]() {
            const bool isField = catalogue().names.contains(t.text);
            if (isField)
                return bad(QStringLiteral("comparing two fields is not supported; to compare "
                                          "with the text %1, write \"%1\"")
                               .arg(t.text));
            return bad(QStringLiteral("%1 is %2: write the value in quotes, \"%3\"")
                           .arg(field, typeDescription(r), t.text));
        };
        auto durationNotAllowed = [&]() {
            return bad(QStringLiteral("%1 is not a time in milliseconds: write a plain number "
                                      "(durations such as 2s apply to *_ms fields)")
                           .arg(field));
        };
        switch (r.field.type) {
        case FilterType::Text:
            if (v.kind == SyntaxValue::Kind::String)
                return t.text.toStdString();
            if (word && !boolean)
                return wordHint();
            return bad(QStringLiteral("%1 is text: write the value in quotes, as in %2 \"%3\"")
                           .arg(field, op.spelled, t.raw));
        case FilterType::Integer:
        case FilterType::Number:
            if (v.kind == SyntaxValue::Kind::Number)
                return number();
            if (v.kind == SyntaxValue::Kind::Duration)
                return r.milliseconds ? std::expected<FilterValue, FilterDiagnostic>(number())
                                      : durationNotAllowed();
            if (v.kind == SyntaxValue::Kind::String) {
                bool isNumber = false;
                t.text.toDouble(&isNumber);
                return bad(QStringLiteral("%1 is %2: expected a number%3")
                               .arg(field, typeDescription(r),
                                    isNumber ? QStringLiteral(" without quotes") : QString()));
            }
            return bad(
                QStringLiteral("%1 is %2: expected a number").arg(field, typeDescription(r)));
        case FilterType::Boolean:
            if (boolean)
                return isWord(t, "true");
            return bad(QStringLiteral("%1 is true or false: expected true or false").arg(field));
        case FilterType::Time: {
            if (v.kind == SyntaxValue::Kind::Now)
                return FilterTime{v.nowOffsetMs, v.nowOffsetMs + 1, true};
            if (v.kind == SyntaxValue::Kind::String) {
                if (auto time = parseTime(t.text))
                    return *time;
                return bad(QStringLiteral("not a date or time: write 2026-01-05, "
                                          "2026-01-05T10:00, or RFC 3339 as in "
                                          "2026-01-05T10:00:00.000Z (UTC unless an offset is "
                                          "given)"));
            }
            if (v.kind == SyntaxValue::Kind::Duration)
                return bad(QStringLiteral("a duration is not a time: write now - %1").arg(t.raw));
            return bad(QStringLiteral("%1 is a time: write it in quotes, as in \"2026-01-05\", "
                                      "or relative to now, as in now - 24h")
                           .arg(field));
        }
        case FilterType::Enum: {
            if (v.kind == SyntaxValue::Kind::String || (word && !boolean)) {
                for (size_t i = 0; i < r.field.enumNames.size(); ++i)
                    if (t.text.compare(QString::fromStdString(r.field.enumNames[i]),
                                       Qt::CaseInsensitive) == 0)
                        return FilterEnumItem{int(i)};
            }
            QStringList names;
            for (const auto &n : r.field.enumNames)
                names << QString::fromStdString(n);
            const QString which = v.kind == SyntaxValue::Kind::String || word
                                      ? QStringLiteral("unknown %1 %2").arg(r.name, quote(t.text))
                                      : QStringLiteral("%1 takes a name").arg(field);
            return bad(QStringLiteral("%1%2: expected one of %3")
                           .arg(which,
                                v.kind == SyntaxValue::Kind::String || word
                                    ? didYouMean(t.text, names)
                                    : QString(),
                                names.join(QStringLiteral(", "))));
        }
        case FilterType::Any:
            switch (v.kind) {
            case SyntaxValue::Kind::String:
                return t.text.toStdString();
            case SyntaxValue::Kind::Number:
                return number();
            case SyntaxValue::Kind::Duration:
                return r.milliseconds ? std::expected<FilterValue, FilterDiagnostic>(number())
                                      : durationNotAllowed();
            case SyntaxValue::Kind::Word:
                if (boolean)
                    return isWord(t, "true");
                return wordHint();
            case SyntaxValue::Kind::Now:
                return bad(QStringLiteral("now - … applies to the timestamp only"));
            }
            break;
        case FilterType::Object:
            break;
        }
        return bad(QStringLiteral("%1 cannot be compared").arg(field));
    }
};

} // namespace

QString FilterDiagnostic::toString() const
{
    return QStringLiteral("at %1: %2").arg(offset).arg(message);
}

std::expected<CompiledFilter, FilterDiagnostic> compileFilter(QStringView text)
{
    if (text.size() > MaxLength)
        return std::unexpected(diagnostic(MaxLength, text.size() - MaxLength,
                                          QStringLiteral("the filter is too long (more than %1 "
                                                         "characters)")
                                              .arg(MaxLength)));
    Parser parser(Scanner(text).scan());
    auto tree = parser.parse();
    if (!tree)
        return std::unexpected(tree.error());
    CompiledFilter compiled;
    if (!*tree)
        return compiled;
    Checker checker;
    auto root = checker.check(**tree);
    if (!root)
        return std::unexpected(root.error());
    compiled.expr.root = std::move(*root);
    compiled.warnings = std::move(checker.warnings);
    return compiled;
}

FilterCheck checkFilter(QStringView text)
{
    FilterCheck check;
    auto compiled = compileFilter(text);
    if (!compiled)
        check.error = compiled.error();
    else
        check.warnings = std::move(compiled->warnings);
    return check;
}

const std::vector<FilterFieldInfo> &filterFields()
{
    return catalogue().fields;
}

QStringList filterOperators(const FilterFieldInfo &field)
{
    if (field.name == u"text")
        return {QStringLiteral("~")};
    const QStringList ordered = {QStringLiteral("=="), QStringLiteral("!="), QStringLiteral("<"),
                                 QStringLiteral("<="), QStringLiteral(">"),  QStringLiteral(">=")};
    QStringList ops;
    switch (field.type) {
    case FilterType::Text:
    case FilterType::Any:
        ops = ordered;
        ops << QStringLiteral("in") << QStringLiteral("not in") << QStringLiteral("contains")
            << QStringLiteral("matches");
        break;
    case FilterType::Integer:
    case FilterType::Number:
    case FilterType::Time:
    case FilterType::Enum:
        ops = ordered;
        ops << QStringLiteral("in") << QStringLiteral("not in");
        break;
    case FilterType::Boolean:
        ops = {QStringLiteral("=="), QStringLiteral("!=")};
        break;
    case FilterType::Object:
        break;
    }
    if (field.fullText)
        ops << QStringLiteral("~");
    ops << QStringLiteral("has");
    return ops;
}

QString filterTypeName(FilterType type)
{
    switch (type) {
    case FilterType::Text:
        return QStringLiteral("text");
    case FilterType::Integer:
        return QStringLiteral("integer");
    case FilterType::Number:
        return QStringLiteral("number");
    case FilterType::Boolean:
        return QStringLiteral("true/false");
    case FilterType::Time:
        return QStringLiteral("time");
    case FilterType::Enum:
        return QStringLiteral("name");
    case FilterType::Any:
        return QStringLiteral("any");
    case FilterType::Object:
        return QStringLiteral("object");
    }
    return {};
}

QStringList filterKeywords()
{
    QStringList words;
    for (const char *k : s_keywords)
        words << QString::fromLatin1(k);
    return words;
}

} // namespace llmaudit
