#pragma once

// Runs the real llmaudit and llmaudit-loggen executables for the end-to-end tests.

#include <QProcess>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

struct CliRun
{
    int exitCode = -1;
    QString out;
    QString err;

    nlohmann::json json() const { return nlohmann::json::parse(out.toStdString(), nullptr, false); }
};

inline CliRun runProgram(const QString &program, const QStringList &args, int timeoutMs = 300000)
{
    QProcess process;
    process.setProgram(program);
    process.setArguments(args);
    process.start();
    CliRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("timed out");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

inline CliRun cli(const QStringList &args)
{
    return runProgram(QStringLiteral(LLMAUDIT_CLI), args);
}

// Generates COUNT records with the project's deterministic generator.
inline bool generate(const QString &path, int count,
                     const QString &format = QStringLiteral("jsonl"), double malformedRate = 0,
                     int seed = 3)
{
    CliRun run = runProgram(QStringLiteral(LLMAUDIT_LOGGEN),
                            {QStringLiteral("--count"), QString::number(count),
                             QStringLiteral("--seed"), QString::number(seed),
                             QStringLiteral("--format"), format, QStringLiteral("--malformed-rate"),
                             QString::number(malformedRate), QStringLiteral("-o"), path});
    if (run.exitCode != 0)
        qWarning("llmaudit-loggen failed: %s", qPrintable(run.err));
    return run.exitCode == 0;
}
