#pragma once

// What every `llmaudit` command shares: output, usage errors, option parsing, opening the store.

#include "filterlanguage.h"
#include "redactionpolicy.h"
#include "store.h"

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace llmaudit {
struct Comparison;
}

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

// While one lives, Ctrl-C and SIGTERM set a flag instead of ending the process: long work (an
// import, a store upgrade) stops at its next check and says what it kept. Nests: the outer
// handlers come back when it ends.
class Interruption
{
public:
    Interruption();
    ~Interruption();
    Interruption(const Interruption &) = delete;
    Interruption &operator=(const Interruption &) = delete;

    static const std::atomic<bool> &flag();
    bool happened() const { return flag().load(); }
    // How many interrupts came since the outermost one began (a second Ctrl-C can mean
    // "and now at once").
    static int count();

private:
    void (*m_previousInt)(int);
    void (*m_previousTerm)(int);
};

// A QCommandLineParser for one sub-command, with the usual --help.
struct Command
{
    QString name;
    QCommandLineParser parser;
    QStringList arguments;

    Command(QString commandName, const QString &description, QStringList args);

    void addStoreOption();
    void addJsonOption(const QString &what);
    void addFilterOption(const QString &what);

    // Compiles --filter into `filter` (which stays empty without the option). A filter that
    // does not compile is a usage error: it is shown with a caret line under the place and the
    // exit code returned. Warnings are shown, and the filter is used.
    std::optional<int> readFilter(FilterExpr &filter) const;

    // --NAME: who does it, for the activity log; WHO says who ("Who purges").
    void addActorOption(const QString &optionName, const QString &who);
    // Its value, or the OS user when it is not given; a usage error when it is empty.
    std::optional<int> readActor(const QString &optionName, std::string &actor) const;

    // Parses; returns an exit code when the command should stop here (help or usage error).
    // Positional::None: a command that takes no arguments refuses any.
    enum class Positional { Allowed, None };
    std::optional<int> parse(Positional positional = Positional::Allowed);

    QString storePath() const;
};

// The filter text on one line and a line of carets under the diagnostic's place, both indented
// by two spaces; log-like text is made visible, and a long filter is cut around the place.
QString filterExcerpt(const QString &filter, const FilterDiagnostic &diagnostic);

// --policy FILE, --pseudonymize and --key-file (import, redact).
void addPolicyOptions(Command &command);
// The policy they give: --policy FILE, else the store's own (when storeLocation is not empty),
// with --pseudonymize and --key-file on top; nothing when there is none. `given` tells whether
// any of the options was used. Returns an exit code when the command should stop.
std::optional<int> readPolicyOptions(const Command &command, const QString &storeLocation,
                                     std::optional<RedactionPolicy> &policy, bool &given);

// Store::open, printing the progress of an upgrade of an older store on stderr when it is a
// terminal (read-write only).
Result<std::unique_ptr<Store>> openShowingUpgrade(const QString &path, Store::Access access);
// Opens the command's store; prints why and returns null when it cannot.
std::unique_ptr<Store> openStore(const Command &command, Store::Access access);

// Interaction ids, one a line, from PATH ('-': standard input); blank lines and lines starting
// with '#' are skipped. Reads to the end of the input, so that a pipe, a FIFO or a process
// substitution (`--ids-from <(...)`) gives every line its writer sends, however slowly.
Result<std::vector<std::string>> readIdsFile(const QString &path);

// The row ids of the interactions with these ids, all or nothing: when one is not in the store
// (or the store cannot be read) prints why, naming the command, and returns nothing — so that a
// typo does not leave half a change.
std::optional<std::vector<qint64>> rowIdsOf(Store &store, const QStringList &ids,
                                            const QString &command);

// The commands, one function each: `args` starts with the program name.
int runImport(const QStringList &args, const QString &description);
int runExport(const QStringList &args, const QString &description);
int runStats(const QStringList &args, const QString &description);
int runValidate(const QStringList &args, const QString &description);
int runRejects(const QStringList &args, const QString &description);
int runConflicts(const QStringList &args, const QString &description);
int runDiff(const QStringList &args, const QString &description);
int runReplay(const QStringList &args, const QString &description);
int runReport(const QStringList &args, const QString &description);
int runServe(const QStringList &args, const QString &description);
int runRedact(const QStringList &args, const QString &description);
int runVerify(const QStringList &args, const QString &description);
int runReview(const QStringList &args, const QString &description);
int runActivity(const QStringList &args, const QString &description);
int runPurge(const QStringList &args, const QString &description);
int runHold(const QStringList &args, const QString &description);
int runBackup(const QStringList &args, const QString &description);

// Logs what a command did to the store's activity log, through a connection of its own (the
// command may have read the store read-only). A failure is reported on stderr, not fatal.
void logActivity(const Command &command, ActivityEntry entry);

// A comparison as `llmaudit diff` prints it: the numbers side by side, then the responses'
// diff (unified, or word by word), in colour when asked.
QString comparisonText(const Comparison &comparison, bool words, int context, bool colour);

} // namespace llmaudit::cli
