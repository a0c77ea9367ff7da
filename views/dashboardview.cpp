#include "dashboardview.h"

#include "counted.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QPieSeries>
#include <QVBoxLayout>
#include <QValueAxis>

namespace llmaudit {

// A titled chart that follows the palette (light or dark).
class ChartCard : public QChartView
{
public:
    explicit ChartCard(const QString &title, QWidget *parent = nullptr)
        : QChartView(parent)
    {
        setRenderHint(QPainter::Antialiasing);
        setMinimumSize(360, 240);
        m_title = title;
        replace(new QChart);
    }

    // Takes ownership of a new chart, titled and themed.
    void replace(QChart *chart)
    {
        const bool dark = palette().color(QPalette::Base).lightness() < 128;
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setTitle(m_title);
        QFont font = chart->titleFont();
        font.setBold(true);
        font.setPointSizeF(font.pointSizeF() * 1.1);
        chart->setTitleFont(font);
        chart->setBackgroundRoundness(4);
        chart->setMargins(QMargins(4, 4, 4, 4));
        chart->legend()->setVisible(false);
        QChart *old = this->chart();
        setChart(chart);
        delete old;
    }

private:
    QString m_title;
};

namespace {

QString number(qint64 n)
{
    return QLocale().toString(n);
}

QString milliseconds(std::optional<int64_t> ms)
{
    if (!ms)
        return QStringLiteral("–");
    if (*ms >= 10'000)
        return QStringLiteral("%1 s").arg(double(*ms) / 1000.0, 0, 'f', 1);
    return QStringLiteral("%1 ms").arg(number(*ms));
}

QString bucketLabel(int64_t fromMs)
{
    if (fromMs >= 60'000)
        return QStringLiteral("%1 min").arg(fromMs / 60'000);
    if (fromMs >= 1000)
        return QStringLiteral("%1 s").arg(fromMs / 1000);
    return QStringLiteral("%1 ms").arg(fromMs);
}

QColor sensitivityColor(const std::string &level)
{
    if (level == "public")
        return QColor(0x6a, 0xb0, 0x4c);
    if (level == "internal")
        return QColor(0x3d, 0x8b, 0xd0);
    if (level == "confidential")
        return QColor(0xe8, 0x9b, 0x2e);
    if (level == "restricted")
        return QColor(0xd2, 0x45, 0x3c);
    return QColor(0x9a, 0x9a, 0x9a);
}

} // namespace

DashboardView::DashboardView(QWidget *parent)
    : QWidget(parent)
{
    auto *figures = new QHBoxLayout;
    figures->setSpacing(24);
    for (const QString &name : {tr("Interactions"), tr("Flagged"), tr("Latency p50"),
                                tr("Latency p95"), tr("Latency p99"), tr("Tokens")}) {
        addFigure(name);
        auto *box = new QVBoxLayout;
        auto *caption = new QLabel(name);
        caption->setForegroundRole(QPalette::PlaceholderText);
        box->addWidget(caption);
        box->addWidget(m_figures.back().second);
        figures->addLayout(box);
    }
    figures->addStretch(1);

    m_latency = new ChartCard(tr("Latency distribution"));
    m_overTime = new ChartCard(tr("Interactions and tokens over time"));
    m_models = new ChartCard(tr("Interactions by model"));
    m_sensitivity = new ChartCard(tr("Sensitivity mix"));
    auto *grid = new QGridLayout;
    grid->addWidget(m_overTime, 0, 0);
    grid->addWidget(m_latency, 0, 1);
    grid->addWidget(m_models, 1, 0);
    grid->addWidget(m_sensitivity, 1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(figures);
    layout->addLayout(grid, 1);
    showLoading();
}

void DashboardView::addFigure(const QString &name)
{
    auto *value = new QLabel(QStringLiteral("–"));
    value->setTextFormat(Qt::PlainText);
    QFont font = value->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    font.setBold(true);
    value->setFont(font);
    m_figures.emplace_back(name, value);
}

QString DashboardView::figure(const QString &name) const
{
    for (const auto &[n, label] : m_figures)
        if (n == name)
            return label->text();
    return {};
}

void DashboardView::showLoading()
{
    for (const auto &[name, label] : m_figures)
        label->setText(QStringLiteral("…"));
}

void DashboardView::setSummary(const Summary &summary)
{
    m_summary = summary;
    const auto set = [this](const QString &name, const QString &text) {
        for (auto &[n, label] : m_figures)
            if (n == name)
                label->setText(text);
    };
    set(tr("Interactions"), number(summary.interactions));
    set(tr("Flagged"),
        summary.interactions == 0
            ? QStringLiteral("0")
            : QStringLiteral("%1 (%2 %)")
                  .arg(number(summary.flagged))
                  .arg(100.0 * double(summary.flagged) / double(summary.interactions), 0, 'f', 1));
    set(tr("Latency p50"), milliseconds(summary.latencyP50));
    set(tr("Latency p95"), milliseconds(summary.latencyP95));
    set(tr("Latency p99"), milliseconds(summary.latencyP99));
    set(tr("Tokens"), number(summary.totalTokens));

    // Latency: one bar per power-of-two bucket.
    {
        auto *chart = new QChart;
        auto *set = new QBarSet(tr("Interactions"));
        QStringList labels;
        for (const auto &b : summary.latencyHistogram) {
            *set << double(b.interactions);
            labels << bucketLabel(b.fromMs);
        }
        auto *series = new QBarSeries;
        series->append(set);
        series->setBarWidth(0.9);
        chart->addSeries(series);
        auto *x = new QBarCategoryAxis;
        x->append(labels);
        x->setTitleText(tr("from"));
        auto *y = new QValueAxis;
        y->setLabelFormat(QStringLiteral("%d"));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        series->attachAxis(x);
        series->attachAxis(y);
        y->applyNiceNumbers();
        m_latency->replace(chart);
    }

    // Over time: interactions (bars would crowd; a line) and tokens on a second axis.
    {
        auto *chart = new QChart;
        auto *interactions = new QLineSeries;
        interactions->setName(tr("interactions"));
        auto *tokens = new QLineSeries;
        tokens->setName(tr("tokens"));
        qint64 maxInteractions = 1;
        qint64 maxTokens = 1;
        for (const auto &b : summary.overTime) {
            interactions->append(double(b.fromMs), double(b.interactions));
            tokens->append(double(b.fromMs), double(b.tokens));
            maxInteractions = std::max(maxInteractions, b.interactions);
            maxTokens = std::max(maxTokens, b.tokens);
        }
        chart->addSeries(interactions);
        chart->addSeries(tokens);
        auto *x = new QDateTimeAxis;
        x->setTickCount(6);
        x->setFormat(summary.timeBucketMs < 86'400'000 ? u"MMM d HH:mm"_qs : u"MMM d"_qs);
        x->setTitleText(summary.timeBucketMs <= 3'600'000    ? tr("per hour (local time)")
                        : summary.timeBucketMs <= 86'400'000 ? tr("per day")
                                                             : tr("per week"));
        if (!summary.overTime.empty())
            x->setRange(QDateTime::fromMSecsSinceEpoch(summary.overTime.front().fromMs),
                        QDateTime::fromMSecsSinceEpoch(summary.overTime.back().fromMs));
        auto *left = new QValueAxis;
        left->setRange(0, double(maxInteractions));
        left->setLabelFormat(QStringLiteral("%d"));
        left->setTitleText(tr("interactions"));
        auto *right = new QValueAxis;
        right->setRange(0, double(maxTokens));
        right->setLabelFormat(QStringLiteral("%d"));
        right->setTitleText(tr("tokens"));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(left, Qt::AlignLeft);
        chart->addAxis(right, Qt::AlignRight);
        interactions->attachAxis(x);
        interactions->attachAxis(left);
        tokens->attachAxis(x);
        tokens->attachAxis(right);
        left->applyNiceNumbers();
        right->applyNiceNumbers();
        m_overTime->replace(chart);
        chart->legend()->setVisible(true);
        chart->legend()->setAlignment(Qt::AlignTop);
    }

    // Models: the eight most used, the rest together.
    {
        auto *chart = new QChart;
        auto *set = new QBarSet(tr("Interactions"));
        QStringList labels;
        qint64 rest = 0;
        for (size_t i = 0; i < summary.byModel.size(); ++i) {
            if (i < 8) {
                labels.prepend(summary.byModel[i].key.empty()
                                   ? tr("(none)")
                                   : QString::fromStdString(summary.byModel[i].key));
            } else {
                rest += summary.byModel[i].count;
            }
        }
        if (rest > 0)
            labels.prepend(tr("%1 others").arg(summary.byModel.size() - 8));
        if (rest > 0)
            *set << double(rest);
        for (size_t i = std::min<size_t>(summary.byModel.size(), 8); i-- > 0;)
            *set << double(summary.byModel[i].count);
        auto *series = new QHorizontalBarSeries;
        series->append(set);
        series->setLabelsVisible(true);
        series->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
        chart->addSeries(series);
        auto *y = new QBarCategoryAxis;
        y->append(labels);
        auto *x = new QValueAxis;
        x->setLabelFormat(QStringLiteral("%d"));
        chart->addAxis(y, Qt::AlignLeft);
        chart->addAxis(x, Qt::AlignBottom);
        series->attachAxis(y);
        series->attachAxis(x);
        x->applyNiceNumbers();
        m_models->replace(chart);
    }

    // Sensitivity: a donut in the levels' own colours.
    {
        auto *chart = new QChart;
        auto *series = new QPieSeries;
        series->setHoleSize(0.45);
        for (const auto &c : summary.bySensitivity) {
            auto *slice = series->append(
                QStringLiteral("%1 %2")
                    .arg(c.key.empty() ? tr("not given") : QString::fromStdString(c.key))
                    .arg(number(c.count)),
                double(c.count));
            slice->setColor(sensitivityColor(c.key));
            slice->setLabelVisible(true);
        }
        chart->addSeries(series);
        m_sensitivity->replace(chart);
    }
}

} // namespace llmaudit
