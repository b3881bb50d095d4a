/* housekeeping.c — the thread that enforces idle_timeout, max_lifetime,
 * min_idle and reset_timeout, and reports leaked connections. */
#include "build.h"

#include "audit.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
#include "util.h"

/* How often to look: a quarter of the shortest timer, 10 ms .. 1 s. */
static uint64_t tick_ms(const odbcpool_set *s) {
  uint64_t t = 1000;
  for (const struct pool *p = s->pools; p; p = p->next) {
    const long timers[] = {p->cfg->idle_timeout, p->cfg->max_lifetime,
                           p->cfg->leak_threshold, p->cfg->reset_timeout};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
      if (timers[i] > 0 && (uint64_t)timers[i] / 4 < t)
        t = (uint64_t)timers[i] / 4;
  }
  return t < 10 ? 10 : t;
}

/* Closes the first idle connection past its lifetime or idle timeout.
 * Returns true if it closed one (the lock was released meanwhile, so the
 * caller must look again). Lock held. */
static bool expire_one(struct pool *p, uint64_t now) {
  const struct cfg_pool *cfg = p->cfg;
  for (odbcpool_conn *c = p->lists[CONN_IDLE].tail; c; c = c->prev) {
    if (c->expires_ms != 0 && now >= c->expires_ms) {
      odbcpool__close_locked(c, ODBCPOOL_CLOSE_LIFETIME);
      return true;
    }
    if (cfg->idle_timeout > 0 &&
        now - c->idle_since_ms >= (uint64_t)cfg->idle_timeout &&
        p->lists[CONN_IDLE].n > (unsigned)cfg->min_idle) {
      odbcpool__close_locked(c, ODBCPOOL_CLOSE_IDLE);
      return true;
    }
  }
  return false;
}

static void report_leaks(struct pool *p, uint64_t now) {
  long threshold = p->cfg->leak_threshold;
  if (threshold <= 0)
    return;
  for (odbcpool_conn *c = p->lists[CONN_IN_USE].head; c; c = c->next) {
    if (c->leak_reported || now - c->borrowed_ms < (uint64_t)threshold)
      continue;
    c->leak_reported = true;
    p->stats->leaks++;
    odbcpool__audit_ev(p, ODBCPOOL_AUDIT_LEAK_SUSPECTED, c, NULL,
                       (long)(now - c->borrowed_ms), -1);
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "pool %s: connection %llu borrowed %llu ms ago (purpose "
                  "'%s') has not been returned: possible leak",
                  p->dsn, (unsigned long long)c->id,
                  (unsigned long long)(now - c->borrowed_ms), c->purpose);
  }
}

/* The reset watchdog: see odbcpool__reset_watchdog in pool.h. */
void odbcpool__reset_watchdog(struct pool *p, uint64_t now) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  long limit = p->cfg->reset_timeout;
  odbcpool_conn *c = p->lists[CONN_RESETTING].head;
  while (c != NULL) {
    odbcpool_conn *next = c->next;
    if (c->reset_started_ms != 0 && !c->abandoned &&
        now - c->reset_started_ms >= (uint64_t)limit) {
      /* Off every list: its slot is free now, and no borrower can get
       * it. Its worker, stuck in the driver, frees it if it comes back;
       * another worker takes its place. */
      p->stats->reset_failures++;
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "pool %s: reset of connection %llu still running after "
                    "%ld ms (reset_timeout): connection given up, its slot "
                    "freed",
                    p->dsn, (unsigned long long)c->id, limit);
      odbcpool__audit_ev(p, ODBCPOOL_AUDIT_RESET_FAILED, c, "reset_timeout",
                         (long)(now - c->reset_started_ms), -1);
      odbcpool__give_up(p, c, CONN_RESETTING, ODBCPOOL_CLOSE_RESET_TIMEOUT,
                        now);
    }
    c = next;
  }
}

/* Opens connections until min_idle are idle, one at a time, never past
 * the DSN's max_connections and never ahead of a waiting borrower. Only pools
 * that need no borrower's password can be filled. Lock held. */
static void fill_min_idle(struct pool *p) {
  odbcpool_set *s = p->set;
  const struct cfg_pool *cfg = p->cfg;
  while (!s->closing && !p->has_pwd && p->wait_head == NULL &&
         p->lists[CONN_IDLE].n + p->lists[CONN_OPENING].n <
             (unsigned)cfg->min_idle &&
         odbcpool__dsn_room(p)) {
    odbcpool_conn *c = odbcpool__conn_new(p);
    if (c == NULL)
      return;
    odbcpool_error err;
    pthread_mutex_unlock(&s->lock);
    int code = odbcpool__open_audited(p, c, NULL, 0, &err, NULL);
    pthread_mutex_lock(&s->lock);
    if (code != ODBCPOOL_OK) {
      odbcpool__open_failed(c);
      odbcpool__log(ODBCPOOL_LOG_WARN, "pool %s: min_idle connect failed: %s",
                    p->dsn, err.message);
      return;
    }
    p->stats->connects++;
    c->idle_since_ms = odbcpool__now_ms();
    odbcpool__conn_move(c, CONN_IDLE);
    odbcpool__pool_dispatch(p);
  }
}

void *odbcpool__housekeeper(void *arg) {
  odbcpool_set *s = arg;
  pthread_mutex_lock(&s->lock);
  while (!s->closing) {
    for (struct pool *p = s->pools; p && !s->closing; p = p->next) {
      while (!s->closing && expire_one(p, odbcpool__now_ms()))
        ;
      report_leaks(p, odbcpool__now_ms());
      odbcpool__reset_watchdog(p, odbcpool__now_ms());
      fill_min_idle(p);
    }
    if (s->closing)
      break;
    for (struct pool **pp = &s->pools; *pp;)
      if (!odbcpool__pool_prune(*pp))
        pp = &(*pp)->next;
    uint64_t now = odbcpool__now_ms();
    odbcpool__reload_check(s, now);
    if (s->closing)
      break;
    odbcpool__workers_grow(s, now);
    if (now - s->stats_written_ms >= 1000) {
      s->stats_written_ms = now;
      odbcpool__stats_write(s);
    }
    /* While returns wait behind busy workers, look more often. */
    uint64_t tick = tick_ms(s);
    if (s->reset_head != NULL && tick > 100)
      tick = 100;
    odbcpool__cond_wait_until(&s->hk_cv, &s->lock, odbcpool__now_ms() + tick);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}
