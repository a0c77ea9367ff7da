#include "activitydialog.h"

#include "counted.h"
#include "exporter.h"
#include "reviewactions.h"
#include "reviewservice.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QThreadPool>
#include <QVBoxLayout>

#include <cstdlib>

namespace llmaudit {

using namespace Qt::StringLiterals;

namespace {

enum Column { Time, Kind, Actor, What, Records, ColumnCount };

// The time choice's data for "Custom range…"; the presets' is their span in ms (0: any time).
constexpr qint64 s_customRange = -1;
constexpr qint64 s_minuteMs = 60'000;

QDateTime toMinute(QDateTime time)
{
    time.setTime(QTime(time.time().hour(), time.time().minute()));
    return time;
}

// "UTC+05:30" for the local zone now; "UTC" when local time is UTC.
QString localZoneText()
{
    const int offset = QDateTime::currentDateTime().offsetFromUtc();
    if (offset == 0)
        return u"UTC"_s;
    const int minutes = std::abs(offset) / 60;
    return u"UTC%1%2:%3"_s.arg(QChar(offset < 0 ? u'\u2212' : u'+'))
        .arg(minutes / 60, 2, 10, QChar(u'0'))
        .arg(minutes % 60, 2, 10, QChar(u'0'));
}

constexpr ActivityKind s_kinds[] = {
    ActivityKind::Import, ActivityKind::Export, ActivityKind::Replay, ActivityKind::Review,
    ActivityKind::Purge,  ActivityKind::Report, ActivityKind::Verify};

} // namespace

ActivityDialog::ActivityDialog(ReviewService *service, QWidget *parent)
    : QDialog(parent)
    , m_service(service)
{
    setWindowTitle(tr("Activity Log"));
    resize(900, 480);
    m_time = new QComboBox(this);
    m_time->addItem(tr("Any time"), qint64(0));
    m_time->addItem(tr("Last 24 hours"), qint64(86'400'000));
    m_time->addItem(tr("Last 7 days"), qint64(7 * 86'400'000LL));
    m_time->addItem(tr("Last 30 days"), qint64(30 * 86'400'000LL));
    m_time->addItem(tr("Custom range…"), s_customRange);
    // From and To: shown for "Custom range…" only; local time, to the minute, both included.
    const QString zone = localZoneText();
    auto timeEdit = [this, &zone](const QString &tip) {
        auto *edit = new QDateTimeEdit(this);
        edit->setCalendarPopup(true);
        edit->setTimeSpec(Qt::LocalTime);
        edit->setDisplayFormat(u"yyyy-MM-dd HH:mm"_s);
        edit->setToolTip(tip.arg(zone));
        return edit;
    };
    m_from = timeEdit(tr("Entries from the start of this minute (local time, %1)"));
    m_to = timeEdit(tr("Entries up to the end of this minute (local time, %1)"));
    const QDateTime now = toMinute(QDateTime::currentDateTime());
    m_to->setDateTime(now);
    m_from->setDateTime(QDateTime(now.date().addDays(-7), QTime(0, 0)));
    m_range = new QWidget(this);
    auto *range = new QHBoxLayout(m_range);
    range->setContentsMargins(0, 0, 0, 0);
    auto *fromLabel = new QLabel(tr("&From:"), m_range);
    fromLabel->setBuddy(m_from);
    auto *toLabel = new QLabel(tr("&To:"), m_range);
    toLabel->setBuddy(m_to);
    range->addWidget(fromLabel);
    range->addWidget(m_from);
    range->addWidget(toLabel);
    range->addWidget(m_to);
    m_zone = new QLabel(tr("local time (%1)").arg(zone), m_range);
    m_zone->setForegroundRole(QPalette::PlaceholderText);
    range->addWidget(m_zone);
    // In the zone's place (shorter, so the dialog keeps its size).
    m_rangeError = new QLabel(tr("From is after To."), m_range);
    m_rangeError->setStyleSheet(u"color: #c62828; font-weight: bold;"_s);
    m_rangeError->hide();
    range->addWidget(m_rangeError);
    m_range->hide();
    m_kind = new QComboBox(this);
    m_kind->addItem(tr("All kinds"), -1);
    for (ActivityKind kind : s_kinds)
        m_kind->addItem(QString::fromUtf8(toString(kind)), int(kind));
    auto *filters = new QHBoxLayout;
    filters->addWidget(new QLabel(tr("Kind:"), this));
    filters->addWidget(m_kind);
    filters->addSpacing(12);
    filters->addWidget(new QLabel(tr("Time:"), this));
    filters->addWidget(m_time);
    filters->addWidget(m_range);
    filters->addStretch();
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setHorizontalHeaderLabels(
        {tr("Time (%1)").arg(zone), tr("Kind"), tr("Who"), tr("What"), tr("Records")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(Time, 160);
    m_table->setColumnWidth(What, 360);
    m_status = new QLabel(this);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_export = buttons->addButton(tr("&Export…"), QDialogButtonBox::ActionRole);
    QPushButton *refreshButton = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    connect(refreshButton, &QPushButton::clicked, this, &ActivityDialog::refresh);
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the Activity Log"),
                                                          QStringLiteral("activity.csv"),
                                                          tr("CSV (*.csv);;JSON Lines (*.jsonl)"));
        if (!path.isEmpty())
            exportTo(path);
    });
    connect(m_time, &QComboBox::currentIndexChanged, this, &ActivityDialog::timeChoiceChanged);
    connect(m_from, &QDateTimeEdit::dateTimeChanged, this, &ActivityDialog::refresh);
    connect(m_to, &QDateTimeEdit::dateTimeChanged, this, &ActivityDialog::refresh);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ActivityDialog::refresh);
    connect(m_service, &ReviewService::activityLoaded, this,
            [this](quint64 generation, std::vector<ActivityEntry> entries) {
                if (generation != m_generation)
                    return;
                m_loading = false;
                showEntries(std::move(entries));
                m_export->setEnabled(true);
            });
    // The service reports a failed load like any other failure of its worker.
    connect(m_service, &ReviewService::failed, this, [this](const QString &message) {
        if (!m_loading)
            return;
        m_loading = false;
        showEntries({});
        m_status->setText(tr("Cannot read the activity log: %1").arg(message));
    });
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(m_table);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    refresh();
}

int ActivityDialog::customRangeIndex() const
{
    return m_time->findData(s_customRange);
}

void ActivityDialog::timeChoiceChanged()
{
    const qint64 span = m_time->currentData().toLongLong();
    if (span == s_customRange) {
        // From the span chosen last ("Last 7 days" becomes the range it stood for), else the
        // range as it was left.
        if (m_lastSpan > 0) {
            const QSignalBlocker blockFrom(m_from), blockTo(m_to);
            const QDateTime now = toMinute(QDateTime::currentDateTime());
            m_to->setDateTime(now);
            m_from->setDateTime(now.addMSecs(-m_lastSpan));
        }
    } else {
        m_lastSpan = span;
    }
    m_range->setVisible(span == s_customRange);
    refresh();
}

std::optional<std::pair<qint64, qint64>> ActivityDialog::customRange() const
{
    const QDateTime from = toMinute(m_from->dateTime());
    const QDateTime to = toMinute(m_to->dateTime());
    if (from > to)
        return std::nullopt;
    return std::pair{from.toMSecsSinceEpoch(), to.toMSecsSinceEpoch() + s_minuteMs};
}

void ActivityDialog::refresh()
{
    ActivityQuery query;
    const qint64 span = m_time->currentData().toLongLong();
    if (span == s_customRange) {
        const auto range = customRange();
        m_zone->setVisible(bool(range)); // first: both shown at once would widen the dialog
        m_rangeError->setVisible(!range);
        if (!range) {
            // Nothing can be in it: no entries rather than the last range's, so that the list
            // and an export never disagree with the fields.
            ++m_generation;
            m_loading = false;
            m_export->setEnabled(false);
            showEntries({});
            m_status->setText(tr("From is after To: no entry can be in this range."));
            return;
        }
        query.fromMs = range->first;
        query.untilMs = range->second;
    } else {
        m_rangeError->hide();
        if (span > 0)
            query.fromMs = QDateTime::currentMSecsSinceEpoch() - span;
    }
    if (const int kind = m_kind->currentData().toInt(); kind >= 0)
        query.kinds = {static_cast<ActivityKind>(kind)};
    m_status->setText(tr("Loading…"));
    m_loading = true;
    // Until the entries are in, an export would write the previous filter's.
    m_export->setEnabled(false);
    Q_EMIT m_service->loadActivity(++m_generation, query);
}

void ActivityDialog::showEntries(std::vector<ActivityEntry> entries)
{
    m_entries = std::move(entries);
    m_table->setRowCount(int(m_entries.size()));
    // Newest first, as a log is read.
    for (int i = 0; i < int(m_entries.size()); ++i) {
        const ActivityEntry &e = m_entries[m_entries.size() - 1 - size_t(i)];
        QString records;
        if (!e.interactionIds.empty()) {
            QStringList ids;
            for (size_t k = 0; k < std::min<size_t>(5, e.interactionIds.size()); ++k)
                ids << QString::fromStdString(visible(e.interactionIds[k]));
            records = ids.join(u", ");
            if (e.interactionIds.size() > 5)
                records += tr(" and %1 more").arg(e.interactionIds.size() - 5);
        } else if (!e.filter.empty()) {
            records = tr("filter: %1").arg(QString::fromStdString(visible(e.filter)));
        }
        if (e.count && e.interactionIds.size() != size_t(*e.count))
            records = records.isEmpty() ? counted(*e.count, tr("record"), tr("records"))
                                        : tr("%1 (%2)").arg(records).arg(*e.count);
        // Local time, as the range is chosen; UTC, as the export has it, in the tooltip.
        const QDateTime time = QDateTime::fromMSecsSinceEpoch(e.timeMs);
        const QString cells[] = {time.toString(u"yyyy-MM-dd HH:mm:ss"_s),
                                 QString::fromUtf8(toString(e.kind)),
                                 QString::fromStdString(visible(e.actor)),
                                 QString::fromStdString(visible(e.what)), records};
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setToolTip(c == Time ? time.toUTC().toString(u"yyyy-MM-dd HH:mm:ss.zzz 'UTC'"_s)
                                       : cells[c]);
            m_table->setItem(i, c, item);
        }
    }
    m_status->setText(counted(qint64(m_entries.size()), tr("entry"), tr("entries")));
    Q_EMIT loaded(int(m_entries.size()));
}

void ActivityDialog::exportTo(const QString &path)
{
    if (m_time->currentData().toLongLong() == s_customRange && !customRange()) {
        Q_EMIT exported(path, tr("From is after To: no entry can be in this range."));
        return;
    }
    if (m_loading) {
        Q_EMIT exported(path, tr("The list is still loading: export it once it is shown."));
        return;
    }
    const ExportFormat format =
        path.endsWith(u".csv", Qt::CaseInsensitive) ? ExportFormat::Csv : ExportFormat::Jsonl;
    QPointer<ActivityDialog> self(this);
    m_status->setText(tr("Exporting…"));
    QThreadPool::globalInstance()->start([self, path, format, entries = m_entries] {
        QString error;
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            error = file.errorString();
        else if (auto written = exportActivity(entries, format, file); !written)
            error = written.error().toString();
        else if (!file.commit())
            error = file.errorString();
        QMetaObject::invokeMethod(
            qApp,
            [self, path, error] {
                if (!self)
                    return;
                self->m_status->setText(error.isEmpty()
                                            ? tr("Exported to %1").arg(path)
                                            : tr("Cannot export to %1: %2").arg(path, error));
                if (error.isEmpty()) {
                    ActivityEntry entry;
                    entry.actor = ReviewActions::reviewerName().toStdString();
                    entry.kind = ActivityKind::Export;
                    entry.what = "exported the activity log to " + path.toStdString();
                    Q_EMIT self->m_service->logActivity(entry);
                }
                Q_EMIT self->exported(path, error);
            },
            Qt::QueuedConnection);
    });
}

} // namespace llmaudit
