/* util.h — small helpers: clocks, strings, growing buffers. */
#ifndef ODBCPOOL_UTIL_H
#define ODBCPOOL_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif /* ODBCPOOL_UTIL_H */
