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
--   * per-connection pragmas, put back to the connection's BASELINE: the
--     values they had right after it was opened, read by the \gbaseline
--     statement below once per physical connection. So the pragmas that
--     sqlite3odbc sets from DSN options at connect survive reuse --
--     foreign_keys (FKSupport), synchronous (SyncPragma), journal_mode
--     (JournalMode), full_column_names/short_column_names (LongNames/
--     ShortNames) -- while a borrower's own changes do not: query_only,
--     writable_schema, locking_mode, secure_delete, recursive_triggers,
--     reverse_unordered_selects, ignore_check_constraints,
--     defer_foreign_keys, legacy_alter_table, cell_size_check,
--     count_changes, read_uncommitted, automatic_index, trusted_schema,
--     cache_size, threads, analysis_limit, journal_size_limit,
--     empty_result_callbacks (sqlite3odbc sets it at connect and relies on
--     it) and temp_store;
--   * pragmas that cannot be read back (case_sensitive_like, mmap_size,
--     wal_autocheckpoint) are set to SQLite's defaults on every return
--     (sqlite3odbc has no DSN option for them);
--
-- CLOSES THE CONNECTION (a failing statement fails the reset) when the
-- borrower replaced sqlite3odbc's busy handler with PRAGMA busy_timeout:
-- the handler that implements the DSN's Timeout cannot be put back by SQL.
--
-- DOES NOT ERASE OR RESET (see doc/RESET.md):
--   * total_changes() (a counter for the connection's life: max_lifetime
--     bounds it);
--   * extensions loaded with load_extension() (sqlite3odbc always enables
--     it) and functions they registered: they cannot be unloaded;
--   * process-wide settings (soft_heap_limit, hard_heap_limit);
--   * anything stored in the main database file: that is data, not session.

-- 0. A transaction the borrower opened with SQL (BEGIN while ODBC
-- autocommit is on) survives the pool's SQLEndTran: sqlite3odbc ends only
-- the transactions it opened itself, and SQL cannot ask whether one is
-- open. BEGIN fails inside a transaction ("cannot start a transaction
-- within a transaction"), so this pair closes such a connection (fail
-- closed) and costs a clean one two cheap statements.
BEGIN;
ROLLBACK;

-- The baseline: every pragma the reset puts back, as the connection had
-- it right after it was opened (sqlite3odbc has applied the DSN's options
-- by then). Run once per physical connection; {{baseline:k}} below
-- stands for the value v of row k, as text.
SELECT 'query_only' AS k, CAST(query_only AS TEXT) AS v FROM pragma_query_only
UNION ALL SELECT 'writable_schema', CAST(writable_schema AS TEXT)
  FROM pragma_writable_schema
UNION ALL SELECT 'secure_delete', CAST(secure_delete AS TEXT)
  FROM pragma_secure_delete
UNION ALL SELECT 'recursive_triggers', CAST(recursive_triggers AS TEXT)
  FROM pragma_recursive_triggers
UNION ALL SELECT 'reverse_unordered_selects',
                 CAST(reverse_unordered_selects AS TEXT)
  FROM pragma_reverse_unordered_selects
UNION ALL SELECT 'ignore_check_constraints',
                 CAST(ignore_check_constraints AS TEXT)
  FROM pragma_ignore_check_constraints
UNION ALL SELECT 'defer_foreign_keys', CAST(defer_foreign_keys AS TEXT)
  FROM pragma_defer_foreign_keys
UNION ALL SELECT 'legacy_alter_table', CAST(legacy_alter_table AS TEXT)
  FROM pragma_legacy_alter_table
UNION ALL SELECT 'cell_size_check', CAST(cell_size_check AS TEXT)
  FROM pragma_cell_size_check
UNION ALL SELECT 'count_changes', CAST(count_changes AS TEXT)
  FROM pragma_count_changes
UNION ALL SELECT 'read_uncommitted', CAST(read_uncommitted AS TEXT)
  FROM pragma_read_uncommitted
UNION ALL SELECT 'automatic_index', CAST(automatic_index AS TEXT)
  FROM pragma_automatic_index
UNION ALL SELECT 'trusted_schema', CAST(trusted_schema AS TEXT)
  FROM pragma_trusted_schema
UNION ALL SELECT 'cache_size', CAST(cache_size AS TEXT) FROM pragma_cache_size
UNION ALL SELECT 'threads', CAST(threads AS TEXT) FROM pragma_threads
UNION ALL SELECT 'analysis_limit', CAST(analysis_limit AS TEXT)
  FROM pragma_analysis_limit
UNION ALL SELECT 'journal_size_limit', CAST(journal_size_limit AS TEXT)
  FROM pragma_journal_size_limit
UNION ALL SELECT 'empty_result_callbacks',
                 CAST(empty_result_callbacks AS TEXT)
  FROM pragma_empty_result_callbacks
UNION ALL SELECT 'foreign_keys', CAST(foreign_keys AS TEXT)
  FROM pragma_foreign_keys
UNION ALL SELECT 'synchronous', CAST(synchronous AS TEXT)
  FROM pragma_synchronous
UNION ALL SELECT 'journal_mode', journal_mode FROM pragma_journal_mode
UNION ALL SELECT 'full_column_names', CAST(full_column_names AS TEXT)
  FROM pragma_full_column_names
UNION ALL SELECT 'short_column_names', CAST(short_column_names AS TEXT)
  FROM pragma_short_column_names
UNION ALL SELECT 'busy_timeout', CAST(timeout AS TEXT) FROM pragma_busy_timeout
UNION ALL SELECT 'locking_mode', locking_mode FROM pragma_locking_mode
UNION ALL SELECT 'temp_store', CAST(temp_store AS TEXT) FROM pragma_temp_store
\gbaseline

-- The work is generated by one SELECT (\gexec) that emits only the
-- statements this connection needs, in the order they must run, so a
-- connection the borrower left clean costs one query, not thirty.
-- {{baseline:NAME}} is the baseline's value of pragma NAME, as a literal:
-- each pragma is compared with the value it had when the connection was
-- opened. (Joining the pragmas with the whole baseline as a table costs
-- SQLite five times as much per reset.) The names of the pragmas are
-- constants and the values come from SQLite itself.
--
--  o=0  a busy handler the borrower replaced: a statement that fails,
--       which closes the connection;
--  o=1  pragmas back to the baseline (query_only first: ON would make
--       every later step fail);
--  o=2  the locking mode back to the baseline, then a read of the main
--       schema so that an EXCLUSIVE lock is released now;
--  o=3  every temp object dropped: triggers and views before indexes and
--       tables, virtual tables (rootpage 0) before their shadow tables;
--       names quoted as identifiers; sqlite_* objects cannot be dropped
--       (o=5 removes them with the temp database);
--  o=4  last_insert_rowid() and changes() back to 0, as after connect;
--  o=5  temp_store changed twice: a change closes and deletes the temp
--       database (file or memory) with everything left in it; it ends at
--       the baseline whatever the borrower set;
--  o=6  every attached database detached (DETACH takes the name as a
--       string; quote() escapes it).
SELECT stmt FROM (
  SELECT 0 AS o, 0 AS k,
         'SELECT * FROM "odbcpool: the borrower replaced the busy handler '
         || '(PRAGMA busy_timeout), which SQL cannot put back: closing the '
         || 'connection"' AS stmt
    FROM pragma_busy_timeout p
   WHERE CAST(p.timeout AS TEXT) IS NOT {{baseline:busy_timeout}}
  UNION ALL SELECT 1, 0,
         'PRAGMA query_only = ' || {{baseline:query_only}}
    FROM pragma_query_only p
   WHERE CAST(p.query_only AS TEXT)
         IS NOT {{baseline:query_only}}
  UNION ALL SELECT 1, 1,
         'PRAGMA writable_schema = ' || {{baseline:writable_schema}}
    FROM pragma_writable_schema p
   WHERE CAST(p.writable_schema AS TEXT)
         IS NOT {{baseline:writable_schema}}
  UNION ALL SELECT 1, 2,
         'PRAGMA secure_delete = ' || {{baseline:secure_delete}}
    FROM pragma_secure_delete p
   WHERE CAST(p.secure_delete AS TEXT)
         IS NOT {{baseline:secure_delete}}
  UNION ALL SELECT 1, 3,
         'PRAGMA recursive_triggers = ' || {{baseline:recursive_triggers}}
    FROM pragma_recursive_triggers p
   WHERE CAST(p.recursive_triggers AS TEXT)
         IS NOT {{baseline:recursive_triggers}}
  UNION ALL SELECT 1, 4,
         'PRAGMA reverse_unordered_selects = ' || {{baseline:reverse_unordered_selects}}
    FROM pragma_reverse_unordered_selects p
   WHERE CAST(p.reverse_unordered_selects AS TEXT)
         IS NOT {{baseline:reverse_unordered_selects}}
  UNION ALL SELECT 1, 5,
         'PRAGMA ignore_check_constraints = ' || {{baseline:ignore_check_constraints}}
    FROM pragma_ignore_check_constraints p
   WHERE CAST(p.ignore_check_constraints AS TEXT)
         IS NOT {{baseline:ignore_check_constraints}}
  UNION ALL SELECT 1, 6,
         'PRAGMA defer_foreign_keys = ' || {{baseline:defer_foreign_keys}}
    FROM pragma_defer_foreign_keys p
   WHERE CAST(p.defer_foreign_keys AS TEXT)
         IS NOT {{baseline:defer_foreign_keys}}
  UNION ALL SELECT 1, 7,
         'PRAGMA legacy_alter_table = ' || {{baseline:legacy_alter_table}}
    FROM pragma_legacy_alter_table p
   WHERE CAST(p.legacy_alter_table AS TEXT)
         IS NOT {{baseline:legacy_alter_table}}
  UNION ALL SELECT 1, 8,
         'PRAGMA cell_size_check = ' || {{baseline:cell_size_check}}
    FROM pragma_cell_size_check p
   WHERE CAST(p.cell_size_check AS TEXT)
         IS NOT {{baseline:cell_size_check}}
  UNION ALL SELECT 1, 9,
         'PRAGMA count_changes = ' || {{baseline:count_changes}}
    FROM pragma_count_changes p
   WHERE CAST(p.count_changes AS TEXT)
         IS NOT {{baseline:count_changes}}
  UNION ALL SELECT 1, 10,
         'PRAGMA read_uncommitted = ' || {{baseline:read_uncommitted}}
    FROM pragma_read_uncommitted p
   WHERE CAST(p.read_uncommitted AS TEXT)
         IS NOT {{baseline:read_uncommitted}}
  UNION ALL SELECT 1, 11,
         'PRAGMA automatic_index = ' || {{baseline:automatic_index}}
    FROM pragma_automatic_index p
   WHERE CAST(p.automatic_index AS TEXT)
         IS NOT {{baseline:automatic_index}}
  UNION ALL SELECT 1, 12,
         'PRAGMA trusted_schema = ' || {{baseline:trusted_schema}}
    FROM pragma_trusted_schema p
   WHERE CAST(p.trusted_schema AS TEXT)
         IS NOT {{baseline:trusted_schema}}
  UNION ALL SELECT 1, 13,
         'PRAGMA cache_size = ' || {{baseline:cache_size}}
    FROM pragma_cache_size p
   WHERE CAST(p.cache_size AS TEXT)
         IS NOT {{baseline:cache_size}}
  UNION ALL SELECT 1, 14,
         'PRAGMA threads = ' || {{baseline:threads}}
    FROM pragma_threads p
   WHERE CAST(p.threads AS TEXT)
         IS NOT {{baseline:threads}}
  UNION ALL SELECT 1, 15,
         'PRAGMA analysis_limit = ' || {{baseline:analysis_limit}}
    FROM pragma_analysis_limit p
   WHERE CAST(p.analysis_limit AS TEXT)
         IS NOT {{baseline:analysis_limit}}
  UNION ALL SELECT 1, 16,
         'PRAGMA journal_size_limit = ' || {{baseline:journal_size_limit}}
    FROM pragma_journal_size_limit p
   WHERE CAST(p.journal_size_limit AS TEXT)
         IS NOT {{baseline:journal_size_limit}}
  UNION ALL SELECT 1, 17,
         'PRAGMA empty_result_callbacks = ' || {{baseline:empty_result_callbacks}}
    FROM pragma_empty_result_callbacks p
   WHERE CAST(p.empty_result_callbacks AS TEXT)
         IS NOT {{baseline:empty_result_callbacks}}
  UNION ALL SELECT 1, 18,
         'PRAGMA foreign_keys = ' || {{baseline:foreign_keys}}
    FROM pragma_foreign_keys p
   WHERE CAST(p.foreign_keys AS TEXT)
         IS NOT {{baseline:foreign_keys}}
  UNION ALL SELECT 1, 19,
         'PRAGMA synchronous = ' || {{baseline:synchronous}}
    FROM pragma_synchronous p
   WHERE CAST(p.synchronous AS TEXT)
         IS NOT {{baseline:synchronous}}
  UNION ALL SELECT 1, 20,
         'PRAGMA journal_mode = ' || {{baseline:journal_mode}}
    FROM pragma_journal_mode p
   WHERE p.journal_mode
         IS NOT {{baseline:journal_mode}}
  UNION ALL SELECT 1, 21,
         'PRAGMA full_column_names = ' || {{baseline:full_column_names}}
    FROM pragma_full_column_names p
   WHERE CAST(p.full_column_names AS TEXT)
         IS NOT {{baseline:full_column_names}}
  UNION ALL SELECT 1, 22,
         'PRAGMA short_column_names = ' || {{baseline:short_column_names}}
    FROM pragma_short_column_names p
   WHERE CAST(p.short_column_names AS TEXT)
         IS NOT {{baseline:short_column_names}}
  UNION ALL SELECT 2, 0, 'PRAGMA locking_mode = ' || {{baseline:locking_mode}}
    FROM pragma_locking_mode p
   WHERE p.locking_mode IS NOT {{baseline:locking_mode}}
  UNION ALL SELECT 2, 1, 'SELECT count(*) FROM main.sqlite_master'
    FROM pragma_locking_mode p
   WHERE p.locking_mode IS NOT {{baseline:locking_mode}}
  UNION ALL SELECT 3, CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1
                                WHEN 'index' THEN 2 ELSE 3 END * 1000000000
                      + rootpage,
           'DROP ' || upper(type) || ' IF EXISTS temp."'
           || replace(name, '"', '""') || '"'
    FROM sqlite_temp_master
   WHERE type IN ('trigger', 'view', 'index', 'table')
     AND substr(lower(name), 1, 7) <> 'sqlite_'
  UNION ALL SELECT 4, k, stmt FROM (
              SELECT 0 AS k,
                     'CREATE TEMP TABLE odbcpool_reset_rowid(x)' AS stmt
              UNION ALL SELECT 1, 'INSERT INTO temp.odbcpool_reset_rowid'
                                  || '(rowid, x) VALUES (0, NULL)'
              UNION ALL SELECT 2, 'DELETE FROM temp.odbcpool_reset_rowid '
                                  || 'WHERE 0'
              UNION ALL SELECT 3, 'DROP TABLE temp.odbcpool_reset_rowid')
    WHERE last_insert_rowid() <> 0 OR changes() <> 0
  UNION ALL SELECT 5, k, stmt FROM (
              SELECT 0 AS k, 'PRAGMA temp_store = '
                             || CASE {{baseline:temp_store}} WHEN '2' THEN '1'
                                                             ELSE '2' END
                             AS stmt
              UNION ALL SELECT 1,
                               'PRAGMA temp_store = ' || {{baseline:temp_store}})
    WHERE EXISTS (SELECT 1 FROM sqlite_temp_master)
       OR CAST((SELECT temp_store FROM pragma_temp_store) AS TEXT)
          IS NOT {{baseline:temp_store}}
       OR last_insert_rowid() <> 0 OR changes() <> 0
  UNION ALL SELECT 6, 0, 'DETACH DATABASE ' || quote(name)
    FROM pragma_database_list WHERE name NOT IN ('main', 'temp')
) ORDER BY o, k
\gexec

-- Pragmas that cannot be read back as table-valued functions: set to
-- SQLite's defaults unconditionally (cheap: no I/O).
PRAGMA case_sensitive_like = OFF;
PRAGMA mmap_size = 0;
PRAGMA wal_autocheckpoint = 1000;
