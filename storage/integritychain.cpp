#include "integritychain.h"

namespace llmaudit {

ContentHash chainLink(qint64 position, const ContentHash &previous, const ContentHash &digest)
{
    const std::string line =
        std::to_string(position) + ' ' + toHex(previous) + ' ' + toHex(digest) + '\n';
    return sha256(line);
}

} // namespace llmaudit
