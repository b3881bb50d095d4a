/* reload.c — picking up a changed pool config in a running process. */
#include "build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "pool.h"
#include "util.h"

/* True if the file's identity (inode, size, modification time) differs. */
static bool changed(const struct stat *a, const struct stat *b) {
  return a->st_ino != b->st_ino || a->st_dev != b->st_dev ||
         a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
         a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

void odbcpool__reload_init(odbcpool_set *s) {
  if (stat(s->cfg->path, &s->cfg_st) != 0)
    memset(&s->cfg_st, 0, sizeof s->cfg_st);
}

/* Values of setting `st` in the sections of two configs differ: for the
 * settings that apply only at start, whose change is logged. */
static bool differs(const struct cfg *a, const struct cfg_pool *pa,
                    const struct cfg *b, const struct cfg_pool *pb,
                    const struct cfg_setting *st) {
  const void *x = odbcpool__cfg_value(a, pa, st);
  const void *y = odbcpool__cfg_value(b, pb, st);
  switch (st->type) {
  case CFG_BOOL:
    return *(const bool *)x != *(const bool *)y;
  case CFG_STRING:
  case CFG_PATH:
  case CFG_LIST: {
    const char *u = *(char *const *)x, *v = *(char *const *)y;
    return (u == NULL) != (v == NULL) || (u && strcmp(u, v) != 0);
  }
  default:
    return *(const long *)x != *(const long *)y;
  }
}

/* Logs every setting that changed but applies only at start. */
static void log_start_only(const struct cfg *old, const struct cfg *new) {
  for (size_t i = 0; i < odbcpool__cfg_nsettings; i++) {
    const struct cfg_setting *st = &odbcpool__cfg_settings[i];
    if (st->reload)
      continue;
    bool diff = false;
    if (st->defaults_only)
      diff = differs(old, &old->defaults, new, &new->defaults, st);
    for (size_t k = 0; !diff && !st->defaults_only && k < new->npools; k++)
      diff = differs(old, odbcpool__cfg_pool(old, new->pools[k].dsn), new,
                     &new->pools[k], st);
    if (diff)
      odbcpool__log(ODBCPOOL_LOG_WARN,
                    "%s: %s%s%s changed: it applies only when the process "
                    "starts, the value in force stays",
                    new->path, st->section ? st->section : "",
                    st->section ? "." : "", st->name);
  }
}

/* Loads the file and swaps it in. Called with reload_lock held and the
 * set lock not held. */
static int reload_locked(odbcpool_set *s, odbcpool_error *err) {
  struct stat now;
  if (stat(s->cfg0->path, &now) != 0)
    memset(&now, 0, sizeof now);
  struct cfg *cfg = NULL;
  int code = odbcpool__cfg_load(s->cfg0->path, &cfg, err);
  /* Seen, good or bad: a refused file is not tried again until it
   * changes again. */
  s->cfg_st = now;
  if (code != ODBCPOOL_OK) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "pool config not reloaded, the settings in force stay: %s",
                  err->message);
    return code;
  }
  struct cfg **r = realloc(s->retired, (s->nretired + 1) * sizeof *r);
  if (r == NULL) {
    odbcpool__cfg_free(cfg);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, "HY001", "out of memory");
  }
  s->retired = r;
  log_start_only(s->cfg0, cfg);
  pthread_mutex_lock(&s->lock);
  s->retired[s->nretired++] = s->cfg;
  s->cfg = cfg;
  for (struct pool *p = s->pools; p; p = p->next) {
    p->cfg = odbcpool__cfg_pool(cfg, p->dsn);
    /* A larger max_connections frees slots for those waiting. */
    odbcpool__pool_dispatch(p);
  }
  pthread_cond_broadcast(&s->hk_cv);
  pthread_mutex_unlock(&s->lock);
  odbcpool__log(ODBCPOOL_LOG_INFO, "reloaded pool config %s", cfg->path);
  return ODBCPOOL_OK;
}

int odbcpool_reload(odbcpool_set *s, odbcpool_error *err) {
  odbcpool__err_clear(err);
  if (s == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, "HY009",
                         "odbcpool_reload: set is required");
  pthread_mutex_lock(&s->reload_lock);
  int code = reload_locked(s, err);
  pthread_mutex_unlock(&s->reload_lock);
  return code;
}

void odbcpool__reload_check(odbcpool_set *s, uint64_t now) {
  ODBCPOOL_ASSERT_HELD(&s->lock);
  if (now - s->cfg_checked_ms < 1000)
    return;
  s->cfg_checked_ms = now;
  pthread_mutex_unlock(&s->lock);
  if (pthread_mutex_trylock(&s->reload_lock) == 0) {
    struct stat st;
    if (stat(s->cfg0->path, &st) == 0 && changed(&st, &s->cfg_st)) {
      odbcpool_error err;
      reload_locked(s, &err);
    }
    pthread_mutex_unlock(&s->reload_lock);
  }
  pthread_mutex_lock(&s->lock);
}
