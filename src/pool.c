/* pool.c — a set's pools and their connection lists: moving between
 * states, slots under max_connections, hand-out to waiters, closing; the
 * pools of a key and the lifetime of their passwords. The borrow and
 * return paths are in pool_borrow.c, the reset workers in
 * pool_workers.c, fork and exit in pool_fork.c, the timers in
 * housekeeping.c. */
#include "build.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "pool_impl.h"
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

void odbcpool__list_unlink(struct conn_list *l, odbcpool_conn *c) {
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
  odbcpool__list_unlink(&p->lists[c->state], c);
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
void odbcpool__slot_release(struct pool *p) {
  p->ds->nconns--;
}

void odbcpool__give_up(struct pool *p, odbcpool_conn *c, enum conn_state from,
                       odbcpool_close_reason reason, uint64_t now) {
  ODBCPOOL_ASSERT_HELD(&p->set->lock);
  odbcpool_set *s = p->set;
  odbcpool__list_unlink(&p->lists[from], c);
  odbcpool__slot_release(p);
  c->abandoned = true;
  p->nabandoned++;
  p->stats->closes[reason]++;
  s->resets_running--;
  s->nstuck++;
  s->all_busy_since_ms = 0;
  odbcpool__audit_ev(p, ODBCPOOL_AUDIT_CLOSE, c,
                     odbcpool_close_reason_name(reason),
                     (long)(now - c->created_ms), -1);
  odbcpool__workers_replace(s);
  odbcpool__pool_dispatch(p);
  pthread_cond_broadcast(&s->idle_cv);
}

int odbcpool__open_audited(struct pool *p, odbcpool_conn *c, const char *pwd,
                           SQLUINTEGER login_timeout, odbcpool_error *err,
                           struct odbcpool__diag *diag) {
  uint64_t t0 = odbcpool__now_ms();
  int code = odbcpool__conn_open(c, pwd, login_timeout, err, diag);
  if (code == ODBCPOOL_OK)
    odbcpool__audit_ev(p, ODBCPOOL_AUDIT_OPEN, c, NULL,
                       (long)(odbcpool__now_ms() - t0), -1);
  else if (c->refused_reason != NULL)
    odbcpool__audit_ev(p, ODBCPOOL_AUDIT_REFUSED, c, c->refused_reason, -1,
                       -1);
  else if (p->has_pwd)
    odbcpool__audit_ev(p, ODBCPOOL_AUDIT_REFUSED, c, "login_failed", -1, -1);
  return code;
}

bool odbcpool__set_stop(odbcpool_set *s) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  s->closing = true;
  odbcpool__fork_check(s);
  pthread_cond_broadcast(&s->work_cv);
  pthread_cond_broadcast(&s->hk_cv);
  for (struct pool *p = s->pools; p; p = p->next)
    for (struct waiter *w = p->wait_head; w; w = w->next)
      pthread_cond_signal(&w->cv);
  return s->threads_started;
}

/* Whether a pool of p's DSN other than `p` has borrowers waiting. */
bool odbcpool__dsn_starved(const struct pool *p) {
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
odbcpool_conn *odbcpool__take_idle(struct pool *p) {
  odbcpool_conn *c = p->lists[CONN_IDLE].head;
  if (c != NULL)
    odbcpool__conn_move(c, CONN_IN_USE);
  return c;
}

/* Hands p's idle connections and free slots of its DSN to p's waiters.
 * Lock held. */
static void dispatch_one(struct pool *p) {
  while (p->wait_head != NULL) {
    odbcpool_conn *c = odbcpool__take_idle(p);
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
  odbcpool__list_unlink(&p->lists[CONN_CLOSING], c);
  odbcpool__slot_release(p);
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
  odbcpool__list_unlink(&p->lists[CONN_OPENING], c);
  odbcpool__slot_release(p);
  odbcpool__conn_free(c);
  p->stats->connect_failures++;
  odbcpool__pool_dispatch(p);
  pthread_cond_broadcast(&p->set->idle_cv);
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
bool odbcpool__reauth_due(const struct pool *p, uint64_t now) {
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
void odbcpool__password_accepted(struct pool *p, uint64_t now) {
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
void odbcpool__password_refused(struct pool *p) {
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
odbcpool_conn *odbcpool__reopen_in_slot(odbcpool_conn *c) {
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
