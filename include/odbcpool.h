/* odbcpool.h — public API of libodbcpool, an erasing ODBC connection pool. */
#ifndef ODBCPOOL_H
#define ODBCPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <sql.h>
#include <sqlext.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. Append only: the numeric values are ABI. */
#define ODBCPOOL_ERRNO_MAP(XX)                                                 \
  XX(OK, "success")                                                            \
  XX(EINVAL, "invalid argument")                                               \
  XX(ENOMEM, "out of memory")                                                  \
  XX(ECONFIG, "invalid configuration")                                         \
  XX(EIO, "cannot read file")                                                  \
  XX(EDM, "cannot load the ODBC driver manager")                               \
  XX(ENODSN, "data source not configured")                                     \
  XX(ECONNECT, "cannot connect to the data source")                            \
  XX(ETIMEDOUT, "timed out waiting for a pooled connection")                   \
  XX(EODBC, "ODBC call failed")                                                \
  XX(ECLOSED, "pool set is closed")                                            \
  XX(ECREDENTIALS, "credentials do not match the pooled connection")           \
  XX(ETHREAD, "cannot start a pool thread")                                    \
  XX(ENOTFOUND, "no such pool")                                                \
  XX(EPOLICY, "connection refused by the encryption policy")                   \
  XX(EPURPOSE, "the purpose is not one the DSN may be used for")

typedef enum {
#define ODBCPOOL_XX_(name, msg) ODBCPOOL_##name,
  ODBCPOOL_ERRNO_MAP(ODBCPOOL_XX_)
#undef ODBCPOOL_XX_
      ODBCPOOL_ERRNO_MAX_
} odbcpool_errno;

/* Detail of a failed pool-wide call, owned by the caller (a pool set is
 * shared between threads, so it cannot hold "the last error"). */
typedef struct odbcpool_error {
  int code;           /* an odbcpool_errno value */
  char sqlstate[6];   /* "HYT00", "08001", ... or "" */
  long native;        /* the driver's native error, 0 if none */
  char message[1024]; /* human-readable, includes the driver's diagnostics */
} odbcpool_error;

/* A set of pools opened from one config file: one pool per target DSN. */
typedef struct odbcpool_set odbcpool_set;
/* A borrowed physical connection. */
typedef struct odbcpool_conn odbcpool_conn;

/* Credentials for a borrow. Any field may be NULL. The password is used
 * for the connect it came with; the pool keeps only a keyed verifier. */
typedef struct odbcpool_borrow_opts {
  const char *uid;
  const char *pwd;
  const char *purpose; /* free-text label for statistics and audit */
  long timeout_ms;     /* < 0: the pool's borrow_timeout */
} odbcpool_borrow_opts;

/* Reasons a physical connection was closed. Append only. */
#define ODBCPOOL_CLOSE_REASON_MAP(XX)                                          \
  XX(IDLE, "idle_timeout")                                                     \
  XX(LIFETIME, "max_lifetime")                                                 \
  XX(BROKEN, "broken")                                                         \
  XX(RESET_FAILED, "reset_failed")                                             \
  XX(SHUTDOWN, "shutdown")                                                     \
  XX(FORKED, "forked")                                                         \
  XX(NO_RESET, "no_reset")                                                     \
  XX(RESET_TIMEOUT, "reset_timeout")                                           \
  XX(REAUTH, "reauth")                                                         \
  XX(GAVE_WAY, "gave_way")                                                     \
  XX(VALIDATION_TIMEOUT, "validation_timeout")

typedef enum {
#define ODBCPOOL_XX_(name, msg) ODBCPOOL_CLOSE_##name,
  ODBCPOOL_CLOSE_REASON_MAP(ODBCPOOL_XX_)
#undef ODBCPOOL_XX_
      ODBCPOOL_CLOSE_MAX_
} odbcpool_close_reason;

/* A snapshot of one pool's statistics. */
typedef struct odbcpool_stats {
  /* gauges */
  unsigned open;      /* physical connections, all states */
  unsigned idle;      /* ready to hand out */
  unsigned in_use;    /* borrowed */
  unsigned resetting; /* returned, being erased */
  unsigned waiting;   /* borrowers waiting for a connection */
  /* counters since the pool was created */
  uint64_t borrows;  /* successful borrows */
  uint64_t timeouts; /* borrows that timed out */
  uint64_t connects; /* physical connects that succeeded */
  uint64_t connect_failures;
  uint64_t resets;         /* resets that succeeded */
  uint64_t reset_failures; /* resets that failed (connection closed) */
  uint64_t resets_light;   /* of resets: those that skipped the database's
                              reset, nothing the borrower ran could have
                              changed session state */
  uint64_t validations_failed;
  uint64_t leaks; /* borrows held past leak_threshold */
  uint64_t closes[ODBCPOOL_CLOSE_MAX_];
  uint64_t wait_us_total; /* time borrowers spent waiting */
  uint64_t wait_us_max;
  /* Borrows (successful or timed out) by the time they waited: bucket i
   * counts waits of at most ODBCPOOL_WAIT_BUCKETS_US[i] microseconds, the
   * last one the rest. */
  uint64_t wait_hist[8];
} odbcpool_stats;

/* Upper bounds (µs) of the wait_hist buckets; the last is unbounded. */
#define ODBCPOOL_WAIT_BUCKETS_US                                              \
  { 0, 100, 1000, 10000, 100000, 1000000, 10000000, UINT64_MAX }

/* Loads the set's config file again and applies what changed: pool limits
 * and timers (max_connections, borrow_timeout, idle_timeout, ...) at once,
 * the settings of a connection (its reset, validation, lifetime,
 * encryption) to connections opened from now on. Settings that apply only
 * at start (reset_workers, [audit], credentials) keep their values until
 * the process restarts; a change to one is logged. A file that fails
 * validation is refused (ECONFIG, file:line in err) and the settings in
 * force stay. The pools also reload on their own when the file changes,
 * checked at most once a second. Thread-safe. */
int odbcpool_reload(odbcpool_set *set, odbcpool_error *err);

/* Returns the message for an odbcpool_errno value, never NULL. */
const char *odbcpool_strerror(int code);
/* Returns the name ("idle_timeout", ...) of a close reason, never NULL. */
const char *odbcpool_close_reason_name(int reason);

/* Opens the pools described by the config file at `path` (NULL: the
 * environment variable ODBCPOOL_CONFIG, else /etc/odbcpool.ini). Starts the
 * reset and housekeeping threads. On error returns a code, fills `err` (may
 * be NULL) with file:line detail and sets *set to NULL. */
int odbcpool_open(const char *path, odbcpool_set **set /* OUT */,
                  odbcpool_error *err);

/* Closes every connection (idle ones at once, borrowed ones when they are
 * returned, which must happen before this call), stops the threads and
 * frees the set. NULL is a no-op. */
void odbcpool_close(odbcpool_set *set);

/* Borrows a connection to `dsn`. Waits up to the timeout (first come, first
 * served) when the DSN is at max_connections (counted over every user and
 * password). The handed-out connection has been erased by its previous
 * return, validated if it sat idle (within the timeout), and is never
 * shared. With a password (opts->pwd), a real login is made first when
 * the pool has not seen the password for the user or the server last
 * accepted it more than reauth_interval ago. An empty uid or pwd is the
 * same as NULL. Errors: ETIMEDOUT (sqlstate HYT00), ECONNECT (the
 * driver's sqlstate and message, e.g. a refused password), EPOLICY
 * (08004: require_encryption refused the connection), ENODSN, ECLOSED.
 * ECREDENTIALS is no longer returned (it was: the user has pooled
 * connections made with another password). */
int odbcpool_borrow(odbcpool_set *set, const char *dsn,
                    const odbcpool_borrow_opts *opts /* may be NULL */,
                    odbcpool_conn **conn /* OUT */, odbcpool_error *err);

/* The ODBC connection handle of a borrowed connection. Statements must be
 * allocated with odbcpool_stmt_alloc so that the return frees them. */
SQLHDBC odbcpool_hdbc(const odbcpool_conn *conn);

/* Process-unique id of the physical connection behind `conn`: two borrows
 * with the same id were served by the same physical connection. */
uint64_t odbcpool_conn_id(const odbcpool_conn *conn);

/* Allocates a statement (or descriptor) on the borrowed connection and
 * tracks it; the return frees whatever is still allocated. */
int odbcpool_stmt_alloc(odbcpool_conn *conn, SQLHSTMT *stmt /* OUT */);
int odbcpool_desc_alloc(odbcpool_conn *conn, SQLHDESC *desc /* OUT */);
/* Frees a tracked statement or descriptor before the return. */
int odbcpool_stmt_free(odbcpool_conn *conn, SQLHSTMT stmt);
int odbcpool_desc_free(odbcpool_conn *conn, SQLHDESC desc);

/* Last error on this borrowed connection: message and SQLSTATE. */
const char *odbcpool_errmsg(const odbcpool_conn *conn);
const char *odbcpool_sqlstate(const odbcpool_conn *conn);

/* Gives the connection back. Returns at once: the erasure (free statements,
 * roll back, restore attributes, reset script, verify) runs on a background
 * thread, and the connection is closed instead of pooled if any step fails.
 * `conn` must not be used afterwards. NULL is a no-op. */
void odbcpool_return(odbcpool_conn *conn);

/* Statistics of the pool for `dsn` (summed over the credentials it was
 * borrowed with). ENOTFOUND if no borrow for that DSN happened yet. */
int odbcpool_stats_get(odbcpool_set *set, const char *dsn,
                       odbcpool_stats *stats /* OUT */, odbcpool_error *err);

/* Waits until no connection of the set is being reset (for tests and for
 * orderly shutdown). Returns OK, or ETIMEDOUT after timeout_ms. */
int odbcpool_quiesce(odbcpool_set *set, long timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* ODBCPOOL_H */
