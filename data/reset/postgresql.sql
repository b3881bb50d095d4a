-- postgresql.sql — odbcpool reset script for PostgreSQL DSNs (psqlODBC,
-- "PostgreSQL Unicode" driver).
--
-- The pool runs this on every returned connection, after it has freed the
-- borrower's statements, rolled back and restored the ODBC connection
-- attributes (autocommit on, isolation level, ...). One statement per
-- SQLExecDirect; a statement ends at ";" or at "\gexec" (each value of
-- each row that statement returns is then executed as a statement, as
-- psql's \gexec does). No ";" or "--" inside literals. Any failure closes
-- the connection (fail closed). Checked with PostgreSQL 15 and psqlODBC
-- 13.02; see doc/RESET.md for how each step was verified.
--
-- ERASES:
--   * what DISCARD ALL does, its statements in one batch: temp tables,
--     views, sequences and functions (DISCARD
--     TEMP); every setting changed with SET or set_config(), including
--     search_path, role (SET ROLE), application_name, timeouts, session
--     transaction characteristics and custom variables such as app.user
--     (RESET ALL + SET SESSION AUTHORIZATION DEFAULT); prepared statements
--     (DEALLOCATE ALL); open cursors, WITH HOLD included (CLOSE ALL);
--     session advisory locks (pg_advisory_unlock_all); LISTEN
--     registrations (UNLISTEN *); cached plans and currval()/lastval()
--     (DISCARD PLANS, DISCARD SEQUENCES).
--   * dblink connections the borrower opened (they may carry the
--     borrower's credentials) and postgres_fdw's cached connections, when
--     those extensions are installed.
--
-- PUTS BACK the connection's BASELINE, which DISCARD ALL (through RESET
-- ALL) undid: every setting that had been SET in the session when it was
-- opened -- psqlODBC's own (DateStyle, extra_float_digits, and
-- client_encoding where it sends one) and those of the DSN's ConnSettings
-- -- read once per physical connection by the \gbaseline statement below,
-- and the DSN's ConnSettings itself run again (from the connection string
-- if it has one, else from odbc.ini, as psqlODBC reads it), which also
-- restores custom variables (app.x) that no catalog lists. The whole reset
-- is one batch: one round trip per return. Settings in the
-- startup packet (pqopt's options=-c ...) survive DISCARD ALL anyway.
--
-- DOES NOT ERASE (see doc/RESET.md): custom variable NAMES (after RESET,
-- current_setting('app.user', true) is '' rather than NULL: the value is
-- gone, the placeholder is not); data written to ordinary tables; prepared
-- (two-phase) transactions; session state of procedural languages
-- (plperl %_SHARED, plpython GD/SD); driver-side caches in psqlODBC;
-- total counters such as pg_stat_* of the backend.
--
-- The batch runs in one implicit transaction: the pool rolls back and
-- restores autocommit first. With autocommit off, psqlODBC would open a
-- transaction around it and the settings would still be made, but the
-- pool commits the reset in that case.


-- The baseline, once per physical connection: (k, v) rows that
-- {{baseline}} stands for below. 'set:NAME' rows are the settings SET in
-- the session (source 'session' in pg_settings) by the time it was
-- handed out; 'ext:NAME' rows the schema of dblink and postgres_fdw where
-- they are installed, and 'extensions' how many of the two there are.
SELECT 'set:' || s.name AS k, pg_catalog.current_setting(s.name) AS v
  FROM pg_catalog.pg_settings s
 WHERE s.source = 'session'
UNION ALL
SELECT 'ext:' || e.extname, n.nspname
  FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname IN ('dblink', 'postgres_fdw')
UNION ALL
SELECT 'extensions', pg_catalog.count(*)::text
  FROM pg_catalog.pg_extension e
 WHERE e.extname IN ('dblink', 'postgres_fdw')
\gbaseline

-- The reset: ONE batch (\gbatch joins a statement with the next), so one
-- round trip to the server. It is what DISCARD ALL does, statement by
-- statement in DISCARD ALL's order (DISCARD ALL itself cannot run in the
-- implicit transaction a batch is), then the baseline back.
CLOSE ALL \gbatch
SET SESSION AUTHORIZATION DEFAULT \gbatch
RESET ALL \gbatch
DEALLOCATE ALL \gbatch
UNLISTEN * \gbatch
SELECT pg_catalog.pg_advisory_unlock_all() \gbatch
DISCARD PLANS \gbatch
DISCARD TEMP \gbatch
DISCARD SEQUENCES \gbatch

-- The baseline's settings, all in one statement (none: no row).
SELECT pg_catalog.set_config(pg_catalog.substr(b.k, 5), b.v, false)
  FROM {{baseline}} AS b
 WHERE b.k LIKE 'set:%' \gbatch

-- The DSN's ConnSettings, run again as psqlODBC ran it at connect (from
-- the connection string if it has one, else from odbc.ini); nothing when
-- there are none. It also brings back custom variables (app.x), which no
-- catalog lists.
{{dsn-raw:ConnSettings}} \gbatch

-- Connections a borrower opened with dblink (named and unnamed) or that
-- postgres_fdw cached: they may carry the borrower's credentials. Only
-- where the extension was installed when the connection was opened
-- ({{if:ext:NAME}} drops the statement otherwise); the schema comes from
-- the baseline, quoted as an identifier by format(). Everything is
-- qualified with pg_catalog.
{{if:ext:dblink}}
DO $odbcpool$
DECLARE s text := {{baseline:ext:dblink}};
BEGIN
  EXECUTE pg_catalog.format('SELECT %I.dblink_disconnect(c) FROM '
                            'pg_catalog.unnest(%I.dblink_get_connections()) '
                            'AS c', s, s);
  BEGIN
    EXECUTE pg_catalog.format('SELECT %I.dblink_disconnect()', s);
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
END
$odbcpool$ \gbatch
{{if:ext:postgres_fdw}}
DO $odbcpool$
BEGIN
  IF pg_catalog.current_setting('server_version_num')::int >= 140000 THEN
    EXECUTE pg_catalog.format('SELECT %I.postgres_fdw_disconnect_all()',
                              {{baseline:ext:postgres_fdw}});
  END IF;
END
$odbcpool$ \gbatch

-- A borrower who installed dblink or postgres_fdw since the connection
-- was opened (which needs a superuser) could have connections the lines
-- above do not know of: then the reset fails and the connection is closed
-- (the CAST of the text fails only when the count differs).
SELECT CAST(CASE WHEN pg_catalog.count(*) <> {{baseline:extensions}}::int
                 THEN 'odbcpool: dblink or postgres_fdw was installed '
                      || 'during the session: closing the connection'
            END AS integer)
  FROM pg_catalog.pg_extension e
 WHERE e.extname IN ('dblink', 'postgres_fdw');
