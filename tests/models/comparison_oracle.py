#!/usr/bin/python3
"""An independent oracle for the comparison scores of models/comparison.h.

Written from the definitions in that header's comment, not from the C++ code: the tokenizer
over unicodedata categories, then plain dynamic programming for Levenshtein and the longest
common subsequence, and sets for Jaccard.

    comparison_oracle.py --count N --seed S   generate N text pairs and print one JSON object a
                                              line: the texts, their folded tokens and scores
"""

import argparse
import json
import random
import sys
import unicodedata

ZWJ = "\u200d"


def is_space(c):
    return c in "\t\n\v\f\r\x85" or unicodedata.category(c) in ("Zs", "Zl", "Zp")


def is_ideograph(c):
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0x3400 <= o <= 0x4DBF
            or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F
            or 0x20000 <= o <= 0x3FFFF)


def is_word(c):
    return not is_ideograph(c) and unicodedata.category(c)[0] in "LNM" or \
        unicodedata.category(c) == "Pc"


def is_regional_indicator(c):
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def is_extender(c):
    o = ord(c)
    return c == ZWJ or unicodedata.category(c)[0] == "M" or 0x1F3FB <= o <= 0x1F3FF \
        or 0xE0020 <= o <= 0xE007F


def tokenize(text):
    """The tokens of the header's rules, whitespace dropped."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if is_space(c):
            i += 1
            continue
        word = is_word(c)
        j = i + 1
        if is_regional_indicator(c) and j < n and is_regional_indicator(text[j]):
            j += 1
        while j < n:
            if is_extender(text[j]):
                joiner = text[j] == ZWJ
                j += 1
                if joiner and j < n and not is_space(text[j]):
                    j += 1
            elif word and is_word(text[j]):
                j += 1
            else:
                break
        tokens.append(text[i:j])
        i = j
    return tokens


def fold(c):
    """Unicode simple case folding of one code point, from Python's full folding: where the
    full folding is more than one code point, the simple one is the lower case when that is one
    code point, else the character itself (ẞ→ß, ß→ß, İ→İ)."""
    f = c.casefold()
    if len(f) == 1:
        return f
    lower = c.lower()
    return lower if len(lower) == 1 else c


def folded_tokens(text):
    return ["".join(fold(c) for c in token) for token in tokenize(text)]


def levenshtein(a, b):
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] != b[j - 1]))
        previous = current
    return previous[len(b)]


def lcs(a, b):
    previous = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                current[j] = previous[j - 1] + 1
            else:
                current[j] = max(previous[j], current[j - 1])
        previous = current
    return previous[len(b)]


def scores(a, b):
    ta, tb = folded_tokens(a), folded_tokens(b)
    longest = max(len(a), len(b))
    distance = levenshtein(a, b)
    sa, sb = set(ta), set(tb)
    union = sa | sb
    common = lcs(ta, tb)
    return {
        "a": a, "b": b,
        "tokens_a": ta, "tokens_b": tb,
        "exact_match": a == b,
        "levenshtein": distance,
        "edit_similarity": 1.0 if longest == 0 else 1.0 - distance / longest,
        "token_jaccard": 1.0 if not union else len(sa & sb) / len(union),
        "lcs": common,
        "rouge_l_f1": 1.0 if not ta and not tb else 2.0 * common / (len(ta) + len(tb)),
        "chars_a": len(a), "chars_b": len(b),
    }


# Pieces texts are made of: words in several scripts and cases, punctuation, digits, CJK,
# emoji sequences (ZWJ, skin tones, variation selectors, flags, keycaps, tag flags), combining
# marks, and whitespace of several kinds.
PIECES = [
    "the", "The", "THE", "model", "Model", "answer", "réponse", "Straße", "STRASSE", "ǅemal",
    "naïve", "nai\u0308ve", "ΑΘΗΝΑ", "αθηνα", "Москва", "москва", "שלום", "مرحبا", "42", "3.14",
    "x_1", "foo_bar", "don't", "e-mail", "!", "?", ",", ".", "...", "(", ")", "\"", "'", "«", "»",
    "#", "**bold**", "<b>", "</b>", "<img src=x onerror=alert(1)>", "&amp;", "`code`",
    "日本語", "です", "カタカナ", "中文", "한국어", "ｶﾀｶﾅ", "𠀋", "😀", "👍🏽", "👨\u200d👩\u200d👧",
    "❤\ufe0f", "🇩🇪", "🇫🇷🇬🇧", "1\ufe0f\u20e3", "🏴\U000e0067\U000e0062\U000e0073\U000e0063"
    "\U000e0074\U000e007f", "\u202eevil\u202c", "a\u200db", "\u0301x", "é", "e\u0301",
]
SPACES = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u3000", "\u00a0", "\r\n", ""]


def random_text(rng, words):
    parts = []
    for _ in range(words):
        parts.append(rng.choice(PIECES))
        parts.append(rng.choice(SPACES))
    return "".join(parts)


def mutate(rng, text):
    """Edits a text here and there, the way a replay's answer differs from the original."""
    chars = list(text)
    for _ in range(rng.randint(0, 6)):
        kind = rng.random()
        position = rng.randint(0, len(chars))
        if kind < 0.4:
            chars[position:position] = list(rng.choice(PIECES) + rng.choice(SPACES))
        elif kind < 0.7 and chars:
            del chars[position:position + rng.randint(1, 8)]
        elif chars:
            position = min(position, len(chars) - 1)
            chars[position] = rng.choice(chars)
    return "".join(chars)


def pairs(rng, count):
    yield "", ""
    yield "", "only B"
    yield "only A", ""
    yield "Same text.", "Same text."
    yield "alpha beta", "gamma delta"
    for _ in range(count):
        a = random_text(rng, rng.randint(0, 30))
        kind = rng.random()
        if kind < 0.6:
            b = mutate(rng, a)
        elif kind < 0.7:
            b = a.upper()
        elif kind < 0.8:
            b = a
        else:
            b = random_text(rng, rng.randint(0, 30))
        yield (a, b) if rng.random() < 0.5 else (b, a)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for a, b in pairs(rng, args.count):
        sys.stdout.write(json.dumps(scores(a, b), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
