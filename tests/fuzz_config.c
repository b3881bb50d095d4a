/* fuzz_config.c — libFuzzer target: the pool config parser on arbitrary
 * bytes. A successful parse must free cleanly; a failed one must say
 * where (file:line) and leave nothing allocated; the collecting parser
 * of `odbcpool check` must agree with it.
 *
 * Not built by make. scripts/run-tests.sh builds and runs it for a short
 * while in CI; for a long run, from the source tree after configure has
 * made build.h in <builddir>:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iinclude -Isrc -I<builddir> \
 *     tests/fuzz_config.c src/config.c src/config_check.c \
 *     src/config_settings.c src/config_value.c src/sqlsplit.c src/error.c \
 *     src/util.c src/dm.c \
 *     -o fuzz_config -lcrypto -ldl -lpthread
 *   mkdir -p /tmp/fuzz_config.corpus && cp doc/odbcpool.ini.example \
 *     /tmp/fuzz_config.corpus/
 *   ./fuzz_config -max_total_time=3600 -max_len=4096 /tmp/fuzz_config.corpus
 *
 * Reset scripts named by the input are resolved against a directory that
 * does not exist, so the parser reads no file of the machine's by a
 * relative name; absolute names are rewritten to stay in it too. */
#include "build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Keep the parser away from the machine's files: every '/' that
   * starts a value would make an absolute path; make it a letter. */
  char *buf = malloc(size ? size : 1);
  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  for (size_t i = 0; i < size; i++)
    if (buf[i] == '/')
      buf[i] = '_';
  struct cfg *cfg = NULL;
  odbcpool_error err;
  int rc = odbcpool__cfg_parse("/nonexistent-odbcpool-fuzz/pool.ini", buf, size,
                               &cfg, &err);
  if (rc == ODBCPOOL_OK) {
    if (cfg == NULL)
      abort();
    /* Every pool has settings within the table's bounds. */
    for (size_t i = 0; i < cfg->npools; i++)
      if (cfg->pools[i].max_connections < 1 ||
          cfg->pools[i].min_idle > cfg->pools[i].max_connections)
        abort();
    odbcpool__cfg_free(cfg);
  } else {
    if (cfg != NULL || err.code != rc || err.message[0] == '\0')
      abort();
    if (strstr(err.message, "pool.ini") == NULL)
      abort(); /* every error names the file */
  }
  /* The collecting parser (odbcpool check) agrees with the stopping one
   * (the library): the same result, and its first problem is the one the
   * library reports. */
  struct cfg_problems probs = {0};
  struct cfg *all = NULL;
  odbcpool_error err_all;
  int rc_all = odbcpool__cfg_parse_all("/nonexistent-odbcpool-fuzz/pool.ini",
                                       buf, size, &all, &probs, &err_all);
  if (rc_all != rc)
    abort();
  if (rc_all == ODBCPOOL_OK) {
    if (all == NULL || probs.n != 0)
      abort();
    odbcpool__cfg_free(all);
  } else if (rc_all == ODBCPOOL_ECONFIG) {
    if (all != NULL || probs.n == 0 || strcmp(probs.msg[0], err.message) != 0 ||
        strcmp(err_all.message, err.message) != 0)
      abort();
    for (size_t i = 0; i < probs.n; i++)
      if (strstr(probs.msg[i], "pool.ini") == NULL)
        abort();
  }
  odbcpool__cfg_problems_free(&probs);
  free(buf);
  return 0;
}
