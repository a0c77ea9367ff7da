#include "integritychain.h"

#include <QCryptographicHash>

#include <cstring>

namespace llmaudit {

namespace {

ContentHash toHash(const QByteArray &bytes)
{
    ContentHash hash{};
    std::memcpy(hash.data(), bytes.constData(), std::min<size_t>(hash.size(), bytes.size()));
    return hash;
}

} // namespace

ContentHash chainDigest(std::string_view bytes)
{
    return toHash(QCryptographicHash::hash(QByteArrayView(bytes.data(), qsizetype(bytes.size())),
                                           QCryptographicHash::Sha256));
}

ContentHash chainLink(qint64 position, const ContentHash &previous, const ContentHash &digest)
{
    const std::string line =
        std::to_string(position) + ' ' + toHex(previous) + ' ' + toHex(digest) + '\n';
    return chainDigest(line);
}

} // namespace llmaudit
