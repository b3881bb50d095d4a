/* audit_sample.c — writes a realistic audit trail for the report's render
 * test and its example picture: 30 days of borrows on two DSNs with
 * several purposes, refusals, erasure failures, closes and a loss, with a
 * made-up clock. Usage: audit_sample DIR [DAYS]; DIR gets audit.key,
 * pool.ini and the trail. Deterministic for a given day. */
#include "build.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_hooks.h"
#include "config.h"

#define DAY_MS 86400000LL

static uint64_t rnd_state = 88172645463325252u;

/* xorshift64: the same sequence on every run. */
static uint64_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state;
}

static long pick(long lo, long hi) {
  return lo + (long)(rnd() % (uint64_t)(hi - lo + 1));
}

static void rec(struct odbcpool__audit *a, int64_t ms,
                enum odbcpool__audit_event ev, const char *pool, uint64_t conn,
                const char *user, const char *purpose, const char *reason,
                long dur, long wait) {
  struct odbcpool__audit_rec r = {.event = ev,
                                  .pool = pool,
                                  .conn = conn,
                                  .user = user,
                                  .purpose = purpose,
                                  .reason = reason,
                                  .duration_ms = dur,
                                  .wait_ms = wait};
  odbcpool__audit_set_clock(a, ms);
  odbcpool__audit_log(a, &r);
}

/* A hold time: mostly short requests, some reports, a few long ones. */
static long hold_ms(void) {
  long r = pick(0, 99);
  return r < 30   ? pick(1, 9)
         : r < 70 ? pick(10, 99)
         : r < 88 ? pick(100, 999)
         : r < 96 ? pick(1000, 9999)
         : r < 99 ? pick(10000, 59999)
                  : pick(60000, 900000);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: audit_sample DIR [DAYS]\n");
    return 2;
  }
  const char *dir = argv[1];
  int days = argc > 2 ? atoi(argv[2]) : 30;
  char key[4096], ini[4096], text[16384];
  snprintf(key, sizeof key, "%s/audit.key", dir);
  snprintf(ini, sizeof ini, "%s/pool.ini", dir);
  int fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
  unsigned char k[32];
  for (size_t i = 0; i < sizeof k; i++)
    k[i] = (unsigned char)(rnd() >> 24);
  if (fd < 0 || write(fd, k, sizeof k) != (ssize_t)sizeof k) {
    perror(key);
    return 1;
  }
  close(fd);
  snprintf(text, sizeof text,
           "[defaults]\nmax_connections = 10\n"
           "[sales_pg]\npurposes = billing, support, reporting\n"
           "[hr_maria]\npurposes = payroll\nrequire_purpose = yes\n"
           "[audit]\npath = %s/audit.log\nkey_file = %s\nretention = 90d\n",
           dir, key);
  FILE *f = fopen(ini, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
    perror(ini);
    return 1;
  }
  struct cfg *cfg;
  odbcpool_error err;
  struct odbcpool__audit *a;
  if (odbcpool__cfg_load(ini, &cfg, &err) != ODBCPOOL_OK ||
      odbcpool__audit_open(cfg, &a, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "audit_sample: %s\n", err.message);
    return 1;
  }
  /* The days up to yesterday, so that no record is in the future. */
  int64_t today = (int64_t)time(NULL) / 86400 * DAY_MS;
  int64_t start = today - (int64_t)days * DAY_MS;
  static const char *const purposes[] = {"billing", "support", "reporting"};
  char user[32];
  uint64_t conn = 0;
  for (int d = 0; d < days; d++) {
    int64_t t = start + d * DAY_MS + 7 * 3600000LL;
    bool weekend = ((start / DAY_MS + d + 4) % 7) >= 5; /* 1970-01-01: Thu */
    int n = weekend ? (int)pick(5, 20) : (int)pick(60, 140);
    for (int i = 0; i < n; i++) {
      t += pick(30000, 400000);
      long p = pick(0, 9);
      const char *purpose = purposes[p < 6 ? 0 : p < 9 ? 1 : 2];
      snprintf(user, sizeof user, "user%02ld", pick(1, 40));
      conn = conn % 12 + 1;
      long held = hold_ms();
      rec(a, t, ODBCPOOL_AUDIT_BORROW, "sales_pg", conn, user, purpose, NULL,
          -1, pick(0, 3));
      rec(a, t + held, ODBCPOOL_AUDIT_RETURN, "sales_pg", conn, user, purpose,
          NULL, held, -1);
      rec(a, t + held + 1, ODBCPOOL_AUDIT_RESET_OK, "sales_pg", conn, NULL,
          NULL, NULL, 1, -1);
      if (i % 4 == 0) {
        snprintf(user, sizeof user, "hr%02ld", pick(1, 6));
        held = hold_ms();
        rec(a, t + 5, ODBCPOOL_AUDIT_BORROW, "hr_maria", 100 + conn, user,
            "payroll", NULL, -1, 0);
        rec(a, t + 5 + held, ODBCPOOL_AUDIT_RETURN, "hr_maria", 100 + conn,
            user, "payroll", NULL, held, -1);
      }
    }
    if (d % 3 == 0)
      rec(a, t + 1000, ODBCPOOL_AUDIT_REFUSED, "sales_pg", 0, "user07",
          "marketing", "purpose_not_allowed", -1, -1);
    if (d % 7 == 2)
      rec(a, t + 2000, ODBCPOOL_AUDIT_REFUSED, "hr_maria", 0, "user13", NULL,
          "purpose_missing", -1, -1);
    if (d % 10 == 5) {
      rec(a, t + 3000, ODBCPOOL_AUDIT_RESET_FAILED, "sales_pg", 3, NULL, NULL,
          "reset_timeout", 5000, -1);
      rec(a, t + 3001, ODBCPOOL_AUDIT_CLOSE, "sales_pg", 3, NULL, NULL,
          "reset_timeout", 3600000, -1);
    }
    rec(a, t + 4000, ODBCPOOL_AUDIT_CLOSE, "sales_pg", 5, NULL, NULL,
        "max_lifetime", 1800000, -1);
    rec(a, t + 4001, ODBCPOOL_AUDIT_OPEN, "sales_pg", 5, NULL, NULL, NULL, 40,
        -1);
    rec(a, t + 5000, ODBCPOOL_AUDIT_CLOSE, "hr_maria", 101, NULL, NULL,
        "idle_timeout", 600000, -1);
  }
  struct odbcpool__audit_rec lost = {.event = ODBCPOOL_AUDIT_LOST,
                                     .duration_ms = -1,
                                     .wait_ms = -1,
                                     .lost = 4,
                                     .lost_pid = 31337,
                                     .lost_since_ms = start + 12 * DAY_MS};
  odbcpool__audit_set_clock(a, start + 12 * DAY_MS + 60000);
  odbcpool__audit_log(a, &lost);
  odbcpool__audit_close(a);
  odbcpool__cfg_free(cfg);
  printf("%lld\n", (long long)today);
  return 0;
}
