/* check_log.c — unit tests of the diagnostic log (src/log.c): where it
 * goes by default, a log file, $ODBCPOOL_LOG, the program's syslog
 * identity left alone.
 *
 * The destination is process-wide and read once, so every test runs its
 * body in a child process of its own (fork), whatever CK_FORK says, and
 * the parent checks what the child left in files. */
#include "build.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static char tdir[64];

static void tdir_setup(void) {
  snprintf(tdir, sizeof tdir, "/tmp/check_log.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void tdir_teardown(void) {
  nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole content of `path` ("" if it cannot be read); static. */
static const char *slurp(const char *path) {
  static char buf[8192];
  buf[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return buf;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Runs `body` in a child whose stderr goes to TDIR/stderr, with
 * $ODBCPOOL_LOG set to `env` (NULL: unset) and openlog("check-ident",
 * LOG_PERROR, LOG_LOCAL3) done first, as a host program might: with
 * LOG_PERROR, syslog(3) copies each message, with the program's ident,
 * to stderr. Returns the child's pid once it exited with 0. */
static pid_t in_child(const char *env, void (*body)(void)) {
  char errf[128];
  snprintf(errf, sizeof errf, "%s/stderr", tdir);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, 2) < 0)
      _exit(3);
    if (env != NULL)
      setenv("ODBCPOOL_LOG", env, 1);
    else
      unsetenv("ODBCPOOL_LOG");
    openlog("check-ident", LOG_PERROR, LOG_LOCAL3);
    body();
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %d", status);
  return pid;
}

static const char *child_stderr(void) {
  char errf[128];
  snprintf(errf, sizeof errf, "%s/stderr", tdir);
  return slurp(errf);
}

static void log_and_program_logs(void) {
  odbcpool__log(ODBCPOOL_LOG_WARN, "pool x: a warning");
  odbcpool__log(ODBCPOOL_LOG_INFO, "pool x: below the threshold");
  syslog(LOG_INFO, "the program logs again");
}

START_TEST(test_log_goes_to_syslog_by_default_with_the_programs_ident) {
  pid_t pid = in_child(NULL, log_and_program_logs);
  const char *out = child_stderr();
  char want[96];
  /* Only through syslog (LOG_PERROR's copy, with the program's ident):
   * odbcpool itself wrote nothing to stderr. */
  snprintf(want, sizeof want,
           "check-ident: odbcpool[%d]: warning: pool x: a warning\n", (int)pid);
  ck_assert_msg(strncmp(out, want, strlen(want)) == 0,
                "expected stderr to start with \"%s\", got \"%s\"", want, out);
  ck_assert_msg(
      strcmp(out + strlen(want), "check-ident: the program logs again\n") == 0,
      "expected the program's own line next (its ident and "
      "options kept), and nothing else; got \"%s\"",
      out);
}
END_TEST

static char log_path[160];

static void log_to_file(void) {
  odbcpool_error err;
  if (odbcpool__log_configure(log_path, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "configure: %s\n", err.message);
    _exit(5);
  }
  odbcpool__log(ODBCPOOL_LOG_WARN, "first %d", 1);
  odbcpool__log(ODBCPOOL_LOG_ERROR, "second %d", 2);
}

START_TEST(test_log_file_is_appended_to_and_created_0600) {
  snprintf(log_path, sizeof log_path, "%s/odbcpool.log", tdir);
  pid_t pid = in_child(NULL, log_to_file);
  in_child(NULL, log_to_file);
  ck_assert_str_eq(child_stderr(), "");
  struct stat st;
  ck_assert_int_eq(stat(log_path, &st), 0);
  ck_assert_int_eq(st.st_mode & 07777, 0600);
  const char *text = slurp(log_path);
  char want[64];
  snprintf(want, sizeof want, "odbcpool[%d]: warning: first 1\n", (int)pid);
  ck_assert_msg(strstr(text, want) != NULL, "expected \"%s\" in \"%s\"", want,
                text);
  int lines = 0;
  for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
    lines++;
  ck_assert_int_eq(lines, 4); /* two runs, appended */
  ck_assert_ptr_nonnull(strstr(text, "error: second 2\n"));
}
END_TEST

static void configure_must_fail(void) {
  odbcpool_error err;
  int code = odbcpool__log_configure(log_path, &err);
  fprintf(stderr, "%d %s\n", code, code ? err.message : "");
}

START_TEST(test_log_file_refuses_a_symbolic_link) {
  char target[160];
  snprintf(target, sizeof target, "%s/elsewhere", tdir);
  snprintf(log_path, sizeof log_path, "%s/link.log", tdir);
  ck_assert_int_eq(symlink(target, log_path), 0);
  in_child(NULL, configure_must_fail);
  const char *out = child_stderr();
  ck_assert_msg(atoi(out) == ODBCPOOL_EIO && strstr(out, "link.log") != NULL,
                "expected the refusal (code %d) naming the file, got \"%s\"",
                ODBCPOOL_EIO, out);
  ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

START_TEST(test_log_file_refuses_a_directory_others_may_write) {
  if (geteuid() != 0) {
    /* A directory of our own is accepted whatever its mode; only root
     * can make one that belongs to somebody else. */
    printf("check_log: not root: the refusal of another user's "
           "world-writable directory is not tested\n");
    return;
  }
  char dir[128];
  snprintf(dir, sizeof dir, "%s/open", tdir);
  ck_assert_int_eq(mkdir(dir, 0777), 0);
  ck_assert_int_eq(chmod(dir, 0777), 0);
  ck_assert_int_eq(chown(dir, 65534, 65534), 0);
  snprintf(log_path, sizeof log_path, "%s/odbcpool.log", dir);
  in_child(NULL, configure_must_fail);
  const char *out = child_stderr();
  ck_assert_msg(atoi(out) == ODBCPOOL_EIO &&
                    strstr(out, "writable by group or others") != NULL,
                "expected the refusal, got \"%s\"", out);
  ck_assert_int_eq(access(log_path, F_OK), -1);
}
END_TEST

START_TEST(test_log_environment_overrides_the_config) {
  snprintf(log_path, sizeof log_path, "%s/odbcpool.log", tdir);
  in_child("stderr,info", log_to_file);
  const char *out = child_stderr();
  ck_assert_msg(strstr(out, "odbcpool: warning: first 1\n") != NULL &&
                    strstr(out, "odbcpool: error: second 2\n") != NULL,
                "expected both lines on stderr, got \"%s\"", out);
  ck_assert_int_eq(access(log_path, F_OK), -1);
}
END_TEST

static void log_to_none(void) {
  odbcpool_error err;
  if (odbcpool__log_configure("none", &err) != ODBCPOOL_OK)
    _exit(5);
  odbcpool__log(ODBCPOOL_LOG_ERROR, "nowhere");
}

START_TEST(test_log_none_writes_nothing) {
  in_child(NULL, log_to_none);
  ck_assert_str_eq(child_stderr(), "");
}
END_TEST

static Suite *log_suite(void) {
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("destinations");
  tcase_add_checked_fixture(tc, tdir_setup, tdir_teardown);
  tcase_add_test(tc,
                 test_log_goes_to_syslog_by_default_with_the_programs_ident);
  tcase_add_test(tc, test_log_file_is_appended_to_and_created_0600);
  tcase_add_test(tc, test_log_file_refuses_a_symbolic_link);
  tcase_add_test(tc, test_log_file_refuses_a_directory_others_may_write);
  tcase_add_test(tc, test_log_environment_overrides_the_config);
  tcase_add_test(tc, test_log_none_writes_nothing);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(log_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
