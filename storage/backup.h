#pragma once

// A backup of a store: a consistent copy taken while others may be writing, checked by opening
// the copy and verifying its integrity chains, with the store's policy file beside it. The
// pseudonym key file is never copied (docs/backup.md says why).

#include "store.h"

namespace llmaudit {

struct BackupReport
{
    QString file;
    VerifyReport verify;     // of the copy
    qint64 interactions = 0; // in the copy
    QString policyCopy;      // FILE.privacy.json, when the store has a policy file
};

// Copies the store to `file`. An existing file (or its policy file) is refused unless
// `overwrite`; the copy is written beside it under a temporary name and renamed into place
// only once complete and verified, so that FILE is never half a backup.
Result<BackupReport> backupStore(Store &store, const QString &file, bool overwrite);

} // namespace llmaudit
