#include "sessionlistmodel.h"

#include "counted.h"

#include <QDateTime>

namespace llmaudit {

namespace {

QString timeText(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm"_qs);
}

QString spanText(int64_t ms)
{
    const int64_t minutes = ms / 60'000;
    if (minutes < 1)
        return SessionListModel::tr("%1 s").arg(ms / 1000);
    if (minutes < 120)
        return SessionListModel::tr("%1 min").arg(minutes);
    if (minutes < 48 * 60)
        return SessionListModel::tr("%1 h").arg(minutes / 60);
    return SessionListModel::tr("%1 d").arg(minutes / (24 * 60));
}

} // namespace

void SessionListModel::setSessions(std::vector<SessionSummary> sessions)
{
    beginResetModel();
    m_sessions = std::move(sessions);
    endResetModel();
}

int SessionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

int SessionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const SessionSummary &s = m_sessions[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Session:
            return QString::fromStdString(s.sessionId);
        case User:
            return s.users > 1
                       ? tr("%1 (+%2)").arg(QString::fromStdString(s.userId)).arg(s.users - 1)
                       : QString::fromStdString(s.userId);
        case Interactions:
            return s.interactions;
        case LastActive:
            return QDateTime::fromMSecsSinceEpoch(s.lastMs).toString(u"yyyy-MM-dd"_qs);
        }
        break;
    case Qt::ToolTipRole:
        return tr("%1\nuser %2\n%3, %4 to %5 (%6)")
            .arg(QString::fromStdString(s.sessionId), QString::fromStdString(s.userId),
                 counted(s.interactions, tr("interaction"), tr("interactions")),
                 timeText(s.firstMs), timeText(s.lastMs), spanText(s.lastMs - s.firstMs));
    case Qt::TextAlignmentRole:
        if (index.column() == Interactions)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case SessionIdRole:
        return QString::fromStdString(s.sessionId);
    case SortRole:
        switch (index.column()) {
        case Interactions:
            return s.interactions;
        case LastActive:
            return qint64(s.lastMs);
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    return {};
}

QVariant SessionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Session:
        return tr("Session");
    case User:
        return tr("User");
    case Interactions:
        return tr("Turns");
    case LastActive:
        return tr("Last active");
    }
    return {};
}

} // namespace llmaudit
