/* conn.c — one physical connection: connect, validate, disconnect. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dm.h"
#include "error.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "secret.h"
#include "util.h"

/* Index of an ODBC version in set->henv. */
static int env_index(SQLINTEGER version) {
  return version == SQL_OV_ODBC2 ? 0 : version == SQL_OV_ODBC3 ? 1 : 2;
}

/* Allocates the set's environment for `version` on first connect, not
 * at open: the driver module must not call the DM from its own
 * environment calls. */
static int env_get(odbcpool_set *s, SQLINTEGER version, SQLHENV *out,
                   odbcpool_error *err) {
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  int i = env_index(version);
  pthread_mutex_lock(&s->env_lock);
  if (s->henv[i] == SQL_NULL_HENV) {
    SQLHENV env = SQL_NULL_HENV;
    SQLRETURN rc = dm->SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
    if (!SQL_SUCCEEDED(rc)) {
      pthread_mutex_unlock(&s->env_lock);
      return odbcpool__err(err, ODBCPOOL_EDM, "HY001",
                           "cannot allocate an ODBC environment");
    }
    rc = dm->SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION,
                           (SQLPOINTER)(intptr_t)version, 0);
    if (!SQL_SUCCEEDED(rc)) {
      int code = odbcpool__err_odbc(err, ODBCPOOL_EDM, SQL_HANDLE_ENV, env,
                                    "cannot set the ODBC version");
      dm->SQLFreeHandle(SQL_HANDLE_ENV, env);
      pthread_mutex_unlock(&s->env_lock);
      return code;
    }
    s->henv[i] = env;
  }
  *out = s->henv[i];
  pthread_mutex_unlock(&s->env_lock);
  return ODBCPOOL_OK;
}

/* A random share of the jitter, so connections opened together do not
 * all expire together. */
static uint64_t jitter_ms(long jitter) {
  if (jitter <= 0)
    return 0;
  uint32_t r = 0;
  if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
    return 0;
  return r % (uint64_t)jitter;
}

/* Connects `dbc` with connection string `cs`, in the pool's mode. The
 * caller wipes `cs`; this wipes its own copies. */
static SQLRETURN driver_connect(const struct odbcpool__dm *dm, SQLHDBC dbc,
                                const char *cs, bool wide) {
  if (!wide) {
    SQLCHAR out[1024];
    SQLSMALLINT outlen = 0;
    SQLRETURN rc =
        dm->SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS, out, sizeof out,
                             &outlen, SQL_DRIVER_NOPROMPT);
    /* The completed connection string may echo the password. */
    OPENSSL_cleanse(out, sizeof out);
    return rc;
  }
  SQLWCHAR *w = odbcpool__utf16_dup(cs, NULL);
  if (w == NULL)
    return SQL_ERROR;
  size_t wlen = 0;
  while (w[wlen])
    wlen++;
  SQLWCHAR out[1024];
  SQLSMALLINT outlen = 0;
  SQLRETURN rc = dm->SQLDriverConnectW(dbc, NULL, w, SQL_NTS, out,
                                       sizeof out / sizeof out[0], &outlen,
                                       SQL_DRIVER_NOPROMPT);
  OPENSSL_cleanse(out, sizeof out);
  OPENSSL_cleanse(w, (wlen + 1) * sizeof *w);
  free(w);
  return rc;
}

int odbcpool__conn_open(odbcpool_conn *c, const char *pwd,
                        SQLUINTEGER login_timeout, odbcpool_error *err,
                        struct odbcpool__diag *diag) {
  struct pool *p = c->pool;
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  SQLHENV env = SQL_NULL_HENV;
  int code = env_get(p->set, p->odbc_version, &env, err);
  if (code != ODBCPOOL_OK)
    return code;

  SQLHDBC dbc = SQL_NULL_HDBC;
  if (!SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)))
    return odbcpool__err_odbc(err, ODBCPOOL_ECONNECT, SQL_HANDLE_ENV, env,
                              "cannot allocate a connection handle");

  /* A borrower without credentials gets those the config holds, if any,
   * decrypted at open and kept in locked memory. */
  const char *uid = p->uid;
  const struct odbcpool__cred *cred = odbcpool__pool_creds(p);
  if (uid == NULL && pwd == NULL && cred != NULL) {
    uid = cred->uid;
    pwd = cred->pwd;
  }
  struct odbcpool__buf cs = {0};
  odbcpool__buf_connattr(&cs, "DSN", p->dsn);
  if (uid != NULL)
    odbcpool__buf_connattr(&cs, "UID", uid);
  if (pwd != NULL)
    odbcpool__buf_connattr(&cs, "PWD", pwd);
  if (p->extra != NULL)
    odbcpool__buf_puts(&cs, p->extra);
  if (cs.failed) {
    odbcpool__buf_wipe(&cs);
    dm->SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  /* The application's SQL_ATTR_LOGIN_TIMEOUT (driver module), passed on
   * as it would reach the target on a direct connect. */
  if (login_timeout > 0)
    dm->SQLSetConnectAttr(dbc, SQL_ATTR_LOGIN_TIMEOUT,
                          (SQLPOINTER)(uintptr_t)login_timeout, 0);
  /* Attributes that take effect only at connect, set as a direct
   * connection sets them: before the connect. They are part of the pool
   * key. A value the driver refuses or changes is not an error here: the
   * driver module reads the value back and tells the application. */
  c->pre_failed = 0;
  for (int i = 0; i < p->npre; i++)
    if (!SQL_SUCCEEDED(dm->SQLSetConnectAttr(
            dbc, p->pre[i].attr, (SQLPOINTER)(uintptr_t)p->pre[i].value, 0)))
      c->pre_failed |= 1u << i;
  const char *reason = NULL;
  code = odbcpool__policy_before(c->cfg, p->dsn, p->extra, &reason, err);
  if (code != ODBCPOOL_OK) {
    odbcpool__buf_wipe(&cs);
    dm->SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    c->refused_reason = reason;
    return code;
  }
  SQLRETURN rc = driver_connect(dm, dbc, cs.data, p->wide);
  odbcpool__buf_wipe(&cs);
  if (!SQL_SUCCEEDED(rc)) {
    char what[160];
    snprintf(what, sizeof what, "cannot connect to DSN '%s'", p->dsn);
    /* Copy the records before the handle (and they) go away. */
    odbcpool__diag_capture(SQL_HANDLE_DBC, dbc, diag);
    code =
        odbcpool__err_odbc(err, ODBCPOOL_ECONNECT, SQL_HANDLE_DBC, dbc, what);
    if (err != NULL && err->sqlstate[0] == '\0')
      snprintf(err->sqlstate, sizeof err->sqlstate, "08001");
    /* The SQLSTATE only: the target's text may name the user. */
    odbcpool__log(ODBCPOOL_LOG_INFO, "pool %s: cannot connect: SQLSTATE %s",
                  p->dsn,
                  diag != NULL && diag->n > 0 ? diag->rec[0].state
                  : err != NULL               ? err->sqlstate
                                              : "?");
    dm->SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return code;
  }
  /* Nothing but the check goes over a session that may lack TLS. */
  code = odbcpool__policy_after(c->cfg, p->dsn, dbc, &reason, err);
  if (code != ODBCPOOL_OK) {
    dm->SQLDisconnect(dbc);
    dm->SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    c->refused_reason = reason;
    return code;
  }
  c->hdbc = dbc;
  odbcpool__attrs_snapshot(dbc, &c->attrs);
  /* Before any borrower sees it: what the reset will put back. */
  odbcpool__reset_plan(c);
  uint64_t now = odbcpool__now_ms();
  c->created_ms = now;
  c->idle_since_ms = now;
  c->expires_ms = 0;
  if (c->cfg->max_lifetime > 0) {
    uint64_t life = (uint64_t)c->cfg->max_lifetime;
    uint64_t j = jitter_ms(c->cfg->lifetime_jitter);
    c->expires_ms = now + (j < life ? life - j : life);
  }
  odbcpool__log(ODBCPOOL_LOG_DEBUG, "pool %s: opened connection %llu", p->dsn,
                (unsigned long long)c->id);
  return ODBCPOOL_OK;
}

void odbcpool__conn_disconnect(odbcpool_conn *c) {
  if (c->hdbc == SQL_NULL_HDBC || c->orphan)
    return;
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  if (dm != NULL) {
    /* Statements still tracked die with the connection. */
    if (!SQL_SUCCEEDED(dm->SQLDisconnect(c->hdbc))) {
      /* An open transaction makes SQLDisconnect refuse (25000). */
      dm->SQLEndTran(SQL_HANDLE_DBC, c->hdbc, SQL_ROLLBACK);
      dm->SQLDisconnect(c->hdbc);
    }
    dm->SQLFreeHandle(SQL_HANDLE_DBC, c->hdbc);
  }
  c->hdbc = SQL_NULL_HDBC;
  c->nhandles = 0;
}

void odbcpool__conn_free(odbcpool_conn *c) {
  if (c == NULL)
    return;
  free(c->handles);
  /* The statements themselves went with the connection handle. */
  free(c->reset_st);
  odbcpool__reset_plan_free(c);
  free(c);
}

/* Skips blanks and SQL comments from p to end. */
static const char *skip_space(const char *p, const char *end) {
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                       *p == '\f' || *p == '\v'))
      p++;
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
      while (p < end && *p != '\n')
        p++;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
      const char *q = p + 2;
      while (end - q >= 2 && !(q[0] == '*' && q[1] == '/'))
        q++;
      if (end - q < 2)
        return end; /* unterminated: nothing proven */
      p = q + 2;
    } else {
      return p;
    }
  }
}

/* Case-insensitive search of `word` (lower case) in [p, end). */
static bool has_word(const char *p, const char *end, const char *word) {
  size_t n = strlen(word);
  for (; (size_t)(end - p) >= n; p++) {
    size_t i = 0;
    while (i < n && (p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) == word[i])
      i++;
    if (i == n)
      return true;
  }
  return false;
}

bool odbcpool__sql_cannot_touch_session(const odbcpool_conn *c, const char *sql,
                                        size_t len) {
  /* SQLite keeps its session state in the process and changes it only
   * through statement text: PRAGMA, ATTACH/DETACH, temp objects,
   * transactions and savepoints, writes (last_insert_rowid, changes) and
   * load_extension(). A single SELECT does none of these unless it reads
   * a pragma table-valued function with an argument (which sets it) or
   * loads an extension; any other text, or any doubt, is a change. */
  if (c->builtin == NULL || strcmp(c->builtin->name, "sqlite") != 0 ||
      sql == NULL)
    return false;
  const char *end = sql + len;
  if (memchr(sql, '\0', len) != NULL)
    return false;
  const char *p = skip_space(sql, end);
  if (end - p < 7 || !has_word(p, p + 6, "select") ||
      (p[6] >= 'a' && p[6] <= 'z') || (p[6] >= 'A' && p[6] <= 'Z') ||
      p[6] == '_' || (p[6] >= '0' && p[6] <= '9') ||
      (unsigned char)p[6] >= 0x80)
    return false;
  /* One statement: nothing but blanks and comments after a ';'. */
  const char *semi = memchr(p, ';', (size_t)(end - p));
  if (semi != NULL && skip_space(semi + 1, end) != end)
    return false;
  return !has_word(p, end, "pragma") && !has_word(p, end, "load_extension");
}

void odbcpool__conn_note_sql(odbcpool_conn *c, const char *sql, size_t len) {
  if (!c->sql_dirty && !odbcpool__sql_cannot_touch_session(c, sql, len))
    c->sql_dirty = true;
}

void odbcpool__conn_seterr(odbcpool_conn *c, const odbcpool_error *err) {
  memcpy(c->sqlstate, err->sqlstate, sizeof c->sqlstate);
  c->sqlstate[sizeof c->sqlstate - 1] = '\0';
  size_t n = strnlen(err->message, sizeof c->errmsg - 1);
  memcpy(c->errmsg, err->message, n);
  c->errmsg[n] = '\0';
}

bool odbcpool__conn_validation_queries(const odbcpool_conn *c,
                                       uint64_t now_ms) {
  const struct cfg_pool *cfg = c->cfg;
  return cfg->validation_query != NULL &&
         now_ms - c->idle_since_ms >= (uint64_t)cfg->validation_idle;
}

bool odbcpool__conn_validate(odbcpool_conn *c, uint64_t now_ms,
                             uint64_t deadline_ms) {
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  if (dm == NULL)
    return false;
  SQLUINTEGER dead = SQL_CD_FALSE;
  SQLRETURN rc =
      dm->SQLGetConnectAttr(c->hdbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL);
  /* A driver that cannot tell is not a dead connection. */
  if (SQL_SUCCEEDED(rc) && dead == SQL_CD_TRUE)
    return false;
  if (!odbcpool__conn_validation_queries(c, now_ms))
    return true;
  /* The seconds left to the borrower's deadline, rounded up, as the
   * query timeout: a driver that can cancel gives up in time. */
  SQLULEN timeout_s = 0;
  if (deadline_ms != 0) {
    uint64_t now = odbcpool__now_ms();
    timeout_s = now >= deadline_ms ? 1 : (deadline_ms - now + 999) / 1000;
  }
  odbcpool_error err;
  if (odbcpool__exec_timeout(c->hdbc, c->cfg->validation_query, timeout_s,
                             &err) != ODBCPOOL_OK) {
    odbcpool__log(ODBCPOOL_LOG_INFO,
                  "pool %s: connection %llu failed "
                  "validation: %s",
                  c->pool->dsn, (unsigned long long)c->id, err.message);
    return false;
  }
  return true;
}

/* Attributes that only take effect before connect: set on a connected
 * handle they are refused (HY011) or ignored, so a borrower cannot change
 * what the next one sees with them, and a restore would only fail. */
static bool preconnect_only(SQLINTEGER attr) {
  return attr == SQL_ATTR_PACKET_SIZE || attr == SQL_ATTR_ODBC_CURSORS;
}

bool odbcpool__attr_at_open(SQLINTEGER attr) {
  return attr == SQL_ATTR_LOGIN_TIMEOUT || attr == SQL_ATTR_PACKET_SIZE ||
         attr == SQL_ATTR_ODBC_CURSORS;
}

void odbcpool__conn_note_attr(odbcpool_conn *c, SQLINTEGER attr) {
  if (preconnect_only(attr))
    return;
  int idx = odbcpool__attr_index(attr);
  if (idx >= 0) {
    c->attrs_touched |= 1u << idx;
    return;
  }
  for (int i = 0; i < c->nextra_attrs; i++)
    if (c->extra_attrs[i].attr == attr)
      return;
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  SQLULEN v = 0;
  if (dm == NULL ||
      c->nextra_attrs ==
          (int)(sizeof c->extra_attrs / sizeof c->extra_attrs[0]) ||
      !SQL_SUCCEEDED(dm->SQLGetConnectAttr(c->hdbc, attr, &v, 0, NULL))) {
    odbcpool__log(ODBCPOOL_LOG_INFO,
                  "pool %s: connection %llu: attribute %d cannot be read "
                  "back; the connection will be closed on return",
                  c->pool->dsn, (unsigned long long)c->id, (int)attr);
    c->untracked_change = true;
    return;
  }
  c->extra_attrs[c->nextra_attrs].attr = attr;
  c->extra_attrs[c->nextra_attrs].value = v;
  c->nextra_attrs++;
}
