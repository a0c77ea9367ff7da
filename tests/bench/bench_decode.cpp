// Where decoding time goes, stage by stage, on one core: parse (nlohmann, then parseJson), Extended
// JSON mapping, schema validation, extraction, canonical dump, hashing. Prints MB/s per stage.
//   bench_decode FILE.jsonl

#include "extjson.h"
#include "jsonparse.h"
#include "logcodec.h"
#include "logschema.h"

#include <QCoreApplication>
#include <QFile>

#include <chrono>
#include <cstdio>

using namespace llmaudit;
using Clock = std::chrono::steady_clock;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_decode FILE.jsonl\n");
        return 2;
    }
    QFile file(QString::fromLocal8Bit(argv[1]));
    if (!file.open(QIODevice::ReadOnly))
        return 1;
    std::vector<std::string> lines;
    size_t bytes = 0;
    while (!file.atEnd()) {
        QByteArray line = file.readLine();
        line.chop(1);
        bytes += size_t(line.size());
        lines.push_back(line.toStdString());
    }
    double parse = 0, validate = 0, extract = 0, dump = 0, hash = 0, whole = 0;
    auto seconds = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    };
    size_t invalid = 0;
    for (const auto &line : lines) {
        auto t0 = Clock::now();
        auto doc = nlohmann::json::parse(line);
        auto t1 = Clock::now();
        invalid += !LogSchema::v1().validate(doc).empty();
        auto t2 = Clock::now();
        std::string canonical = doc.dump();
        auto t3 = Clock::now();
        auto digest = sha256(canonical);
        auto t4 = Clock::now();
        auto record = interactionFromDocument(std::move(doc));
        auto t5 = Clock::now();
        parse += seconds(t0, t1);
        validate += seconds(t1, t2);
        dump += seconds(t2, t3);
        hash += seconds(t3, t4);
        extract += seconds(t4, t5);
        (void)digest;
        (void)record;
    }
    // The parse decodeRecord does: simdjson, converted to nlohmann::json (storage/jsonparse.cpp).
    size_t members = 0;
    auto f0 = Clock::now();
    for (const auto &line : lines)
        members += parseJson(line).size();
    const double parseFast = seconds(f0, Clock::now());
    auto w0 = Clock::now();
    for (const auto &line : lines)
        invalid += !decodeRecord(line, Dialect::Standard).has_value();
    whole = seconds(w0, Clock::now());
    const double mb = double(bytes) / 1e6;
    std::printf("%zu records, %.1f MB, %zu invalid, %zu top-level members\n", lines.size(), mb,
                invalid, members);
    std::printf("%-12s %8s %10s\n", "stage", "seconds", "MB/s");
    for (auto [name, s] : {std::pair{"parse", parse},
                           {"parseJson", parseFast},
                           {"validate", validate},
                           {"dump", dump},
                           {"sha256", hash},
                           {"extract", extract},
                           {"decodeRecord", whole}})
        std::printf("%-12s %8.3f %10.1f\n", name, s, mb / s);
    return 0;
}
