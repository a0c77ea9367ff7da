#include "sseparser.h"

namespace llmaudit {

std::vector<SseEvent> SseParser::feed(QByteArrayView bytes)
{
    static constexpr QByteArrayView Bom("\xEF\xBB\xBF");
    std::vector<SseEvent> out;
    for (const char c : bytes) {
        if (!m_started) { // a BOM at the very start is dropped, even when split across reads
            m_line.append(c);
            if (Bom.startsWith(m_line)) {
                if (m_line.size() == Bom.size()) {
                    m_line.clear();
                    m_started = true;
                }
                continue;
            }
            m_started = true;
            m_line.chop(1);
        }
        if (c == '\n' && m_afterCr) { // the LF of a CRLF whose CR ended the line already
            m_afterCr = false;
            continue;
        }
        m_afterCr = c == '\r';
        if (c == '\r' || c == '\n')
            processLine(out);
        else
            m_line.append(c);
    }
    return out;
}

void SseParser::processLine(std::vector<SseEvent> &out)
{
    if (m_line.isEmpty()) { // a blank line dispatches the event
        if (m_hasData) {
            SseEvent event;
            if (!m_event.isEmpty())
                event.event = m_event;
            event.data = m_data;
            event.id = m_lastId;
            out.push_back(std::move(event));
        }
        m_event.clear();
        m_data.clear();
        m_hasData = false;
        m_hasFields = false;
        return;
    }
    if (m_line.startsWith(':')) { // a comment (keep-alive)
        m_line.clear();
        return;
    }
    QByteArray field = m_line;
    QByteArray value;
    if (const qsizetype colon = m_line.indexOf(':'); colon >= 0) {
        field = m_line.left(colon);
        value = m_line.mid(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
    }
    m_line.clear();
    m_hasFields = true;
    if (field == "event") {
        m_event = value;
    } else if (field == "data") {
        if (m_hasData)
            m_data.append('\n');
        m_data.append(value);
        m_hasData = true;
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastId = value;
    }
    // "retry" and unknown fields are ignored, as the spec says.
}

} // namespace llmaudit
