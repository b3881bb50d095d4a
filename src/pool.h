/* pool.h — pool sets, pools and physical connections (internal). */
#ifndef ODBCPOOL_POOL_H
#define ODBCPOOL_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "attrs.h"
#include "config.h"
#include "dbreset.h"
#include "error.h"
#include "odbcpool.h"
#include "pool_driver.h"

/* Each connection is in exactly one state, and each state is one list of
 * its pool (pool->lists[state]). */
enum conn_state {
  CONN_OPENING,   /* slot reserved, physical connect in progress */
  CONN_IDLE,      /* erased, ready to hand out */
  CONN_IN_USE,    /* borrowed (or being validated before hand-out) */
  CONN_RESETTING, /* returned; queued for or undergoing erasure */
  CONN_CLOSING,   /* being disconnected; its slot is still counted */
  CONN_NSTATES
};

struct conn_list {
  odbcpool_conn *head, *tail;
  unsigned n;
};

/* A statement or descriptor allocated through the pool. */
struct tracked_handle {
  SQLSMALLINT type;
  SQLHANDLE handle;
};

struct pool;

/* A validation handed to a reset worker by a borrower, who waits for it
 * until its deadline (on the borrower's stack). */
struct odbcpool__validation {
  pthread_cond_t cv;
  uint64_t deadline_ms; /* the borrower's */
  bool done, ok;
};

struct odbcpool_conn {
  odbcpool_conn *prev, *next; /* in pool->lists[state] */
  /* The settings it was opened under: its reset, validation, lifetime and
   * encryption stay those of that config after a reload. */
  const struct cfg_pool *cfg;
  odbcpool_conn *reset_next;  /* in set->reset queue while RESETTING */
  uint64_t returned_ms;       /* when it was queued for reset */
  enum conn_state state;
  struct pool *pool;
  uint64_t id;
  SQLHDBC hdbc;
  uint64_t created_ms;
  uint64_t expires_ms; /* 0: no max_lifetime */
  uint64_t idle_since_ms;
  uint64_t borrowed_ms;
  unsigned generation; /* set->generation when opened (fork detection) */
  bool orphan;         /* inherited across fork(): never touch hdbc */
  bool leak_reported;
  const char *refused_reason; /* set when the policy refused the open */
  bool tracked_attrs;         /* restore only attributes in attrs_touched */
  bool untracked_change;      /* an attribute outside the list was set: the
                                 reset cannot restore it, so it closes */
  unsigned attrs_touched;     /* bit i: attribute i may have changed */
  /* Attributes outside the list that a borrower set, with the value each
   * had before, read back from the driver. */
  struct {
    SQLINTEGER attr;
    SQLULEN value;
  } extra_attrs[8];
  int nextra_attrs;
  SQLHSTMT *reset_st; /* prepared reset statements (reset_prepare) */
  /* The reset plan, decided when the connection is opened: the built-in
   * reset of its DBMS (reset = auto; NULL if none), then the pool's
   * reset_script and reset_sql. Statement i of the plan is run as
   * reset_text[i] where that is not NULL: the text with the connection's
   * baseline expanded into it. */
  const struct odbcpool__builtin *builtin;
  const struct cfg_stmt *builtin_stmts; /* its nbuiltin statements */
  size_t nbuiltin;
  char **reset_text; /* nplan entries, or NULL */
  size_t nplan;
  /* Set when the connection must be closed on return instead of reset
   * and reused: a close reason (ODBCPOOL_CLOSE_x), with no_reuse_why
   * saying why in words; -1 when it may be reused. */
  int no_reuse;
  const char *no_reuse_why;
  uint64_t reset_started_ms; /* when a worker began its reset, or 0 */
  /* Through the driver, which sees the statements: false while no
   * statement of the borrower could have changed session state, so that
   * the database's reset may be skipped (odbcpool__conn_note_sql). */
  bool sql_dirty;
  bool reset_light; /* the last reset skipped the database's reset */
  bool abandoned;            /* given up by the watchdog during a reset,
                                or by a borrower during a validation: on
                                no list, the stuck worker frees it */
  /* Set while a reset worker validates the connection for a borrower
   * (queued, or running when validation_running). */
  struct odbcpool__validation *validation;
  bool validation_running;
  unsigned pre_failed; /* bit i: the driver refused pool->pre[i] when
                          the connection was opened */
  struct tracked_handle *handles;
  size_t nhandles, caphandles;
  struct odbcpool__attrs attrs;
  char purpose[64];
  char sqlstate[6];
  char errmsg[512];
};

/* A waiting borrower, on its own stack. Granted either a connection or
 * (state OPENING) a reserved slot to open one in. */
struct waiter {
  struct waiter *next;
  pthread_cond_t cv;
  odbcpool_conn *granted;
};

/* One pool: a target DSN with one set of credentials. Connections opened
 * with different credentials are never mixed. */
struct pool {
  struct pool *next;
  odbcpool_set *set;
  const struct cfg_pool *cfg;
  char *dsn;
  char *uid;   /* NULL: the DSN's own */
  char *extra; /* NULL: none */
  bool wide;
  SQLINTEGER odbc_version;    /* of the applications it serves */
  unsigned char verifier[32]; /* HMAC(set key, password), or zero */
  bool has_pwd;
  /* When the server last accepted the password (a real login), or 0:
   * after reauth_interval a borrower logs in again before the pool's
   * connections are used. */
  uint64_t verified_ms;
  struct odbcpool__preattr pre[ODBCPOOL_PREATTR_MAX]; /* of the key */
  int npre;
  struct dsn_stats *ds;    /* the DSN's counters and connection count */
  int reset_conn_support;  /* -1 unknown, 0 no, 1 yes */
  bool warned_no_reset;    /* logged that its DBMS has no built-in reset */
  unsigned nabandoned;     /* connections given up in a reset whose worker
                              has not come back: they keep the pool alive */
  unsigned nreset_waiters; /* borrowers waiting (reset_wait) for a reset */
  struct conn_list lists[CONN_NSTATES];
  struct waiter *wait_head, *wait_tail;
  unsigned nwaiting;
  odbcpool_stats *stats; /* counters of the DSN, shared by all its
                            pools; gauges are counted on read */
};

/* Counters per target DSN. They outlive the pools of the DSN, which are
 * freed when they have no connection left. */
struct dsn_stats {
  struct dsn_stats *next;
  char *dsn;
  odbcpool_stats c;
  unsigned nconns; /* connections of all its pools counted against
                      max_connections (every state) */
};

struct odbcpool_set {
  pthread_mutex_t lock;   /* guards everything below and all pools */
  pthread_cond_t work_cv; /* reset workers wait for the queue */
  pthread_cond_t hk_cv;   /* housekeeping sleeps on it */
  pthread_cond_t idle_cv; /* odbcpool_quiesce waits on it */
  struct cfg *cfg;  /* current settings (reload swaps it, lock held) */
  struct cfg *cfg0; /* the config the set was opened with: the settings
                       that apply only at start (reset_workers, [audit],
                       credentials) are read from it */
  struct cfg **retired; /* configs replaced by a reload, kept (connections
                           point into them) until the set closes */
  size_t nretired;
  pthread_mutex_t reload_lock; /* serialises reloads */
  struct stat cfg_st;          /* the file as last loaded or refused */
  uint64_t cfg_checked_ms;
  struct pool *pools;
  struct dsn_stats *dsns;
  /* One environment per ODBC version applications asked for (2, 3 and
   * 3.80): the version changes what drivers return (catalog columns,
   * date type codes), so a pool's target must be opened in its
   * application's version. */
  SQLHENV henv[3];
  pthread_mutex_t env_lock; /* guards the lazy allocation of henv */
  odbcpool_conn *reset_head, *reset_tail;
  unsigned resets_running;
  unsigned nworkers; /* started; grows up to maxworkers */
  unsigned nstuck;   /* workers in a reset the watchdog gave up */
  unsigned maxworkers;
  pthread_t *workers;         /* maxworkers entries */
  uint64_t all_busy_since_ms; /* when every worker became busy, or 0 */
  pthread_t housekeeper;
  bool threads_started;
  bool closing;
  pid_t pid;              /* process that owns the threads */
  unsigned generation;    /* bumped in a forked child */
  unsigned char key[32];  /* per-process key for password verifiers */
  odbcpool_set *reg_next; /* registry of live sets (fork handlers) */
  bool stats_error_logged;
  struct odbcpool__audit *audit; /* NULL: no [audit] section */
  /* Decrypted credentials of each DSN section that has them, indexed
   * like cfg->pools (NULL where there are none). */
  struct odbcpool__cred **creds;
  uint64_t stats_written_ms;
  uint64_t stats_pruned_ms; /* when dead processes' stats files were last
                               removed, or 0 */
  uint64_t stats_seq;         /* snapshots taken (set lock) */
  uint64_t stats_seq_written; /* newest written (stats.c's write lock) */
};

/* --- conn.c --------------------------------------------------------- */

/* Opens the physical connection of `c` (state OPENING, slot reserved).
 * `pwd` may be NULL; it is wiped from every buffer this call made. Called
 * without the set lock. On error fills err and returns a code. */
int odbcpool__conn_open(odbcpool_conn *c, const char *pwd,
                        SQLUINTEGER login_timeout, odbcpool_error *err,
                        struct odbcpool__diag *diag);
/* Disconnects and frees the handle of `c` (not the struct). Called
 * without the set lock. Orphans are left untouched. */
void odbcpool__conn_disconnect(odbcpool_conn *c);
/* Frees the struct and its tracking array. */
void odbcpool__conn_free(odbcpool_conn *c);
/* True if SQL text `sql` run on `c` cannot change session state: on
 * SQLite only, a single SELECT that names no pragma and calls no
 * load_extension (doc/RESET.md gives the argument). */
bool odbcpool__sql_cannot_touch_session(const odbcpool_conn *c,
                                        const char *sql, size_t len);
/* Sets the per-connection error text. */
void odbcpool__conn_seterr(odbcpool_conn *c, const odbcpool_error *err);
/* Checks an idle connection before hand-out: SQL_ATTR_CONNECTION_DEAD
 * always, the validation query after validation_idle, with the seconds
 * left to `deadline_ms` (0: none) as its query timeout. Returns true if
 * it may be handed out. Called without the set lock. */
bool odbcpool__conn_validate(odbcpool_conn *c, uint64_t now_ms,
                             uint64_t deadline_ms);
/* Whether validating `c` now runs the validation query (a round trip
 * that may hang). */
bool odbcpool__conn_validation_queries(const odbcpool_conn *c, uint64_t now_ms);

/* --- reset.c -------------------------------------------------------- */

/* Erases everything the last borrower left on `c`, in the order doc/ARCHITECTURE.md gives.
 * Returns OK, or an error (with detail in err) after which the
 * connection must be closed, never pooled. Called without the set lock. */
int odbcpool__reset(odbcpool_conn *c, odbcpool_error *err);
/* Decides the reset plan of freshly opened `c` (its DBMS, from
 * SQL_DBMS_NAME), records its baseline and expands the plan's statements
 * with it. Never fails the open: a connection whose baseline cannot be
 * taken, or that has no reset to run under reset = auto, is marked to be
 * closed on return (c->no_reuse). Called without the set lock. */
void odbcpool__reset_plan(odbcpool_conn *c);
/* Frees what odbcpool__reset_plan made. */
void odbcpool__reset_plan_free(odbcpool_conn *c);
/* Runs `sql` on a fresh statement of `hdbc`, draining every result.
 * With `gexec`, executes each value of each row as a statement. With
 * `expect_no_rows`, a row is an error. Returns OK or EODBC. */
int odbcpool__exec(SQLHDBC hdbc, const char *sql, bool gexec,
                   bool expect_no_rows, odbcpool_error *err);
/* odbcpool__exec with a query timeout of `timeout_s` seconds (0: none)
 * on the statement; no \gexec. */
int odbcpool__exec_timeout(SQLHDBC hdbc, const char *sql, SQLULEN timeout_s,
                           odbcpool_error *err);

/* --- pool.c --------------------------------------------------------- */

/* Moves `c` to list `state` of its pool. Called with set->lock held. */
void odbcpool__conn_move(odbcpool_conn *c, enum conn_state state);
/* Hands idle connections and free slots to waiting borrowers, oldest
 * first. Called with set->lock held. */
void odbcpool__pool_dispatch(struct pool *p);
/* Number of connections of `p`, in every state. */
unsigned odbcpool__pool_total(const struct pool *p);
/* Whether the DSN of `p` may open one more connection: max_connections
 * bounds the connections of all pools of a DSN together (every user,
 * keyword set and ANSI/W mode). Lock held. */
bool odbcpool__dsn_room(const struct pool *p);
/* Closes one idle connection of another pool of p's DSN (the least
 * recently used) so that a borrower of `p` can open one. Returns true if
 * it closed one (the lock was released meanwhile). Lock held. */
bool odbcpool__give_way(struct pool *p);
/* Closes `c` for `reason`: the caller holds set->lock, which is released
 * during the disconnect and taken again before returning. */
void odbcpool__close_locked(odbcpool_conn *c, int reason);
/* Finds or creates the pool for `key`; the password itself is not kept,
 * only its verifier. NULL is ENOMEM. Lock held. */
struct pool *odbcpool__pool_get(odbcpool_set *s,
                                const struct odbcpool__key *key);
/* Frees `p` if it has no connection, no waiter, and is not a pool the
 * housekeeper must keep filled (min_idle). Returns true if it did. Lock
 * held; nobody may hold `p` without one of its connections. */
bool odbcpool__pool_prune(struct pool *p);
/* Gives back the slot of a connection (state OPENING) whose connect
 * failed, and frees it. Lock held. */
void odbcpool__open_failed(odbcpool_conn *c);
/* Allocates a connection struct in state OPENING. Lock held. */
odbcpool_conn *odbcpool__conn_new(struct pool *p);

/* --- pool_borrow.c ------------------------------------------------- */

/* Declared elsewhere: odbcpool__borrow in pool_driver.h (the driver calls
 * it), odbcpool_borrow and odbcpool_return in odbcpool.h. */

/* --- pool_fork.c ---------------------------------------------------- */

/* In a forked child, abandons the parent's connections without sending
 * anything on them and restarts the threads. Lock held. */
void odbcpool__fork_check(odbcpool_set *s);
/* The registry of live sets that the fork handlers lock. */
void odbcpool__registry_add(odbcpool_set *s);
void odbcpool__registry_remove(odbcpool_set *s);

/* --- pool_workers.c ------------------------------------------------- */

/* Starts one more reset worker if every worker has been busy for 500 ms
 * while returns wait, up to maxworkers. Lock held. */
void odbcpool__workers_grow(odbcpool_set *s, uint64_t now);
/* Starts the reset workers and the housekeeper. Called with the lock
 * held, by open and in a forked child. */
int odbcpool__threads_start(odbcpool_set *s, odbcpool_error *err);
/* Starts a worker if stuck ones leave fewer than reset_workers able to
 * work. Lock held. */
void odbcpool__workers_replace(odbcpool_set *s);
/* Reset worker thread body. */
void *odbcpool__reset_worker(void *arg);

/* --- audit ---------------------------------------------------------- */

/* Writes an audit record for an event of pool `p` (and connection `c`,
 * may be NULL). `reason` is a fixed word or NULL; durations in ms or -1.
 * Safe with or without the set lock held; never calls into the pool. */
void odbcpool__audit_ev(struct pool *p, int event, const odbcpool_conn *c,
                        const char *reason, long duration_ms, long wait_ms);

/* The credentials the config holds for the pool's DSN, or NULL. */
const struct odbcpool__cred *odbcpool__pool_creds(const struct pool *p);

/* --- reload.c ------------------------------------------------------- */

/* At most once a second: if the config file changed since it was loaded,
 * reloads it (odbcpool_reload). Called by the housekeeper with the lock
 * held, which is released meanwhile. */
void odbcpool__reload_check(odbcpool_set *s, uint64_t now);
/* Records the file's identity at open, so that a later change is seen. */
void odbcpool__reload_init(odbcpool_set *s);

/* --- stats.c -------------------------------------------------------- */

/* Writes the stats_file, if configured. Called with the lock held, which
 * is released while the file is written. */
void odbcpool__stats_write(odbcpool_set *s);
/* Is file name `name` what stats_file pattern `pattern` (its file part)
 * names for a process, %p standing for its id? Sets *pid. */
bool odbcpool__stats_match(const char *pattern, const char *name,
                           long *pid);
/* Removes the stats files of `pattern` (a stats_file with %p) whose
 * process is gone: regular files of this user only, in a directory that
 * passes odbcpool__open_safe_dir. Returns 0 or an errno value; *pruned
 * counts the files removed. */
int odbcpool__stats_prune(const char *pattern, unsigned *pruned);

/* --- housekeeping.c ------------------------------------------------- */

/* Housekeeping thread body: idle_timeout, max_lifetime, min_idle, leak
 * reports. */
void *odbcpool__housekeeper(void *arg);
/* Gives up every connection of `p` whose reset has run for longer than
 * reset_timeout: it leaves the lists (its slot is freed), is counted and
 * audited as closed for reset_timeout, and a worker replaces the one stuck
 * in it. Lock held. */
void odbcpool__reset_watchdog(struct pool *p, uint64_t now);

#endif /* ODBCPOOL_POOL_H */
