/* util.c — small helpers: clocks, strings, growing buffers. */
#include "build.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

struct timespec odbcpool__realtime_in(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

void odbcpool__wipe_free(char *s) {
  if (s != NULL) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
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

/* Whitespace that a connection string parser trims around values. */
static bool trimmed(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool needs_braces(const char *v) {
  size_t n = strlen(v);
  if (n == 0)
    return false;
  if (trimmed(v[0]) || trimmed(v[n - 1]))
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

/* Decodes one UTF-8 sequence at *p (advancing it); invalid or truncated
 * sequences decode to U+FFFD, one byte at a time. */
static uint32_t utf8_next(const unsigned char **pp) {
  const unsigned char *p = *pp;
  int len = *p < 0x80         ? 1
            : (*p >> 5) == 6  ? 2
            : (*p >> 4) == 14 ? 3
            : (*p >> 3) == 30 ? 4
                              : 0;
  if (len == 0) {
    *pp = p + 1;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? *p : (uint32_t)(*p & (0x7F >> len));
  int i;
  for (i = 1; i < len && (p[i] & 0xC0) == 0x80; i++)
    cp = (cp << 6) | (p[i] & 0x3F);
  *pp = p + i;
  return i < len ? 0xFFFD : cp;
}

uint16_t *odbcpool__utf16_dup(const char *s, size_t *units) {
  size_t n = strlen(s);
  uint16_t *w = malloc((2 * n + 1) * sizeof *w);
  if (w == NULL)
    return NULL;
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t cp = utf8_next(&p);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      w[o++] = (uint16_t)(0xD800 + (cp >> 10));
      w[o++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
    } else {
      w[o++] = (uint16_t)cp;
    }
  }
  w[o] = 0;
  if (units != NULL)
    *units = o;
  return w;
}

char *odbcpool__utf8_dup(const uint16_t *w, size_t units) {
  char *s = malloc(3 * units + 1);
  if (s == NULL)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < units; i++) {
    uint32_t cp = w[i];
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < units && w[i + 1] >= 0xDC00 &&
        w[i + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (w[i + 1] - 0xDC00);
      i++;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD; /* a lone surrogate */
    }
    if (cp < 0x80) {
      s[o++] = (char)cp;
    } else if (cp < 0x800) {
      s[o++] = (char)(0xC0 | (cp >> 6));
      s[o++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s[o++] = (char)(0xE0 | (cp >> 12));
      s[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      s[o++] = (char)(0x80 | (cp & 0x3F));
    } else {
      s[o++] = (char)(0xF0 | (cp >> 18));
      s[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      s[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      s[o++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  s[o] = '\0';
  return s;
}

int odbcpool__open_safe_dir(const char *path, const char **base,
                            const char **why) {
  const char *slash = strrchr(path, '/');
  char *dir;
  *why = NULL;
  *base = slash ? slash + 1 : path;
  if (**base == '\0') {
    errno = EISDIR;
    return -1;
  }
  if (slash == NULL)
    dir = strdup(".");
  else
    dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
  if (dir == NULL) {
    errno = ENOMEM;
    return -1;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  int e = errno;
  free(dir);
  if (fd < 0) {
    errno = e;
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && st.st_uid != geteuid() &&
      !(st.st_mode & S_ISVTX)) {
    close(fd);
    *why = "its directory is writable by group or others, not owned by this "
           "user and not sticky: another user could swap the file";
    errno = EPERM;
    return -1;
  }
  return fd;
}

void odbcpool__random_name(char *out, size_t n) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char r[64];
  size_t want = n - 1 < sizeof r ? n - 1 : sizeof r;
  ssize_t got = getrandom(r, want, GRND_NONBLOCK);
  if (got < (ssize_t)want) {
    /* No entropy yet (early boot): unpredictable enough for a name that
     * O_EXCL protects anyway. */
    uint64_t x = odbcpool__now_us() ^ ((uint64_t)getpid() << 32) ^
                 (uint64_t)(uintptr_t)out;
    for (size_t i = 0; i < want; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      r[i] = (unsigned char)x;
    }
  }
  for (size_t i = 0; i < want; i++)
    out[i] = alphabet[r[i] % (sizeof alphabet - 1)];
  out[want] = '\0';
}

int odbcpool__write_full(int fd, const void *d, size_t n, size_t *done) {
  const char *p = d;
  size_t put = 0;
  int rc = 0;
  while (put < n) {
    ssize_t w = write(fd, p + put, n - put);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = w < 0 ? errno : EIO;
      break;
    }
    put += (size_t)w;
  }
  if (done != NULL)
    *done = put;
  return rc;
}

int odbcpool__read_full(int fd, void *buf, size_t n, off_t off, size_t *got) {
  char *p = buf;
  size_t have = 0;
  int rc = 0;
  while (have < n) {
    ssize_t r = off < 0 ? read(fd, p + have, n - have)
                        : pread(fd, p + have, n - have, off + (off_t)have);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      rc = errno;
    if (r <= 0)
      break;
    have += (size_t)r;
  }
  *got = have;
  return rc;
}

int64_t odbcpool__days_from_civil(int64_t y, unsigned m, unsigned d) {
  /* Counted in 400-year eras of 146097 days, from a year that starts in
   * March so that the leap day is the last of its year. */
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}
