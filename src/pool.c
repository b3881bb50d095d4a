/* pool.c — borrow and return: lists, fair waiting, reset queue, fork. */
#include "build.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit.h"
#include "dm.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "util.h"

/* Process-unique connection ids. */
static uint64_t next_conn_id = 1;

/* ------------------------------------------------------------- audit */

const struct odbcpool__cred *odbcpool__pool_creds(const struct pool *p) {
  /* Decrypted at open, for the sections of the config opened then. */
  const struct cfg *cfg = p->set->cfg0;
  if (p->set->creds == NULL)
    return NULL;
  for (size_t i = 0; i < cfg->npools; i++)
    if (strcmp(cfg->pools[i].dsn, p->dsn) == 0)
      return p->set->creds[i];
  return NULL;
}

void odbcpool__audit_ev(struct pool *p, int event, const odbcpool_conn *c,
                        const char *reason, long duration_ms, long wait_ms) {
  if (p->set->audit == NULL)
    return;
  const struct odbcpool__cred *cred = odbcpool__pool_creds(p);
  struct odbcpool__audit_rec r = {.event = (enum odbcpool__audit_event)event,
                                  .pool = p->dsn,
                                  .conn = c ? c->id : 0,
                                  .user = p->uid ? p->uid
                                          : cred ? cred->uid
                                                 : NULL,
                                  .purpose =
                                      c && c->purpose[0] ? c->purpose : NULL,
                                  .reason = reason,
                                  .duration_ms = duration_ms,
                                  .wait_ms = wait_ms};
  odbcpool__audit_log(p->set->audit, &r);
}

/* ------------------------------------------------------------- lists */

static void list_unlink(struct conn_list *l, odbcpool_conn *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    l->head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    l->tail = c->prev;
  c->prev = c->next = NULL;
  l->n--;
}

static void list_push_head(struct conn_list *l, odbcpool_conn *c) {
  c->prev = NULL;
  c->next = l->head;
  if (l->head)
    l->head->prev = c;
  else
    l->tail = c;
  l->head = c;
  l->n++;
}

void odbcpool__conn_move(odbcpool_conn *c, enum conn_state state) {
  ODBCPOOL_ASSERT_HELD(&c->pool->set->lock);
  struct pool *p = c->pool;
  list_unlink(&p->lists[c->state], c);
  c->state = state;
  /* Idle connections are handed out most recently used first, so that
   * the oldest ones reach idle_timeout and the pool shrinks. */
  list_push_head(&p->lists[state], c);
}

unsigned odbcpool__pool_total(const struct pool *p) {
  unsigned n = 0;
  for (int i = 0; i < CONN_NSTATES; i++)
    n += p->lists[i].n;
  return n;
}

bool odbcpool__dsn_room(const struct pool *p) {
  return p->ds->nconns < (unsigned)p->cfg->max_connections;
}

/* A connection of `p` left the lists for good: its slot is free. */
static void slot_release(struct pool *p) {
  p->ds->nconns--;
}

/* Whether a pool of p's DSN other than `p` has borrowers waiting. */
static bool dsn_starved(const struct pool *p) {
  for (const struct pool *q = p->set->pools; q; q = q->next)
    if (q != p && q->ds == p->ds && q->wait_head != NULL)
      return true;
  return false;
}

bool odbcpool__give_way(struct pool *p) {
  odbcpool_set *s = p->set;
  if (s->closing)
    return false;
  for (struct pool *q = s->pools; q; q = q->next) {
    if (q == p || q->ds != p->ds || q->lists[CONN_IDLE].tail == NULL)
      continue;
    odbcpool_conn *c = q->lists[CONN_IDLE].tail; /* least recently used */
    odbcpool__log(ODBCPOOL_LOG_DEBUG,
                  "pool %s: idle connection %llu closed: another user or "
                  "connection string of the DSN waits (max_connections)",
                  q->dsn, (unsigned long long)c->id);
    odbcpool__close_locked(c, ODBCPOOL_CLOSE_GAVE_WAY);
    return true;
  }
  return false;
}

odbcpool_conn *odbcpool__conn_new(struct pool *p) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  odbcpool_conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->pool = p;
  c->cfg = p->cfg;
  c->id = __atomic_fetch_add(&next_conn_id, 1, __ATOMIC_RELAXED);
  c->state = CONN_OPENING;
  c->generation = p->set->generation;
  list_push_head(&p->lists[CONN_OPENING], c);
  p->ds->nconns++;
  return c;
}

/* Takes the most recently returned idle connection, as IN_USE. */
static odbcpool_conn *take_idle(struct pool *p) {
  odbcpool_conn *c = p->lists[CONN_IDLE].head;
  if (c != NULL)
    odbcpool__conn_move(c, CONN_IN_USE);
  return c;
}

/* Hands p's idle connections and free slots of its DSN to p's waiters.
 * Lock held. */
static void dispatch_one(struct pool *p) {
  while (p->wait_head != NULL) {
    odbcpool_conn *c = take_idle(p);
    if (c == NULL) {
      if (p->set->closing || !odbcpool__dsn_room(p))
        return;
      c = odbcpool__conn_new(p);
      if (c == NULL)
        return;
    }
    struct waiter *w = p->wait_head;
    p->wait_head = w->next;
    if (p->wait_head == NULL)
      p->wait_tail = NULL;
    p->nwaiting--;
    w->granted = c;
    pthread_cond_signal(&w->cv);
  }
}

/* The pool's own waiters first, then those of the other pools of its
 * DSN, which share its max_connections. */
void odbcpool__pool_dispatch(struct pool *p) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  dispatch_one(p);
  for (struct pool *q = p->set->pools; q; q = q->next)
    if (q != p && q->ds == p->ds && q->wait_head != NULL)
      dispatch_one(q);
}

/* Disconnects `c` (CLOSING meanwhile), audits and counts the close, frees
 * it and its slot. Lock held; released during the disconnect. */
static void close_and_free(odbcpool_conn *c, int reason) {
  struct pool *p = c->pool;
  odbcpool_set *s = p->set;
  odbcpool__conn_move(c, CONN_CLOSING);
  pthread_mutex_unlock(&s->lock);
  odbcpool__conn_disconnect(c);
  odbcpool__audit_ev(p, ODBCPOOL_AUDIT_CLOSE, c,
                     odbcpool_close_reason_name(reason),
                     (long)(odbcpool__now_ms() - c->created_ms), -1);
  pthread_mutex_lock(&s->lock);
  list_unlink(&p->lists[CONN_CLOSING], c);
  slot_release(p);
  p->stats->closes[reason]++;
  odbcpool__log(ODBCPOOL_LOG_DEBUG, "pool %s: closed connection %llu (%s)",
                p->dsn, (unsigned long long)c->id,
                odbcpool_close_reason_name(reason));
  odbcpool__conn_free(c);
}

void odbcpool__close_locked(odbcpool_conn *c, int reason) {
  ODBCPOOL_ASSERT_HELD(&c->pool->set->lock);
  struct pool *p = c->pool;
  close_and_free(c, reason);
  /* The slot is free: a waiter may open a new connection in it. */
  odbcpool__pool_dispatch(p);
  pthread_cond_broadcast(&p->set->idle_cv);
}

void odbcpool__open_failed(odbcpool_conn *c) {
  ODBCPOOL_ASSERT_HELD(&c->pool->set->lock);
  struct pool *p = c->pool;
  list_unlink(&p->lists[CONN_OPENING], c);
  slot_release(p);
  odbcpool__conn_free(c);
  p->stats->connect_failures++;
  odbcpool__pool_dispatch(p);
  pthread_cond_broadcast(&p->set->idle_cv);
}

/* -------------------------------------------------------- fork safety */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static odbcpool_set *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The prepare handler takes every lock a child might need, so the child
 * never inherits a lock held by a thread that does not exist there. */
static void atfork_prepare(void) {
  pthread_mutex_lock(&registry_lock);
  for (odbcpool_set *s = registry; s; s = s->reg_next) {
    /* Lock order: reload, environment, set. */
    pthread_mutex_lock(&s->reload_lock);
    pthread_mutex_lock(&s->env_lock);
    pthread_mutex_lock(&s->lock);
    /* Lock order: pool, then audit trail. */
    odbcpool__audit_atfork_prepare(s->audit);
  }
}

static void atfork_release(void) {
  for (odbcpool_set *s = registry; s; s = s->reg_next) {
    odbcpool__audit_atfork_release(s->audit);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&s->env_lock);
    pthread_mutex_unlock(&s->reload_lock);
  }
  pthread_mutex_unlock(&registry_lock);
}

static void atfork_install(void) {
  pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

/* ------------------------------------------------------- process exit */

/* At process exit nothing else stops the pool's threads (the driver
 * never closes its pool sets: the driver manager may be gone by then),
 * and they would go on resetting, auditing and connecting while exit()
 * tears down the libraries under them: a reset worker computing an
 * audit MAC after libcrypto's OPENSSL_cleanup crashed the process, or
 * wrote a record with a MAC that never verifies. So exit is ordered:
 * this handler stops the threads first (each finishes what it is doing,
 * bounded by EXIT_WAIT_MS for all sets together), then seals every
 * trail, so that no record is MAC'd afterwards in this process (one
 * that would be is counted as lost, see audit.h).
 *
 * Order: atexit handlers run last registered first. libcrypto registers
 * its cleanup with atexit when it is first initialised; initialising it
 * here, before registering this handler, makes this one run before
 * libcrypto's cleanup whether the process initialised libcrypto long
 * before (the application, libpq, a TLS driver) or only now. The other
 * way, OPENSSL_INIT_NO_ATEXIT and our own cleanup, works only for the
 * first to initialise libcrypto in the process, which a library cannot
 * know, and would take libcrypto away from the others in the process.
 *
 * The handler calls into the driver manager only through the threads it
 * stops (a worker finishing a reset, closing the connections queued for
 * reset): it is an exit handler, not a library destructor, so no driver
 * manager lock is held by this thread, and the driver manager is still
 * loaded. A thread still busy at the deadline (a database that does not
 * answer) is left running; the trails are sealed all the same. */
#define EXIT_WAIT_MS 3000

/* Stops s's threads by the realtime `deadline`. Returns false if one
 * is still running. */
static bool stop_threads_at_exit(odbcpool_set *s,
                                 const struct timespec *deadline) {
  if (pthread_mutex_timedlock(&s->lock, deadline) != 0)
    return false;
  s->closing = true;
  odbcpool__fork_check(s); /* in a child: no threads to stop */
  pthread_cond_broadcast(&s->work_cv);
  pthread_cond_broadcast(&s->hk_cv);
  for (struct pool *p = s->pools; p; p = p->next)
    for (struct waiter *w = p->wait_head; w; w = w->next)
      pthread_cond_signal(&w->cv);
  bool started = s->threads_started;
  unsigned n = s->workers != NULL ? s->nworkers : 0; /* none after a fork */
  pthread_mutex_unlock(&s->lock);

  /* Joined threads leave the set's list, so that odbcpool_close, if the
   * application calls it later, joins only those still running. */
  bool hk_joined = !started;
  if (started && pthread_timedjoin_np(s->housekeeper, NULL, deadline) == 0)
    hk_joined = true;
  unsigned left = 0;
  for (unsigned i = 0; i < n; i++)
    if (pthread_timedjoin_np(s->workers[i], NULL, deadline) != 0)
      s->workers[left++] = s->workers[i];
  pthread_mutex_lock(&s->lock);
  s->nworkers = left;
  if (hk_joined)
    s->threads_started = false;
  pthread_mutex_unlock(&s->lock);
  return hk_joined && left == 0;
}

static void stop_at_exit(void) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += EXIT_WAIT_MS / 1000;
  deadline.tv_nsec += (long)(EXIT_WAIT_MS % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  if (pthread_mutex_timedlock(&registry_lock, &deadline) != 0)
    return;
  for (odbcpool_set *s = registry; s; s = s->reg_next) {
    if (!stop_threads_at_exit(s, &deadline))
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "exit: a pool thread is still busy after %d ms (a "
                    "database not answering?); exiting without it",
                    EXIT_WAIT_MS);
    odbcpool__audit_seal(s->audit);
  }
  pthread_mutex_unlock(&registry_lock);
}

static void exit_install(void) {
  OPENSSL_init_crypto(0, NULL); /* registers libcrypto's cleanup first */
  atexit(stop_at_exit);
}

void odbcpool__registry_add(odbcpool_set *s) {
  static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
  pthread_once(&exit_once, exit_install);
  pthread_once(&atfork_once, atfork_install);
  pthread_mutex_lock(&registry_lock);
  s->reg_next = registry;
  registry = s;
  pthread_mutex_unlock(&registry_lock);
}

void odbcpool__registry_remove(odbcpool_set *s) {
  pthread_mutex_lock(&registry_lock);
  for (odbcpool_set **pp = &registry; *pp; pp = &(*pp)->reg_next) {
    if (*pp == s) {
      *pp = s->reg_next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
}

/* In a forked child, the connections belong to the parent: their sockets
 * are shared with it, so nothing may be sent on them, not even a
 * disconnect. They are abandoned (handles leaked on purpose), and the
 * threads, which fork() did not copy, are started again. Called with the
 * lock held, on the first call into the set in the child. */
void odbcpool__fork_check(odbcpool_set *s) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  pid_t self = getpid();
  if (s->pid == self)
    return;
  s->pid = self;
  s->generation++;
  odbcpool__cond_init(&s->work_cv);
  odbcpool__cond_init(&s->hk_cv);
  odbcpool__cond_init(&s->idle_cv);
  s->reset_head = s->reset_tail = NULL;
  s->resets_running = 0;
  /* Connections given up in a stuck reset stay the parent's. */
  s->nstuck = 0;
  for (struct dsn_stats *d = s->dsns; d; d = d->next)
    d->nconns = 0;
  for (struct pool *p = s->pools; p; p = p->next) {
    for (int st = 0; st < CONN_NSTATES; st++) {
      odbcpool_conn *c;
      while ((c = p->lists[st].head) != NULL) {
        list_unlink(&p->lists[st], c);
        p->stats->closes[ODBCPOOL_CLOSE_FORKED]++;
        c->orphan = true;
        /* A borrowed one is still held by this thread: it is freed when
         * returned. The others have no holder left in this process. */
        if (st != CONN_IN_USE)
          odbcpool__conn_free(c);
      }
    }
    p->wait_head = p->wait_tail = NULL;
    p->nwaiting = 0;
    p->nabandoned = 0;
    p->nreset_waiters = 0;
  }
  free(s->workers);
  s->workers = NULL;
  s->threads_started = false;
  odbcpool_error err;
  if (!s->closing && odbcpool__threads_start(s, &err) != ODBCPOOL_OK)
    odbcpool__log(ODBCPOOL_LOG_ERROR, "after fork: %s", err.message);
}

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

void odbcpool__reset_watchdog(struct pool *p, uint64_t now) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  odbcpool_set *s = p->set;
  long limit = p->cfg->reset_timeout;
  odbcpool_conn *c = p->lists[CONN_RESETTING].head;
  while (c != NULL) {
    odbcpool_conn *next = c->next;
    if (c->reset_started_ms != 0 && !c->abandoned &&
        now - c->reset_started_ms >= (uint64_t)limit) {
      /* Off every list: its slot is free now, and no borrower can get
       * it. Its worker, stuck in the driver, frees it if it comes back;
       * another worker takes its place. */
      list_unlink(&p->lists[CONN_RESETTING], c);
      slot_release(p);
      c->abandoned = true;
      p->nabandoned++;
      p->stats->reset_failures++;
      p->stats->closes[ODBCPOOL_CLOSE_RESET_TIMEOUT]++;
      s->resets_running--;
      s->nstuck++;
      s->all_busy_since_ms = 0;
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "pool %s: reset of connection %llu still running after "
                    "%ld ms (reset_timeout): connection given up, its slot "
                    "freed",
                    p->dsn, (unsigned long long)c->id, limit);
      odbcpool__audit_ev(p, ODBCPOOL_AUDIT_RESET_FAILED, c, "reset_timeout",
                         (long)(now - c->reset_started_ms), -1);
      odbcpool__audit_ev(
          p, ODBCPOOL_AUDIT_CLOSE, c,
          odbcpool_close_reason_name(ODBCPOOL_CLOSE_RESET_TIMEOUT),
          (long)(now - c->created_ms), -1);
      odbcpool__workers_replace(s);
      odbcpool__pool_dispatch(p);
      pthread_cond_broadcast(&s->idle_cv);
    }
    c = next;
  }
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

static bool run_validation(odbcpool_conn *c);

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
      } else if (p->wait_head == NULL && dsn_starved(p)) {
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

/* -------------------------------------------------------------- pools */

static void verifier(const odbcpool_set *s, const char *pwd,
                     unsigned char out[32]) {
  unsigned int len = 32;
  memset(out, 0, 32);
  if (pwd != NULL)
    HMAC(EVP_sha256(), s->key, sizeof s->key, (const unsigned char *)pwd,
         strlen(pwd), out, &len);
}

static bool same_str(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static void pool_free(struct pool *p) {
  free(p->dsn);
  free(p->uid);
  odbcpool__wipe_free(p->extra); /* may hold a password (Password=) */
  free(p);
}

static struct dsn_stats *dsn_stats_get(odbcpool_set *s, const char *dsn) {
  for (struct dsn_stats *d = s->dsns; d; d = d->next)
    if (strcmp(d->dsn, dsn) == 0)
      return d;
  struct dsn_stats *d = calloc(1, sizeof *d);
  if (d == NULL || (d->dsn = odbcpool__strdup(dsn)) == NULL) {
    free(d);
    return NULL;
  }
  d->next = s->dsns;
  s->dsns = d;
  return d;
}

/* The pool that min_idle keeps filled: the DSN's own credentials. */
static bool is_config_pool(const struct pool *p) {
  return p->uid == NULL && !p->has_pwd && p->extra == NULL && !p->wide &&
         p->npre == 0 && p->odbc_version == SQL_OV_ODBC3_80 &&
         p->cfg->min_idle > 0;
}

bool odbcpool__pool_prune(struct pool *p) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  odbcpool_set *s = p->set;
  if (odbcpool__pool_total(p) > 0 || p->nwaiting > 0 || p->nabandoned > 0 ||
      p->nreset_waiters > 0 || is_config_pool(p))
    return false;
  for (struct pool **pp = &s->pools; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  pool_free(p);
  return true;
}

static SQLINTEGER version_of(const struct odbcpool__key *key) {
  return key->odbc_version ? key->odbc_version : (SQLINTEGER)SQL_OV_ODBC3_80;
}

static bool same_pre(const struct pool *p, const struct odbcpool__key *key) {
  if (p->npre != key->npre)
    return false;
  for (int i = 0; i < key->npre; i++) {
    bool found = false;
    for (int j = 0; j < p->npre && !found; j++)
      found = p->pre[j].attr == key->pre[i].attr &&
              p->pre[j].value == key->pre[i].value;
    if (!found)
      return false;
  }
  return true;
}

/* Finds or creates the pool for `key`, computing the password verifier
 * once and scanning the pools once. Verifiers are compared in constant
 * time. A user whose pools were made with another password gets a pool
 * of its own: the server decides about that password when the pool
 * opens its first connection (a real login). NULL is ENOMEM. Called
 * with the lock held. */
struct pool *odbcpool__pool_get(odbcpool_set *s,
                                const struct odbcpool__key *key) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  assert(key->npre >= 0 && key->npre <= ODBCPOOL_PREATTR_MAX);
  unsigned char v[32];
  verifier(s, key->pwd, v);
  bool has_pwd = key->pwd != NULL;
  struct pool *found = NULL;
  for (struct pool *p = s->pools; p; p = p->next) {
    if (strcmp(p->dsn, key->dsn) != 0 || !same_str(p->uid, key->uid) ||
        !same_str(p->extra, key->extra) || p->wide != key->wide ||
        p->odbc_version != version_of(key) || !same_pre(p, key))
      continue;
    bool same =
        p->has_pwd == has_pwd && CRYPTO_memcmp(p->verifier, v, sizeof v) == 0;
    if (same)
      found = p;
  }
  if (found != NULL) {
    OPENSSL_cleanse(v, sizeof v);
    return found;
  }
  struct pool *p = calloc(1, sizeof *p);
  if (p == NULL) {
    OPENSSL_cleanse(v, sizeof v);
    return NULL;
  }
  p->dsn = odbcpool__strdup(key->dsn);
  p->uid = odbcpool__strdup(key->uid);
  p->extra = odbcpool__strdup(key->extra);
  p->ds = dsn_stats_get(s, key->dsn);
  if (p->dsn == NULL || (key->uid != NULL && p->uid == NULL) ||
      (key->extra != NULL && p->extra == NULL) || p->ds == NULL) {
    OPENSSL_cleanse(v, sizeof v);
    pool_free(p);
    return NULL;
  }
  p->stats = &p->ds->c;
  p->set = s;
  p->cfg = odbcpool__cfg_pool(s->cfg, key->dsn);
  memcpy(p->verifier, v, sizeof v);
  OPENSSL_cleanse(v, sizeof v);
  p->has_pwd = has_pwd;
  p->verified_ms = 0; /* the first borrower logs in */
  p->wide = key->wide;
  p->odbc_version = version_of(key);
  p->npre = key->npre;
  for (int i = 0; i < key->npre; i++)
    p->pre[i] = key->pre[i];
  p->reset_conn_support = -1;
  p->next = s->pools;
  s->pools = p;
  return p;
}

/* ------------------------------------------------- password lifetime */

/* Whether a borrower of `p` must log in for real before its pooled
 * connections are used: a pool made with an application's password
 * whose last real login is reauth_interval old, or that the server
 * refused since. Lock held. */
static bool reauth_due(const struct pool *p, uint64_t now) {
  if (!p->has_pwd)
    return false;
  if (p->verified_ms == 0)
    return true;
  return now - p->verified_ms >= (uint64_t)p->cfg->reauth_interval;
}

static bool same_password(const struct pool *a, const struct pool *b) {
  return a->has_pwd == b->has_pwd &&
         CRYPTO_memcmp(a->verifier, b->verifier, sizeof a->verifier) == 0;
}

/* The server accepted the password of `p` in a real login at `now`: the
 * pooled connections made with it (in any pool of the DSN and user) may
 * be handed out for another reauth_interval. Another password of the
 * same user is now in doubt (the password was changed, or that one is
 * wrong): its pools log in again at their next borrow. Lock held. */
static void password_accepted(struct pool *p, uint64_t now) {
  for (struct pool *q = p->set->pools; q; q = q->next) {
    if (q->ds != p->ds || !q->has_pwd || !same_str(q->uid, p->uid))
      continue;
    q->verified_ms = same_password(q, p) ? now : 0;
  }
}

/* A real login with the password of `p` failed: no pooled connection
 * made with that password (in any pool of the DSN and user) may be used
 * again. Idle ones are closed now, borrowed and returning ones when they
 * come back, and the next borrower with the password logs in again.
 * Lock held; released while connections are closed (a pool being
 * closed keeps a connection in CLOSING, so it is not freed meanwhile). */
static void password_refused(struct pool *p) {
  for (struct pool *q = p->set->pools; q; q = q->next) {
    if (q->ds != p->ds || !q->has_pwd || !same_str(q->uid, p->uid) ||
        !same_password(q, p))
      continue;
    q->verified_ms = 0;
    const enum conn_state busy[] = {CONN_IN_USE, CONN_RESETTING};
    for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++) {
      for (odbcpool_conn *c = q->lists[busy[i]].head; c; c = c->next) {
        if (c->no_reuse < 0) {
          c->no_reuse = ODBCPOOL_CLOSE_REAUTH;
          c->no_reuse_why = "the server refused its password since";
        }
      }
    }
    while (q->lists[CONN_IDLE].head != NULL)
      odbcpool__close_locked(q->lists[CONN_IDLE].head, ODBCPOOL_CLOSE_REAUTH);
  }
}

/* Closes `c`, an idle connection just taken (IN_USE), and returns a new
 * connection in state OPENING in its slot, for a borrower that must log
 * in for real: the slot is not given to anyone else meanwhile. NULL when
 * out of memory (the slot is then free). Lock held; released while the
 * old connection is disconnected. */
static odbcpool_conn *reopen_in_slot(odbcpool_conn *c) {
  struct pool *p = c->pool;
  odbcpool_set *s = p->set;
  close_and_free(c, ODBCPOOL_CLOSE_REAUTH);
  odbcpool_conn *n = odbcpool__conn_new(p);
  if (n == NULL) {
    odbcpool__pool_dispatch(p);
    pthread_cond_broadcast(&s->idle_cv);
  }
  return n;
}

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
    list_unlink(&p->lists[CONN_IN_USE], c);
    slot_release(p);
    c->abandoned = true;
    p->nabandoned++;
    p->stats->validations_failed++;
    p->stats->closes[ODBCPOOL_CLOSE_VALIDATION_TIMEOUT]++;
    s->resets_running--;
    s->nstuck++;
    s->all_busy_since_ms = 0;
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "pool %s: validation of connection %llu did not finish "
                  "before the borrower's deadline: connection given up, its "
                  "slot freed",
                  p->dsn, (unsigned long long)c->id);
    odbcpool__audit_ev(
        p, ODBCPOOL_AUDIT_CLOSE, c,
        odbcpool_close_reason_name(ODBCPOOL_CLOSE_VALIDATION_TIMEOUT),
        (long)(now - c->created_ms), -1);
    odbcpool__workers_replace(s);
    odbcpool__pool_dispatch(p);
    pthread_cond_broadcast(&s->idle_cv);
    result = VAL_TIMEOUT;
  }
  pthread_cond_destroy(&v.cv);
  return result;
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
    bool login = reauth_due(p, odbcpool__now_ms());
    if (p->wait_head == NULL) {
      if (!login)
        c = take_idle(p);
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
    if (c->state != CONN_OPENING && reauth_due(p, odbcpool__now_ms())) {
      c = reopen_in_slot(c);
      if (c == NULL) {
        pthread_mutex_unlock(&s->lock);
        return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
      }
    }
    if (c->state == CONN_OPENING) {
      pthread_mutex_unlock(&s->lock);
      uint64_t t0 = odbcpool__now_ms();
      /* The application's login timeout, if it set one, as it would
       * apply to a direct connect. The pool sets none of its own: a
       * driver may refuse one that conflicts with the DSN's (psqlODBC
       * with pqopt=connect_timeout does). */
      int code = odbcpool__conn_open(c, pwd, key->login_timeout, err, diag);
      /* c, in OPENING, keeps p alive while the lock is not held. */
      if (code == ODBCPOOL_OK)
        odbcpool__audit_ev(p, ODBCPOOL_AUDIT_OPEN, c, NULL,
                           (long)(odbcpool__now_ms() - t0), -1);
      else if (c->refused_reason != NULL)
        odbcpool__audit_ev(p, ODBCPOOL_AUDIT_REFUSED, c, c->refused_reason, -1,
                           -1);
      else if (p->has_pwd)
        odbcpool__audit_ev(p, ODBCPOOL_AUDIT_REFUSED, c, "login_failed", -1,
                           -1);
      pthread_mutex_lock(&s->lock);
      if (code != ODBCPOOL_OK) {
        /* The server did not take the password: nothing made with it is
         * handed out again before a login succeeds. */
        if (p->has_pwd && c->refused_reason == NULL)
          password_refused(p);
        odbcpool__open_failed(c);
        /* Failed logins must not leave a pool each behind. */
        odbcpool__pool_prune(p);
        pthread_mutex_unlock(&s->lock);
        return code;
      }
      if (p->has_pwd)
        password_accepted(p, t0);
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
