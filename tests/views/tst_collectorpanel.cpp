// The collector dock against a real collector on 127.0.0.1: the switch starts and stops it,
// the counters follow what a real client sends, records reach the store, and a refused start
// says why.

#include "collectorpanel.h"
#include "store.h"

#include <QAction>
#include <QCheckBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace llmaudit;
using namespace Qt::StringLiterals;

class TestCollectorPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QSettings().remove(u"collector"_s); }

    void startCountStop()
    {
        QTemporaryDir dir;
        CollectorPanel panel;
        panel.setStorePath(dir.filePath(u"store.sqlite"_s));
        panel.findChild<QSpinBox *>(u"collectorPort"_s)->setValue(0);
        QSignalSpy running(&panel, &CollectorPanel::runningChanged);
        auto *toggle = panel.findChild<QCheckBox *>(u"collectorToggle"_s);
        toggle->setChecked(true);
        QVERIFY(running.wait(10000));
        QVERIFY(panel.isRunning());
        auto *status = panel.findChild<QLabel *>(u"collectorStatus"_s);
        QVERIFY(status->text().contains(u"http://127.0.0.1:%1"_s.arg(panel.port())));
        QVERIFY(!panel.findChild<QLineEdit *>(u"collectorAddress"_s)->isEnabled());

        // Its follow box is the window's follow action.
        QAction follow;
        follow.setCheckable(true);
        panel.setFollowAction(&follow);
        auto *followBox = panel.findChild<QCheckBox *>(u"collectorFollow"_s);
        followBox->setChecked(true);
        QVERIFY(follow.isChecked());
        follow.setChecked(false);
        QVERIFY(!followBox->isChecked());

        QSignalSpy stored(&panel, &CollectorPanel::interactionsStored);
        QNetworkAccessManager nam;
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1/v1/interactions"_s.arg(panel.port())));
        request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        const QByteArray body =
            R"([{"interaction_id":"p1","timestamp":"2026-01-05T10:00:00Z","user_id":"u",)"
            R"("session_id":"s","request":{},"response":{}},{"interaction_id":"p2"}])";
        QNetworkReply *reply = nam.post(request, body);
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        delete reply;
        QVERIFY(stored.wait(10000) || !stored.isEmpty());
        QCOMPARE(stored.first().first().toLongLong(), 1);
        QTRY_COMPARE(panel.findChild<QLabel *>(u"collectorStored"_s)->text(), u"1"_s);
        QCOMPARE(panel.findChild<QLabel *>(u"collectorReceived"_s)->text(), u"2"_s);
        QCOMPARE(panel.findChild<QLabel *>(u"collectorRejected"_s)->text(), u"1"_s);

        toggle->setChecked(false);
        QVERIFY(running.wait(10000));
        QVERIFY(!panel.isRunning());
        QCOMPARE(status->text(), u"Stopped"_s);
        auto store = Store::open(dir.filePath(u"store.sqlite"_s), Store::Access::ReadOnly);
        QVERIFY(store);
        QCOMPARE((*store)->stats()->interactions, 1);
    }

    void refusedStartSaysWhy()
    {
        QTemporaryDir dir;
        CollectorPanel panel;
        panel.setStorePath(dir.filePath(u"store.sqlite"_s));
        panel.findChild<QLineEdit *>(u"collectorAddress"_s)->setText(u"0.0.0.0"_s);
        panel.findChild<QSpinBox *>(u"collectorPort"_s)->setValue(0);
        QSignalSpy running(&panel, &CollectorPanel::runningChanged);
        auto *toggle = panel.findChild<QCheckBox *>(u"collectorToggle"_s);
        toggle->setChecked(true);
        QVERIFY(running.wait(10000));
        QVERIFY(!panel.isRunning());
        QVERIFY(!toggle->isChecked());
        QVERIFY(panel.findChild<QLabel *>(u"collectorStatus"_s)->text().contains(u"token"_s));
    }

    // Address, port and upstreams of a collector that started come back in the next window;
    // the token never reaches the settings file.
    void settingsRemembered()
    {
        QTemporaryDir dir;
        const QString token = u"secret-token-6f1c"_s;
        {
            CollectorPanel panel;
            panel.setStorePath(dir.filePath(u"store.sqlite"_s));
            QCOMPARE(panel.findChild<QSpinBox *>(u"collectorPort"_s)->value(), 8765);
            panel.findChild<QSpinBox *>(u"collectorPort"_s)->setValue(0);
            panel.findChild<QLineEdit *>(u"collectorToken"_s)->setText(token);
            panel.findChild<QLineEdit *>(u"collectorOpenaiUpstream"_s)
                ->setText(u"http://127.0.0.1:9/v1"_s);
            QSignalSpy running(&panel, &CollectorPanel::runningChanged);
            panel.findChild<QCheckBox *>(u"collectorToggle"_s)->setChecked(true);
            QVERIFY(running.wait(10000));
            QVERIFY(panel.isRunning());
            panel.stop();
            QVERIFY(running.wait(10000));
        }
        CollectorPanel again;
        QCOMPARE(again.findChild<QSpinBox *>(u"collectorPort"_s)->value(), 0);
        QCOMPARE(again.findChild<QLineEdit *>(u"collectorOpenaiUpstream"_s)->text(),
                 u"http://127.0.0.1:9/v1"_s);
        QCOMPARE(again.findChild<QLineEdit *>(u"collectorAnthropicUpstream"_s)->text(),
                 u"https://api.anthropic.com"_s);
        QVERIFY(again.findChild<QLineEdit *>(u"collectorToken"_s)->text().isEmpty());
        QSettings settings;
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray written = file.readAll();
        QVERIFY(written.contains("127.0.0.1:9"));
        QVERIFY(!written.contains(token.toUtf8()));
    }

    void badUpstreamRefused()
    {
        QTemporaryDir dir;
        CollectorPanel panel;
        panel.setStorePath(dir.filePath(u"store.sqlite"_s));
        panel.findChild<QLineEdit *>(u"collectorAnthropicUpstream"_s)->setText(u"ftp://x"_s);
        auto *toggle = panel.findChild<QCheckBox *>(u"collectorToggle"_s);
        toggle->setChecked(true);
        QVERIFY(!panel.isRunning());
        QVERIFY(!toggle->isChecked());
        QVERIFY(panel.findChild<QLabel *>(u"collectorStatus"_s)
                    ->text()
                    .contains(u"Anthropic upstream must be an http:// or https:// URL"_s));
    }
};

QTEST_MAIN(TestCollectorPanel)
#include "tst_collectorpanel.moc"
