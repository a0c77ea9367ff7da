// The privacy settings dialog: the live preview follows every setting and is what the storage
// redactor makes of the sample; saving writes the store's policy, which the dialog reads back;
// the main window opens it from the File menu.

#include "mainwindow.h"
#include "privacydialog.h"
#include "redactor.h"
#include "store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QTest>

using namespace llmaudit;
using namespace Qt::StringLiterals;

namespace {

void setAction(PrivacyDialog &dialog, FieldGroup group, RedactionAction action)
{
    QComboBox *box = dialog.actionBox(group);
    box->setCurrentIndex(box->findData(static_cast<int>(action)));
}

void uncheck(PrivacyDialog &dialog, const QString &type)
{
    const auto items = dialog.detectorList()->findItems(type, Qt::MatchExactly);
    QCOMPARE(items.size(), 1);
    items.front()->setCheckState(Qt::Unchecked);
}

} // namespace

class TestPrivacyDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void previewFollowsThePolicy()
    {
        PrivacyDialog dialog(m_dir.filePath(u"a.sqlite"_s));
        QVERIFY(!dialog.redactionEnabled()); // a store without a policy
        dialog.sampleEdit()->setPlainText(u"Mail ann@example.com, ann@example.com or 10.0.0.7"_s);
        QCOMPARE(dialog.previewText(), dialog.sampleEdit()->toPlainText());

        dialog.enabledBox()->setChecked(true);
        QCOMPARE(dialog.previewText(), u"Mail [EMAIL_1], [EMAIL_1] or [IPV4_1]"_s);
        QVERIFY2(dialog.previewStatus().contains(u"EMAIL 2"_s), qPrintable(dialog.previewStatus()));

        // The same function as import: the preview equals the storage redactor's output.
        auto policy = dialog.policy();
        QVERIFY(policy);
        auto redactor = Redactor::create(*policy, QByteArray(32, 'k'));
        QCOMPARE(dialog.previewText(),
                 (*redactor)->redactText(dialog.sampleEdit()->toPlainText(), FieldGroup::Prompt));

        uncheck(dialog, u"IPV4"_s);
        QCOMPARE(dialog.previewText(), u"Mail [EMAIL_1], [EMAIL_1] or 10.0.0.7"_s);

        setAction(dialog, FieldGroup::Prompt, RedactionAction::Hash);
        QVERIFY2(QRegularExpression(u"^Mail \\[EMAIL:[0-9a-f]{12}\\], \\[EMAIL:[0-9a-f]{12}\\] or "
                                    u"10\\.0\\.0\\.7$"_s)
                     .match(dialog.previewText())
                     .hasMatch(),
                 qPrintable(dialog.previewText()));

        setAction(dialog, FieldGroup::Prompt, RedactionAction::Drop);
        QCOMPARE(dialog.previewText(), QString());
        QVERIFY(dialog.previewStatus().contains(u"dropped"_s));

        // The preview is per field group: the response is still masked.
        dialog.previewGroupBox()->setCurrentIndex(
            dialog.previewGroupBox()->findData(static_cast<int>(FieldGroup::Response)));
        QCOMPARE(dialog.previewText(), u"Mail [EMAIL_1], [EMAIL_1] or 10.0.0.7"_s);

        dialog.customEdit()->setPlainText(u"HOST = \\b10\\.0\\.0\\.\\d+\\b"_s);
        QCOMPARE(dialog.previewText(), u"Mail [EMAIL_1], [EMAIL_1] or [HOST_1]"_s);
        dialog.customEdit()->setPlainText(u"HOST = (broken"_s);
        QVERIFY(!dialog.policy());
        QVERIFY2(dialog.previewStatus().contains(u"HOST"_s), qPrintable(dialog.previewStatus()));
        QCOMPARE(dialog.previewText(), QString());
    }

    void savesAndReadsTheStorePolicy()
    {
        const QString store = m_dir.filePath(u"b.sqlite"_s);
        {
            PrivacyDialog dialog(store);
            dialog.enabledBox()->setChecked(true);
            setAction(dialog, FieldGroup::Context, RedactionAction::Drop);
            dialog.pseudonymizeBox()->setChecked(true);
            QVERIFY(dialog.previewStatus().contains(u"u-"_s));
            dialog.accept();
            QCOMPARE(dialog.result(), int(QDialog::Accepted));
        }
        auto saved = loadStorePolicy(store);
        QVERIFY(saved && *saved);
        QCOMPARE((*saved)->action(FieldGroup::Context), RedactionAction::Drop);
        QVERIFY((*saved)->pseudonymizeUsers);

        PrivacyDialog again(store);
        QVERIFY(again.redactionEnabled());
        QVERIFY(again.pseudonymizeBox()->isChecked());
        QCOMPARE(again.actionBox(FieldGroup::Context)->currentData().toInt(),
                 static_cast<int>(RedactionAction::Drop));
        // Turning redaction off removes the policy.
        again.enabledBox()->setChecked(false);
        again.accept();
        QVERIFY(!QFile::exists(storePolicyPath(store)));
    }

    // Retention settings: the preview counts what would be purged now (and what is held) on a
    // worker, follows every change, names a bad value; saved without redaction, the file keeps
    // the retention and redacts nothing.
    void retentionSettings()
    {
        const QString path = m_dir.filePath(u"r.sqlite"_s);
        {
            auto store = Store::open(path);
            QVERIFY(store);
            const QDateTime now = QDateTime::currentDateTimeUtc();
            std::vector<IncomingRecord> records;
            for (int i = 1; i <= 6; ++i) { // r-i is 20 * i days old; even ones restricted
                nlohmann::json doc = {
                    {"interaction_id", "r-" + std::to_string(i)},
                    {"timestamp", now.addDays(-20 * i).toString(Qt::ISODate).toStdString()},
                    {"user_id", "u"},
                    {"session_id", "s"},
                    {"request", {{"prompt", "q"}}},
                    {"response", {{"content", "a"}}}};
                if (i % 2 == 0)
                    doc["security"] = {{"sensitivity_level", "restricted"}};
                auto decoded = decodeDocument(doc);
                QVERIFY(decoded);
                records.push_back({std::move(*decoded), "test", {}, {}});
            }
            QVERIFY((*store)->write(records, {}));
            const qint64 oldest = (*(*store)->interaction("r-6"))->rowId;
            ReviewChange hold;
            hold.reviewer = "tess";
            hold.hold = "audit";
            QVERIFY((*store)->setReview(std::span(&oldest, 1), hold));
        }
        PrivacyDialog dialog(path);
        QVERIFY(dialog.retentionPreview().contains(u"kept forever"_s));
        // 70 days: r-4, r-5, r-6 expire; r-6 is held.
        dialog.maxAgeEdit()->setText(u"70"_s);
        QTRY_VERIFY(dialog.retentionPreview().contains(u"would be purged"_s));
        QCOMPARE(dialog.retentionPreview(), u"2 interactions would be purged now, 1 held."_s);
        // Restricted kept 30 days: r-2 too.
        dialog.levelEdit(Sensitivity::Restricted)->setText(u"30"_s);
        QTRY_COMPARE(dialog.retentionPreview(), u"3 interactions would be purged now, 1 held."_s);
        dialog.levelEdit(Sensitivity::Restricted)->setText(u"forever"_s);
        QTRY_COMPARE(dialog.retentionPreview(), u"1 interaction would be purged now, 0 held."_s);
        dialog.maxAgeEdit()->setText(u"-5"_s);
        QVERIFY2(dialog.retentionPreview().contains(u"/retention/max_age_days"_s),
                 qPrintable(dialog.retentionPreview()));
        auto refused = dialog.save(); // accept() would say so in a message box
        QVERIFY(!refused);
        QVERIFY(refused.error().toString().contains(u"expected a number of days"_s));
        QVERIFY(!QFile::exists(storePolicyPath(path)));
        dialog.maxAgeEdit()->setText(u"70"_s);
        QVERIFY(!dialog.redactionEnabled());
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));

        auto saved = loadStorePolicy(path);
        QVERIFY(saved && *saved);
        QVERIFY(!(*saved)->redact);
        QCOMPARE((*saved)->retention.maxAgeDays, std::optional<int>(70));
        QCOMPARE((*saved)->retention.levelDays[size_t(Sensitivity::Restricted)],
                 std::optional<int>(RetentionPolicy::Forever));
        auto redactor = storeRedactor(path);
        QVERIFY(redactor && !*redactor);
        PrivacyDialog again(path);
        QVERIFY(!again.redactionEnabled());
        QCOMPARE(again.maxAgeEdit()->text(), u"70"_s);
        QCOMPARE(again.levelEdit(Sensitivity::Restricted)->text(), u"forever"_s);
        QCOMPARE(again.levelEdit(Sensitivity::Public)->text(), QString());
    }

    void mainWindowOpensIt()
    {
        MainWindow window;
        window.openStore(m_dir.filePath(u"c.sqlite"_s));
        auto *action = window.findChild<QAction *>(u"privacySettings"_s);
        QVERIFY(action);
        action->trigger();
        auto *dialog = window.findChild<PrivacyDialog *>();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        dialog->reject();
    }
};

QTEST_MAIN(TestPrivacyDialog)
#include "tst_privacydialog.moc"
