/* fuzz_connstr.c — libFuzzer target: the connection string parser on
 * arbitrary bytes, and the round trip of what it accepts through the
 * pool's writer (odbcpool__buf_connattr).
 *
 * Not built by make (configure.ac has no fuzzing switch). From the
 * source tree, after configure has made build.h in <builddir>:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iinclude -Isrc -I<builddir> \
 *     tests/fuzz_connstr.c src/connstr.c src/error.c src/util.c src/dm.c \
 *     -o fuzz_connstr -lcrypto -ldl -lpthread
 *   mkdir -p /tmp/fuzz_connstr.corpus
 *   ./fuzz_connstr -max_total_time=60 -max_len=70000 /tmp/fuzz_connstr.corpus
 *
 * Any finding aborts with the input saved as crash-<sha1>. */
#include "build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connstr.h"
#include "util.h"

#define MAX_LEN (64 * 1024)

/* Reports a broken invariant and aborts, so libFuzzer keeps the input. */
static void fail(const char *what, size_t i) {
  fprintf(stderr, "fuzz_connstr: %s (attribute %zu)\n", what, i);
  abort();
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct odbcpool__connstr cs, again;
  odbcpool_error err;
  struct odbcpool__buf b = {0};

  if (odbcpool__connstr_parse((const char *)data, size, &cs, &err) !=
      ODBCPOOL_OK) {
    if (cs.kv != NULL || cs.n != 0)
      fail("failed parse left attributes behind", 0);
    if (err.code != ODBCPOOL_EINVAL || err.message[0] == '\0')
      fail("failed parse without EINVAL and a message", 0);
    return 0;
  }
  if (size > MAX_LEN || cs.n > 256 || memchr(data, '\0', size) != NULL)
    fail("accepted input outside the limits", 0);
  for (size_t i = 0; i < cs.n; i++) {
    const char *k = cs.kv[i].key;
    size_t kn = strlen(k);

    if (kn == 0 || is_space(k[0]) || is_space(k[kn - 1]) ||
        strpbrk(k, "=;") != NULL)
      fail("key empty, untrimmed or holding '=' or ';'", i);
    if (odbcpool__connstr_get(&cs, k) == NULL)
      fail("key not found by its own name", i);
    odbcpool__buf_connattr(&b, k, cs.kv[i].value);
  }
  if (b.failed)
    fail("writer out of memory", 0);
  /* Bracing and doubling '}' may take the written string past the
   * limit; then the parser must say so, and there is nothing to compare. */
  int rc = odbcpool__connstr_parse(b.data, b.len, &again, &err);
  if (b.len > MAX_LEN) {
    if (rc != ODBCPOOL_EINVAL)
      fail("written string over the limit was accepted", 0);
  } else {
    if (rc != ODBCPOOL_OK)
      fail("written string does not parse", 0);
    if (again.n != cs.n)
      fail("round trip changed the number of attributes", again.n);
    for (size_t i = 0; i < cs.n; i++) {
      if (strcmp(again.kv[i].key, cs.kv[i].key) != 0)
        fail("round trip changed a key", i);
      if (strcmp(again.kv[i].value, cs.kv[i].value) != 0)
        fail("round trip changed a value", i);
    }
    odbcpool__connstr_free(&again);
  }
  odbcpool__buf_wipe(&b);
  odbcpool__connstr_free(&cs);
  odbcpool__connstr_free(&cs); /* twice is harmless */
  return 0;
}
