/* secret_file.h — the credentials file's format, shared by its reader
 * (secret.c, in the runtime) and its writer (secret_tools.c, in the
 * tools library). Internal. */
#ifndef ODBCPOOL_SECRET_FILE_H
#define ODBCPOOL_SECRET_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "secret.h"

#define SECRET_SQLSTATE "HY000"
#define KEY_LEN 32

/* The credentials file, version 1:
 *
 *   offset  size  content
 *   0       7     magic "ODBCPCR"
 *   7       1     version, 1
 *   8       12    nonce, random per write
 *   20      n     AES-256-GCM ciphertext of the plaintext below
 *   20+n    16    GCM tag
 *
 * Associated data (authenticated, not stored): the 8 header bytes, then
 * the file's base name, so that a credentials file renamed or copied
 * over another one is refused. Plaintext: a 4-byte big-endian length and
 * the bytes of the UID, then the same for the PWD; lengths, not
 * delimiters, so either may hold any byte except NUL. */
extern const unsigned char odbcpool__cred_magic[7];
#define CRED_VERSION 1
#define CRED_HDR_LEN 8
#define CRED_NONCE_LEN 12
#define CRED_TAG_LEN 16
#define CRED_FIELD_MAX ODBCPOOL_CRED_FIELD_MAX
#define CRED_PT_MIN 8
#define CRED_PT_MAX (8 + 2 * CRED_FIELD_MAX)
#define CRED_MIN_LEN                                                           \
  (CRED_HDR_LEN + CRED_NONCE_LEN + CRED_PT_MIN + CRED_TAG_LEN)
#define CRED_MAX_LEN                                                           \
  (CRED_HDR_LEN + CRED_NONCE_LEN + CRED_PT_MAX + CRED_TAG_LEN)

/* AES-256-GCM over `len` bytes of `in` into `out` (the same length) with
 * associated data header + base name. Encrypting fills `tag`; decrypting
 * checks it. Returns true on success; false on a failed tag check or a
 * libcrypto error. */
bool odbcpool__cred_gcm(bool enc, const unsigned char key[KEY_LEN],
                        const unsigned char nonce[CRED_NONCE_LEN],
                        const unsigned char hdr[CRED_HDR_LEN], const char *base,
                        const unsigned char *in, size_t len, unsigned char *out,
                        unsigned char tag[CRED_TAG_LEN]);

/* The part of `path` after its last slash. */
const char *odbcpool__secret_base_name(const char *path);

#endif /* ODBCPOOL_SECRET_FILE_H */
