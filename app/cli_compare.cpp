// llmaudit diff: two stored interactions side by side in numbers, then their responses' diff.

#include "clicommon.h"
#include "comparison.h"

#include <unistd.h>

namespace llmaudit::cli {

namespace {

using nlohmann::json;

struct Colours
{
    bool on = false;
    QString deleted() const { return on ? QStringLiteral("\033[31m") : QString(); }
    QString inserted() const { return on ? QStringLiteral("\033[32m") : QString(); }
    QString hunk() const { return on ? QStringLiteral("\033[36m") : QString(); }
    QString bold() const { return on ? QStringLiteral("\033[1m") : QString(); }
    QString reset() const { return on ? QStringLiteral("\033[0m") : QString(); }
};

// Log text for one line of a terminal.
QString shown(std::string_view text)
{
    return QString::fromStdString(visible(text));
}

QString shortened(const QString &text, int width)
{
    return text.size() <= width ? text : text.left(width - 1) + u'…';
}

QString number(std::optional<int64_t> value)
{
    return value ? QString::number(*value) : QStringLiteral("-");
}

QString signedNumber(std::optional<int64_t> value)
{
    if (!value)
        return QString();
    return *value > 0 ? QStringLiteral("+%1").arg(*value) : QString::number(*value);
}

QString score(std::optional<double> value)
{
    return value ? QString::number(*value, 'f', 3) : QStringLiteral("n/a");
}

QString scoreLine(const TextScores &s)
{
    if (s.exactMatch)
        return QStringLiteral("identical");
    return QStringLiteral("differ: edit similarity %1, token Jaccard %2, ROUGE-L F1 %3")
        .arg(score(s.editSimilarity), score(s.tokenJaccard), score(s.rougeL));
}

QString table(const Comparison &c)
{
    struct Row
    {
        QString name, a, b, change;
    };
    auto changed = [](bool yes) { return yes ? QStringLiteral("changed") : QString(); };
    const std::vector<Row> rows{
        {QStringLiteral("interaction"), shown(c.a.interactionId), shown(c.b.interactionId), {}},
        {QStringLiteral("model"), shown(c.a.model), shown(c.b.model), changed(c.modelChanged)},
        {QStringLiteral("finish reason"), shown(c.a.finishReason), shown(c.b.finishReason),
         changed(c.finishReasonChanged)},
        {QStringLiteral("prompt tokens"), number(c.a.promptTokens), number(c.b.promptTokens),
         signedNumber(c.promptTokensDelta)},
        {QStringLiteral("completion tokens"), number(c.a.completionTokens),
         number(c.b.completionTokens), signedNumber(c.completionTokensDelta)},
        {QStringLiteral("total tokens"), number(c.a.totalTokens), number(c.b.totalTokens),
         signedNumber(c.totalTokensDelta)},
        {QStringLiteral("latency ms"), number(c.a.latencyMs), number(c.b.latencyMs),
         signedNumber(c.latencyMsDelta)},
        {QStringLiteral("response chars"), QString::number(c.response.charsA),
         QString::number(c.response.charsB), signedNumber(c.response.charDelta())},
        {QStringLiteral("response tokens"), QString::number(c.response.tokensA),
         QString::number(c.response.tokensB), signedNumber(c.response.tokenDelta())},
    };
    constexpr int MaxWidth = 36;
    qsizetype widthA = 1;
    qsizetype widthB = 1;
    for (const Row &row : rows) {
        widthA = std::max(widthA, std::min<qsizetype>(row.a.size(), MaxWidth));
        widthB = std::max(widthB, std::min<qsizetype>(row.b.size(), MaxWidth));
    }
    QString text = QStringLiteral("%1  %2  %3  %4\n")
                       .arg(QString().leftJustified(18), QStringLiteral("A").leftJustified(widthA),
                            QStringLiteral("B").leftJustified(widthB), QStringLiteral("B - A"));
    for (const Row &row : rows)
        text +=
            QStringLiteral("%1  %2  %3  %4")
                .arg(row.name.leftJustified(18), shortened(row.a, MaxWidth).leftJustified(widthA),
                     shortened(row.b, MaxWidth).leftJustified(widthB), row.change)
                .trimmed() +
            u'\n';
    text += QStringLiteral("\nresponse       %1\n").arg(scoreLine(c.response));
    text += QStringLiteral("prompt         %1\n").arg(scoreLine(c.prompt));
    text += QStringLiteral("system prompt  %1\n").arg(scoreLine(c.systemPrompt));
    for (const auto &limit : c.limits)
        text += QStringLiteral("note: %1\n").arg(QString::fromStdString(limit));
    return text;
}

// The line diff in the unified format, with `context` equal lines around each change.
QString unifiedDiff(const Comparison &c, int context, const Colours &colours)
{
    struct Line
    {
        DiffOp op;
        std::string_view text; // without "\n"
        bool newline;
    };
    std::vector<Line> lines;
    for (const auto &segment : c.responseDiff.lineSegments) {
        std::string_view rest = segment.text;
        while (!rest.empty()) {
            const size_t end = rest.find('\n');
            if (end == std::string_view::npos) {
                lines.push_back({segment.op, rest, false});
                break;
            }
            lines.push_back({segment.op, rest.substr(0, end), true});
            rest.remove_prefix(end + 1);
        }
    }
    QString text = QStringLiteral("%1--- %2%3\n%4+++ %5%6\n")
                       .arg(colours.bold(), shown(c.a.interactionId), colours.reset(),
                            colours.bold(), shown(c.b.interactionId), colours.reset());
    // Which lines to print: the changed ones and their context.
    const auto count = static_cast<int>(lines.size());
    std::vector<bool> wanted(lines.size(), false);
    for (int i = 0; i < count; ++i)
        if (lines[size_t(i)].op != DiffOp::Equal)
            for (int k = std::max(0, i - context); k <= std::min(count - 1, i + context); ++k)
                wanted[size_t(k)] = true;
    int i = 0;
    int lineA = 1;
    int lineB = 1;
    while (i < count) {
        if (!wanted[size_t(i)]) {
            lineA += lines[size_t(i)].op != DiffOp::Insert;
            lineB += lines[size_t(i)].op != DiffOp::Delete;
            ++i;
            continue;
        }
        int end = i;
        int sizeA = 0;
        int sizeB = 0;
        while (end < count && wanted[size_t(end)]) {
            sizeA += lines[size_t(end)].op != DiffOp::Insert;
            sizeB += lines[size_t(end)].op != DiffOp::Delete;
            ++end;
        }
        // As diff -u: an empty side is numbered by the line before it.
        text += QStringLiteral("%1@@ -%2,%3 +%4,%5 @@%6\n")
                    .arg(colours.hunk())
                    .arg(sizeA ? lineA : lineA - 1)
                    .arg(sizeA)
                    .arg(sizeB ? lineB : lineB - 1)
                    .arg(sizeB)
                    .arg(colours.reset());
        for (; i < end; ++i) {
            const Line &line = lines[size_t(i)];
            switch (line.op) {
            case DiffOp::Equal:
                text += u' ' + shown(line.text) + u'\n';
                break;
            case DiffOp::Delete:
                text += colours.deleted() + u'-' + shown(line.text) + colours.reset() + u'\n';
                break;
            case DiffOp::Insert:
                text += colours.inserted() + u'+' + shown(line.text) + colours.reset() + u'\n';
                break;
            }
            if (!line.newline)
                text += QStringLiteral("\\ No newline at end of text\n");
            lineA += line.op != DiffOp::Insert;
            lineB += line.op != DiffOp::Delete;
        }
    }
    return text;
}

// The whole response with the changed words marked: [-deleted-] and {+inserted+}, or in colour.
QString wordDiff(const Comparison &c, const Colours &colours)
{
    QString text = QStringLiteral("%1--- %2%3\n%4+++ %5%6\n")
                       .arg(colours.bold(), shown(c.a.interactionId), colours.reset(),
                            colours.bold(), shown(c.b.interactionId), colours.reset());
    for (const auto &segment : c.responseDiff.wordSegments) {
        QString open;
        QString close;
        if (segment.op == DiffOp::Delete) {
            open = colours.on ? colours.deleted() : QStringLiteral("[-");
            close = colours.on ? colours.reset() : QStringLiteral("-]");
        } else if (segment.op == DiffOp::Insert) {
            open = colours.on ? colours.inserted() : QStringLiteral("{+");
            close = colours.on ? colours.reset() : QStringLiteral("+}");
        }
        // Newlines stay newlines; everything else goes through visible().
        std::string_view rest = segment.text;
        text += open;
        for (;;) {
            const size_t end = rest.find('\n');
            text += shown(rest.substr(0, end));
            if (end == std::string_view::npos)
                break;
            text += u'\n';
            rest.remove_prefix(end + 1);
        }
        text += close;
    }
    if (!text.endsWith(u'\n'))
        text += u'\n';
    return text;
}

} // namespace

QString comparisonText(const Comparison &comparison, bool words, int context, bool colour)
{
    const Colours colours{colour};
    QString text = table(comparison) + u'\n';
    if (comparison.response.exactMatch)
        text += QStringLiteral("The responses are identical.\n");
    else
        text += words ? wordDiff(comparison, colours) : unifiedDiff(comparison, context, colours);
    return text;
}

int runDiff(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("diff"), description, args);
    command.addStoreOption();
    command.addJsonOption(
        QStringLiteral("Print one JSON object: both interactions, the scores, the deltas and the "
                       "diff's segments."));
    command.parser.addOption(
        {QStringLiteral("words"), QStringLiteral("Diff the responses word by word.")});
    command.parser.addOption(
        {QStringLiteral("lines"), QStringLiteral("Diff the responses line by line (default).")});
    command.parser.addOption({QStringLiteral("context"),
                              QStringLiteral("Unchanged lines shown around each change (default "
                                             "3)."),
                              QStringLiteral("N"), QStringLiteral("3")});
    command.parser.addPositionalArgument(QStringLiteral("ID_A"),
                                         QStringLiteral("The original interaction's id."));
    command.parser.addPositionalArgument(
        QStringLiteral("ID_B"), QStringLiteral("The interaction to compare with it (a replay)."));
    if (auto stop = command.parse())
        return *stop;
    const QStringList ids = command.parser.positionalArguments();
    if (ids.size() != 2)
        return usageError(
            command.name,
            QStringLiteral("two interaction ids are needed, %1 given").arg(ids.size()));
    const bool words = command.parser.isSet(QStringLiteral("words"));
    if (words && command.parser.isSet(QStringLiteral("lines")))
        return usageError(command.name, QStringLiteral("--words and --lines exclude each other"));
    bool contextOk = false;
    const int context = command.parser.value(QStringLiteral("context")).toInt(&contextOk);
    if (!contextOk || context < 0)
        return usageError(command.name, QStringLiteral("--context needs a number of lines"));

    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    std::string documents[2];
    for (int k = 0; k < 2; ++k) {
        auto found = store->interaction(ids[k].toStdString());
        if (!found) {
            err(QStringLiteral("llmaudit diff: %1\n").arg(found.error().toString()));
            return Failed;
        }
        if (!found->has_value()) {
            err(QStringLiteral("llmaudit diff: no interaction '%1' in %2\n")
                    .arg(shown(ids[k].toStdString()), store->location()));
            return Failed;
        }
        documents[k] = std::move((*found)->document);
    }
    auto comparison = compareDocuments(documents[0], documents[1]);
    if (!comparison) {
        err(QStringLiteral("llmaudit diff: %1\n").arg(comparison.error().toString()));
        return Failed;
    }
    const DiffMode mode = words ? DiffMode::Words : DiffMode::Lines;
    if (command.parser.isSet(QStringLiteral("json"))) {
        printJson(toJson(*comparison, mode));
        return Ok;
    }
    out(comparisonText(*comparison, words, context,
                       isatty(STDOUT_FILENO) && qEnvironmentVariableIsEmpty("NO_COLOR")));
    return Ok;
}

} // namespace llmaudit::cli
