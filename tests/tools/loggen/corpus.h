#pragma once

// Plausible English for the generated traffic: prompts, answers and retrieved documents about
// compliance, contracts, invoices, security policies and code, built from word lists and
// sentence templates; plus the personal data and hostile payloads sprinkled into them.

#include "prng.h"

#include <string>
#include <string_view>
#include <vector>

namespace llmaudit::loggen {

enum class Domain { Compliance, Contracts, Invoices, Security, Code };
constexpr int DomainCount = 5;

std::string_view domainName(Domain domain);

// Texts of about `target` bytes (they end at a sentence boundary, so a little over or under).
std::string makePrompt(Rng &rng, Domain domain, std::size_t target);
std::string makeResponse(Rng &rng, Domain domain, std::size_t target);
// A refusal or safe-completion text, as a content filter or a cautious model writes it.
std::string makeRefusal(Rng &rng);
// Cuts a text at a word boundary near `size` bytes, as a model that ran out of tokens does.
std::string cutAtWord(std::string text, std::size_t size);

struct ContextDoc
{
    std::string content;
    std::string source;
    std::string title;
    int page = 0; // 0 when the source has no pages
    std::string section;
};
ContextDoc makeContextDoc(Rng &rng, Domain domain, std::size_t target);

int systemPromptCount();
std::string_view systemPrompt(int variant);
// The system prompt variant a session of this domain most likely uses.
int systemPromptFor(Rng &rng, Domain domain);

// A sentence holding personal data or a secret; `rule` is the name a scanner would report.
std::string makePiiSentence(Rng &rng, std::string &rule);

// A hostile payload (markup, script, terminal escapes, bidi overrides, odd Unicode, very long
// lines); `rule` is the name a scanner would report, empty when scanners miss it.
std::string makeHostilePayload(Rng &rng, std::string &rule);

// Inserts `insert` into `text` at a sentence boundary.
void insertAtSentence(Rng &rng, std::string &text, const std::string &insert);

std::string randomToken(Rng &rng, std::size_t length, std::string_view alphabet);
std::string hexToken(Rng &rng, std::size_t length);
std::string personName(Rng &rng);

} // namespace llmaudit::loggen
