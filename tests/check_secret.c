/* check_secret.c — unit tests of the secret store (src/secret.c) and of
 * `odbcpool encrypt` (src/cli/encrypt.c). */
#include "build.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "secret.h"

/* Secrets distinctive enough that finding them in a message or in the
 * output of the CLI cannot be a coincidence. */
#define UID_SECRET "uid-Zq7w3Hk"
#define PWD_SECRET "pwd-Xv9!Tr4Lm"

/* Asserts that string `hay` contains `needle`, printing both if not. */
#define ck_assert_contains(hay, needle)                                        \
  ck_assert_msg(strstr((hay), (needle)) != NULL,                               \
                "\"%s\" should contain \"%s\"", (hay), (needle))
#define ck_assert_lacks(hay, needle)                                           \
  ck_assert_msg(strstr((hay), (needle)) == NULL,                               \
                "\"%s\" must not contain \"%s\"", (hay), (needle))

#if defined(__SANITIZE_ADDRESS__)
#define RUNNING_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNING_UNDER_ASAN 1
#endif
#endif
#ifndef RUNNING_UNDER_ASAN
#define RUNNING_UNDER_ASAN 0
#endif

/* ------------------------------------------------------------- helpers */

/* A temporary directory, removed by the teardown. For the checked
 * fixture (one directory per test) the teardown does not run after a
 * failed test, which leaves the files behind for inspection. */
static char tmpdir[64];

/* Paths handed out by P(), so that each stays valid for the whole test. */
static struct {
  char rel[64];
  char path[PATH_MAX];
} paths[64];
static size_t npaths;

static void tmpdir_setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/check_secret.XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    abort();
  }
  npaths = 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void tmpdir_teardown(void) {
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/rel; the same string for the same rel during a test. */
static const char *P(const char *rel) {
  for (size_t i = 0; i < npaths; i++)
    if (strcmp(paths[i].rel, rel) == 0)
      return paths[i].path;
  ck_assert_uint_lt(npaths, sizeof paths / sizeof paths[0]);
  ck_assert_uint_lt(strlen(rel), sizeof paths[0].rel);
  snprintf(paths[npaths].rel, sizeof paths[0].rel, "%s", rel);
  snprintf(paths[npaths].path, PATH_MAX, "%s/%s", tmpdir, rel);
  return paths[npaths++].path;
}

/* Writes `len` bytes to tmpdir/rel with `mode`; returns the path. */
static const char *write_file(const char *rel, const void *data, size_t len,
                              mode_t mode) {
  const char *path = P(rel);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
  ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
  ck_assert_int_eq(fchmod(fd, mode), 0);
  ck_assert_int_eq(close(fd), 0);
  return path;
}

/* The contents of tmpdir/rel (malloc'ed) and their length. */
static unsigned char *read_file(const char *rel, size_t *len) {
  const char *path = P(rel);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
  unsigned char *buf = malloc(1 << 17);
  ck_assert_ptr_nonnull(buf);
  *len = fread(buf, 1, 1 << 17, f);
  fclose(f);
  return buf;
}

static const char *new_key(const char *rel) {
  odbcpool_error err = {0};
  const char *path = P(rel);
  int rc = odbcpool__secret_new_key(path, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "new key %s: %d %s", path, rc, err.message);
  return path;
}

static const char *write_cred(const char *rel, const char *key, const char *uid,
                              const char *pwd) {
  odbcpool_error err = {0};
  const char *path = P(rel);
  int rc = odbcpool__cred_write(path, key, uid, pwd, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "write %s: %d %s", path, rc, err.message);
  return path;
}

/* Loads cred with key and asserts that it gives uid and pwd back. */
static void expect_cred(const char *cred, const char *key, const char *uid,
                        const char *pwd) {
  odbcpool_error err = {0};
  struct odbcpool__cred c;
  int rc = odbcpool__cred_load(cred, key, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_OK, "load %s: %d %s", cred, rc, err.message);
  ck_assert_str_eq(c.uid, uid);
  ck_assert_str_eq(c.pwd, pwd);
  ck_assert_ptr_eq(c.pwd, c.uid + strlen(uid) + 1);
  ck_assert_uint_eq(c.size, strlen(uid) + 1 + strlen(pwd) + 1);
  odbcpool__cred_free(&c);
  ck_assert_ptr_null(c.uid);
  ck_assert_ptr_null(c.pwd);
}

/* Loading cred with key must fail with ECONFIG, leave the output empty,
 * name the file `names` and say `frag`, and never show the secrets.
 * Returns the message (static). */
static const char *expect_refused(const char *cred, const char *key,
                                  const char *names, const char *frag) {
  static odbcpool_error err;
  struct odbcpool__cred c;
  memset(&err, 0, sizeof err);
  memset(&c, 0x5a, sizeof c);
  int rc = odbcpool__cred_load(cred, key, &c, &err);
  ck_assert_msg(rc == ODBCPOOL_ECONFIG,
                "load %s: expected ECONFIG (%d), "
                "got %d: %s",
                cred, ODBCPOOL_ECONFIG, rc, err.message);
  ck_assert_int_eq(err.code, ODBCPOOL_ECONFIG);
  ck_assert_ptr_null(c.uid);
  ck_assert_ptr_null(c.pwd);
  ck_assert_uint_eq(c.size, 0);
  if (names)
    ck_assert_contains(err.message, names);
  if (frag)
    ck_assert_contains(err.message, frag);
  ck_assert_lacks(err.message, UID_SECRET);
  ck_assert_lacks(err.message, PWD_SECRET);
  return err.message;
}

/* The VmFlags of the mapping holding `p`, from /proc/self/smaps, or
 * NULL when there is no /proc. */
static const char *vm_flags(const void *p) {
  static char flags[512];
  FILE *f = fopen("/proc/self/smaps", "r");
  if (f == NULL)
    return NULL;
  char line[512];
  bool inside = false, found = false;
  uintptr_t a = (uintptr_t)p;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') &&
        line[0] != 'V') {
      inside = a >= lo && a < hi;
    } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
      snprintf(flags, sizeof flags, "%s", line + 8);
      found = true;
      break;
    }
  }
  fclose(f);
  ck_assert_msg(found, "no mapping holds %p in /proc/self/smaps", p);
  return flags;
}

/* ------------------------------------------------------- secure memory */

START_TEST(test_secure_alloc_is_page_aligned_and_wiped_on_free) {
  static const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 65536};
  long page = sysconf(_SC_PAGESIZE);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i] ? sizes[i] : 1;
    unsigned char *p = odbcpool__secure_alloc(sizes[i]);
    ck_assert_msg(p != NULL, "secure_alloc(%zu) failed", sizes[i]);
    ck_assert_uint_eq((uintptr_t)p % (uintptr_t)page, 0);
    memset(p, 0xa5, n);
    ck_assert_uint_eq(p[n - 1], 0xa5);
    ck_assert_msg(odbcpool__secure_free_wiped(p, sizes[i]),
                  "block of %zu bytes not zero after the wipe", sizes[i]);
  }
  odbcpool__secure_free(NULL, 10); /* no-op */
  ck_assert(odbcpool__secure_free_wiped(NULL, 10));
}
END_TEST

START_TEST(test_secure_alloc_is_excluded_from_core_dumps_and_locked) {
  unsigned char *p = odbcpool__secure_alloc(64);
  ck_assert_ptr_nonnull(p);
  const char *flags = vm_flags(p);
  if (flags == NULL) {
    fprintf(stderr, "check_secret: no /proc/self/smaps; cannot see the "
                    "flags of secure memory\n");
    odbcpool__secure_free(p, 64);
    return;
  }
  ck_assert_contains(flags, " dd"); /* MADV_DONTDUMP */
  /* mlock can only fail for lack of RLIMIT_MEMLOCK; ASan's mlock does
   * nothing. */
  struct rlimit rl;
  if (!RUNNING_UNDER_ASAN &&
      (geteuid() == 0 ||
       (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur >= (1u << 20))))
    ck_assert_contains(flags, " lo"); /* mlock'ed */
  odbcpool__secure_free(p, 64);
}
END_TEST

START_TEST(test_decrypted_credentials_are_in_secure_memory) {
  const char *key = new_key("k");
  const char *cred = write_cred("c", key, UID_SECRET, PWD_SECRET);
  odbcpool_error err = {0};
  struct odbcpool__cred c;
  ck_assert_int_eq(odbcpool__cred_load(cred, key, &c, &err), ODBCPOOL_OK);
  const char *flags = vm_flags(c.uid);
  if (flags != NULL)
    ck_assert_contains(flags, " dd");
  ck_assert(odbcpool__secure_free_wiped(c.uid, c.size));
  odbcpool__cred_free(NULL); /* no-op */
}
END_TEST

/* ----------------------------------------------------------- key files */

START_TEST(test_new_key_is_32_random_bytes_mode_0600) {
  mode_t old = umask(0); /* the mode must not depend on the umask */
  const char *k1 = new_key("k1");
  const char *k2 = new_key("k2");
  umask(old);
  struct stat st;
  ck_assert_int_eq(lstat(k1, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  ck_assert_int_eq(st.st_size, 32);
  size_t n1, n2;
  unsigned char *b1 = read_file("k1", &n1), *b2 = read_file("k2", &n2);
  ck_assert_uint_eq(n1, 32);
  ck_assert_uint_eq(n2, 32);
  ck_assert_msg(memcmp(b1, b2, 32) != 0, "two new keys are equal");
  unsigned char key[32];
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__secret_load_key(k2, key, &err), ODBCPOOL_OK);
  ck_assert(memcmp(key, b2, 32) == 0);
  free(b1);
  free(b2);
}
END_TEST

START_TEST(test_new_key_refuses_to_overwrite) {
  const char *k = new_key("k");
  size_t n0, n1;
  unsigned char *before = read_file("k", &n0);
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__secret_new_key(k, &err), ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, k);
  ck_assert_contains(err.message, "already exists");
  unsigned char *after = read_file("k", &n1);
  ck_assert_uint_eq(n1, n0);
  ck_assert(memcmp(before, after, n0) == 0);
  free(before);
  free(after);

  /* Nor through a dangling symbolic link, which would create its
   * target. */
  ck_assert_int_eq(symlink(P("target"), P("link")), 0);
  ck_assert_int_eq(odbcpool__secret_new_key(P("link"), &err), ODBCPOOL_ECONFIG);
  ck_assert_int_eq(access(P("target"), F_OK), -1);
}
END_TEST

START_TEST(test_key_file_shorter_than_32_bytes_is_refused) {
  static const size_t lens[] = {0, 1, 16, 31};
  unsigned char bytes[64];
  for (size_t i = 0; i < sizeof bytes; i++)
    bytes[i] = (unsigned char)(i * 7 + 1);
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    const char *k = write_file("short", bytes, lens[i], 0600);
    unsigned char key[32];
    odbcpool_error err = {0};
    memset(key, 0xee, sizeof key);
    ck_assert_int_eq(odbcpool__secret_load_key(k, key, &err), ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, k);
    ck_assert_contains(err.message, "too short");
    for (size_t j = 0; j < sizeof key; j++)
      ck_assert_uint_eq(key[j], 0); /* nothing half-read is left */
  }
  /* A longer file is a key: its first 32 bytes. */
  const char *k = write_file("long", bytes, 64, 0600);
  unsigned char key[32];
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__secret_load_key(k, key, &err), ODBCPOOL_OK);
  ck_assert(memcmp(key, bytes, 32) == 0);
  const char *k32 = write_file("k32", bytes, 32, 0600);
  const char *cred = write_cred("c", k32, UID_SECRET, PWD_SECRET);
  expect_cred(cred, k, UID_SECRET, PWD_SECRET);
  /* A short key file is refused when loading credentials too. */
  write_file("short", bytes, 31, 0600);
  expect_refused(cred, P("short"), P("short"), "too short");
}
END_TEST

/* Group or others may not have any permission on a file with a
 * secret. */
static const mode_t bad_modes[] = {0640, 0604, 0620, 0602, 0660,
                                   0644, 0666, 0610, 0601, 0777};

START_TEST(test_readable_or_writable_key_file_is_refused_naming_mode) {
  const char *k = new_key("k");
  const char *cred = write_cred("c", k, UID_SECRET, PWD_SECRET);
  for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
    char mode[32];
    snprintf(mode, sizeof mode, "(mode %04o)", (unsigned)bad_modes[i]);
    ck_assert_int_eq(chmod(k, bad_modes[i]), 0);
    odbcpool_error err = {0};
    unsigned char key[32];
    ck_assert_int_eq(odbcpool__secret_check_mode(k, &err), ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, k);
    ck_assert_contains(err.message, mode);
    ck_assert_int_eq(odbcpool__secret_load_key(k, key, &err), ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, mode);
    expect_refused(cred, k, k, mode);
    ck_assert_int_eq(odbcpool__cred_write(P("c2"), k, "u", "p", &err),
                     ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, mode);
    ck_assert_int_eq(access(P("c2"), F_OK), -1);
  }
  ck_assert_int_eq(chmod(k, 0400), 0);
  expect_cred(cred, k, UID_SECRET, PWD_SECRET);
}
END_TEST

START_TEST(test_readable_or_writable_credentials_file_is_refused) {
  const char *k = new_key("k");
  const char *cred = write_cred("c", k, UID_SECRET, PWD_SECRET);
  for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
    char mode[32];
    snprintf(mode, sizeof mode, "(mode %04o)", (unsigned)bad_modes[i]);
    ck_assert_int_eq(chmod(cred, bad_modes[i]), 0);
    expect_refused(cred, k, cred, mode);
  }
  ck_assert_int_eq(chmod(cred, 0600), 0);
  expect_cred(cred, k, UID_SECRET, PWD_SECRET);
}
END_TEST

START_TEST(test_file_of_another_user_is_refused) {
  if (geteuid() != 0) {
    fprintf(stderr, "check_secret: not root; cannot give a file to another "
                    "user to test the owner check\n");
    return;
  }
  const char *k = new_key("k");
  const char *cred = write_cred("c", k, UID_SECRET, PWD_SECRET);
  ck_assert_int_eq(chown(cred, 4242, (gid_t)-1), 0);
  expect_refused(cred, k, cred, "owned by uid 4242");
  ck_assert_int_eq(chown(k, 4242, (gid_t)-1), 0);
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__secret_check_mode(k, &err), ODBCPOOL_ECONFIG);
  ck_assert_contains(err.message, "owned by uid 4242");
}
END_TEST

/* Every kind of file that is not a regular file is refused, for keys
 * and credentials, without blocking (the test case has a timeout). */
START_TEST(test_non_regular_files_are_refused_without_hanging) {
  const char *k = new_key("k");
  const char *cred = write_cred("c", k, UID_SECRET, PWD_SECRET);
  ck_assert_int_eq(symlink("/dev/zero", P("zero")), 0);
  ck_assert_int_eq(symlink(k, P("keylink")), 0);
  ck_assert_int_eq(symlink(cred, P("credlink")), 0);
  ck_assert_int_eq(mkdir(P("dir"), 0700), 0);
  ck_assert_int_eq(mkfifo(P("fifo"), 0600), 0);
  static const struct {
    const char *rel, *frag;
  } cases[] = {
      {"zero", "symbolic link"},
      {"keylink", "symbolic link"},
      {"credlink", "symbolic link"},
      {"dir", "directory"},
      {"fifo", "FIFO"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *path = P(cases[i].rel);
    odbcpool_error err = {0};
    unsigned char key[32];
    ck_assert_int_eq(odbcpool__secret_check_mode(path, &err), ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, path);
    ck_assert_contains(err.message, cases[i].frag);
    ck_assert_int_eq(odbcpool__secret_load_key(path, key, &err),
                     ODBCPOOL_ECONFIG);
    ck_assert_contains(err.message, cases[i].frag);
    expect_refused(cred, path, path, cases[i].frag); /* as the key */
    expect_refused(path, k, path, cases[i].frag);    /* as credentials */
  }
  expect_refused("/dev/zero", k, "/dev/zero", "character device");
  expect_refused(cred, "/dev/null", "/dev/null", "character device");
}
END_TEST

START_TEST(test_missing_files_are_refused_naming_them) {
  const char *k = new_key("k");
  const char *cred = write_cred("c", k, UID_SECRET, PWD_SECRET);
  expect_refused(P("nocred"), k, P("nocred"), "No such file");
  expect_refused(cred, P("nokey"), P("nokey"), "No such file");
}
END_TEST

/* --------------------------------------------------------- round trips */

START_TEST(test_round_trip) {
  const char *k = new_key("k");
  const char *cred = write_cred("sales.cred", k, UID_SECRET, PWD_SECRET);
  expect_cred(cred, k, UID_SECRET, PWD_SECRET);
  struct stat st;
  ck_assert_int_eq(stat(cred, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  /* Header, nonce, 4+uid, 4+pwd, tag: no plaintext in the file. */
  ck_assert_int_eq(st.st_size, 8 + 12 + 4 + strlen(UID_SECRET) + 4 +
                                   strlen(PWD_SECRET) + 16);
  size_t n;
  unsigned char *b = read_file("sales.cred", &n);
  ck_assert(memcmp(b, "ODBCPCR\001", 8) == 0);
  ck_assert_ptr_null(memmem(b, n, UID_SECRET, strlen(UID_SECRET)));
  ck_assert_ptr_null(memmem(b, n, PWD_SECRET, strlen(PWD_SECRET)));
  free(b);
}
END_TEST

START_TEST(test_round_trip_of_hostile_values) {
  static char big[4097], max[ODBCPOOL_CRED_FIELD_MAX + 1];
  for (size_t i = 0; i < sizeof big - 1; i++)
    big[i] = (char)(1 + i % 255); /* every byte but NUL */
  for (size_t i = 0; i < sizeof max - 1; i++)
    max[i] = (char)('a' + i % 26);
  const struct {
    const char *uid, *pwd;
  } cases[] = {
      {"a;b=c}", "}{;=;PWD=x;UID=root"},
      {"", ""},
      {"user", ""},
      {"", "pw"},
      {"line1\nline2\r\n", "\n\n;\r"},
      {"J\xc3\xbcrgen \xe2\x9c\x93",
       "\xe5\xaf\x86\xe7\xa0\x81 \xf0\x9f\x94\x91"},
      {" spaces ", "  "},
      {"\xff\xfe\x80", "\x01\x7f\xc0"},
      {"u", big},
      {big, "p"},
      {max, max},
  };
  const char *k = new_key("k");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *cred = write_cred("c", k, cases[i].uid, cases[i].pwd);
    expect_cred(cred, k, cases[i].uid, cases[i].pwd);
  }
}
END_TEST

START_TEST(test_write_refuses_values_too_long) {
  static char big[ODBCPOOL_CRED_FIELD_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  const char *k = new_key("k");
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__cred_write(P("c"), k, big, "p", &err),
                   ODBCPOOL_EINVAL);
  ck_assert_contains(err.message, "user name is longer");
  ck_assert_int_eq(odbcpool__cred_write(P("c"), k, "u", big, &err),
                   ODBCPOOL_EINVAL);
  ck_assert_contains(err.message, "password is longer");
  ck_assert_int_eq(access(P("c"), F_OK), -1);
}
END_TEST

START_TEST(test_each_write_has_a_new_nonce) {
  const char *k = new_key("k");
  write_cred("a", k, UID_SECRET, PWD_SECRET);
  size_t n1, n2;
  unsigned char *b1 = read_file("a", &n1);
  write_cred("a", k, UID_SECRET, PWD_SECRET);
  unsigned char *b2 = read_file("a", &n2);
  ck_assert_uint_eq(n1, n2);
  ck_assert_msg(memcmp(b1 + 8, b2 + 8, 12) != 0, "nonce reused");
  ck_assert_msg(memcmp(b1 + 20, b2 + 20, n1 - 20) != 0,
                "same ciphertext twice");
  free(b1);
  free(b2);
}
END_TEST

/* The write goes to a temporary file of mode 0600 renamed over the
 * target: no temporary is left, the mode does not depend on the umask,
 * and a symbolic link at the target is replaced, not written through. */
START_TEST(test_write_is_atomic_and_private) {
  const char *k = new_key("k");
  write_file("target", "keep", 4, 0644);
  ck_assert_int_eq(symlink(P("target"), P("link.cred")), 0);
  mode_t old = umask(0);
  const char *cred = write_cred("link.cred", k, UID_SECRET, PWD_SECRET);
  umask(old);
  struct stat st;
  ck_assert_int_eq(lstat(cred, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  size_t n;
  unsigned char *t = read_file("target", &n);
  ck_assert_uint_eq(n, 4);
  ck_assert(memcmp(t, "keep", 4) == 0);
  free(t);
  expect_cred(cred, k, UID_SECRET, PWD_SECRET);

  DIR *d = opendir(tmpdir);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  int entries = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    ck_assert_msg(strcmp(e->d_name, "k") == 0 ||
                      strcmp(e->d_name, "target") == 0 ||
                      strcmp(e->d_name, "link.cred") == 0,
                  "left behind: %s", e->d_name);
    entries++;
  }
  closedir(d);
  ck_assert_int_eq(entries, 3);

  /* A directory that does not exist: an error naming the file. */
  odbcpool_error err = {0};
  ck_assert_int_eq(odbcpool__cred_write(P("nodir/c"), k, "u", "p", &err),
                   ODBCPOOL_EIO);
  ck_assert_contains(err.message, P("nodir/c"));
}
END_TEST

/* ------------------------------------------------------ hostile input */

START_TEST(test_wrong_key_is_refused_without_leaking) {
  const char *k1 = new_key("k1");
  const char *k2 = new_key("k2");
  const char *cred = write_cred("c", k1, UID_SECRET, PWD_SECRET);
  expect_refused(cred, k2, cred, "wrong key or corrupted file");
}
END_TEST

START_TEST(test_every_bit_flip_is_detected) {
  const char *k = new_key("k");
  write_cred("c", k, "u1", "p1");
  size_t n;
  unsigned char *orig = read_file("c", &n);
  ck_assert_uint_eq(n, 8 + 12 + 4 + 2 + 4 + 2 + 16);
  unsigned char *b = malloc(n);
  ck_assert_ptr_nonnull(b);
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(b, orig, n);
      b[i] ^= (unsigned char)(1u << bit);
      const char *cred = write_file("c", b, n, 0600);
      const char *msg = expect_refused(cred, k, cred, NULL);
      if (i < 7)
        ck_assert_contains(msg, "not an odbcpool credentials file");
      else if (i == 7)
        ck_assert_contains(msg, "unsupported credentials file version");
      else
        ck_assert_contains(msg, "wrong key or corrupted file");
    }
  }
  expect_cred(write_file("c", orig, n, 0600), k, "u1", "p1");
  free(b);
  free(orig);
}
END_TEST

START_TEST(test_every_truncation_is_refused) {
  const char *k = new_key("k");
  write_cred("c", k, UID_SECRET, PWD_SECRET);
  size_t n;
  unsigned char *orig = read_file("c", &n);
  for (size_t len = 0; len < n; len++) {
    const char *cred = write_file("c", orig, len, 0600);
    const char *msg = expect_refused(cred, k, cred, NULL);
    if (len < 44)
      ck_assert_contains(msg, "truncated");
    else
      ck_assert_contains(msg, "wrong key or corrupted file");
  }
  /* One byte more is refused too. */
  unsigned char *longer = malloc(n + 1);
  ck_assert_ptr_nonnull(longer);
  memcpy(longer, orig, n);
  longer[n] = 0;
  const char *cred = write_file("c", longer, n + 1, 0600);
  expect_refused(cred, k, cred, "wrong key or corrupted file");
  free(longer);
  free(orig);
}
END_TEST

START_TEST(test_renamed_or_copied_file_is_refused) {
  const char *k = new_key("k");
  const char *a = write_cred("sales.cred", k, UID_SECRET, PWD_SECRET);
  const char *b = write_cred("hr.cred", k, "hr", "hr-pw");
  /* Renamed: the base name is authenticated. */
  ck_assert_int_eq(rename(a, P("other.cred")), 0);
  expect_refused(P("other.cred"), k, P("other.cred"),
                 "wrong key or corrupted file");
  ck_assert_int_eq(rename(P("other.cred"), a), 0);
  expect_cred(a, k, UID_SECRET, PWD_SECRET);
  /* Copied over another one. */
  size_t n;
  unsigned char *bytes = read_file("sales.cred", &n);
  write_file("hr.cred", bytes, n, 0600);
  expect_refused(b, k, b, "wrong key or corrupted file");
  /* The same name in another directory is the same file. */
  ck_assert_int_eq(mkdir(P("sub"), 0700), 0);
  write_file("sub/sales.cred", bytes, n, 0600);
  expect_cred(P("sub/sales.cred"), k, UID_SECRET, PWD_SECRET);
  free(bytes);
}
END_TEST

START_TEST(test_other_files_are_not_credentials) {
  const char *k = new_key("k");
  const char *text = "UID=admin;PWD=" PWD_SECRET "\n";
  const char *cred = write_file("c", text, strlen(text), 0600);
  expect_refused(cred, k, cred, "not an odbcpool credentials file");
  /* A later version. */
  write_cred("c", k, UID_SECRET, PWD_SECRET);
  size_t n;
  unsigned char *b = read_file("c", &n);
  b[7] = 2;
  write_file("c", b, n, 0600);
  expect_refused(cred, k, cred, "version 2");
  /* Too large to be one. */
  unsigned char *huge = calloc(1, 1 << 17);
  ck_assert_ptr_nonnull(huge);
  memcpy(huge, "ODBCPCR\001", 8);
  write_file("c", huge, 1 << 17, 0600);
  expect_refused(cred, k, cred, "too large");
  free(huge);
  free(b);
}
END_TEST

/* Writes tmpdir/rel as a version 1 credentials file around `pt`,
 * encrypted and authenticated with the key in tmpdir/key_rel exactly as
 * the format says: what a writer with the key but a bug could make. */
static const char *craft(const char *rel, const char *key_rel, const void *pt,
                         size_t len) {
  size_t klen;
  unsigned char *key = read_file(key_rel, &klen);
  ck_assert_uint_eq(klen, 32);
  unsigned char *file = malloc(20 + len + 16);
  ck_assert_ptr_nonnull(file);
  memcpy(file, "ODBCPCR\001", 8);
  memset(file + 8, 0x42, 12);
  const char *base = strrchr(P(rel), '/') + 1;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n;
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, file + 8), 1);
  ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &n, file, 8), 1);
  ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)base,
                                     (int)strlen(base)),
                   1);
  ck_assert_int_eq(EVP_EncryptUpdate(ctx, file + 20, &n, pt, (int)len), 1);
  ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, file + 20 + n, &n), 1);
  ck_assert_int_eq(
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, file + 20 + len), 1);
  EVP_CIPHER_CTX_free(ctx);
  const char *path = write_file(rel, file, 20 + len + 16, 0600);
  free(file);
  free(key);
  return path;
}

/* Authentic but malformed contents: lengths that do not add up, a NUL
 * byte. Refused, never read past the end. */
START_TEST(test_authentic_but_malformed_contents_are_refused) {
  const char *k = new_key("k");
  static const struct {
    const char *pt;
    size_t len;
  } cases[] = {
      {"\0\0\0\2u1\0\0\0\2p1", 12},         /* well formed: loads */
      {"\0\0\0\2u1\0\0\0\2p1x", 13},        /* a byte after the pwd */
      {"\0\0\0\2u1\0\0\0\3p1", 12},         /* pwd longer than the rest */
      {"\0\0\0\2u1\0\0\0\1p1", 12},         /* pwd shorter than the rest */
      {"\0\0\0\x09u1\0\0\0\2p1", 12},       /* uid longer than the rest */
      {"\xff\xff\xff\xffu1\0\0\0\2p1", 12}, /* a huge uid length */
      {"\0\0\0\2u1\xff\xff\xff\xfep1", 12}, /* a huge pwd length */
      {"\0\0\0\2u\0\0\0\0\2p1", 12},        /* NUL in the uid */
      {"\0\0\0\2u1\0\0\0\2\0p", 12},        /* NUL in the pwd */
      {"\0\0\0\0\0\0\0\0\0", 9},            /* empty both, one more */
  };
  const char *cred = craft("c", "k", cases[0].pt, cases[0].len);
  expect_cred(cred, k, "u1", "p1");
  for (size_t i = 1; i < sizeof cases / sizeof cases[0]; i++) {
    craft("c", "k", cases[i].pt, cases[i].len);
    expect_refused(cred, k, cred, "malformed credentials");
  }
}
END_TEST

/* -------------------------------------------------------------- the CLI */

static char cli[PATH_MAX];

/* Reads all of fd into a malloc'ed NUL-terminated string. */
static char *slurp_fd(int fd) {
  size_t len = 0, cap = 4096;
  char *s = malloc(cap);
  ck_assert_ptr_nonnull(s);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      s = realloc(s, cap);
      ck_assert_ptr_nonnull(s);
    }
    ssize_t r = read(fd, s + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  s[len] = '\0';
  return s;
}

/* Runs the odbcpool binary with argv (argv[0] is ignored), `input` on a
 * pipe as stdin; returns its exit status (-1 if killed) and its stdout
 * and stderr, which go to files so that nothing can block. */
static int run_cli(const char *const *argv, const char *input, char **out,
                   char **errout) {
  int in[2];
  ck_assert_int_eq(pipe(in), 0);
  int fo = open(P("cli.out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int fe = open(P("cli.err"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ck_assert(fo >= 0 && fe >= 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(fo, 1);
    dup2(fe, 2);
    close(in[0]);
    close(in[1]);
    char *args[16];
    int n = 0;
    args[n++] = cli;
    for (int i = 1; argv[i] && n < 15; i++)
      args[n++] = (char *)argv[i];
    args[n] = NULL;
    execv(cli, args);
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  size_t len = strlen(input);
  ck_assert_int_eq(write(in[1], input, len), (ssize_t)len);
  close(in[1]);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  lseek(fo, 0, SEEK_SET);
  lseek(fe, 0, SEEK_SET);
  *out = slurp_fd(fo);
  *errout = slurp_fd(fe);
  close(fo);
  close(fe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli_encrypt_new_key_round_trip) {
  const char *uid = "app;user=}x \xc3\xa9";
  const char *pwd = "P{w}d;=; \xe2\x82\xac " PWD_SECRET;
  char input[256];
  snprintf(input, sizeof input, "%s\n%s\n", uid, pwd);
  const char *argv[] = {"odbcpool",  "encrypt",     "--key", P("new.key"),
                        "--new-key", P("app.cred"), NULL};
  char *out, *err;
  int rc = run_cli(argv, input, &out, &err);
  ck_assert_msg(rc == 0, "exit %d, stdout: %s, stderr: %s", rc, out, err);
  ck_assert_lacks(out, PWD_SECRET);
  ck_assert_lacks(err, PWD_SECRET);
  ck_assert_contains(out, "app.cred");
  struct stat st;
  ck_assert_int_eq(stat(P("new.key"), &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  ck_assert_int_eq(st.st_size, 32);
  ck_assert_int_eq(stat(P("app.cred"), &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  expect_cred(P("app.cred"), P("new.key"), uid, pwd);
  free(out);
  free(err);

  /* Again with the existing key, the last line without a newline. */
  const char *argv2[] = {"odbcpool",   "encrypt",     "--key",
                         P("new.key"), P("app.cred"), NULL};
  rc = run_cli(argv2, "second\n" PWD_SECRET, &out, &err);
  ck_assert_msg(rc == 0, "exit %d, stderr: %s", rc, err);
  ck_assert_lacks(out, PWD_SECRET);
  ck_assert_lacks(err, PWD_SECRET);
  expect_cred(P("app.cred"), P("new.key"), "second", PWD_SECRET);
  free(out);
  free(err);
}
END_TEST

START_TEST(test_cli_new_key_refuses_to_overwrite) {
  const char *k = new_key("k");
  size_t n0, n1;
  unsigned char *before = read_file("k", &n0);
  const char *argv[] = {"odbcpool",  "encrypt", "--key", k,
                        "--new-key", P("c"),    NULL};
  char *out, *err;
  int rc = run_cli(argv, "u\n" PWD_SECRET "\n", &out, &err);
  ck_assert_int_eq(rc, 1);
  ck_assert_contains(err, "already exists");
  ck_assert_lacks(err, PWD_SECRET);
  ck_assert_int_eq(access(P("c"), F_OK), -1);
  unsigned char *after = read_file("k", &n1);
  ck_assert_uint_eq(n0, n1);
  ck_assert(memcmp(before, after, n0) == 0);
  free(before);
  free(after);
  free(out);
  free(err);
}
END_TEST

START_TEST(test_cli_refuses_readable_key_and_bad_input) {
  const char *k = new_key("k");
  char *out, *err;
  ck_assert_int_eq(chmod(k, 0644), 0);
  const char *argv[] = {"odbcpool", "encrypt", "--key", k, P("c"), NULL};
  ck_assert_int_eq(run_cli(argv, "u\np\n", &out, &err), 1);
  ck_assert_contains(err, k);
  ck_assert_contains(err, "(mode 0644)");
  free(out);
  free(err);
  ck_assert_int_eq(chmod(k, 0600), 0);

  /* No password line; nothing at all; a NUL byte. */
  ck_assert_int_eq(run_cli(argv, "only-user\n", &out, &err), 1);
  ck_assert_contains(err, "no password");
  free(out);
  free(err);
  ck_assert_int_eq(run_cli(argv, "", &out, &err), 1);
  ck_assert_contains(err, "no user name");
  free(out);
  free(err);
  ck_assert_int_eq(access(P("c"), F_OK), -1);

  /* Usage errors. */
  const char *nokey[] = {"odbcpool", "encrypt", P("c"), NULL};
  ck_assert_int_eq(run_cli(nokey, "u\np\n", &out, &err), 2);
  ck_assert_contains(err, "--key");
  free(out);
  free(err);
  const char *same[] = {"odbcpool", "encrypt", "--key", k, k, NULL};
  ck_assert_int_eq(run_cli(same, "u\np\n", &out, &err), 2);
  free(out);
  free(err);
  size_t n;
  unsigned char *kb = read_file("k", &n);
  ck_assert_uint_eq(n, 32);
  free(kb);
}
END_TEST

/* Output of the pty master up to and including `want`, appended to acc;
 * fails the test after 10 s. */
static void pty_expect(int master, char *acc, size_t cap, size_t *len,
                       const char *want) {
  for (int waited = 0; !strstr(acc, want); waited++) {
    ck_assert_msg(waited < 1000, "no \"%s\" from the terminal; got \"%s\"",
                  want, acc);
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 10) <= 0)
      continue;
    ssize_t r = read(master, acc + *len, cap - *len - 1);
    ck_assert_msg(r > 0, "terminal closed; got \"%s\"", acc);
    *len += (size_t)r;
    acc[*len] = '\0';
  }
}

/* Runs the CLI on a pseudo-terminal, typing `lines` one after each
 * prompt. Returns the exit status; `screen` gets all it showed. Checks
 * that echo is back on after the CLI has exited. */
static int run_cli_tty(const char *const *argv, const char *const *lines,
                       char *screen, size_t cap) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ck_assert_int_ge(master, 0);
  ck_assert_int_eq(grantpt(master), 0);
  ck_assert_int_eq(unlockpt(master), 0);
  const char *slave = ptsname(master);
  ck_assert_ptr_nonnull(slave);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    setsid();
    int s = open(slave, O_RDWR);
    if (s < 0)
      _exit(126);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    close(master);
    char *args[16];
    int n = 0;
    args[n++] = cli;
    for (int i = 1; argv[i] && n < 15; i++)
      args[n++] = (char *)argv[i];
    args[n] = NULL;
    execv(cli, args);
    _exit(127);
  }
  size_t len = 0;
  screen[0] = '\0';
  static const char *const prompts[] = {
      "User name (UID): ", "Password (PWD): ", "Password again: "};
  for (int i = 0; lines[i] && i < 3; i++) {
    pty_expect(master, screen, cap, &len, prompts[i]);
    size_t n = strlen(lines[i]);
    ck_assert_int_eq(write(master, lines[i], n), (ssize_t)n);
  }
  int status;
  for (int waited = 0;; waited++) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    struct pollfd pfd = {master, POLLIN, 0};
    while (poll(&pfd, 1, 0) > 0 && len + 1 < cap) {
      ssize_t r = read(master, screen + len, cap - len - 1);
      if (r <= 0)
        break;
      len += (size_t)r;
      screen[len] = '\0';
    }
    if (w == pid)
      break;
    ck_assert_msg(waited < 1000,
                  "CLI on a terminal did not exit; "
                  "screen: \"%s\"",
                  screen);
    usleep(10000);
  }
  struct termios tio;
  ck_assert_int_eq(tcgetattr(master, &tio), 0);
  ck_assert_msg(tio.c_lflag & ECHO, "echo was left off");
  close(master);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli_reads_from_terminal_without_echo) {
  char screen[8192];
  const char *argv[] = {"odbcpool",  "encrypt", "--key", P("k"),
                        "--new-key", P("c"),    NULL};
  const char *lines[] = {UID_SECRET "\n", PWD_SECRET "\n", PWD_SECRET "\n",
                         NULL};
  int rc = run_cli_tty(argv, lines, screen, sizeof screen);
  ck_assert_msg(rc == 0, "exit %d, screen: \"%s\"", rc, screen);
  ck_assert_lacks(screen, UID_SECRET);
  ck_assert_lacks(screen, PWD_SECRET);
  ck_assert_contains(screen, "wrote");
  expect_cred(P("c"), P("k"), UID_SECRET, PWD_SECRET);

  /* Two different passwords: nothing is written, no key is made. */
  const char *argv2[] = {"odbcpool",  "encrypt", "--key", P("k2"),
                         "--new-key", P("c2"),   NULL};
  const char *lines2[] = {"u\n", PWD_SECRET "\n", "typo\n", NULL};
  rc = run_cli_tty(argv2, lines2, screen, sizeof screen);
  ck_assert_int_eq(rc, 1);
  ck_assert_contains(screen, "passwords differ");
  ck_assert_lacks(screen, PWD_SECRET);
  ck_assert_int_eq(access(P("c2"), F_OK), -1);
  ck_assert_int_eq(access(P("k2"), F_OK), -1);
}
END_TEST

/* ---------------------------------------------------------------- suite */

Suite *secret_suite(void);

Suite *secret_suite(void) {
  Suite *s = suite_create("secret");
  TCase *tc;

  tc = tcase_create("memory");
  tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_add_test(tc, test_secure_alloc_is_page_aligned_and_wiped_on_free);
  tcase_add_test(tc, test_secure_alloc_is_excluded_from_core_dumps_and_locked);
  tcase_add_test(tc, test_decrypted_credentials_are_in_secure_memory);
  suite_add_tcase(s, tc);

  /* Each test gets its own directory: a checked fixture. */
  tc = tcase_create("files");
  tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_new_key_is_32_random_bytes_mode_0600);
  tcase_add_test(tc, test_new_key_refuses_to_overwrite);
  tcase_add_test(tc, test_key_file_shorter_than_32_bytes_is_refused);
  tcase_add_test(tc, test_readable_or_writable_key_file_is_refused_naming_mode);
  tcase_add_test(tc, test_readable_or_writable_credentials_file_is_refused);
  tcase_add_test(tc, test_file_of_another_user_is_refused);
  tcase_add_test(tc, test_non_regular_files_are_refused_without_hanging);
  tcase_add_test(tc, test_missing_files_are_refused_naming_them);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_round_trip_of_hostile_values);
  tcase_add_test(tc, test_write_refuses_values_too_long);
  tcase_add_test(tc, test_each_write_has_a_new_nonce);
  tcase_add_test(tc, test_write_is_atomic_and_private);
  tcase_add_test(tc, test_wrong_key_is_refused_without_leaking);
  tcase_add_test(tc, test_every_bit_flip_is_detected);
  tcase_add_test(tc, test_every_truncation_is_refused);
  tcase_add_test(tc, test_renamed_or_copied_file_is_refused);
  tcase_add_test(tc, test_other_files_are_not_credentials);
  tcase_add_test(tc, test_authentic_but_malformed_contents_are_refused);
  suite_add_tcase(s, tc);

  const char *top = getenv("top_builddir");
  if (top == NULL || *top == '\0') {
    fprintf(stderr, "check_secret: top_builddir is not set; skipping the "
                    "tests of `odbcpool encrypt` (run them with make "
                    "check)\n");
  } else {
    snprintf(cli, sizeof cli, "%s/odbcpool", top);
    tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_encrypt_new_key_round_trip);
    tcase_add_test(tc, test_cli_new_key_refuses_to_overwrite);
    tcase_add_test(tc, test_cli_refuses_readable_key_and_bad_input);
    tcase_add_test(tc, test_cli_reads_from_terminal_without_echo);
    suite_add_tcase(s, tc);
  }
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(secret_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
