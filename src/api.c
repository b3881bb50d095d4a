/* api.c — the public API around the pool: open, close, statements,
 * errors, statistics. */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "audit.h"
#include "dm.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
#include "secret.h"
#include "util.h"

#ifndef ODBCPOOL_SYSCONFDIR
#define ODBCPOOL_SYSCONFDIR "/etc"
#endif

static void set_free(odbcpool_set *s) {
  while (s->pools) {
    struct pool *p = s->pools;
    s->pools = p->next;
    free(p->dsn);
    free(p->uid);
    odbcpool__wipe_free(p->extra); /* may hold a password (Password=) */
    free(p);
  }
  while (s->dsns) {
    struct dsn_stats *d = s->dsns;
    s->dsns = d->next;
    free(d->dsn);
    free(d);
  }
  if (s->creds != NULL) {
    for (size_t i = 0; i < s->cfg0->npools; i++) {
      if (s->creds[i] != NULL) {
        odbcpool__cred_free(s->creds[i]);
        free(s->creds[i]);
      }
    }
    free(s->creds);
  }
  odbcpool__audit_close(s->audit);
  odbcpool__cfg_free(s->cfg);
  for (size_t i = 0; i < s->nretired; i++)
    odbcpool__cfg_free(s->retired[i]);
  free(s->retired);
  pthread_mutex_destroy(&s->reload_lock);
  free(s->workers);
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->env_lock);
  pthread_cond_destroy(&s->work_cv);
  pthread_cond_destroy(&s->hk_cv);
  pthread_cond_destroy(&s->idle_cv);
  free(s);
}

/* Opens the audit trail and decrypts the credentials the config holds:
 * a pool set does not start if either fails. */
static int open_privacy(odbcpool_set *s, odbcpool_error *err) {
  int code = odbcpool__audit_open(s->cfg, &s->audit, err);
  if (code != ODBCPOOL_OK)
    return code;
  for (size_t i = 0; i < s->cfg->npools; i++) {
    const struct cfg_pool *cp = &s->cfg->pools[i];
    if (cp->credentials == NULL)
      continue;
    if (s->creds == NULL &&
        (s->creds = calloc(s->cfg->npools, sizeof *s->creds)) == NULL)
      return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
    s->creds[i] = calloc(1, sizeof *s->creds[i]);
    if (s->creds[i] == NULL)
      return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
    code = odbcpool__cred_load(cp->credentials, cp->credentials_key,
                               s->creds[i], err);
    if (code != ODBCPOOL_OK) {
      free(s->creds[i]);
      s->creds[i] = NULL;
      return code;
    }
  }
  return ODBCPOOL_OK;
}

int odbcpool_open(const char *path, odbcpool_set **out, odbcpool_error *err) {
  odbcpool__err_clear(err);
  if (out == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY009",
                         "odbcpool_open: set is required");
  *out = NULL;
  if (path == NULL)
    path = getenv("ODBCPOOL_CONFIG");
  if (path == NULL || *path == '\0')
    path = ODBCPOOL_SYSCONFDIR "/odbcpool.ini";
  if (odbcpool__dm(err) == NULL)
    return ODBCPOOL_EDM;

  struct cfg *cfg = NULL;
  int code = odbcpool__cfg_load(path, &cfg, err);
  if (code != ODBCPOOL_OK)
    return code;
  code = odbcpool__log_configure(cfg->log, err);
  if (code != ODBCPOOL_OK) {
    odbcpool__cfg_free(cfg);
    return code;
  }
  odbcpool_set *s = calloc(1, sizeof *s);
  if (s == NULL) {
    odbcpool__cfg_free(cfg);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  s->cfg = s->cfg0 = cfg;
  s->pid = getpid();
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->reload_lock, NULL);
  odbcpool__reload_init(s);
  pthread_mutex_init(&s->env_lock, NULL);
  odbcpool__cond_init(&s->work_cv);
  odbcpool__cond_init(&s->hk_cv);
  odbcpool__cond_init(&s->idle_cv);
  if (RAND_bytes(s->key, sizeof s->key) != 1) {
    set_free(s);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY000",
                         "no randomness for the verifier key");
  }
  code = open_privacy(s, err);
  if (code != ODBCPOOL_OK) {
    set_free(s);
    return code;
  }
  pthread_mutex_lock(&s->lock);
  /* Pools that keep connections open before any borrow exist from the
   * start, so the housekeeper can fill them. */
  for (size_t i = 0; i < cfg->npools; i++) {
    struct odbcpool__key key = {.dsn = cfg->pools[i].dsn};
    if (cfg->pools[i].min_idle > 0 && odbcpool__pool_get(s, &key) == NULL) {
      pthread_mutex_unlock(&s->lock);
      set_free(s);
      return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
    }
  }
  code = odbcpool__threads_start(s, err);
  pthread_mutex_unlock(&s->lock);
  if (code != ODBCPOOL_OK) {
    odbcpool_close(s);
    return code;
  }
  odbcpool__registry_add(s);
  *out = s;
  return ODBCPOOL_OK;
}

void odbcpool_close(odbcpool_set *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->lock);
  bool started = odbcpool__set_stop(s);
  pthread_mutex_unlock(&s->lock);

  /* A worker stuck in a reset the watchdog gave up (a driver that never
   * returns) cannot be joined: it is detached, and the set, which it
   * will touch if it ever comes back, is left allocated. */
  unsigned detached = 0;
  for (unsigned i = 0; i < s->nworkers; i++) {
    pthread_mutex_lock(&s->lock);
    bool stuck = s->nstuck > 0;
    pthread_mutex_unlock(&s->lock);
    if (!stuck) {
      pthread_join(s->workers[i], NULL);
      continue;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    if (pthread_timedjoin_np(s->workers[i], NULL, &until) != 0) {
      pthread_detach(s->workers[i]);
      detached++;
    }
  }
  if (started)
    pthread_join(s->housekeeper, NULL);
  odbcpool__registry_remove(s);

  pthread_mutex_lock(&s->lock);
  unsigned borrowed = 0;
  for (struct pool *p = s->pools; p; p = p->next) {
    /* Borrowers still waiting leave with ECLOSED; wait for them. */
    while (p->nwaiting > 0 || p->lists[CONN_OPENING].n > 0 ||
           p->lists[CONN_CLOSING].n > 0)
      pthread_cond_wait(&s->idle_cv, &s->lock);
    odbcpool_conn *c;
    while ((c = p->lists[CONN_IDLE].head) != NULL)
      odbcpool__close_locked(c, ODBCPOOL_CLOSE_SHUTDOWN);
    borrowed += p->lists[CONN_IN_USE].n;
  }
  odbcpool__stats_write(s);
  pthread_mutex_unlock(&s->lock);
  if (detached > 0) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "odbcpool_close: %u reset worker(s) stuck in the driver "
                  "are left running; the pool set is not freed",
                  detached);
    return;
  }
  if (borrowed > 0) {
    /* Their holders may still use them: leave them be. */
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "odbcpool_close: %u connection(s) still borrowed are "
                  "abandoned",
                  borrowed);
    return;
  }
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  for (size_t i = 0; i < sizeof s->henv / sizeof s->henv[0]; i++)
    if (s->henv[i] != SQL_NULL_HENV && dm != NULL)
      dm->SQLFreeHandle(SQL_HANDLE_ENV, s->henv[i]);
  set_free(s);
}

SQLHDBC odbcpool_hdbc(const odbcpool_conn *c) {
  return c ? c->hdbc : SQL_NULL_HDBC;
}

uint64_t odbcpool_conn_id(const odbcpool_conn *c) {
  return c ? c->id : 0;
}

const char *odbcpool_errmsg(const odbcpool_conn *c) {
  return c ? c->errmsg : "no connection";
}

const char *odbcpool_sqlstate(const odbcpool_conn *c) {
  return c ? c->sqlstate : "HY009";
}

/* Allocates a handle of `type` on the connection and records it. */
static int track_alloc(odbcpool_conn *c, SQLSMALLINT type, SQLHANDLE *out) {
  if (c == NULL || out == NULL)
    return ODBCPOOL_EINVAL;
  *out = SQL_NULL_HANDLE;
  odbcpool_error err;
  const struct odbcpool__dm *dm = odbcpool__dm(&err);
  if (dm == NULL) {
    odbcpool__conn_seterr(c, &err);
    return ODBCPOOL_EDM;
  }
  if (c->nhandles == c->caphandles) {
    size_t cap = c->caphandles ? c->caphandles * 2 : 8;
    struct tracked_handle *h = realloc(c->handles, cap * sizeof *h);
    if (h == NULL) {
      odbcpool__err(&err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
      odbcpool__conn_seterr(c, &err);
      return ODBCPOOL_ENOMEM;
    }
    c->handles = h;
    c->caphandles = cap;
  }
  SQLHANDLE h = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(dm->SQLAllocHandle(type, c->hdbc, &h))) {
    odbcpool__err_odbc(&err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, c->hdbc,
                       "cannot allocate a handle");
    odbcpool__conn_seterr(c, &err);
    return ODBCPOOL_EODBC;
  }
  c->handles[c->nhandles].type = type;
  c->handles[c->nhandles].handle = h;
  c->nhandles++;
  *out = h;
  return ODBCPOOL_OK;
}

/* Frees a tracked handle; EINVAL if the pool did not allocate it. */
static int track_free(odbcpool_conn *c, SQLSMALLINT type, SQLHANDLE h) {
  if (c == NULL)
    return ODBCPOOL_EINVAL;
  for (size_t i = 0; i < c->nhandles; i++) {
    if (c->handles[i].handle != h || c->handles[i].type != type)
      continue;
    c->handles[i] = c->handles[--c->nhandles];
    odbcpool_error err;
    const struct odbcpool__dm *dm = odbcpool__dm(&err);
    if (dm == NULL)
      return ODBCPOOL_EDM;
    if (!SQL_SUCCEEDED(dm->SQLFreeHandle(type, h))) {
      odbcpool__err(&err, ODBCPOOL_EODBC, "HY000", "cannot free handle");
      odbcpool__conn_seterr(c, &err);
      return ODBCPOOL_EODBC;
    }
    return ODBCPOOL_OK;
  }
  odbcpool_error err;
  odbcpool__err(&err, ODBCPOOL_EINVAL, "HY024",
                "handle was not allocated through this connection");
  odbcpool__conn_seterr(c, &err);
  return ODBCPOOL_EINVAL;
}

int odbcpool_stmt_alloc(odbcpool_conn *c, SQLHSTMT *out) {
  return track_alloc(c, SQL_HANDLE_STMT, out);
}

int odbcpool_desc_alloc(odbcpool_conn *c, SQLHDESC *out) {
  return track_alloc(c, SQL_HANDLE_DESC, out);
}

int odbcpool_stmt_free(odbcpool_conn *c, SQLHSTMT h) {
  return track_free(c, SQL_HANDLE_STMT, h);
}

int odbcpool_desc_free(odbcpool_conn *c, SQLHDESC h) {
  return track_free(c, SQL_HANDLE_DESC, h);
}

int odbcpool_stats_get(odbcpool_set *s, const char *dsn, odbcpool_stats *out,
                       odbcpool_error *err) {
  odbcpool__err_clear(err);
  if (s == NULL || dsn == NULL || out == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY009",
                         "odbcpool_stats_get: set, dsn and stats required");
  memset(out, 0, sizeof *out);
  bool found = false;
  pthread_mutex_lock(&s->lock);
  odbcpool__fork_check(s);
  for (struct dsn_stats *d = s->dsns; d; d = d->next) {
    if (strcmp(d->dsn, dsn) == 0) {
      *out = d->c;
      found = true;
    }
  }
  /* Gauges: counted over the DSN's pools, which come and go. */
  for (struct pool *p = s->pools; found && p; p = p->next) {
    if (strcmp(p->dsn, dsn) != 0)
      continue;
    out->open += odbcpool__pool_total(p);
    out->idle += p->lists[CONN_IDLE].n;
    out->in_use += p->lists[CONN_IN_USE].n;
    out->resetting += p->lists[CONN_RESETTING].n;
    out->waiting += p->nwaiting;
  }
  pthread_mutex_unlock(&s->lock);
  if (!found)
    return odbcpool__err(err, ODBCPOOL_ENOTFOUND, "HY000",
                         "no pool for DSN '%s' yet", dsn);
  return ODBCPOOL_OK;
}

int odbcpool_quiesce(odbcpool_set *s, long timeout_ms) {
  if (s == NULL)
    return ODBCPOOL_EINVAL;
  uint64_t deadline =
      odbcpool__now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
  int code = ODBCPOOL_OK;
  pthread_mutex_lock(&s->lock);
  odbcpool__fork_check(s);
  while (s->reset_head != NULL || s->resets_running > 0) {
    if (odbcpool__cond_wait_until(&s->idle_cv, &s->lock, deadline) ==
            ETIMEDOUT &&
        (s->reset_head != NULL || s->resets_running > 0)) {
      code = ODBCPOOL_ETIMEDOUT;
      break;
    }
  }
  pthread_mutex_unlock(&s->lock);
  return code;
}
