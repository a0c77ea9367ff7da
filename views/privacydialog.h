#pragma once

// The privacy settings of a store: whether records are redacted at ingest, what happens in each
// field group, which detectors run (and the store's own patterns), pseudonymous users and their
// key file; and how long interactions are kept (retention, by sensitivity level). A sample text
// is shown before and after the policy, redacted by the same storage function import uses (with
// a throwaway key, so the preview never touches the real one), and how many interactions the
// retention settings would purge now is counted on a worker. Saving writes STORE.privacy.json;
// redaction applies to what is imported from then on, retention to `llmaudit purge`.

#include "redactionpolicy.h"

#include <QDialog>

#include <map>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;

namespace llmaudit {

class RetentionPreview;

class PrivacyDialog : public QDialog
{
    Q_OBJECT

public:
    // Shows the policy of the store at `storeLocation` (or the defaults when it has none).
    explicit PrivacyDialog(const QString &storeLocation, QWidget *parent = nullptr);

    // The policy as the dialog shows it; an error when a custom pattern is wrong.
    Result<RedactionPolicy> policy() const;
    bool redactionEnabled() const;

    // For tests and for whoever drives the dialog.
    QCheckBox *enabledBox() const { return m_enabled; }
    QComboBox *actionBox(FieldGroup group) const { return m_actions.at(group); }
    QListWidget *detectorList() const { return m_detectors; }
    QPlainTextEdit *customEdit() const { return m_custom; }
    QCheckBox *pseudonymizeBox() const { return m_pseudonymize; }
    QPlainTextEdit *sampleEdit() const { return m_sample; }
    QComboBox *previewGroupBox() const { return m_previewGroup; }
    QString previewText() const;   // the sample after the policy
    QString previewStatus() const; // counts, or why there is no preview

    // Retention: days as text ("30", "forever"; empty: the default, or forever for the default).
    QLineEdit *maxAgeEdit() const { return m_maxAge; }
    QLineEdit *levelEdit(Sensitivity level) const { return m_levelDays[size_t(level)]; }
    Result<RetentionPolicy> retention() const;
    // "N interactions would be purged now, M held", or why not.
    QString retentionPreview() const;

    // Writes the policy beside the store (or removes it when redaction is off).
    Result<void> save();

public Q_SLOTS:
    void accept() override;

Q_SIGNALS:
    void retentionPreviewChanged(const QString &text);

private:
    void load(const RedactionPolicy &policy, bool enabled);
    void updatePreview();
    void updateRetentionPreview();
    void showRetentionPreview(const QString &text);

    QString m_storeLocation;
    QCheckBox *m_enabled = nullptr;
    QLineEdit *m_name = nullptr;
    std::map<FieldGroup, QComboBox *> m_actions;
    QListWidget *m_detectors = nullptr;
    QPlainTextEdit *m_custom = nullptr;
    QSpinBox *m_hashLength = nullptr;
    QCheckBox *m_pseudonymize = nullptr;
    QLineEdit *m_keyFile = nullptr;
    QPlainTextEdit *m_sample = nullptr;
    QComboBox *m_previewGroup = nullptr;
    QPlainTextEdit *m_after = nullptr;
    QLabel *m_status = nullptr;
    QLineEdit *m_maxAge = nullptr;
    std::array<QLineEdit *, 4> m_levelDays{};
    QLabel *m_retentionStatus = nullptr;
    RetentionPreview *m_retentionPreview = nullptr;
};

} // namespace llmaudit
