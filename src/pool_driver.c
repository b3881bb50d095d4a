/* pool_driver.c — what the driver module (src/driver/) does to pooled
 * connections and sets beyond the public API, behind the narrow
 * interface of pool_driver.h, so that the driver never sees the pool's
 * structs or takes its locks. */
#include "build.h"

#include <string.h>

#include "pool.h"
#include "pool_driver.h"
#include "util.h"

void odbcpool__conn_track_attrs(odbcpool_conn *c) {
  c->tracked_attrs = true;
}

bool odbcpool__conn_preattr_failed(const odbcpool_conn *c, SQLINTEGER attr) {
  /* The pool's copy of the key, in its own order. */
  const struct pool *p = c->pool;
  for (int j = 0; j < p->npre; j++)
    if (p->pre[j].attr == attr && (c->pre_failed & (1u << j)))
      return true;
  return false;
}

bool odbcpool__conn_sql_matters(const odbcpool_conn *c) {
  /* Only SQLite's SELECTs can leave the session clean. */
  return !c->sql_dirty && c->builtin != NULL &&
         strcmp(c->builtin->name, "sqlite") == 0;
}

bool odbcpool__set_stats_at_exit(odbcpool_set *s, long wait_ms) {
  struct timespec ts = odbcpool__realtime_in(wait_ms);
  if (pthread_mutex_timedlock(&s->lock, &ts) != 0)
    return false;
  odbcpool__stats_write(s);
  pthread_mutex_unlock(&s->lock);
  return true;
}
