#include "comparison.h"

#include "logcodec.h"

#include <QChar>

#include <dtl/dtl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace llmaudit {

namespace {

using nlohmann::json;

// A decoded code point and the bytes it came from. Written here rather than with
// QStringDecoder because the diff must cut the original bytes (invalid ones included) exactly
// where tokens end, and Qt's decoders do not report byte offsets.
struct CodePoint
{
    char32_t value;
    size_t offset;
    size_t size;
};

std::vector<CodePoint> decodeUtf8(std::string_view text)
{
    std::vector<CodePoint> out;
    out.reserve(text.size());
    const auto *bytes = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const unsigned char c = bytes[i];
        size_t length = 0;
        char32_t value = 0;
        char32_t minimum = 0;
        if (c < 0x80) {
            out.push_back({c, i, 1});
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            length = 2, value = c & 0x1F, minimum = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3, value = c & 0x0F, minimum = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4, value = c & 0x07, minimum = 0x10000;
        }
        bool valid = length > 0 && i + length <= n;
        for (size_t k = 1; valid && k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80)
                valid = false;
            else
                value = (value << 6) | (bytes[i + k] & 0x3F);
        }
        valid =
            valid && value >= minimum && value <= 0x10FFFF && (value < 0xD800 || value > 0xDFFF);
        if (!valid) {
            out.push_back({0xFFFD, i, 1});
            ++i;
            continue;
        }
        out.push_back({value, i, length});
        i += length;
    }
    return out;
}

void appendUtf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

bool isSpace(char32_t c)
{
    if ((c >= 0x09 && c <= 0x0D) || c == 0x85)
        return true;
    switch (QChar::category(c)) {
    case QChar::Separator_Space:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
        return true;
    default:
        return false;
    }
}

bool isMark(char32_t c)
{
    const auto category = QChar::category(c);
    return category == QChar::Mark_NonSpacing || category == QChar::Mark_SpacingCombining ||
           category == QChar::Mark_Enclosing;
}

bool isIdeograph(char32_t c)
{
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF66 && c <= 0xFF9F) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}

bool isWordChar(char32_t c)
{
    if (isIdeograph(c))
        return false;
    switch (QChar::category(c)) {
    case QChar::Letter_Uppercase:
    case QChar::Letter_Lowercase:
    case QChar::Letter_Titlecase:
    case QChar::Letter_Modifier:
    case QChar::Letter_Other:
    case QChar::Number_DecimalDigit:
    case QChar::Number_Letter:
    case QChar::Number_Other:
    case QChar::Mark_NonSpacing:
    case QChar::Mark_SpacingCombining:
    case QChar::Mark_Enclosing:
    case QChar::Punctuation_Connector:
        return true;
    default:
        return false;
    }
}

constexpr char32_t ZeroWidthJoiner = 0x200D;

bool isRegionalIndicator(char32_t c)
{
    return c >= 0x1F1E6 && c <= 0x1F1FF;
}

bool isExtender(char32_t c)
{
    return c == ZeroWidthJoiner || isMark(c) || (c >= 0x1F3FB && c <= 0x1F3FF) ||
           (c >= 0xE0020 && c <= 0xE007F);
}

// Token boundaries as [begin, end) indexes into the code points.
template<class Visit>
void forEachToken(const std::vector<CodePoint> &cps, bool keepSpace, Visit visit)
{
    const size_t n = cps.size();
    size_t i = 0;
    while (i < n) {
        const char32_t c = cps[i].value;
        if (isSpace(c)) {
            size_t j = i + 1;
            if (c != U'\n')
                while (j < n && cps[j].value != U'\n' && isSpace(cps[j].value))
                    ++j;
            if (keepSpace)
                visit(i, j);
            i = j;
            continue;
        }
        const bool word = isWordChar(c);
        size_t j = i + 1;
        if (isRegionalIndicator(c) && j < n && isRegionalIndicator(cps[j].value))
            ++j;
        for (;;) {
            if (j < n && isExtender(cps[j].value)) {
                const bool joiner = cps[j].value == ZeroWidthJoiner;
                ++j;
                if (joiner && j < n && !isSpace(cps[j].value))
                    ++j;
                continue;
            }
            if (word && j < n && isWordChar(cps[j].value)) {
                ++j;
                continue;
            }
            break;
        }
        visit(i, j);
        i = j;
    }
}

std::u32string folded(const std::vector<CodePoint> &cps, size_t begin, size_t end)
{
    std::u32string token;
    token.reserve(end - begin);
    for (size_t k = begin; k < end; ++k)
        token += QChar::toCaseFolded(cps[k].value);
    return token;
}

std::vector<std::u32string> foldedTokens(const std::vector<CodePoint> &cps)
{
    std::vector<std::u32string> tokens;
    forEachToken(cps, false,
                 [&](size_t begin, size_t end) { tokens.push_back(folded(cps, begin, end)); });
    return tokens;
}

std::string overLimit(std::string_view step, int64_t n, int64_t m, std::string_view unit,
                      const ComparisonLimits &limits)
{
    return std::string(step) + " not computed: " + std::to_string(n) + " x " + std::to_string(m) +
           " " + std::string(unit) + " exceed the limit of " + std::to_string(limits.maxCells) +
           " cells";
}

// The common prefix and suffix of two sequences, which the quadratic steps set aside.
template<class Sequence>
std::pair<size_t, size_t> commonEnds(const Sequence &a, const Sequence &b)
{
    const size_t shorter = std::min(a.size(), b.size());
    size_t prefix = 0;
    while (prefix < shorter && a[prefix] == b[prefix])
        ++prefix;
    size_t suffix = 0;
    while (suffix < shorter - prefix && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
        ++suffix;
    return {prefix, suffix};
}

bool withinLimits(size_t n, size_t m, const ComparisonLimits &limits)
{
    return n == 0 || m == 0 ||
           static_cast<double>(n) * static_cast<double>(m) <= double(limits.maxCells);
}

// Levenshtein distance by the textbook dynamic programme, one row of the shorter side kept
// (O(min(n, m)) memory). Hand-written: dtl computes insert/delete distances only, and no
// Debian package offers Levenshtein for C++.
std::optional<int64_t> levenshtein(const std::u32string &a, const std::u32string &b,
                                   const ComparisonLimits &limits)
{
    const auto [prefix, suffix] = commonEnds(a, b);
    std::u32string_view x(a.data() + prefix, a.size() - prefix - suffix);
    std::u32string_view y(b.data() + prefix, b.size() - prefix - suffix);
    if (x.size() > y.size())
        std::swap(x, y);
    if (x.empty())
        return static_cast<int64_t>(y.size());
    if (!withinLimits(x.size(), y.size(), limits))
        return std::nullopt;
    std::vector<uint32_t> row(x.size() + 1);
    for (size_t i = 0; i <= x.size(); ++i)
        row[i] = static_cast<uint32_t>(i);
    for (size_t j = 1; j <= y.size(); ++j) {
        uint32_t diagonal = row[0];
        row[0] = static_cast<uint32_t>(j);
        const char32_t cy = y[j - 1];
        for (size_t i = 1; i <= x.size(); ++i) {
            const uint32_t above = row[i];
            const uint32_t cost = diagonal + (x[i - 1] == cy ? 0 : 1);
            row[i] = std::min({cost, above + 1, row[i - 1] + 1});
            diagonal = above;
        }
    }
    return static_cast<int64_t>(row[x.size()]);
}

// Interns tokens as small integers, so that dtl compares numbers and copies little.
template<class Key>
class Interner
{
public:
    uint32_t id(const Key &key)
    {
        auto [it, inserted] = m_ids.try_emplace(key, static_cast<uint32_t>(m_ids.size()));
        return it->second;
    }

private:
    std::unordered_map<Key, uint32_t> m_ids;
};

// The length of the longest common subsequence, from dtl's shortest insert/delete script:
// LCS = (n + m - D) / 2. dtl's edit-distance-only mode keeps no path, so it is exact and needs
// O(n + m) memory.
std::optional<int64_t> lcsLength(const std::vector<uint32_t> &a, const std::vector<uint32_t> &b,
                                 const ComparisonLimits &limits)
{
    const auto [prefix, suffix] = commonEnds(a, b);
    const std::vector<uint32_t> x(a.begin() + long(prefix), a.end() - long(suffix));
    const std::vector<uint32_t> y(b.begin() + long(prefix), b.end() - long(suffix));
    const auto common = static_cast<int64_t>(prefix + suffix);
    if (x.empty() || y.empty())
        return common;
    if (!withinLimits(x.size(), y.size(), limits))
        return std::nullopt;
    dtl::Diff<uint32_t> diff(x, y);
    diff.onOnlyEditDistance();
    diff.compose();
    const auto total = static_cast<int64_t>(x.size() + y.size());
    return common + (total - diff.getEditDistance()) / 2;
}

// The shortest edit script of two id sequences, as (op, index into a or b) steps. dtl gives
// up minimality on very large inputs (its path store is capped) but the script stays valid.
struct Step
{
    DiffOp op;
    size_t index; // into a for Equal and Delete, into b for Insert
};

std::vector<Step> editScript(const std::vector<uint32_t> &a, const std::vector<uint32_t> &b)
{
    std::vector<Step> steps;
    const auto [prefix, suffix] = commonEnds(a, b);
    for (size_t i = 0; i < prefix; ++i)
        steps.push_back({DiffOp::Equal, i});
    const std::vector<uint32_t> x(a.begin() + long(prefix), a.end() - long(suffix));
    const std::vector<uint32_t> y(b.begin() + long(prefix), b.end() - long(suffix));
    if (x.empty() || y.empty()) {
        for (size_t i = 0; i < x.size(); ++i)
            steps.push_back({DiffOp::Delete, prefix + i});
        for (size_t j = 0; j < y.size(); ++j)
            steps.push_back({DiffOp::Insert, prefix + j});
    } else {
        dtl::Diff<uint32_t> diff(x, y);
        diff.compose();
        size_t i = prefix;
        size_t j = prefix;
        for (const auto &[value, info] : diff.getSes().getSequence()) {
            (void)value;
            if (info.type == dtl::SES_COMMON) {
                steps.push_back({DiffOp::Equal, i++});
                ++j;
            } else if (info.type == dtl::SES_DELETE) {
                steps.push_back({DiffOp::Delete, i++});
            } else {
                steps.push_back({DiffOp::Insert, j++});
            }
        }
    }
    for (size_t k = 0; k < suffix; ++k)
        steps.push_back({DiffOp::Equal, a.size() - suffix + k});
    return steps;
}

// Appends to a segment list, merging with the last piece when it has the same op.
void append(std::vector<DiffSegment> &segments, DiffOp op, std::string_view text)
{
    if (text.empty())
        return;
    if (!segments.empty() && segments.back().op == op)
        segments.back().text += text;
    else
        segments.push_back({op, std::string(text)});
}

std::vector<std::string_view> splitLines(std::string_view text)
{
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
        const size_t end = text.find('\n', start);
        const size_t next = end == std::string_view::npos ? text.size() : end + 1;
        lines.push_back(text.substr(start, next - start));
        start = next;
    }
    return lines;
}

std::string_view withoutNewline(std::string_view line)
{
    return line.ends_with('\n') ? line.substr(0, line.size() - 1) : line;
}

// Builds the rows, segments and changes of a TextDiff from line blocks.
class DiffBuilder
{
public:
    DiffBuilder(TextDiff &diff, const ComparisonLimits &limits)
        : m_diff(diff)
        , m_limits(limits)
    {}

    void equalLine(std::string_view line)
    {
        append(m_diff.lineSegments, DiffOp::Equal, line);
        append(m_diff.wordSegments, DiffOp::Equal, line);
        DiffRow row;
        row.left.number = ++m_lineA;
        row.right.number = ++m_lineB;
        append(row.left.segments, DiffOp::Equal, withoutNewline(line));
        row.right.segments = row.left.segments;
        m_diff.rows.push_back(std::move(row));
    }

    // A run of deleted lines of A facing a run of inserted lines of B: the lines are paired
    // up (see pairLines), a pair shares a row and is compared word by word, and a line left
    // over faces a filler line.
    void changedLines(const std::vector<std::string_view> &deleted,
                      const std::vector<std::string_view> &inserted)
    {
        if (deleted.empty() && inserted.empty())
            return;
        for (auto line : deleted)
            append(m_diff.lineSegments, DiffOp::Delete, line);
        for (auto line : inserted)
            append(m_diff.lineSegments, DiffOp::Insert, line);
        m_diff.linesDeleted += static_cast<int64_t>(deleted.size());
        m_diff.linesInserted += static_cast<int64_t>(inserted.size());
        m_diff.changes.push_back({static_cast<int>(m_diff.rows.size()), 0});

        size_t i = 0;
        size_t j = 0;
        for (const auto &[oldLine, newLine] : pairLines(deleted, inserted)) {
            for (; i < oldLine; ++i)
                wordRow(deleted[i], {});
            for (; j < newLine; ++j)
                wordRow({}, inserted[j]);
            if (i < deleted.size() && j < inserted.size())
                wordRow(deleted[i++], inserted[j++]);
        }
        m_diff.changes.back().rowCount =
            static_cast<int>(m_diff.rows.size()) - m_diff.changes.back().firstRow;
    }

private:
    // Which deleted line faces which inserted line: the order-keeping pairing with the largest
    // sum of similarities (token Dice coefficient, plus a little so that even unlike lines pair
    // up rather than stack), by dynamic programming over the d x i pairs. A line edited after a
    // line inserted then faces its old self, not the new line. Over the limits: by index.
    // Returns the pairs as (deleted index, inserted index) in order, ending with (d, i).
    std::vector<std::pair<size_t, size_t>> pairLines(const std::vector<std::string_view> &deleted,
                                                     const std::vector<std::string_view> &inserted)
    {
        const size_t d = deleted.size();
        const size_t n = inserted.size();
        std::vector<std::pair<size_t, size_t>> pairs;
        std::vector<std::vector<uint32_t>> oldBags(d);
        std::vector<std::vector<uint32_t>> newBags(n);
        Interner<std::string_view> interner;
        int64_t oldTokens = 0;
        int64_t newTokens = 0;
        auto bag = [&](std::string_view line, int64_t &count) {
            std::vector<uint32_t> ids;
            for (auto token : tokenize(line))
                ids.push_back(interner.id(token));
            std::sort(ids.begin(), ids.end());
            count += static_cast<int64_t>(ids.size());
            return ids;
        };
        const bool small = d > 0 && n > 0 && d * n <= 40'000;
        if (small) {
            for (size_t k = 0; k < d; ++k)
                oldBags[k] = bag(deleted[k], oldTokens);
            for (size_t k = 0; k < n; ++k)
                newBags[k] = bag(inserted[k], newTokens);
        }
        const double work = double(oldTokens) * double(n) + double(newTokens) * double(d);
        if (!small || work > double(m_limits.maxCells) / 10) {
            for (size_t k = 0; k < std::min(d, n); ++k)
                pairs.emplace_back(k, k);
            pairs.emplace_back(d, n);
            return pairs;
        }
        auto similarity = [&](size_t a, size_t b) {
            const auto &x = oldBags[a];
            const auto &y = newBags[b];
            if (x.empty() && y.empty())
                return withoutNewline(deleted[a]) == withoutNewline(inserted[b]) ? 1.0 : 0.5;
            size_t shared = 0;
            for (size_t p = 0, q = 0; p < x.size() && q < y.size();) {
                if (x[p] == y[q])
                    ++shared, ++p, ++q;
                else if (x[p] < y[q])
                    ++p;
                else
                    ++q;
            }
            return 2.0 * double(shared) / double(x.size() + y.size());
        };
        // best[a][b]: the best sum for deleted[a..] and inserted[b..].
        std::vector<std::vector<double>> best(d + 1, std::vector<double>(n + 1, 0.0));
        for (size_t a = d; a-- > 0;)
            for (size_t b = n; b-- > 0;)
                best[a][b] = std::max(
                    {best[a + 1][b], best[a][b + 1], best[a + 1][b + 1] + 0.01 + similarity(a, b)});
        size_t a = 0;
        size_t b = 0;
        while (a < d && b < n) {
            const double paired = best[a + 1][b + 1] + 0.01 + similarity(a, b);
            if (best[a][b] == paired)
                pairs.emplace_back(a++, b++);
            else if (best[a][b] == best[a + 1][b])
                ++a;
            else
                ++b;
        }
        pairs.emplace_back(d, n);
        return pairs;
    }

    // One row of a change: a deleted line, an inserted line, or a pair compared word by word.
    void wordRow(std::string_view oldLine, std::string_view newLine)
    {
        DiffRow row;
        row.changed = true;
        if (!oldLine.empty())
            row.left.number = ++m_lineA;
        if (!newLine.empty())
            row.right.number = ++m_lineB;
        const auto oldTokens = tokenize(oldLine, true);
        const auto newTokens = tokenize(newLine, true);
        if (!oldLine.empty() && !newLine.empty() &&
            !withinLimits(oldTokens.size(), newTokens.size(), m_limits)) {
            m_diff.limits.push_back(overLimit(
                "word diff of lines " + std::to_string(m_lineA) + " and " + std::to_string(m_lineB),
                int64_t(oldTokens.size()), int64_t(newTokens.size()), "tokens", m_limits));
            append(m_diff.wordSegments, DiffOp::Delete, oldLine);
            append(m_diff.wordSegments, DiffOp::Insert, newLine);
            append(row.left.segments, DiffOp::Delete, withoutNewline(oldLine));
            append(row.right.segments, DiffOp::Insert, withoutNewline(newLine));
            m_diff.rows.push_back(std::move(row));
            return;
        }
        Interner<std::string_view> interner;
        std::vector<uint32_t> oldIds;
        std::vector<uint32_t> newIds;
        for (auto token : oldTokens)
            oldIds.push_back(interner.id(token));
        for (auto token : newTokens)
            newIds.push_back(interner.id(token));
        for (const Step &step : editScript(oldIds, newIds)) {
            const auto token =
                step.op == DiffOp::Insert ? newTokens[step.index] : oldTokens[step.index];
            append(m_diff.wordSegments, step.op, token);
            if (token == "\n")
                continue;
            if (step.op != DiffOp::Insert)
                append(row.left.segments, step.op, token);
            if (step.op != DiffOp::Delete)
                append(row.right.segments, step.op, token);
        }
        m_diff.rows.push_back(std::move(row));
    }

    TextDiff &m_diff;
    const ComparisonLimits &m_limits;
    int64_t m_lineA = 0;
    int64_t m_lineB = 0;
};

std::string joined(const std::vector<DiffSegment> &segments, DiffOp skip)
{
    std::string text;
    for (const auto &segment : segments)
        if (segment.op != skip)
            text += segment.text;
    return text;
}

std::optional<int64_t> delta(std::optional<int64_t> a, std::optional<int64_t> b)
{
    if (a && b)
        return *b - *a;
    return std::nullopt;
}

ComparedInteraction sideOf(const Interaction &record)
{
    return {record.interactionId,    record.timestamp,   record.model,
            record.finishReason,     record.replayOf,    record.promptTokens,
            record.completionTokens, record.totalTokens, record.latencyMs};
}

void appendLimits(std::vector<std::string> &to, const std::vector<std::string> &from,
                  std::string_view what)
{
    for (const auto &limit : from)
        to.push_back(std::string(what) + ": " + limit);
}

json optionalJson(const std::optional<int64_t> &value)
{
    return value ? json(*value) : json(nullptr);
}

json optionalJson(const std::optional<double> &value)
{
    return value ? json(*value) : json(nullptr);
}

} // namespace

std::string_view toString(DiffOp op)
{
    switch (op) {
    case DiffOp::Equal:
        return "equal";
    case DiffOp::Insert:
        return "insert";
    case DiffOp::Delete:
        return "delete";
    }
    return "equal";
}

std::string DiffLine::text() const
{
    std::string out;
    for (const auto &segment : segments)
        out += segment.text;
    return out;
}

std::string TextDiff::textA() const
{
    return joined(lineSegments, DiffOp::Insert);
}

std::string TextDiff::textB() const
{
    return joined(lineSegments, DiffOp::Delete);
}

std::vector<std::string_view> tokenize(std::string_view text, bool keepSpace)
{
    const auto cps = decodeUtf8(text);
    std::vector<std::string_view> tokens;
    forEachToken(cps, keepSpace, [&](size_t begin, size_t end) {
        const size_t from = cps[begin].offset;
        const size_t to = cps[end - 1].offset + cps[end - 1].size;
        tokens.push_back(text.substr(from, to - from));
    });
    return tokens;
}

std::vector<std::string> scoreTokens(std::string_view text)
{
    std::vector<std::string> tokens;
    for (const auto &token : foldedTokens(decodeUtf8(text))) {
        std::string utf8;
        for (char32_t c : token)
            appendUtf8(utf8, c);
        tokens.push_back(std::move(utf8));
    }
    return tokens;
}

TextScores scoreTexts(std::string_view a, std::string_view b, const ComparisonLimits &limits)
{
    TextScores scores;
    scores.exactMatch = a == b;
    const auto cpsA = decodeUtf8(a);
    const auto cpsB = decodeUtf8(b);
    scores.charsA = static_cast<int64_t>(cpsA.size());
    scores.charsB = static_cast<int64_t>(cpsB.size());

    std::u32string charsA;
    std::u32string charsB;
    for (const auto &cp : cpsA)
        charsA += cp.value;
    for (const auto &cp : cpsB)
        charsB += cp.value;
    const size_t longest = std::max(charsA.size(), charsB.size());
    if (longest == 0) {
        scores.editSimilarity = 1.0;
    } else if (auto distance = levenshtein(charsA, charsB, limits)) {
        scores.editSimilarity = 1.0 - double(*distance) / double(longest);
    } else {
        const auto [prefix, suffix] = commonEnds(charsA, charsB);
        scores.limits.push_back(
            overLimit("edit similarity", int64_t(charsA.size() - prefix - suffix),
                      int64_t(charsB.size() - prefix - suffix), "characters", limits));
    }

    Interner<std::u32string> interner;
    std::vector<uint32_t> idsA;
    std::vector<uint32_t> idsB;
    for (const auto &token : foldedTokens(cpsA))
        idsA.push_back(interner.id(token));
    for (const auto &token : foldedTokens(cpsB))
        idsB.push_back(interner.id(token));
    scores.tokensA = static_cast<int64_t>(idsA.size());
    scores.tokensB = static_cast<int64_t>(idsB.size());

    const std::unordered_set<uint32_t> setA(idsA.begin(), idsA.end());
    const std::unordered_set<uint32_t> setB(idsB.begin(), idsB.end());
    size_t shared = 0;
    for (uint32_t id : setA)
        shared += setB.contains(id);
    const size_t united = setA.size() + setB.size() - shared;
    scores.tokenJaccard = united == 0 ? 1.0 : double(shared) / double(united);

    const size_t total = idsA.size() + idsB.size();
    if (total == 0) {
        scores.rougeL = 1.0;
    } else if (auto lcs = lcsLength(idsA, idsB, limits)) {
        scores.rougeL = 2.0 * double(*lcs) / double(total);
    } else {
        const auto [prefix, suffix] = commonEnds(idsA, idsB);
        scores.limits.push_back(overLimit("ROUGE-L", int64_t(idsA.size() - prefix - suffix),
                                          int64_t(idsB.size() - prefix - suffix), "tokens",
                                          limits));
    }
    return scores;
}

TextDiff diffTexts(std::string_view a, std::string_view b, const ComparisonLimits &limits)
{
    TextDiff diff;
    const auto linesA = splitLines(a);
    const auto linesB = splitLines(b);
    Interner<std::string_view> interner;
    std::vector<uint32_t> idsA;
    std::vector<uint32_t> idsB;
    for (auto line : linesA)
        idsA.push_back(interner.id(line));
    for (auto line : linesB)
        idsB.push_back(interner.id(line));

    std::vector<Step> steps;
    const auto [prefix, suffix] = commonEnds(idsA, idsB);
    const size_t middleA = idsA.size() - prefix - suffix;
    const size_t middleB = idsB.size() - prefix - suffix;
    if (withinLimits(middleA, middleB, limits)) {
        steps = editScript(idsA, idsB);
    } else {
        // Too large to align: the middle becomes one change.
        diff.limits.push_back(
            overLimit("line diff", int64_t(middleA), int64_t(middleB), "lines", limits));
        for (size_t i = 0; i < prefix; ++i)
            steps.push_back({DiffOp::Equal, i});
        for (size_t i = 0; i < middleA; ++i)
            steps.push_back({DiffOp::Delete, prefix + i});
        for (size_t j = 0; j < middleB; ++j)
            steps.push_back({DiffOp::Insert, prefix + j});
        for (size_t k = 0; k < suffix; ++k)
            steps.push_back({DiffOp::Equal, idsA.size() - suffix + k});
    }

    DiffBuilder builder(diff, limits);
    std::vector<std::string_view> deleted;
    std::vector<std::string_view> inserted;
    for (const Step &step : steps) {
        switch (step.op) {
        case DiffOp::Equal:
            builder.changedLines(deleted, inserted);
            deleted.clear();
            inserted.clear();
            builder.equalLine(linesA[step.index]);
            break;
        case DiffOp::Delete:
            deleted.push_back(linesA[step.index]);
            break;
        case DiffOp::Insert:
            inserted.push_back(linesB[step.index]);
            break;
        }
    }
    builder.changedLines(deleted, inserted);
    return diff;
}

Comparison compareInteractions(const Interaction &a, const Interaction &b,
                               const ComparisonLimits &limits)
{
    Comparison comparison;
    comparison.a = sideOf(a);
    comparison.b = sideOf(b);
    comparison.response = scoreTexts(a.response, b.response, limits);
    comparison.prompt = scoreTexts(a.prompt, b.prompt, limits);
    comparison.systemPrompt = scoreTexts(a.systemPrompt, b.systemPrompt, limits);
    comparison.responseDiff = diffTexts(a.response, b.response, limits);
    comparison.modelChanged = a.model != b.model;
    comparison.finishReasonChanged = a.finishReason != b.finishReason;
    comparison.promptTokensDelta = delta(a.promptTokens, b.promptTokens);
    comparison.completionTokensDelta = delta(a.completionTokens, b.completionTokens);
    comparison.totalTokensDelta = delta(a.totalTokens, b.totalTokens);
    comparison.latencyMsDelta = delta(a.latencyMs, b.latencyMs);
    appendLimits(comparison.limits, comparison.response.limits, "response");
    appendLimits(comparison.limits, comparison.prompt.limits, "prompt");
    appendLimits(comparison.limits, comparison.systemPrompt.limits, "system prompt");
    appendLimits(comparison.limits, comparison.responseDiff.limits, "response");
    return comparison;
}

Result<Comparison> compareDocuments(std::string_view documentA, std::string_view documentB,
                                    const ComparisonLimits &limits)
{
    auto parse = [](std::string_view text) -> Result<Interaction> {
        json document = json::parse(text, nullptr, false);
        if (!document.is_object())
            return fail(QStringLiteral("a stored document is not a JSON object"));
        return interactionFromDocument(std::move(document));
    };
    auto a = parse(documentA);
    if (!a)
        return std::unexpected(a.error());
    auto b = parse(documentB);
    if (!b)
        return std::unexpected(b.error());
    return compareInteractions(*a, *b, limits);
}

void to_json(json &out, const DiffSegment &segment)
{
    out = {{"op", toString(segment.op)}, {"text", segment.text}};
}

void to_json(json &out, const TextScores &scores)
{
    out = {
        {"exact_match", scores.exactMatch},
        {"edit_similarity", optionalJson(scores.editSimilarity)},
        {"token_jaccard", scores.tokenJaccard},
        {"rouge_l_f1", optionalJson(scores.rougeL)},
        {"chars", {{"a", scores.charsA}, {"b", scores.charsB}, {"delta", scores.charDelta()}}},
        {"tokens", {{"a", scores.tokensA}, {"b", scores.tokensB}, {"delta", scores.tokenDelta()}}}};
}

void to_json(json &out, const ComparedInteraction &side)
{
    out = {{"interaction_id", side.interactionId},
           {"timestamp", side.timestamp},
           {"model", side.model},
           {"finish_reason", side.finishReason},
           {"replay_of", side.replayOf.empty() ? json(nullptr) : json(side.replayOf)},
           {"prompt_tokens", optionalJson(side.promptTokens)},
           {"completion_tokens", optionalJson(side.completionTokens)},
           {"total_tokens", optionalJson(side.totalTokens)},
           {"latency_ms", optionalJson(side.latencyMs)}};
}

json toJson(const Comparison &comparison, DiffMode segments)
{
    const TextDiff &diff = comparison.responseDiff;
    return {{"a", comparison.a},
            {"b", comparison.b},
            {"response", comparison.response},
            {"prompt", comparison.prompt},
            {"system_prompt", comparison.systemPrompt},
            {"model_changed", comparison.modelChanged},
            {"finish_reason_changed", comparison.finishReasonChanged},
            {"deltas",
             {{"prompt_tokens", optionalJson(comparison.promptTokensDelta)},
              {"completion_tokens", optionalJson(comparison.completionTokensDelta)},
              {"total_tokens", optionalJson(comparison.totalTokensDelta)},
              {"latency_ms", optionalJson(comparison.latencyMsDelta)}}},
            {"diff",
             {{"mode", segments == DiffMode::Lines ? "lines" : "words"},
              {"lines_deleted", diff.linesDeleted},
              {"lines_inserted", diff.linesInserted},
              {"changes", diff.changes.size()},
              {"segments", diff.segments(segments)}}},
            {"limits", comparison.limits}};
}

void to_json(json &out, const Comparison &comparison)
{
    out = toJson(comparison, DiffMode::Words);
}

} // namespace llmaudit
