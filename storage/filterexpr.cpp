#include "filterexpr.h"

#include "logschema.h"

#include <charconv>
#include <cstdio>

namespace llmaudit {

namespace {

std::string quotedText(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char escape[8];
                std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
                out += escape;
            } else
                out += c;
        }
    }
    return out + "\"";
}

std::string duration(int64_t ms)
{
    struct Unit
    {
        int64_t ms;
        const char *name;
    };
    static constexpr Unit units[] = {{604'800'000, "w"}, {86'400'000, "d"}, {3'600'000, "h"},
                                     {60'000, "m"},      {1'000, "s"},      {1, "ms"}};
    for (const Unit &unit : units)
        if (ms % unit.ms == 0)
            return std::to_string(ms / unit.ms) + unit.name;
    return std::to_string(ms) + "ms";
}

std::string time(const FilterTime &t)
{
    if (t.relativeToNow) {
        if (t.fromMs == 0)
            return "now";
        return t.fromMs < 0 ? "now - " + duration(-t.fromMs) : "now + " + duration(t.fromMs);
    }
    std::string text = LogSchema::formatDateTime(t.fromMs); // 2026-01-05T10:00:00.000Z
    const int64_t span = t.untilMs - t.fromMs;
    if (span == 86'400'000 && text.substr(10) == "T00:00:00.000Z")
        return quotedText(text.substr(0, 10));
    if (span == 60'000 && text.substr(16) == ":00.000Z")
        return quotedText(text.substr(0, 16) + "Z");
    if (span == 1'000 && text.substr(19) == ".000Z")
        return quotedText(text.substr(0, 19) + "Z");
    return quotedText(text);
}

std::string value(const FilterValue &v, const FilterField &field)
{
    struct Visitor
    {
        const FilterField &field;
        std::string operator()(const std::string &s) const { return quotedText(s); }
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const
        {
            char buffer[64];
            const auto end = std::to_chars(buffer, buffer + sizeof buffer, d).ptr;
            std::string text(buffer, end);
            if (text.find_first_of(".einf") == std::string::npos)
                text += ".0";
            return text;
        }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(const FilterTime &t) const { return time(t); }
        std::string operator()(const FilterEnumItem &e) const
        {
            const auto index = static_cast<size_t>(e.index);
            return index < field.enumNames.size() ? field.enumNames[index]
                                                  : "<enum " + std::to_string(e.index) + ">";
        }
    };
    return std::visit(Visitor{field}, v);
}

const char *opText(FilterOp op)
{
    switch (op) {
    case FilterOp::Equal:
        return "==";
    case FilterOp::NotEqual:
        return "!=";
    case FilterOp::Less:
        return "<";
    case FilterOp::LessEqual:
        return "<=";
    case FilterOp::Greater:
        return ">";
    case FilterOp::GreaterEqual:
        return ">=";
    case FilterOp::Contains:
        return "contains";
    case FilterOp::Matches:
        return "matches";
    case FilterOp::In:
        return "in";
    }
    return "?";
}

std::string fullTextField(unsigned columns)
{
    switch (columns) {
    case FullTextPrompt:
        return "request.prompt";
    case FullTextSystemPrompt:
        return "request.system_prompt";
    case FullTextContext:
        return "request.context";
    case FullTextResponse:
        return "response.content";
    default:
        return "text";
    }
}

} // namespace

std::string FilterField::name() const
{
    switch (derived) {
    case Derived::None:
        break;
    case Derived::Model:
        return "model";
    case Derived::Flagged:
        return "flagged";
    case Derived::ReviewStatus:
        return "review";
    case Derived::ReviewFlagged:
        return "review.flagged";
    case Derived::ReviewFlagReason:
        return "review.flag_reason";
    case Derived::Held:
        return "held";
    case Derived::Note:
        return "note";
    }
    std::string text;
    for (const auto &key : path) {
        if (key == "[]")
            continue;
        if (!text.empty())
            text += '.';
        text += key;
    }
    return text;
}

std::string toString(const FilterNode &node)
{
    switch (node.kind) {
    case FilterNode::Kind::And:
    case FilterNode::Kind::Or: {
        std::string text = "(";
        for (size_t i = 0; i < node.children.size(); ++i) {
            if (i > 0)
                text += node.kind == FilterNode::Kind::And ? " and " : " or ";
            text += toString(node.children[i]);
        }
        return text + ")";
    }
    case FilterNode::Kind::Not:
        return "not " + (node.children.empty() ? std::string("?") : toString(node.children[0]));
    case FilterNode::Kind::Exists:
        return "has " + node.field.name();
    case FilterNode::Kind::FullText:
        return fullTextField(node.columns) + " ~ " + quotedText(node.phrase);
    case FilterNode::Kind::Compare:
        break;
    }
    const std::string field = node.field.name();
    if (node.op == FilterOp::In) {
        std::string text = field + " in {";
        for (size_t i = 0; i < node.set.size(); ++i) {
            if (i > 0)
                text += ' ';
            text += value(node.set[i].from, node.field);
            if (node.set[i].to)
                text += ".." + value(*node.set[i].to, node.field);
        }
        return text + "}";
    }
    return field + " " + opText(node.op) + " " + value(node.value, node.field);
}

std::string toString(const FilterExpr &filter)
{
    return filter.root ? toString(*filter.root) : std::string();
}

QRegularExpression filterRegex(const QString &pattern)
{
    return QRegularExpression(pattern, QRegularExpression::CaseInsensitiveOption |
                                           QRegularExpression::UseUnicodePropertiesOption);
}

} // namespace llmaudit
