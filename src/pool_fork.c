/* pool_fork.c — the registry of live pool sets, and what it is for:
 * the fork handlers (every lock taken before fork(), the parent's
 * connections abandoned in the child) and the exit handler (the pool's
 * threads stopped before libcrypto's cleanup, the trails sealed). */
#include "build.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
#include "util.h"

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
  bool started = odbcpool__set_stop(s); /* in a child: none to stop */
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
  struct timespec deadline = odbcpool__realtime_in(EXIT_WAIT_MS);
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
        odbcpool__list_unlink(&p->lists[st], c);
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
