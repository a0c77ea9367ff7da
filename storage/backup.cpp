#include "backup.h"

#include "redactionpolicy.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace llmaudit {

using namespace Qt::StringLiterals;

namespace {

// Moves `from` onto `to`, replacing it: rename(2) is atomic, QFile::rename refuses to replace.
Result<void> moveInto(const QString &from, const QString &to)
{
    if (std::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) != 0)
        return fail(u"cannot move the backup into place: %1"_s.arg(
                        QString::fromLocal8Bit(std::strerror(errno))),
                    to);
    return {};
}

} // namespace

Result<BackupReport> backupStore(Store &store, const QString &file, bool overwrite)
{
    const QFileInfo target(file);
    if (target.isDir())
        return fail(u"is a folder: give the backup's file name"_s, file);
    if (target.absoluteFilePath() == QFileInfo(store.location()).absoluteFilePath())
        return fail(u"this is the store itself"_s, file);
    const QString policy = storePolicyPath(store.location());
    const bool hasPolicy = QFileInfo::exists(policy);
    BackupReport report;
    report.file = target.absoluteFilePath();
    if (hasPolicy)
        report.policyCopy = storePolicyPath(report.file);
    if (!overwrite) {
        for (const QString &path : {report.file, report.policyCopy})
            if (!path.isEmpty() && QFileInfo::exists(path))
                return fail(u"exists already (--force replaces it)"_s, path);
    }
    if (!target.absoluteDir().exists())
        return fail(u"the folder %1 does not exist"_s.arg(target.absolutePath()), file);

    const QString partial =
        report.file + u".partial-"_s + QString::number(QCoreApplication::applicationPid());
    QFile::remove(partial); // left by a backup that was killed
    if (auto copied = store.backupTo(partial); !copied)
        return std::unexpected(copied.error());
    auto cleanUp = qScopeGuard([&] { QFile::remove(partial); });
    {
        auto copy = Store::open(partial, Store::Access::ReadOnly);
        if (!copy)
            return fail(u"the copy does not open: %1"_s.arg(copy.error().message), file);
        auto verified = (*copy)->verify();
        if (!verified)
            return fail(u"the copy cannot be verified: %1"_s.arg(verified.error().message), file);
        if (!verified->ok())
            return fail(u"the copy does not verify: %1 (run 'llmaudit verify' on the store)"_s.arg(
                            QString::fromStdString(verified->problem->detail)),
                        file);
        report.verify = *verified;
        auto count = (*copy)->count(FilterExpr{});
        if (!count)
            return std::unexpected(count.error());
        report.interactions = *count;
    }
    if (hasPolicy) {
        const QString policyPartial = report.policyCopy + u".partial"_s;
        QFile::remove(policyPartial);
        if (!QFile::copy(policy, policyPartial))
            return fail(u"cannot copy the policy file"_s, policy);
        if (auto moved = moveInto(policyPartial, report.policyCopy); !moved) {
            QFile::remove(policyPartial);
            return std::unexpected(moved.error());
        }
    }
    if (auto moved = moveInto(partial, report.file); !moved)
        return std::unexpected(moved.error());
    cleanUp.dismiss();
    return report;
}

} // namespace llmaudit
