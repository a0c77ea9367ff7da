#pragma once

// Deterministic RAG traffic: users, sessions of several turns and the interaction records of
// the standard log format they produce, in timestamp order. Every record is a pure function of
// the seed, the record count and the record's session and turn, so the same arguments always
// give the same records.

#include "prng.h"
#include "value.h"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace llmaudit::loggen {

struct GeneratorOptions
{
    int64_t count = 1000;
    uint64_t seed = 1;
    bool hostile = false; // sprinkle markup, script and odd Unicode payloads
};

struct GeneratedRecord
{
    Value document;       // the record, without "_id"
    std::string objectId; // 24 hex digits: the "_id" a MongoDB driver would have given it
    int64_t timestampMs = 0;
};

class Generator
{
public:
    explicit Generator(const GeneratorOptions &options);

    int64_t count() const { return static_cast<int64_t>(m_schedule.size()); }
    int64_t userCount() const { return m_userCount; }
    int64_t sessionCount() const { return static_cast<int64_t>(m_sessions.size()); }

    // The records in timestamp order: call with index 0, 1, 2, ... (history is kept per session).
    GeneratedRecord make(int64_t index);

private:
    struct Session
    {
        std::string id;
        uint32_t user = 0;
        uint16_t turns = 0;
        uint8_t domain = 0;
        uint8_t model = 0;
        uint8_t systemPrompt = 0;
        uint8_t schemaVersion = 0; // 0: absent, 1: "1", 2: "1.0"
        uint8_t tagSet = 0;        // 0: none
        uint8_t process = 0;       // which application instance logged it (ObjectId bytes)
        bool chat = false;         // logs request.messages
        bool contentParts = false; // user messages as a list of content parts
        bool traced = false;
        bool evaluated = false;
        bool scanned = false; // carries the security block
        bool costed = false;
        bool reportsModel = true; // the provider's response.model and id are logged
        double temperature = 0.7;
        double topP = 1.0;
        int maxTokens = 0; // 0: not set
        int64_t seed = -1; // -1: not set
    };

    struct Turn
    {
        int64_t timestampMs = 0;
        uint32_t session = 0;
        uint16_t turn = 0;
        int32_t latencyMs = 0;
    };

    struct Exchange
    {
        std::string prompt;
        std::string response;
    };

    void buildSchedule();
    Value buildRecord(const Session &session, const Turn &turn);

    GeneratorOptions m_options;
    int64_t m_userCount = 0;
    std::vector<Session> m_sessions;
    std::vector<Turn> m_schedule;
    std::unordered_map<uint32_t, std::deque<Exchange>> m_history;
    uint32_t m_oidCounter[4] = {};
    std::string m_oidProcess[4];
};

} // namespace llmaudit::loggen
