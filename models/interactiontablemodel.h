#pragma once

// The interactions as a table, lazily: the model keeps only the ordered row ids (8 bytes a
// row) and fetches the visible rows' columns in pages from a StoreReader, caching a few pages.
// A generation counter drops pages that arrive for an older query.

#include "storereader.h"

#include <QAbstractTableModel>
#include <QSet>

#include <list>
#include <unordered_map>

namespace llmaudit {

class InteractionTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Time,
        User,
        Session,
        Model,
        Prompt,
        Response,
        Tokens,
        Latency,
        FinishReason,
        Flagged,
        SensitivityLevel,
        Review, // the review status
        ColumnCount
    };
    static constexpr int PageSize = 128;
    static constexpr int CachedPages = 64;

    explicit InteractionTableModel(QString storePath, QObject *parent = nullptr);

    // Reads the row ids again (after an import); the table keeps what it shows until they come.
    void reload();
    // Reads the row ids again after the store changed underneath (the collector, an import in
    // another process): rows that arrived are inserted where they belong when the list only
    // grew at one end, so that the selection and what is on screen stay; otherwise as reload().
    // At most one at a time: a refresh asked for meanwhile follows when it is done.
    void refresh();
    // Reads the rows shown again after their review data changed: the list stays (and with it
    // the selection) unless the filter looks at review data, which may change the list.
    void refreshReview();
    // Lists only the interactions the filter selects, from the next reload() on.
    void setFilter(FilterExpr filter);
    // Sorts by a column's store key (reloading); text columns do not sort.
    const FilterExpr &filter() const { return m_filter; }
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    // The store's sort key for a column; nothing for the text columns (prompt, response).
    static std::optional<SortColumn> sortColumn(int column);
    SortOrder sortOrder() const { return m_order; }
    bool isLoading() const { return m_loading; }
    qint64 rowIdAt(int row) const;
    int rowOf(qint64 rowId) const; // -1 when it is not in the list

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

Q_SIGNALS:
    void loaded(int rows);
    void failed(const QString &message);

private:
    const InteractionRow *cachedRow(int row) const;
    void requestPage(int page) const;
    void onIds(quint64 generation, std::vector<qint64> ids, bool complete);
    void onRows(quint64 generation, int page, std::vector<InteractionRow> rows);
    void onRefreshed(std::vector<qint64> ids);
    void dropPages();

    mutable StoreReader m_reader; // asked for pages from data(), which is const
    // Whole id lists come from a second connection on its own thread, so that the pages the
    // table asks for meanwhile never wait behind a long list.
    StoreReader m_listReader;
    quint64 m_generation = 0;
    FilterExpr m_filter;
    SortOrder m_order;
    bool m_loading = false;
    bool m_partial = false; // m_ids holds only the first page of the list
    bool m_refreshing = false;
    bool m_refreshAgain = false;
    std::vector<qint64> m_ids;
    // page -> rows in page order; LRU over pages
    mutable std::unordered_map<int, std::vector<InteractionRow>> m_pages;
    mutable std::list<int> m_lru;
    mutable QSet<int> m_requested;
};

} // namespace llmaudit
