-- sqlite.sql — odbcpool reset script for SQLite DSNs (sqlite3odbc driver).
--
-- The pool runs this on every returned connection, after it has freed the
-- borrower's statements, rolled back and restored the ODBC connection
-- attributes (autocommit on). One statement per SQLExecDirect; a statement
-- ends at ";" or at "\gexec" (each value of each row that statement returns
-- is then executed as a statement, as psql's \gexec does). The generating
-- SELECT must be fully fetched and closed first: with StepAPI=1 sqlite3odbc
-- reads rows lazily, and a DROP while it is open fails with "database
-- table is locked". No ";" or "--" inside literals. Any failure closes the
-- connection (fail closed).
-- Checked with SQLite 3.40.1 and sqlite3odbc 0.9998; see doc/RESET.md for
-- how each step was verified.
--
-- ERASES (connection state of SQLite, which lives in the process):
--   * every TEMP table, view, index and trigger, including TEMP triggers
--     on main tables (which could copy the next borrower's rows) and
--     temp.sqlite_sequence; then the whole temp database is closed, so no
--     freed page of it survives;
--   * every ATTACHed database (a borrower may attach ':memory:' holding
--     data, or a file of its own);
--   * last_insert_rowid() and changes() (back to 0, as on a fresh
--     connection);
--   * per-connection pragmas that change behaviour or safety for the next
--     borrower, set to SQLite's defaults (the values a fresh sqlite3odbc
--     connection reports): query_only, writable_schema, locking_mode,
--     recursive_triggers, reverse_unordered_selects, case_sensitive_like,
--     ignore_check_constraints, defer_foreign_keys, legacy_alter_table,
--     cell_size_check, count_changes, read_uncommitted, automatic_index,
--     trusted_schema, cache_size, mmap_size, threads, analysis_limit,
--     journal_size_limit, wal_autocheckpoint, temp_store; and
--     empty_result_callbacks back to ON, which sqlite3odbc sets at connect
--     and relies on;
--   * secure_delete is set ON (Debian's build default; upstream's default
--     is OFF): deleted content is overwritten, not left in free pages.
--
-- DOES NOT ERASE OR RESET (see doc/RESET.md):
--   * pragmas that sqlite3odbc sets from DSN options at connect:
--     foreign_keys (FKSupport), synchronous (SyncPragma, default NORMAL),
--     journal_mode (JournalMode; WAL is stored in the file anyway),
--     full_column_names/short_column_names (LongNames/ShortNames) and the
--     busy handler (Timeout): resetting them here would override the DSN.
--     If a DSN uses the defaults, the lines at the end may be enabled;
--   * total_changes() (a counter for the connection's life: max_lifetime
--     bounds it);
--   * extensions loaded with load_extension() (sqlite3odbc always enables
--     it) and functions they registered: they cannot be unloaded;
--   * process-wide settings (soft_heap_limit, hard_heap_limit);
--   * anything stored in the main database file: that is data, not session.

-- 1. Pragmas first: query_only = ON would make every later step fail.
PRAGMA query_only = OFF;
PRAGMA writable_schema = OFF;
PRAGMA secure_delete = ON;
PRAGMA recursive_triggers = OFF;
PRAGMA reverse_unordered_selects = OFF;
PRAGMA case_sensitive_like = OFF;
PRAGMA ignore_check_constraints = OFF;
PRAGMA defer_foreign_keys = OFF;
PRAGMA legacy_alter_table = OFF;
PRAGMA cell_size_check = OFF;
PRAGMA count_changes = OFF;
PRAGMA read_uncommitted = OFF;
PRAGMA automatic_index = ON;
PRAGMA trusted_schema = ON;
PRAGMA cache_size = -2000;
PRAGMA mmap_size = 0;
PRAGMA threads = 0;
PRAGMA analysis_limit = 0;
PRAGMA journal_size_limit = -1;
PRAGMA wal_autocheckpoint = 1000;
PRAGMA empty_result_callbacks = ON;
-- EXCLUSIVE locking mode holds the file lock until the next access after
-- the change: read the main schema so the lock is released now.
PRAGMA locking_mode = NORMAL;
SELECT count(*) FROM main.sqlite_master;

-- 2. Drop every temp object: triggers and views before indexes and
-- tables, virtual tables (rootpage 0) before their shadow tables. Names
-- are quoted as identifiers. sqlite_* objects cannot be dropped; step 4
-- removes them with the temp database.
SELECT 'DROP ' || upper(type) || ' IF EXISTS temp."'
       || replace(name, '"', '""') || '"'
  FROM sqlite_temp_master
 WHERE type IN ('trigger', 'view', 'index', 'table')
   AND substr(lower(name), 1, 7) <> 'sqlite_'
 ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1
                    WHEN 'index' THEN 2 ELSE 3 END,
          rootpage
\gexec

-- 3. last_insert_rowid() := 0 and changes() := 0, as after connect.
CREATE TEMP TABLE odbcpool_reset_rowid(x);
INSERT INTO temp.odbcpool_reset_rowid(rowid, x) VALUES (0, NULL);
DELETE FROM temp.odbcpool_reset_rowid WHERE 0;
DROP TABLE temp.odbcpool_reset_rowid;

-- 4. Changing temp_store closes and deletes the temp database (file or
-- memory) with everything left in it. One of the two lines is a change
-- whatever the borrower set; the value ends at DEFAULT, as after connect.
PRAGMA temp_store = MEMORY;
PRAGMA temp_store = DEFAULT;

-- 5. Detach every attached database. DETACH takes the name as a string
-- (quote() escapes it); main and temp cannot be detached.
SELECT 'DETACH DATABASE ' || quote(name)
  FROM pragma_database_list
 WHERE name NOT IN ('main', 'temp')
\gexec

-- 6. DSN-controlled pragmas: enable only the lines that match the DSN's
-- options (these are the values for a DSN that sets none of them).
-- PRAGMA foreign_keys = OFF;
-- PRAGMA synchronous = NORMAL;
-- PRAGMA journal_mode = DELETE;
-- PRAGMA full_column_names = OFF;
-- PRAGMA short_column_names = ON;
