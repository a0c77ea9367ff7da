#pragma once

// A store as format 3 left it, for the tests of upgrades: the SQL that undoes what formats 4
// (review tables, notes, activity log, integrity chain, tombstones) and 5 (legal holds) added.
// A later migration adds its own undoing here.
inline constexpr char DowngradeToFormat3Sql[] =
    "DROP INDEX interactions_chain; DROP TABLE chain_heads; "
    "DROP TABLE tombstones; DROP TABLE reviews; DROP TABLE notes; "
    "DROP TABLE activity; DROP TABLE holds; "
    "ALTER TABLE interactions DROP COLUMN chain_link; "
    "ALTER TABLE interactions DROP COLUMN chain_seq; "
    "PRAGMA user_version = 3;";
