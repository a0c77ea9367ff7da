#pragma once

// Value-or-error return type used across the project: a function that can fail returns
// Result<T>, and the caller has to look before using the value.

#include <QString>

#include <expected>

namespace llmaudit {

struct Error
{
    QString message; // what went wrong, in words a user can act on
    QString where;   // where it happened: "events.jsonl:17", a store path, a JSON Pointer

    QString toString() const
    {
        return where.isEmpty() ? message : where + QStringLiteral(": ") + message;
    }
};

template<class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(QString message, QString where = {})
{
    return std::unexpected(Error{std::move(message), std::move(where)});
}

} // namespace llmaudit
