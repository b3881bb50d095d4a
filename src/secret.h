/* secret.h — credentials and keys: encrypted at rest, locked in memory,
 * wiped after use. */
#ifndef ODBCPOOL_SECRET_H
#define ODBCPOOL_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "odbcpool.h"

/* Memory for secrets: locked (mlock) where allowed, excluded from core
 * dumps (MADV_DONTDUMP), and wiped with OPENSSL_cleanse when freed.
 * NULL on ENOMEM; a failed mlock is not an error (RLIMIT_MEMLOCK). */
void *odbcpool__secure_alloc(size_t n);
void odbcpool__secure_free(void *p, size_t n);
/* For tests: odbcpool__secure_free, which also reads the block back after
 * the wipe and before the unmap, and returns whether every byte of its
 * pages was zero. */
bool odbcpool__secure_free_wiped(void *p, size_t n);

/* Refuses a file holding a secret that is not a regular file (symbolic
 * links are not followed; a FIFO does not block), that group or others
 * have any permission on (as ssh refuses a readable key), or that is
 * owned by neither this user nor root. Checks through the descriptor the
 * readers below read from. Returns OK or ECONFIG with "path: reason
 * (mode 0644)". */
int odbcpool__secret_check_mode(const char *path, odbcpool_error *err);

/* Reads a key file: at least 32 bytes; the first 32 are the key. The mode
 * is checked first. Returns OK or an error naming the file. */
int odbcpool__secret_load_key(const char *path, unsigned char key[32],
                              odbcpool_error *err);

/* The longest UID or PWD a credentials file holds, in bytes: more would
 * not fit an ODBC connection string (an SQLSMALLINT length). */
#define ODBCPOOL_CRED_FIELD_MAX 32767

/* Decrypted credentials, in secure memory. */
struct odbcpool__cred {
  char *uid; /* NUL-terminated; both in one odbcpool__secure_alloc block */
  char *pwd;
  size_t size; /* of the block */
};

/* Decrypts a credentials file written by odbcpool__cred_write (AES-256-
 * GCM; the file name is authenticated as associated data, so a file
 * copied over another is refused). Checks both files' modes. Errors:
 * ECONFIG naming the file ("wrong key or corrupted file", "not an
 * odbcpool credentials file", "truncated", ...). The associated data is
 * the base name of cred_path (after the last '/'): a file moved to
 * another directory under the same name still loads. On error *out is
 * all zero; messages never hold the UID or PWD. Free *out with
 * odbcpool__cred_free (NULL or an already freed one is a no-op). */
int odbcpool__cred_load(const char *cred_path, const char *key_path,
                        struct odbcpool__cred *out /* OUT */,
                        odbcpool_error *err);
void odbcpool__cred_free(struct odbcpool__cred *c);

/* Making secrets, which only `odbcpool encrypt` and the tests do: in
 * libodbcpool_tools (secret_tools.c), never in the library or the driver
 * module (tests/symbols.sh checks). */

/* Encrypts uid/pwd into cred_path (created 0600, replaced atomically)
 * with the key in key_path, whose mode is checked. EINVAL when uid or
 * pwd is longer than ODBCPOOL_CRED_FIELD_MAX; EIO when writing fails (the
 * old file, if any, is then unchanged). */
int odbcpool__cred_write(const char *cred_path, const char *key_path,
                         const char *uid, const char *pwd, odbcpool_error *err);

/* Creates a new key file of 32 random bytes, mode 0600; refuses to
 * overwrite an existing file. */
int odbcpool__secret_new_key(const char *path, odbcpool_error *err);

#endif /* ODBCPOOL_SECRET_H */
