#pragma once

#include <QLocale>
#include <QString>

namespace llmaudit {

// "1 turn", "12,345 turns": a count with its noun. Qt's %n plurals need a translation file even
// for English, and the texts are English only for now.
inline QString counted(qint64 n, const QString &one, const QString &many)
{
    return QLocale().toString(n) + u' ' + (n == 1 ? one : many);
}

} // namespace llmaudit
