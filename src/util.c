/* util.c — small helpers: clocks, strings, growing buffers. */
#include "build.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

uint64_t odbcpool__now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t odbcpool__now_ms(void) {
  return odbcpool__now_us() / 1000u;
}

int odbcpool__cond_init(pthread_cond_t *cv) {
  pthread_condattr_t attr;
  int rc = pthread_condattr_init(&attr);
  if (rc != 0)
    return rc;
  rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  if (rc == 0)
    rc = pthread_cond_init(cv, &attr);
  pthread_condattr_destroy(&attr);
  return rc;
}

int odbcpool__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                              uint64_t deadline_ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(deadline_ms / 1000u);
  ts.tv_nsec = (long)(deadline_ms % 1000u) * 1000000L;
  int rc = pthread_cond_timedwait(cv, mu, &ts);
  return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}

char *odbcpool__strdup(const char *s) {
  if (s == NULL)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

void odbcpool__buf_append(struct odbcpool__buf *b, const char *s, size_t n) {
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    /* Grow by copying, never realloc: the old block may hold a secret
     * that must be wiped, not left behind in freed memory. */
    char *d = malloc(cap);
    if (d == NULL) {
      b->failed = true;
      return;
    }
    if (b->data != NULL) {
      memcpy(d, b->data, b->len);
      OPENSSL_cleanse(b->data, b->cap);
      free(b->data);
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void odbcpool__buf_puts(struct odbcpool__buf *b, const char *s) {
  odbcpool__buf_append(b, s, strlen(s));
}

static bool needs_braces(const char *v) {
  size_t n = strlen(v);
  if (n == 0)
    return false;
  if (v[0] == ' ' || v[n - 1] == ' ')
    return true;
  return strpbrk(v, "{};=") != NULL;
}

void odbcpool__buf_connattr(struct odbcpool__buf *b, const char *key,
                            const char *value) {
  odbcpool__buf_puts(b, key);
  odbcpool__buf_puts(b, "=");
  if (!needs_braces(value)) {
    odbcpool__buf_puts(b, value);
  } else {
    odbcpool__buf_puts(b, "{");
    for (const char *p = value; *p; p++) {
      if (*p == '}')
        odbcpool__buf_puts(b, "}");
      odbcpool__buf_append(b, p, 1);
    }
    odbcpool__buf_puts(b, "}");
  }
  odbcpool__buf_puts(b, ";");
}

void odbcpool__buf_wipe(struct odbcpool__buf *b) {
  if (b->data != NULL) {
    OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
  }
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}
