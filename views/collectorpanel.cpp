#include "collectorpanel.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace llmaudit {

using namespace Qt::StringLiterals;

CollectorPanel::CollectorPanel(QWidget *parent)
    : QWidget(parent)
{
    m_toggle = new QCheckBox(tr("Run the collector"), this);
    m_toggle->setObjectName(u"collectorToggle"_s);
    m_address = new QLineEdit(m_config.address, this);
    m_address->setObjectName(u"collectorAddress"_s);
    m_address->setToolTip(tr("127.0.0.1 keeps it on this machine; any other address needs a "
                             "token"));
    m_port = new QSpinBox(this);
    m_port->setObjectName(u"collectorPort"_s);
    m_port->setRange(0, 65535);
    m_port->setValue(8765);
    m_port->setSpecialValueText(tr("any free port"));
    m_token = new QLineEdit(this);
    m_token->setObjectName(u"collectorToken"_s);
    m_token->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_token->setPlaceholderText(tr("none (loopback only)"));
    m_newToken = new QPushButton(tr("New"), this);
    m_newToken->setToolTip(tr("Make a random token"));
    connect(m_newToken, &QPushButton::clicked, this, [this] {
        QByteArray bytes(24, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()),
                                              bytes.size() / 4);
        m_token->setText(QString::fromLatin1(
            bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)));
    });
    m_token->setToolTip(tr("Clients send it as \"Authorization: Bearer TOKEN\". Not saved: "
                           "enter or make one each time the window starts"));
    auto upstream = [this](const char *name, const QString &what) {
        auto *edit = new QLineEdit(this);
        edit->setObjectName(QString::fromLatin1(name));
        edit->setToolTip(tr("Where the recording proxy forwards %1 calls").arg(what));
        return edit;
    };
    m_openaiUpstream = upstream("collectorOpenaiUpstream", u"/proxy/openai/…"_s);
    m_anthropicUpstream = upstream("collectorAnthropicUpstream", u"/proxy/anthropic/…"_s);
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_token, 1);
    tokenRow->addWidget(m_newToken);

    m_status = new QLabel(tr("Stopped"), this);
    m_status->setObjectName(u"collectorStatus"_s);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto counter = [this](const char *name) {
        auto *label = new QLabel(u"0"_s, this);
        label->setObjectName(QString::fromLatin1(name));
        label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return label;
    };
    m_received = counter("collectorReceived");
    m_stored = counter("collectorStored");
    m_duplicates = counter("collectorDuplicates");
    m_rejected = counter("collectorRejected");
    m_queue = counter("collectorQueue");

    auto *form = new QFormLayout;
    form->setRowWrapPolicy(QFormLayout::WrapAllRows); // a narrow dock: labels above the fields
    // Wide enough for a URL and a token to be read without scrolling them.
    setMinimumWidth(fontMetrics().averageCharWidth() * 44);
    form->addRow(tr("Address"), m_address);
    form->addRow(tr("Port"), m_port);
    form->addRow(tr("Token"), tokenRow);
    form->addRow(tr("OpenAI upstream"), m_openaiUpstream);
    form->addRow(tr("Anthropic upstream"), m_anthropicUpstream);
    auto *counters = new QFormLayout;
    counters->addRow(tr("Received"), m_received);
    counters->addRow(tr("Stored"), m_stored);
    counters->addRow(tr("Duplicates"), m_duplicates);
    counters->addRow(tr("Rejected"), m_rejected);
    counters->addRow(tr("Waiting to be written"), m_queue);
    m_follow = new QCheckBox(tr("Keep the newest in view"), this);
    m_follow->setObjectName(u"collectorFollow"_s);
    m_follow->setEnabled(false); // until setFollowAction()
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_toggle);
    layout->addWidget(m_follow);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addLayout(counters);
    layout->addStretch(1);

    m_timer = new QTimer(this);
    m_timer->setInterval(500);
    connect(m_timer, &QTimer::timeout, this, &CollectorPanel::refresh);
    connect(m_toggle, &QCheckBox::toggled, this, [this](bool on) {
        if (on != isRunning())
            on ? start() : stop();
    });
    // Emitted on the writer thread, after every commit; queued to this one and coalesced so
    // that the table reloads at most twice a second under load.
    m_announce = new QTimer(this);
    m_announce->setSingleShot(true);
    m_announce->setInterval(500);
    connect(m_announce, &QTimer::timeout, this, [this] {
        const qint64 count = std::exchange(m_unannounced, 0);
        if (count > 0)
            Q_EMIT interactionsStored(count);
    });
    connect(
        &m_server, &CollectorServer::interactionsStored, this,
        [this](qint64 count) {
            m_unannounced += count;
            if (!m_announce->isActive())
                m_announce->start();
        },
        Qt::QueuedConnection);
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this,
            [this] { finished(m_watcher.result()); });
    loadSettings();
}

// The address, port and upstreams of the last collector that started; never the token (a
// secret, and the settings file is plain text).
void CollectorPanel::loadSettings()
{
    const QSettings settings;
    CollectorConfig config;
    config.port = 8765;
    config.address = settings.value(u"collector/address"_s, config.address).toString();
    config.port = static_cast<quint16>(settings.value(u"collector/port"_s, config.port).toUInt());
    config.openaiUpstream =
        settings.value(u"collector/openaiUpstream"_s, config.openaiUpstream).toUrl();
    config.anthropicUpstream =
        settings.value(u"collector/anthropicUpstream"_s, config.anthropicUpstream).toUrl();
    setConfig(config);
}

void CollectorPanel::saveSettings(const CollectorConfig &config)
{
    QSettings settings;
    settings.setValue(u"collector/address"_s, config.address);
    settings.setValue(u"collector/port"_s, config.port);
    settings.setValue(u"collector/openaiUpstream"_s, config.openaiUpstream);
    settings.setValue(u"collector/anthropicUpstream"_s, config.anthropicUpstream);
}

CollectorPanel::~CollectorPanel()
{
    m_watcher.waitForFinished();
    m_server.stop();
}

void CollectorPanel::setStorePath(const QString &path)
{
    if (path == m_storePath)
        return;
    m_storePath = path;
    if (isRunning()) {
        m_restart = true;
        stop();
    }
}

void CollectorPanel::setConfig(const CollectorConfig &config)
{
    m_config = config;
    m_address->setText(config.address);
    m_port->setValue(config.port);
    m_token->setText(QString::fromUtf8(config.token));
    m_openaiUpstream->setText(config.openaiUpstream.toString());
    m_anthropicUpstream->setText(config.anthropicUpstream.toString());
    for (QLineEdit *edit : {m_openaiUpstream, m_anthropicUpstream})
        edit->setCursorPosition(0); // the scheme and host, not the end of a long URL
}

CollectorConfig CollectorPanel::config() const
{
    CollectorConfig config = m_config;
    config.address = m_address->text().trimmed();
    config.port = static_cast<quint16>(m_port->value());
    config.token = m_token->text().trimmed().toUtf8();
    config.openaiUpstream = QUrl(m_openaiUpstream->text().trimmed());
    config.anthropicUpstream = QUrl(m_anthropicUpstream->text().trimmed());
    config.storeLocation = m_storePath;
    return config;
}

void CollectorPanel::setFollowAction(QAction *follow)
{
    m_follow->setEnabled(true);
    m_follow->setChecked(follow->isChecked());
    m_follow->setToolTip(follow->toolTip());
    connect(follow, &QAction::toggled, m_follow, &QCheckBox::setChecked);
    connect(m_follow, &QCheckBox::toggled, follow, &QAction::setChecked);
}

bool CollectorPanel::isRunning() const
{
    return m_server.isRunning();
}

quint16 CollectorPanel::port() const
{
    return m_server.port();
}

void CollectorPanel::start()
{
    if (m_watcher.isRunning() || isRunning())
        return;
    if (m_storePath.isEmpty()) {
        m_status->setText(tr("Open a store first."));
        m_toggle->setChecked(false);
        return;
    }
    const CollectorConfig config = this->config();
    for (const auto &[url, name] : {std::pair(config.openaiUpstream, tr("OpenAI upstream")),
                                    std::pair(config.anthropicUpstream, tr("Anthropic upstream"))})
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != u"http"_s && url.scheme() != u"https"_s)) {
            m_status->setText(
                tr("Not started: the %1 must be an http:// or https:// URL.").arg(name));
            m_toggle->setChecked(false);
            return;
        }
    setBusy(true);
    m_status->setText(tr("Starting…"));
    m_watcher.setFuture(QtConcurrent::run([this, config] {
        auto started = m_server.start(config);
        return started ? QString() : started.error().toString();
    }));
}

void CollectorPanel::stop()
{
    if (m_watcher.isRunning() || !isRunning())
        return;
    setBusy(true);
    m_status->setText(tr("Stopping: committing what was received…"));
    m_watcher.setFuture(QtConcurrent::run([this] {
        m_server.stop();
        return QString();
    }));
}

void CollectorPanel::setBusy(bool busy)
{
    m_toggle->setEnabled(!busy);
    const bool editable = !busy && !isRunning();
    m_address->setEnabled(editable);
    m_port->setEnabled(editable);
    m_token->setEnabled(editable);
    m_newToken->setEnabled(editable);
    m_openaiUpstream->setEnabled(editable);
    m_anthropicUpstream->setEnabled(editable);
}

void CollectorPanel::finished(const QString &error)
{
    const bool running = isRunning();
    setBusy(false);
    {
        const QSignalBlocker blocker(m_toggle);
        m_toggle->setChecked(running);
    }
    if (!error.isEmpty()) {
        m_status->setText(tr("Not started: %1").arg(error));
    } else if (running) {
        const QString address = m_server.address();
        const QString host = address.contains(u':') ? u"[%1]"_s.arg(address) : address;
        m_status->setText(tr("Listening on http://%1:%2").arg(host).arg(m_server.port()));
        saveSettings(config());
        m_timer->start();
    } else {
        m_status->setText(tr("Stopped"));
        m_timer->stop();
    }
    refresh();
    Q_EMIT runningChanged(running);
    if (!running && m_restart) {
        m_restart = false;
        start();
    }
}

void CollectorPanel::refresh()
{
    const CollectorCounters c = m_server.counters();
    const QLocale locale;
    m_received->setText(locale.toString(c.received));
    m_stored->setText(locale.toString(c.stored));
    m_duplicates->setText(locale.toString(c.duplicates + c.conflicts));
    m_rejected->setText(locale.toString(c.rejected));
    m_queue->setText(locale.toString(c.queueDepth));
}

} // namespace llmaudit
