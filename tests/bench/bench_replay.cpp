// What the replay engine costs on top of the HTTP call it makes, and how fast a batch goes,
// against llmaudit-fakellm in its own process on 127.0.0.1. Prints a table; asserts nothing.
//   bench_replay [COUNT=1000] [SEQUENTIAL=300] [CONCURRENCY=8]
// Records come from llmaudit-loggen (--seed 5): realistic prompts, context and responses, so
// that building the record, validating, storing and comparing cost what they cost on real logs.

#include "batchreplay.h"
#include "llmprovider.h"
#include "logcodec.h"
#include "replayengine.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>

using namespace llmaudit;
using namespace Qt::StringLiterals;

namespace {

template<typename Signal, typename Sender>
void waitFor(Sender *sender, Signal signal)
{
    QEventLoop loop;
    QObject::connect(sender, signal, &loop, &QEventLoop::quit);
    loop.exec();
}

void row(const char *what, double totalMs, int count, double baselineMs = -1)
{
    const double each = totalMs / count;
    if (baselineMs < 0)
        std::printf("| %-46s | %8.3f | %8.1f |          |\n", what, each, 1000.0 / each);
    else
        std::printf("| %-46s | %8.3f | %8.1f | %+8.3f |\n", what, each, 1000.0 / each,
                    each - baselineMs);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int sequential = argc > 2 ? std::atoi(argv[2]) : 300;
    const int concurrency = argc > 3 ? std::atoi(argv[3]) : 8;

    QTemporaryDir dir;
    // The server, in a process of its own.
    QProcess server;
    server.start(QStringLiteral(LLMAUDIT_FAKELLM), {u"--port"_s, u"0"_s});
    if (!server.waitForReadyRead(10000)) {
        std::fprintf(stderr, "llmaudit-fakellm did not start\n");
        return 1;
    }
    const QString line = QString::fromUtf8(server.readLine()).trimmed();
    const QUrl base(line.mid(line.indexOf(u"http")));

    // The originals.
    const QString logs = dir.filePath(u"logs.jsonl"_s);
    if (QProcess::execute(QStringLiteral(LLMAUDIT_LOGGEN),
                          {u"--count"_s, QString::number(count), u"--seed"_s, u"5"_s, u"--format"_s,
                           u"jsonl"_s, u"-o"_s, logs}) != 0) {
        std::fprintf(stderr, "llmaudit-loggen failed\n");
        return 1;
    }
    auto opened = Store::open(dir.filePath(u"bench.sqlite"_s));
    if (!opened)
        return 1;
    Store &store = **opened;
    std::vector<std::string> ids;
    std::vector<nlohmann::json> originals;
    {
        QFile file(logs);
        if (!file.open(QIODevice::ReadOnly))
            return 1;
        std::vector<IncomingRecord> records;
        while (!file.atEnd()) {
            const QByteArray text = file.readLine().trimmed();
            auto decoded = decodeRecord(std::string_view(text.constData(), size_t(text.size())),
                                        Dialect::Standard);
            if (!decoded)
                continue;
            ids.push_back(decoded->interaction.interactionId);
            originals.push_back(decoded->interaction.document);
            records.push_back({std::move(*decoded), "bench", {}, {}});
        }
        if (!store.write(records, {}))
            return 1;
    }
    ProviderConfig config;
    config.name = u"fake"_s;
    config.baseUrl = base;
    config.baseUrl.setPath(u"/v1"_s);
    config.defaultModel = u"fake-gpt"_s;
    const std::vector<ProviderConfig> providers{config};
    ReplaySpec spec;
    spec.overrides.model = "fake-gpt"; // the fixture knows no gpt-4o

    std::printf("%d originals (llmaudit-loggen --seed 5), %d sequential calls per row\n\n",
                int(ids.size()), sequential);
    std::printf("| %-46s | %8s | %8s | %8s |\n", "one call at a time", "ms each", "per s",
                "vs HTTP");
    std::printf("| %-46s | %8s | %8s | %8s |\n", "---", "---:", "---:", "---:");

    // LlmProvider alone; it also yields the exact request bodies for the direct calls.
    auto provider = LlmProvider::create(config);
    std::vector<QByteArray> bodies;
    double providerMs = 0;
    for (int pass = 0; pass < 2; ++pass) { // the first pass warms up
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < sequential; ++i) {
            auto plan = planReplay(originals[size_t(i) % originals.size()], spec, providers);
            ChatCall *call = provider->chat(plan->request);
            waitFor(call, &ChatCall::finished);
            if (pass == 0)
                bodies.push_back(QByteArray::fromStdString(call->result().requestBody));
            delete call;
        }
        providerMs = double(clock.nsecsElapsed()) / 1e6;
    }

    // The same bytes, posted with QNetworkAccessManager: the floor.
    QNetworkAccessManager network;
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < sequential; ++i) {
        QNetworkRequest request(QUrl(base.toString() + u"/v1/chat/completions"_s));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply *reply = network.post(request, bodies[size_t(i)]);
        waitFor(reply, &QNetworkReply::finished);
        reply->readAll();
        reply->deleteLater();
    }
    const double directMs = double(clock.nsecsElapsed()) / 1e6;
    const double direct = directMs / sequential;
    row("direct HTTP POST (QNetworkAccessManager)", directMs, sequential);
    row("LlmProvider::chat (prepare, send, parse)", providerMs, sequential, direct);

    for (bool withStore : {false, true}) {
        ReplayEngine engine(withStore ? &store : nullptr, providers);
        clock.restart();
        for (int i = 0; i < sequential; ++i) {
            ReplayCall *call = engine.replay(originals[size_t(i) % originals.size()], spec);
            waitFor(call, &ReplayCall::finished);
            if (!call->outcome().ok()) {
                std::fprintf(stderr, "%s\n", qPrintable(call->outcome().errorText()));
                return 1;
            }
            delete call;
        }
        row(withStore ? "ReplayEngine with the store (the CLI, window)"
                      : "ReplayEngine without a store (no write)",
            double(clock.nsecsElapsed()) / 1e6, sequential, direct);
    }

    // Comparison alone, on the same pairs (the quadratic part of the engine's work).
    {
        ReplayEngine engine(nullptr, providers);
        std::vector<Interaction> replays;
        for (int i = 0; i < 50; ++i) {
            ReplayCall *call = engine.replay(originals[size_t(i)], spec);
            waitFor(call, &ReplayCall::finished);
            replays.push_back(
                interactionFromDocument(nlohmann::json::parse(call->outcome().document)));
            delete call;
        }
        clock.restart();
        for (int i = 0; i < 50; ++i)
            compareInteractions(interactionFromDocument(originals[size_t(i)]), replays[size_t(i)]);
        row("  of which compareInteractions", double(clock.nsecsElapsed()) / 1e6, 50);
    }

    std::printf("\n| %-46s | %8s | %8s | %8s |\n", "batch", "replays", "wall s", "per s");
    std::printf("| %-46s | %8s | %8s | %8s |\n", "---", "---:", "---:", "---:");
    for (int lanes : {1, concurrency}) {
        ReplayEngine engine(&store, providers);
        BatchOptions options;
        options.concurrency = lanes;
        options.spec = spec;
        BatchReplay batch(&engine, options);
        batch.setIds(ids);
        clock.restart();
        batch.start();
        waitFor(&batch, &BatchReplay::finished);
        const double seconds = double(clock.nsecsElapsed()) / 1e9;
        const BatchSummary &s = batch.summary();
        char what[64];
        std::snprintf(what, sizeof what, "BatchReplay, concurrency %d", lanes);
        std::printf("| %-46s | %8lld | %8.2f | %8.1f |\n", what, s.replayed, seconds,
                    double(s.replayed) / seconds);
        if (s.failed > 0)
            std::fprintf(stderr, "%lld failed\n", s.failed);
    }
    server.terminate();
    server.waitForFinished();
    return 0;
}
