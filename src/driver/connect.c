/* connect.c — SQLConnect / SQLDriverConnect borrow from the pool,
 * SQLDisconnect returns to it. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <odbcinst.h>
#include <openssl/crypto.h>

#include "connstr.h"
#include "driver.h"
#include "util.h"

#ifndef ODBCPOOL_SYSCONFDIR
#define ODBCPOOL_SYSCONFDIR "/etc"
#endif

/* ------------------------------------------------- process-wide pools */

/* One pool set per config file, for the life of the process: the driver
 * manager unloads and reloads the module as connections come and go
 * (it is linked -z nodelete, so this survives), and the pooled
 * connections must outlive every driver environment. */
struct set_entry {
  struct set_entry *next;
  char *path;
  odbcpool_set *set;
};
static pthread_mutex_t sets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct set_entry *sets;

static void register_exit_hook(void);

/* At exit, the statistics of every pool set are written one last time,
 * if a stats_file is configured: nothing in the driver closes the pools,
 * because the driver manager may already be gone then. A set whose lock
 * another thread keeps for more than 200 ms is skipped, so that exit
 * cannot hang on a thread that will never run again. */
static void write_stats_at_exit(void) {
  for (struct set_entry *e = sets; e; e = e->next)
    (void)odbcpool__set_stats_at_exit(e->set, 200);
}

static void register_exit_hook(void) {
  atexit(write_stats_at_exit);
}

static int set_for(const char *path, odbcpool_set **out, odbcpool_error *err) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_exit_hook);
  pthread_mutex_lock(&sets_lock);
  for (struct set_entry *e = sets; e; e = e->next) {
    if (strcmp(e->path, path) == 0) {
      *out = e->set;
      pthread_mutex_unlock(&sets_lock);
      return ODBCPOOL_OK;
    }
  }
  /* A failed open is not remembered: the operator may fix the file. */
  odbcpool_set *set = NULL;
  int code = odbcpool_open(path, &set, err);
  struct set_entry *e = NULL;
  if (code == ODBCPOOL_OK) {
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->path = odbcpool__strdup(path)) == NULL) {
      free(e);
      odbcpool_close(set);
      code = odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
    } else {
      e->set = set;
      e->next = sets;
      sets = e;
      *out = set;
    }
  }
  pthread_mutex_unlock(&sets_lock);
  return code;
}

/* --------------------------------------------------------- requests */

/* What one connect asks for, from the connection string, the arguments
 * of SQLConnect and the odbcpool DSN's entry in odbc.ini. */
struct request {
  char dsn[SQL_MAX_DSN_LENGTH + 1];
  char target[SQL_MAX_DSN_LENGTH + 1];
  char config[1024];
  const char *uid;
  const char *pwd;
  const char *purpose;
  char purpose_buf[128];      /* the DSN's Purpose from odbc.ini */
  struct odbcpool__buf extra; /* keywords passed on to the target */
};

/* Keywords odbcpool consumes; every other one goes to the target.
 * "Password" is the name psqlODBC and MariaDB Connector/ODBC also accept
 * for PWD: taken as PWD, it is used for the connect and then wiped, and
 * only its verifier is kept, instead of staying, in plain text, in the
 * pool's key for the life of the pool. */
static bool own_keyword(const char *k) {
  static const char *const own[] = {
      "DSN", "DRIVER",  "TargetDSN", "PoolConfig", "UID",
      "PWD", "Purpose", "FILEDSN",   "SAVEFILE",   "Password"};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (strcasecmp(k, own[i]) == 0)
      return true;
  return false;
}

/* Fills target and config from the odbcpool DSN's odbc.ini entry where
 * the connection string did not give them. */
static void from_odbc_ini(struct request *rq) {
  if (rq->dsn[0] == '\0')
    return;
  if (rq->target[0] == '\0')
    SQLGetPrivateProfileString(rq->dsn, "TargetDSN", "", rq->target,
                               sizeof rq->target, "odbc.ini");
  if (rq->config[0] == '\0')
    SQLGetPrivateProfileString(rq->dsn, "PoolConfig", "", rq->config,
                               sizeof rq->config, "odbc.ini");
  /* The DSN's purpose, where the connection string names none. */
  if (rq->purpose == NULL) {
    SQLGetPrivateProfileString(rq->dsn, "Purpose", "", rq->purpose_buf,
                               sizeof rq->purpose_buf, "odbc.ini");
    if (rq->purpose_buf[0] != '\0')
      rq->purpose = rq->purpose_buf;
  }
}

static void default_config(struct request *rq) {
  if (rq->config[0] != '\0')
    return;
  const char *env = getenv("ODBCPOOL_CONFIG");
  snprintf(rq->config, sizeof rq->config, "%s",
           env && *env ? env : ODBCPOOL_SYSCONFDIR "/odbcpool.ini");
}

/* Guards against a TargetDSN that leads back into odbcpool: the nested
 * connect would wait on the very pool it is filling. */
static __thread int connect_depth;

/* Adds a warning record for attribute `attr`, set before connect, that
 * did not take effect: the target's own reason where it gave one. */
static void preattr_warning(struct drv_dbc *d, SQLINTEGER attr, bool target) {
  SQLCHAR state[6] = "", msg[400] = "";
  SQLINTEGER native = 0;
  SQLSMALLINT len = 0;
  if (target)
    drv_dm->SQLGetDiagRec(SQL_HANDLE_DBC, d->target, 1, state, &native, msg,
                          sizeof msg, &len);
  drv_error(&d->h, "01S02",
            "connection attribute %d, set before connect, did not take "
            "effect%s%s%s%s",
            (int)attr, state[0] ? ": [" : "", (const char *)state,
            state[0] ? "] " : "", (const char *)msg);
}

/* Applies the attributes the application set before connecting to the
 * borrowed target, as a direct connection would have them: those that
 * take effect only when a connection is opened were set on the target
 * before its connect (they are part of the pool key: the connection was
 * opened with exactly these); the others are set now, noted for the
 * reset. One that the target refused is reported as a warning (01S02)
 * rather than dropped. Returns SQL_SUCCESS or SQL_SUCCESS_WITH_INFO. */
static SQLRETURN apply_preattrs(struct drv_dbc *d) {
  bool warned = false;
  for (int i = 0; i < d->npre; i++) {
    struct drv_preattr *a = &d->pre[i];
    if (odbcpool__attr_at_open(a->attr)) {
      if (odbcpool__conn_preattr_failed(d->conn, a->attr)) {
        preattr_warning(d, a->attr, false);
        warned = true;
      }
      continue;
    }
    SQLPOINTER v = a->str ? (SQLPOINTER)a->str : (SQLPOINTER)(uintptr_t)a->num;
    odbcpool__conn_note_attr(d->conn, a->attr);
    SQLRETURN rc;
    if (d->wide && a->str)
      rc = drv_dm->SQLSetConnectAttrW(d->target, a->attr, v, a->len);
    else
      rc = drv_dm->SQLSetConnectAttr(d->target, a->attr, v, a->len);
    if (!SQL_SUCCEEDED(rc)) {
      preattr_warning(d, a->attr, true);
      warned = true;
    }
  }
  if (!warned)
    return SQL_SUCCESS;
  d->h.diag.rc = SQL_SUCCESS_WITH_INFO;
  return SQL_SUCCESS_WITH_INFO;
}

/* Borrows the connection `rq` describes for `d`. */
static SQLRETURN borrow(struct drv_dbc *d, struct request *rq, bool wide) {
  if (d->conn != NULL)
    return drv_error(&d->h, "08002", "connection already in use");
  from_odbc_ini(rq);
  default_config(rq);
  if (rq->target[0] == '\0')
    return drv_error(&d->h, "IM002",
                     "DSN '%s' names no TargetDSN: set TargetDSN in its "
                     "odbc.ini entry or the connection string",
                     rq->dsn[0] ? rq->dsn : "(none)");
  if (connect_depth > 0)
    return drv_error(&d->h, "HY000",
                     "TargetDSN '%s' leads back into the odbcpool driver",
                     rq->target);
  odbcpool_error err;
  odbcpool_set *set = NULL;
  if (set_for(rq->config, &set, &err) != ODBCPOOL_OK)
    return drv_error_pool(&d->h, &err, NULL);
  if (drv_dm == NULL && (drv_dm = odbcpool__dm(&err)) == NULL)
    return drv_error_pool(&d->h, &err, NULL);

  /* Attributes that take effect at open are part of the key: a pooled
   * connection serves only borrowers that asked for what it was opened
   * with. */
  struct odbcpool__preattr pre[ODBCPOOL_PREATTR_MAX];
  int npre = 0;
  for (int i = 0; i < d->npre; i++)
    if (odbcpool__attr_at_open(d->pre[i].attr) && npre < ODBCPOOL_PREATTR_MAX)
      pre[npre++] =
          (struct odbcpool__preattr){d->pre[i].attr, (SQLULEN)d->pre[i].num};
  struct odbcpool__key key = {.dsn = rq->target,
                              .uid = rq->uid,
                              .pwd = rq->pwd,
                              .extra = rq->extra.len ? rq->extra.data : NULL,
                              .wide = wide,
                              .odbc_version = d->env->odbc_version,
                              .login_timeout = d->login_timeout,
                              .pre = pre,
                              .npre = npre};
  struct odbcpool__diag diag = {0};
  odbcpool_conn *c = NULL;
  connect_depth++;
  int code = odbcpool__borrow(set, &key, rq->purpose, -1, &c, &err, &diag);
  connect_depth--;
  if (code != ODBCPOOL_OK)
    return drv_error_pool(&d->h, &err,
                          code == ODBCPOOL_ECONNECT ? &diag : NULL);
  odbcpool__conn_track_attrs(c);
  d->conn = c;
  d->target = odbcpool_hdbc(c);
  d->wide = wide;
  return apply_preattrs(d);
}

static void request_init(struct request *rq) {
  memset(rq, 0, sizeof *rq);
}

/* Takes the attributes of a parsed connection string into `rq`. The
 * strings stay owned by `cs`. */
static SQLRETURN request_from_connstr(struct drv_dbc *d, struct request *rq,
                                      const struct odbcpool__connstr *cs) {
  const char *v;
  if ((v = odbcpool__connstr_get(cs, "DSN")) != NULL)
    snprintf(rq->dsn, sizeof rq->dsn, "%s", v);
  if ((v = odbcpool__connstr_get(cs, "TargetDSN")) != NULL)
    snprintf(rq->target, sizeof rq->target, "%s", v);
  if ((v = odbcpool__connstr_get(cs, "PoolConfig")) != NULL)
    snprintf(rq->config, sizeof rq->config, "%s", v);
  rq->uid = odbcpool__connstr_get(cs, "UID");
  rq->pwd = odbcpool__connstr_get(cs, "PWD");
  if (rq->pwd == NULL)
    rq->pwd = odbcpool__connstr_get(cs, "Password");
  rq->purpose = odbcpool__connstr_get(cs, "Purpose");
  for (size_t i = 0; i < cs->n; i++)
    if (!own_keyword(cs->kv[i].key))
      odbcpool__buf_connattr(&rq->extra, cs->kv[i].key, cs->kv[i].value);
  if (rq->extra.failed)
    return drv_error(&d->h, "HY001", "out of memory");
  return SQL_SUCCESS;
}

/* Returns the completed connection string: the one the application gave
 * (the driver completes nothing, it never prompts). */
static SQLRETURN put_connstr_out(struct drv_dbc *d, const char *in,
                                 SQLPOINTER out, SQLSMALLINT outmax,
                                 SQLSMALLINT *outlen, bool wide) {
  SQLINTEGER len = 0;
  bool cut = drv_put_text(in, out, outmax, wide, &len);
  if (outlen != NULL)
    *outlen = (SQLSMALLINT)len;
  if (cut && out != NULL) {
    drv_error(&d->h, "01004", "string data, right truncated");
    d->h.diag.rc = SQL_SUCCESS_WITH_INFO;
    return SQL_SUCCESS_WITH_INFO;
  }
  return SQL_SUCCESS;
}

static SQLRETURN driver_connect(struct drv_dbc *d, char *in, SQLPOINTER out,
                                SQLSMALLINT outmax, SQLSMALLINT *outlen,
                                SQLUSMALLINT completion, bool wide) {
  if (completion != SQL_DRIVER_NOPROMPT && completion != SQL_DRIVER_COMPLETE &&
      completion != SQL_DRIVER_COMPLETE_REQUIRED &&
      completion != SQL_DRIVER_PROMPT)
    return drv_error(&d->h, "HY110", "invalid driver completion");
  struct odbcpool__connstr cs;
  odbcpool_error err;
  if (odbcpool__connstr_parse(in, (size_t)-1, &cs, &err) != ODBCPOOL_OK)
    return drv_error(&d->h, "HY000", "%s", err.message);
  struct request rq;
  request_init(&rq);
  SQLRETURN rc = request_from_connstr(d, &rq, &cs);
  if (SQL_SUCCEEDED(rc))
    rc = borrow(d, &rq, wide);
  odbcpool__buf_wipe(&rq.extra);
  odbcpool__connstr_free(&cs);
  if (SQL_SUCCEEDED(rc)) {
    /* The output echoes the password the application itself passed;
     * nothing here keeps a copy. */
    SQLRETURN out_rc = put_connstr_out(d, in, out, outmax, outlen, wide);
    if (out_rc != SQL_SUCCESS)
      rc = out_rc;
  }
  return rc;
}

DRV_EXPORT SQLRETURN SQL_API SQLDriverConnect(SQLHDBC h, SQLHWND hwnd,
                                              SQLCHAR *in, SQLSMALLINT inlen,
                                              SQLCHAR *out, SQLSMALLINT outmax,
                                              SQLSMALLINT *outlen,
                                              SQLUSMALLINT completion) {
  (void)hwnd;
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  char *s = drv_utf8_narrow(in, inlen);
  if (s == NULL)
    return drv_error(&d->h, "HY001", "out of memory");
  SQLRETURN rc = driver_connect(d, s, out, outmax, outlen, completion, false);
  odbcpool__wipe_free(s);
  return rc;
}

DRV_EXPORT SQLRETURN SQL_API SQLDriverConnectW(
    SQLHDBC h, SQLHWND hwnd, SQLWCHAR *in, SQLSMALLINT inlen, SQLWCHAR *out,
    SQLSMALLINT outmax, SQLSMALLINT *outlen, SQLUSMALLINT completion) {
  (void)hwnd;
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  char *s = drv_utf8(in, inlen);
  if (s == NULL)
    return drv_error(&d->h, "HY001", "out of memory");
  SQLRETURN rc = driver_connect(d, s, out, outmax, outlen, completion, true);
  odbcpool__wipe_free(s);
  return rc;
}

/* SQLConnect's work, for both variants; takes and wipes the three
 * converted strings. */
static SQLRETURN connect_dsn(struct drv_dbc *d, char *dsn, char *uid, char *pwd,
                             bool wide) {
  struct request rq;
  request_init(&rq);
  snprintf(rq.dsn, sizeof rq.dsn, "%s", dsn ? dsn : "");
  rq.uid = uid && *uid ? uid : NULL;
  rq.pwd = pwd && *pwd ? pwd : NULL;
  SQLRETURN rc = borrow(d, &rq, wide);
  odbcpool__buf_wipe(&rq.extra);
  odbcpool__wipe_free(dsn);
  odbcpool__wipe_free(uid);
  odbcpool__wipe_free(pwd);
  return rc;
}

DRV_EXPORT SQLRETURN SQL_API SQLConnect(SQLHDBC h, SQLCHAR *dsn,
                                        SQLSMALLINT dsnlen, SQLCHAR *uid,
                                        SQLSMALLINT uidlen, SQLCHAR *pwd,
                                        SQLSMALLINT pwdlen) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  return connect_dsn(d, drv_utf8_narrow(dsn, dsnlen),
                     drv_utf8_narrow(uid, uidlen), drv_utf8_narrow(pwd, pwdlen),
                     false);
}

DRV_EXPORT SQLRETURN SQL_API SQLConnectW(SQLHDBC h, SQLWCHAR *dsn,
                                         SQLSMALLINT dsnlen, SQLWCHAR *uid,
                                         SQLSMALLINT uidlen, SQLWCHAR *pwd,
                                         SQLSMALLINT pwdlen) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  return connect_dsn(d, drv_utf8(dsn, dsnlen), drv_utf8(uid, uidlen),
                     drv_utf8(pwd, pwdlen), true);
}

/* Browsing a pooled connection's attributes makes no sense: the pool
 * connects with the DSN's. */
static SQLRETURN browse_connect(SQLHDBC h) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  return drv_error(&d->h, "HYC00",
                   "SQLBrowseConnect is not supported through odbcpool");
}

DRV_EXPORT SQLRETURN SQL_API SQLBrowseConnect(SQLHDBC h, SQLCHAR *in,
                                              SQLSMALLINT inlen, SQLCHAR *out,
                                              SQLSMALLINT outmax,
                                              SQLSMALLINT *outlen) {
  (void)in, (void)inlen, (void)out, (void)outmax, (void)outlen;
  return browse_connect(h);
}

DRV_EXPORT SQLRETURN SQL_API SQLBrowseConnectW(SQLHDBC h, SQLWCHAR *in,
                                               SQLSMALLINT inlen, SQLWCHAR *out,
                                               SQLSMALLINT outmax,
                                               SQLSMALLINT *outlen) {
  (void)in, (void)inlen, (void)out, (void)outmax, (void)outlen;
  return browse_connect(h);
}

/* Gives the connection back to the pool. Statements and descriptors the
 * application left are freed by the reset, which runs in the
 * background; this returns at once. */
DRV_EXPORT SQLRETURN SQL_API SQLDisconnect(SQLHDBC h) {
  struct drv_dbc *d = drv_dbc_enter(h);
  if (d == NULL)
    return SQL_INVALID_HANDLE;
  if (d->conn == NULL)
    return drv_error(&d->h, "08003", "connection not open");
  pthread_mutex_lock(&d->lock);
  while (d->stmts)
    drv_stmt_destroy(d->stmts, false);
  while (d->descs)
    drv_desc_destroy(d->descs, false);
  odbcpool_conn *c = d->conn;
  d->conn = NULL;
  d->target = SQL_NULL_HDBC;
  pthread_mutex_unlock(&d->lock);
  odbcpool_return(c);
  return SQL_SUCCESS;
}

/* libltdl looks for odbcpool_driver_LTX_<name> before <name>; answering
 * the first lookup saves the driver manager a failed one per entry point
 * on every connect (doc/BENCHMARKS.md). */
DRV_LTX(SQLConnect);
DRV_LTX(SQLConnectW);
DRV_LTX(SQLDriverConnect);
DRV_LTX(SQLDriverConnectW);
DRV_LTX(SQLBrowseConnect);
DRV_LTX(SQLBrowseConnectW);
DRV_LTX(SQLDisconnect);
DRV_ANSI(SQLConnect);
DRV_ANSI(SQLDriverConnect);
DRV_ANSI(SQLBrowseConnect);
