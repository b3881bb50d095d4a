-- mariadb.sql — odbcpool reset script for MariaDB DSNs (MariaDB
-- Connector/ODBC, "MariaDB Unicode" driver, libmaodbc.so).
--
-- The pool runs this on every returned connection, after it has freed the
-- borrower's statements, rolled back and restored the ODBC connection
-- attributes (autocommit, isolation level, current catalog, ...). One
-- statement per SQLExecDirect; a statement ends at ";" or at "\gexec"
-- (each value of each row that statement returns is then executed as a
-- statement, after the generating statement is closed). No ";" or "--"
-- inside literals. Any failure closes the connection (fail closed).
-- Checked with MariaDB 10.11 and Connector/ODBC 3.1.15; see doc/RESET.md
-- for how each step was verified.
--
-- Connector/ODBC 3.1 answers SQL_ATTR_RESET_CONNECTION with SQL_SUCCESS and
-- does nothing (no COM_RESET_CONNECTION is sent), and MariaDB has no SQL
-- statement that resets a session. So this script does the work alone,
-- and what SQL cannot list on 10.11 closes the connection instead:
--
-- CLOSES THE CONNECTION (a SIGNAL fails the reset) once the session has
-- run CREATE TEMPORARY TABLE/SEQUENCE, PREPARE or HANDLER ... OPEN since it
-- was opened (its Com_* status counters are above their baseline):
-- temporary tables, SQL prepared statements and open HANDLERs cannot be
-- listed on 10.11 (no information_schema view shows them), so they cannot
-- be dropped by name. Counters are per session and only FLUSH STATUS
-- (RELOAD privilege) sets them back, so a pooled connection never has one
-- of these.
--
-- THE BASELINE. Everything below is put back to the connection's own
-- state right after it was opened -- not to the server's defaults -- read
-- once per physical connection by the \gbaseline statement: the session
-- value of every system variable that differed from the global one then
-- (the character set a CHARSET= DSN negotiated, what the DSN's INITSTMT or
-- the user's account set, the driver's session tracking), the user
-- variables INITSTMT set, the role, and the Com_* counters above. So a
-- latin1 connection stays latin1 and a DSN's INITSTMT survives reuse,
-- while a borrower's own changes do not.
--
-- ERASES:
--   * LOCK TABLES and FLUSH TABLES WITH READ LOCK (UNLOCK TABLES, once the
--     session has used either);
--   * named locks taken with GET_LOCK() (RELEASE_ALL_LOCKS(), called while
--     the statements are generated);
--   * every listed global+session system variable whose session value
--     differs from its baseline (SET SESSION name = the baseline value, or
--     DEFAULT where the baseline is the global value): sql_mode,
--     time_zone, autocommit, transaction isolation and read-only mode,
--     max_statement_time, optimizer_trace, profiling, sql_select_limit,
--     the connection and database character sets, and
--     session_track_system_variables first (the driver learns autocommit
--     and isolation changes from that tracking);
--   * session-only variables: insert_id, last_insert_id (LAST_INSERT_ID()),
--     timestamp (a frozen NOW()), skip_replication,
--     skip_parallel_replication, default_master_connection;
--   * user variables (@x): back to the baseline value (one INITSTMT set),
--     else SET to NULL;
--   * SET ROLE: back to the role of the baseline, or NONE;
--   * SHOW PROFILES history and the optimizer trace, which hold the text of
--     the borrower's statements (literals included).
--
-- DOES NOT ERASE (see doc/RESET.md): the NAMES of user variables (FLUSH
-- USER_VARIABLES needs RELOAD): information_schema.USER_VARIABLES still
-- lists them, with NULL; the current database (the pool restores
-- SQL_ATTR_CURRENT_CATALOG through the driver, which asks the server;
-- a static script cannot know the DSN's database); LASTVAL()/PREVIOUS
-- VALUE FOR of sequences; RAND() seeds (rand_seed1/2); session status
-- counters (Questions, Bytes_sent, ...); data written to ordinary tables;
-- XA transactions (the rollback fails on them, which closes the
-- connection); BACKUP LOCK (needs RELOAD).
--
-- Baseline values are put back as numbers when they look like one (an
-- INITSTMT's SET @x = '42' comes back as the number 42), else as utf8mb4
-- strings written in hexadecimal (immune to the borrower's sql_mode).
--
-- All names are qualified, and every statement generated here is either a
-- constant or built from names quoted with backticks, so nothing a
-- borrower created can stand in for them.


-- The baseline, once per physical connection: (k, v) rows that
-- {{baseline}} stands for in the generator below. Scanning every system
-- variable costs a few milliseconds, once per connection, not per reset.
SELECT CONCAT('var:', v.VARIABLE_NAME) AS k, v.SESSION_VALUE AS v
  FROM information_schema.SYSTEM_VARIABLES v
 WHERE v.VARIABLE_SCOPE = 'SESSION'
   AND NOT (BINARY v.SESSION_VALUE <=> BINARY v.GLOBAL_VALUE)
UNION ALL
SELECT CONCAT('@', u.VARIABLE_NAME), u.VARIABLE_VALUE
  FROM information_schema.USER_VARIABLES u
UNION ALL
SELECT 'role', CURRENT_ROLE()
UNION ALL
SELECT CONCAT('status:', s.VARIABLE_NAME), s.VARIABLE_VALUE
  FROM information_schema.SESSION_STATUS s
 WHERE s.VARIABLE_NAME IN ('COM_CREATE_TEMPORARY_TABLE', 'COM_PREPARE_SQL',
                           'COM_HA_OPEN', 'COM_LOCK_TABLES', 'COM_FLUSH')
\gbaseline

SELECT g.stmt FROM (
  -- o=0: state no statement can list on MariaDB 10.11: fail closed. The
  -- row sorts first, so the SIGNAL runs before anything else.
  -- o=1: table locks; UNLOCK TABLES also ends a global read lock.
  -- One scan of SESSION_STATUS for both (each scan costs about 1 ms).
  SELECT k.o, k.stmt
    FROM (SELECT SUM(s.VARIABLE_NAME IN ('COM_CREATE_TEMPORARY_TABLE',
                                         'COM_PREPARE_SQL', 'COM_HA_OPEN')
                     AND NOT (BINARY s.VARIABLE_VALUE
                              <=> BINARY IFNULL(b.v, '0'))) AS unlisted,
                 SUM(s.VARIABLE_NAME IN ('COM_LOCK_TABLES', 'COM_FLUSH')
                     AND NOT (BINARY s.VARIABLE_VALUE
                              <=> BINARY IFNULL(b.v, '0'))) AS locked
            FROM information_schema.SESSION_STATUS s
            LEFT JOIN {{baseline}} AS b
              ON b.k = CONCAT('status:', s.VARIABLE_NAME)
           WHERE s.VARIABLE_NAME IN ('COM_CREATE_TEMPORARY_TABLE',
                                     'COM_PREPARE_SQL', 'COM_HA_OPEN',
                                     'COM_LOCK_TABLES', 'COM_FLUSH')) AS st
    JOIN (SELECT 0 AS o,
                 'SIGNAL SQLSTATE ''HY000'' SET MESSAGE_TEXT = ''odbcpool: the session created a temporary table, an SQL prepared statement or a HANDLER, which MariaDB cannot list: closing the connection''' AS stmt
          UNION ALL
          SELECT 1, 'UNLOCK TABLES') AS k
      ON (k.o = 0 AND st.unlisted > 0) OR (k.o = 1 AND st.locked > 0)
  UNION ALL
  -- Named locks (GET_LOCK): released here, while the generator runs; the
  -- condition is never true, so this branch returns no row. Functions
  -- cannot be listed, so there is nothing to compare first.
  SELECT 2, NULL FROM DUAL WHERE RELEASE_ALL_LOCKS() < 0
  UNION ALL
  -- o=3: the driver's session tracking first (Connector/ODBC 3.1 sets it
  -- at connect), so that it sees the autocommit and isolation level put
  -- back after it; o=4: autocommit before everything else; o=5: every
  -- listed system variable whose session value differs from its baseline
  -- (the baseline row if there is one, else the global value). The list is
  -- the session-scope variables of 10.11 that a user without SUPER, BINLOG
  -- ADMIN or REPLICATION privileges can set (and their 11.x names), with
  -- the character sets; the driver refuses SET NAMES ("SQL command SET
  -- NAMES is not allowed"), not the variables. A name this server does not
  -- know is simply not found. (Filtering information_schema.SYSTEM_VARIABLES
  -- by name costs about 1 ms; the whole table 5 to 70.)
  SELECT CASE v.VARIABLE_NAME WHEN 'SESSION_TRACK_SYSTEM_VARIABLES' THEN 3
                              WHEN 'AUTOCOMMIT' THEN 4 ELSE 5 END,
         CONCAT('SET SESSION `', v.VARIABLE_NAME, '` = ',
                CASE WHEN b.k IS NULL THEN 'DEFAULT'
                     WHEN b.v IS NULL THEN 'NULL'
                     WHEN b.v REGEXP '^-?[0-9]+([.][0-9]+)?$' THEN b.v
                     ELSE CONCAT('CONVERT(0x', HEX(b.v), ' USING utf8mb4)')
                END)
    FROM information_schema.SYSTEM_VARIABLES v
    LEFT JOIN {{baseline}} AS b ON b.k = CONCAT('var:', v.VARIABLE_NAME)
   WHERE NOT (BINARY v.SESSION_VALUE
              <=> BINARY IF(b.k IS NULL, v.GLOBAL_VALUE, b.v))
     AND v.VARIABLE_NAME IN (
      'CHARACTER_SET_CLIENT', 'CHARACTER_SET_CONNECTION',
      'CHARACTER_SET_RESULTS', 'COLLATION_CONNECTION',
      'CHARACTER_SET_DATABASE', 'COLLATION_DATABASE',
      'SESSION_TRACK_SYSTEM_VARIABLES',
      'ALTER_ALGORITHM', 'ANALYZE_MAX_LENGTH', 'ANALYZE_SAMPLE_PERCENTAGE',
      'ARIA_REPAIR_THREADS', 'ARIA_SORT_BUFFER_SIZE', 'ARIA_STATS_METHOD',
      'AUTOCOMMIT', 'AUTO_INCREMENT_INCREMENT', 'AUTO_INCREMENT_OFFSET',
      'BIG_TABLES', 'BULK_INSERT_BUFFER_SIZE', 'CHARACTER_SET_FILESYSTEM',
      'CHARACTER_SET_SERVER', 'CHECK_CONSTRAINT_CHECKS', 'COLLATION_SERVER',
      'COLUMN_COMPRESSION_THRESHOLD', 'COLUMN_COMPRESSION_ZLIB_LEVEL',
      'COLUMN_COMPRESSION_ZLIB_STRATEGY', 'COLUMN_COMPRESSION_ZLIB_WRAP',
      'COMPLETION_TYPE', 'DEADLOCK_SEARCH_DEPTH_LONG',
      'DEADLOCK_SEARCH_DEPTH_SHORT', 'DEADLOCK_TIMEOUT_LONG',
      'DEADLOCK_TIMEOUT_SHORT', 'DEFAULT_REGEX_FLAGS',
      'DEFAULT_STORAGE_ENGINE', 'DEFAULT_TMP_STORAGE_ENGINE',
      'DEFAULT_WEEK_FORMAT', 'DIV_PRECISION_INCREMENT',
      'ENFORCE_STORAGE_ENGINE', 'EQ_RANGE_INDEX_DIVE_LIMIT',
      'EXPENSIVE_SUBQUERY_LIMIT', 'EXPLICIT_DEFAULTS_FOR_TIMESTAMP',
      'FOREIGN_KEY_CHECKS', 'GROUP_CONCAT_MAX_LEN', 'HISTOGRAM_SIZE',
      'HISTOGRAM_TYPE', 'IDLE_READONLY_TRANSACTION_TIMEOUT',
      'IDLE_TRANSACTION_TIMEOUT', 'IDLE_WRITE_TRANSACTION_TIMEOUT',
      'INNODB_COMPRESSION_DEFAULT', 'INNODB_DEFAULT_ENCRYPTION_KEY_ID',
      'INNODB_FT_ENABLE_STOPWORD', 'INNODB_FT_USER_STOPWORD_TABLE',
      'INNODB_LOCK_WAIT_TIMEOUT', 'INNODB_SNAPSHOT_ISOLATION',
      'INNODB_STRICT_MODE', 'INNODB_TABLE_LOCKS', 'INNODB_TMPDIR',
      'INTERACTIVE_TIMEOUT', 'IN_PREDICATE_CONVERSION_THRESHOLD',
      'JOIN_BUFFER_SIZE', 'JOIN_BUFFER_SPACE_LIMIT', 'JOIN_CACHE_LEVEL',
      'KEEP_FILES_ON_CREATE', 'LC_MESSAGES', 'LC_TIME_NAMES',
      'LOCK_WAIT_TIMEOUT', 'LOG_DISABLED_STATEMENTS',
      'LOG_QUERIES_NOT_USING_INDEXES', 'LOG_SLOW_ADMIN_STATEMENTS',
      'LOG_SLOW_DISABLED_STATEMENTS', 'LOG_SLOW_FILTER',
      'LOG_SLOW_MAX_WARNINGS', 'LOG_SLOW_MIN_EXAMINED_ROW_LIMIT',
      'LOG_SLOW_QUERY', 'LOG_SLOW_QUERY_TIME', 'LOG_SLOW_RATE_LIMIT',
      'LOG_SLOW_SLAVE_STATEMENTS', 'LOG_SLOW_VERBOSITY', 'LOG_WARNINGS',
      'LONG_QUERY_TIME', 'LOW_PRIORITY_UPDATES', 'MAX_DELAYED_THREADS',
      'MAX_ERROR_COUNT', 'MAX_HEAP_TABLE_SIZE', 'MAX_INSERT_DELAYED_THREADS',
      'MAX_JOIN_SIZE', 'MAX_LENGTH_FOR_SORT_DATA',
      'MAX_RECURSIVE_ITERATIONS', 'MAX_ROWID_FILTER_SIZE',
      'MAX_SEEKS_FOR_KEY', 'MAX_SESSION_MEM_USED', 'MAX_SORT_LENGTH',
      'MAX_SP_RECURSION_DEPTH', 'MAX_STATEMENT_TIME', 'MAX_TMP_TABLES',
      'MIN_EXAMINED_ROW_LIMIT', 'MRR_BUFFER_SIZE', 'MYISAM_REPAIR_THREADS',
      'MYISAM_SORT_BUFFER_SIZE', 'MYISAM_STATS_METHOD', 'NET_BUFFER_LENGTH',
      'NET_READ_TIMEOUT', 'NET_RETRY_COUNT', 'NET_WRITE_TIMEOUT',
      'NOTE_VERBOSITY', 'OLD_ALTER_TABLE', 'OLD_MODE', 'OLD_PASSWORDS',
      'OPTIMIZER_ADJUST_SECONDARY_KEY_COSTS',
      'OPTIMIZER_EXTRA_PRUNING_DEPTH', 'OPTIMIZER_JOIN_LIMIT_PREF_RATIO',
      'OPTIMIZER_MAX_SEL_ARGS', 'OPTIMIZER_MAX_SEL_ARG_WEIGHT',
      'OPTIMIZER_PRUNE_LEVEL', 'OPTIMIZER_SEARCH_DEPTH',
      'OPTIMIZER_SELECTIVITY_SAMPLING_LIMIT', 'OPTIMIZER_SWITCH',
      'OPTIMIZER_TRACE', 'OPTIMIZER_TRACE_MAX_MEM_SIZE',
      'OPTIMIZER_USE_CONDITION_SELECTIVITY', 'PRELOAD_BUFFER_SIZE',
      'PROFILING', 'PROFILING_HISTORY_SIZE', 'PROGRESS_REPORT_TIME',
      'QUERY_ALLOC_BLOCK_SIZE', 'QUERY_CACHE_STRIP_COMMENTS',
      'QUERY_CACHE_TYPE', 'QUERY_CACHE_WLOCK_INVALIDATE',
      'QUERY_PREALLOC_SIZE', 'RANGE_ALLOC_BLOCK_SIZE', 'READ_BUFFER_SIZE',
      'READ_RND_BUFFER_SIZE', 'ROWID_MERGE_BUFF_SIZE',
      'SESSION_TRACK_SCHEMA', 'SESSION_TRACK_STATE_CHANGE',
      'SESSION_TRACK_TRANSACTION_INFO', 'SLOW_QUERY_LOG', 'SORT_BUFFER_SIZE',
      'SQL_AUTO_IS_NULL', 'SQL_BIG_SELECTS', 'SQL_BUFFER_RESULT',
      'SQL_IF_EXISTS', 'SQL_MODE', 'SQL_NOTES', 'SQL_QUOTE_SHOW_CREATE',
      'SQL_SAFE_UPDATES', 'SQL_SELECT_LIMIT', 'SQL_WARNINGS',
      'STANDARD_COMPLIANT_CTE', 'SYSTEM_VERSIONING_ALTER_HISTORY',
      'SYSTEM_VERSIONING_ASOF', 'SYSTEM_VERSIONING_INSERT_HISTORY',
      'TCP_NODELAY', 'TIME_ZONE', 'TMP_DISK_TABLE_SIZE',
      'TMP_MEMORY_TABLE_SIZE', 'TMP_TABLE_SIZE',
      'TRANSACTION_ALLOC_BLOCK_SIZE', 'TRANSACTION_PREALLOC_SIZE',
      'TRANSACTION_ISOLATION', 'TRANSACTION_READ_ONLY', 'TX_ISOLATION',
      'TX_READ_ONLY', 'UNIQUE_CHECKS', 'UPDATABLE_VIEWS_WITH_LIMIT',
      'USE_STAT_TABLES', 'WAIT_TIMEOUT')
  UNION ALL
  -- o=8: session-only variables.
  SELECT 8, 'SET SESSION insert_id = 0' FROM DUAL
   WHERE @@session.insert_id <> 0
  UNION ALL
  SELECT 8, 'SET SESSION last_insert_id = 0' FROM DUAL
   WHERE LAST_INSERT_ID() <> 0
  UNION ALL
  -- SYSDATE() ignores the timestamp variable; NOW() does not.
  SELECT 8, 'SET SESSION timestamp = DEFAULT' FROM DUAL
   WHERE ABS(@@session.timestamp - UNIX_TIMESTAMP(SYSDATE(6))) > 1
  UNION ALL
  SELECT 8, 'SET SESSION skip_replication = DEFAULT' FROM DUAL
   WHERE @@session.skip_replication <> 0
  UNION ALL
  SELECT 8, 'SET SESSION skip_parallel_replication = DEFAULT' FROM DUAL
   WHERE @@session.skip_parallel_replication <> 0
  UNION ALL
  SELECT 8, 'SET SESSION default_master_connection = DEFAULT' FROM DUAL
   WHERE @@session.default_master_connection <> ''
  UNION ALL
  -- o=9: user variables back to their baseline value, or to NULL when the
  -- baseline has none. FLUSH USER_VARIABLES would remove the names too,
  -- but needs the RELOAD privilege.
  SELECT 9, CONCAT('SET @`', REPLACE(u.VARIABLE_NAME, '`', '``'), '` = ',
                   CASE WHEN b.v IS NULL THEN 'NULL'
                        WHEN b.v REGEXP '^-?[0-9]+([.][0-9]+)?$' THEN b.v
                        ELSE CONCAT('CONVERT(0x', HEX(b.v), ' USING utf8mb4)')
                   END)
    FROM information_schema.USER_VARIABLES u
    LEFT JOIN {{baseline}} AS b ON b.k = CONCAT('@', u.VARIABLE_NAME)
   WHERE NOT (BINARY u.VARIABLE_VALUE <=> BINARY b.v)
  UNION ALL
  -- o=10: SET ROLE: back to the role of the baseline, or none.
  SELECT 10, CONCAT('SET ROLE ', IFNULL(CONCAT('`', REPLACE(b.v, '`', '``'),
                                              '`'), 'NONE'))
    FROM {{baseline}} AS b
   WHERE b.k = 'role' AND NOT (BINARY CURRENT_ROLE() <=> BINARY b.v)
  UNION ALL
  -- o=11..13: SHOW PROFILES keeps the text of the last statements even
  -- with profiling off; a history size of 0 empties it at the next
  -- profiled statement. (o=5 has already put profiling back to off.)
  -- o=14..16: the optimizer trace keeps the last traced statement's text
  -- after optimizer_trace is off; trace a constant query in its place.
  -- One scan of each table for its three statements: the aggregates make
  -- the server fill each table once, where scalar subqueries in the join
  -- condition were filled again for every row of k (five times slower).
  SELECT k.o, k.stmt
    FROM (SELECT COUNT(*) AS profiles
            FROM information_schema.PROFILING p) AS hp
    JOIN (SELECT COUNT(*) AS traces
            FROM information_schema.OPTIMIZER_TRACE t
           WHERE t.QUERY <> 'SELECT 1 FROM DUAL WHERE 0') AS ht
    JOIN (SELECT 11 AS o,
                 'SET SESSION profiling_history_size = 0, profiling = 1'
                   AS stmt
          UNION ALL SELECT 12, 'SELECT 1 FROM DUAL WHERE 0'
          UNION ALL SELECT 13, 'SET SESSION profiling = DEFAULT, profiling_history_size = DEFAULT'
          UNION ALL SELECT 14, 'SET SESSION optimizer_trace = ''enabled=on'''
          UNION ALL SELECT 15, 'SELECT 1 FROM DUAL WHERE 0'
          UNION ALL SELECT 16, 'SET SESSION optimizer_trace = DEFAULT') AS k
      ON (k.o <= 13 AND hp.profiles > 0) OR (k.o >= 14 AND ht.traces > 0)
  -- The explicit LIMIT overrides the borrower's sql_select_limit, which
  -- would cut this list short (checked: with sql_select_limit = 3 only
  -- three statements came back).
) AS g ORDER BY g.o LIMIT 18446744073709551615
\gexec
