#pragma once

// What every `llmaudit` command shares: output, usage errors, option parsing, opening the store.

#include "store.h"

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>

namespace llmaudit::cli {

enum Exit { Ok = 0, Failed = 1, Usage = 2, Interrupted = 130 };

// UTF-8 to standard output / standard error.
void out(const QString &text);
void err(const QString &text);
void printJson(const nlohmann::json &value);

// Prints "llmaudit COMMAND: REASON (see ...)" and returns Usage.
int usageError(const QString &command, const QString &reason);

QString isoTime(std::optional<int64_t> ms);
QString fileName(const QString &path);

// A QCommandLineParser for one sub-command, with the usual --help.
struct Command
{
    QString name;
    QCommandLineParser parser;
    QStringList arguments;

    Command(QString commandName, const QString &description, QStringList args);

    void addStoreOption();
    void addJsonOption(const QString &what);

    // Parses; returns an exit code when the command should stop here (help or usage error).
    std::optional<int> parse();

    QString storePath() const;
};

// Opens the command's store; prints why and returns null when it cannot.
std::unique_ptr<Store> openStore(const Command &command, Store::Access access);

// The commands, one function each: `args` starts with the program name.
int runImport(const QStringList &args, const QString &description);
int runExport(const QStringList &args, const QString &description);
int runStats(const QStringList &args, const QString &description);
int runValidate(const QStringList &args, const QString &description);
int runRejects(const QStringList &args, const QString &description);
int runConflicts(const QStringList &args, const QString &description);
int runDiff(const QStringList &args, const QString &description);

} // namespace llmaudit::cli
