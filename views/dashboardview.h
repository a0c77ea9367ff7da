#pragma once

// The dashboard: key figures and charts over the interactions (latency distribution,
// interactions and tokens over time, interactions by model, sensitivity mix, flagged rate).
// The figures are computed on a worker (Store::summary()); this widget only draws them.

#include "store.h"

#include <QWidget>

class QLabel;

namespace llmaudit {

class ChartCard;

class DashboardView : public QWidget
{
    Q_OBJECT

public:
    explicit DashboardView(QWidget *parent = nullptr);

    void setSummary(const Summary &summary);
    void showLoading();
    const Summary &summary() const { return m_summary; }

    // The key figures as shown, for tests ("Interactions" -> "400", ...).
    QString figure(const QString &name) const;

private:
    void addFigure(const QString &name);

    Summary m_summary;
    std::vector<std::pair<QString, QLabel *>> m_figures;
    ChartCard *m_latency = nullptr;
    ChartCard *m_overTime = nullptr;
    ChartCard *m_models = nullptr;
    ChartCard *m_sensitivity = nullptr;
};

} // namespace llmaudit
