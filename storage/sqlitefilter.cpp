#include "sqlitefilter.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <functional>

namespace llmaudit {

namespace {

// How a column stores its field.
enum class ColumnKind {
    Text,      // TEXT; an empty text was stored as NULL
    Integer,   // INTEGER
    Boolean,   // INTEGER 0/1, never NULL (absent counts as false)
    TimeMs,    // INTEGER milliseconds since the epoch, UTC
    EnumIndex, // INTEGER: the index of the name in the schema's enum
};

struct ColumnField
{
    std::string_view path; // FilterField::name()
    std::string_view column;
    ColumnKind kind;
    bool presence; // `has` can be answered from the column (else from the document)
};

// The extracted columns (see the migrations in sqlitestore.cpp and interactionFromDocument()).
// A filter on one of these compiles to a plain comparison on the column, so that SQLite can use
// the column's index.
constexpr std::array<ColumnField, 12> s_columns = {{
    {"interaction_id", "interaction_id", ColumnKind::Text, true},
    {"timestamp", "ts", ColumnKind::TimeMs, true},
    {"user_id", "user_id", ColumnKind::Text, true},
    {"session_id", "session_id", ColumnKind::Text, true},
    {"metrics.prompt_tokens", "prompt_tokens", ColumnKind::Integer, true},
    {"response.completion_tokens", "completion_tokens", ColumnKind::Integer, true},
    {"metrics.total_tokens", "total_tokens", ColumnKind::Integer, true},
    {"metrics.latency_ms", "latency_ms", ColumnKind::Integer, true},
    {"response.finish_reason", "finish_reason", ColumnKind::Text, true},
    {"evaluation.flagged", "flagged", ColumnKind::Boolean, false},
    {"security.sensitivity_level", "sensitivity", ColumnKind::EnumIndex, true},
    {"replay_of", "replay_of", ColumnKind::Text, true},
}};

constexpr ColumnField s_modelColumn = {"model", "model", ColumnKind::Text, true};

// Fields from the review tables (migration 4), as expressions over a row of `interactions`.
// A reviewer's flag or status is looked up per row through the tables' primary key.
constexpr ColumnField s_flaggedEither = {"flagged",
                                         "(interactions.flagged = 1 OR interactions.id IN "
                                         "(SELECT interaction FROM reviews WHERE flagged = 1))",
                                         ColumnKind::Boolean, true};
constexpr ColumnField s_reviewStatus = {
    "review",
    "coalesce((SELECT status FROM reviews WHERE reviews.interaction = interactions.id), 0)",
    ColumnKind::EnumIndex, true};
constexpr ColumnField s_reviewFlagged = {
    "review.flagged",
    "coalesce((SELECT flagged FROM reviews WHERE reviews.interaction = interactions.id), 0)",
    ColumnKind::Boolean, true};
constexpr ColumnField s_reviewFlagReason = {
    "review.flag_reason",
    "(SELECT flag_reason FROM reviews WHERE reviews.interaction = interactions.id "
    "AND flagged = 1)",
    ColumnKind::Text, true};

// Legal holds (migration 5): a row id list.
constexpr ColumnField s_held = {"held", "(interactions.id IN (SELECT interaction FROM holds))",
                                ColumnKind::Boolean, true};

// The SQL for a column: a plain column of `interactions`, or an expression in parentheses.
std::string columnSql(const ColumnField &c)
{
    return c.column.starts_with('(') || c.column.starts_with("coalesce")
               ? std::string(c.column)
               : "interactions." + std::string(c.column);
}

const ColumnField *columnFor(const FilterField &field)
{
    switch (field.derived) {
    case FilterField::Derived::None:
    case FilterField::Derived::Note:
        break;
    case FilterField::Derived::Model:
        return &s_modelColumn;
    case FilterField::Derived::Flagged:
        return &s_flaggedEither;
    case FilterField::Derived::ReviewStatus:
        return &s_reviewStatus;
    case FilterField::Derived::ReviewFlagged:
        return &s_reviewFlagged;
    case FilterField::Derived::ReviewFlagReason:
        return &s_reviewFlagReason;
    case FilterField::Derived::Held:
        return &s_held;
    }
    if (std::ranges::find(field.path, "[]") != field.path.end())
        return nullptr;
    const std::string name = field.name();
    for (const ColumnField &c : s_columns)
        if (c.path == name)
            return &c;
    return nullptr;
}

// The one place the filter reads the full-text index. (The index itself is written in
// SqliteStore::write and checked in SqliteStore::checkIntegrity.)
std::string fullTextCondition(const std::string &queryParam)
{
    return "interactions.id IN (SELECT rowid FROM interactions_fts WHERE interactions_fts MATCH " +
           queryParam + ")";
}

// An FTS5 query that finds `phrase` literally: one phrase (quotes doubled inside, so nothing
// the user typed is FTS5 syntax), limited to some columns by a column filter of our own names.
std::string fullTextQuery(const std::string &phrase, unsigned columns)
{
    std::string query;
    if ((columns & FullTextAll) != FullTextAll) {
        query = "{";
        const std::pair<unsigned, const char *> names[] = {{FullTextPrompt, "prompt"},
                                                           {FullTextSystemPrompt, "system_prompt"},
                                                           {FullTextContext, "context"},
                                                           {FullTextResponse, "response"}};
        for (const auto &[bit, name] : names)
            if (columns & bit)
                query += std::string(query.size() > 1 ? " " : "") + name;
        query += "} : ";
    }
    query += '"';
    for (char c : phrase) {
        if (c == '"')
            query += '"';
        query += c;
    }
    return query + '"';
}

std::string jsonPath(const std::vector<std::string> &keys)
{
    std::string path = "$";
    for (const auto &key : keys) {
        path += ".\"";
        for (char c : key) {
            if (c == '"' || c == '\\')
                path += '\\';
            path += c;
        }
        path += '"';
    }
    return path;
}

bool isText(const FilterValue &v)
{
    return std::holds_alternative<std::string>(v);
}
bool isNumber(const FilterValue &v)
{
    return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v);
}

// Whether every value of a comparison (its value, or each member and bound of its set) fits.
template<class Fits>
bool allValues(const FilterNode &n, const Fits &fits)
{
    if (n.op != FilterOp::In)
        return fits(n.value);
    return std::ranges::all_of(n.set, [&](const FilterSetItem &item) {
        return fits(item.from) && (!item.to || fits(*item.to));
    });
}

// A path cut at its lists: {"request", "context", "[]", "source"} is {{request, context},
// {source}}; json_each walks from one part to the next through the items.
std::vector<std::vector<std::string>> partsOf(const std::vector<std::string> &path)
{
    std::vector<std::vector<std::string>> parts(1);
    for (const auto &key : path) {
        if (key == "[]")
            parts.emplace_back();
        else
            parts.back().push_back(key);
    }
    return parts;
}

class Generator
{
public:
    explicit Generator(int64_t nowMs)
        : m_now(nowMs)
    {}

    std::string node(const FilterNode &n, int depth = 0);
    SqlCondition finish(const std::string &text);

    std::vector<SqlValue> params;
    std::optional<QString> error;

private:
    // A marker that finish() turns into a plain `?` and puts the value in the order of the text,
    // so the order in which the text is put together does not matter. (Numbered ?NNN would do
    // that too, but SQLite 3.40 takes quadratic time to prepare thousands of them.) The SQL
    // around the markers is our own fixed text: a marker byte cannot come from elsewhere.
    std::string param(SqlValue v)
    {
        params.push_back(std::move(v));
        return "\x01" + std::to_string(params.size() - 1) + "\x02";
    }
    std::string malformed(const char *what)
    {
        if (!error)
            error = QStringLiteral("malformed filter: %1").arg(QString::fromUtf8(what));
        return "0";
    }

    std::string combine(const std::vector<std::string> &parts, size_t from, size_t to,
                        const char *op);
    std::string compare(const FilterNode &n);
    std::string exists(const FilterNode &n);

    // A scalar comparison of `operand` (SQL text that binds no parameters, or a generator of
    // it) with one value.
    template<class Operand>
    std::string scalar(const Operand &operand, FilterOp op, const FilterValue &v,
                       const FilterField &field, bool enumAsIndex);
    template<class Operand>
    std::string inSet(const Operand &operand, const FilterNode &n, bool enumAsIndex);

    std::string jsonEachCompare(const FilterNode &n);

    SqlValue sqlValue(const FilterValue &v);
    std::pair<int64_t, int64_t> timeSpan(const FilterTime &t) const
    {
        return t.relativeToNow ? std::pair(m_now + t.fromMs, m_now + t.untilMs)
                               : std::pair(t.fromMs, t.untilMs);
    }

    int64_t m_now;
    int m_aliases = 0;
};

SqlValue Generator::sqlValue(const FilterValue &v)
{
    if (const auto *s = std::get_if<std::string>(&v))
        return *s;
    if (const auto *i = std::get_if<int64_t>(&v))
        return *i;
    if (const auto *d = std::get_if<double>(&v))
        return *d;
    if (const auto *b = std::get_if<bool>(&v))
        return int64_t(*b ? 1 : 0);
    if (const auto *e = std::get_if<FilterEnumItem>(&v))
        return int64_t(e->index);
    malformed("a time where a single value belongs");
    return int64_t(0);
}

// Flat runs of at most 64 terms, grouped: SQLite's parser has a small fixed stack (a right-nested
// chain of 30 parentheses overflows it) and its expression trees a depth limit of 1000 (a flat
// chain of 5000 terms exceeds it). Runs of 64, grouped by 64, stay well inside both.
std::string Generator::combine(const std::vector<std::string> &parts, size_t from, size_t to,
                               const char *op)
{
    constexpr size_t Run = 64;
    if (to - from == 1)
        return parts[from];
    if (to - from <= Run) {
        std::string text = "(";
        for (size_t i = from; i < to; ++i)
            text += (i > from ? op : "") + parts[i];
        return text + ")";
    }
    std::vector<std::string> groups;
    for (size_t start = from; start < to; start += Run)
        groups.push_back(combine(parts, start, std::min(to, start + Run), op));
    return combine(groups, 0, groups.size(), op);
}

// How deeply a node nests and/or/not.
int nesting(const FilterNode &n)
{
    int deepest = 0;
    for (const auto &child : n.children)
        deepest = std::max(deepest, nesting(child) + 1);
    return deepest;
}

std::string Generator::node(const FilterNode &n, int depth)
{
    if (depth > 200)
        return malformed("nested too deeply");
    switch (n.kind) {
    case FilterNode::Kind::And:
    case FilterNode::Kind::Or: {
        if (n.children.empty())
            return malformed("an empty and/or");
        // The most deeply nested operand first: while SQLite parses it, only the opening
        // parentheses are on its parser stack, not "x AND (" for every level.
        std::vector<const FilterNode *> children;
        for (const auto &child : n.children)
            children.push_back(&child);
        std::ranges::stable_sort(children, std::greater<>(),
                                 [](const FilterNode *c) { return nesting(*c); });
        std::vector<std::string> parts;
        parts.reserve(children.size());
        for (const FilterNode *child : children)
            parts.push_back(node(*child, depth + 1));
        return combine(parts, 0, parts.size(), n.kind == FilterNode::Kind::And ? " AND " : " OR ");
    }
    case FilterNode::Kind::Not:
        if (n.children.size() != 1)
            return malformed("'not' needs one operand");
        // A comparison on an absent field is NULL in SQL; it is false in a filter, and so its
        // negation is true: NULL IS NOT 1 holds. (Conditions are 1, 0 or NULL.)
        return "(" + node(n.children.front(), depth + 1) + ") IS NOT 1";
    case FilterNode::Kind::Exists:
        return exists(n);
    case FilterNode::Kind::FullText:
        if (n.phrase.empty() || (n.columns & FullTextAll) == 0)
            return malformed("an empty full-text search");
        return "(" + fullTextCondition(param(fullTextQuery(n.phrase, n.columns))) + ")";
    case FilterNode::Kind::Compare:
        return compare(n);
    }
    return malformed("an unknown node");
}

std::string Generator::exists(const FilterNode &n)
{
    const FilterField &f = n.field;
    if (f.derived == FilterField::Derived::Note)
        return "EXISTS (SELECT 1 FROM notes WHERE notes.interaction = interactions.id)";
    if (const ColumnField *c = columnFor(f); c && c->presence)
        return columnSql(*c) + " IS NOT NULL";
    if (f.path.empty())
        return malformed("a field without a path");
    const auto groups = partsOf(f.path);
    if (groups.size() == 1)
        return "coalesce(json_type(llmaudit_json(interactions.document), " +
               param(jsonPath(groups[0])) + "), 'null') <> 'null'";
    std::string from;
    std::string where;
    std::string previous;
    for (size_t i = 0; i + 1 < groups.size(); ++i) {
        const std::string alias = "j" + std::to_string(m_aliases++);
        const std::string input =
            i == 0 ? "llmaudit_json(interactions.document)"
                   : "CASE WHEN " + previous + ".type = 'object' THEN " + previous + ".value END";
        from += std::string(from.empty() ? "" : ", ") + "json_each(" + input + ", " +
                param(jsonPath(groups[i])) + ") AS " + alias;
        where += std::string(where.empty() ? "" : " AND ") + "typeof(" + alias + ".key) <> 'text'";
        previous = alias;
    }
    const auto &last = groups.back();
    if (last.empty())
        where += " AND " + previous + ".type <> 'null'";
    else
        where += " AND " + previous + ".type = 'object' AND coalesce(json_type(" + previous +
                 ".value, " + param(jsonPath(last)) + "), 'null') <> 'null'";
    return "EXISTS (SELECT 1 FROM " + from + " WHERE " + where + ")";
}

template<class Operand>
std::string Generator::scalar(const Operand &operand, FilterOp op, const FilterValue &v,
                              const FilterField &field, bool enumAsIndex)
{
    if (const auto *t = std::get_if<FilterTime>(&v)) {
        const auto [from, until] = timeSpan(*t);
        switch (op) {
        case FilterOp::Equal: {
            std::string a = operand() + " >= " + param(from);
            return "(" + a + " AND " + operand() + " < " + param(until) + ")";
        }
        case FilterOp::NotEqual: {
            std::string a = operand() + " < " + param(from);
            return "(" + a + " OR " + operand() + " >= " + param(until) + ")";
        }
        case FilterOp::Less:
            return operand() + " < " + param(from);
        case FilterOp::LessEqual:
            return operand() + " < " + param(until);
        case FilterOp::Greater:
            return operand() + " >= " + param(until);
        case FilterOp::GreaterEqual:
            return operand() + " >= " + param(from);
        default:
            return malformed("a time with contains/matches");
        }
    }
    if (const auto *e = std::get_if<FilterEnumItem>(&v); e && !enumAsIndex) {
        // An enum kept as its name: the names that satisfy the comparison, by their order.
        std::string list;
        for (int i = 0; i < int(field.enumNames.size()); ++i) {
            const bool holds = (op == FilterOp::Equal && i == e->index) ||
                               (op == FilterOp::NotEqual && i != e->index) ||
                               (op == FilterOp::Less && i < e->index) ||
                               (op == FilterOp::LessEqual && i <= e->index) ||
                               (op == FilterOp::Greater && i > e->index) ||
                               (op == FilterOp::GreaterEqual && i >= e->index);
            if (holds)
                list += std::string(list.empty() ? "" : ", ") +
                        param(field.enumNames[static_cast<size_t>(i)]);
        }
        return list.empty() ? std::string("0") : operand() + " IN (" + list + ")";
    }
    switch (op) {
    case FilterOp::Equal:
        return operand() + " = " + param(sqlValue(v));
    case FilterOp::NotEqual:
        return operand() + " <> " + param(sqlValue(v));
    case FilterOp::Less:
        return operand() + " < " + param(sqlValue(v));
    case FilterOp::LessEqual:
        return operand() + " <= " + param(sqlValue(v));
    case FilterOp::Greater:
        return operand() + " > " + param(sqlValue(v));
    case FilterOp::GreaterEqual:
        return operand() + " >= " + param(sqlValue(v));
    case FilterOp::Contains:
        if (!isText(v))
            return malformed("contains without text");
        return "llmaudit_contains(" + operand() + ", " + param(sqlValue(v)) + ")";
    case FilterOp::Matches:
        if (!isText(v))
            return malformed("matches without a pattern");
        {
            std::string pattern = param(sqlValue(v));
            return "llmaudit_regexp(" + pattern + ", " + operand() + ")";
        }
    case FilterOp::In:
        break;
    }
    return malformed("'in' where one value belongs");
}

template<class Operand>
std::string Generator::inSet(const Operand &operand, const FilterNode &n, bool enumAsIndex)
{
    if (n.set.empty())
        return "0";
    std::vector<std::string> parts;
    std::string list;
    for (const FilterSetItem &item : n.set) {
        if (item.to) {
            if (std::holds_alternative<FilterTime>(item.from)) {
                if (!std::holds_alternative<FilterTime>(*item.to))
                    return malformed("a range of mixed types");
                std::string low =
                    operand() + " >= " + param(timeSpan(std::get<FilterTime>(item.from)).first);
                parts.push_back("(" + low + " AND " + operand() + " < " +
                                param(timeSpan(std::get<FilterTime>(*item.to)).second) + ")");
            } else {
                std::string low =
                    scalar(operand, FilterOp::GreaterEqual, item.from, n.field, enumAsIndex);
                parts.push_back(
                    "(" + low + " AND " +
                    scalar(operand, FilterOp::LessEqual, *item.to, n.field, enumAsIndex) + ")");
            }
        } else if (std::holds_alternative<FilterTime>(item.from) ||
                   (std::holds_alternative<FilterEnumItem>(item.from) && !enumAsIndex)) {
            parts.push_back(scalar(operand, FilterOp::Equal, item.from, n.field, enumAsIndex));
        } else {
            list += std::string(list.empty() ? "" : ", ") + param(sqlValue(item.from));
        }
    }
    if (!list.empty())
        parts.insert(parts.begin(), operand() + " IN (" + list + ")");
    return combine(parts, 0, parts.size(), " OR ");
}

// Fields in the document that are not plain scalars the schema guarantees: through lists,
// lists themselves (a comparison holds for one item), and fields the schema does not declare
// (a value of another JSON type than the literal's never matches).
std::string Generator::jsonEachCompare(const FilterNode &n)
{
    const FilterField &f = n.field;
    auto groups = partsOf(f.path);
    if (groups.back().empty() && groups.size() > 1)
        groups.pop_back(); // "tags[]" is "tags": the leaf's items are walked anyway
    auto chain = [&](std::string &leaf) {
        std::string from;
        std::string where;
        std::string previous;
        for (size_t i = 0; i < groups.size(); ++i) {
            const std::string alias = "j" + std::to_string(m_aliases++);
            const std::string input = i == 0 ? "llmaudit_json(interactions.document)"
                                             : "CASE WHEN " + previous + ".type = 'object' THEN " +
                                                   previous + ".value END";
            from += std::string(from.empty() ? "" : ", ") + "json_each(" + input + ", " +
                    param(jsonPath(groups[i])) + ") AS " + alias;
            // Items of lists and the value itself, never the members of an object.
            where +=
                std::string(where.empty() ? "" : " AND ") + "typeof(" + alias + ".key) <> 'text'";
            previous = alias;
        }
        leaf = previous;
        return "SELECT 1 FROM " + from + " WHERE " + where;
    };
    auto guard = [](const std::string &leaf, const FilterValue &v) -> std::string {
        if (isText(v))
            return leaf + ".type = 'text'";
        if (isNumber(v))
            return leaf + ".type IN ('integer', 'real')";
        if (std::holds_alternative<bool>(v))
            return leaf + ".type IN ('true', 'false')";
        return leaf + ".type = 'text'"; // enum names
    };
    std::string leaf;
    if (n.op == FilterOp::NotEqual) {
        // Has a value of the literal's type, and none of its values equals it.
        std::string some = chain(leaf);
        some += " AND " + guard(leaf, n.value);
        std::string none = chain(leaf);
        none += " AND " + guard(leaf, n.value) + " AND " +
                scalar([&] { return leaf + ".value"; }, FilterOp::Equal, n.value, f, false);
        return "(EXISTS (" + some + ") AND NOT EXISTS (" + none + "))";
    }
    std::string query = chain(leaf);
    auto operand = [&] { return leaf + ".value"; };
    if (n.op == FilterOp::In) {
        // Each member of the set with the guard of its own type.
        std::vector<std::string> parts;
        for (const FilterSetItem &item : n.set) {
            std::string part = guard(leaf, item.from) + " AND ";
            if (item.to)
                part += "(" + scalar(operand, FilterOp::GreaterEqual, item.from, f, false) +
                        " AND " + scalar(operand, FilterOp::LessEqual, *item.to, f, false) + ")";
            else
                part += scalar(operand, FilterOp::Equal, item.from, f, false);
            parts.push_back("(" + part + ")");
        }
        if (parts.empty())
            return "0";
        return "EXISTS (" + query + " AND " + combine(parts, 0, parts.size(), " OR ") + ")";
    }
    const std::string typeGuard = guard(leaf, n.value);
    return "EXISTS (" + query + " AND " + typeGuard + " AND " +
           scalar(operand, n.op, n.value, f, false) + ")";
}

std::string Generator::compare(const FilterNode &n)
{
    const FilterField &f = n.field;
    const bool times =
        allValues(n, [](const FilterValue &v) { return std::holds_alternative<FilterTime>(v); });
    const bool noTimes =
        allValues(n, [](const FilterValue &v) { return !std::holds_alternative<FilterTime>(v); });
    if (f.type == FilterType::Time ? !times : !noTimes)
        return malformed("times compared with a field that is not the timestamp, or the "
                         "timestamp with something else");
    // The common review filters as plain terms on indexes: `flagged` as the row ids of two
    // indexes, `review == issue` as a row id list (the generic forms below compare an
    // expression, which reads every row).
    if (f.derived == FilterField::Derived::Flagged && std::holds_alternative<bool>(n.value) &&
        (n.op == FilterOp::Equal || n.op == FilterOp::NotEqual)) {
        const bool flagged = std::get<bool>(n.value) == (n.op == FilterOp::Equal);
        // One id list from both indexes: with `flagged = 1 OR id IN (...)` SQLite walked the
        // time index and read every row's flag from the table (16 s on 1,000,000 rows); a
        // membership test on the id needs no table row at all (0.3 s).
        const std::string either = "interactions.id IN (SELECT id FROM interactions WHERE "
                                   "flagged = 1 UNION ALL SELECT interaction FROM reviews WHERE "
                                   "flagged = 1)";
        return flagged ? either : "NOT " + either;
    }
    if (f.derived == FilterField::Derived::ReviewStatus && n.op == FilterOp::Equal) {
        if (const auto *e = std::get_if<FilterEnumItem>(&n.value); e && e->index > 0)
            return "interactions.id IN (SELECT interaction FROM reviews WHERE status = " +
                   param(int64_t(e->index)) + ")";
    }
    if (f.derived == FilterField::Derived::Note) {
        // Holds when it holds for one of the notes; != when there are notes and none is equal.
        auto operand = [] { return std::string("notes.text"); };
        const std::string notes = "SELECT 1 FROM notes WHERE notes.interaction = interactions.id";
        if (n.op == FilterOp::NotEqual)
            return "(EXISTS (" + notes + ") AND NOT EXISTS (" + notes + " AND " +
                   scalar(operand, FilterOp::Equal, n.value, f, false) + "))";
        return "EXISTS (" + notes + " AND " +
               (n.op == FilterOp::In ? inSet(operand, n, false)
                                     : scalar(operand, n.op, n.value, f, false)) +
               ")";
    }
    if (const ColumnField *c = columnFor(f)) {
        const std::string column = columnSql(*c);
        auto operand = [&] { return column; };
        const bool enumAsIndex = c->kind == ColumnKind::EnumIndex;
        if (c->kind == ColumnKind::TimeMs && !times)
            return malformed("the timestamp compared with something else than a time");
        if (enumAsIndex && !allValues(n, [](const FilterValue &v) {
                return std::holds_alternative<FilterEnumItem>(v);
            }))
            return malformed("an enum compared with something else than one of its names");
        if (n.op == FilterOp::In)
            return inSet(operand, n, enumAsIndex);
        return scalar(operand, n.op, n.value, f, enumAsIndex);
    }
    const bool throughList = std::ranges::find(f.path, "[]") != f.path.end();
    if (f.path.empty())
        return malformed("a field without a path");
    if (f.declared && !f.many && !throughList && f.type != FilterType::Any &&
        f.type != FilterType::Object) {
        // A scalar the schema declares (and import validated): one json_extract.
        const std::string path = jsonPath(f.path);
        auto operand = [&] {
            return "json_extract(llmaudit_json(interactions.document), " + param(path) + ")";
        };
        if (n.op == FilterOp::In)
            return inSet(operand, n, false);
        return scalar(operand, n.op, n.value, f, false);
    }
    return jsonEachCompare(n);
}

SqlCondition Generator::finish(const std::string &text)
{
    SqlCondition condition;
    condition.sql.reserve(text.size());
    condition.params.reserve(params.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\x01') {
            condition.sql += text[i];
            continue;
        }
        const size_t end = text.find('\x02', i);
        const size_t index = std::stoul(text.substr(i + 1, end - i - 1));
        condition.sql += '?';
        condition.params.push_back(params[index]);
        i = end;
    }
    return condition;
}

} // namespace

Result<SqlCondition> sqliteCondition(const FilterExpr &filter, int64_t nowMs)
{
    if (!filter.root)
        return SqlCondition{"1", {}};
    Generator generator(filter.nowMs.value_or(nowMs));
    const std::string text = generator.node(*filter.root);
    if (generator.error)
        return fail(*generator.error);
    return generator.finish(text);
}

void bindSqlValues(sqlite3_stmt *stmt, int first, const std::vector<SqlValue> &params)
{
    int index = first;
    for (const SqlValue &value : params) {
        if (const auto *i = std::get_if<int64_t>(&value))
            sqlite3_bind_int64(stmt, index, *i);
        else if (const auto *d = std::get_if<double>(&value))
            sqlite3_bind_double(stmt, index, *d);
        else {
            const auto &text = std::get<std::string>(value);
            sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8);
        }
        ++index;
    }
}

namespace {

QString valueText(sqlite3_value *value)
{
    const auto *text = sqlite3_value_text(value);
    return QString::fromUtf8(reinterpret_cast<const char *>(text), sqlite3_value_bytes(value));
}

// llmaudit_regexp(pattern, text): 1 when the pattern matches somewhere in the text. The compiled
// pattern is kept with the statement (auxdata), so each row only runs the match.
void regexpFunction(sqlite3_context *context, int, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return; // NULL
    auto *regex = static_cast<QRegularExpression *>(sqlite3_get_auxdata(context, 0));
    if (!regex) {
        auto compiled = std::make_unique<QRegularExpression>(filterRegex(valueText(argv[0])));
        if (!compiled->isValid()) {
            const QByteArray message = (u"llmaudit_regexp: "_qs + compiled->errorString()).toUtf8();
            sqlite3_result_error(context, message.constData(), int(message.size()));
            return;
        }
        // Optimised for the many matches to come: JIT-compiled now, not at the second use.
        compiled->optimize();
        regex = compiled.release();
        sqlite3_set_auxdata(context, 0, regex,
                            [](void *p) { delete static_cast<QRegularExpression *>(p); });
        // SQLite may have freed it already when it could not keep it.
        regex = static_cast<QRegularExpression *>(sqlite3_get_auxdata(context, 0));
        if (!regex) {
            QRegularExpression once = filterRegex(valueText(argv[0]));
            sqlite3_result_int(context, once.match(valueText(argv[1])).hasMatch() ? 1 : 0);
            return;
        }
    }
    sqlite3_result_int(context, regex->match(valueText(argv[1])).hasMatch() ? 1 : 0);
}

struct Needle
{
    QString folded;
    std::string asciiLower; // when the needle is ASCII
    bool ascii = true;
};

bool isAscii(std::string_view text)
{
    return std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// llmaudit_contains(text, needle): 1 when the text contains the needle, ignoring case by
// Unicode simple case folding (QString::toCaseFolded). SQLite's LIKE and lower() only fold
// ASCII, hence a function of our own; ASCII text, the common case, is searched without
// converting it.
void containsFunction(sqlite3_context *context, int, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    auto *needle = static_cast<Needle *>(sqlite3_get_auxdata(context, 1));
    std::unique_ptr<Needle> local;
    if (!needle) {
        local = std::make_unique<Needle>();
        const auto *bytes = reinterpret_cast<const char *>(sqlite3_value_text(argv[1]));
        const std::string_view text(bytes, static_cast<size_t>(sqlite3_value_bytes(argv[1])));
        local->ascii = isAscii(text);
        local->folded = QString::fromUtf8(text.data(), qsizetype(text.size())).toCaseFolded();
        if (local->ascii)
            for (char c : text)
                local->asciiLower += asciiLower(c);
        Needle *kept = local.release();
        sqlite3_set_auxdata(context, 1, kept, [](void *p) { delete static_cast<Needle *>(p); });
        needle = static_cast<Needle *>(sqlite3_get_auxdata(context, 1));
        if (!needle) { // not kept: SQLite freed it; fold again for this row only
            local = std::make_unique<Needle>();
            local->ascii = false;
            local->folded = QString::fromUtf8(text.data(), qsizetype(text.size())).toCaseFolded();
            needle = local.get();
        }
    }
    const auto *bytes = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
    const std::string_view text(bytes, static_cast<size_t>(sqlite3_value_bytes(argv[0])));
    bool found;
    if (needle->ascii && isAscii(text)) {
        const std::string_view n = needle->asciiLower;
        found = std::ranges::search(text, n, {}, asciiLower).begin() != text.end() || n.empty();
    } else {
        found = QString::fromUtf8(text.data(), qsizetype(text.size()))
                    .toCaseFolded()
                    .contains(needle->folded);
    }
    sqlite3_result_int(context, found ? 1 : 0);
}

} // namespace

int registerFilterFunctions(sqlite3 *db)
{
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function_v2(db, "llmaudit_regexp", 2, flags, nullptr, regexpFunction,
                                        nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "llmaudit_contains", 2, flags, nullptr,
                                        containsFunction, nullptr, nullptr, nullptr);
    return rc;
}

} // namespace llmaudit
