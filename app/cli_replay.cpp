// llmaudit replay: one interaction, a whole session, or a batch of ids against an LLM provider;
// prints the original against the replay, and exits non-zero when a replay failed or changed
// beyond a threshold (a prompt-regression check for CI).

#include "batchreplay.h"
#include "clicommon.h"
#include "comparison.h"
#include "replayengine.h"
#include "sessionreplay.h"

#include <QEventLoop>
#include <QFile>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace llmaudit::cli {

namespace {

using nlohmann::json;
using namespace Qt::StringLiterals;

QString shown(std::string_view text)
{
    return QString::fromStdString(visible(text));
}

QString score(double value)
{
    return QString::number(value, 'f', 3);
}

// TEXT, or @FILE for the file's content (@@ for a text that starts with @).
Result<std::string> textOrFile(const QString &value)
{
    if (value.startsWith(u"@@"))
        return value.mid(1).toStdString();
    if (!value.startsWith(u'@'))
        return value.toStdString();
    const QString path = value.mid(1);
    QFile file(path);
    if (path == u"-" ? !file.open(stdin, QIODevice::ReadOnly) : !file.open(QIODevice::ReadOnly))
        return fail(u"cannot read: "_s + file.errorString(), path);
    return file.readAll().toStdString();
}

// One id a line; blank lines and lines starting with # are skipped.
// The interaction ids a filter selects, oldest first: a batch's list, read when it starts.
Result<std::vector<std::string>> interactionIdsMatching(Store &store, const FilterExpr &filter)
{
    auto rowIds = store.rowIds(filter, {SortColumn::Time, Qt::AscendingOrder});
    if (!rowIds)
        return std::unexpected(rowIds.error());
    std::vector<std::string> ids;
    ids.reserve(rowIds->size());
    constexpr size_t Page = 1000;
    for (size_t at = 0; at < rowIds->size(); at += Page) {
        auto rows = store.rows(std::span(*rowIds).subspan(at, std::min(Page, rowIds->size() - at)));
        if (!rows)
            return std::unexpected(rows.error());
        for (auto &row : *rows)
            ids.push_back(std::move(row.interactionId));
    }
    return ids;
}

json failureJson(const ReplayOutcome &outcome)
{
    json out = {{"original", outcome.originalId}, {"error", outcome.errorText().toStdString()}};
    if (outcome.failure) {
        static const char *const names[] = {
            "configuration",      "unreachable",      "tls",          "timeout",      "cancelled",
            "unauthorized",       "not_found",        "rate_limited", "server_error", "refused",
            "malformed_response", "truncated_stream", "stream_error"};
        out["failure"] = names[int(*outcome.failure)];
    }
    return out;
}

json outcomeJson(const ReplayOutcome &outcome, double threshold)
{
    if (!outcome.ok())
        return failureJson(outcome);
    const json document = json::parse(outcome.document, nullptr, false);
    json out = {{"original", outcome.originalId},
                {"replay_id", outcome.replayId},
                {"stored", outcome.stored},
                {"similarity", outcome.similarity()},
                {"exact_match", outcome.comparison && outcome.comparison->response.exactMatch},
                {"below_threshold", outcome.similarity() < threshold},
                {"provider", outcome.chat.provider},
                {"model", document.is_object() ? document["response"].value("model", "") : ""},
                {"response", outcome.chat.content}};
    if (document.is_object() && document["replay"].contains("warnings"))
        out["warnings"] = document["replay"]["warnings"];
    return out;
}

// What a replay looks like on a terminal: where it went, then `llmaudit diff` of the two.
QString outcomeText(const ReplayOutcome &outcome, bool words, bool colour)
{
    const json document = json::parse(outcome.document, nullptr, false);
    QString text = u"replayed %1 as %2 via %3 (similarity %4)\n"_s.arg(
        shown(outcome.originalId), shown(outcome.replayId), shown(outcome.chat.provider),
        score(outcome.similarity()));
    if (document.is_object())
        for (const json &w : document["replay"].value("warnings", json::array()))
            if (w.is_string())
                text += u"note: "_s + shown(w.get<std::string>()) + u'\n';
    text += u'\n';
    if (outcome.comparison)
        text += comparisonText(*outcome.comparison, words, 3, colour);
    return text;
}

struct Setup
{
    std::vector<ProviderConfig> providers;
    ContextTemplate contextTemplate;
    ReplaySpec spec;
    double threshold = 0;
};

} // namespace

int runReplay(const QStringList &args, const QString &description)
{
    Command command(u"replay"_s, description, args);
    command.addStoreOption();
    auto &p = command.parser;
    p.addOption({u"providers"_s,
                 u"The providers file (default: $LLMAUDIT_PROVIDERS, else %1)."_s.arg(
                     defaultProvidersPath()),
                 u"FILE"_s});
    p.addOption({u"provider"_s,
                 u"The provider to replay against, by name (default: the one whose model is the "
                 "record's, else the first)."_s,
                 u"NAME"_s});
    p.addOption({u"model"_s, u"Replay with this model."_s, u"M"_s});
    p.addOption({u"system"_s, u"Replace the system prompt (@FILE: the file's text)."_s, u"TEXT"_s});
    p.addOption({u"prompt"_s, u"Replace the prompt (@FILE: the file's text)."_s, u"TEXT"_s});
    p.addOption({u"context"_s,
                 u"Replace the context documents: one document each time it is given (@FILE: "
                 "the file's text)."_s,
                 u"TEXT"_s});
    p.addOption({u"param"_s,
                 u"Set a parameter: temperature=0.2, max_tokens=256, stop=[\"END\"], or any "
                 "other; KEY=null removes it. VALUE is JSON when it reads as JSON, else text."_s,
                 u"KEY=VALUE"_s});
    p.addOption({u"context-template"_s,
                 u"A JSON file with the template that builds the user message from prompt and "
                 "context (see docs/replay.md)."_s,
                 u"FILE"_s});
    p.addOption({u"stream"_s, u"Ask the provider to stream the answer."_s});
    p.addOption({u"session"_s, u"Replay every turn of this session, in order."_s, u"SID"_s});
    p.addOption({u"session-mode"_s,
                 u"history: each turn with its recorded history (default); counterfactual: with "
                 "the replayed answers of the earlier turns."_s,
                 u"MODE"_s, u"history"_s});
    p.addOption({u"ids-from"_s,
                 u"Replay the interactions whose ids are in FILE, one a line ('-': standard "
                 "input)."_s,
                 u"FILE"_s});
    command.addFilterOption(u"Replay every interaction the filter selects, in time order."_s);
    p.addOption({u"concurrency"_s, u"Batch: replays at once (default 4)."_s, u"N"_s, u"4"_s});
    p.addOption({u"rate"_s, u"Batch: replays started a second at most (default: no limit)."_s,
                 u"R"_s, u"0"_s});
    p.addOption({u"threshold"_s,
                 u"Exit with status 1 when a replay's similarity to its original (edit "
                 "similarity of the responses, 0 to 1) is below X."_s,
                 u"X"_s, u"0"_s});
    p.addOption({u"run-id"_s, u"Batch: the id of this run (default: a new one)."_s, u"ID"_s});
    p.addOption(
        {u"resume"_s, u"Batch: continue run ID, skipping what it has replayed."_s, u"ID"_s});
    p.addOption({u"words"_s, u"Show the diff word by word."_s});
    command.addJsonOption(u"Print the result as JSON, with the new replay ids."_s);
    p.addPositionalArgument(u"ID"_s, u"The interaction to replay."_s, u"[ID]"_s);
    if (auto stop = command.parse())
        return *stop;

    const QStringList positional = p.positionalArguments();
    const bool session = p.isSet(u"session"_s);
    const bool byFilter = p.isSet(u"filter"_s);
    const bool batch = p.isSet(u"ids-from"_s) || byFilter;
    if (int(session) + int(p.isSet(u"ids-from"_s)) + int(byFilter) + int(!positional.isEmpty()) !=
        1)
        return usageError(command.name, u"give one interaction ID, --session SID, --filter EXPR "
                                        "or --ids-from FILE"_s);
    if (positional.size() > 1)
        return usageError(command.name, u"one interaction ID at a time (use --filter or "
                                        "--ids-from for more)"_s);
    if (!batch)
        for (const char *option : {"concurrency", "rate", "run-id", "resume"})
            if (p.isSet(QString::fromLatin1(option)))
                return usageError(command.name, u"--%1 is for batches (--filter, --ids-from)"_s.arg(
                                                    QLatin1StringView(option)));
    if (!session && p.isSet(u"session-mode"_s))
        return usageError(command.name, u"--session-mode goes with --session"_s);
    if ((session || batch) && (p.isSet(u"prompt"_s) || p.isSet(u"context"_s)))
        return usageError(command.name, u"--prompt and --context replace one interaction's "
                                        "text: not for a session or a batch"_s);
    FilterExpr filter;
    if (auto stop = command.readFilter(filter))
        return *stop;
    if (p.isSet(u"run-id"_s) && p.isSet(u"resume"_s))
        return usageError(command.name, u"--run-id and --resume exclude each other"_s);

    Setup setup;
    bool ok = false;
    setup.threshold = p.value(u"threshold"_s).toDouble(&ok);
    if (!ok || setup.threshold < 0 || setup.threshold > 1)
        return usageError(command.name, u"--threshold needs a number from 0 to 1"_s);
    const int concurrency = p.value(u"concurrency"_s).toInt(&ok);
    if (!ok || concurrency < 1 || concurrency > 256)
        return usageError(command.name, u"--concurrency needs a number from 1 to 256"_s);
    const double rate = p.value(u"rate"_s).toDouble(&ok);
    if (!ok || rate < 0)
        return usageError(command.name, u"--rate needs a number of replays a second"_s);
    const auto mode = sessionModeFromString(p.value(u"session-mode"_s).toStdString());
    if (!mode)
        return usageError(command.name, u"--session-mode is history or counterfactual"_s);

    ReplayOverrides &o = setup.spec.overrides;
    auto readText = [&](const QString &option, std::optional<std::string> &into) -> bool {
        if (!p.isSet(option))
            return true;
        auto text = textOrFile(p.value(option));
        if (!text) {
            err(u"llmaudit replay: --%1: %2\n"_s.arg(option, text.error().toString()));
            return false;
        }
        into = std::move(*text);
        return true;
    };
    if (!readText(u"system"_s, o.systemPrompt) || !readText(u"prompt"_s, o.prompt))
        return Usage;
    if (p.isSet(u"context"_s)) {
        o.context.emplace();
        for (const QString &value : p.values(u"context"_s)) {
            auto text = textOrFile(value);
            if (!text) {
                err(u"llmaudit replay: --context: %1\n"_s.arg(text.error().toString()));
                return Usage;
            }
            o.context->push_back(std::move(*text));
        }
    }
    if (p.isSet(u"model"_s))
        o.model = p.value(u"model"_s).toStdString();
    for (const QString &value : p.values(u"param"_s)) {
        auto parameter = parseParameter(value);
        if (!parameter)
            return usageError(command.name, parameter.error().message);
        o.parameters[parameter->first] = parameter->second;
    }
    setup.spec.provider = p.value(u"provider"_s);
    setup.spec.stream = p.isSet(u"stream"_s);

    const QString providersPath =
        p.isSet(u"providers"_s) ? p.value(u"providers"_s) : defaultProvidersPath();
    auto providers = loadProviders(providersPath);
    if (!providers) {
        err(u"llmaudit replay: %1\n"_s.arg(providers.error().toString()));
        return Failed;
    }
    setup.providers = std::move(*providers);
    if (p.isSet(u"context-template"_s)) {
        auto loaded = ContextTemplate::load(p.value(u"context-template"_s));
        if (!loaded) {
            err(u"llmaudit replay: %1\n"_s.arg(loaded.error().toString()));
            return Failed;
        }
        setup.contextTemplate = std::move(*loaded);
    }

    auto store = openStore(command, Store::Access::ReadWrite);
    if (!store)
        return Failed;
    ReplayEngine engine(store.get(), setup.providers);
    engine.setContextTemplate(setup.contextTemplate);
    const bool asJson = p.isSet(u"json"_s);
    const bool words = p.isSet(u"words"_s);
    const bool colour = isatty(STDOUT_FILENO) && qEnvironmentVariableIsEmpty("NO_COLOR");
    const bool terminal = isatty(STDERR_FILENO);
    QEventLoop loop;

    // --- one interaction -----------------------------------------------------------------------
    if (!session && !batch) {
        const std::string id = positional.front().toStdString();
        auto original = store->interaction(id);
        if (!original) {
            err(u"llmaudit replay: %1\n"_s.arg(original.error().toString()));
            return Failed;
        }
        if (!*original) {
            err(u"llmaudit replay: no interaction '%1' in %2\n"_s.arg(shown(id),
                                                                      store->location()));
            return Failed;
        }
        ReplayCall *call = engine.replay(**original, setup.spec);
        ReplayOutcome outcome;
        QObject::connect(call, &ReplayCall::finished, &loop, [&](const ReplayOutcome &result) {
            outcome = result;
            loop.quit();
        });
        if (terminal && !asJson)
            QObject::connect(
                call, &ReplayCall::retrying, &loop,
                [](int attempt, int delayMs, const QString &reason) {
                    err(u"retrying (attempt %1 in %2 ms): %3\n"_s.arg(attempt).arg(delayMs).arg(
                        reason));
                });
        loop.exec();
        if (!outcome.ok()) {
            err(u"llmaudit replay: %1\n"_s.arg(outcome.errorText()));
            if (asJson)
                printJson(failureJson(outcome));
            return Failed;
        }
        if (asJson) {
            json result = outcomeJson(outcome, setup.threshold);
            result["comparison"] = toJson(*outcome.comparison, DiffMode::Words);
            printJson(result);
        } else {
            out(outcomeText(outcome, words, colour));
        }
        return outcome.similarity() < setup.threshold ? Failed : Ok;
    }

    // --- a session -----------------------------------------------------------------------------
    if (session) {
        SessionReplay replay(&engine);
        SessionReplaySummary summary;
        QObject::connect(&replay, &SessionReplay::finished, &loop,
                         [&](const SessionReplaySummary &result) {
                             summary = result;
                             loop.quit();
                         });
        QObject::connect(
            &replay, &SessionReplay::turnFinished, &loop,
            [&](int index, const ReplayOutcome &outcome) {
                if (asJson)
                    return;
                if (outcome.ok())
                    out(u"turn %1  %2 -> %3  similarity %4%5\n"_s.arg(index + 1).arg(
                        shown(outcome.originalId), shown(outcome.replayId),
                        score(outcome.similarity()),
                        outcome.similarity() < setup.threshold ? u"  below the threshold"_s
                                                               : QString()));
                else
                    out(u"turn %1  %2 failed: %3\n"_s.arg(index + 1).arg(shown(outcome.originalId),
                                                                         outcome.errorText()));
            });
        const Interruption interruption;
        QTimer poll;
        QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
            if (interruption.happened())
                replay.cancel();
        });
        poll.start(50);
        replay.start(p.value(u"session"_s).toStdString(), *mode, setup.spec);
        loop.exec();
        if (summary.error) {
            err(u"llmaudit replay: %1\n"_s.arg(summary.error->toString()));
            return Failed;
        }
        int below = 0;
        for (const auto &outcome : summary.outcomes)
            if (outcome.ok() && outcome.similarity() < setup.threshold)
                ++below;
        if (asJson) {
            json turns = json::array();
            for (const auto &outcome : summary.outcomes)
                turns.push_back(outcomeJson(outcome, setup.threshold));
            printJson({{"session", summary.sessionId},
                       {"run_id", summary.runId},
                       {"mode", toString(summary.mode)},
                       {"turns", summary.turns},
                       {"replayed", summary.replayed},
                       {"failed", summary.failed},
                       {"not_run", summary.notRun},
                       {"below_threshold", below},
                       {"threshold", setup.threshold},
                       {"unmatched_assistant_messages", summary.unmatchedAssistantMessages},
                       {"cancelled", summary.cancelled},
                       {"results", turns}});
        } else {
            out(u"session %1 (%2): %3 turns, %4 replayed, %5 failed, %6 not run; run %7\n"_s
                    .arg(shown(summary.sessionId), QString::fromUtf8(toString(summary.mode)))
                    .arg(summary.turns)
                    .arg(summary.replayed)
                    .arg(summary.failed)
                    .arg(summary.notRun)
                    .arg(shown(summary.runId)));
            if (summary.unmatchedAssistantMessages > 0)
                out(u"note: %1 assistant messages of the recorded histories matched no earlier "
                    "turn's answer and were sent as recorded\n"_s.arg(
                        summary.unmatchedAssistantMessages));
        }
        if (summary.cancelled)
            return Interrupted;
        return summary.failed > 0 || below > 0 ? Failed : Ok;
    }

    // --- a batch -------------------------------------------------------------------------------
    std::optional<std::vector<std::string>> ids;
    if (!byFilter) {
        auto read = readIdsFile(p.value(u"ids-from"_s));
        if (!read) {
            err(u"llmaudit replay: %1\n"_s.arg(read.error().toString()));
            return Failed;
        }
        ids = std::move(*read);
    }
    BatchOptions options;
    options.spec = setup.spec;
    options.concurrency = concurrency;
    options.ratePerSecond = rate;
    options.threshold = setup.threshold;
    if (p.isSet(u"resume"_s)) {
        options.resume = true;
        options.spec.runId = p.value(u"resume"_s).toStdString();
    } else if (p.isSet(u"run-id"_s)) {
        options.spec.runId = p.value(u"run-id"_s).toStdString();
    }
    BatchReplay replay(&engine, options);
    if (ids)
        replay.setIds(std::move(*ids));
    else
        replay.setIdSource(
            [filter](Store &store) { return interactionIdsMatching(store, filter); });
    BatchSummary summary;
    json items = json::array();
    QObject::connect(&replay, &BatchReplay::finished, &loop, [&](const BatchSummary &result) {
        summary = result;
        loop.quit();
    });
    QObject::connect(
        &replay, &BatchReplay::started, &loop,
        [&](const QString &runId, qint64 total, qint64 skipped) {
            if (!asJson)
                err(u"run %1: %2 interactions%3\n"_s.arg(shown(runId.toStdString()))
                        .arg(total)
                        .arg(skipped ? u", %1 replayed before"_s.arg(skipped) : QString()));
        });
    QObject::connect(&replay, &BatchReplay::itemFinished, &loop, [&](const BatchItem &item) {
        if (asJson) {
            items.push_back(outcomeJson(item.outcome, setup.threshold));
            return;
        }
        if (item.outcome.ok() && !item.changed)
            return;
        if (terminal)
            err(u"\r\033[K"_s);
        if (item.outcome.ok())
            out(u"changed  %1 -> %2  similarity %3\n"_s.arg(shown(item.originalId),
                                                            shown(item.outcome.replayId),
                                                            score(item.outcome.similarity())));
        else if (item.outcome.failure != FailureKind::Cancelled)
            out(u"failed   %1: %2\n"_s.arg(shown(item.originalId), item.outcome.errorText()));
    });
    if (terminal && !asJson)
        QObject::connect(&replay, &BatchReplay::progress, &loop, [&](qint64 done, qint64 total) {
            err(u"\r\033[K%1/%2 (%3%)"_s.arg(done).arg(total).arg(total ? 100 * done / total
                                                                        : 100));
        });
    const Interruption interruption; // Ctrl-C once: finish the calls under way; twice: cancel
    QTimer poll;
    int handled = 0;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        const int interrupts = Interruption::count();
        if (interrupts == handled)
            return;
        handled = interrupts;
        if (interrupts == 1) {
            if (!asJson)
                err(u"\nstopping: the replays under way finish (Ctrl+C again cancels them)\n"_s);
            replay.stop();
        } else {
            replay.cancel();
        }
    });
    poll.start(50);
    replay.start();
    loop.exec();
    if (terminal && !asJson)
        err(u"\r\033[K"_s);
    if (summary.error) {
        err(u"llmaudit replay: %1\n"_s.arg(summary.error->toString()));
        return Failed;
    }
    if (asJson) {
        json result = {{"run_id", summary.runId},           {"total", summary.total},
                       {"skipped", summary.skipped},        {"replayed", summary.replayed},
                       {"failed", summary.failed},          {"cancelled", summary.cancelled},
                       {"not_started", summary.notStarted}, {"changed", summary.changed},
                       {"threshold", summary.threshold},    {"stopped", summary.stopped},
                       {"elapsed_ms", summary.elapsedMs},   {"items", items}};
        if (summary.minSimilarity)
            result["min_similarity"] = *summary.minSimilarity;
        printJson(result);
    } else {
        out(u"run %1: %2 interactions — %3 replayed, %4 failed, %5 changed (similarity below "
            "%6), %7 replayed before%8\n"_s.arg(shown(summary.runId))
                .arg(summary.total)
                .arg(summary.replayed)
                .arg(summary.failed)
                .arg(summary.changed)
                .arg(setup.threshold)
                .arg(summary.skipped)
                .arg(summary.stopped
                         ? u"; stopped with %1 not replayed: 'llmaudit replay --ids-from ... "
                           "--resume %2' continues"_s.arg(summary.notStarted + summary.cancelled)
                               .arg(shown(summary.runId))
                         : QString()));
    }
    if (summary.stopped)
        return Interrupted;
    return summary.failed > 0 || summary.changed > 0 ? Failed : Ok;
}

} // namespace llmaudit::cli
