/* pool_borrow.c — the borrow path (fair waiting, waiting for a reset,
 * opening in a reserved slot, validation before hand-out, real logins
 * after reauth_interval) and the return path (queued for a reset
 * worker). */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
#include "util.h"

/* ------------------------------------------------------ borrow, return */

static void remove_waiter(struct pool *p, struct waiter *w) {
  struct waiter *prev = NULL;
  for (struct waiter *it = p->wait_head; it; prev = it, it = it->next) {
    if (it != w)
      continue;
    if (prev)
      prev->next = w->next;
    else
      p->wait_head = w->next;
    if (p->wait_tail == w)
      p->wait_tail = prev;
    p->nwaiting--;
    return;
  }
}

/* Counts a borrow's wait (0: it did not wait) in the histogram. */
static void note_hist(struct pool *p, uint64_t waited) {
  static const uint64_t le[] = ODBCPOOL_WAIT_BUCKETS_US;
  size_t i = 0;
  while (waited > le[i])
    i++;
  p->stats->wait_hist[i]++;
}

static void note_wait(struct pool *p, uint64_t start_us) {
  uint64_t waited = odbcpool__now_us() - start_us;
  p->stats->wait_us_total += waited;
  if (waited > p->stats->wait_us_max)
    p->stats->wait_us_max = waited;
  note_hist(p, waited);
}

/* Waits, first come first served, until a connection or a slot is
 * granted. Returns NULL on timeout or shutdown. Called with the lock
 * held; releases it while waiting. */
static odbcpool_conn *wait_for_grant(struct pool *p, uint64_t deadline_ms) {
  odbcpool_set *s = p->set;
  struct waiter w = {.next = NULL, .granted = NULL};
  odbcpool__cond_init(&w.cv);
  if (p->wait_tail)
    p->wait_tail->next = &w;
  else
    p->wait_head = &w;
  p->wait_tail = &w;
  p->nwaiting++;
  while (w.granted == NULL && !s->closing) {
    if (odbcpool__cond_wait_until(&w.cv, &s->lock, deadline_ms) == ETIMEDOUT)
      break;
  }
  if (w.granted == NULL) {
    remove_waiter(p, &w);
    pthread_cond_broadcast(&s->idle_cv);
  }
  pthread_cond_destroy(&w.cv);
  return w.granted;
}

/* A borrower who finds no idle connection but a free slot waits up to
 * reset_wait for a connection being reset rather than open a new one: a
 * reset takes well under a millisecond, a physical connect tens of them,
 * and an application that reconnects right after disconnecting would
 * otherwise open a connection per request. Only as many borrowers wait
 * as there are connections being reset; the others open new ones, so
 * concurrent load still grows the pool. Returns true if it waited (the
 * caller looks again), false if the borrower should open a connection.
 * Called with the lock held; releases it while waiting. */
static bool wait_for_reset(struct pool *p, uint64_t until_ms) {
  odbcpool_set *s = p->set;
  if (s->closing || p->lists[CONN_RESETTING].n <= p->nreset_waiters ||
      odbcpool__now_ms() >= until_ms)
    return false;
  p->nreset_waiters++;
  odbcpool__cond_wait_until(&s->idle_cv, &s->lock, until_ms);
  p->nreset_waiters--;
  return true;
}

int odbcpool_borrow(odbcpool_set *s, const char *dsn,
                    const odbcpool_borrow_opts *opts, odbcpool_conn **out,
                    odbcpool_error *err) {
  struct odbcpool__key key = {.dsn = dsn,
                              .uid = opts ? opts->uid : NULL,
                              .pwd = opts ? opts->pwd : NULL};
  return odbcpool__borrow(s, &key, opts ? opts->purpose : NULL,
                          opts ? opts->timeout_ms : -1, out, err, NULL);
}

enum { VAL_OK, VAL_FAILED, VAL_TIMEOUT };

/* Checks idle connection `c` (IN_USE) for a borrower whose deadline is
 * `deadline`. The SQL_ATTR_CONNECTION_DEAD check alone runs on the
 * borrower's thread; a validation query, which needs the server and can
 * hang with it, runs on a reset worker while the borrower waits no
 * longer than its deadline. Returns VAL_OK, VAL_FAILED (the caller
 * closes `c`) or VAL_TIMEOUT: then `c` is no longer the borrower's (put
 * back to idle if no worker had started on it, else given up: off every
 * list, its slot freed, closed by the worker when the driver returns),
 * and must not be touched. Lock held; released while waiting. */
static int validate_for_borrower(odbcpool_conn *c, uint64_t deadline) {
  struct pool *p = c->pool;
  odbcpool_set *s = p->set;
  uint64_t now = odbcpool__now_ms();
  if (!odbcpool__conn_validation_queries(c, now) || !s->threads_started ||
      s->workers == NULL) {
    pthread_mutex_unlock(&s->lock);
    bool ok = odbcpool__conn_validate(c, now, deadline);
    pthread_mutex_lock(&s->lock);
    return ok ? VAL_OK : VAL_FAILED;
  }
  struct odbcpool__validation v = {
      .deadline_ms = deadline, .done = false, .ok = false};
  odbcpool__cond_init(&v.cv);
  c->validation = &v;
  c->validation_running = false;
  /* Ahead of the returns waiting for a reset: a borrower waits for it. */
  c->reset_next = s->reset_head;
  s->reset_head = c;
  if (s->reset_tail == NULL)
    s->reset_tail = c;
  pthread_cond_signal(&s->work_cv);
  while (!v.done &&
         odbcpool__cond_wait_until(&v.cv, &s->lock, deadline) != ETIMEDOUT)
    ;
  int result;
  if (v.done) {
    result = v.ok ? VAL_OK : VAL_FAILED;
  } else if (!c->validation_running) {
    /* Still queued behind busy workers: nothing is known against the
     * connection; it goes back to idle. */
    odbcpool_conn *prev = NULL;
    for (odbcpool_conn *it = s->reset_head; it; prev = it, it = it->reset_next)
      if (it == c)
        break;
    if (prev != NULL)
      prev->reset_next = c->reset_next;
    else
      s->reset_head = c->reset_next;
    if (s->reset_tail == c)
      s->reset_tail = prev;
    c->reset_next = NULL;
    c->validation = NULL;
    odbcpool__conn_move(c, CONN_IDLE);
    odbcpool__pool_dispatch(p);
    result = VAL_TIMEOUT;
  } else {
    /* The worker is stuck in the driver: give the connection up, as the
     * reset watchdog does, so that it holds no slot. */
    c->validation = NULL;
    p->stats->validations_failed++;
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "pool %s: validation of connection %llu did not finish "
                  "before the borrower's deadline: connection given up, its "
                  "slot freed",
                  p->dsn, (unsigned long long)c->id);
    odbcpool__give_up(p, c, CONN_IN_USE, ODBCPOOL_CLOSE_VALIDATION_TIMEOUT,
                      now);
    result = VAL_TIMEOUT;
  }
  pthread_cond_destroy(&v.cv);
  return result;
}
int odbcpool__borrow(odbcpool_set *s, const struct odbcpool__key *key_in,
                     const char *purpose, long timeout, odbcpool_conn **out,
                     odbcpool_error *err, struct odbcpool__diag *diag) {
  odbcpool__err_clear(err);
  if (out != NULL)
    *out = NULL;
  if (s == NULL || key_in == NULL || key_in->dsn == NULL ||
      *key_in->dsn == '\0' || out == NULL || key_in->npre < 0 ||
      key_in->npre > ODBCPOOL_PREATTR_MAX)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY009",
                         "odbcpool_borrow: set, dsn and conn are required");
  /* An empty UID or PWD is the same as none, whichever way it came
   * (SQLConnect's empty arguments, "UID=;PWD=" in a connection string,
   * the library's options): one key, one pool, one verifier. */
  struct odbcpool__key k = *key_in;
  if (k.uid != NULL && *k.uid == '\0')
    k.uid = NULL;
  if (k.pwd != NULL && *k.pwd == '\0')
    k.pwd = NULL;
  const struct odbcpool__key *key = &k;
  const char *dsn = key->dsn;
  const char *pwd = key->pwd;

  pthread_mutex_lock(&s->lock);
  odbcpool__fork_check(s);
  if (s->closing) {
    pthread_mutex_unlock(&s->lock);
    return odbcpool__err(err, ODBCPOOL_ECLOSED, "HY000",
                         "the pool set is closing");
  }
  /* Purpose limitation: refused before any connection is handed out. */
  const struct cfg_pool *pc = odbcpool__cfg_pool(s->cfg, dsn);
  if (!odbcpool__cfg_purpose_allowed(pc, purpose)) {
    bool none = purpose == NULL || *purpose == '\0';
    pthread_mutex_unlock(&s->lock);
    if (s->audit != NULL) {
      struct odbcpool__audit_rec r = {.event = ODBCPOOL_AUDIT_REFUSED,
                                      .pool = dsn,
                                      .user = key->uid,
                                      .purpose = none ? NULL : purpose,
                                      .reason = none ? "purpose_missing"
                                                     : "purpose_not_allowed",
                                      .duration_ms = -1,
                                      .wait_ms = -1};
      odbcpool__audit_log(s->audit, &r);
    }
    if (none)
      return odbcpool__err(err, ODBCPOOL_EPURPOSE, "28000",
                           "invalid authorization: DSN '%s' requires a "
                           "purpose (Purpose= in the connection string or "
                           "the DSN)",
                           dsn);
    return odbcpool__err(err, ODBCPOOL_EPURPOSE, "28000",
                         "invalid authorization: DSN '%s' may not be used "
                         "for purpose '%.63s'",
                         dsn, purpose);
  }
  struct pool *p = odbcpool__pool_get(s, key);
  if (p == NULL) {
    pthread_mutex_unlock(&s->lock);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  if (timeout < 0)
    timeout = p->cfg->borrow_timeout;
  uint64_t start_us = odbcpool__now_us();
  uint64_t deadline = start_us / 1000u + (uint64_t)timeout;
  uint64_t reset_deadline = start_us / 1000u + (uint64_t)p->cfg->reset_wait;
  if (reset_deadline > deadline)
    reset_deadline = deadline;
  bool waited = false;
  odbcpool_conn *c;
  for (;;) {
    c = NULL;
    /* A password whose last real login is too old (or that the server
     * refused since) gets a login of its own before any pooled
     * connection made with it is handed out. */
    bool login = odbcpool__reauth_due(p, odbcpool__now_ms());
    if (p->wait_head == NULL) {
      if (!login)
        c = odbcpool__take_idle(p);
      if (c == NULL && odbcpool__dsn_room(p)) {
        if (!login && wait_for_reset(p, reset_deadline)) {
          waited = true;
          continue;
        }
        c = odbcpool__conn_new(p);
        if (c == NULL) {
          pthread_mutex_unlock(&s->lock);
          return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
        }
      } else if (c == NULL && login && p->lists[CONN_IDLE].tail != NULL) {
        /* No room: an idle connection of the pool, which cannot be
         * handed out before the login anyway, makes room. */
        c = p->lists[CONN_IDLE].tail;
        odbcpool__conn_move(c, CONN_IN_USE);
      }
    }
    /* The DSN is full: an idle connection of another user or connection
     * string of the DSN gives way, and this borrower looks again. */
    if (c == NULL && odbcpool__give_way(p))
      continue;
    if (c == NULL) {
      waited = true;
      c = wait_for_grant(p, deadline);
      if (c == NULL) {
        note_wait(p, start_us);
        int code;
        if (s->closing) {
          code = odbcpool__err(err, ODBCPOOL_ECLOSED, "HY000",
                               "the pool set is closing");
        } else {
          p->stats->timeouts++;
          odbcpool__audit_ev(p, ODBCPOOL_AUDIT_WAIT_TIMEOUT, NULL, NULL, -1,
                             (long)((odbcpool__now_us() - start_us) / 1000));
          code = odbcpool__err(
              err, ODBCPOOL_ETIMEDOUT, "HYT00",
              "timeout expired: no connection to DSN '%s' became free in "
              "%ld ms (max_connections = %ld, for all users and connection "
              "strings of the DSN)",
              dsn, timeout, p->cfg->max_connections);
        }
        pthread_mutex_unlock(&s->lock);
        return code;
      }
    }
    if (c->state != CONN_OPENING &&
        odbcpool__reauth_due(p, odbcpool__now_ms())) {
      c = odbcpool__reopen_in_slot(c);
      if (c == NULL) {
        pthread_mutex_unlock(&s->lock);
        return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
      }
    }
    if (c->state == CONN_OPENING) {
      pthread_mutex_unlock(&s->lock);
      /* The application's login timeout, if it set one, as it would
       * apply to a direct connect. The pool sets none of its own: a
       * driver may refuse one that conflicts with the DSN's (psqlODBC
       * with pqopt=connect_timeout does). c, in OPENING, keeps p alive
       * while the lock is not held. */
      uint64_t t0 = odbcpool__now_ms(); /* the password is good as of */
      int code =
          odbcpool__open_audited(p, c, pwd, key->login_timeout, err, diag);
      pthread_mutex_lock(&s->lock);
      if (code != ODBCPOOL_OK) {
        /* The server did not take the password: nothing made with it is
         * handed out again before a login succeeds. */
        if (p->has_pwd && c->refused_reason == NULL)
          odbcpool__password_refused(p);
        odbcpool__open_failed(c);
        /* Failed logins must not leave a pool each behind. */
        odbcpool__pool_prune(p);
        pthread_mutex_unlock(&s->lock);
        return code;
      }
      if (p->has_pwd)
        odbcpool__password_accepted(p, t0);
      p->stats->connects++;
      odbcpool__conn_move(c, CONN_IN_USE);
      if (s->closing)
        pthread_cond_broadcast(&s->idle_cv);
      break;
    }
    /* An idle connection, now IN_USE: check it, bounded by the deadline. */
    int v = validate_for_borrower(c, deadline);
    if (v == VAL_OK)
      break;
    if (v == VAL_TIMEOUT) {
      note_wait(p, start_us);
      p->stats->timeouts++;
      odbcpool__audit_ev(p, ODBCPOOL_AUDIT_WAIT_TIMEOUT, NULL, NULL, -1,
                         (long)((odbcpool__now_us() - start_us) / 1000));
      pthread_mutex_unlock(&s->lock);
      return odbcpool__err(err, ODBCPOOL_ETIMEDOUT, "HYT00",
                           "timeout expired: the validation of a pooled "
                           "connection to DSN '%s' did not finish in %ld ms",
                           dsn, timeout);
    }
    p->stats->validations_failed++;
    odbcpool__close_locked(c, ODBCPOOL_CLOSE_BROKEN);
    if (s->closing) {
      pthread_mutex_unlock(&s->lock);
      return odbcpool__err(err, ODBCPOOL_ECLOSED, "HY000",
                           "the pool set is closing");
    }
  }
  if (waited)
    note_wait(p, start_us);
  else
    note_hist(p, 0);
  p->stats->borrows++;
  c->borrowed_ms = odbcpool__now_ms();
  c->leak_reported = false;
  c->sqlstate[0] = c->errmsg[0] = '\0';
  snprintf(c->purpose, sizeof c->purpose, "%s", purpose ? purpose : "");
  pthread_mutex_unlock(&s->lock);
  odbcpool__audit_ev(p, ODBCPOOL_AUDIT_BORROW, c, NULL, -1,
                     waited ? (long)((odbcpool__now_us() - start_us) / 1000)
                            : 0);
  *out = c;
  return ODBCPOOL_OK;
}

void odbcpool_return(odbcpool_conn *c) {
  if (c == NULL)
    return;
  odbcpool_set *s = c->pool->set;
  if (!c->orphan)
    odbcpool__audit_ev(c->pool, ODBCPOOL_AUDIT_RETURN, c, NULL,
                       (long)(odbcpool__now_ms() - c->borrowed_ms), -1);
  pthread_mutex_lock(&s->lock);
  odbcpool__fork_check(s);
  if (c->orphan) {
    /* Inherited from the parent process: never touch its handle. */
    pthread_mutex_unlock(&s->lock);
    odbcpool__conn_free(c);
    return;
  }
  odbcpool__conn_move(c, CONN_RESETTING);
  c->reset_next = NULL;
  c->returned_ms = odbcpool__now_ms();
  if (s->reset_tail)
    s->reset_tail->reset_next = c;
  else
    s->reset_head = c;
  s->reset_tail = c;
  pthread_cond_signal(&s->work_cv);
  pthread_mutex_unlock(&s->lock);
}
