#include "replaypanel.h"

#include "logcodec.h"
#include "logschema.h"
#include "reviewactions.h"

#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QShortcut>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <set>

namespace llmaudit {

namespace {

using nlohmann::json;
using namespace Qt::StringLiterals;

enum HistoryColumn { Time, Provider, Model, Similarity, Run, ColumnCount };
constexpr int ReplayIdRole = Qt::UserRole + 1;

const json *member(const json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

QString stringAt(const json &object, const char *key)
{
    const json *value = member(object, key);
    return value && value->is_string() ? QString::fromStdString(value->get<std::string>())
                                       : QString();
}

// Log text for an editor: as it is, except that a NUL (which QPlainTextEdit cannot hold) shows
// as <U+0000>.
QString editorText(const QString &text)
{
    QString out = text;
    out.replace(QChar(0), u"<U+0000>"_s);
    return out;
}

QPlainTextEdit *newEditor(const QString &placeholder, int lines)
{
    auto *edit = new QPlainTextEdit;
    edit->setPlaceholderText(placeholder);
    edit->setTabChangesFocus(true);
    edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    edit->setMinimumHeight(edit->fontMetrics().lineSpacing() * lines + 12);
    return edit;
}

} // namespace

ReplayPanel::ReplayPanel(QWidget *parent)
    : QWidget(parent)
    , m_providersPath(defaultProvidersPath())
{
    m_title = new QLabel(tr("Select an interaction to replay it."));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);

    m_provider = new QComboBox;
    m_provider->setToolTip(tr("The provider to send the replay to (providers.json)"));
    m_reload = new QToolButton;
    m_reload->setText(tr("Reload"));
    m_reload->setToolTip(tr("Read the providers file again"));
    m_model = new QComboBox;
    m_model->setEditable(true);
    m_model->setInsertPolicy(QComboBox::NoInsert);
    m_model->setToolTip(tr("The model to ask; empty: the provider's model"));
    m_system = newEditor(tr("No system prompt"), 2);
    m_prompt = newEditor(tr("The prompt"), 3);
    m_context = newEditor(
        tr("Context documents, separated by a line holding only %1").arg(DocumentSeparator), 3);
    m_parameters = new QTableWidget(0, 2);
    m_parameters->setHorizontalHeaderLabels({tr("Parameter"), tr("Value (JSON)")});
    m_parameters->horizontalHeader()->setStretchLastSection(true);
    m_parameters->verticalHeader()->hide();
    m_parameters->verticalHeader()->setDefaultSectionSize(m_parameters->fontMetrics().height() + 8);
    m_parameters->setMinimumHeight(m_parameters->fontMetrics().height() * 5);
    m_parameters->setToolTip(tr("temperature, top_p, max_tokens, seed, stop, or any other "
                                "parameter; values are JSON (0.2, 256, [\"END\"]) or text"));
    auto *addParameter = new QToolButton;
    addParameter->setText(tr("Add"));
    auto *removeParameter = new QToolButton;
    removeParameter->setText(tr("Remove"));

    m_run = new QPushButton(tr("&Run"));
    m_run->setToolTip(tr("Send the replay (Ctrl+Return)"));
    m_run->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"));
    m_reset = new QPushButton(tr("Reset Edits"));
    m_reset->setToolTip(tr("Put the record's own values back in the editors"));

    m_answer = new QPlainTextEdit;
    m_answer->setReadOnly(true);
    m_answer->setPlaceholderText(tr("The answer appears here as it arrives."));
    m_status = new QLabel;
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_history = new QTreeWidget;
    m_history->setColumnCount(ColumnCount);
    m_history->setHeaderLabels(
        {tr("Time"), tr("Provider"), tr("Model"), tr("Similarity"), tr("Run")});
    m_history->setRootIsDecorated(false);
    m_history->setUniformRowHeights(true);
    m_history->setAlternatingRowColors(true);
    m_history->setToolTip(tr("The replays of this interaction; double-click one to compare it "
                             "with the original"));
    m_compare = new QPushButton(tr("Co&mpare with Original"));

    // Left: what is sent. Right: what came back, and the earlier replays.
    auto *editor = new QWidget;
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto *providerRow = new QHBoxLayout;
    providerRow->addWidget(m_provider, 1);
    providerRow->addWidget(m_reload);
    form->addRow(tr("Provider"), providerRow);
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("System"), m_system);
    form->addRow(tr("Prompt"), m_prompt);
    form->addRow(tr("Context"), m_context);
    auto *parameterButtons = new QVBoxLayout;
    parameterButtons->addWidget(addParameter);
    parameterButtons->addWidget(removeParameter);
    parameterButtons->addStretch();
    auto *parameterRow = new QHBoxLayout;
    parameterRow->addWidget(m_parameters, 1);
    parameterRow->addLayout(parameterButtons);
    form->addRow(tr("Parameters"), parameterRow);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    buttons->addStretch();
    buttons->addWidget(m_reset);
    auto *editorLayout = new QVBoxLayout(editor);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addLayout(form, 1);
    editorLayout->addLayout(buttons);

    auto *results = new QSplitter(Qt::Vertical);
    auto *answerBox = new QWidget;
    auto *answerLayout = new QVBoxLayout(answerBox);
    answerLayout->setContentsMargins(0, 0, 0, 0);
    answerLayout->addWidget(new QLabel(tr("Answer")));
    answerLayout->addWidget(m_answer, 1);
    answerLayout->addWidget(m_status);
    auto *historyBox = new QWidget;
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    auto *historyTitle = new QHBoxLayout;
    historyTitle->addWidget(new QLabel(tr("Replays of this interaction")), 1);
    historyTitle->addWidget(m_compare);
    historyLayout->addLayout(historyTitle);
    historyLayout->addWidget(m_history, 1);
    results->addWidget(answerBox);
    results->addWidget(historyBox);
    results->setStretchFactor(0, 3);
    results->setStretchFactor(1, 2);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(editor);
    split->addWidget(results);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(split, 1);

    connect(m_run, &QPushButton::clicked, this, &ReplayPanel::run);
    connect(m_cancel, &QPushButton::clicked, this, &ReplayPanel::cancel);
    connect(m_reset, &QPushButton::clicked, this, &ReplayPanel::resetEdits);
    connect(m_reload, &QToolButton::clicked, this, &ReplayPanel::reloadProviders);
    connect(m_provider, &QComboBox::currentIndexChanged, this, &ReplayPanel::fillModels);
    connect(addParameter, &QToolButton::clicked, this, [this] {
        addParameterRow({}, {});
        m_parameters->setCurrentCell(m_parameters->rowCount() - 1, 0);
        m_parameters->editItem(m_parameters->item(m_parameters->rowCount() - 1, 0));
    });
    connect(removeParameter, &QToolButton::clicked, this, [this] {
        if (m_parameters->currentRow() >= 0)
            m_parameters->removeRow(m_parameters->currentRow());
    });
    connect(m_compare, &QPushButton::clicked, this, &ReplayPanel::compareSelectedReplay);
    connect(m_history, &QTreeWidget::itemActivated, this, &ReplayPanel::compareSelectedReplay);
    connect(m_history, &QTreeWidget::currentItemChanged, this, &ReplayPanel::updateButtons);
    auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &ReplayPanel::run);
    updateButtons();
}

ReplayPanel::~ReplayPanel() = default;

void ReplayPanel::setStorePath(const QString &path)
{
    delete m_service; // its thread ends, and any replay under way with it
    m_service = new ReplayService(path, m_providersPath, this);
    m_running = 0;
    connect(m_service, &ReplayService::providersLoaded, this,
            [this](const std::vector<ProviderConfig> &providers, const QString &error) {
                m_providers = providers;
                const QString current = m_provider->currentData().toString();
                m_provider->blockSignals(true);
                m_provider->clear();
                m_provider->addItem(tr("Automatic"), QString());
                m_provider->setItemData(0,
                                        tr("The provider whose model is the record's, else the "
                                           "first one"),
                                        Qt::ToolTipRole);
                for (const ProviderConfig &p : providers) {
                    m_provider->addItem(p.name, p.name);
                    m_provider->setItemData(m_provider->count() - 1, p.label(), Qt::ToolTipRole);
                }
                m_provider->setCurrentIndex(std::max(0, m_provider->findData(current)));
                m_provider->blockSignals(false);
                fillModels();
                if (!error.isEmpty())
                    setStatus(tr("No providers: %1").arg(error), true);
                else if (providers.empty())
                    setStatus(tr("The providers file lists no provider."), true);
                Q_EMIT providersShown(int(providers.size()), error);
            });
    connect(m_service, &ReplayService::textReceived, this,
            [this](quint64 ticket, const QString &text) {
                if (ticket != m_running || m_runningFor != m_interactionId)
                    return;
                QScrollBar *bar = m_answer->verticalScrollBar();
                const bool atEnd = bar->value() == bar->maximum();
                QTextCursor cursor(m_answer->document());
                cursor.movePosition(QTextCursor::End);
                cursor.insertText(editorText(text));
                if (atEnd)
                    bar->setValue(bar->maximum());
            });
    connect(
        m_service, &ReplayService::retrying, this,
        [this](quint64 ticket, int attempt, int delayMs, const QString &reason) {
            if (ticket == m_running)
                setStatus(
                    tr("Retrying (attempt %1 in %2 ms): %3").arg(attempt).arg(delayMs).arg(reason));
        });
    connect(m_service, &ReplayService::finished, this, &ReplayPanel::onFinished);
    connect(m_service, &ReplayService::historyLoaded, this,
            [this](quint64 generation, const std::string &id,
                   const std::vector<ReplayHistoryEntry> &entries) {
                if (generation != m_historyGeneration || id != m_interactionId)
                    return;
                m_history->clear();
                for (const ReplayHistoryEntry &e : entries) {
                    auto *item = new QTreeWidgetItem;
                    const auto ms = LogSchema::parseDateTime(e.timestamp);
                    item->setText(Time, ms ? QDateTime::fromMSecsSinceEpoch(*ms).toString(
                                                 u"yyyy-MM-dd HH:mm:ss"_s)
                                           : QString::fromStdString(visible(e.timestamp)));
                    item->setText(Provider, QString::fromStdString(visible(e.provider)));
                    item->setText(Model, QString::fromStdString(visible(e.model)));
                    item->setText(Similarity, e.exactMatch ? tr("identical")
                                              : e.similarity
                                                  ? QString::number(*e.similarity, 'f', 3)
                                                  : tr("n/a"));
                    item->setText(Run, QString::fromStdString(visible(e.runId)));
                    item->setData(0, ReplayIdRole, QString::fromStdString(e.replayId));
                    item->setToolTip(0, QString::fromStdString(visible(e.replayId)));
                    m_history->addTopLevelItem(item);
                }
                for (int c = 0; c < ColumnCount; ++c)
                    m_history->resizeColumnToContents(c);
                updateButtons();
                Q_EMIT historyShown(int(entries.size()));
            });
    connect(m_service, &ReplayService::compared, this,
            [this](quint64 generation, const Comparison &comparison) {
                if (generation == m_compareGeneration)
                    Q_EMIT comparisonReady(comparison);
            });
    connect(m_service, &ReplayService::failed, this,
            [this](const QString &message) { setStatus(message, true); });
    Q_EMIT m_service->loadProviders();
    if (!m_interactionId.empty())
        Q_EMIT m_service->loadHistory(++m_historyGeneration, m_interactionId);
    updateButtons();
}

void ReplayPanel::reloadProviders()
{
    if (m_service)
        Q_EMIT m_service->loadProviders();
}

void ReplayPanel::setInteraction(const StoredInteraction &interaction)
{
    m_stored = interaction;
    m_document = json::parse(interaction.document, nullptr, false);
    if (!m_document.is_object()) {
        clearInteraction(tr("This record is not a JSON object and cannot be replayed."));
        return;
    }
    m_interactionId = m_document.value("interaction_id", std::string());
    m_title->setText(tr("Replay of %1").arg(QString::fromStdString(visible(m_interactionId))));
    resetEdits();
    m_answer->clear();
    m_history->clear();
    setStatus(m_running ? tr("A replay of another interaction is still under way.") : QString());
    if (m_service)
        Q_EMIT m_service->loadHistory(++m_historyGeneration, m_interactionId);
    updateButtons();
}

void ReplayPanel::clearInteraction(const QString &message)
{
    m_stored = {};
    m_document = json();
    m_interactionId.clear();
    m_title->setText(message);
    for (QPlainTextEdit *edit : {m_system, m_prompt, m_context, m_answer})
        edit->clear();
    m_parameters->setRowCount(0);
    m_history->clear();
    updateButtons();
}

void ReplayPanel::resetEdits()
{
    static const json empty = json::object();
    const json *requestPtr = member(m_document, "request");
    const json &request = requestPtr ? *requestPtr : empty;
    const json *messages = member(request, "messages");
    const bool hasMessages = messages && messages->is_array() && !messages->empty();

    // What the request sends: the leading system message and the last user message when the
    // record has messages, else its system prompt and prompt.
    m_shownSystem = stringAt(request, "system_prompt");
    m_shownPrompt = stringAt(request, "prompt");
    if (hasMessages) {
        const json &first = messages->front();
        const QString role = stringAt(first, "role");
        if (role == u"system" || role == u"developer")
            m_shownSystem = stringAt(first, "content");
        else if (!member(request, "system_prompt"))
            m_shownSystem.clear();
        if (!member(request, "prompt"))
            for (auto it = messages->rbegin(); it != messages->rend(); ++it)
                if (stringAt(*it, "role") == u"user") {
                    m_shownPrompt = stringAt(*it, "content");
                    break;
                }
    }
    QStringList documents;
    if (const json *context = member(request, "context"); context && context->is_array())
        for (const json &item : *context)
            if (const json *content = member(item, "content"); content && content->is_string())
                documents << QString::fromStdString(content->get<std::string>());
    m_shownContext = documents.join(u'\n' + DocumentSeparator.toString() + u'\n');
    m_system->setPlainText(editorText(m_shownSystem));
    m_prompt->setPlainText(editorText(m_shownPrompt));
    m_context->setPlainText(editorText(m_shownContext));
    // The editors show a NUL as <U+0000>: compare against what they show.
    m_shownSystem = m_system->toPlainText();
    m_shownPrompt = m_prompt->toPlainText();
    m_shownContext = m_context->toPlainText();

    m_recordedModel = recordedModel(m_document);
    m_model->setCurrentText(QString());
    m_recordedParameters = json::object();
    if (const json *parameters = member(request, "parameters");
        parameters && parameters->is_object())
        m_recordedParameters = *parameters;
    m_parameters->setRowCount(0);
    for (const auto &[key, value] : m_recordedParameters.items()) {
        if (key == "model" || key == "messages" || key == "stream")
            continue;
        addParameterRow(
            QString::fromStdString(key),
            QString::fromStdString(value.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
    fillModels();
}

void ReplayPanel::fillModels()
{
    // What the user typed stays; an empty box shows the record's model.
    const QString current = m_model->currentText();
    m_model->blockSignals(true);
    m_model->clear();
    QStringList models;
    if (!m_recordedModel.empty())
        models << QString::fromStdString(m_recordedModel);
    for (const ProviderConfig &p : m_providers)
        if (!p.defaultModel.isEmpty() && !models.contains(p.defaultModel))
            models << p.defaultModel;
    m_model->addItems(models);
    m_model->setCurrentText(current.isEmpty() ? QString::fromStdString(m_recordedModel) : current);
    m_model->blockSignals(false);
}

void ReplayPanel::addParameterRow(const QString &key, const QString &value)
{
    const int row = m_parameters->rowCount();
    m_parameters->insertRow(row);
    m_parameters->setItem(row, 0, new QTableWidgetItem(key));
    m_parameters->setItem(row, 1, new QTableWidgetItem(value));
}

std::vector<std::pair<std::string, json>> ReplayPanel::editedParameters() const
{
    std::vector<std::pair<std::string, json>> list;
    for (int row = 0; row < m_parameters->rowCount(); ++row) {
        const QTableWidgetItem *key = m_parameters->item(row, 0);
        const QTableWidgetItem *value = m_parameters->item(row, 1);
        if (!key || key->text().trimmed().isEmpty())
            continue;
        auto parsed =
            parseParameter(key->text().trimmed() + u'=' + (value ? value->text() : QString()));
        if (parsed)
            list.push_back(std::move(*parsed));
    }
    return list;
}

ReplaySpec ReplayPanel::spec() const
{
    ReplaySpec spec;
    spec.stream = true;
    spec.provider = m_provider->currentData().toString();
    ReplayOverrides &o = spec.overrides;
    if (m_system->toPlainText() != m_shownSystem)
        o.systemPrompt = m_system->toPlainText().toStdString();
    if (m_prompt->toPlainText() != m_shownPrompt)
        o.prompt = m_prompt->toPlainText().toStdString();
    if (m_context->toPlainText() != m_shownContext) {
        o.context.emplace();
        const QString text = m_context->toPlainText();
        if (!text.trimmed().isEmpty()) {
            static const QRegularExpression separator(u"\\n---[ \\t]*(\\n|$)"_s);
            for (const QString &document : text.split(separator))
                o.context->push_back(document.toStdString());
        }
    }
    const QString model = m_model->currentText().trimmed();
    if (!model.isEmpty() && model.toStdString() != m_recordedModel)
        o.model = model.toStdString();
    // Parameters: the changed and new ones, and null for the removed ones.
    std::set<std::string> seen;
    for (auto &[key, value] : editedParameters()) {
        seen.insert(key);
        if (key == "model") {
            if (!o.model && value.is_string() && value.get<std::string>() != m_recordedModel)
                o.model = value.get<std::string>();
            continue;
        }
        auto recorded = m_recordedParameters.find(key);
        if (recorded == m_recordedParameters.end() || *recorded != value)
            o.parameters[key] = value;
    }
    for (const auto &[key, value] : m_recordedParameters.items())
        if (key != "model" && key != "messages" && key != "stream" && !seen.contains(key))
            o.parameters[key] = nullptr;
    return spec;
}

void ReplayPanel::run()
{
    if (!m_service || m_interactionId.empty() || m_running)
        return;
    m_running = ++m_ticket;
    m_runningFor = m_interactionId;
    m_answer->clear();
    const ReplaySpec replaySpec = spec();
    setStatus(replaySpec.overrides.isEmpty() ? tr("Replaying as recorded…")
                                             : tr("Replaying with your changes…"));
    // The Reviewer Name as it is now (it may have changed since the last replay).
    Q_EMIT m_service->setActor(ReviewActions::reviewerName());
    Q_EMIT m_service->run(m_running, m_stored, replaySpec);
    updateButtons();
    Q_EMIT replayStarted(QString::fromStdString(m_interactionId));
}

void ReplayPanel::cancel()
{
    if (m_service && m_running)
        Q_EMIT m_service->cancel(m_running);
}

void ReplayPanel::onFinished(quint64 ticket, const ReplayOutcome &outcome)
{
    if (ticket != m_running)
        return;
    m_running = 0;
    const bool shown = m_runningFor == m_interactionId;
    if (outcome.ok()) {
        if (shown) {
            // A provider that did not stream still answered: show the whole text.
            if (m_answer->toPlainText() != editorText(QString::fromStdString(outcome.chat.content)))
                m_answer->setPlainText(editorText(QString::fromStdString(outcome.chat.content)));
            setStatus(tr("Stored as %1 — similarity %2, %3 ms via %4")
                          .arg(QString::fromStdString(visible(outcome.replayId)))
                          .arg(outcome.comparison && outcome.comparison->response.exactMatch
                                   ? tr("1 (identical)")
                                   : QString::number(outcome.similarity(), 'f', 3))
                          .arg(outcome.chat.latencyMs)
                          .arg(QString::fromStdString(visible(outcome.chat.provider))));
            Q_EMIT m_service->loadHistory(++m_historyGeneration, m_interactionId);
        } else {
            setStatus(tr("The replay of %1 finished and was stored as %2.")
                          .arg(QString::fromStdString(visible(outcome.originalId)),
                               QString::fromStdString(visible(outcome.replayId))));
        }
        if (outcome.stored)
            Q_EMIT replayStored(QString::fromStdString(outcome.replayId));
        if (shown && outcome.comparison)
            Q_EMIT comparisonReady(*outcome.comparison);
    } else {
        setStatus(tr("The replay failed: %1").arg(outcome.errorText()), true);
    }
    updateButtons();
    Q_EMIT replayFinished(outcome);
}

void ReplayPanel::compareSelectedReplay()
{
    const QTreeWidgetItem *item = m_history->currentItem();
    if (!m_service || !item || m_interactionId.empty())
        return;
    Q_EMIT m_service->compare(++m_compareGeneration, m_interactionId,
                              item->data(0, ReplayIdRole).toString().toStdString());
}

void ReplayPanel::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setProperty("error", error); // for style sheets and tests
}

QString ReplayPanel::statusText() const
{
    return m_status->text();
}

void ReplayPanel::updateButtons()
{
    const bool ready = m_service && !m_interactionId.empty();
    m_run->setEnabled(ready && !m_running);
    m_cancel->setEnabled(m_running != 0);
    m_reset->setEnabled(!m_interactionId.empty());
    m_compare->setEnabled(m_service && m_history->currentItem());
}

} // namespace llmaudit
