/* secret_tools.c — making secrets, which only the command (odbcpool
 * encrypt) and the tests do: new key files and the encrypted credentials
 * file. Linked into libodbcpool_tools only; reading them back is
 * secret.c's. */
#include "build.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "error.h"
#include "secret_file.h"
#include "util.h"

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Writes all `len` bytes; false with errno set on failure. */
/* Makes the file of `fd` private (0600), writes all `n` bytes, syncs and
 * closes it (closed in every case). Returns NULL, or the step that failed
 * with *e (OUT) its errno value. */
static const char *write_private(int fd, const void *d, size_t n, int *e) {
  const char *step = "cannot write";
  int rc = fchmod(fd, S_IRUSR | S_IWUSR) == 0
               ? odbcpool__write_full(fd, d, n, NULL)
               : errno;
  if (rc == 0 && fsync(fd) != 0) {
    rc = errno;
    step = "cannot sync";
  }
  if (close(fd) != 0 && rc == 0) {
    rc = errno;
    step = "cannot write";
  }
  *e = rc;
  return rc == 0 ? NULL : step;
}

/* Makes a rename or a new entry in the directory of `path` durable. Best
 * effort: some file systems cannot fsync a directory. */
static void sync_dir(const char *path) {
  const char *base = odbcpool__secret_base_name(path);
  size_t dlen = (size_t)(base - path);
  char *dir = malloc(dlen + 2);
  if (dir == NULL)
    return;
  if (dlen == 0) {
    dir[0] = '.';
    dir[1] = '\0';
  } else {
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Writes `len` bytes to `path` atomically: a temporary file of mode 0600
 * in the same directory, fsync, rename over `path`, fsync the
 * directory. On error nothing is left behind and `path` is unchanged. */
static int write_atomic(const char *path, const unsigned char *data, size_t len,
                        odbcpool_error *err) {
  const char *base = odbcpool__secret_base_name(path);
  size_t dlen = (size_t)(base - path), blen = strlen(base);
  static const char suffix[] = ".tmpXXXXXX";
  char *tmp = malloc(dlen + 1 + blen + sizeof suffix);
  if (tmp == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                         "%s: out of memory", path);
  memcpy(tmp, path, dlen);
  tmp[dlen] = '.';
  memcpy(tmp + dlen + 1, base, blen);
  memcpy(tmp + dlen + 1 + blen, suffix, sizeof suffix);

  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE,
                         "%s: cannot create a temporary file: %s", path,
                         strerror(e));
  }
  int e;
  const char *step = write_private(fd, data, len, &e);
  bool ok = step == NULL;
  if (ok && rename(tmp, path) != 0) {
    ok = false;
    e = errno;
    step = "cannot replace";
  }
  if (!ok) {
    unlink(tmp);
    free(tmp);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s: %s", path,
                         step, strerror(e));
  }
  free(tmp);
  sync_dir(path);
  return ODBCPOOL_OK;
}

int odbcpool__cred_write(const char *cred_path, const char *key_path,
                         const char *uid, const char *pwd,
                         odbcpool_error *err) {
  if (cred_path == NULL || key_path == NULL || uid == NULL || pwd == NULL)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "credentials: missing argument");
  const char *base = odbcpool__secret_base_name(cred_path);
  if (*base == '\0')
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "%s: not a file name", cred_path);
  size_t ulen = strlen(uid), plen = strlen(pwd);
  if (ulen > CRED_FIELD_MAX || plen > CRED_FIELD_MAX)
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "%s: the %s is longer than %d bytes", cred_path,
                         ulen > CRED_FIELD_MAX ? "user name" : "password",
                         CRED_FIELD_MAX);

  int rc;
  size_t pt_len = CRED_PT_MIN + ulen + plen;
  size_t file_len = CRED_MIN_LEN - CRED_PT_MIN + pt_len;
  unsigned char *key = odbcpool__secure_alloc(KEY_LEN);
  unsigned char *pt = odbcpool__secure_alloc(pt_len);
  unsigned char *file = odbcpool__secure_alloc(file_len);
  if (key == NULL || pt == NULL || file == NULL) {
    rc = odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                       "%s: out of memory", cred_path);
    goto done;
  }
  rc = odbcpool__secret_load_key(key_path, key, err);
  if (rc != ODBCPOOL_OK)
    goto done;

  put_be32(pt, (uint32_t)ulen);
  memcpy(pt + 4, uid, ulen);
  put_be32(pt + 4 + ulen, (uint32_t)plen);
  memcpy(pt + 8 + ulen, pwd, plen);

  memcpy(file, odbcpool__cred_magic, sizeof odbcpool__cred_magic);
  file[7] = CRED_VERSION;
  unsigned char *nonce = file + CRED_HDR_LEN;
  unsigned char *ct = nonce + CRED_NONCE_LEN;
  if (RAND_bytes(nonce, CRED_NONCE_LEN) != 1) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE,
                       "%s: cannot get random bytes for the nonce", cred_path);
    goto done;
  }
  if (!odbcpool__cred_gcm(true, key, nonce, file, base, pt, pt_len, ct,
                          ct + pt_len)) {
    rc = odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE,
                       "%s: encryption failed", cred_path);
    goto done;
  }
  rc = write_atomic(cred_path, file, file_len, err);
done:
  odbcpool__secure_free(key, KEY_LEN);
  odbcpool__secure_free(pt, pt_len);
  odbcpool__secure_free(file, file_len);
  return rc;
}

int odbcpool__secret_new_key(const char *path, odbcpool_error *err) {
  if (path == NULL || *path == '\0')
    return odbcpool__err(err, ODBCPOOL_EINVAL, SECRET_SQLSTATE,
                         "key file: no path given");
  unsigned char *key = odbcpool__secure_alloc(KEY_LEN);
  if (key == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOMEM, SECRET_SQLSTATE,
                         "%s: out of memory", path);
  if (RAND_bytes(key, KEY_LEN) != 1) {
    odbcpool__secure_free(key, KEY_LEN);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE,
                         "%s: cannot get random bytes for a key", path);
  }
  /* O_EXCL: never overwrite, not even through a symbolic link. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                S_IRUSR | S_IWUSR);
  if (fd < 0) {
    int e = errno;
    odbcpool__secure_free(key, KEY_LEN);
    if (e == EEXIST)
      return odbcpool__err(err, ODBCPOOL_ECONFIG, SECRET_SQLSTATE,
                           "%s: already exists; refusing to overwrite a key "
                           "file (what it encrypted would be lost)",
                           path);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s", path,
                         strerror(e));
  }
  int e;
  const char *step = write_private(fd, key, KEY_LEN, &e);
  bool ok = step == NULL;
  odbcpool__secure_free(key, KEY_LEN);
  if (!ok) {
    unlink(path);
    return odbcpool__err(err, ODBCPOOL_EIO, SECRET_SQLSTATE, "%s: %s: %s", path,
                         step, strerror(e));
  }
  sync_dir(path);
  return ODBCPOOL_OK;
}
