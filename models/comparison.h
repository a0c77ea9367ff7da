#pragma once

// Compares two texts or two interactions (an original and its replay, or any two): a line and
// word diff laid out for a side-by-side view, and similarity scores. Plain values for the diff
// view, the CLI and reports; no Qt types in the interface.
//
// Tokens. The word diff and every token score split UTF-8 text the same way, over code points
// (an invalid byte counts as one U+FFFD):
//   - whitespace (U+0009-U+000D, U+0085, categories Zs, Zl, Zp) separates tokens; the diff keeps
//     each run of it as a token of its own, with every "\n" alone; the scores drop it;
//   - a word is a run of letters, numbers, marks and connector punctuation (categories L*, N*,
//     M*, Pc), except that each CJK ideograph or kana (U+3040-U+30FF, U+31F0-U+31FF,
//     U+3400-U+4DBF, U+4E00-U+9FFF, U+F900-U+FAFF, U+FF66-U+FF9F, U+20000-U+3FFFF) is a token
//     by itself, since those scripts put no spaces between words;
//   - every other code point (punctuation, symbols, emoji, controls) is a token by itself;
//   - extenders stay with the code point before them: marks (M*), emoji modifiers
//     (U+1F3FB-U+1F3FF), tag characters (U+E0020-U+E007F), and U+200D ZERO WIDTH JOINER together
//     with the code point after it; two regional indicators (U+1F1E6-U+1F1FF) make one flag.
// So "Don't panic!" is Don, ', t, panic, ! and "日本語です 👨‍👩‍👧" is 日, 本, 語, で, す and
// the family emoji as one token. The scores compare tokens case-folded code point by code point
// (Unicode simple case folding, as QChar::toCaseFolded does). tests/models/comparison_oracle.py is
// an independent implementation of these rules and of the scores below.
//
// Scores of two texts A and B (both empty: every score is 1):
//   - exact match: the bytes are equal;
//   - edit similarity: 1 - Levenshtein(A, B) / max(|A|, |B|) over code points, case and
//     whitespace included: how much of the text a reader sees change;
//   - token Jaccard: |set(A) ∩ set(B)| / |set(A) ∪ set(B)| over the folded tokens;
//   - ROUGE-L F1: 2 * LCS(A, B) / (|A| + |B|) over the folded token sequences (precision and
//     recall of the longest common subsequence, weighed equally).
// The Levenshtein and LCS steps and the diffs are quadratic at worst: after the common prefix
// and suffix are set aside, a step whose n * m exceeds ComparisonLimits::maxCells is not done.
// Its score is then absent (or the diff coarser) and `limits` says which step and why.

#include "interaction.h"
#include "result.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmaudit {

struct ComparisonLimits
{
    // At most this many cells (n * m) for one quadratic step: about half a second on one core.
    int64_t maxCells = 100'000'000;
};

// How a diff is shown or written: whole lines, or words within the changed lines.
enum class DiffMode { Lines, Words };

enum class DiffOp { Equal, Insert, Delete };
std::string_view toString(DiffOp op); // "equal", "insert", "delete"

struct DiffSegment
{
    DiffOp op = DiffOp::Equal;
    std::string text;

    bool operator==(const DiffSegment &) const = default;
};

// One line of one side of a side-by-side diff.
struct DiffLine
{
    int64_t number = 0; // 1-based line number in its text; 0 for a filler line (no line there)
    // The line's text without its "\n", in pieces: Equal and Delete on the left, Equal and
    // Insert on the right. In a changed line whose words were not compared, one piece.
    std::vector<DiffSegment> segments;

    bool isFiller() const { return number == 0; }
    std::string text() const;
};

struct DiffRow
{
    DiffLine left;  // a line of A (or a filler)
    DiffLine right; // a line of B (or a filler)
    bool changed = false;
};

// A run of changed rows: one place where the texts differ, for next/previous navigation.
struct DiffChange
{
    int firstRow = 0;
    int rowCount = 0;
};

struct TextDiff
{
    // The edit script twice: by whole lines (each with its "\n"), and by tokens and whitespace
    // within changed lines. Equal + Delete pieces give A back, Equal + Insert pieces give B.
    std::vector<DiffSegment> lineSegments;
    std::vector<DiffSegment> wordSegments;
    std::vector<DiffRow> rows; // A and B aligned line by line, filler lines where a side has none
    std::vector<DiffChange> changes;
    int64_t linesDeleted = 0;
    int64_t linesInserted = 0;
    std::vector<std::string> limits; // steps not done within ComparisonLimits, in words

    const std::vector<DiffSegment> &segments(DiffMode mode) const
    {
        return mode == DiffMode::Lines ? lineSegments : wordSegments;
    }
    std::string textA() const;
    std::string textB() const;
};

struct TextScores
{
    bool exactMatch = true;
    std::optional<double> editSimilarity; // absent when over the limits
    double tokenJaccard = 1;
    std::optional<double> rougeL; // F1; absent when over the limits
    int64_t charsA = 0;           // code points
    int64_t charsB = 0;
    int64_t tokensA = 0;
    int64_t tokensB = 0;
    std::vector<std::string> limits;

    int64_t charDelta() const { return charsB - charsA; }
    int64_t tokenDelta() const { return tokensB - tokensA; }
};

// What the comparison shows of each interaction.
struct ComparedInteraction
{
    std::string interactionId;
    std::string timestamp;
    std::string model;
    std::string finishReason;
    std::string replayOf;
    std::optional<int64_t> promptTokens;
    std::optional<int64_t> completionTokens;
    std::optional<int64_t> totalTokens;
    std::optional<int64_t> latencyMs;
};

struct Comparison
{
    ComparedInteraction a; // the original (left)
    ComparedInteraction b; // the replay or the other one (right)
    TextScores response;
    TextScores prompt;
    TextScores systemPrompt;
    TextDiff responseDiff;
    bool modelChanged = false;
    bool finishReasonChanged = false;
    // B - A, when both sides have the number.
    std::optional<int64_t> promptTokensDelta;
    std::optional<int64_t> completionTokensDelta;
    std::optional<int64_t> totalTokensDelta;
    std::optional<int64_t> latencyMsDelta;
    std::vector<std::string> limits; // of the scores and the diff together
};

// The tokenizer described above: byte ranges of `text`. With `keepSpace`, whitespace runs are
// tokens too (each "\n" alone) and the tokens put together give `text` back.
std::vector<std::string_view> tokenize(std::string_view text, bool keepSpace = false);

// The tokens the scores compare: tokenize() case-folded, as UTF-8.
std::vector<std::string> scoreTokens(std::string_view text);

TextScores scoreTexts(std::string_view a, std::string_view b, const ComparisonLimits &limits = {});
TextDiff diffTexts(std::string_view a, std::string_view b, const ComparisonLimits &limits = {});

Comparison compareInteractions(const Interaction &a, const Interaction &b,
                               const ComparisonLimits &limits = {});

// The same for two stored documents (StoredInteraction::document); fails on text that is not a
// JSON object.
Result<Comparison> compareDocuments(std::string_view documentA, std::string_view documentB,
                                    const ComparisonLimits &limits = {});

// JSON forms, for `llmaudit diff --json` and reports. A comparison's "diff" holds the
// segments of one mode (words unless told).
void to_json(nlohmann::json &json, const DiffSegment &segment);
void to_json(nlohmann::json &json, const TextScores &scores);
void to_json(nlohmann::json &json, const ComparedInteraction &side);
void to_json(nlohmann::json &json, const Comparison &comparison);
nlohmann::json toJson(const Comparison &comparison, DiffMode segments);

} // namespace llmaudit
