/* dm.c — resolves the driver manager's functions once, by dlopen/dlsym. */
#include "build.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dm.h"
#include "error.h"

static struct odbcpool__dm table;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
  /* RTLD_LOCAL: the DM's symbols must not become visible to (and be
   * preferred by) anything loaded later; if the host already loaded the
   * DM, dlopen returns that same instance, which is the one whose
   * handles the application holds. */
  void *h = dlopen(ODBCPOOL_DM_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    snprintf(load_error, sizeof load_error, "dlopen %s: %s", ODBCPOOL_DM_SONAME,
             dlerror());
    return;
  }
#define RESOLVE(kind, name, params, args)                                      \
  *(void **)&table.name = dlsym(h, #name);                                     \
  if (table.name == NULL) {                                                    \
    snprintf(load_error, sizeof load_error, "%s has no %s",                    \
             ODBCPOOL_DM_SONAME, #name);                                       \
    return;                                                                    \
  }
  ODBCPOOL_ODBC_API(RESOLVE)
#undef RESOLVE
  /* The handle is kept open for the life of the process on purpose. */
  loaded = 1;
}

const struct odbcpool__dm *odbcpool__dm(odbcpool_error *err) {
  pthread_once(&once, load);
  if (!loaded) {
    odbcpool__err(err, ODBCPOOL_EDM, "HY000", "%s", load_error);
    return NULL;
  }
  return &table;
}

const struct odbcpool__dm *odbcpool__dm_stmt(SQLHDBC hdbc, SQLHSTMT *st,
                                             odbcpool_error *err) {
  *st = SQL_NULL_HSTMT;
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return NULL;
  if (!SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_STMT, hdbc, st))) {
    *st = SQL_NULL_HSTMT;
    odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, hdbc,
                       "cannot allocate a statement");
    return NULL;
  }
  return dm;
}
