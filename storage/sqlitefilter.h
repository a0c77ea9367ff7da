#pragma once

// Filters on the SQLite store: the fixed table of which log-format fields live in which columns
// of `interactions`, the WHERE condition a FilterExpr becomes (every value a bound parameter),
// and the SQL functions those conditions call. Internal to the SQLite backend; a PostgreSQL
// backend would have its own.

#include "filterexpr.h"
#include "result.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace llmaudit {

using SqlValue = std::variant<int64_t, double, std::string>;

// A condition on rows of `interactions`, to put after WHERE. Its placeholders are plain `?`, and
// params holds their values in the order they appear in the text: with N parameters before the
// condition in a statement, params[i] is parameter N + 1 + i. Column references are qualified
// (interactions.id), so the condition may sit in a query with other tables or table-valued
// functions.
struct SqlCondition
{
    std::string sql;
    std::vector<SqlValue> params;
};

// The condition for `filter`, `nowMs` standing for the moment the query runs unless the filter
// fixes it. "1" for a filter that matches everything.
Result<SqlCondition> sqliteCondition(const FilterExpr &filter, int64_t nowMs);

// Binds a condition's params to `stmt`: params[i] to parameter number first + i.
void bindSqlValues(sqlite3_stmt *stmt, int first, const std::vector<SqlValue> &params);

// Registers llmaudit_regexp(pattern, text) and llmaudit_contains(text, needle) on a connection.
// Returns an SQLite result code.
int registerFilterFunctions(sqlite3 *db);

} // namespace llmaudit
