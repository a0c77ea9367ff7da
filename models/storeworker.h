#pragma once

// The store connection of a window service's worker thread (StoreReader, ReviewService): opened
// on first use in that thread, used and closed there. Queries go through run(), which hands
// their value on or reports their error.

#include "store.h"

#include <QObject>
#include <QThread>

#include <functional>

namespace llmaudit {

class StoreWorker : public QObject
{
public:
    using Fail = std::function<void(const QString &)>;

    StoreWorker(QString path, Store::OpenOptions options, Fail fail)
        : m_path(std::move(path))
        , m_options(std::move(options))
        , m_fail(std::move(fail))
    {}

    // Moves to `thread`; when it finishes, the connection is closed there and this deleted.
    void moveInto(QThread &thread)
    {
        moveToThread(&thread);
        connect(&thread, &QThread::finished, this, [this] {
            m_store.reset();
            delete this;
        });
    }

    // The connection, opened now when it is not yet; null (the error reported) when it cannot be.
    Store *store()
    {
        if (!m_store) {
            auto opened = Store::open(m_path, m_options);
            if (!opened) {
                m_fail(opened.error().toString());
                return nullptr;
            }
            m_store = std::move(*opened);
            this->opened(*m_store);
        }
        return m_store.get();
    }

    // Runs `query` on the store and hands its value to `answer`, or reports the error.
    template<typename Query, typename Answer>
    void run(Query &&query, Answer &&answer)
    {
        Store *s = store();
        if (!s)
            return;
        auto result = query(*s);
        if (!result)
            m_fail(result.error().toString());
        else
            answer(std::move(*result));
    }

protected:
    virtual void opened(Store &store) { (void)store; }

private:
    QString m_path;
    Store::OpenOptions m_options;
    Fail m_fail;
    std::unique_ptr<Store> m_store;
};

} // namespace llmaudit
