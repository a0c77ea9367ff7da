#pragma once

#include <QMetaType>

// The checked form of a display filter: a plain value tree that the filter language
// (models/filterlanguage.h) produces from the text a user typed, and that each Store backend
// turns into its own query. Fields are named by their path in the log format; which of them
// live in indexed columns is the backend's business.

#include <QRegularExpression>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace llmaudit {

// What the values of a field are, as far as a filter is concerned.
enum class FilterType {
    Text,    // JSON string
    Integer, // JSON integer
    Number,  // JSON integer or real
    Boolean,
    Time,   // the record's timestamp: compared as an instant, milliseconds since the epoch UTC
    Enum,   // a string from an ordered list of names (security.sensitivity_level)
    Any,    // not declared by the log schema: each value compares by its own JSON type
    Object, // an object or a list of objects: only presence (`has`) applies
};

enum class FilterOp {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Contains,
    Matches,
    In
};

// An instant or a span of time, [fromMs, untilMs): "2026-01-05" is the whole UTC day, a full
// RFC 3339 time one millisecond. When relativeToNow, both are offsets from the moment the
// query runs (FilterExpr::nowMs), as in `now - 24h`.
struct FilterTime
{
    int64_t fromMs = 0;
    int64_t untilMs = 0;
    bool relativeToNow = false;

    bool operator==(const FilterTime &) const = default;
};

// One name of an enum field, by its position in FilterField::enumNames.
struct FilterEnumItem
{
    int index = 0;

    bool operator==(const FilterEnumItem &) const = default;
};

// A literal. Text for Text, Any, Contains and Matches (the pattern); int64_t or double for
// numbers; bool; FilterTime for Time; FilterEnumItem for Enum.
using FilterValue = std::variant<std::string, int64_t, double, bool, FilterTime, FilterEnumItem>;

// A member of an `in` set: one value, or an inclusive range `from..to` of ordered values.
struct FilterSetItem
{
    FilterValue from;
    std::optional<FilterValue> to;

    bool operator==(const FilterSetItem &) const = default;
};

// A field of the record.
struct FilterField
{
    // A field the store derives: the model is response.model, else request.parameters.model;
    // the others come from the reviewers' data kept beside the records (store.h): Flagged is
    // evaluation.flagged or a reviewer's flag, ReviewStatus the review status (an Enum of
    // unreviewed, approved, issue, escalated), ReviewFlagged and ReviewFlagReason a reviewer's
    // flag, Note the text of each note (many), Held whether it is on legal hold.
    enum class Derived {
        None,
        Model,
        Flagged,
        ReviewStatus,
        ReviewFlagged,
        ReviewFlagReason,
        Note,
        Held
    };

    // Path in the log format, one key per element; "[]" stands for each item of a list, as in
    // {"request", "context", "[]", "source"}. Empty when `derived` is not None.
    std::vector<std::string> path;
    Derived derived = Derived::None;
    FilterType type = FilterType::Any;
    // The log schema declares this type and import validated it: no check per record needed.
    bool declared = false;
    // A list of values (tags): a comparison holds when it holds for one of them.
    bool many = false;
    std::vector<std::string> enumNames; // Enum: the names in ascending order

    // "metrics.latency_ms", "request.context.source", "model".
    std::string name() const;

    bool operator==(const FilterField &) const = default;
};

// Columns of the full-text index, as bits.
enum FullTextColumn : unsigned {
    FullTextPrompt = 1,
    FullTextSystemPrompt = 2,
    FullTextContext = 4,
    FullTextResponse = 8,
    FullTextAll = 15,
};

struct FilterNode
{
    enum class Kind {
        And,      // all children hold (two or more)
        Or,       // one of the children holds (two or more)
        Not,      // the one child does not hold
        Compare,  // field op value (or op set)
        Exists,   // the field is present and not null
        FullText, // the phrase occurs in one of the columns
    };

    Kind kind = Kind::And;
    std::vector<FilterNode> children;

    // Compare, Exists
    FilterField field;
    FilterOp op = FilterOp::Equal;
    FilterValue value;              // Compare, but In
    std::vector<FilterSetItem> set; // In

    // FullText: the words to find, in this order, as one phrase.
    std::string phrase;
    unsigned columns = FullTextAll;

    bool operator==(const FilterNode &) const = default;
};

// A whole filter. Semantics, whatever the backend:
// - a comparison on a field the record does not have is false, `!=` included (`not f == v` is
//   how to include records without f);
// - a comparison with a value of another JSON type than the literal's is false;
// - Contains is a substring test ignoring case (Unicode simple case folding);
// - Matches is a regular expression search made by filterRegex().
struct FilterExpr
{
    std::optional<FilterNode> root; // none: every interaction
    // The instant `now` stands for; unset: when the query runs.
    std::optional<int64_t> nowMs;

    bool matchesAll() const { return !root.has_value(); }
    bool operator==(const FilterExpr &) const = default;
};

// The filter as text in its canonical form: full paths, binary operations parenthesised,
// values spelled out. Compiling it again gives the same filter.
std::string toString(const FilterExpr &filter);
std::string toString(const FilterNode &node);

// The regular expression a `matches` pattern means: PCRE2 syntax, case-insensitive unless the
// pattern says (?-i), Unicode properties for \w, \b and \d. Both the language (to report a bad
// pattern where it was typed) and the backends (to run it) use this.
QRegularExpression filterRegex(const QString &pattern);

} // namespace llmaudit

// Filters travel between threads in queued signals.
Q_DECLARE_METATYPE(llmaudit::FilterExpr)
