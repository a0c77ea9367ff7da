#include "privacydialog.h"

#include "counted.h"
#include "redactor.h"
#include "retentionpreview.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QVBoxLayout>

namespace llmaudit {

using namespace Qt::StringLiterals;

namespace {

const char *const Sample =
    "Hi, I'm Dana (dana.whitfield@example.com, +1 415 555 0132). Please refund card "
    "4111 1111 1111 1111 to IBAN DE89 3704 0044 0532 0130 00. Our server 10.20.30.40 logged "
    "key sk-proj-9fKx2LmQ7rT4vW8zY1bN3cD5 on version 1.2.3.4.";

QString groupLabel(FieldGroup group)
{
    switch (group) {
    case FieldGroup::Prompt:
        return PrivacyDialog::tr("Prompt");
    case FieldGroup::SystemPrompt:
        return PrivacyDialog::tr("System prompt");
    case FieldGroup::Context:
        return PrivacyDialog::tr("Context documents");
    case FieldGroup::Response:
        return PrivacyDialog::tr("Response");
    case FieldGroup::Metadata:
        return PrivacyDialog::tr("Metadata");
    }
    return {};
}

} // namespace

PrivacyDialog::PrivacyDialog(const QString &storeLocation, QWidget *parent)
    : QDialog(parent)
    , m_storeLocation(storeLocation)
{
    setWindowTitle(tr("Privacy Settings"));
    setObjectName(u"privacyDialog"_s);

    m_enabled = new QCheckBox(tr("&Redact records as they are imported into this store"));
    m_name = new QLineEdit;
    auto *actions = new QFormLayout;
    actions->addRow(tr("Policy name:"), m_name);
    for (FieldGroup group : AllFieldGroups) {
        auto *box = new QComboBox;
        for (RedactionAction action : {RedactionAction::Mask, RedactionAction::Hash,
                                       RedactionAction::Drop, RedactionAction::Keep}) {
            static const QStringList labels = {tr("Keep as it is"), tr("Mask ([EMAIL_1])"),
                                               tr("Keyed hash ([EMAIL:3f9a…])"),
                                               tr("Drop the text")};
            box->addItem(labels[static_cast<int>(action)], static_cast<int>(action));
        }
        box->setObjectName(u"action_"_s + fieldGroupName(group));
        m_actions[group] = box;
        actions->addRow(groupLabel(group) + u':', box);
    }
    m_hashLength = new QSpinBox;
    m_hashLength->setRange(8, 64);
    actions->addRow(tr("Hash digits:"), m_hashLength);
    auto *actionsGroup = new QGroupBox(tr("What happens to what is found"));
    actionsGroup->setLayout(actions);

    m_detectors = new QListWidget;
    for (const QString &type : PiiDetector::builtInTypes()) {
        auto *item = new QListWidgetItem(type, m_detectors);
        item->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled);
    }
    m_custom = new QPlainTextEdit;
    m_custom->setPlaceholderText(tr("One pattern a line: NAME = regular expression\n"
                                    "EMPLOYEE_ID = \\bEMP-\\d{6}\\b"));
    m_custom->setTabChangesFocus(true);
    auto *detectors = new QVBoxLayout;
    detectors->addWidget(m_detectors, 2);
    detectors->addWidget(new QLabel(tr("Patterns of your own:")));
    detectors->addWidget(m_custom, 1);
    auto *detectorsGroup = new QGroupBox(tr("Detectors"));
    detectorsGroup->setLayout(detectors);

    m_pseudonymize = new QCheckBox(tr("Replace &user ids by pseudonyms (keyed hash)"));
    m_keyFile = new QLineEdit;
    m_keyFile->setPlaceholderText(defaultKeyFile());
    auto *users = new QFormLayout;
    users->addRow(m_pseudonymize);
    users->addRow(tr("Key file:"), m_keyFile);
    auto *usersGroup = new QGroupBox(tr("Users"));
    usersGroup->setLayout(users);

    m_sample = new QPlainTextEdit(QString::fromUtf8(Sample));
    m_sample->setObjectName(u"sample"_s);
    m_after = new QPlainTextEdit;
    m_after->setReadOnly(true);
    m_after->setObjectName(u"after"_s);
    m_previewGroup = new QComboBox;
    for (FieldGroup group : AllFieldGroups)
        m_previewGroup->addItem(groupLabel(group), static_cast<int>(group));
    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    auto *previewTop = new QHBoxLayout;
    previewTop->addWidget(new QLabel(tr("Sample text, as a")));
    previewTop->addWidget(m_previewGroup);
    previewTop->addStretch();
    auto *preview = new QVBoxLayout;
    preview->addLayout(previewTop);
    preview->addWidget(m_sample);
    preview->addWidget(new QLabel(tr("After the policy:")));
    preview->addWidget(m_after);
    preview->addWidget(m_status);
    auto *previewGroup = new QGroupBox(tr("Preview"));
    previewGroup->setLayout(preview);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &PrivacyDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    // Retention: one line each, "30" or "forever"; empty follows the default.
    m_maxAge = new QLineEdit;
    m_maxAge->setObjectName(u"retention_max_age_days"_s);
    m_maxAge->setPlaceholderText(tr("forever"));
    auto *retentionForm = new QFormLayout;
    retentionForm->addRow(tr("Keep at most (days):"), m_maxAge);
    for (int level = 3; level >= 0; --level) {
        const auto sensitivity = static_cast<Sensitivity>(level);
        auto *edit = new QLineEdit;
        edit->setObjectName(u"retention_"_s + QString::fromUtf8(toString(sensitivity)));
        edit->setPlaceholderText(tr("as above"));
        m_levelDays[size_t(level)] = edit;
        retentionForm->addRow(tr("%1 (days):").arg(QString::fromUtf8(toString(sensitivity))), edit);
    }
    m_retentionStatus = new QLabel;
    m_retentionStatus->setObjectName(u"retentionStatus"_s);
    m_retentionStatus->setWordWrap(true);
    m_retentionStatus->setTextFormat(Qt::PlainText);
    retentionForm->addRow(m_retentionStatus);
    auto *retentionGroup = new QGroupBox(tr("Retention (by the interaction's time; days or "
                                            "\"forever\"; held interactions are kept)"));
    retentionGroup->setLayout(retentionForm);

    auto *left = new QVBoxLayout;
    left->addWidget(actionsGroup);
    left->addWidget(usersGroup);
    left->addWidget(retentionGroup);
    left->addWidget(detectorsGroup, 1);
    auto *columns = new QHBoxLayout;
    columns->addLayout(left, 1);
    columns->addWidget(previewGroup, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_enabled);
    layout->addWidget(new QLabel(tr("Redaction applies to what is imported from now on; stored "
                                    "records stay as they are. Retention applies when the store "
                                    "is purged (llmaudit purge).")));
    layout->addLayout(columns, 1);
    layout->addWidget(buttons);
    resize(980, 760);

    // A small file beside the store: read here rather than on a worker.
    auto stored = loadStorePolicy(m_storeLocation);
    if (!stored)
        m_status->setText(
            tr("The store's policy cannot be read: %1").arg(stored.error().toString()));
    load(stored && *stored ? **stored : RedactionPolicy{},
         stored && stored->has_value() && (*stored)->redact);

    m_retentionPreview = new RetentionPreview(m_storeLocation, this);
    connect(m_retentionPreview, &RetentionPreview::counted, this,
            [this](qint64 expired, qint64 held) {
                if (retention())
                    showRetentionPreview(
                        tr("%1 would be purged now, %2 held.")
                            .arg(counted(expired, tr("interaction"), tr("interactions")))
                            .arg(held));
            });
    connect(m_retentionPreview, &RetentionPreview::failed, this, [this](const QString &message) {
        showRetentionPreview(tr("Cannot count: %1").arg(message));
    });
    connect(m_maxAge, &QLineEdit::textChanged, this, [this] { updateRetentionPreview(); });
    for (QLineEdit *edit : m_levelDays)
        connect(edit, &QLineEdit::textChanged, this, [this] { updateRetentionPreview(); });
    updateRetentionPreview();

    const auto changed = [this] { updatePreview(); };
    connect(m_enabled, &QCheckBox::toggled, this, changed);
    for (auto &[group, box] : m_actions)
        connect(box, &QComboBox::currentIndexChanged, this, changed);
    connect(m_detectors, &QListWidget::itemChanged, this, changed);
    connect(m_custom, &QPlainTextEdit::textChanged, this, changed);
    connect(m_hashLength, &QSpinBox::valueChanged, this, changed);
    connect(m_pseudonymize, &QCheckBox::toggled, this, changed);
    connect(m_sample, &QPlainTextEdit::textChanged, this, changed);
    connect(m_previewGroup, &QComboBox::currentIndexChanged, this, changed);
    updatePreview();
}

void PrivacyDialog::load(const RedactionPolicy &policy, bool enabled)
{
    m_enabled->setChecked(enabled);
    m_name->setText(policy.name);
    for (auto &[group, box] : m_actions)
        box->setCurrentIndex(box->findData(static_cast<int>(policy.action(group))));
    for (int i = 0; i < m_detectors->count(); ++i) {
        QListWidgetItem *item = m_detectors->item(i);
        item->setCheckState(policy.detectors.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
    QStringList lines;
    for (const CustomPattern &p : policy.custom)
        lines << p.name + u" = "_s + p.pattern;
    m_custom->setPlainText(lines.join(u'\n'));
    m_hashLength->setValue(policy.hashLength);
    m_pseudonymize->setChecked(policy.pseudonymizeUsers);
    m_keyFile->setText(policy.keyFile);
    const RetentionPolicy &r = policy.retention;
    m_maxAge->setText(r.maxAgeDays ? QString::number(*r.maxAgeDays) : QString());
    for (size_t level = 0; level < m_levelDays.size(); ++level)
        m_levelDays[level]->setText(
            r.levelDays[level] ? RetentionPolicy::daysText(r.levelDays[level]) : QString());
}

Result<RetentionPolicy> PrivacyDialog::retention() const
{
    // The same checks and messages as the policy file's "retention" key.
    auto value = [](const QString &text) -> nlohmann::json {
        bool number = false;
        const qint64 days = text.toLongLong(&number);
        if (number)
            return days;
        return text.toStdString();
    };
    nlohmann::json json = nlohmann::json::object();
    if (const QString text = m_maxAge->text().trimmed(); !text.isEmpty())
        json["max_age_days"] = value(text);
    for (size_t level = 0; level < m_levelDays.size(); ++level)
        if (const QString text = m_levelDays[level]->text().trimmed(); !text.isEmpty())
            json["sensitivity"][std::string(toString(static_cast<Sensitivity>(level)))] =
                value(text);
    return RetentionPolicy::fromJson(json);
}

QString PrivacyDialog::retentionPreview() const
{
    return m_retentionStatus->text();
}

void PrivacyDialog::showRetentionPreview(const QString &text)
{
    m_retentionStatus->setText(text);
    Q_EMIT retentionPreviewChanged(text);
}

void PrivacyDialog::updateRetentionPreview()
{
    auto current = retention();
    if (!current) {
        showRetentionPreview(current.error().toString());
        return;
    }
    if (current->keepsEverything()) {
        showRetentionPreview(tr("Nothing expires: interactions are kept forever."));
        return;
    }
    m_retentionStatus->setText(tr("Counting…"));
    m_retentionPreview->request(*current);
}

bool PrivacyDialog::redactionEnabled() const
{
    return m_enabled->isChecked();
}

Result<RedactionPolicy> PrivacyDialog::policy() const
{
    RedactionPolicy policy;
    policy.name = m_name->text().trimmed().isEmpty() ? u"default"_s : m_name->text().trimmed();
    for (const auto &[group, box] : m_actions)
        policy.setAction(group, static_cast<RedactionAction>(box->currentData().toInt()));
    policy.detectors.clear();
    for (int i = 0; i < m_detectors->count(); ++i)
        if (m_detectors->item(i)->checkState() == Qt::Checked)
            policy.detectors << m_detectors->item(i)->text();
    const QStringList lines = m_custom->toPlainText().split(u'\n');
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype equals = line.indexOf(u'=');
        if (equals <= 0)
            return fail(
                tr("line %1 of your patterns: expected NAME = regular expression").arg(i + 1));
        policy.custom.push_back({line.left(equals).trimmed(), line.mid(equals + 1).trimmed()});
    }
    policy.hashLength = m_hashLength->value();
    policy.pseudonymizeUsers = m_pseudonymize->isChecked();
    policy.keyFile = m_keyFile->text().trimmed();
    // The same checks as a policy file gets.
    auto checked = RedactionPolicy::fromJson(policy.toJson());
    if (!checked)
        return std::unexpected(checked.error());
    return policy;
}

void PrivacyDialog::updatePreview()
{
    auto current = policy();
    if (!current) {
        m_after->clear();
        m_status->setText(current.error().toString());
        return;
    }
    if (!m_enabled->isChecked()) {
        m_after->setPlainText(m_sample->toPlainText());
        m_status->setText(tr("Redaction is off: records are stored as they arrive."));
        return;
    }
    // A throwaway key: the preview must not create or read the real key file.
    auto redactor = Redactor::create(*current, QByteArray(32, '\x5a'));
    if (!redactor) {
        m_after->clear();
        m_status->setText(redactor.error().toString());
        return;
    }
    const auto group = static_cast<FieldGroup>(m_previewGroup->currentData().toInt());
    RedactionOutcome outcome;
    m_after->setPlainText((*redactor)->redactText(m_sample->toPlainText(), group, &outcome));
    QStringList parts;
    for (const auto &[type, count] : outcome.counts)
        parts << u"%1 %2"_s.arg(type).arg(count);
    QString status =
        parts.isEmpty() ? tr("Nothing found.") : tr("Found: %1.").arg(parts.join(u", "_s));
    if (!outcome.dropped.isEmpty())
        status = tr("The text is dropped.");
    if (current->pseudonymizeUsers)
        status += u' ' + tr("A user id such as \"dana\" would be stored as %1 (with the real key, "
                            "another one).")
                             .arg(QString::fromStdString((*redactor)->pseudonym("dana")));
    m_status->setText(status);
}

QString PrivacyDialog::previewText() const
{
    return m_after->toPlainText();
}

QString PrivacyDialog::previewStatus() const
{
    return m_status->text();
}

Result<void> PrivacyDialog::save()
{
    auto kept = retention();
    if (!kept)
        return std::unexpected(kept.error());
    if (!m_enabled->isChecked() && kept->isEmpty()) {
        const QString path = storePolicyPath(m_storeLocation);
        if (QFile::exists(path) && !QFile::remove(path))
            return fail(tr("cannot remove the policy file"), path);
        return {};
    }
    auto current = policy();
    if (!current)
        return std::unexpected(current.error());
    // Retention settings without redaction: the file says so, and records are stored as they
    // arrive.
    current->redact = m_enabled->isChecked();
    current->retention = *kept;
    return saveStorePolicy(m_storeLocation, *current);
}

void PrivacyDialog::accept()
{
    if (auto saved = save(); !saved) {
        QMessageBox::warning(this, windowTitle(), saved.error().toString());
        return;
    }
    QDialog::accept();
}

} // namespace llmaudit
