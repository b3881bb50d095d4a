/* fuzz_config.c — libFuzzer target: the pool config parser on arbitrary
 * bytes. A successful parse must free cleanly; a failed one must say
 * where (file:line) and leave nothing allocated.
 *
 * Not built by make. scripts/run-tests.sh builds and runs it for a short
 * while in CI; for a long run, from the source tree after configure has
 * made build.h in <builddir>:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iinclude -Isrc -I<builddir> \
 *     tests/fuzz_config.c src/config.c src/error.c src/util.c src/dm.c \
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
  free(buf);
  return 0;
}
