/* check_privacy.c — the privacy controls against a real PostgreSQL
 * server with TLS: require_encryption accepts a TLS session and refuses
 * a plain one, encryption_check is enforced on the live session, and
 * encrypted credentials open connections on the pool's own.
 *
 * Run by drivers-test/privacy.sh, which starts the server and writes the
 * DSNs (pg_tls: SSLmode=require; pg_plain: SSLmode=disable; pg_badcheck:
 * TLS but a check that says no; pg_nocreds: no user or password) and the
 * pool config named by ODBCPOOL_TEST_CONFIG; ODBCPOOL_TEST_DIR is a
 * scratch directory. */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "secret.h"
#include "pooltest.h"

static odbcpool_set *open_config(const char *path) {
  odbcpool_set *set = NULL;
  odbcpool_error err;
  int rc = odbcpool_open(path, &set, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "odbcpool_open %s: %s", path, err.message);
  return set;
}

START_TEST(test_tls_session_is_accepted_and_really_encrypted) {
  odbcpool_set *set = open_config(pooltest_env("ODBCPOOL_TEST_CONFIG"));
  odbcpool_conn *c = testenv_borrow(set, "pg_tls");
  bool ok;
  long ssl = testenv_query_long(
      c, "SELECT ssl::int FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &ok);
  ck_assert(ok);
  ck_assert_int_eq(ssl, 1);
  odbcpool_return(c);
  ck_assert_uint_eq(testenv_stats(set, "pg_tls").connects, 1);
  odbcpool_close(set);
}
END_TEST

/* Borrowing from `dsn` is refused by the encryption policy: 08004 with
 * `why` in the message, no connection handed out or left open. Returns
 * the DSN's stats. */
static odbcpool_stats assert_policy_refusal(odbcpool_set *set, const char *dsn,
                                            const char *why) {
  testenv_borrow_fails(set, dsn, NULL, ODBCPOOL_EPOLICY, "08004", why);
  odbcpool_stats st = testenv_stats(set, dsn);
  ck_assert_uint_eq(st.open, 0);
  return st;
}

START_TEST(test_plain_session_is_refused_before_connecting) {
  odbcpool_set *set = open_config(pooltest_env("ODBCPOOL_TEST_CONFIG"));
  odbcpool_stats st =
      assert_policy_refusal(set, "pg_plain", "does not ask its driver for TLS");
  ck_assert_uint_eq(st.connects, 0);
  odbcpool_close(set);
}
END_TEST

START_TEST(test_failed_encryption_check_closes_the_session) {
  odbcpool_set *set = open_config(pooltest_env("ODBCPOOL_TEST_CONFIG"));
  assert_policy_refusal(set, "pg_badcheck", "encryption_check did not confirm");
  odbcpool_close(set);
}
END_TEST

/* Writes a pool config for pg_nocreds with min_idle and the given
 * credentials files; returns its path. */
static const char *cred_config(const char *dir, const char *cred,
                               const char *key) {
  static char path[600];
  snprintf(path, sizeof path, "%s/cred.ini", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "[pg_nocreds]\nmin_idle = 1\nmax_connections = 2\n"
          "credentials = %s\ncredentials_key = %s\n",
          cred, key);
  fclose(f);
  return path;
}

START_TEST(test_encrypted_credentials_open_connections_on_their_own) {
  const char *dir = pooltest_env("ODBCPOOL_TEST_DIR");
  char cred[600], key[600];
  snprintf(cred, sizeof cred, "%s/pg.cred", dir);
  snprintf(key, sizeof key, "%s/pg.key", dir);
  unlink(cred);
  unlink(key);
  odbcpool_error err;
  ck_assert_msg(odbcpool__secret_new_key(key, &err) == ODBCPOOL_OK, "%s",
                err.message);
  ck_assert_msg(odbcpool__cred_write(cred, key, pooltest_env("PG_TEST_USER"),
                                     pooltest_env("PG_TEST_PASSWORD"),
                                     &err) == ODBCPOOL_OK,
                "%s", err.message);
  odbcpool_set *set = open_config(cred_config(dir, cred, key));
  /* The DSN holds no user or password: the housekeeper's connect can
   * only have succeeded with the decrypted credentials. */
  ck_assert_eventually(testenv_stats(set, "pg_nocreds").idle == 1);
  odbcpool_conn *c = testenv_borrow(set, "pg_nocreds");
  bool ok;
  long same =
      testenv_query_long(c, "SELECT (current_user = 'odbcpool')::int", &ok);
  ck_assert(ok);
  ck_assert_int_eq(same, 1);
  odbcpool_return(c);
  odbcpool_close(set);
  /* The ciphertext does not contain the password in clear. */
  FILE *f = fopen(cred, "rb");
  ck_assert_ptr_nonnull(f);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  ck_assert_ptr_null(memmem(buf, n, pooltest_env("PG_TEST_PASSWORD"),
                            strlen(pooltest_env("PG_TEST_PASSWORD"))));
}
END_TEST

START_TEST(test_readable_credentials_file_stops_the_pool) {
  const char *dir = pooltest_env("ODBCPOOL_TEST_DIR");
  char cred[600], key[600];
  snprintf(cred, sizeof cred, "%s/pg2.cred", dir);
  snprintf(key, sizeof key, "%s/pg2.key", dir);
  unlink(cred);
  unlink(key);
  odbcpool_error err;
  ck_assert_int_eq(odbcpool__secret_new_key(key, &err), ODBCPOOL_OK);
  ck_assert_int_eq(
      odbcpool__cred_write(cred, key, "odbcpool", "odbcpool-secret", &err),
      ODBCPOOL_OK);
  ck_assert_int_eq(chmod(cred, 0644), 0);
  odbcpool_set *set = (odbcpool_set *)&err;
  int rc = odbcpool_open(cred_config(dir, cred, key), &set, &err);
  ck_assert_int_eq(rc, ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(set);
  ck_assert_msg(strstr(err.message, cred) != NULL, "message: %s", err.message);
  ck_assert_ptr_null(strstr(err.message, "odbcpool-secret"));
}
END_TEST

static Suite *privacy_suite(void) {
  Suite *s = suite_create("privacy");
  TCase *tc = tcase_create("postgresql");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_tls_session_is_accepted_and_really_encrypted);
  tcase_add_test(tc, test_plain_session_is_refused_before_connecting);
  tcase_add_test(tc, test_failed_encryption_check_closes_the_session);
  tcase_add_test(tc, test_encrypted_credentials_open_connections_on_their_own);
  tcase_add_test(tc, test_readable_credentials_file_stops_the_pool);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return testenv_run_suite(privacy_suite());
}
