#pragma once

// The display-filter language (docs/filter-language.md): text such as
// `user_id == "u-17" and latency > 2s` is scanned, parsed to a syntax tree and checked against
// the log schema into a FilterExpr (storage/filterexpr.h) that any Store runs. One compiler for
// the GUI filter bar, the CLI and reports; no store and no SQL are involved here, so checking
// is cheap enough for every keystroke.

#include "filterexpr.h"

#include <QString>
#include <QStringList>
#include <QStringView>

#include <expected>
#include <optional>
#include <vector>

namespace llmaudit {

// A place in the filter text and what is wrong (or doubtful) there. Offsets count UTF-16 code
// units, as QString and QLineEdit do; an error at the end of the text has length 0.
struct FilterDiagnostic
{
    qsizetype offset = 0;
    qsizetype length = 0;
    QString message;

    QString toString() const; // "at 14: expected a value after '==' (...)"
    bool operator==(const FilterDiagnostic &) const = default;
};

struct CompiledFilter
{
    FilterExpr expr;
    // The filter runs, but may not mean what was meant, e.g. a path the schema does not declare
    // that is close to one it does (metrics.latncy_ms). The filter bar shows these in yellow.
    std::vector<FilterDiagnostic> warnings;
};

// Compiles filter text; empty or blank text is the filter that selects everything.
std::expected<CompiledFilter, FilterDiagnostic> compileFilter(QStringView text);

// What the filter bar colours itself from.
struct FilterCheck
{
    std::optional<FilterDiagnostic> error;
    std::vector<FilterDiagnostic> warnings;

    bool ok() const { return !error.has_value(); }
};
FilterCheck checkFilter(QStringView text);

// A field a filter can name, for completion and help.
struct FilterFieldInfo
{
    QString name;        // the full path ("metrics.latency_ms"), or "text" / "model"
    QStringList aliases; // short names ("latency", "latency_ms")
    FilterType type = FilterType::Any;
    bool list = false;     // several values (tags): comparisons hold for one of them
    bool fullText = false; // `~` searches it in the full-text index
    bool declared = false; // declared by the log schema (else a common but unchecked field)
    QStringList enumNames; // Enum: in ascending order
    QString description;
};

// Every field with a name or path, in a stable order: the short aliases' fields first.
const std::vector<FilterFieldInfo> &filterFields();

// The operators (and `has`) that apply to a field, as spelled in the language.
QStringList filterOperators(const FilterFieldInfo &field);

// "text", "integer", "number", "true/false", "time", "name", "any", "object".
QString filterTypeName(FilterType type);

// Words with a meaning in the language (and, or, not, in, contains, matches, has, true, false,
// now).
QStringList filterKeywords();

} // namespace llmaudit
