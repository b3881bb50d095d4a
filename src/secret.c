/* secret.c — secure memory, secret file checks, key files and the
 * AES-256-GCM credentials file. */
#include "build.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "error.h"

#define SECRET_SQLSTATE "HY000"
#define KEY_LEN 32

/* ------------------------------------------------------- secure memory */

static size_t page_round(size_t n) {
  long ps = sysconf(_SC_PAGESIZE);
  size_t page = ps > 0 ? (size_t)ps : 4096;
  if (n == 0)
    n = 1;
  if (n > SIZE_MAX - page)
    return 0;
  return (n + page - 1) / page * page;
}

void *odbcpool__secure_alloc(size_t n) {
  size_t len = page_round(n);
  if (len == 0)
    return NULL;
  /* Own pages, not malloc: madvise and mlock work on whole pages, and a
   * malloc'ed block would share its pages with unrelated data. */
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    return NULL;
#ifdef MADV_DONTDUMP
  (void)madvise(p, len, MADV_DONTDUMP);
#endif
  /* Fails under a low RLIMIT_MEMLOCK; the memory is still wiped. */
  (void)mlock(p, len);
  return p;
}

/* Wipes and unmaps a block of odbcpool__secure_alloc. With `check`, reads
 * the block back after the wipe and returns whether every byte is zero. */
static bool secure_release(void *p, size_t n, bool check) {
  bool zero = true;
  if (p == NULL)
    return true;
  size_t len = page_round(n);
  OPENSSL_cleanse(p, len);
  if (check) {
    const volatile unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
      if (b[i] != 0)
        zero = false;
  }
  (void)munlock(p, len);
  munmap(p, len);
  return zero;
}

void odbcpool__secure_free(void *p, size_t n) {
  (void)secure_release(p, n, false);
}

bool odbcpool__secure_free_wiped(void *p, size_t n) {
  return secure_release(p, n, true);
}

/* -------------------------------------------------------- secret files */

/* Opens a file holding a secret for reading and checks it through the
 * descriptor it will be read from (no window between check and read):
 * no symbolic link as the last component, a regular file (O_NONBLOCK so
 * that a FIFO cannot block the open), owned by us or root, and no
 * permission at all for group or others. Returns OK with *fd set, or
 * ECONFIG with "path: reason" and *fd = -1. `st` (OUT) gets fstat. */
static int open_secret(const char *path, int *fd, struct stat *st,
                       odbcpool_error *err) {
  *fd = -1;
  if (path == NULL || *path == '\0')
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "secret file: no path given");
  int f = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (f < 0) {
    int e = errno;
    if (e == ELOOP)
      return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                           "%s: is a symbolic link; a file holding a secret "
                           "must be a regular file",
                           path);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE, "%s: %s", path,
                         strerror(e));
  }
  if (fstat(f, st) != 0) {
    int e = errno;
    close(f);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s", path,
                         strerror(e));
  }
  const char *what = NULL;
  if (S_ISDIR(st->st_mode))
    what = "a directory";
  else if (S_ISFIFO(st->st_mode))
    what = "a FIFO";
  else if (S_ISCHR(st->st_mode))
    what = "a character device";
  else if (S_ISBLK(st->st_mode))
    what = "a block device";
  else if (S_ISSOCK(st->st_mode))
    what = "a socket";
  else if (!S_ISREG(st->st_mode))
    what = "not a regular file";
  if (what != NULL) {
    close(f);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                         "%s: is %s; a file holding a secret must be a "
                         "regular file",
                         path, what);
  }
  unsigned mode = (unsigned)(st->st_mode & 07777);
  if (st->st_mode & (S_IRWXG | S_IRWXO)) {
    close(f);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                         "%s: holds a secret but is accessible by group or "
                         "others (mode %04o); run chmod 600 on it",
                         path, mode);
  }
  if (st->st_uid != geteuid() && st->st_uid != 0) {
    close(f);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                         "%s: holds a secret but is owned by uid %lu, "
                         "neither this user (uid %lu) nor root (mode %04o)",
                         path, (unsigned long)st->st_uid,
                         (unsigned long)geteuid(), mode);
  }
  *fd = f;
  return ODBCPOOL_OK;
}

/* Reads up to `cap` bytes from `fd` into `buf`, until end of file.
 * Returns the number read, or -1 with errno set. EINTR and EAGAIN are
 * retried (a regular file never blocks). */
static ssize_t read_all(int fd, unsigned char *buf, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    ssize_t r = read(fd, buf + got, cap - got);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

int odbcpool__secret_check_mode(const char *path, odbcpool_error *err) {
  int fd;
  struct stat st;
  int rc = open_secret(path, &fd, &st, err);
  if (rc != ODBCPOOL_OK)
    return rc;
  close(fd);
  return ODBCPOOL_OK;
}

int odbcpool__secret_load_key(const char *path, unsigned char key[32],
                              odbcpool_error *err) {
  int fd;
  struct stat st;
  int rc = open_secret(path, &fd, &st, err);
  if (rc != ODBCPOOL_OK) {
    OPENSSL_cleanse(key, KEY_LEN);
    return rc;
  }
  ssize_t got = read_all(fd, key, KEY_LEN);
  int e = errno;
  close(fd);
  if (got < 0) {
    OPENSSL_cleanse(key, KEY_LEN);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s", path,
                         strerror(e));
  }
  if (got < KEY_LEN) {
    OPENSSL_cleanse(key, KEY_LEN);
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                         "%s: key file too short (%zd bytes; a key is %d "
                         "bytes, made by odbcpool encrypt --new-key)",
                         path, got, KEY_LEN);
  }
  return ODBCPOOL_OK;
}
