/* audit.c — the tamper-evident audit trail's writer: JSON lines, each
 * with an HMAC chained to the previous record's, appended under a lock
 * file by any number of processes, or sent to syslog. The files
 * themselves are audit_trail.c's, loss markers audit_lost.c's, the shared
 * record format audit_record.c's, and the verifier is audit_verify.c.
 * The record format and the reasons behind each choice are in
 * doc/AUDIT.md. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_record.h"
#include "audit_writer.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "util.h"

#define SQLSTATE "HY000"

static const char *const event_names[] = {
#define X(name, text) text,
    ODBCPOOL_AUDIT_EVENTS(X)
#undef X
};

static int open_lock_file(const char *path) {
  return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
}

static void put_str_field(struct odbcpool__buf *b, const char *name,
                          const char *v, size_t max) {
  if (v == NULL)
    return;
  odbcpool__buf_puts(b, ",\"");
  odbcpool__buf_puts(b, name);
  odbcpool__buf_puts(b, "\":");
  odbcpool__audit_json_put(b, v, max);
}

static void put_num_field(struct odbcpool__buf *b, const char *name,
                          uint64_t v) {
  char num[32];
  snprintf(num, sizeof num, "%" PRIu64, v);
  odbcpool__buf_puts(b, ",\"");
  odbcpool__buf_puts(b, name);
  odbcpool__buf_puts(b, "\":");
  odbcpool__buf_puts(b, num);
}

/* Why odbcpool__audit_format failed. */
static const char odbcpool__audit_enomem[] = "out of memory";
static const char odbcpool__audit_emac[] = "libcrypto failed to compute a MAC";
static const char odbcpool__audit_epkey[] = "no pseudonym key for the period";

/* Formats the record that follows a->chain into a->rec: `prefix`, the
 * JSON object and, for a file, a newline. `rec` or `rv` (a recovery
 * record) gives the fields. *mac gets the new record's MAC. Returns NULL,
 * or why not (odbcpool__audit_enomem, odbcpool__audit_emac): a record whose MAC
 * or pseudonym libcrypto could not compute is never formatted, so it can never
 * be written. Called with a->mu held. */
const char *odbcpool__audit_format(struct odbcpool__audit *a,
                                   const char *prefix, int64_t ms,
                                   const struct odbcpool__audit_rec *rec,
                                   const struct recovery *rv,
                                   char mac[MAC_HEX + 1]) {
  struct odbcpool__buf *b = &a->rec;
  size_t max = a->syslog ? FIELD_MAX_SYSLOG : FIELD_MAX_FILE;
  char tbuf[TIME_LEN + 8];

  b->len = 0;
  b->failed = false;
  odbcpool__buf_puts(b, prefix);
  size_t start = b->len;
  char head[48];
  snprintf(head, sizeof head, "%s%" PRIu64, HEAD_TAG, a->chain.seq + 1);
  odbcpool__buf_puts(b, head);
  if (a->syslog)
    put_str_field(b, "stream", a->stream, STREAM_HEX);
  odbcpool__audit_format_time(ms, false, tbuf, sizeof tbuf);
  put_str_field(b, "time", tbuf, sizeof tbuf);
  put_str_field(b, "event",
                rv ? event_names[ODBCPOOL_AUDIT_OPEN] : event_names[rec->event],
                32);
  put_num_field(b, "pid", (uint64_t)a->pid);
  if (rec != NULL) {
    put_str_field(b, "pool", rec->pool, max);
    if (rec->conn != 0)
      put_num_field(b, "conn", rec->conn);
    if (rec->user != NULL) {
      /* With pseudonym periods, the period's own random key, named by
       * "period"; else the audit key itself (the format before periods).
       * Never the chain key: the chain does not depend on it. */
      char pn[PSEUDONYM_HEX + 1];
      odbcpool_error kerr;
      const unsigned char *pk = a->pkeys.period_ms > 0
                                    ? odbcpool__pkeys_get(&a->pkeys, ms, &kerr)
                                    : a->key;
      if (pk == NULL) {
        if (!a->failing)
          odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: %s", kerr.message);
        return odbcpool__audit_epkey;
      }
      if (!odbcpool__pkey_pseudonym(pk, rec->user, pn))
        return odbcpool__audit_emac;
      put_str_field(b, "principal", pn, PSEUDONYM_HEX + 1);
      if (a->pkeys.period_ms > 0)
        put_str_field(b, "period", a->pkeys.id, ODBCPOOL_PKEY_ID_MAX);
    }
    put_str_field(b, "purpose", rec->purpose, max);
    put_str_field(b, "reason", rec->reason, max);
    if (rec->duration_ms >= 0)
      put_num_field(b, "duration_ms", (uint64_t)rec->duration_ms);
    if (rec->wait_ms >= 0)
      put_num_field(b, "wait_ms", (uint64_t)rec->wait_ms);
  } else {
    put_str_field(b, "reason", "recovered", 16);
  }
  if (rec != NULL && rec->event == ODBCPOOL_AUDIT_LOST) {
    char since[TIME_LEN + 8];
    odbcpool__audit_format_time(rec->lost_since_ms, false, since, sizeof since);
    put_num_field(b, "lost", rec->lost);
    put_num_field(b, "lost_pid", (uint64_t)rec->lost_pid);
    put_str_field(b, "lost_since", since, sizeof since);
  } else if (rec != NULL && a->lost) {
    char since[TIME_LEN + 8];
    odbcpool__audit_format_time(a->lost_since_ms, false, since, sizeof since);
    put_num_field(b, "lost", a->lost);
    put_str_field(b, "lost_since", since, sizeof since);
  }
  if (rv != NULL) {
    put_num_field(b, "partial_bytes", rv->bytes);
    put_str_field(b, "partial_sha256", rv->sha, MAC_HEX);
  }
  put_str_field(b, "prev", a->chain.mac, MAC_HEX);
  if (b->failed)
    return odbcpool__audit_enomem;
  if (!odbcpool__audit_mac(a->key + KEY_LEN, b->data + start, b->len - start,
                           mac))
    return odbcpool__audit_emac;
  put_str_field(b, "mac", mac, MAC_HEX);
  odbcpool__buf_puts(b, a->syslog ? "}" : "}\n");
  return b->failed ? odbcpool__audit_enomem : NULL;
}

static void new_stream(struct odbcpool__audit *a) {
  unsigned char r[STREAM_HEX / 2];
  if (RAND_bytes(r, sizeof r) != 1) {
    uint64_t x =
        (uint64_t)odbcpool__audit_real_ms() * 1000003u ^ (uint64_t)getpid();
    memcpy(r, &x, sizeof r);
  }
  odbcpool__audit_hex(r, sizeof r, a->stream);
  a->chain.seq = 0;
  memcpy(a->chain.mac, odbcpool__audit_genesis, sizeof odbcpool__audit_genesis);
  a->have_chain = true;
}

/* In a forked child, the descriptors are shared with the parent, and a
 * flock belongs to the shared open file description: the child would
 * "hold" the parent's lock. Open our own. Called with a->mu held. */
void odbcpool__audit_after_fork(struct odbcpool__audit *a) {
  pid_t self = getpid();
  if (a->pid == self)
    return;
  a->pid = self;
  if (a->syslog) {
    new_stream(a); /* two processes cannot share one syslog chain */
    return;
  }
  if (a->log_fd >= 0)
    close(a->log_fd);
  a->log_fd = -1;
  a->have_file = false;
  a->have_chain = false;
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  a->lock_fd = open_lock_file(a->lock_path);
  /* The parent's marker, and its flock, belong to the parent. */
  if (a->marker_fd >= 0)
    close(a->marker_fd);
  a->marker_fd = -1;
  a->marker_name[0] = '\0';
  a->lost = 0;
  if (a->lock_fd >= 0 &&
      odbcpool__audit_lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_SHORT_MS)) {
    odbcpool__audit_marker_create(a);
    flock(a->lock_fd, LOCK_UN);
  }
}

/* ------------------------------------------------------------ the API */

static void audit_free(struct odbcpool__audit *a) {
  if (a == NULL)
    return;
  if (a->log_fd >= 0)
    close(a->log_fd);
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  if (a->marker_fd >= 0 && a->pid == getpid())
    odbcpool__audit_marker_drop(a);
  else if (a->marker_fd >= 0)
    close(a->marker_fd);
  odbcpool__pkeys_fini(&a->pkeys);
  if (a->key != NULL)
    odbcpool__secure_free(a->key, 2 * KEY_LEN);
  odbcpool__buf_wipe(&a->rec);
  free(a->path);
  free(a->lock_path);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

int odbcpool__audit_open(const struct cfg *cfg,
                         struct odbcpool__audit **out /* OUT */,
                         odbcpool_error *err) {
  struct odbcpool__audit *a;
  int rc;

  odbcpool__err_clear(err);
  if (out == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SQLSTATE,
                         "audit: no place for the result");
  *out = NULL;
  if (cfg == NULL || cfg->audit_line == 0 ||
      (cfg->audit_path == NULL && !cfg->audit_syslog))
    return ODBCPOOL_OK;
  if (cfg->audit_key_file == NULL)
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SQLSTATE,
                         "%s:%u: [audit]: key_file is required to write an "
                         "audit log",
                         cfg->path ? cfg->path : "config", cfg->audit_line);
  a = calloc(1, sizeof *a);
  if (a == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  a->lock_fd = a->log_fd = a->marker_fd = -1;
  a->size = -1;
  a->pid = getpid();
  a->retention_ms = cfg->audit_retention;
  a->rotate_bytes = (off_t)cfg->audit_rotate_mib << 20;
  if (a->rotate_bytes <= 0)
    a->rotate_bytes = (off_t)64 << 20;
  pthread_mutex_init(&a->mu, NULL);
  a->key = odbcpool__secure_alloc(2 * KEY_LEN);
  if (a->key == NULL) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  rc = odbcpool__secret_load_key(cfg->audit_key_file, a->key, err);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }
  if (!odbcpool__audit_chain_key(a->key, a->key + KEY_LEN)) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE,
                         "audit: libcrypto failed to derive the chain key");
  }
  char *kdir = odbcpool__pkey_dir(cfg->audit_key_file, cfg->audit_pkey_dir);
  rc = kdir == NULL
           ? odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "no memory")
           : odbcpool__pkeys_init(&a->pkeys, kdir, cfg->audit_pseudonym_period,
                                  a->key, err);
  free(kdir);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }

  if (cfg->audit_syslog) {
    a->syslog = true;
    new_stream(a);
    /* No openlog: it belongs to the program that loaded this library,
     * and would replace its ident, options and default facility for
     * every later syslog call of the program. Each record names its
     * facility in its priority and its sender in its text instead. */
    *out = a;
    return ODBCPOOL_OK;
  }

  size_t len = strlen(cfg->audit_path) + sizeof ".lock";
  a->path = strdup(cfg->audit_path);
  a->lock_path = malloc(len);
  if (a->path == NULL || a->lock_path == NULL) {
    audit_free(a);
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SQLSTATE, "out of memory");
  }
  snprintf(a->lock_path, len, "%s.lock", cfg->audit_path);
  a->lock_fd = open_lock_file(a->lock_path);
  if (a->lock_fd < 0) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE, "%s: cannot open: %s",
                       a->lock_path, strerror(errno));
    audit_free(a);
    return rc;
  }
  if (!odbcpool__audit_lock_timed(a->lock_fd, LOCK_EX, LOCK_WAIT_OPEN_MS)) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SQLSTATE,
                       "%s: cannot lock (held by another process for %d s?)",
                       a->lock_path, LOCK_WAIT_OPEN_MS / 1000);
    audit_free(a);
    return rc;
  }
  rc = odbcpool__audit_check_trail(a->path, err);
  if (rc == ODBCPOOL_OK)
    rc = odbcpool__audit_sync(a, err);
  if (rc == ODBCPOOL_OK) {
    odbcpool__audit_collect_markers(a);
    odbcpool__audit_marker_create(a);
  }
  a->rotated_here = false;
  flock(a->lock_fd, LOCK_UN);
  if (rc != ODBCPOOL_OK) {
    audit_free(a);
    return rc;
  }
  *out = a;
  return ODBCPOOL_OK;
}

void odbcpool__audit_log(struct odbcpool__audit *a,
                         const struct odbcpool__audit_rec *rec) {
  odbcpool_error err;
  char mac[MAC_HEX + 1];

  if (a == NULL || rec == NULL)
    return;
  if ((unsigned)rec->event >= ODBCPOOL_AUDIT_NEVENTS) {
    odbcpool__log(ODBCPOOL_LOG_ERROR, "audit: unknown event %d not logged",
                  (int)rec->event);
    return;
  }
  pthread_mutex_lock(&a->mu);
  odbcpool__audit_after_fork(a);
  if (a->sealed) {
    odbcpool__audit_append_failed(a, "the process is exiting");
    pthread_mutex_unlock(&a->mu);
    return;
  }
  if (a->syslog) {
    const char *why = odbcpool__audit_format(a, "", odbcpool__audit_now_ms(a),
                                             rec, NULL, mac);
    if (why != NULL) {
      odbcpool__audit_append_failed(a, why);
    } else {
      if (a->syslog_hook)
        a->syslog_hook(a->rec.data, a->syslog_ctx);
      else
        /* "odbcpool[pid]: " after whatever ident the program set: the
         * pid, as records of several processes interleave there and each
         * process has its own chain. */
        syslog(LOG_AUTHPRIV | LOG_INFO, "odbcpool[%ld]: %s", (long)a->pid,
               a->rec.data);
      a->chain.seq++;
      memcpy(a->chain.mac, mac, sizeof mac);
      odbcpool__audit_append_succeeded(a);
    }
    pthread_mutex_unlock(&a->mu);
    return;
  }
  if (a->lock_fd < 0)
    a->lock_fd = open_lock_file(a->lock_path);
  if (a->lock_fd < 0) {
    snprintf(err.message, sizeof err.message, "%s: cannot open: %s",
             a->lock_path, strerror(errno));
    odbcpool__audit_append_failed(a, err.message);
  } else if (!odbcpool__audit_lock_timed(a->lock_fd, LOCK_EX,
                                         a->short_wait ? LOCK_WAIT_SHORT_MS
                                                       : LOCK_WAIT_MS)) {
    a->short_wait = true;
    snprintf(err.message, sizeof err.message,
             "%s: cannot lock (held by another process)", a->lock_path);
    odbcpool__audit_append_failed(a, err.message);
  } else {
    a->short_wait = false;
    int rc = odbcpool__audit_sync(a, &err);
    if (rc == ODBCPOOL_OK &&
        odbcpool__now_ms() - a->last_collect_ms >= COLLECT_EVERY_MS)
      odbcpool__audit_collect_markers(a);
    if (rc == ODBCPOOL_OK)
      rc = odbcpool__audit_append(a, rec, &err);
    a->rotated_here = false;
    flock(a->lock_fd, LOCK_UN);
    if (rc == ODBCPOOL_OK)
      odbcpool__audit_append_succeeded(a);
    else
      odbcpool__audit_append_failed(a, err.message);
  }
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_seal(struct odbcpool__audit *a) {
  if (a == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  a->sealed = true;
  /* Counted losses stay in the marker; an empty one goes. */
  if (a->marker_fd >= 0 && a->pid == getpid() && a->lost == 0)
    odbcpool__audit_marker_drop(a);
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_close(struct odbcpool__audit *a) {
  audit_free(a);
}

void odbcpool__audit_pseudonym(struct odbcpool__audit *a, const char *user,
                               char out[33]) {
  out[0] = '\0';
  if (a == NULL || user == NULL)
    return;
  pthread_mutex_lock(&a->mu);
  odbcpool_error err;
  const unsigned char *pk =
      a->pkeys.period_ms > 0
          ? odbcpool__pkeys_get(&a->pkeys, odbcpool__audit_now_ms(a), &err)
          : a->key;
  if (pk == NULL || !odbcpool__pkey_pseudonym(pk, user, out))
    out[0] = '\0';
  pthread_mutex_unlock(&a->mu);
}

void odbcpool__audit_atfork_prepare(struct odbcpool__audit *a) {
  if (a != NULL)
    pthread_mutex_lock(&a->mu);
}

void odbcpool__audit_atfork_release(struct odbcpool__audit *a) {
  if (a != NULL)
    pthread_mutex_unlock(&a->mu);
}
