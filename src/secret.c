/* secret.c — secure memory, secret file checks, reading key files and
 * the AES-256-GCM credentials file (writing them: secret_tools.c). */
#include "build.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "error.h"
#include "secret_file.h"
#include "util.h"

/* The credentials file's magic (its format: secret_file.h). */
const unsigned char odbcpool__cred_magic[7] = {'O', 'D', 'B', 'C',
                                               'P', 'C', 'R'};

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
 * Returns the number read, or -1 with errno set. */
static ssize_t read_all(int fd, unsigned char *buf, size_t cap) {
  size_t got;
  int e = odbcpool__read_full(fd, buf, cap, -1, &got);
  errno = e;
  return e != 0 ? -1 : (ssize_t)got;
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

/* ---------------------------------------------------- credentials file */

/* The part of `path` after its last slash. */
const char *odbcpool__secret_base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static uint32_t get_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* AES-256-GCM over `len` bytes of `in` into `out` (the same length) with
 * associated data header + base name. Encrypting fills `tag`; decrypting
 * checks it. Returns true on success; false on a failed tag check or a
 * libcrypto error. The context, which holds the key schedule, is wiped
 * by EVP_CIPHER_CTX_free. */
bool odbcpool__cred_gcm(bool enc, const unsigned char key[KEY_LEN],
                        const unsigned char nonce[CRED_NONCE_LEN],
                        const unsigned char hdr[CRED_HDR_LEN], const char *base,
                        const unsigned char *in, size_t len, unsigned char *out,
                        unsigned char tag[CRED_TAG_LEN]) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0, blen = (int)strlen(base);
  bool ok =
      ctx != NULL && len <= CRED_PT_MAX &&
      EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRED_NONCE_LEN, NULL) ==
          1 &&
      EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
      EVP_CipherUpdate(ctx, NULL, &n, hdr, CRED_HDR_LEN) == 1 &&
      EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)base, blen) == 1 &&
      EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len &&
      (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRED_TAG_LEN,
                                  tag) == 1) &&
      EVP_CipherFinal_ex(ctx, out + len, &n) == 1 && n == 0 &&
      (!enc ||
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRED_TAG_LEN, tag) == 1);
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

/* Splits and copies a verified plaintext into `out`. Returns false if it
 * is malformed (lengths that do not add up, a NUL byte). */
static bool unpack(const unsigned char *pt, size_t len,
                   struct odbcpool__cred *out, bool *nomem) {
  *nomem = false;
  if (len < CRED_PT_MIN)
    return false;
  size_t ulen = get_be32(pt);
  if (ulen > CRED_FIELD_MAX || ulen > len - CRED_PT_MIN)
    return false;
  size_t plen = get_be32(pt + 4 + ulen);
  if (plen != len - CRED_PT_MIN - ulen || plen > CRED_FIELD_MAX)
    return false;
  const unsigned char *u = pt + 4, *w = pt + 8 + ulen;
  if (memchr(u, '\0', ulen) != NULL || memchr(w, '\0', plen) != NULL)
    return false;
  size_t size = ulen + 1 + plen + 1;
  char *block = odbcpool__secure_alloc(size);
  if (block == NULL) {
    *nomem = true;
    return false;
  }
  memcpy(block, u, ulen);
  block[ulen] = '\0';
  memcpy(block + ulen + 1, w, plen);
  block[ulen + 1 + plen] = '\0';
  out->uid = block;
  out->pwd = block + ulen + 1;
  out->size = size;
  return true;
}

int odbcpool__cred_load(const char *cred_path, const char *key_path,
                        struct odbcpool__cred *out /* OUT */,
                        odbcpool_error *err) {
  int rc, fd = -1;
  struct stat st;
  unsigned char *key = NULL, *file = NULL, *pt = NULL;
  size_t file_cap = 0, pt_cap = 0;

  if (out == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "credentials: no output given");
  memset(out, 0, sizeof *out);
  if (cred_path == NULL || key_path == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "credentials: no %s file given",
                         cred_path == NULL ? "credentials" : "key");
  const char *base = odbcpool__secret_base_name(cred_path);
  if (*base == '\0')
    return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                         "%s: not a file name", cred_path);

  key = odbcpool__secure_alloc(KEY_LEN);
  if (key == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                       "%s: out of memory", cred_path);
    goto done;
  }
  rc = odbcpool__secret_load_key(key_path, key, err);
  if (rc != ODBCPOOL_OK)
    goto done;
  rc = open_secret(cred_path, &fd, &st, err);
  if (rc != ODBCPOOL_OK)
    goto done;
  if (st.st_size < 0 || st.st_size > CRED_MAX_LEN) {
    rc = odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                       "%s: not an odbcpool credentials file (too large)",
                       cred_path);
    goto done;
  }
  /* One byte more than fstat said, to notice a file that grows. */
  file_cap = (size_t)st.st_size + 1;
  file = odbcpool__secure_alloc(file_cap);
  if (file == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                       "%s: out of memory", cred_path);
    goto done;
  }
  ssize_t got = read_all(fd, file, file_cap);
  if (got < 0) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s", cred_path,
                       strerror(errno));
    goto done;
  }
  size_t len = (size_t)got;
  if (len == file_cap) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE,
                       "%s: changed while being read", cred_path);
    goto done;
  }
  size_t cmp =
      len < sizeof odbcpool__cred_magic ? len : sizeof odbcpool__cred_magic;
  if (memcmp(file, odbcpool__cred_magic, cmp) != 0) {
    rc = odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                       "%s: not an odbcpool credentials file", cred_path);
    goto done;
  }
  if (len > sizeof odbcpool__cred_magic && file[7] != CRED_VERSION) {
    rc = odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                       "%s: unsupported credentials file version %u "
                       "(this odbcpool reads version %d)",
                       cred_path, (unsigned)file[7], CRED_VERSION);
    goto done;
  }
  if (len < CRED_MIN_LEN) {
    rc = odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                       "%s: truncated (%zu bytes; at least %d expected)",
                       cred_path, len, CRED_MIN_LEN);
    goto done;
  }
  pt_cap = len - CRED_MIN_LEN + CRED_PT_MIN;
  pt = odbcpool__secure_alloc(pt_cap);
  if (pt == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                       "%s: out of memory", cred_path);
    goto done;
  }
  unsigned char tag[CRED_TAG_LEN];
  memcpy(tag, file + len - CRED_TAG_LEN, CRED_TAG_LEN);
  /* The plaintext is not looked at unless the tag is right. */
  if (!odbcpool__cred_gcm(false, key, file + CRED_HDR_LEN, file, base,
                          file + CRED_HDR_LEN + CRED_NONCE_LEN, pt_cap, pt,
                          tag)) {
    rc = odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                       "%s: wrong key or corrupted file (key %s)", cred_path,
                       key_path);
    goto done;
  }
  bool nomem;
  if (!unpack(pt, pt_cap, out, &nomem)) {
    rc = nomem ? odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                               "%s: out of memory", cred_path)
               : odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                               "%s: malformed credentials (not written by "
                               "odbcpool encrypt)",
                               cred_path);
    goto done;
  }
  rc = ODBCPOOL_OK;
done:
  if (fd >= 0)
    close(fd);
  odbcpool__secure_free(key, KEY_LEN);
  odbcpool__secure_free(file, file_cap);
  odbcpool__secure_free(pt, pt_cap);
  return rc;
}

void odbcpool__cred_free(struct odbcpool__cred *c) {
  if (c == NULL)
    return;
  odbcpool__secure_free(c->uid, c->size);
  c->uid = c->pwd = NULL;
  c->size = 0;
}
