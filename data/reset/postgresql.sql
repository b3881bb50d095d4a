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
--   * DISCARD ALL: temp tables, views, sequences and functions (DISCARD
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
-- restores custom variables (app.x) that no catalog lists. Settings in the
-- startup packet (pqopt's options=-c ...) survive DISCARD ALL anyway.
--
-- DOES NOT ERASE (see doc/RESET.md): custom variable NAMES (after RESET,
-- current_setting('app.user', true) is '' rather than NULL: the value is
-- gone, the placeholder is not); data written to ordinary tables; prepared
-- (two-phase) transactions; session state of procedural languages
-- (plperl %_SHARED, plpython GD/SD); driver-side caches in psqlODBC;
-- total counters such as pg_stat_* of the backend.
--
-- DISCARD ALL cannot run inside a transaction block: the pool rolls back
-- and restores autocommit first. With autocommit off, psqlODBC would open
-- a transaction before it and the script would fail (the connection would
-- then be closed, not pooled).


-- The baseline, once per physical connection: (k, v) rows that
-- {{baseline}} stands for below. 'set:NAME' rows are the settings SET in
-- the session (source 'session' in pg_settings) by the time it was
-- handed out; the 'connsettings' row is the DSN's ConnSettings (NULL when
-- it has none): {{dsn:ConnSettings}} is replaced by it, as a literal.
SELECT 'set:' || s.name AS k, pg_catalog.current_setting(s.name) AS v
  FROM pg_catalog.pg_settings s
 WHERE s.source = 'session'
UNION ALL
SELECT 'connsettings', {{dsn:ConnSettings}}
\gbaseline

DISCARD ALL;

-- The baseline's settings, one round trip for all of them (none: no row).
SELECT pg_catalog.set_config(pg_catalog.substr(b.k, 5), b.v, false)
  FROM {{baseline}} AS b
 WHERE b.k LIKE 'set:%';

-- The DSN's ConnSettings, run again as psqlODBC ran it at connect. Then
-- connections a borrower opened with dblink (named and unnamed) or that
-- postgres_fdw cached: they may carry the borrower's credentials. One
-- query over one join generates the statements (each non-NULL column is
-- one), only where the extension is installed; it is kept simple because
-- the server plans it on every return.
-- Everything is qualified with pg_catalog, and after DISCARD ALL the
-- search_path is the default one, in which pg_catalog comes first, so a
-- function the borrower defined cannot stand in for a built-in.
SELECT b.v, NULL
  FROM {{baseline}} AS b
 WHERE b.k = 'connsettings' AND b.v IS NOT NULL AND b.v <> ''
UNION ALL
SELECT CASE e.extname
         WHEN 'dblink' THEN
           pg_catalog.format('SELECT %I.dblink_disconnect(c) FROM '
                             'pg_catalog.unnest(%I.dblink_get_connections()) '
                             'AS c', n.nspname, n.nspname)
         ELSE pg_catalog.format('SELECT %I.postgres_fdw_disconnect_all()',
                                n.nspname)
       END,
       CASE e.extname
         WHEN 'dblink' THEN
           pg_catalog.format('DO $odbcpool$BEGIN PERFORM '
                             '%I.dblink_disconnect()%s EXCEPTION WHEN OTHERS '
                             'THEN NULL%s END$odbcpool$', n.nspname,
                             pg_catalog.chr(59), pg_catalog.chr(59))
       END
  FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'dblink'
    OR (e.extname = 'postgres_fdw'
        AND pg_catalog.current_setting('server_version_num')::int >= 140000)
\gexec
