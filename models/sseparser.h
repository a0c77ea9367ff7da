#pragma once

// An incremental parser of server-sent events (the WHATWG HTML "text/event-stream" format), as
// the OpenAI and Anthropic streaming APIs send them. Hand-written because neither Qt (which
// hands over bytes) nor a Debian library offers one; it follows the spec's parsing rules: LF,
// CRLF or CR line ends (split across reads too), ":" comments, multi-line data, one space after
// the colon dropped, events dispatched on a blank line, a leading BOM ignored.

#include <QByteArray>
#include <QByteArrayView>

#include <vector>

namespace llmaudit {

struct SseEvent
{
    QByteArray event = "message"; // the "event:" field, "message" when absent
    QByteArray data;              // the "data:" lines joined with "\n"
    QByteArray id;                // the last "id:" seen in the stream
};

class SseParser
{
public:
    // Feeds the next bytes of the stream; returns the events they complete.
    std::vector<SseEvent> feed(QByteArrayView bytes);

    // Whether part of an event (a line, or fields without the blank line) is waiting: at the
    // end of the stream that means it was cut.
    bool hasPendingEvent() const { return !m_line.isEmpty() || m_hasFields; }

private:
    void processLine(std::vector<SseEvent> &out);

    QByteArray m_line;
    QByteArray m_event;
    QByteArray m_data;
    QByteArray m_lastId;
    bool m_hasData = false;
    bool m_hasFields = false;
    bool m_afterCr = false;
    bool m_started = false;
};

} // namespace llmaudit
