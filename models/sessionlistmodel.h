#pragma once

// The store's sessions as a table: session, user, number of interactions and time span.

#include "store.h"

#include <QAbstractTableModel>

namespace llmaudit {

class SessionListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Session, User, Interactions, LastActive, ColumnCount };
    static constexpr int SessionIdRole = Qt::UserRole + 1;
    static constexpr int SortRole = Qt::UserRole + 2; // raw values: numbers and times sort right

    using QAbstractTableModel::QAbstractTableModel;

    void setSessions(std::vector<SessionSummary> sessions);
    const SessionSummary &session(int row) const { return m_sessions.at(size_t(row)); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<SessionSummary> m_sessions;
};

} // namespace llmaudit
