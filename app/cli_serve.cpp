// llmaudit serve: the live collector and recording proxy, headless (docs/collector.md).

#include "clicommon.h"
#include "collectorserver.h"

#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <cstdio>

namespace llmaudit::cli {

namespace {

using namespace Qt::StringLiterals;

// "127.0.0.1:8765", "[::1]:8765", "0.0.0.0:80".
bool parseListen(const QString &text, QString &address, quint16 &port)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon <= 0)
        return false;
    address = text.left(colon);
    if (address.startsWith(u'[') && address.endsWith(u']'))
        address = address.mid(1, address.size() - 2);
    bool ok = false;
    const uint value = text.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535)
        return false;
    port = static_cast<quint16>(value);
    return true;
}

} // namespace

int runServe(const QStringList &args, const QString &description)
{
    Command command(u"serve"_s, description, args);
    command.addStoreOption();
    QCommandLineParser &p = command.parser;
    p.addOption({u"listen"_s,
                 u"Address and port to listen on (default 127.0.0.1:8765; port 0 takes a free "
                 "one). Any address but loopback needs --token-file."_s,
                 u"ADDR:PORT"_s, u"127.0.0.1:8765"_s});
    p.addOption({u"token-file"_s,
                 u"A file holding the bearer token clients must send (Authorization: Bearer "
                 "TOKEN, or X-Llmaudit-Token on the proxy)."_s,
                 u"FILE"_s});
    p.addOption({u"max-body"_s, u"Largest request body in bytes (default 16 MiB)."_s, u"BYTES"_s});
    p.addOption({u"idle-timeout"_s, u"Seconds before a silent connection is closed (default 30)."_s,
                 u"SECONDS"_s});
    p.addOption({u"queue"_s,
                 u"Records waiting for the writer before requests get 503 (default 100000)."_s,
                 u"RECORDS"_s});
    p.addOption({u"openai-upstream"_s,
                 u"Where /proxy/openai/... goes (default https://api.openai.com)."_s, u"URL"_s});
    p.addOption({u"anthropic-upstream"_s,
                 u"Where /proxy/anthropic/... goes (default https://api.anthropic.com)."_s,
                 u"URL"_s});
    if (auto exit = command.parse())
        return *exit;

    CollectorConfig config;
    config.storeLocation = command.storePath();
    if (!parseListen(p.value(u"listen"_s), config.address, config.port))
        return usageError(command.name, u"--listen wants ADDR:PORT, e.g. 127.0.0.1:8765"_s);
    if (p.isSet(u"token-file"_s)) {
        QFile file(p.value(u"token-file"_s));
        if (!file.open(QIODevice::ReadOnly)) {
            err(u"llmaudit serve: cannot read the token file %1: %2\n"_s.arg(file.fileName(),
                                                                             file.errorString()));
            return Failed;
        }
        config.token = file.readAll().trimmed();
        if (config.token.isEmpty()) {
            err(u"llmaudit serve: the token file %1 is empty\n"_s.arg(file.fileName()));
            return Failed;
        }
    }
    auto number = [&](const QString &option, qint64 &value) {
        if (!p.isSet(option))
            return true;
        bool ok = false;
        const qint64 n = p.value(option).toLongLong(&ok);
        if (!ok || n <= 0)
            return false;
        value = n;
        return true;
    };
    qint64 timeout = config.idleTimeoutSeconds;
    if (!number(u"max-body"_s, config.maxBodyBytes) || !number(u"queue"_s, config.queueCapacity) ||
        !number(u"idle-timeout"_s, timeout))
        return usageError(command.name,
                          u"--max-body, --queue and --idle-timeout want a positive number"_s);
    config.idleTimeoutSeconds = static_cast<int>(timeout);
    for (const auto &[option, target] :
         {std::pair{u"openai-upstream"_s, &config.openaiUpstream},
          std::pair{u"anthropic-upstream"_s, &config.anthropicUpstream}}) {
        if (!p.isSet(option))
            continue;
        const QUrl url(p.value(option), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http"_s && url.scheme() != u"https"_s))
            return usageError(command.name, u"--%1 wants an http or https URL"_s.arg(option));
        *target = url;
    }

    CollectorServer server;
    if (auto started = server.start(config); !started) {
        err(u"llmaudit serve: %1\n"_s.arg(started.error().toString()));
        return Failed;
    }
    const QString host =
        config.address.contains(u':') ? u"[%1]"_s.arg(config.address) : config.address;
    out(u"listening on http://%1:%2\n"_s.arg(host).arg(server.port()));
    std::fflush(stdout);
    err(u"llmaudit serve: storing into %1%2; Ctrl+C stops\n"_s.arg(
        config.storeLocation, config.token.isEmpty() ? QString() : u" (token required)"_s));

    const Interruption interruption; // until the end: a second Ctrl-C must not cut stop() short
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (interruption.happened())
            loop.quit();
    });
    poll.start(50);
    loop.exec();
    err(u"llmaudit serve: stopping; committing what was accepted\n"_s);
    server.stop();
    const CollectorCounters c = server.counters();
    err(u"llmaudit serve: %1 requests, %2 records received, %3 stored, %4 duplicates, %5 "
        "conflicts, %6 rejected\n"_s.arg(c.requests)
            .arg(c.received)
            .arg(c.stored)
            .arg(c.duplicates)
            .arg(c.conflicts)
            .arg(c.rejected));
    return Ok;
}

} // namespace llmaudit::cli
