<?php
// client_php.php — an unchanged PHP program (the odbc extension), run once
// against the direct DSN and once against the odbcpool DSN in front of it:
// the values it collects must be equal, and through the pool the physical
// connection must be reused (stats_file) and erased between requests.
//
// Usage: php client_php.php DB DIRECT_DSN POOLED_DSN STATS_PATTERN
//   DB             sqlite or pg
//   STATS_PATTERN  the pool's stats_file, %p standing for the process id
// Environment: CLIENT_LOOPS (connect/disconnect requests, default 30),
//   CLIENT_MAX_CONNECTS (most physical connects allowed, default 1),
//   CLIENT_VERBOSE=1 (print every value collected).
// Run by drivers-test/clients.sh. PHP's odbc extension calls the ANSI
// functions (odbc_connect with a bare DSN name: SQLConnect); text goes in
// and out as UTF-8 bytes.

const PROG = 'client_php';
const DATUM = ['Erika Mustermann', '1964-08-12'];
const UNI = "Zo\u{eb} M\u{fc}ller \u{5317}\u{4eac} \u{1F600}";
// sqlite3odbc 0.9998 mangles characters outside the BMP in SQL text
// (direct as well; see client_pyodbc.py): its literal leaves the emoji out.
const UNI_BMP = "Zo\u{eb} M\u{fc}ller \u{5317}\u{4eac}";
const TABLE = 'cl_php';

error_reporting(E_ALL);
// PHP reports SQL_SUCCESS_WITH_INFO and errors as warnings: they are
// collected (and compared, direct with pooled); other errors end the run.
$WARNINGS = [];
set_error_handler(function ($no, $str, $file, $line) {
    global $WARNINGS;
    if (!(error_reporting() & $no)) {
        return false; // silenced with @: the caller looks at odbc_error()
    }
    if ($no === E_WARNING && str_starts_with($str, 'odbc_')) {
        $WARNINGS[] = str_replace('[unixODBC]', '', $str);
        return true;
    }
    throw new ErrorException($str, 0, $no, $file, $line);
});

if ($argc != 5 || !in_array($argv[1], ['sqlite', 'pg'], true)) {
    fwrite(STDERR, "usage: " . PROG . " sqlite|pg DIRECT_DSN POOLED_DSN STATS_PATTERN\n");
    exit(2);
}
[, $DB, $DIRECT, $POOLED, $STATS] = $argv;
$PG = $DB === 'pg';
$LOOPS = (int) (getenv('CLIENT_LOOPS') ?: 30);
$MAX_CONNECTS = (int) (getenv('CLIENT_MAX_CONNECTS') ?: 1);
// PHP's odbc extension binds sqlite3odbc's TEXT columns (and LONGVARCHAR,
// CLOB, ...) as short ones, with a 65537-byte buffer, and then takes the
// driver's full length indicator as the string length: past 64 KiB it
// reads beyond its buffer (garbage; direct as well). So SQLite's long
// text is 60,000 bytes; PostgreSQL's is 140,000 bytes.
$LONG_TEXT = '';
for ($i = 0; $i < ($PG ? 5000 : 2000); $i++) {
    $LONG_TEXT .= sprintf("line %05d Zo\u{eb} \u{5317}\u{4eac} \u{1F600}\n", $i);
}
// The same for a blob: PHP binds it with a 256-byte buffer and reads as
// far as the length indicator says. SQLite's blob is 100 bytes (which PHP
// gets as X'hex', 203 characters).
$LONG_BLOB = '';
for ($i = 0; $i < ($PG ? 100 * 1024 : 100); $i++) {
    $LONG_BLOB .= chr($i * 7 % 256);
}

// ------------------------------------------------------------- helpers

// A printable, comparable form; long strings as length + digest.
function ser($v): string
{
    if ($v === null) {
        return 'NULL';
    }
    if ($v === false) {
        return 'false';
    }
    if ($v === true) {
        return 'true';
    }
    if (is_array($v)) {
        return '[' . implode(', ', array_map('ser', $v)) . ']';
    }
    $v = (string) $v;
    if (strlen($v) > 200) {
        return sprintf('bytes[%d]:%s', strlen($v), substr(hash('sha256', $v), 0, 16));
    }
    return "'" . addcslashes($v, "\\'\n") . "'";
}

// The message without the driver manager's prefix.
function strip_dm(string $m): string
{
    return str_replace('[unixODBC]', '', $m);
}

// All rows of a result, each as a list of values (odbc_fetch_into).
function rows($r): array
{
    $out = [];
    $row = [];
    while (odbc_fetch_into($r, $row)) {
        $out[] = $row;
        $row = [];
    }
    return $out;
}

// Column descriptions: odbc_field_name/type/len/scale (SQLDescribeCol,
// SQLColAttribute).
function describe($r): array
{
    $d = [];
    for ($i = 1; $i <= odbc_num_fields($r); $i++) {
        $d[] = [odbc_field_name($r, $i), odbc_field_type($r, $i),
                odbc_field_len($r, $i), odbc_field_scale($r, $i)];
    }
    return $d;
}

// The pool's counters for this process, once they count $min borrows (the
// file is written at most once a second).
function read_stats(string $pattern, int $min): array
{
    $path = str_replace('%p', (string) getmypid(), $pattern);
    $deadline = microtime(true) + 3;
    while (true) {
        $st = [];
        clearstatcache();
        $text = @file_get_contents($path);
        if ($text !== false) {
            foreach (explode("\n", $text) as $line) {
                if (preg_match('/^odbcpool_(\w+)\{dsn="([^"]*)"\} (\d+)$/', $line, $m)) {
                    $st[$m[1]] = ($st[$m[1]] ?? 0) + (int) $m[3];
                }
            }
        }
        if (($st['borrows_total'] ?? 0) >= $min || microtime(true) >= $deadline) {
            return [$path, $st];
        }
        usleep(100000);
    }
}

// ------------------------------------------------------------- the checks

class Client
{
    public array $values = [];
    public array $pids = [];
    public array $failures = [];
    public int $requests = 0;
    public array $loopTemp = [];

    public function __construct(public string $dsn, public bool $pooled,
                                public bool $pg)
    {
    }

    public function put(string $k, $v): void
    {
        $this->values[$k] = ser($v);
    }

    public function fail(string $what, $exp, $got): void
    {
        $this->failures[] = PROG . " [{$this->dsn}]: $what: expected $exp, got $got";
    }

    public function open()
    {
        $this->requests++;
        $c = odbc_connect($this->dsn, '', '');
        if ($this->pg) {
            $this->pids[] = $this->one($c, 'SELECT pg_backend_pid()');
        }
        return $c;
    }

    // Runs $sql with parameters; the result, or an exception naming the
    // SQLSTATE and message.
    public function exec($c, string $sql, array $params = [])
    {
        $r = $params ? @odbc_prepare($c, $sql) : @odbc_exec($c, $sql);
        if ($r !== false && $params && !@odbc_execute($r, $params)) {
            $r = false;
        }
        if ($r === false) {
            throw new RuntimeException(sprintf('%s: [%s] %s', $sql,
                odbc_error($c), odbc_errormsg($c)));
        }
        return $r;
    }

    public function one($c, string $sql, array $params = [])
    {
        $r = $this->exec($c, $sql, $params);
        odbc_fetch_row($r);
        $v = odbc_result($r, 1);
        odbc_free_result($r);
        return $v;
    }

    // [SQLSTATE, message] of a statement that must fail.
    public function errorOf($c, string $sql): array
    {
        if (@odbc_exec($c, $sql) !== false) {
            return ['no error', ''];
        }
        return [odbc_error($c), strip_dm(odbc_errormsg($c))];
    }

    public function tempObjects($c)
    {
        return $this->one($c, $this->pg
            ? 'SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()'
            : 'SELECT count(*) FROM sqlite_temp_master');
    }

    public function suite(): void
    {
        global $LONG_TEXT, $LONG_BLOB;
        $pg = $this->pg;
        $c = $this->open();
        $this->put('suite.temp_objects_at_start', $this->tempObjects($c));

        // Integers, decimals, dates and times, Unicode, NULL as literals.
        // sqlite3odbc describes an integer expression as INTEGER(10):
        // PHP binds an 11-byte buffer, so 9223372036854775807 comes back
        // cut, with whatever followed in memory (direct as well): SQLite's
        // literal leaves it out (the BIGINT column below has it).
        if ($pg) {
            $sql = "SELECT 42 AS i, -2147483648 AS imin, 9223372036854775807 AS big, "
                . "CAST(12345.6789 AS NUMERIC(12,4)) AS dec, "
                . "CAST(-0.5 AS NUMERIC(3,1)) AS neg, 2.5E0 AS dbl, "
                . "DATE '2024-02-29' AS dt, TIME '13:45:30' AS tm, "
                . "TIMESTAMP '2024-02-29 13:45:30.123' AS ts, '" . UNI . "' AS uni, "
                . "CAST(NULL AS INTEGER) AS nul, length('" . UNI . "') AS unilen";
        } else {
            $sql = "SELECT 42 AS i, -2147483648 AS imin, "
                . "12345.6789 AS dec, -0.5 AS neg, 2.5E0 AS dbl, "
                . "date('2024-02-29') AS dt, time('13:45:30') AS tm, "
                . "strftime('%Y-%m-%d %H:%M:%f', '2024-02-29 13:45:30.123') AS ts, "
                . "'" . UNI_BMP . "' AS uni, NULL AS nul, length('" . UNI_BMP . "') AS unilen";
        }
        $r = $this->exec($c, $sql);
        $this->put('literal.describe', describe($r));
        $row = odbc_fetch_array($r);
        foreach ($row as $k => $v) {
            $this->put("literal.$k", $v);
        }
        odbc_free_result($r);

        // A table of every type, filled through bound parameters.
        $this->exec($c, "CREATE TEMP TABLE work (id INTEGER PRIMARY KEY, i INTEGER, "
            . "b BIGINT, d DECIMAL(12,4), dt DATE, tm TIME, ts TIMESTAMP, "
            . "txt VARCHAR(200), lt TEXT, bl " . ($pg ? 'BYTEA' : 'BLOB') . ")");
        $ins = "INSERT INTO work (id, i, b, d, dt, tm, ts, txt, lt, bl) "
            . "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        if ($pg) {
            $r = $this->exec($c, $ins, [1, 42, '9223372036854775807', '12345.6789',
                '2024-02-29', '13:45:30', '2024-02-29 13:45:30.123', UNI,
                $LONG_TEXT, $LONG_BLOB]);
        } else {
            // odbc_execute binds every parameter as SQL_C_CHAR unless
            // SQLDescribeParam says binary, which sqlite3odbc never does:
            // a blob parameter arrives as empty text (direct as well). The
            // blob goes in as a hex literal.
            $r = $this->exec($c, str_replace('?)', "X'" . bin2hex($LONG_BLOB) . "')", $ins),
                [1, 42, '9223372036854775807', '12345.6789', '2024-02-29', '13:45:30',
                 '2024-02-29 13:45:30.123', UNI, $LONG_TEXT]);
        }
        $this->put('param.rows', odbc_num_rows($r));
        $this->exec($c, $ins, [2, null, null, null, null, null, null, null, null, null]);
        // One prepared insert, executed 50 times.
        $st = odbc_prepare($c, "INSERT INTO work (id, i, txt) VALUES (?, ?, ?)");
        for ($i = 3; $i <= 52; $i++) {
            if (!@odbc_execute($st, [$i, $i * 3, "row $i " . UNI])) {
                throw new RuntimeException("insert row $i: [" . odbc_error($c)
                    . '] ' . odbc_errormsg($c));
            }
        }
        odbc_free_result($st);

        // Back again; long data: odbc_longreadlen (one SQLGetData into a
        // buffer of that size), binmode return for the blob.
        $r = $this->exec($c, "SELECT id, i, b, d, dt, tm, ts, txt, lt, bl FROM work "
            . "WHERE id <= ? ORDER BY id", [2]);
        odbc_longreadlen($r, 300000);
        odbc_binmode($r, ODBC_BINMODE_RETURN);
        $this->put('select.describe', describe($r));
        $got = [];
        while ($row = odbc_fetch_array($r)) {
            foreach ($row as $k => $v) {
                $this->put("select.{$row['id']}.$k", $v);
            }
            $got[] = $row;
        }
        odbc_free_result($r);
        if (($got[0]['lt'] ?? null) !== $LONG_TEXT) {
            $this->fail('100 KB text round trip', ser($LONG_TEXT), ser($got[0]['lt'] ?? null));
        }
        // sqlite3odbc hands PHP a blob as text, X'hex' (PHP asks for
        // SQL_C_CHAR: the column type it reads is not a binary one).
        $blob = $pg ? $LONG_BLOB : "X'" . strtoupper(bin2hex($LONG_BLOB)) . "'";
        if (($got[0]['bl'] ?? null) !== $blob) {
            $this->fail('100 KB blob round trip', ser($blob), ser($got[0]['bl'] ?? null));
        }
        if (($got[0]['txt'] ?? null) !== UNI) {
            $this->fail('Unicode parameter round trip', ser(UNI), ser($got[0]['txt'] ?? null));
        }

        // The same long columns in pieces: odbc_longreadlen 0 passes long
        // data through, one SQLGetData piece of 4 KiB at a time (captured
        // here). With sqlite3odbc PHP does not see the columns as long
        // ones (above) and prints nothing.
        if ($pg) {
            $r = $this->exec($c, "SELECT lt, bl FROM work WHERE id = 1");
            odbc_longreadlen($r, 0);
            odbc_binmode($r, ODBC_BINMODE_PASSTHRU);
            odbc_fetch_row($r);
            $pieces = [];
            foreach ([1 => $LONG_TEXT, 2 => $LONG_BLOB] as $col => $want) {
                ob_start();
                odbc_result($r, $col);
                $all = ob_get_clean();
                $pieces[] = ser($all);
                if ($all !== $want) {
                    $this->fail("passthru of column $col", ser($want), ser($all));
                }
            }
            odbc_free_result($r);
            $this->put('passthru', $pieces);
        }

        // Bound parameters in a WHERE clause, and echoed back.
        $r = $this->exec($c, "SELECT txt FROM work WHERE id = ? AND i = ?", [7, 21]);
        $this->put('param.where', rows($r));
        $r = $this->exec($c, "SELECT ? AS a, ? AS b", [UNI, 12]);
        $this->put('param.echo', rows($r));

        // Rows: odbc_fetch_into in a loop, then by number (odbc_fetch_row
        // with a row number: SQLExtendedFetch, absolute).
        $r = $this->exec($c, "SELECT id, i, txt FROM work WHERE id >= 3 ORDER BY id");
        $this->put('fetch.rows', rows($r));
        odbc_free_result($r);
        $r = $this->exec($c, "SELECT id, i, txt FROM work WHERE id >= 3 ORDER BY id");
        $byNumber = [];
        foreach ([5, 2, 50, 51] as $n) {
            $byNumber[] = odbc_fetch_row($r, $n) ? odbc_result($r, 'id') : 'none';
        }
        $this->put('fetch.by_number', $byNumber);
        odbc_free_result($r);

        // Catalog functions: SQLTables, SQLColumns (standard columns only;
        // psqlODBC appends the table OID).
        $r = odbc_tables($c, null, null, TABLE, 'TABLE');
        $this->put('tables', array_map(fn($x) => array_slice($x, 0, 4), rows($r)));
        $r = odbc_columns($c, null, null, TABLE);
        $this->put('columns', array_map(fn($x) => array_slice($x, 0, 18), rows($r)));
        $r = $this->exec($c, "SELECT * FROM " . TABLE . " ORDER BY id");
        $this->put('catalog_table.describe', describe($r));
        $this->put('catalog_table.rows', rows($r));

        // Multiple result sets.
        if ($pg) {
            $r = $this->exec($c, "SELECT 1 AS a; SELECT 'zwei' AS b, 2 AS c; "
                . "SELECT id FROM work WHERE id IN (3, 4) ORDER BY id");
            $sets = [];
            do {
                $sets[] = [describe($r), rows($r)];
            } while (odbc_next_result($r));
            $this->put('multiple_results', $sets);
        } else {
            echo PROG . " [{$this->dsn}]: multiple result sets: skipped: sqlite3odbc "
                . "runs one statement per SQLExecDirect ('only one SQL statement "
                . "allowed'); that error is compared instead\n";
            $this->put('multiple_results', $this->errorOf($c, "SELECT 1 AS a; SELECT 2 AS b"));
        }

        // Commit and rollback.
        odbc_autocommit($c, false);
        $this->exec($c, "INSERT INTO work (id, txt) VALUES (100, 'rolled back')");
        odbc_rollback($c);
        $this->exec($c, "INSERT INTO work (id, txt) VALUES (101, 'committed')");
        odbc_commit($c);
        odbc_autocommit($c, true);
        $r = $this->exec($c, "SELECT id, txt FROM work WHERE id >= 100 ORDER BY id");
        $this->put('transactions', rows($r));

        // Errors pass through: SQLSTATE and text.
        $this->put('error.nosuch', $this->errorOf($c, "SELECT * FROM nosuch"));
        $this->put('error.syntax', $this->errorOf($c, "SELEC 1"));
        // The temp table "work" stays behind on purpose.
        odbc_close($c);
    }

    public function loop(int $n): void
    {
        $seen = [];
        for ($k = 0; $k < $n; $k++) {
            $c = $this->open();
            $seen[] = [$this->tempObjects($c), $this->one($c, 'SELECT ?', [$k])];
            odbc_close($c);
        }
        $this->put('loop', $seen);
        $this->loopTemp = array_column($seen, 0);
    }

    // Request A leaves a personal datum in a temp table and an uncommitted
    // row; request B must see neither.
    public function erasure(): void
    {
        $c = $this->open();
        $pidA = end($this->pids);
        $this->exec($c, "CREATE TEMP TABLE gdpr_probe (name VARCHAR(40), born DATE)");
        $this->exec($c, "INSERT INTO gdpr_probe VALUES (?, ?)", DATUM);
        $this->put('erasure.a.visible', rows($this->exec($c,
            "SELECT name, born FROM gdpr_probe")));
        odbc_autocommit($c, false);
        $this->exec($c, "INSERT INTO " . TABLE . " (id, name, born) VALUES (99, ?, ?)", DATUM);
        $this->put('erasure.a.uncommitted', $this->one($c,
            "SELECT count(*) FROM " . TABLE . " WHERE id = 99"));
        odbc_close($c);

        $c = $this->open();
        if ($this->pooled && $this->pg && end($this->pids) != $pidA) {
            $this->fail('request B on the backend of request A', $pidA, end($this->pids));
        }
        $temp = $this->tempObjects($c);
        $probe = $this->errorOf($c, "SELECT name, born FROM gdpr_probe");
        $row = $this->one($c, "SELECT count(*) FROM " . TABLE . " WHERE name = ?", [DATUM[0]]);
        odbc_close($c);
        $this->put('erasure.b.temp_objects', $temp);
        $this->put('erasure.b.probe', $probe);
        $this->put('erasure.b.row', $row);
        if ($temp != 0) {
            $this->fail('temp objects in request B', 0, $temp);
        }
        if ($row != 0) {
            $this->fail('uncommitted row of request A in request B', 0, $row);
        }
        if ($probe[0] === 'no error') {
            $this->fail('temp table of request A in request B', 'an error', 'it is readable');
        }
        if (array_filter($this->loopTemp, fn($t) => $t != 0)) {
            $this->fail('temp objects at the start of a request', 'all 0', ser($this->loopTemp));
        }
    }
}

// ------------------------------------------------------------- main

$c = odbc_connect($DIRECT, '', '');
odbc_exec($c, "DROP TABLE IF EXISTS " . TABLE);
odbc_exec($c, "CREATE TABLE " . TABLE . " (id INTEGER PRIMARY KEY, name VARCHAR(40) "
    . "NOT NULL, born DATE, amount DECIMAL(10,2))");
$r = odbc_prepare($c, "INSERT INTO " . TABLE . " VALUES (1, ?, '2001-02-03', 12.5), "
    . "(2, 'Otto', NULL, NULL)");
odbc_execute($r, [UNI]);
odbc_close($c);

$clients = [];
$time = [];
foreach ([false, true] as $pooled) {
    $cl = new Client($pooled ? $POOLED : $DIRECT, $pooled, $PG);
    $t0 = microtime(true);
    $WARNINGS = [];
    try {
        $cl->suite();
        $cl->loop($LOOPS);
        $cl->erasure();
    } catch (Throwable $e) {
        $cl->failures[] = PROG . " [{$cl->dsn}]: died: " . get_class($e) . ': '
            . $e->getMessage() . ' at line ' . $e->getLine();
    }
    $cl->put('php_warnings', $WARNINGS);
    $time[] = microtime(true) - $t0;
    $clients[] = $cl;
}
[$direct, $pooled] = $clients;

if (getenv('CLIENT_VERBOSE')) {
    ksort($direct->values);
    foreach ($direct->values as $k => $v) {
        echo PROG . ": $k = $v\n";
    }
}

$failures = array_merge($direct->failures, $pooled->failures);
$keys = array_unique(array_merge(array_keys($direct->values), array_keys($pooled->values)));
sort($keys);
foreach ($keys as $k) {
    $d = $direct->values[$k] ?? '(missing)';
    $p = $pooled->values[$k] ?? '(missing)';
    if ($d !== $p) {
        $failures[] = PROG . ": MISMATCH $k\n  direct: $d\n  pooled: $p";
    }
}

[$path, $st] = read_stats($STATS, $pooled->requests);
$borrows = $st['borrows_total'] ?? null;
$connects = $st['connects_total'] ?? null;
if ($borrows === null || $borrows < $pooled->requests) {
    $failures[] = sprintf('%s: stats %s: borrows_total: expected >= %d, got %s',
        PROG, $path, $pooled->requests, $borrows ?? 'none');
}
if ($connects === null || $connects < 1 || $connects > $MAX_CONNECTS) {
    $failures[] = sprintf('%s: stats %s: connects_total: expected 1..%d, got %s',
        PROG, $path, $MAX_CONNECTS, $connects ?? 'none');
}
if (($st['reset_failures_total'] ?? 0) != 0) {
    $failures[] = PROG . ": stats $path: reset_failures_total: expected 0, got "
        . $st['reset_failures_total'];
}
$pids = array_unique($pooled->pids);
sort($pids);
if ($PG && count($pids) != 1) {
    $failures[] = sprintf('%s: pooled requests ran on %d backends (pids %s), expected 1',
        PROG, count($pids), implode(' ', $pids));
}

$c = odbc_connect($DIRECT, '', '');
odbc_exec($c, "DROP TABLE " . TABLE);
odbc_close($c);

printf("%s %s: %d values compared; direct %d requests in %.2f s, pooled %d "
    . "requests in %.2f s; stats: borrows_total=%s connects_total=%s%s\n",
    PROG, $DB, count($direct->values), $direct->requests, $time[0],
    $pooled->requests, $time[1], $borrows ?? 'none', $connects ?? 'none',
    $PG ? '; backend pids ' . implode(' ', $pids) : '');
foreach ($failures as $f) {
    echo "FAIL: $f\n";
}
exit($failures ? 1 : 0);
