#include "interactiontablemodel.h"

#include "logschema.h"

#include <QDateTime>
#include <QLocale>
#include <QTimeZone>

namespace llmaudit {

InteractionTableModel::InteractionTableModel(QString storePath, QObject *parent)
    : QAbstractTableModel(parent)
    , m_reader(storePath)
    , m_listReader(storePath)
{
    connect(&m_listReader, &StoreReader::idsLoaded, this, &InteractionTableModel::onIds);
    connect(&m_listReader, &StoreReader::failed, this, &InteractionTableModel::failed);
    connect(&m_reader, &StoreReader::idsLoaded, this, &InteractionTableModel::onIds);
    connect(&m_reader, &StoreReader::rowsLoaded, this, &InteractionTableModel::onRows);
    connect(&m_reader, &StoreReader::failed, this, &InteractionTableModel::failed);
}

void InteractionTableModel::reload()
{
    m_loading = true;
    m_refreshing = false; // this reload brings the changes too
    // The first page at once, then the whole list: on a big store the first rows show long
    // before the last ids arrive.
    ++m_generation;
    Q_EMIT m_reader.loadIds(m_generation, m_filter, m_order, PageSize);
    Q_EMIT m_listReader.loadIds(m_generation, m_filter, m_order);
}

void InteractionTableModel::refresh()
{
    if (m_loading || m_refreshing) {
        m_refreshAgain = true;
        return;
    }
    m_refreshing = true;
    Q_EMIT m_listReader.loadIds(m_generation, m_filter, m_order);
}

void InteractionTableModel::dropPages()
{
    // Pages were cut at the old positions: forget them, and those still on their way. Done
    // before rows are inserted (nothing cached may show at a shifted place) and again after
    // (pages asked for meanwhile were cut from the old list).
    ++m_generation;
    m_pages.clear();
    m_lru.clear();
    m_requested.clear();
}

void InteractionTableModel::onRefreshed(std::vector<qint64> ids)
{
    m_refreshing = false;
    const size_t old = m_ids.size();
    if (ids != m_ids) {
        if (ids.size() > old && std::equal(m_ids.begin(), m_ids.end(), ids.begin())) {
            dropPages();
            beginInsertRows({}, int(old), int(ids.size()) - 1);
            m_ids = std::move(ids);
            endInsertRows();
            dropPages(); // the last page may have been short
        } else if (ids.size() > old && std::equal(m_ids.begin(), m_ids.end(), ids.end() - old)) {
            dropPages();
            beginInsertRows({}, 0, int(ids.size() - old) - 1);
            m_ids = std::move(ids);
            endInsertRows();
            dropPages();
        } else {
            beginResetModel();
            m_ids = std::move(ids);
            dropPages();
            endResetModel();
        }
        Q_EMIT loaded(rowCount());
    }
    if (std::exchange(m_refreshAgain, false))
        refresh();
}

void InteractionTableModel::onIds(quint64 generation, std::vector<qint64> ids, bool complete)
{
    if (generation != m_generation)
        return;
    if (m_refreshing && !m_loading && complete)
        return onRefreshed(std::move(ids));
    // The two lists come from two threads: a first page that arrives after the whole list is
    // old news.
    if (!complete && !m_loading)
        return;
    if (complete && m_partial && ids.size() >= m_ids.size() &&
        std::equal(m_ids.begin(), m_ids.end(), ids.begin())) {
        // The rest of the list after its first page: rows are added, nothing shown changes.
        m_partial = false;
        m_loading = false;
        if (ids.size() > m_ids.size()) {
            beginInsertRows({}, int(m_ids.size()), int(ids.size()) - 1);
            m_ids = std::move(ids);
            endInsertRows();
        }
        Q_EMIT loaded(rowCount());
        if (std::exchange(m_refreshAgain, false))
            refresh();
        return;
    }
    m_partial = !complete;
    beginResetModel();
    m_ids = std::move(ids);
    m_pages.clear();
    m_lru.clear();
    m_requested.clear();
    m_loading = !complete;
    endResetModel();
    if (complete) {
        Q_EMIT loaded(rowCount());
        if (std::exchange(m_refreshAgain, false))
            refresh();
    }
}

void InteractionTableModel::onRows(quint64 generation, int page, std::vector<InteractionRow> rows)
{
    if (generation != m_generation)
        return; // a page of an older list
    m_requested.remove(page);
    // The store answers by id; put the rows back in the list's order.
    std::unordered_map<qint64, InteractionRow *> byId;
    for (auto &row : rows)
        byId.emplace(row.rowId, &row);
    const int first = page * PageSize;
    const int last = std::min<int>(first + PageSize, rowCount()) - 1;
    std::vector<InteractionRow> ordered;
    for (int i = first; i <= last; ++i) {
        auto it = byId.find(m_ids[size_t(i)]);
        InteractionRow row;
        if (it != byId.end())
            row = std::move(*it->second);
        else
            row.rowId = m_ids[size_t(i)]; // removed meanwhile: shows empty
        ordered.push_back(std::move(row));
    }
    m_pages[page] = std::move(ordered);
    m_lru.remove(page);
    m_lru.push_front(page);
    while (m_lru.size() > CachedPages) {
        m_pages.erase(m_lru.back());
        m_lru.pop_back();
    }
    if (last >= first)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

namespace {

bool readsReview(const FilterNode &node)
{
    switch (node.field.derived) {
    case FilterField::Derived::None:
    case FilterField::Derived::Model:
        break;
    default:
        if (node.kind == FilterNode::Kind::Compare || node.kind == FilterNode::Kind::Exists)
            return true;
    }
    return std::ranges::any_of(node.children, readsReview);
}

} // namespace

void InteractionTableModel::refreshReview()
{
    // A list still loading is read again whole: its answer would carry the old generation.
    if (m_loading || (m_filter.root && readsReview(*m_filter.root))) {
        reload();
        return;
    }
    ++m_generation; // pages under way hold the old state
    m_pages.clear();
    m_lru.clear();
    m_requested.clear();
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void InteractionTableModel::setFilter(FilterExpr filter)
{
    m_filter = std::move(filter);
}

std::optional<SortColumn> InteractionTableModel::sortColumn(int column)
{
    switch (column) {
    case Time:
        return SortColumn::Time;
    case User:
        return SortColumn::User;
    case Session:
        return SortColumn::Session;
    case Model:
        return SortColumn::Model;
    case Tokens:
        return SortColumn::TotalTokens;
    case Latency:
        return SortColumn::Latency;
    case FinishReason:
        return SortColumn::FinishReason;
    case Flagged:
        return SortColumn::Flagged;
    case SensitivityLevel:
        return SortColumn::Sensitivity;
    default:
        return std::nullopt;
    }
}

void InteractionTableModel::sort(int column, Qt::SortOrder order)
{
    const auto key = sortColumn(column);
    if (!key)
        return;
    const SortOrder wanted{*key, order};
    if (wanted == m_order)
        return;
    m_order = wanted;
    reload();
}

qint64 InteractionTableModel::rowIdAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_ids[size_t(row)] : 0;
}

int InteractionTableModel::rowOf(qint64 rowId) const
{
    const auto it = std::find(m_ids.begin(), m_ids.end(), rowId);
    return it == m_ids.end() ? -1 : int(it - m_ids.begin());
}

int InteractionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_ids.size());
}

int InteractionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const InteractionRow *InteractionTableModel::cachedRow(int row) const
{
    const int page = row / PageSize;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        requestPage(page);
        return nullptr;
    }
    return &it->second[size_t(row - page * PageSize)];
}

void InteractionTableModel::requestPage(int page) const
{
    if (m_requested.contains(page))
        return;
    m_requested.insert(page);
    const size_t first = size_t(page) * PageSize;
    const size_t last = std::min(first + PageSize, m_ids.size());
    std::vector<qint64> ids(m_ids.begin() + qsizetype(first), m_ids.begin() + qsizetype(last));
    Q_EMIT m_reader.loadRows(m_generation, page, std::move(ids));
}

QVariant InteractionTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case Tokens:
        case Latency:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Flagged:
            return QVariant(Qt::AlignCenter);
        default:
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const InteractionRow *row = cachedRow(index.row());
    if (!row)
        return role == Qt::DisplayRole ? QVariant(QStringLiteral("…")) : QVariant();
    auto text = [](const std::string &s) { return QString::fromStdString(s); };
    switch (index.column()) {
    case Time:
        return QDateTime::fromMSecsSinceEpoch(row->timestampMs, Qt::UTC)
            .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case User:
        return text(row->userId);
    case Session:
        return text(row->sessionId);
    case Model:
        return text(row->model);
    case Prompt:
        return text(row->prompt);
    case Response:
        return text(row->response);
    case Tokens:
        return row->totalTokens ? QVariant(QLocale().toString(*row->totalTokens)) : QVariant();
    case Latency:
        return row->latencyMs
                   ? QVariant(QStringLiteral("%1 ms").arg(QLocale().toString(*row->latencyMs)))
                   : QVariant();
    case FinishReason:
        return text(row->finishReason);
    case Flagged:
        if (role == Qt::ToolTipRole)
            return row->flagged && row->reviewFlagged
                       ? tr("Flagged by the evaluation and a reviewer")
                   : row->flagged       ? tr("Flagged by the evaluation")
                   : row->reviewFlagged ? tr("Flagged by a reviewer")
                                        : QVariant();
        return row->flagged || row->reviewFlagged ? QStringLiteral("\u2691") : QString(); // ⚑
    case SensitivityLevel:
        return row->sensitivity ? text(std::string(toString(*row->sensitivity))) : QString();
    case Review:
        return row->reviewStatus == ReviewStatus::Unreviewed
                   ? QString()
                   : text(std::string(toString(row->reviewStatus)));
    default:
        return {};
    }
}

QVariant InteractionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time:
        return tr("Time (UTC)");
    case User:
        return tr("User");
    case Session:
        return tr("Session");
    case Model:
        return tr("Model");
    case Prompt:
        return tr("Prompt");
    case Response:
        return tr("Response");
    case Tokens:
        return tr("Tokens");
    case Latency:
        return tr("Latency");
    case FinishReason:
        return tr("Finish");
    case Flagged:
        return tr("Flagged");
    case SensitivityLevel:
        return tr("Sensitivity");
    case Review:
        return tr("Review");
    default:
        return {};
    }
}

} // namespace llmaudit
