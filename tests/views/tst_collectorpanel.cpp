// The collector dock against a real collector on 127.0.0.1: the switch starts and stops it,
// the counters follow what a real client sends, records reach the store, and a refused start
// says why.

#include "collectorpanel.h"
#include "store.h"

#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace llmaudit;
using namespace Qt::StringLiterals;

class TestCollectorPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
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
};

QTEST_MAIN(TestCollectorPanel)
#include "tst_collectorpanel.moc"
