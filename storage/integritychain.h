#pragma once

// The links of the store's integrity chains (docs/integrity.md). Link n commits to the digest
// of the n-th item (a record's stored document, an activity entry's canonical JSON) and to link
// n - 1: it is SHA-256 over the ASCII line "n PREV DIGEST\n" (decimal n, lower-case hex),
// PREV being 64 zeros for the first link. A line of text rather than raw bytes so that anyone
// can check a link with printf and sha256sum. The digests are logcodec.h's sha256().

#include "logcodec.h"

#include <QtGlobal>

namespace llmaudit {

// Link `position` (1-based) after `previous` (all zeros before the first).
ContentHash chainLink(qint64 position, const ContentHash &previous, const ContentHash &digest);

} // namespace llmaudit
