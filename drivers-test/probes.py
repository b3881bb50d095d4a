#!/usr/bin/python3
# probes.py — residue probes: for each database and each kind of session
# state a borrower can leave behind, borrower A leaves the state (holding
# the fake personal datum 'Erika Mustermann' wherever the state can hold a
# value), disconnects, and borrower B, on the same physical connection,
# runs a query that would reveal it. Run through the odbcpool ODBC driver
# with an unchanged pyodbc program (Debian's python3-pyodbc), and DIRECTLY
# (no pool, A and B on one connection) to show that each probe sees the
# state when it is there: a probe that cannot see it directly proves
# nothing through the pool.
#
# Usage (drivers-test/probes.sh does all of this):
#   probes.py run DB WORKDIR         DB: sqlite, pg or mariadb; the real
#       DSN is real_DB in $ODBCINI and the ODBCPool driver is registered.
#       Adds one target DSN and one pooled DSN per probe to $ODBCINI (each
#       probe gets its own pool, max_connections = 1, so its stats_file
#       counters are its own), writes WORKDIR/pool-DB.ini, runs every probe
#       direct and pooled, and writes WORKDIR/DB.json.
#   probes.py report [--write-doc FILE] [--command CMD] JSON...
#       Prints one row per (database, state) and, with --write-doc, writes
#       the Markdown page. Exit 1 on any RESIDUE, any probe that did not
#       detect the state directly, or any probe that failed to run.
#
# Outcomes (pooled):
#   erased             B is on A's physical connection (connects_total = 1,
#                      same server session id) and finds nothing;
#   closed-not-reused  the reset failed on purpose (fail closed): the pool
#                      closed A's connection (reset_failures_total = 1,
#                      connects_total = 2, a new server session) and B, on
#                      the new one, finds nothing;
#   RESIDUE            B finds the state: a pool bug;
#   residue (documented limit)  B finds state that doc/RESET.md lists as
#                      not erasable (probed so that the table shows it;
#                      does not fail the run);
#   n/a                the driver does not implement the state (it accepts
#                      the attribute and does nothing): the direct run
#                      shows nothing to erase.
#
# Environment: ODBCINI (written to),
#   PROBES_ONLY (comma-separated probe keys to run, for debugging).
import datetime
import json
import os
import re
import subprocess
import sys
import time
import traceback

import pyodbc

PROG = "probes"
DATUM = "Erika Mustermann"
DB_NAMES = {"sqlite": "SQLite", "pg": "PostgreSQL", "mariadb": "MariaDB"}

# ODBC attribute numbers (sqlext.h).
SQL_ATTR_ACCESS_MODE = 101
SQL_MODE_READ_ONLY = 1
SQL_ATTR_TXN_ISOLATION = 108
SQL_TXN_SERIALIZABLE = 8


class ProbeError(Exception):
    """The probe itself did not work (not a finding about the pool)."""


# ------------------------------------------------------------- context

class Ctx:
    """What a probe's steps share: the database, the real DSN (for other
    connections), the fresh-connection values, and objects A keeps alive
    (cursors left open) until the probe ends."""

    def __init__(self, db, real_dsn, fresh):
        self.db = db
        self.real_dsn = real_dsn
        self.fresh = fresh
        self.keep = []
        self.others = []

    def other(self):
        """A direct connection to the real DSN (never pooled), as a third
        session: SQLite waits at most 200 ms for a lock."""
        cs = "DSN=" + self.real_dsn
        if self.db == "sqlite":
            cs += ";Timeout=200"
        cn = pyodbc.connect(cs, autocommit=True)
        self.others.append(cn)
        return cn

    def close_all(self):
        for c in self.keep:
            try:
                c.close()
            except pyodbc.Error:
                pass
        self.keep = []
        for cn in self.others:
            try:
                cn.close()
            except pyodbc.Error:
                pass
        self.others = []


def rows(cn, sql, *params):
    cur = cn.cursor()
    cur.execute(sql, *params)
    try:
        out = [tuple(r) for r in cur.fetchall()]
    except pyodbc.ProgrammingError:
        out = []
    cur.close()
    return out


def one(cn, sql, *params):
    r = rows(cn, sql, *params)
    if not r:
        raise ProbeError("%s returned no row" % sql)
    return r[0][0]


def execute(cn, *sqls):
    for sql in sqls:
        cur = cn.cursor()
        cur.execute(sql)
        cur.close()


def error_of(cn, sql):
    """(sqlstate, message) of a statement that fails, else None and the
    rows it returned."""
    try:
        return None, rows(cn, sql)
    except pyodbc.Error as e:
        return (e.args[0], str(e.args[1]) if len(e.args) > 1 else ""), None


def read_or_absent(cn, sql, absent):
    """Runs a query that reads the state: returns (revealed, detail). An
    error whose message matches the regular expression `absent` means the
    state is not there; any other error is a probe failure."""
    err, got = error_of(cn, sql)
    if err is None:
        hit = any(DATUM in str(v) for r in got for v in r)
        return hit, "%s -> %s" % (sql, short(got))
    if re.search(absent, err[1]):
        return False, "%s -> error %s (%s)" % (sql, err[0], brief(err[1]))
    raise ProbeError("%s: unexpected error %s: %s" % (sql, err[0], err[1]))


def short(v, n=90):
    s = repr(v)
    return s if len(s) <= n else s[:n - 3] + "..."


def brief(msg):
    msg = re.sub(r"\[[^\]]*\]", "", msg)
    msg = re.sub(r"\s*\(SQL\w+\)$", "", msg).strip()
    return msg.split("\n")[0][:80]


def session_id(cn, db):
    if db == "pg":
        return one(cn, "SELECT pg_backend_pid()")
    if db == "mariadb":
        return one(cn, "SELECT CONNECTION_ID()")
    return None


# ------------------------------------------------------------- probes

class Probe:
    def __init__(self, db, key, state, left, probe, setup, reveal,
                 expect="erased", c_tests="", limit=None, na=None,
                 cleanup=(), b_cleanup=(), note=None, dsn=()):
        self.db, self.key, self.state = db, key, state
        # (key, value) pairs added to (or replacing those of) the probe's
        # target DSN: non-default connection settings, the baseline the
        # reset must put back.
        self.dsn = dsn
        self.left, self.probe = left, probe   # text for the table
        self.setup, self.reveal = setup, reveal
        self.expect = expect                   # per doc/RESET.md
        self.c_tests = c_tests                 # check_drivers.c coverage
        self.limit = limit                     # documented limit: why
        self.na = na                           # driver may ignore: why
        self.cleanup = cleanup                 # SQL run on a direct conn.
        # SQL B runs after the probe, errors ignored: ends state that
        # would otherwise block the next probes (a RESIDUE lock).
        self.b_cleanup = b_cleanup
        self.note = note                       # footnote in the doc


def sql_setup(*sqls):
    def setup(cn, ctx):
        execute(cn, *sqls)
    return setup


def other_sees_row(cn, ctx):
    """B inserts a row with autocommit as it finds it; a third session
    counts it: a row it cannot see is not committed, so autocommit is off
    (the state)."""
    execute(cn, "INSERT INTO probe_people (name) VALUES ('autocommit probe')")
    n = one(ctx.other(), "SELECT count(*) FROM probe_people "
                         "WHERE name = 'autocommit probe'")
    return n == 0, ("B inserts a row; another session sees %d row(s) "
                    "(0: B's row is uncommitted, autocommit is off)" % n)


def count_datum(cn, ctx):
    n = one(cn, "SELECT count(*) FROM probe_people WHERE name = ?", DATUM)
    return n > 0, "SELECT count(*) ... WHERE name = '%s' -> %d" % (DATUM, n)


def differs_from_fresh(queries):
    """Reveal: any of the (label, sql) reads differs from a fresh
    connection's value (ctx.fresh[label])."""
    def reveal(cn, ctx):
        diffs, same = [], []
        for label, sql in queries:
            v = one(cn, sql)
            (diffs if v != ctx.fresh[label] else same).append(
                "%s=%r" % (label, v))
        if diffs:
            return True, "differs from a fresh connection: " + ", ".join(
                diffs)
        return False, "as on a fresh connection: " + ", ".join(same)
    return reveal


def expect_values(checks):
    """Reveal: any (label, sql, value) read differs from `value`, the one
    the probe's DSN sets up (a borrower's change left behind, or the DSN's
    setting lost)."""
    def reveal(cn, ctx):
        diffs, same = [], []
        for label, sql, want in checks:
            v = one(cn, sql)
            (diffs if v != want else same).append("%s=%r" % (label, v))
        if diffs:
            return True, "not the DSN's values: " + ", ".join(diffs)
        return False, "the DSN's values: " + ", ".join(same)
    return reveal


SQLITE_PRAGMAS = [
    ("recursive_triggers", "PRAGMA recursive_triggers"),
    ("reverse_unordered_selects", "PRAGMA reverse_unordered_selects"),
    ("cache_size", "PRAGMA cache_size"),
    ("automatic_index", "PRAGMA automatic_index"),
    ("temp_store", "PRAGMA temp_store"),
    ("case_sensitive_like", "SELECT 'a' LIKE 'A'"),
]
SQLITE_DSN_PRAGMAS = [
    ("foreign_keys", "PRAGMA foreign_keys"),
    ("busy_timeout", "PRAGMA busy_timeout"),
]
PG_SETTINGS = [
    ("application_name", "SELECT current_setting('application_name')"),
    ("search_path", "SELECT current_setting('search_path')"),
    ("statement_timeout", "SELECT current_setting('statement_timeout')"),
    ("TimeZone", "SELECT current_setting('TimeZone')"),
]
MARIA_SETTINGS = [
    ("time_zone", "SELECT @@session.time_zone"),
    ("sql_mode", "SELECT @@session.sql_mode"),
    ("lc_time_names", "SELECT @@session.lc_time_names"),
    ("sql_select_limit", "SELECT @@session.sql_select_limit"),
]
FRESH = {"sqlite": SQLITE_PRAGMAS + SQLITE_DSN_PRAGMAS,
         "pg": PG_SETTINGS, "mariadb": MARIA_SETTINGS}


# --- SQLite

def sqlite_open_statement(cn, ctx):
    cur = cn.cursor()
    cur.execute("SELECT x, '%s' FROM (SELECT 1 AS x UNION ALL "
                "SELECT 2 AS x)" % DATUM)
    cur.fetchone()          # one row of two: the statement stays active
    ctx.keep.append(cur)    # and is never closed by A


def sqlite_prepared(cn, ctx):
    cur = cn.cursor()
    cur.execute("SELECT count(*) FROM probe_people WHERE name <> ? "
                "OR '%s' = ''" % DATUM, "x")
    cur.fetchall()
    ctx.keep.append(cur)


def sqlite_uncommitted_nochange(cn, ctx):
    # A committed row, written by another connection.
    execute(ctx.other(), "INSERT INTO probe_people (name) "
                         "VALUES ('placeholder')")
    execute(cn, "BEGIN",
            "UPDATE probe_people SET name = '%s' "
            "WHERE name = 'placeholder'" % DATUM,
            "DELETE FROM probe_people WHERE 0")


def sqlite_stmt_reveal(cn, ctx):
    got = rows(cn, "SELECT sql FROM sqlite_stmt "
                   "WHERE sql LIKE '%' || 'Erika' || ' Mustermann%'")
    return bool(got), ("SELECT sql FROM sqlite_stmt (statements still "
                       "prepared on the connection) -> %s" % short(got))


def sqlite_lock_reveal(cn, ctx):
    err, _ = error_of(ctx.other(), "SELECT count(*) FROM probe_people")
    if err is None:
        return False, "another connection reads the file at once"
    if "locked" in err[1]:
        return True, "another connection: %s" % brief(err[1])
    raise ProbeError("other connection: %s %s" % err)


def sqlite_write_lock_reveal(cn, ctx):
    err, _ = error_of(ctx.other(), "INSERT INTO probe_people (name) "
                                   "VALUES ('lock probe')")
    if err is None:
        return False, "another connection writes the table at once"
    if "locked" in err[1]:
        return True, "another connection's INSERT: %s" % brief(err[1])
    raise ProbeError("other connection: %s %s" % err)


def sqlite_attached_reveal(cn, ctx):
    names = [r[0] for r in rows(cn, "SELECT name FROM pragma_database_list")]
    if "erika" not in names:
        return False, "pragma_database_list -> %s" % names
    got = rows(cn, "SELECT name FROM erika.note")
    return True, "pragma_database_list -> %s; erika.note -> %s" % (
        names, short(got))


def sqlite_query_only_reveal(cn, ctx):
    v = one(cn, "PRAGMA query_only")
    err, _ = error_of(cn, "INSERT INTO probe_people (name) "
                          "VALUES ('read-only probe')")
    return v != 0 or err is not None, "PRAGMA query_only -> %s; INSERT %s" % (
        v, "fails: " + brief(err[1]) if err else "succeeds")


def access_mode_reveal(cn, ctx):
    err, _ = error_of(cn, "INSERT INTO probe_people (name) "
                          "VALUES ('read-only probe')")
    return err is not None, "INSERT %s" % (
        "fails: " + brief(err[1]) if err else "succeeds")


def sqlite_probes():
    db = "sqlite"
    return [
        Probe(db, "temp_table", "TEMP table",
              "`CREATE TEMP TABLE note`, a row with the datum",
              "`SELECT name FROM note`",
              sql_setup("CREATE TEMP TABLE note (name TEXT)",
                        "INSERT INTO note VALUES ('%s')" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "SELECT name FROM note",
                                             "no such table"),
              c_tests="test_reset_drops_temp_table_with_personal_datum"),
        Probe(db, "attached", "ATTACHed database",
              "`ATTACH ':memory:' AS erika`, a table in it with the datum",
              "`pragma_database_list`, `SELECT name FROM erika.note`",
              sql_setup("ATTACH DATABASE ':memory:' AS erika",
                        "CREATE TABLE erika.note (name TEXT)",
                        "INSERT INTO erika.note VALUES ('%s')" % DATUM),
              sqlite_attached_reveal,
              c_tests="(sqlite.sh's verify query lists attached databases)"),
        Probe(db, "uncommitted", "uncommitted row",
              "`BEGIN` sent as SQL (pyodbc's autocommit stays on, so pyodbc "
              "does not roll back), `INSERT` the datum",
              "count of rows with the datum",
              sql_setup("BEGIN",
                        "INSERT INTO probe_people (name) VALUES ('%s')"
                        % DATUM),
              count_datum, b_cleanup=("ROLLBACK",), expect="closed",
              note="sqlite3odbc's SQLEndTran(SQL_ROLLBACK) does nothing in "
                   "autocommit mode, so the pool's rollback leaves the "
                   "transaction open; the reset script's first statements, "
                   "BEGIN; ROLLBACK;, fail inside it and the pool closes "
                   "the connection (fail closed).",
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit (autocommit off through ODBC)"),
        Probe(db, "uncommitted_nochange",
              "uncommitted row, last write changed no row",
              "`BEGIN` sent as SQL, `UPDATE` a committed row to the datum, "
              "then `DELETE ... WHERE 0` (so `changes()` = 0)",
              "count of rows with the datum",
              sqlite_uncommitted_nochange, count_datum,
              b_cleanup=("ROLLBACK",), expect="closed",
              note="Where no other statement of the reset would fail: "
                   "sqlite3odbc's SQLEndTran(SQL_ROLLBACK) does nothing in "
                   "autocommit mode, and with changes() = 0 and "
                   "last_insert_rowid() = 0 only the script's BEGIN; "
                   "ROLLBACK; catches the open transaction (this row was "
                   "RESIDUE before that was added).",
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit (autocommit off through ODBC)"),
        Probe(db, "read_transaction", "open read transaction (file lock)",
              "`BEGIN` sent as SQL, `SELECT` from the table: the "
              "connection holds a SHARED lock until the transaction ends",
              "another connection writes the table",
              sql_setup("BEGIN", "SELECT count(*) FROM probe_people"),
              sqlite_write_lock_reveal,
              b_cleanup=("ROLLBACK",), expect="closed",
              note="Closed by the script's BEGIN; ROLLBACK;. Without it, B, believing autocommit is on, would write into A's "
                   "transaction; nothing commits it, and its rows are lost "
                   "when a later reset closes the connection."),
        Probe(db, "autocommit", "ODBC autocommit off",
              "`cnxn.autocommit = False` (SQL_ATTR_AUTOCOMMIT)",
              "B inserts a row; another connection counts it",
              lambda cn, ctx: setattr(cn, "autocommit", False),
              other_sees_row,
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit"),
        Probe(db, "isolation", "ODBC isolation level",
              "`set_attr(SQL_ATTR_TXN_ISOLATION, SERIALIZABLE)`",
              "`PRAGMA read_uncommitted` (the only isolation knob)",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_TXN_ISOLATION,
                                          SQL_TXN_SERIALIZABLE),
              lambda cn, ctx: (one(cn, "PRAGMA read_uncommitted") != 0,
                               "PRAGMA read_uncommitted -> %s"
                               % one(cn, "PRAGMA read_uncommitted")),
              na="sqlite3odbc 0.9998 answers 01S02 and changes nothing",
              c_tests="test_reset_restores_isolation_level (skips on "
                      "SQLite)"),
        Probe(db, "access_mode", "ODBC read-only (access mode)",
              "`set_attr(SQL_ATTR_ACCESS_MODE, READ_ONLY)`",
              "B inserts a row",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_ACCESS_MODE,
                                          SQL_MODE_READ_ONLY),
              access_mode_reveal,
              na="sqlite3odbc 0.9998 answers 01S02 and changes nothing",
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "query_only", "read-only session (`PRAGMA query_only`)",
              "`PRAGMA query_only = ON`",
              "`PRAGMA query_only`; B inserts a row",
              sql_setup("PRAGMA query_only = ON"),
              sqlite_query_only_reveal,
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "pragmas", "connection pragmas",
              "`recursive_triggers`, `reverse_unordered_selects` ON, "
              "`cache_size = -4711`, `automatic_index` OFF, `temp_store = "
              "MEMORY`, `case_sensitive_like` ON",
              "each pragma compared with a fresh connection's value",
              sql_setup("PRAGMA recursive_triggers = ON",
                        "PRAGMA reverse_unordered_selects = ON",
                        "PRAGMA cache_size = -4711",
                        "PRAGMA automatic_index = OFF",
                        "PRAGMA temp_store = MEMORY",
                        "PRAGMA case_sensitive_like = ON"),
              differs_from_fresh(SQLITE_PRAGMAS)),
        Probe(db, "locking_mode", "file lock (`locking_mode = EXCLUSIVE`)",
              "`PRAGMA locking_mode = EXCLUSIVE`, then a write: the "
              "connection keeps the file locked",
              "another connection reads the table",
              sql_setup("PRAGMA locking_mode = EXCLUSIVE",
                        "INSERT INTO probe_people (name) "
                        "VALUES ('lock probe')"),
              sqlite_lock_reveal,
              b_cleanup=("PRAGMA locking_mode = NORMAL",
                         "SELECT count(*) FROM sqlite_master")),
        Probe(db, "open_statement", "open statement / result set",
              "a cursor on `SELECT x, 'Erika Mustermann' ...` with one row "
              "of two fetched, never closed",
              "`sqlite_stmt` (SQL text of statements still prepared)",
              sqlite_open_statement, sqlite_stmt_reveal,
              c_tests="test_reset_frees_statements_left_open"),
        Probe(db, "prepared", "prepared statement (ODBC, with a parameter)",
              "a cursor on `SELECT ... WHERE name <> ? OR 'Erika "
              "Mustermann' = ''` (pyodbc prepares it), all rows fetched, "
              "never closed",
              "`sqlite_stmt` (SQL text of statements still prepared)",
              sqlite_prepared, sqlite_stmt_reveal,
              c_tests="test_reset_frees_statements_left_open"),
        Probe(db, "dsn_pragmas", "DSN-controlled pragma (DSN defaults)",
              "`PRAGMA foreign_keys = ON`",
              "`PRAGMA foreign_keys` compared with a fresh connection's",
              sql_setup("PRAGMA foreign_keys = ON"),
              differs_from_fresh(SQLITE_DSN_PRAGMAS[:1])),
        Probe(db, "baseline", "the DSN's own pragmas (FKSupport=1, "
              "SyncPragma=FULL)",
              "`PRAGMA foreign_keys = OFF`, `PRAGMA synchronous = OFF`",
              "`foreign_keys` and `synchronous` must be the DSN's, 1 and 2",
              sql_setup("PRAGMA foreign_keys = OFF",
                        "PRAGMA synchronous = OFF"),
              expect_values([("foreign_keys", "PRAGMA foreign_keys", 1),
                             ("synchronous", "PRAGMA synchronous", 2)]),
              dsn=(("FKSupport", "1"), ("SyncPragma", "FULL"))),
        # The light reset (a borrower that ran only single SELECTs gets no
        # database reset): statements that try to pass for a SELECT.
        Probe(db, "light_comment", "a PRAGMA behind a comment that says "
              "SELECT (light-reset bypass attempt)",
              "`/* SELECT */ PRAGMA recursive_triggers = ON`",
              "`PRAGMA recursive_triggers` compared with a fresh "
              "connection's",
              sql_setup("/* SELECT */ PRAGMA recursive_triggers = ON"),
              differs_from_fresh(SQLITE_PRAGMAS[:1])),
        Probe(db, "light_with_insert", "a write inside WITH (light-reset "
              "bypass attempt)",
              "`WITH x AS (SELECT ...) INSERT INTO probe_people SELECT ...` "
              "(last_insert_rowid(), changes())",
              "`SELECT last_insert_rowid(), changes()`",
              sql_setup("WITH x AS (SELECT '%s' AS n) "
                        "INSERT INTO probe_people (name) SELECT n FROM x"
                        % DATUM),
              lambda cn, ctx: (lambda v: (v != (0, 0),
                                          "last_insert_rowid(), changes() -> "
                                          "%r" % (v,)))(
                  tuple(rows(cn, "SELECT last_insert_rowid(), changes()")[0])),
              cleanup=("DELETE FROM probe_people",)),
        Probe(db, "busy_timeout", "busy handler (`PRAGMA busy_timeout`)",
              "`PRAGMA busy_timeout = 4711`: replaces sqlite3odbc's "
              "handler, which implements the DSN's Timeout",
              "`PRAGMA busy_timeout` compared with a fresh connection's",
              sql_setup("PRAGMA busy_timeout = 4711"),
              differs_from_fresh(SQLITE_DSN_PRAGMAS[1:]), expect="closed",
              note="SQL cannot put sqlite3odbc's busy handler back: the "
                   "reset closes a connection whose handler was replaced."),
    ]


# --- PostgreSQL

def pg_lock_reveal(cn, ctx):
    o = ctx.other()
    got = one(o, "SELECT pg_try_advisory_lock(hashtext('%s'))::int" % DATUM)
    if got:
        one(o, "SELECT pg_advisory_unlock(hashtext('%s'))::int" % DATUM)
    return not got, ("another session: pg_try_advisory_lock(hashtext('%s')) "
                     "-> %s" % (DATUM, bool(got)))


def pg_open_statement(cn, ctx):
    cur = cn.cursor()
    # With a parameter, pyodbc prepares (SQLPrepare) and psqlODBC makes a
    # named server-side statement whose text holds the literal.
    cur.execute("SELECT name FROM probe_people WHERE name <> ? "
                "OR '%s' = ''" % DATUM, "x")
    ctx.keep.append(cur)


def pg_prepared_reveal(cn, ctx):
    got = rows(cn, "SELECT name, statement FROM pg_prepared_statements "
                   "WHERE statement LIKE '%' || 'Erika' || ' Mustermann%'")
    return bool(got), "pg_prepared_statements -> %s" % short(got)


def pg_isolation_reveal(cn, ctx):
    level = one(cn, "SHOW transaction_isolation")
    if level == "serializable":
        return True, "SHOW transaction_isolation -> %s" % level
    # psqlODBC caches the level it last set and skips a set to the cached
    # value: B's own request for SERIALIZABLE must reach the server.
    cn.set_attr(SQL_ATTR_TXN_ISOLATION, SQL_TXN_SERIALIZABLE)
    after = one(cn, "SHOW transaction_isolation")
    return after != "serializable", (
        "SHOW transaction_isolation -> %s; after B's own "
        "set_attr(SERIALIZABLE) -> %s" % (level, after))


def pg_dblink_setup(cn, ctx):
    """A opens a named and the unnamed dblink connection with its own
    password in the connection string."""
    cs = ("host=127.0.0.1 port=%s dbname=odbcpool user=odbcpool "
          "password=odbcpool-secret application_name=erika_mustermann"
          % os.environ["PROBES_PG_PORT"])
    execute(cn, "SELECT dblink_connect('erika', '%s')" % cs,
            "SELECT dblink_connect('%s')" % cs)


def pg_dblink_reveal(cn, ctx):
    named = one(cn, "SELECT dblink_get_connections()")
    err, _ = error_of(cn, "SELECT * FROM dblink('SELECT 1') AS t(x int)")
    unnamed = err is None
    return (named is not None or unnamed,
            "dblink_get_connections() -> %r; unnamed connection %s"
            % (named, "open" if unnamed else "gone"))


def pg_probes():
    db = "pg"
    absent_rel = r"does not exist"
    return [
        Probe(db, "dblink", "dblink connections (the borrower's password)",
              "`dblink_connect('erika', ...)` and the unnamed one, each "
              "with the borrower's password in the connection string",
              "`dblink_get_connections()`; a query on the unnamed one",
              pg_dblink_setup, pg_dblink_reveal),
        Probe(db, "temp_table", "TEMP table",
              "`CREATE TEMP TABLE note`, a row with the datum",
              "`SELECT name FROM note`",
              sql_setup("CREATE TEMP TABLE note (name text)",
                        "INSERT INTO note VALUES ('%s')" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "SELECT name FROM note",
                                             absent_rel),
              c_tests="test_reset_drops_temp_table_with_personal_datum"),
        Probe(db, "custom_variable", "session variable (custom setting)",
              "`set_config('app.user', 'Erika Mustermann', false)`",
              "`current_setting('app.user', true)`",
              sql_setup("SELECT set_config('app.user', '%s', false)" % DATUM),
              lambda cn, ctx: read_or_absent(
                  cn, "SELECT current_setting('app.user', true)", "$^"),
              c_tests="test_pg_reset_restores_session_parameters"),
        Probe(db, "set_parameters", "SET parameters",
              "`SET application_name = 'Erika Mustermann'`, `search_path`, "
              "`statement_timeout`, `TimeZone`",
              "`current_setting(...)` of each, compared with a fresh "
              "connection",
              sql_setup("SET application_name = '%s'" % DATUM,
                        "SET search_path = erika, pg_temp",
                        "SET statement_timeout = '4711s'",
                        "SET TimeZone = 'Pacific/Chatham'"),
              differs_from_fresh(PG_SETTINGS),
              c_tests="test_pg_reset_restores_session_parameters"),
        Probe(db, "role", "role (`SET ROLE`)",
              "`SET ROLE odbcpool_other`",
              "`SELECT current_user`",
              sql_setup("SET ROLE odbcpool_other"),
              lambda cn, ctx: (lambda u: (u == "odbcpool_other",
                                          "current_user -> %s" % u))(
                  one(cn, "SELECT current_user")),
              c_tests="test_pg_reset_ends_set_role"),
        Probe(db, "prepared", "prepared statement (SQL `PREPARE`)",
              "`PREPARE erika AS SELECT 'Erika Mustermann'::text`",
              "`EXECUTE erika`",
              sql_setup("PREPARE erika AS SELECT '%s'::text" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "EXECUTE erika",
                                             absent_rel),
              c_tests="test_pg_reset_deallocates_prepared_statements"),
        Probe(db, "open_statement", "open ODBC statement (server-side plan)",
              "a pyodbc cursor with a parameter (psqlODBC prepares "
              "`_PLAN...` on the server; its text holds the datum), never "
              "closed",
              "`pg_prepared_statements`",
              pg_open_statement, pg_prepared_reveal,
              c_tests="test_reset_frees_statements_left_open"),
        Probe(db, "open_cursor", "open cursor (in a transaction)",
              "`BEGIN` as SQL, `DECLARE erika_open CURSOR FOR SELECT "
              "'Erika Mustermann'`",
              "`FETCH erika_open`",
              sql_setup("BEGIN",
                        "DECLARE erika_open CURSOR FOR SELECT '%s'::text"
                        % DATUM),
              lambda cn, ctx: read_or_absent(cn, "FETCH erika_open",
                                             absent_rel),
              b_cleanup=("ROLLBACK",)),
        Probe(db, "held_cursor", "held cursor (`WITH HOLD`)",
              "`DECLARE erika_hold CURSOR WITH HOLD FOR SELECT "
              "'Erika Mustermann'`",
              "`FETCH erika_hold`",
              sql_setup("DECLARE erika_hold CURSOR WITH HOLD FOR "
                        "SELECT '%s'::text" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "FETCH erika_hold",
                                             absent_rel),
              c_tests="test_reset_frees_statements_left_open"),
        Probe(db, "advisory_lock", "advisory lock",
              "`pg_advisory_lock(hashtext('Erika Mustermann'))`",
              "another session tries the same lock",
              sql_setup("SELECT pg_advisory_lock(hashtext('%s'))" % DATUM),
              pg_lock_reveal,
              c_tests="test_pg_reset_releases_advisory_locks"),
        Probe(db, "listen", "`LISTEN` registration",
              "`LISTEN \"Erika Mustermann\"`",
              "`pg_listening_channels()`",
              sql_setup('LISTEN "%s"' % DATUM),
              lambda cn, ctx: read_or_absent(
                  cn, "SELECT pg_listening_channels()", "$^"),
              c_tests="test_pg_reset_unlistens"),
        Probe(db, "uncommitted", "uncommitted row",
              "`BEGIN` sent as SQL (pyodbc's autocommit stays on, so pyodbc "
              "does not roll back), `INSERT` the datum",
              "count of rows with the datum",
              sql_setup("BEGIN",
                        "INSERT INTO probe_people (name) VALUES ('%s')"
                        % DATUM),
              count_datum, b_cleanup=("ROLLBACK",),
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit (autocommit off through ODBC)"),
        Probe(db, "autocommit", "ODBC autocommit off",
              "`cnxn.autocommit = False` (SQL_ATTR_AUTOCOMMIT)",
              "B inserts a row; another session counts it",
              lambda cn, ctx: setattr(cn, "autocommit", False),
              other_sees_row,
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit"),
        Probe(db, "isolation", "ODBC isolation level",
              "`set_attr(SQL_ATTR_TXN_ISOLATION, SERIALIZABLE)`",
              "`SHOW transaction_isolation`; then B's own "
              "`set_attr(SERIALIZABLE)` must reach the server (psqlODBC "
              "caches the level)",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_TXN_ISOLATION,
                                          SQL_TXN_SERIALIZABLE),
              pg_isolation_reveal,
              c_tests="test_reset_restores_isolation_level"),
        Probe(db, "access_mode", "ODBC read-only (access mode)",
              "`set_attr(SQL_ATTR_ACCESS_MODE, READ_ONLY)`",
              "B inserts a row",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_ACCESS_MODE,
                                          SQL_MODE_READ_ONLY),
              access_mode_reveal,
              na="psqlODBC 13.02 takes the attribute and ignores it",
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "read_only", "read-only session (SQL)",
              "`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`",
              "B inserts a row",
              sql_setup("SET SESSION CHARACTERISTICS AS TRANSACTION "
                        "READ ONLY"),
              access_mode_reveal,
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "custom_variable_name", "custom variable NAME",
              "`set_config('app.erika_mustermann', 'x', false)`",
              "`current_setting('app.erika_mustermann', true)` is `''`, "
              "not NULL, once the name was set on the backend",
              sql_setup("SELECT set_config('app.erika_mustermann', 'x', "
                        "false)"),
              lambda cn, ctx: (lambda v: (v is not None,
                                          "current_setting(...) -> %r" % v))(
                  one(cn, "SELECT current_setting('app.erika_mustermann', "
                          "true)")),
              limit="RESET.md, Not covered (PostgreSQL): RESET ALL keeps "
                    "the placeholder"),
        Probe(db, "baseline", "the DSN's own settings (ConnSettings)",
              "`SET search_path = pg_catalog`, `SET app.tenant` to the "
              "datum, `RESET statement_timeout`",
              "`search_path`, `app.tenant`, `statement_timeout` must be "
              "what the DSN's ConnSettings set",
              sql_setup("SET search_path = pg_catalog",
                        "SET app.tenant = '%s'" % DATUM,
                        "RESET statement_timeout"),
              expect_values([
                  ("search_path", "SELECT current_setting('search_path')",
                   "public, pg_catalog"),
                  ("app.tenant",
                   "SELECT current_setting('app.tenant', true)", "acme"),
                  ("statement_timeout",
                   "SELECT current_setting('statement_timeout')", "4711ms")]),
              dsn=(("ConnSettings",
                    "SET search_path = public, pg_catalog;"
                    "SET app.tenant = 'acme';"
                    "SET statement_timeout = 4711"),)),
    ]


# --- MariaDB

def maria_lock_reveal(cn, ctx):
    o = ctx.other()
    got = one(o, "SELECT GET_LOCK('%s', 0)" % DATUM)
    if got:
        one(o, "SELECT RELEASE_LOCK('%s')" % DATUM)
    return not got, "another session: GET_LOCK('%s', 0) -> %s" % (DATUM, got)


def maria_table_lock_reveal(cn, ctx):
    o = ctx.other()
    execute(o, "SET SESSION lock_wait_timeout = 1")
    err, _ = error_of(o, "INSERT INTO probe_people (name) "
                         "VALUES ('lock probe')")
    if err is None:
        return False, "another session writes the table at once"
    if "Lock wait timeout" in err[1]:
        return True, "another session: %s" % brief(err[1])
    raise ProbeError("other session: %s %s" % err)


def maria_open_statement(cn, ctx):
    cur = cn.cursor()
    cur.execute("SELECT '%s' UNION ALL SELECT 'x'" % DATUM)
    cur.fetchone()
    ctx.keep.append(cur)


def maria_open_statement_reveal(cn, ctx):
    st = dict(rows(cn, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM "
                       "information_schema.SESSION_STATUS WHERE "
                       "VARIABLE_NAME IN ('COM_STMT_PREPARE', "
                       "'COM_STMT_CLOSE')"))
    # This very query is prepared and not yet closed: one is B's own.
    n = int(st["COM_STMT_PREPARE"]) - int(st["COM_STMT_CLOSE"]) - 1
    return n > 0, ("server-side statements still open besides the probe "
                   "(Com_stmt_prepare - Com_stmt_close - 1) -> %d" % n)


def maria_prepared_reveal(cn, ctx):
    # EXECUTE cannot run through Connector/ODBC (binary protocol, error
    # 1295); DEALLOCATE PREPARE of the name tells whether it exists.
    err, _ = error_of(cn, "DEALLOCATE PREPARE erika")
    if err is None:
        return True, "DEALLOCATE PREPARE erika succeeds: it existed"
    if "Unknown prepared statement" in err[1]:
        return False, "DEALLOCATE PREPARE erika -> %s" % brief(err[1])
    raise ProbeError("DEALLOCATE PREPARE: %s %s" % err)


def maria_probes():
    db = "mariadb"
    absent_table = r"doesn't exist"
    return [
        Probe(db, "temp_table", "TEMPORARY table",
              "`CREATE TEMPORARY TABLE note`, a row with the datum",
              "`SELECT name FROM note`",
              sql_setup("CREATE TEMPORARY TABLE note (name VARCHAR(40))",
                        "INSERT INTO note VALUES ('%s')" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "SELECT name FROM note",
                                             absent_table),
              expect="closed",
              c_tests="test_maria_temp_table_closes_the_connection"),
        Probe(db, "user_variable", "user variable",
              "`SET @erika = 'Erika Mustermann'`",
              "`SELECT @erika`",
              sql_setup("SET @erika = '%s'" % DATUM),
              lambda cn, ctx: read_or_absent(cn, "SELECT @erika", "$^"),
              c_tests="test_maria_reset_clears_user_variables"),
        Probe(db, "set_parameters", "SET session variables",
              "`SET SESSION time_zone = '+05:00', sql_mode = 'ANSI_QUOTES', "
              "lc_time_names = 'de_DE', sql_select_limit = 1`",
              "`@@session.` of each, compared with a fresh connection",
              sql_setup("SET SESSION time_zone = '+05:00', "
                        "sql_mode = 'ANSI_QUOTES', lc_time_names = 'de_DE', "
                        "sql_select_limit = 1"),
              differs_from_fresh(MARIA_SETTINGS),
              c_tests="test_maria_reset_restores_session_variables"),
        Probe(db, "role", "role (`SET ROLE`)",
              "`SET ROLE odbcpool_role`",
              "`SELECT CURRENT_ROLE()`",
              sql_setup("SET ROLE odbcpool_role"),
              lambda cn, ctx: (lambda r: (r is not None,
                                          "CURRENT_ROLE() -> %s" % r))(
                  one(cn, "SELECT CURRENT_ROLE()")),
              c_tests="test_maria_reset_ends_set_role"),
        Probe(db, "prepared", "prepared statement (SQL `PREPARE`)",
              "`PREPARE erika FROM 'SELECT ''Erika Mustermann'''`",
              "`DEALLOCATE PREPARE erika` succeeds iff it exists "
              "(`EXECUTE` is refused over Connector/ODBC's binary protocol)",
              sql_setup("PREPARE erika FROM 'SELECT ''%s'''" % DATUM),
              maria_prepared_reveal,
              expect="closed",
              c_tests="test_maria_prepare_closes_the_connection"),
        Probe(db, "open_statement", "open ODBC statement / result set",
              "a cursor on `SELECT 'Erika Mustermann' UNION ALL SELECT 'x'` "
              "with one row of two fetched, never closed",
              "server-side statements still open "
              "(`Com_stmt_prepare - Com_stmt_close`)",
              maria_open_statement, maria_open_statement_reveal,
              c_tests="test_reset_frees_statements_left_open"),
        Probe(db, "named_lock", "named lock (`GET_LOCK`)",
              "`GET_LOCK('Erika Mustermann', 0)`",
              "another session tries the same lock",
              sql_setup("SELECT GET_LOCK('%s', 0)" % DATUM),
              maria_lock_reveal,
              c_tests="test_maria_reset_releases_named_locks"),
        Probe(db, "table_lock", "table lock (`LOCK TABLES`)",
              "`LOCK TABLES probe_people WRITE`",
              "another session writes the table (lock_wait_timeout 1 s)",
              sql_setup("LOCK TABLES probe_people WRITE"),
              maria_table_lock_reveal,
              c_tests="test_maria_reset_unlocks_tables"),
        Probe(db, "uncommitted", "uncommitted row",
              "`START TRANSACTION` sent as SQL (pyodbc's autocommit stays "
              "on, so pyodbc does not roll back), `INSERT` the datum",
              "count of rows with the datum",
              sql_setup("START TRANSACTION",
                        "INSERT INTO probe_people (name) VALUES ('%s')"
                        % DATUM),
              count_datum, b_cleanup=("ROLLBACK",),
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit (autocommit off through ODBC)"),
        Probe(db, "xa", "XA transaction (uncommitted row)",
              "`XA START 'erika'`, `INSERT` the datum, left active",
              "count of rows with the datum",
              sql_setup("XA START 'erika'",
                        "INSERT INTO probe_people (name) VALUES ('%s')"
                        % DATUM),
              count_datum,
              b_cleanup=("XA END 'erika'", "XA ROLLBACK 'erika'"),
              expect="closed"),
        Probe(db, "autocommit", "ODBC autocommit off",
              "`cnxn.autocommit = False` (SQL_ATTR_AUTOCOMMIT)",
              "B inserts a row; another session counts it",
              lambda cn, ctx: setattr(cn, "autocommit", False),
              other_sees_row,
              c_tests="test_reset_rolls_back_uncommitted_row_and_restores_"
                      "autocommit"),
        Probe(db, "autocommit_sql", "autocommit off (SQL)",
              "`SET autocommit = 0` sent as SQL (pyodbc still believes "
              "autocommit is on)",
              "B inserts a row; another session counts it",
              sql_setup("SET autocommit = 0"),
              other_sees_row,
              c_tests="test_maria_reset_restores_session_variables"),
        Probe(db, "isolation", "ODBC isolation level",
              "`set_attr(SQL_ATTR_TXN_ISOLATION, SERIALIZABLE)`",
              "`SELECT @@session.tx_isolation`",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_TXN_ISOLATION,
                                          SQL_TXN_SERIALIZABLE),
              lambda cn, ctx: (lambda v: (v == "SERIALIZABLE",
                                          "@@session.tx_isolation -> %s" % v))(
                  one(cn, "SELECT @@session.tx_isolation")),
              c_tests="test_reset_restores_isolation_level"),
        Probe(db, "access_mode", "ODBC read-only (access mode)",
              "`set_attr(SQL_ATTR_ACCESS_MODE, READ_ONLY)`",
              "B inserts a row",
              lambda cn, ctx: cn.set_attr(SQL_ATTR_ACCESS_MODE,
                                          SQL_MODE_READ_ONLY),
              access_mode_reveal,
              na="Connector/ODBC 3.1.15 takes the attribute and ignores it",
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "read_only", "read-only session (SQL)",
              "`SET SESSION TRANSACTION READ ONLY`",
              "B inserts a row",
              sql_setup("SET SESSION TRANSACTION READ ONLY"),
              access_mode_reveal,
              c_tests="test_reset_restores_access_mode"),
        Probe(db, "database", "current database (`USE`)",
              "`USE odbcpool_other`",
              "`SELECT DATABASE()`",
              sql_setup("USE odbcpool_other"),
              lambda cn, ctx: (lambda d: (d != "odbcpool",
                                          "DATABASE() -> %s" % d))(
                  one(cn, "SELECT DATABASE()")),
              c_tests="test_maria_reset_restores_database"),
        Probe(db, "user_variable_name", "user variable NAME",
              "``SET @`Erika Mustermann` = 1``",
              "`information_schema.USER_VARIABLES` lists the name",
              sql_setup("SET @`%s` = 1" % DATUM),
              lambda cn, ctx: read_or_absent(
                  cn, "SELECT VARIABLE_NAME FROM "
                      "information_schema.USER_VARIABLES", "$^"),
              limit="RESET.md, Not covered (MariaDB): FLUSH USER_VARIABLES "
                    "needs RELOAD; the value is NULL, the name stays"),
        Probe(db, "baseline", "the DSN's own settings (CHARSET=latin1, "
              "INITSTMT)",
              "`SET SESSION character_set_client/connection/results = "
              "utf8mb4`, `SET @tenant` to the datum, `SET SESSION sql_mode "
              "= ''`",
              "character sets, `@tenant` and `sql_mode` must be what "
              "CHARSET and INITSTMT set",
              sql_setup("SET SESSION character_set_client = utf8mb4, "
                        "character_set_connection = utf8mb4, "
                        "character_set_results = utf8mb4",
                        "SET @tenant = '%s'" % DATUM,
                        "SET SESSION sql_mode = ''"),
              expect_values([
                  ("character_set_client",
                   "SELECT @@session.character_set_client", "latin1"),
                  ("character_set_connection",
                   "SELECT @@session.character_set_connection", "latin1"),
                  ("character_set_results",
                   "SELECT @@session.character_set_results", "latin1"),
                  ("@tenant", "SELECT @tenant", "acme"),
                  ("sql_mode", "SELECT @@session.sql_mode",
                   "PIPES_AS_CONCAT,STRICT_ALL_TABLES")]),
              dsn=(("CHARSET", "latin1"),
                   ("INITSTMT", "SET @tenant = 'acme', SESSION sql_mode = "
                                "'PIPES_AS_CONCAT,STRICT_ALL_TABLES'"))),
    ]


PROBES = {"sqlite": sqlite_probes, "pg": pg_probes, "mariadb": maria_probes}


# ------------------------------------------------------------- running

def read_ini(path):
    """Sections of an odbc.ini as {name: [(key, value)]}, in order."""
    secs, cur = {}, None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in ";#":
                continue
            m = re.match(r"^\[(.*)\]$", s)
            if m:
                cur = secs.setdefault(m.group(1), [])
            elif cur is not None and "=" in s:
                k, v = s.split("=", 1)
                cur.append((k.strip(), v.strip()))
    return secs


def setup_dsns(db, probes, workdir):
    """One target DSN (a copy of real_DB, with the probe's own settings)
    and one pooled DSN per probe, and the pool config: each target
    max_connections = 1 and NO reset setting at all (the default, reset =
    auto, must erase), no verify query (it would turn residue into a close
    and so hide what the reset itself leaves)."""
    odbcini = os.environ["ODBCINI"]
    real = read_ini(odbcini).get("real_" + db)
    if real is None:
        raise SystemExit("%s: no DSN real_%s in %s" % (PROG, db, odbcini))
    pool_ini = os.path.join(workdir, "pool-%s.ini" % db)
    stats = os.path.join(workdir, "stats-%s-%%p.prom" % db)
    with open(odbcini, "a") as f:
        for p in probes:
            f.write("\n[t_%s_%s]\n" % (db, p.key))
            own = {k.lower() for k, _ in p.dsn}
            for k, v in real:
                if k.lower() not in own:
                    f.write("%s = %s\n" % (k, v))
            for k, v in p.dsn:
                f.write("%s = %s\n" % (k, v))
            f.write("\n[p_%s_%s]\nDriver = ODBCPool\nTargetDSN = t_%s_%s\n"
                    "PoolConfig = %s\n" % (db, p.key, db, p.key, pool_ini))
    with open(pool_ini, "w") as f:
        f.write("; written by drivers-test/probes.py\n[defaults]\n"
                "borrow_timeout = 30s\nreset_workers = 2\n"
                "stats_file = %s\n" % stats)
        for p in probes:
            f.write("\n[t_%s_%s]\nmax_connections = 1\n" % (db, p.key))
    return stats


def fresh_values(db, real_dsn):
    cn = pyodbc.connect("DSN=" + real_dsn, autocommit=True)
    out = {label: one(cn, sql) for label, sql in FRESH.get(db, [])}
    cn.close()
    return out


def prepare_tables(db, real_dsn):
    cn = pyodbc.connect("DSN=" + real_dsn, autocommit=True)
    execute(cn, "DROP TABLE IF EXISTS probe_people",
            "CREATE TABLE probe_people (name VARCHAR(40))")
    cn.close()


def clean_tables(real_dsn, probe):
    cn = pyodbc.connect("DSN=" + real_dsn, autocommit=True)
    execute(cn, "DELETE FROM probe_people", *probe.cleanup)
    cn.close()


def b_cleanup(cn, p):
    for sql in p.b_cleanup:
        try:
            execute(cn, sql)
        except pyodbc.Error:
            pass


def run_direct(p, real_dsn, fresh):
    """A and B on one direct connection: B must see the state."""
    ctx = Ctx(p.db, real_dsn, fresh)
    # The probe's own target DSN: real_DB with the probe's settings.
    cn = pyodbc.connect("DSN=t_%s_%s" % (p.db, p.key), autocommit=True)
    try:
        p.setup(cn, ctx)
        return p.reveal(cn, ctx)
    finally:
        b_cleanup(cn, p)
        ctx.close_all()
        try:
            cn.close()
        except pyodbc.Error:
            pass


def run_pooled(p, real_dsn, fresh, stats_pattern):
    """A borrows, leaves the state, disconnects; B borrows (the same
    physical connection unless the pool closed it) and probes. Returns
    once the pool has finished B's return too (its stats_file counts two
    returns), so that the next probe does not meet this reset (on SQLite
    a background reset and the next probe's locks could collide)."""
    dsn = "DSN=p_%s_%s" % (p.db, p.key)
    ctx = Ctx(p.db, real_dsn, fresh)
    try:
        a = pyodbc.connect(dsn, autocommit=True)
        sid_a = session_id(a, p.db)
        p.setup(a, ctx)
        a.close()             # A's cursors stay open: ctx.keep
        b = pyodbc.connect(dsn, autocommit=True)
        sid_b = session_id(b, p.db)
        try:
            revealed, detail = p.reveal(b, ctx)
            one(b, "SELECT 1")  # the session still works after the probe
        finally:
            b_cleanup(b, p)
            b.close()
    finally:
        ctx.keep = []         # not closed: A left them
        ctx.close_all()
    target = "t_%s_%s" % (p.db, p.key)
    _, st = read_stats(stats_pattern, [target], wait=20.0)
    return revealed, detail, sid_a, sid_b, st.get(target, {})


def read_stats(pattern, dsns, wait=10.0):
    """Per target DSN counters, once every DSN shows two finished returns
    (the file is written at most once a second)."""
    path = pattern.replace("%p", str(os.getpid()))
    deadline = time.monotonic() + wait
    while True:
        st = {}
        try:
            with open(path) as f:
                for line in f:
                    m = re.match(r'^odbcpool_(\w+)\{dsn="([^"]*)"'
                                 r'(?:,reason="([^"]*)")?\} (\d+)$', line)
                    if m:
                        name = m.group(1) + (
                            "." + m.group(3) if m.group(3) else "")
                        st.setdefault(m.group(2), {})[name] = int(m.group(4))
        except FileNotFoundError:
            pass
        done = all(st.get(d, {}).get("resets_total", 0) +
                   st.get(d, {}).get("reset_failures_total", 0) >= 2
                   for d in dsns)
        if done or time.monotonic() >= deadline:
            return path, st
        time.sleep(0.2)


def outcome_of(p, r):
    """The row's outcome and whether it fails the run."""
    if r.get("error"):
        return "ERROR", True
    if not r["direct_revealed"]:
        if p.na:
            return "n/a", False
        return "NOT DETECTED DIRECTLY", True
    if r["pooled_revealed"]:
        if p.limit:
            return "residue (documented limit)", False
        return "RESIDUE", True
    st = r.get("stats", {})
    connects = st.get("connects_total")
    failures = st.get("reset_failures_total", 0)
    same_sid = r["sid_a"] == r["sid_b"]
    server = p.db != "sqlite"
    # Counted after B's return too: a failure of B's own reset (B leaves
    # nothing, so there should be none) shows as failures = 1 with
    # connects = 1, and does not change what B found.
    if connects == 1 and (same_sid or not server):
        return "erased", False
    if connects == 2 and failures >= 1 and (not same_sid or not server):
        return "closed-not-reused", False
    return "INCONCLUSIVE", True


def cmd_run(db, workdir):
    real_dsn = "real_" + db
    probes = PROBES[db]()
    only = os.environ.get("PROBES_ONLY")
    if only:
        probes = [p for p in probes if p.key in only.split(",")]
    stats_pattern = setup_dsns(db, probes, workdir)
    prepare_tables(db, real_dsn)
    fresh = fresh_values(db, real_dsn)
    info = versions(db, real_dsn)
    results = []
    for p in probes:
        r = {"key": p.key}
        start = time.monotonic()
        try:
            r["direct_revealed"], r["direct_detail"] = run_direct(
                p, real_dsn, fresh)
            clean_tables(real_dsn, p)
            if r["direct_revealed"] or not p.na:
                (r["pooled_revealed"], r["pooled_detail"], r["sid_a"],
                 r["sid_b"], r["stats"]) = run_pooled(p, real_dsn, fresh,
                                                      stats_pattern)
                clean_tables(real_dsn, p)
        except Exception as e:  # noqa: BLE001 - reported as the outcome
            r["error"] = "%s: %s" % (type(e).__name__, e)
            traceback.print_exc()
        r["seconds"] = round(time.monotonic() - start, 2)
        results.append(r)
        print("%s %s %s: direct %s; pooled %s (%.2f s)" % (
            PROG, db, p.key,
            r.get("direct_detail", "-"), r.get("pooled_detail", "-"),
            r["seconds"]), flush=True)
    path = stats_pattern.replace("%p", str(os.getpid()))
    out = os.path.join(workdir, db + ".json")
    with open(out, "w") as f:
        json.dump({"db": db, "versions": info, "stats_file": path,
                   "results": results}, f, indent=1, default=str)
    return 0


def versions(db, real_dsn):
    cn = pyodbc.connect("DSN=" + real_dsn, autocommit=True)
    v = {k: cn.getinfo(getattr(pyodbc, k)) for k in
         ("SQL_DBMS_NAME", "SQL_DBMS_VER", "SQL_DRIVER_NAME",
          "SQL_DRIVER_VER")}
    v["server_version"] = one(cn, {
        "sqlite": "SELECT sqlite_version()",
        "pg": "SELECT current_setting('server_version')",
        "mariadb": "SELECT VERSION()"}[db])
    cn.close()
    v["pyodbc"] = pyodbc.version
    v["python"] = sys.version.split()[0]
    return v


# ------------------------------------------------------------- report

def cmd_report(files, write_doc, command):
    runs = []
    for path in files:
        with open(path) as f:
            runs.append(json.load(f))
    table, nfail, lines = [], 0, []
    for run in runs:
        db = run["db"]
        probes = {p.key: p for p in PROBES[db]()}
        for r in run["results"]:
            p = probes[r["key"]]
            outcome, failed = outcome_of(p, r)
            nfail += failed
            table.append((db, p, r, outcome))
            st = r.get("stats", {})
            lines.append("%-6s %-8s %-46s %s%s" % (
                "FAIL" if failed else "ok", db, p.state.replace("`", ""),
                outcome, "" if outcome in ("n/a", "ERROR") or
                "pooled_revealed" not in r else
                "  [connects_total=%s reset_failures_total=%s session %s/%s]"
                % (st.get("connects_total"), st.get("reset_failures_total"),
                   r.get("sid_a"), r.get("sid_b"))))
            if failed:
                lines.append("       direct: %s" % r.get("direct_detail"))
                lines.append("       pooled: %s" % r.get("pooled_detail"))
                if r.get("error"):
                    lines.append("       error: %s" % r["error"])
            elif outcome.startswith("closed") and p.expect != "closed" or \
                    outcome == "erased" and p.expect == "closed":
                lines.append("       NOTE: doc/RESET.md expects %s"
                             % p.expect)
    for line in lines:
        print(line)
    print("%s: %d rows, %d failed" % (PROG, len(table), nfail))
    if write_doc:
        write_markdown(write_doc, runs, table, command)
        print("%s: wrote %s" % (PROG, write_doc))
    return 1 if nfail else 0


def md(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def write_markdown(path, runs, table, command):
    unixodbc = ""
    try:
        unixodbc = subprocess.run(["odbcinst", "--version"],
                                  capture_output=True, text=True,
                                  check=False).stdout.strip()
    except OSError:
        pass
    commit = os.environ.get("PROBES_COMMIT", "")
    out = []
    w = out.append
    w("# Residue probes: what a borrower finds of the previous borrower")
    w("")
    w("Generated by `drivers-test/probes.sh --write-doc` (do not edit by "
      "hand; rerun it).")
    w("")
    w("- Date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"))
    w("- Command: `%s`" % (command or "drivers-test/probes.sh --write-doc"))
    if commit:
        w("- odbcpool: %s" % commit)
    w("- Client: pyodbc %s (Debian's python3-pyodbc), Python %s, %s"
      % (runs[0]["versions"]["pyodbc"], runs[0]["versions"]["python"],
         unixodbc or "unixODBC"))
    for run in runs:
        v = run["versions"]
        w("- %s: %s %s (`%s`) through %s %s" % (
            DB_NAMES[run["db"]], v["SQL_DBMS_NAME"], v["server_version"],
            "SELECT sqlite_version()" if run["db"] == "sqlite" else
            "server_version" if run["db"] == "pg" else "VERSION()",
            v["SQL_DRIVER_NAME"], v["SQL_DRIVER_VER"]))
    w("")
    w("""## What each row proves

For each database and each kind of session state, **borrower A** connects
through the odbcpool driver (`Driver = ODBCPool`, a DSN per probe whose
target has `max_connections = 1` and no reset setting at all — the
default, `reset = auto`, runs the built-in reset of the database — and no
`verify_query`), leaves the state (holding the
fake personal datum 'Erika Mustermann' wherever the state can hold a
value), and disconnects. **Borrower B** then connects to the same DSN and
runs the probe, a query that would reveal the state. The same probe is
first run **directly** (the real DSN, no pool), with A and B on one
connection: there it must see the state, or it proves nothing.

Outcomes:

- **erased**: B ran on A's physical connection — the pool's
  `stats_file` shows `connects_total = 1` for the probe's DSN and, on
  PostgreSQL and MariaDB, B's server session id (`pg_backend_pid()`,
  `CONNECTION_ID()`) equals A's — and found nothing.
- **closed-not-reused**: the reset refused the connection on purpose (fail
  closed; doc/RESET.md says which states do this): `reset_failures_total =
  1`, `connects_total = 2`, a new server session, and B, on the new
  connection, found nothing.
- **RESIDUE**: B found the state. A pool bug; the run fails.
- **residue (documented limit)**: B found state that doc/RESET.md lists
  under "Not covered". Probed so that it shows here; does not fail the
  run.
- **n/a**: the driver takes the attribute and does nothing with it, so
  there is no state to leave (the direct run shows that).

The run fails on any RESIDUE, any probe that did not detect the state in
the direct run, and any probe that could not run. The "C test" column
names the `drivers-test/check_drivers.c` tests that check the same state
through the library API (`odbcpool_borrow`/`odbcpool_return`, run by
drivers-test/sqlite.sh, postgresql.sh and mariadb.sh).
""")
    for run in runs:
        db = run["db"]
        w("## %s" % DB_NAMES[db])
        w("")
        w("| State | A leaves | Probe in B | Direct: B sees | Through the "
          "pool: B sees | connects / reset failures / session A→B | "
          "Outcome | C test |")
        w("|---|---|---|---|---|---|---|---|")
        for d, p, r, outcome in table:
            if d != db:
                continue
            st = r.get("stats", {})
            if "pooled_revealed" in r:
                sess = "%s / %s / %s" % (
                    st.get("connects_total", "?"),
                    st.get("reset_failures_total", "?"),
                    "-" if r.get("sid_a") is None else "%s→%s" % (
                        r["sid_a"], r["sid_b"]))
            else:
                sess = "-"
            oc = "**%s**" % outcome if outcome != "n/a" else \
                "n/a: %s" % p.na
            if p.limit:
                oc += " (%s)" % p.limit
            if outcome in ("erased", "closed-not-reused") and \
                    not outcome.startswith(p.expect):
                oc += " (doc/RESET.md: %s)" % p.expect
            elif p.expect == "closed" and outcome.startswith("closed"):
                oc += " (fail closed by design, doc/RESET.md)"
            if p.note:
                oc += " (see Notes)"
            w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                md(p.state), md(p.left), md(p.probe),
                md(r.get("direct_detail", r.get("error", "-"))),
                md(r.get("pooled_detail", "-")), sess, md(oc),
                md(p.c_tests or "—")))
        w("")
    residues = [(d, p, r) for d, p, r, o in table if o == "RESIDUE"]
    w("## Findings")
    w("")
    if not residues:
        w("No RESIDUE: on every row B found nothing of A's state, or the "
          "pool closed A's connection, or the state is a documented "
          "limit.")
    for d, p, r in residues:
        w("- **RESIDUE, %s, %s.** A: %s. B (same physical connection: "
          "connects_total = %s%s): %s -> %s. Reproduce: `DBS=%s "
          "PROBES_ONLY=%s drivers-test/probes.sh`." % (
              DB_NAMES[d], p.state, p.left,
              r.get("stats", {}).get("connects_total"),
              "" if r.get("sid_a") is None else
              ", session %s = %s" % (r["sid_a"], r["sid_b"]),
              p.probe, r.get("pooled_detail"), d, p.key) +
          (" " + p.note if p.note else ""))
    w("")
    notes = [(d, p) for d, p, r, o in table if p.note]
    if notes:
        w("## Notes")
        w("")
        for d, p in notes:
            w("- %s, %s: %s" % (DB_NAMES[d], p.state, p.note))
        w("")
    w("""## Reproducing

`make check TESTS=drivers-test/probes.sh` (about a minute: it starts a
PostgreSQL and a MariaDB server of its own and stops them, by pid, at the
end; without a server or driver it skips, exit 77, unless
`ODBCPOOL_REQUIRE_ALL=1`). `drivers-test/probes.sh --write-doc` rewrites
this page. `PROBES_ONLY=key,key` runs some probes only; `DBS="sqlite pg"`
some databases; `ODBCPOOL_PROBES_KEEP=1` keeps the work directory (odbc.ini,
pool configs, stats files, per-database JSON results).
""")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main(argv):
    if len(argv) >= 3 and argv[0] == "run" and argv[1] in PROBES:
        return cmd_run(argv[1], argv[2])
    if argv and argv[0] == "report":
        args, write_doc, command = argv[1:], None, None
        files = []
        i = 0
        while i < len(args):
            if args[i] == "--write-doc":
                write_doc = args[i + 1]
                i += 2
            elif args[i] == "--command":
                command = args[i + 1]
                i += 2
            else:
                files.append(args[i])
                i += 1
        if not files:
            sys.exit("%s report: no result files" % PROG)
        return cmd_report(files, write_doc, command)
    sys.exit("usage: %s run sqlite|pg|mariadb WORKDIR\n"
             "       %s report [--write-doc FILE] [--command CMD] JSON..."
             % (PROG, PROG))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
