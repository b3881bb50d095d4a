#!/usr/bin/python3
# client_pyodbc.py — an unchanged pyodbc program, run once against the
# direct DSN and once against the odbcpool DSN in front of it: the values
# it collects must be equal, and through the pool the physical connection
# must be reused (stats_file) and erased between requests.
#
# Usage: client_pyodbc.py DB DIRECT_DSN POOLED_DSN STATS_PATTERN
#   DB             sqlite or pg
#   STATS_PATTERN  the pool's stats_file, %p standing for the process id
# Environment: CLIENT_LOOPS (connect/disconnect requests, default 30),
#   CLIENT_MAX_CONNECTS (most physical connects allowed, default 1: the
#   harness gives the target max_connections = 1, so that every request
#   is known to run on the same physical connection), CLIENT_VERBOSE=1
#   (print every value collected).
# Run by drivers-test/clients.sh. Debian's python3-pyodbc, /usr/bin/python3.
import datetime
import decimal
import hashlib
import os
import re
import sys
import time

import pyodbc

PROG = "client_pyodbc"
DATUM = ("Erika Mustermann", datetime.date(1964, 8, 12))
UNI = "Zoë Müller 北京 😀"
# sqlite3odbc 0.9998 mangles a UTF-16 surrogate pair in SQL text
# (SQLExecDirectW: 'unrecognized token'), direct as well; in parameters
# it is fine. So SQLite's literal has no character outside the BMP.
UNI_BMP = "Zoë Müller 北京"
LONG_TEXT = "".join("line %05d Zoë 北京 😀\n" % i for i in range(5000))
LONG_BLOB = bytes(i * 7 % 256 for i in range(100 * 1024))


class Client:
    def __init__(self, db, dsn, pooled):
        self.db, self.dsn, self.pooled = db, dsn, pooled
        self.values = {}     # check name -> value, compared direct/pooled
        self.pids = []       # PostgreSQL backend pid of each request
        self.requests = 0    # connects made
        self.failures = []

    # -- helpers
    def put(self, key, value):
        self.values[key] = norm(value)

    def fail(self, what, expected, actual):
        self.failures.append("%s [%s]: %s: expected %s, got %s"
                             % (PROG, self.dsn, what, expected, actual))

    def connect(self, autocommit=True):
        self.requests += 1
        return pyodbc.connect("DSN=" + self.dsn, autocommit=autocommit)

    def note_pid(self, cur):
        if self.db == "pg":
            self.pids.append(cur.execute(
                "SELECT pg_backend_pid()").fetchone()[0])

    def temp_objects(self, cur):
        if self.db == "pg":
            sql = ("SELECT count(*) FROM pg_class "
                   "WHERE relnamespace = pg_my_temp_schema()")
        else:
            sql = "SELECT count(*) FROM sqlite_temp_master"
        return cur.execute(sql).fetchone()[0]

    def error_of(self, cur, sql, *params):
        """SQLSTATE and message of a statement that must fail."""
        try:
            cur.execute(sql, *params)
        except pyodbc.Error as e:
            return (e.args[0], strip_dm(e.args[1]))
        return ("no error", "")

    # -- the checks
    def suite(self):
        """One request exercising the data path; values go to self.values."""
        pg = self.db == "pg"
        cn = self.connect()
        cur = cn.cursor()
        self.note_pid(cur)
        self.put("suite.temp_objects_at_start", self.temp_objects(cur))

        # SQLGetInfo (SQL_DATA_SOURCE_NAME is the DSN connected to, which
        # differs by design).
        for name in ("SQL_DBMS_NAME", "SQL_DBMS_VER", "SQL_DRIVER_NAME",
                     "SQL_DRIVER_ODBC_VER", "SQL_SERVER_NAME",
                     "SQL_DATABASE_NAME", "SQL_USER_NAME",
                     "SQL_IDENTIFIER_QUOTE_CHAR", "SQL_TXN_CAPABLE",
                     "SQL_DEFAULT_TXN_ISOLATION", "SQL_GETDATA_EXTENSIONS",
                     "SQL_MAX_COLUMN_NAME_LEN", "SQL_CURSOR_COMMIT_BEHAVIOR",
                     "SQL_PARAM_ARRAY_ROW_COUNTS", "SQL_KEYWORDS"):
            try:
                self.put("getinfo." + name, cn.getinfo(getattr(pyodbc, name)))
            except pyodbc.Error as e:
                self.put("getinfo." + name, ("error", e.args[0]))

        # Integers, decimals, dates and times, Unicode, NULL as literals.
        if pg:
            cur.execute(
                "SELECT 42 AS i, -2147483648 AS imin, "
                "9223372036854775807 AS big, "
                "CAST(12345.6789 AS NUMERIC(12,4)) AS dec, "
                "CAST(-0.5 AS NUMERIC(3,1)) AS neg, 2.5E0 AS dbl, "
                "DATE '2024-02-29' AS dt, TIME '13:45:30' AS tm, "
                "TIMESTAMP '2024-02-29 13:45:30.123' AS ts, "
                "'%s' AS uni, CAST(NULL AS INTEGER) AS nul, "
                "length('%s') AS unilen" % (UNI, UNI))
        else:
            cur.execute(
                "SELECT 42 AS i, -2147483648 AS imin, "
                "9223372036854775807 AS big, 12345.6789 AS dec, "
                "-0.5 AS neg, 2.5E0 AS dbl, date('2024-02-29') AS dt, "
                "time('13:45:30') AS tm, "
                "strftime('%%Y-%%m-%%d %%H:%%M:%%f', "
                "'2024-02-29 13:45:30.123') AS ts, '%s' AS uni, "
                "NULL AS nul, length('%s') AS unilen" % (UNI_BMP, UNI_BMP))
        row = cur.fetchone()
        for d, v in zip(cur.description, row):
            self.put("literal." + d[0], v)
        self.put("literal.description", describe(cur))

        # A table of every type, filled through bound parameters.
        cur.execute(
            "CREATE TEMP TABLE work (id INTEGER PRIMARY KEY, i INTEGER, "
            "b BIGINT, d DECIMAL(12,4), dt DATE, tm TIME, ts TIMESTAMP, "
            "txt VARCHAR(200), lt TEXT, bl %s)" % ("BYTEA" if pg else "BLOB"))
        ins = ("INSERT INTO work (id, i, b, d, dt, tm, ts, txt, lt, bl) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        cur.execute(ins, 1, 42, 9223372036854775807,
                    decimal.Decimal("12345.6789"),
                    datetime.date(2024, 2, 29), datetime.time(13, 45, 30),
                    datetime.datetime(2024, 2, 29, 13, 45, 30, 123000),
                    UNI, LONG_TEXT, LONG_BLOB)
        cur.execute(ins, 2, None, None, None, None, None, None, None, None,
                    None)
        self.put("param.rowcount", cur.rowcount)
        rows = [(i, i * 3, None, None, None, None, None, "row %d %s" % (i, UNI),
                 None, None) for i in range(3, 53)]
        if pg:
            # Parameter arrays (SQL_ATTR_PARAMSET_SIZE) through the driver.
            cur.fast_executemany = True
        # else: pyodbc's fast_executemany crashes inside sqlite3odbc 0.9998
        # (SIGSEGV in its SQLExecute, direct too): a row at a time.
        cur.executemany(ins, rows)
        cur.fast_executemany = False

        # Back again: long text and blob come through pyodbc's SQLGetData
        # loop (pieces), the rest as they are.
        cur.execute("SELECT id, i, b, d, dt, tm, ts, txt, lt, bl FROM work "
                    "WHERE id <= ? ORDER BY id", 2)
        self.put("select.description", describe(cur))
        got = cur.fetchall()
        for r in got:
            for d, v in zip(cur.description, r):
                self.put("select.%d.%s" % (r[0], d[0]), v)
        if got and got[0].lt != LONG_TEXT:
            self.fail("100 KB text round trip", norm(LONG_TEXT),
                      norm(got[0].lt))
        if got and bytes(got[0].bl or b"") != LONG_BLOB:
            self.fail("100 KB blob round trip", norm(LONG_BLOB),
                      norm(got[0].bl))
        if got and got[0].txt != UNI:
            self.fail("Unicode parameter round trip", UNI, got[0].txt)

        # Bound parameters in a WHERE clause, and echoed back.
        cur.execute("SELECT txt FROM work WHERE id = ? AND i = ?", 7, 21)
        self.put("param.where", cur.fetchall())
        cur.execute("SELECT ? AS a, ? AS b", UNI, 12)
        self.put("param.echo", cur.fetchone())

        # Block fetch: fetchmany in chunks of 7.
        cur.execute("SELECT id, i, txt FROM work WHERE id >= 3 ORDER BY id")
        cur.arraysize = 7
        chunks = []
        while True:
            chunk = cur.fetchmany()
            if not chunk:
                break
            chunks.append([tuple(r) for r in chunk])
        self.put("fetchmany.sizes", [len(c) for c in chunks])
        self.put("fetchmany.rows", chunks)

        # Catalog functions: SQLTables, SQLColumns (standard columns only;
        # psqlODBC appends the table OID, which differs by creation).
        table = "cl_pyodbc"
        self.put("tables", [tuple(r)[:4] for r in
                            cur.tables(table=table).fetchall()])
        self.put("columns", [tuple(r)[:18] for r in
                             cur.columns(table=table).fetchall()])
        self.put("primary_keys", [tuple(r)[:6] for r in
                                  cur.primaryKeys(table=table).fetchall()])
        self.put("type_info", [tuple(r)[:3] for r in
                               cur.getTypeInfo().fetchall()])
        cur.execute("SELECT * FROM " + table + " ORDER BY id")
        self.put("catalog_table.description", describe(cur))
        self.put("catalog_table.rows", cur.fetchall())

        # Multiple result sets.
        if pg:
            cur.execute("SELECT 1 AS a; SELECT 'zwei' AS b, 2 AS c; "
                        "SELECT id FROM work WHERE id IN (3, 4) ORDER BY id")
            sets = [(describe(cur), cur.fetchall())]
            while cur.nextset():
                sets.append((describe(cur), cur.fetchall()))
            self.put("multiple_results", sets)
        else:
            print("%s [%s]: multiple result sets: skipped: sqlite3odbc "
                  "runs one statement per SQLExecDirect ('only one SQL "
                  "statement allowed'); that error is compared instead"
                  % (PROG, self.dsn))
            self.put("multiple_results",
                     self.error_of(cur, "SELECT 1 AS a; SELECT 2 AS b"))

        # Commit and rollback.
        cn.autocommit = False
        cur.execute("INSERT INTO work (id, txt) VALUES (100, 'rolled back')")
        cn.rollback()
        cur.execute("INSERT INTO work (id, txt) VALUES (101, 'committed')")
        cn.commit()
        cn.autocommit = True
        cur.execute("SELECT id, txt FROM work WHERE id >= 100 ORDER BY id")
        self.put("transactions", cur.fetchall())

        # Errors pass through: SQLSTATE and text.
        self.put("error.nosuch", self.error_of(cur, "SELECT * FROM nosuch"))
        self.put("error.syntax", self.error_of(cur, "SELEC 1"))
        # The temp table "work" is left behind on purpose: the next request
        # must not see it.
        cn.close()

    def loop(self, n):
        """n requests: connect, look around, disconnect."""
        seen = []
        for i in range(n):
            cn = self.connect()
            cur = cn.cursor()
            self.note_pid(cur)
            seen.append((self.temp_objects(cur),
                         cur.execute("SELECT ?", i).fetchone()[0]))
            cn.close()
        self.put("loop", seen)

    def erasure(self):
        """Request A leaves a personal datum in a temp table and an
        uncommitted row; request B must see neither."""
        cn = self.connect()
        cur = cn.cursor()
        self.note_pid(cur)
        pid_a = self.pids[-1] if self.pids else None
        cur.execute("CREATE TEMP TABLE gdpr_probe (name VARCHAR(40), "
                    "born DATE)")
        cur.execute("INSERT INTO gdpr_probe VALUES (?, ?)", *DATUM)
        self.put("erasure.a.visible",
                 cur.execute("SELECT name, born FROM gdpr_probe").fetchall())
        cn.autocommit = False
        cur.execute("INSERT INTO cl_pyodbc (id, name, born) VALUES (?, ?, ?)",
                    99, *DATUM)
        self.put("erasure.a.uncommitted", cur.execute(
            "SELECT count(*) FROM cl_pyodbc WHERE id = 99").fetchone()[0])
        cn.close()

        cn = self.connect()
        cur = cn.cursor()
        self.note_pid(cur)
        if self.pooled and self.db == "pg" and self.pids[-1] != pid_a:
            self.fail("request B on the backend of request A", pid_a,
                      self.pids[-1])
        self.put("erasure.b.temp_objects", self.temp_objects(cur))
        self.put("erasure.b.probe",
                 self.error_of(cur, "SELECT name, born FROM gdpr_probe"))
        self.put("erasure.b.row", cur.execute(
            "SELECT count(*) FROM cl_pyodbc WHERE name = ?",
            DATUM[0]).fetchone()[0])
        cn.close()

    def run(self, loops):
        try:
            self.suite()
            self.loop(loops)
            self.erasure()
        except Exception as e:  # noqa: BLE001 - reported, not raised
            self.failures.append("%s [%s]: died: %s: %s" % (
                PROG, self.dsn, type(e).__name__, e))


# ------------------------------------------------------------- helpers

def strip_dm(msg):
    """The message without the driver manager's prefix and pyodbc's
    trailing '(function name)'."""
    msg = msg.replace("[unixODBC]", "")
    return re.sub(r"\s*\(SQL\w+\)$", "", msg)


def norm(v):
    """A printable, comparable form; long values as length + digest."""
    if isinstance(v, (bytes, bytearray)):
        return "bytes[%d]:%s" % (len(v), hashlib.sha256(v).hexdigest()[:16])
    if isinstance(v, str) and len(v) > 200:
        return "str[%d]:%s" % (
            len(v), hashlib.sha256(v.encode()).hexdigest()[:16])
    if isinstance(v, pyodbc.Row):
        return tuple(norm(x) for x in v)
    if isinstance(v, (list, tuple)):
        return type(v)(norm(x) for x in v)
    if isinstance(v, (datetime.date, datetime.time, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return "Decimal(%s)" % v
    if isinstance(v, type):
        return v.__name__
    return v


def describe(cur):
    """cursor.description (SQLDescribeCol): name, type, sizes, nullable."""
    return [tuple(norm(x) for x in d) for d in cur.description]


def read_stats(pattern, min_borrows, wait=3.0):
    """The pool's counters for this process, once they count min_borrows
    borrows: the file is written at most once a second."""
    path = pattern.replace("%p", str(os.getpid()))
    deadline = time.monotonic() + wait
    stats = {}
    while True:
        try:
            with open(path) as f:
                stats = {}
                for line in f:
                    m = re.match(r'^odbcpool_(\w+)\{dsn="([^"]*)"\} (\d+)$',
                                 line)
                    if m:
                        stats[m.group(1)] = stats.get(m.group(1), 0) + \
                            int(m.group(3))
        except FileNotFoundError:
            pass
        if stats.get("borrows_total", 0) >= min_borrows or \
                time.monotonic() >= deadline:
            return path, stats
        time.sleep(0.1)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("sqlite", "pg"):
        sys.exit("usage: %s sqlite|pg DIRECT_DSN POOLED_DSN STATS_PATTERN"
                 % PROG)
    db, direct_dsn, pooled_dsn, stats_pattern = sys.argv[1:]
    loops = int(os.environ.get("CLIENT_LOOPS", "30"))
    max_connects = int(os.environ.get("CLIENT_MAX_CONNECTS", "1"))

    # The catalog table, made through the direct DSN.
    cn = pyodbc.connect("DSN=" + direct_dsn, autocommit=True)
    cn.execute("DROP TABLE IF EXISTS cl_pyodbc")
    cn.execute("CREATE TABLE cl_pyodbc (id INTEGER PRIMARY KEY, "
               "name VARCHAR(40) NOT NULL, born DATE, amount DECIMAL(10,2))")
    cn.execute("INSERT INTO cl_pyodbc VALUES (1, ?, '2001-02-03', 12.5), "
               "(2, 'Otto', NULL, NULL)", UNI)
    cn.close()

    start = time.monotonic()
    direct = Client(db, direct_dsn, False)
    direct.run(loops)
    t_direct = time.monotonic() - start
    start = time.monotonic()
    pooled = Client(db, pooled_dsn, True)
    pooled.run(loops)
    t_pooled = time.monotonic() - start

    # Erasure must hold, direct and pooled alike.
    for c in (direct, pooled):
        v = c.values
        if v.get("erasure.b.temp_objects") != 0:
            c.fail("temp objects in request B", 0,
                   v.get("erasure.b.temp_objects"))
        if v.get("erasure.b.row") != 0:
            c.fail("uncommitted row of request A in request B", 0,
                   v.get("erasure.b.row"))
        if v.get("erasure.b.probe", ("",))[0] == "no error":
            c.fail("temp table of request A in request B", "an error",
                   "it is readable")
        if any(t != 0 for t, _ in v.get("loop", [])):
            c.fail("temp objects at the start of a request", 0,
                   v.get("loop"))

    if os.environ.get("CLIENT_VERBOSE"):
        for key in sorted(direct.values):
            print("%s: %s = %r" % (PROG, key, direct.values[key]))

    failures = direct.failures + pooled.failures
    for key in sorted(set(direct.values) | set(pooled.values)):
        d = direct.values.get(key, "(missing)")
        p = pooled.values.get(key, "(missing)")
        if d != p:
            failures.append("%s: MISMATCH %s\n  direct: %r\n  pooled: %r"
                            % (PROG, key, d, p))

    # Reuse: every pooled request borrowed; few physical connects.
    path, st = read_stats(stats_pattern, pooled.requests)
    borrows = st.get("borrows_total")
    connects = st.get("connects_total")
    if borrows is None or borrows < pooled.requests:
        failures.append("%s: stats %s: borrows_total: expected >= %d, got %s"
                        % (PROG, path, pooled.requests, borrows))
    if connects is None or not 1 <= connects <= max_connects:
        failures.append("%s: stats %s: connects_total: expected 1..%d, "
                        "got %s" % (PROG, path, max_connects, connects))
    if st.get("reset_failures_total", 0) != 0:
        failures.append("%s: stats %s: reset_failures_total: expected 0, "
                        "got %s" % (PROG, path, st["reset_failures_total"]))
    if db == "pg" and len(set(pooled.pids)) != 1:
        failures.append("%s: pooled requests ran on %d backends (pids %s), "
                        "expected 1" % (PROG, len(set(pooled.pids)),
                                        sorted(set(pooled.pids))))

    # A tight sequential connect loop on one thread reuses its connection
    # (reset_wait): with max_connections > 1 the pool could open a new one
    # while the last is still being erased; it must not, beyond one more.
    seq_cfg = os.environ.get("CLIENT_SEQ_CONFIG")
    if seq_cfg:
        seq_n = int(os.environ.get("CLIENT_SEQ_REQUESTS", "200"))
        for i in range(seq_n):
            cn = pyodbc.connect("DSN=%s;PoolConfig=%s" % (pooled_dsn, seq_cfg),
                                autocommit=True)
            cn.execute("SELECT 1").fetchone()
            cn.close()
        spath, sst = read_stats(os.environ["CLIENT_SEQ_STATS"], seq_n,
                                wait=5.0)
        sconn = sst.get("connects_total")
        if sst.get("borrows_total", 0) < seq_n:
            failures.append("%s: sequential loop: stats %s: borrows_total: "
                            "expected >= %d, got %s"
                            % (PROG, spath, seq_n, sst.get("borrows_total")))
        if sconn is None or not 1 <= sconn <= 2:
            failures.append("%s: sequential loop of %d requests on one "
                            "thread: stats %s: connects_total: expected "
                            "1..2, got %s" % (PROG, seq_n, spath, sconn))
        # On SQLite a borrower that ran only SELECT 1 needs no database
        # reset (the light reset); on PostgreSQL every statement counts.
        light = sst.get("resets_light_total", 0)
        if db == "sqlite" and light < seq_n // 2:
            failures.append("%s: sequential loop: resets_light_total: "
                            "expected >= %d on SQLite, got %s"
                            % (PROG, seq_n // 2, light))
        if db == "pg" and light != 0:
            failures.append("%s: sequential loop: resets_light_total: "
                            "expected 0 on PostgreSQL, got %s" % (PROG, light))
        print("%s %s: sequential loop: %d requests, connects_total=%s, "
              "borrows_total=%s, resets_light_total=%s"
              % (PROG, db, seq_n, sconn, sst.get("borrows_total"), light))

    # The catalog table goes.
    cn = pyodbc.connect("DSN=" + direct_dsn, autocommit=True)
    cn.execute("DROP TABLE cl_pyodbc")
    cn.close()

    print("%s %s: %d values compared; direct %d requests in %.2f s, pooled "
          "%d requests in %.2f s; stats: borrows_total=%s connects_total=%s%s"
          % (PROG, db, len(direct.values), direct.requests, t_direct,
             pooled.requests, t_pooled, borrows, connects,
             "; backend pids %s" % sorted(set(pooled.pids))
             if db == "pg" else ""))
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
