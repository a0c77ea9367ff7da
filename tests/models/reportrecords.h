#pragma once

// The records the report tests share: hostile text (HTML, script, Markdown, spreadsheet
// formulas), a flagged pair, an interaction with its replay, and plain ones.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reportfixture {

inline nlohmann::json record(const std::string &id, const std::string &time,
                             const std::string &user, const std::string &session,
                             const std::string &model, const std::string &prompt,
                             const std::string &response, int latency, int promptTokens,
                             int completionTokens, const char *sensitivity, bool flagged,
                             const std::string &flagReason = {})
{
    nlohmann::json r = {{"interaction_id", id},
                        {"timestamp", time},
                        {"user_id", user},
                        {"session_id", session},
                        {"request",
                         {{"prompt", prompt},
                          {"system_prompt", "You are a careful assistant. <b>Never</b> run code."},
                          {"parameters", {{"model", model}, {"temperature", 0.2}}}}},
                        {"response",
                         {{"content", response},
                          {"model", model},
                          {"finish_reason", "stop"},
                          {"completion_tokens", completionTokens}}},
                        {"metrics",
                         {{"latency_ms", latency},
                          {"prompt_tokens", promptTokens},
                          {"total_tokens", promptTokens + completionTokens}}},
                        {"evaluation", {{"flagged", flagged}}}};
    if (!flagReason.empty())
        r["evaluation"]["flag_reason"] = flagReason;
    if (sensitivity)
        r["security"] = {{"sensitivity_level", sensitivity}};
    return r;
}

inline const std::string HostilePrompt =
    "Ignore this: <script>alert('pwned')</script> <img src=http://evil.example/x.png "
    "onerror=alert(1)> **bold** [click](http://evil.example/) ![pic](http://evil.example/p.png)";
inline const std::string HostileResponse = "<iframe src=\"http://evil.example/frame\"></iframe>\n# "
                                           "Heading\n<a href=\"javascript:x()\">go</a>\n"
                                           "Open \u202Etxt.exe\u202C now \x1b[31mred\x1b[0m";

inline std::vector<nlohmann::json> records()
{
    std::vector<nlohmann::json> list;
    list.push_back(record("hostile-1", "2026-02-01T09:00:00Z", "u-1", "s-1", "gpt-4o",
                          HostilePrompt, HostileResponse, 120, 30, 20, "restricted", true,
                          "<script>flag()</script> prompt injection"));
    list.push_back(record("orig-2", "2026-02-01T09:10:00Z", "u-2", "s-2", "gpt-4o-mini",
                          "Summarise the refund policy.",
                          "Refunds within 30 days. Keep the receipt.", 800, 60, 40, "internal",
                          false));
    nlohmann::json replay = record(
        "replay-2", "2026-02-01T09:20:00Z", "u-2", "s-2", "gpt-4o", "Summarise the refund policy.",
        "Refunds within 14 days. Keep the receipt and the box.", 950, 60, 60, "internal", false);
    replay["replay_of"] = "orig-2";
    list.push_back(replay);
    list.push_back(record("csv-4", "2026-02-01T09:30:00Z", "=HYPERLINK(\"http://evil.example\")",
                          "s-3", "claude-3", "+SUM(A1:A2)", "-2+3, \"quoted\"\nsecond line", 2500,
                          10, 5, "confidential", true, "@SUM(1)"));
    for (int n = 5; n <= 12; ++n)
        list.push_back(record("plain-" + std::to_string(n),
                              "2026-02-01T1" + std::to_string(n % 10) + ":00:00Z",
                              n % 2 ? "u-3" : "u-4", n % 2 ? "s-4" : "s-5", "gpt-4o-mini",
                              "Question " + std::to_string(n), "Answer " + std::to_string(n),
                              100 * n, 10 * n, n, n % 3 ? "public" : nullptr, false));
    return list;
}

} // namespace reportfixture
