/* driver.h — the odbcpool ODBC driver module: its handles and helpers. */
#ifndef ODBCPOOL_DRIVER_H
#define ODBCPOOL_DRIVER_H

#include <pthread.h>
#include <stdbool.h>

#include "dm.h"
#include "error.h"
#include "odbcapi.h"
#include "odbcpool.h"
#include "pool_driver.h"

/* The entry points the driver manager finds with dlsym. Everything else
 * in the module is hidden (-fvisibility=hidden and an export list). */
#define DRV_EXPORT __attribute__((visibility("default")))

/* Exports `name` a second time as odbcpool_driver_LTX_<name>, the name
 * libltdl (the driver manager's loader) tries first. Must follow the
 * definition of `name` in the same file. */
#define DRV_LTX(name)                                                          \
  extern __typeof__(name) odbcpool_driver_LTX_##name                           \
      __attribute__((alias(#name), visibility("default")))

/* Exports `name` a third and fourth time, as <name>A and
 * odbcpool_driver_LTX_<name>A: unixODBC looks up the A form of every
 * function that has a W twin, on every connect. Assembler aliases, as
 * sqlucode.h declares some A forms with other parameter types. Must
 * follow the definition of `name` in the same file. */
#define DRV_ANSI(name)                                                         \
  __asm__(".globl " #name "A\n\t.type " #name "A, STT_FUNC\n\t.set " #name    \
          "A, " #name "\n\t.globl odbcpool_driver_LTX_" #name                  \
          "A\n\t.type odbcpool_driver_LTX_" #name                              \
          "A, STT_FUNC\n\t.set odbcpool_driver_LTX_" #name "A, " #name)

/* The load and unload hooks unixODBC looks up (src/driver/handles.c). */
SQLRETURN SQL_API SQLDriverLoad(void);
SQLRETURN SQL_API SQLDriverUnload(void);

/* Handle kinds; the magic numbers catch a handle of the wrong kind. */
enum drv_kind {
  DRV_ENV = 0x6f700001,
  DRV_DBC = 0x6f700002,
  DRV_STMT = 0x6f700003,
  DRV_DESC = 0x6f700004,
  DRV_FREED = 0x6f7000ff,
};

/* odbcpool's own diagnostic records on a handle. When there are none,
 * diagnostic calls are answered by the target handle, so the target's
 * records pass through unchanged. */
#define DRV_DIAG_MAX (ODBCPOOL_DIAG_MAX + 2)
struct drv_diag_rec {
  char state[6];
  SQLINTEGER native;
  char text[512];
};
struct drv_diag {
  int n;
  int taken; /* records SQLError has returned (and so removed) */
  SQLRETURN rc;
  struct drv_diag_rec *rec; /* DRV_DIAG_MAX entries, allocated on use */
};

struct drv_handle {
  enum drv_kind kind;
  struct drv_diag diag;
};

struct drv_dbc;

struct drv_env {
  struct drv_handle h;
  SQLINTEGER odbc_version;
  SQLINTEGER connection_pooling;
  SQLINTEGER cp_match;
  SQLINTEGER output_nts;
  pthread_mutex_t lock; /* guards dbcs */
  struct drv_dbc *dbcs;
};

struct drv_desc;

struct drv_stmt {
  struct drv_handle h;
  struct drv_dbc *dbc;
  struct drv_stmt *prev, *next; /* in dbc->stmts */
  SQLHSTMT target;
  /* Wrappers of the statement's implicit descriptors, made on demand:
   * ARD, APD, IRD, IPD. */
  struct drv_desc *implicit[4];
};

struct drv_desc {
  struct drv_handle h;
  struct drv_dbc *dbc;
  struct drv_desc *prev, *next; /* explicit ones, in dbc->descs */
  SQLHDESC target;
  bool implicit; /* owned by a statement, freed with it */
};

/* A connection attribute set before SQLConnect, applied to the target
 * connection once one is borrowed. */
struct drv_preattr {
  SQLINTEGER attr;
  SQLULEN num;
  char *str; /* for string attributes, NUL-terminated UTF-8 or bytes */
  SQLINTEGER len;
};

#define DRV_PREATTR_MAX 16

struct drv_dbc {
  struct drv_handle h;
  struct drv_env *env;
  struct drv_dbc *next; /* in env->dbcs */
  pthread_mutex_t lock; /* guards stmts, descs and the tracked handles */
  odbcpool_conn *conn;  /* NULL while not connected */
  SQLHDBC target;
  bool wide; /* connected with a W function */
  SQLUINTEGER login_timeout;
  struct drv_stmt *stmts;
  struct drv_desc *descs;
  struct drv_preattr pre[DRV_PREATTR_MAX];
  int npre;
};

/* The driver manager table; valid once any connection was made. */
extern const struct odbcpool__dm *drv_dm;

/* Validates a handle of the given kind and clears its diagnostics, as
 * every ODBC function does on entry. NULL if it is not one. */
struct drv_env *drv_env_enter(SQLHANDLE h);
struct drv_dbc *drv_dbc_enter(SQLHANDLE h);
struct drv_stmt *drv_stmt_enter(SQLHANDLE h);
struct drv_desc *drv_desc_enter(SQLHANDLE h);
/* The same, by handle type; NULL for a wrong type or handle. */
struct drv_handle *drv_handle_enter(SQLSMALLINT type, SQLHANDLE h);
/* The target handle behind one of ours, or SQL_NULL_HANDLE. */
SQLHANDLE drv_target(const struct drv_handle *h);

/* Adds an odbcpool record "[odbcpool] ..." and returns SQL_ERROR. */
SQLRETURN drv_error(struct drv_handle *h, const char *state, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));
/* Reports a core error: the target's records in `diag` (may be NULL)
 * unchanged and alone when there are any (a failure the target
 * reported), else one odbcpool record. Returns SQL_ERROR. */
SQLRETURN drv_error_pool(struct drv_handle *h, const odbcpool_error *err,
                         const struct odbcpool__diag *diag);
void drv_diag_free(struct drv_diag *d);

/* Frees a statement wrapper and its target statement. Called with
 * dbc->lock held. */
void drv_stmt_destroy(struct drv_stmt *s, bool free_target);
/* Frees an explicit descriptor wrapper. dbc->lock held. */
void drv_desc_destroy(struct drv_desc *d, bool free_target);

/* Text conversions for the W entry points (SQLWCHAR is UTF-16 in
 * unixODBC). drv_utf8 returns a malloc'ed NUL-terminated string; len is
 * in characters or SQL_NTS. */
char *drv_utf8(const SQLWCHAR *w, SQLINTEGER len);
char *drv_utf8_narrow(const SQLCHAR *s, SQLINTEGER len);

/* Writes `s` to an output buffer of `buflen` units (bytes, or SQLWCHARs
 * when wide), NUL-terminated, and its full length in units to *outlen
 * (may be NULL). Returns true if it had to truncate. */
bool drv_put_text(const char *s, SQLPOINTER buf, SQLINTEGER buflen, bool wide,
                  SQLINTEGER *outlen);

/* Notes on the statement's borrowed connection that SQL text `text`
 * (len bytes or characters, or SQL_NTS) is about to run, or that rows are
 * about to change without text (drv_note_dirty). */
void drv_note_sqla(struct drv_stmt *s, SQLCHAR *text, SQLINTEGER len);
void drv_note_sqlw(struct drv_stmt *s, SQLWCHAR *text, SQLINTEGER len);
void drv_note_dirty(struct drv_stmt *s);

/* The connection a statement belongs to is connected; returns the
 * borrowed target handle or SQL_NULL_HDBC. */
SQLHDBC drv_dbc_target(struct drv_dbc *d);

#endif /* ODBCPOOL_DRIVER_H */
