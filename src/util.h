/* util.h — small helpers: clocks, strings, growing buffers. */
#ifndef ODBCPOOL_UTIL_H
#define ODBCPOOL_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Milliseconds / microseconds on CLOCK_MONOTONIC. */
uint64_t odbcpool__now_ms(void);
uint64_t odbcpool__now_us(void);

/* Initialises a condition variable that times out on CLOCK_MONOTONIC, so
 * that wall clock jumps neither shorten nor stretch a borrow timeout. */
int odbcpool__cond_init(pthread_cond_t *cv);
/* Waits on `cv` until the monotonic time `deadline_ms`. Returns 0 or
 * ETIMEDOUT. */
int odbcpool__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                              uint64_t deadline_ms);

/* The CLOCK_REALTIME time `ms` milliseconds from now, for the calls that
 * take only a realtime deadline (pthread_mutex_timedlock,
 * pthread_timedjoin_np). */
struct timespec odbcpool__realtime_in(long ms);

/* Wipes the NUL-terminated string `s` (OPENSSL_cleanse) and frees it;
 * NULL is a no-op. For strings that may hold a secret. */
void odbcpool__wipe_free(char *s);

/* Asserts that the calling thread holds mutex `m`: the "called with the
 * lock held" contracts, checked in every build without NDEBUG (glibc's
 * mutex records its owner's thread id; elsewhere a no-op). */
#if !defined(NDEBUG) && defined(__GLIBC__)
#include <assert.h>
#include <unistd.h>
#define ODBCPOOL_ASSERT_HELD(m) assert((m)->__data.__owner == (int)gettid())
#else
#define ODBCPOOL_ASSERT_HELD(m) ((void)0)
#endif

/* strdup that returns NULL for NULL. */
char *odbcpool__strdup(const char *s);

/* A growing, NUL-terminated byte buffer. On allocation failure `failed`
 * is set and further appends are ignored, so callers check once. */
struct odbcpool__buf {
  char *data;
  size_t len, cap;
  bool failed;
};
void odbcpool__buf_append(struct odbcpool__buf *b, const char *s, size_t n);
void odbcpool__buf_puts(struct odbcpool__buf *b, const char *s);
/* Appends `key=value;` to a connection string, braces the value when it
 * holds characters that would end or confuse the attribute ({, }, ;, =,
 * spaces at the ends), doubling any closing brace. */
void odbcpool__buf_connattr(struct odbcpool__buf *b, const char *key,
                            const char *value);
/* Wipes (OPENSSL_cleanse) and frees the buffer's memory. */
void odbcpool__buf_wipe(struct odbcpool__buf *b);

/* UTF-8 to a malloc'ed, NUL-terminated UTF-16 string (unixODBC's
 * SQLWCHAR); *units (may be NULL) gets its length without the NUL.
 * Invalid bytes become U+FFFD. NULL on ENOMEM. */
uint16_t *odbcpool__utf16_dup(const char *s, size_t *units);
/* `units` UTF-16 code units to a malloc'ed NUL-terminated UTF-8 string;
 * lone surrogates become U+FFFD. NULL on ENOMEM. */
char *odbcpool__utf8_dup(const uint16_t *w, size_t units);

/* Opens, for the *at() calls, the directory that holds the file `path`
 * (the part before its last '/', else ".") and checks it through the
 * descriptor: refuses a directory that group or others may write unless
 * it is owned by this process's effective user or has the sticky bit, as
 * another user could then swap the files in it (symlink attacks).
 * Returns the descriptor, *base (OUT) pointing at the file's name within
 * `path`; or -1 with errno set: EPERM for such a directory, with *why
 * (OUT) saying so, else *why = NULL. */
int odbcpool__open_safe_dir(const char *path, const char **base /* OUT */,
                            const char **why /* OUT */);

/* Fills `out` (n bytes, n >= 2) with a random name: lowercase letters
 * and digits, NUL-terminated. Uses the kernel's random source, never
 * libcrypto (it may run after libcrypto's cleanup at exit). */
void odbcpool__random_name(char *out, size_t n);

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian;
 * m 1-12, d 1-31, not checked), negative before 1970. */
int64_t odbcpool__days_from_civil(int64_t y, unsigned m, unsigned d);

/* Writes all `n` bytes of `d` to `fd`, retrying short writes and EINTR
 * (one write(2) unless the disk fills or a signal interrupts). Returns 0
 * or an errno value (EIO if write returned 0); *done (OUT, may be NULL)
 * gets the bytes written either way. */
int odbcpool__write_full(int fd, const void *d, size_t n,
                         size_t *done /* OUT */);
/* Reads `n` bytes into `buf` from `fd`, at offset `off` with pread(2) or,
 * for off < 0, from the file position; stops early only at end of file.
 * Retries EINTR. Returns 0 or an errno value; *got (OUT) gets the bytes
 * read, fewer than n at end of file. */
int odbcpool__read_full(int fd, void *buf, size_t n, off_t off,
                        size_t *got /* OUT */);

#endif /* ODBCPOOL_UTIL_H */
