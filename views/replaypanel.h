#pragma once

// The replay panel: the selected interaction's system prompt, prompt, context and parameters
// ready to edit, a provider and a model to send them to, Run (the answer streams in) and
// Cancel, and the interaction's replay history. A finished replay is stored, and its
// comparison with the original is offered to the diff view. Network and disk work happen on
// ReplayService's thread; log text is only ever shown as plain text.

#include "replayservice.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
class QToolButton;
class QTreeWidget;

namespace llmaudit {

class ReplayPanel : public QWidget
{
    Q_OBJECT

public:
    explicit ReplayPanel(QWidget *parent = nullptr);
    ~ReplayPanel() override;

    // The providers file (default: defaultProvidersPath()); takes effect with the next store.
    void setProvidersPath(const QString &path) { m_providersPath = path; }
    // The store replays are read from and written to; starts the panel's worker.
    void setStorePath(const QString &path);

    // Fills the editors from the interaction and lists its replays.
    void setInteraction(const StoredInteraction &interaction);
    void clearInteraction(const QString &message);
    const std::string &interactionId() const { return m_interactionId; }

    bool isRunning() const { return m_running != 0; }
    // What Run sends: the edits that differ from the record, as overrides.
    ReplaySpec spec() const;

    // The context editor separates documents with a line holding only this.
    static constexpr QStringView DocumentSeparator = u"---";

    // For tests and the window.
    QComboBox *providerBox() const { return m_provider; }
    QComboBox *modelBox() const { return m_model; }
    QPlainTextEdit *systemPromptEdit() const { return m_system; }
    QPlainTextEdit *promptEdit() const { return m_prompt; }
    QPlainTextEdit *contextEdit() const { return m_context; }
    QTableWidget *parametersTable() const { return m_parameters; }
    QPlainTextEdit *answerView() const { return m_answer; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelButton() const { return m_cancel; }
    QTreeWidget *historyList() const { return m_history; }
    QString statusText() const;

public Q_SLOTS:
    void run();
    void cancel();
    void resetEdits();
    void reloadProviders();
    // Shows the comparison of the original with the replay of the history's current row.
    void compareSelectedReplay();

Q_SIGNALS:
    void replayStarted(const QString &originalId);
    void replayFinished(const llmaudit::ReplayOutcome &outcome);
    void replayStored(const QString &replayId);
    // A comparison to show in the diff view: a finished replay, or one chosen in the history.
    void comparisonReady(const llmaudit::Comparison &comparison);
    void historyShown(int replays);
    void providersShown(int providers, const QString &error);

private:
    void setStatus(const QString &text, bool error = false);
    void updateButtons();
    void fillModels();
    void addParameterRow(const QString &key, const QString &value);
    std::vector<std::pair<std::string, nlohmann::json>> editedParameters() const;
    void onFinished(quint64 ticket, const ReplayOutcome &outcome);

    QString m_providersPath;
    ReplayService *m_service = nullptr;
    std::vector<ProviderConfig> m_providers;
    StoredInteraction m_stored;
    nlohmann::json m_document;
    std::string m_interactionId;
    // What the editors showed for the record, to tell edits from the record's own values.
    QString m_shownSystem;
    QString m_shownPrompt;
    QString m_shownContext;
    std::string m_recordedModel;
    nlohmann::json m_recordedParameters = nlohmann::json::object();

    quint64 m_ticket = 0;
    quint64 m_running = 0; // the ticket of the replay under way; 0: none
    std::string m_runningFor;
    quint64 m_historyGeneration = 0;
    quint64 m_compareGeneration = 0;

    QLabel *m_title = nullptr;
    QComboBox *m_provider = nullptr;
    QToolButton *m_reload = nullptr;
    QComboBox *m_model = nullptr;
    QPlainTextEdit *m_system = nullptr;
    QPlainTextEdit *m_prompt = nullptr;
    QPlainTextEdit *m_context = nullptr;
    QTableWidget *m_parameters = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_reset = nullptr;
    QPlainTextEdit *m_answer = nullptr;
    QLabel *m_status = nullptr;
    QTreeWidget *m_history = nullptr;
    QPushButton *m_compare = nullptr;
};

} // namespace llmaudit
