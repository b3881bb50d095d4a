/* pool_workers.c — the reset workers: the queue of returned
 * connections, the erasure run off the caller's thread, validations a
 * borrower hands over, and more workers when all of them hang. */
#include "build.h"

#include <stdlib.h>

#include "audit.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
#include "util.h"

/* ------------------------------------------------------ reset workers */

/* Closes the handle of `c`, which the watchdog gave up during a reset,
 * once its worker came back, and frees it. Lock held; released during the
 * disconnect. */
static void reap_abandoned(odbcpool_conn *c) {
  struct pool *p = c->pool;
  odbcpool_set *s = p->set;
  pthread_mutex_unlock(&s->lock);
  odbcpool__conn_disconnect(c);
  pthread_mutex_lock(&s->lock);
  odbcpool__log(ODBCPOOL_LOG_INFO,
                "pool %s: the reset of connection %llu, given up after "
                "reset_timeout, came back; connection closed",
                p->dsn, (unsigned long long)c->id);
  odbcpool__conn_free(c);
  p->nabandoned--;
  pthread_cond_broadcast(&s->idle_cv);
}

void odbcpool__workers_replace(odbcpool_set *s) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  if (s->closing || s->nworkers - s->nstuck >= (unsigned)s->cfg0->reset_workers)
    return;
  if (s->nworkers >= s->maxworkers) {
    odbcpool__log(ODBCPOOL_LOG_ERROR,
                  "%u reset workers are stuck in resets that do not return: "
                  "no room for another",
                  s->nstuck);
    return;
  }
  if (pthread_create(&s->workers[s->nworkers], NULL, odbcpool__reset_worker,
                     s) != 0)
    return;
  s->nworkers++;
}

/* Runs the validation a borrower handed to this reset worker (see
 * validate_for_borrower). Returns true if the borrower had given the
 * connection up meanwhile (then it is closed and freed here). Lock held;
 * released during the validation. */
static bool run_validation(odbcpool_conn *c) {
  odbcpool_set *s = c->pool->set;
  uint64_t deadline = c->validation->deadline_ms;
  c->validation_running = true;
  pthread_mutex_unlock(&s->lock);
  bool ok = odbcpool__conn_validate(c, odbcpool__now_ms(), deadline);
  pthread_mutex_lock(&s->lock);
  c->validation_running = false;
  if (c->abandoned) {
    /* The borrower gave up waiting: it is on no list, counted and
     * audited; only the handle is left to close. */
    reap_abandoned(c);
    s->nstuck--;
    return true;
  }
  struct odbcpool__validation *v = c->validation;
  c->validation = NULL;
  v->ok = ok;
  v->done = true;
  pthread_cond_signal(&v->cv);
  return false;
}

void *odbcpool__reset_worker(void *arg) {
  odbcpool_set *s = arg;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (s->reset_head == NULL && !s->closing)
      pthread_cond_wait(&s->work_cv, &s->lock);
    odbcpool_conn *c = s->reset_head;
    if (c == NULL)
      break; /* closing and drained */
    s->reset_head = c->reset_next;
    if (s->reset_head == NULL)
      s->reset_tail = NULL;
    c->reset_next = NULL;
    s->resets_running++;
    if (s->resets_running == s->nworkers - s->nstuck)
      s->all_busy_since_ms = odbcpool__now_ms();
    if (c->validation != NULL) {
      /* Given up by its borrower: its resets_running share went with
       * it (as for a reset the watchdog gives up). */
      if (!run_validation(c)) {
        s->resets_running--;
        s->all_busy_since_ms = 0;
        if (s->reset_head == NULL && s->resets_running == 0)
          pthread_cond_broadcast(&s->idle_cv);
      }
      continue;
    }
    struct pool *p = c->pool;
    int code = ODBCPOOL_OK;
    odbcpool_error err;
    odbcpool__err_clear(&err);
    bool closing = s->closing;
    if (!closing && c->no_reuse < 0) {
      uint64_t t0 = odbcpool__now_ms();
      c->reset_started_ms = t0;
      pthread_mutex_unlock(&s->lock);
      code = odbcpool__reset(c, &err);
      uint64_t took = odbcpool__now_ms() - t0;
      pthread_mutex_lock(&s->lock);
      c->reset_started_ms = 0;
      if (c->abandoned) {
        /* The watchdog gave the connection up while this worker was
         * stuck in it: it is on no list, its slot was freed, its close
         * counted and audited. Only the handle is left to close. */
        reap_abandoned(c);
        s->nstuck--;
        continue;
      }
      pthread_mutex_unlock(&s->lock);
      odbcpool__audit_ev(p,
                         code == ODBCPOOL_OK ? ODBCPOOL_AUDIT_RESET_OK
                                             : ODBCPOOL_AUDIT_RESET_FAILED,
                         c, NULL, (long)took, -1);
      pthread_mutex_lock(&s->lock);
    }
    uint64_t now = odbcpool__now_ms();
    if (closing || s->closing) {
      odbcpool__close_locked(c, ODBCPOOL_CLOSE_SHUTDOWN);
    } else if (c->no_reuse >= 0) {
      odbcpool__log(ODBCPOOL_LOG_DEBUG,
                    "pool %s: connection %llu closed on return: %s", p->dsn,
                    (unsigned long long)c->id, c->no_reuse_why);
      odbcpool__close_locked(c, c->no_reuse);
    } else if (code != ODBCPOOL_OK) {
      p->stats->reset_failures++;
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "pool %s: reset of connection %llu failed, closing it: "
                    "%s",
                    p->dsn, (unsigned long long)c->id, err.message);
      odbcpool__close_locked(c, ODBCPOOL_CLOSE_RESET_FAILED);
    } else {
      p->stats->resets++;
      if (c->reset_light)
        p->stats->resets_light++;
      if (c->expires_ms != 0 && now >= c->expires_ms) {
        odbcpool__close_locked(c, ODBCPOOL_CLOSE_LIFETIME);
      } else if (p->wait_head == NULL && odbcpool__dsn_starved(p)) {
        /* Another user or connection string of the DSN waits for a
         * slot: this connection makes room instead of idling. */
        odbcpool__close_locked(c, ODBCPOOL_CLOSE_GAVE_WAY);
      } else {
        c->idle_since_ms = now;
        odbcpool__conn_move(c, CONN_IDLE);
        odbcpool__pool_dispatch(p);
        /* Borrowers waiting for a reset (reset_wait) look again. */
        if (p->nreset_waiters > 0)
          pthread_cond_broadcast(&s->idle_cv);
      }
    }
    /* Counted as running until the connection is idle or closed, so
     * that odbcpool_quiesce sees the outcome, not a half-way state. */
    s->resets_running--;
    s->all_busy_since_ms = 0;
    if (s->reset_head == NULL && s->resets_running == 0)
      pthread_cond_broadcast(&s->idle_cv);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

void odbcpool__workers_grow(odbcpool_set *s, uint64_t now) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  if (s->closing || s->reset_head == NULL || s->nworkers >= s->maxworkers ||
      s->resets_running < s->nworkers - s->nstuck ||
      s->all_busy_since_ms == 0 || now - s->all_busy_since_ms < 500)
    return;
  if (pthread_create(&s->workers[s->nworkers], NULL, odbcpool__reset_worker,
                     s) != 0)
    return;
  s->nworkers++;
  s->all_busy_since_ms = 0;
  odbcpool__log(ODBCPOOL_LOG_WARN,
                "every reset worker has been busy for more than 500 ms "
                "(a database not answering?): started reset worker %u of %u",
                s->nworkers, s->maxworkers);
}

int odbcpool__threads_start(odbcpool_set *s, odbcpool_error *err) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  unsigned n = (unsigned)s->cfg0->reset_workers;
  /* Room for more workers: when every worker is stuck in a reset (a
   * database that stopped answering), the housekeeper starts another, so
   * the other pools of the set keep being served. */
  s->maxworkers = n * 4 < 64 ? n * 4 : 64;
  if (s->maxworkers < n)
    s->maxworkers = n;
  s->all_busy_since_ms = 0;
  s->workers = calloc(s->maxworkers, sizeof *s->workers);
  if (s->workers == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  s->nworkers = 0;
  for (unsigned i = 0; i < n; i++) {
    if (pthread_create(&s->workers[i], NULL, odbcpool__reset_worker, s) != 0)
      return odbcpool__err(err, ODBCPOOL_ETHREAD, "HY000",
                           "cannot start a reset thread");
    s->nworkers++;
  }
  if (pthread_create(&s->housekeeper, NULL, odbcpool__housekeeper, s) != 0)
    return odbcpool__err(err, ODBCPOOL_ETHREAD, "HY000",
                         "cannot start the housekeeping thread");
  s->threads_started = true;
  return ODBCPOOL_OK;
}
