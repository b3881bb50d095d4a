/* policy.c — require_encryption. */
#include "build.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <odbcinst.h>
#include <sqlext.h>

#include "connstr.h"
#include "dm.h"
#include "error.h"
#include "policy.h"

enum family { FAM_UNKNOWN, FAM_PSQL, FAM_MARIADB, FAM_MSSQL };

/* The TLS keywords of the drivers the policy knows: (family, keyword,
 * values that mean TLS is required). */
static const struct {
  enum family fam;
  const char *key;
  const char *const *on;
} tls_keys[] = {
    {FAM_PSQL, "SSLmode",
     (const char *const[]){"require", "verify-ca", "verify-full", NULL}},
    {FAM_PSQL, "sslmode",
     (const char *const[]){"require", "verify-ca", "verify-full", NULL}},
    {FAM_MARIADB, "FORCETLS", (const char *const[]){"1", "yes", "on", NULL}},
    {FAM_MARIADB, "SSLVERIFY", (const char *const[]){"1", "yes", "on", NULL}},
    {FAM_MSSQL, "Encrypt",
     (const char *const[]){"yes", "mandatory", "strict", "true", NULL}},
};

/* Classifies a driver by the name of its odbcinst.ini entry and the file
 * it loads. */
static enum family family_of(const char *dsn) {
  char drv[256] = "", lib[512] = "";
  SQLGetPrivateProfileString(dsn, "Driver", "", drv, sizeof drv, "odbc.ini");
  if (drv[0] == '\0')
    return FAM_UNKNOWN;
  if (drv[0] != '/')
    SQLGetPrivateProfileString(drv, "Driver", "", lib, sizeof lib,
                               "odbcinst.ini");
  char both[800];
  snprintf(both, sizeof both, "%s|%s", drv, lib);
  for (char *c = both; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  if (strstr(both, "psqlodbc") || strstr(both, "postgresql"))
    return FAM_PSQL;
  if (strstr(both, "maodbc") || strstr(both, "mariadb") ||
      strstr(both, "libmaodbc"))
    return FAM_MARIADB;
  if (strstr(both, "msodbcsql") || strstr(both, "sql server"))
    return FAM_MSSQL;
  return FAM_UNKNOWN;
}

static bool in_list(const char *v, const char *const *list) {
  for (; *list; list++)
    if (strcasecmp(v, *list) == 0)
      return true;
  return false;
}

int odbcpool__policy_before(const struct cfg_pool *cfg, const char *dsn,
                            const char *extra, const char **reason,
                            odbcpool_error *err) {
  if (!cfg->require_encryption)
    return ODBCPOOL_OK;
  enum family fam = family_of(dsn);
  if (fam == FAM_UNKNOWN) {
    if (cfg->encryption_check != NULL)
      return ODBCPOOL_OK; /* the check on the live session decides */
    *reason = ODBCPOOL_POLICY_UNKNOWN_DRIVER;
    return odbcpool__err(err, ODBCPOOL_EPOLICY, "08004",
                         "require_encryption: the driver of DSN '%s' is not "
                         "one whose TLS keywords odbcpool knows; set "
                         "encryption_check for it",
                         dsn);
  }
  struct odbcpool__connstr cs = {0};
  odbcpool_error perr;
  if (extra != NULL &&
      odbcpool__connstr_parse(extra, (size_t)-1, &cs, &perr) != ODBCPOOL_OK)
    cs.n = 0;
  bool on = false;
  for (size_t i = 0; i < sizeof tls_keys / sizeof tls_keys[0] && !on; i++) {
    if (tls_keys[i].fam != fam)
      continue;
    /* The connection string overrides the DSN. */
    const char *v = odbcpool__connstr_get(&cs, tls_keys[i].key);
    char ini[64] = "";
    if (v == NULL) {
      SQLGetPrivateProfileString(dsn, tls_keys[i].key, "", ini, sizeof ini,
                                 "odbc.ini");
      v = ini;
    }
    on = in_list(v, tls_keys[i].on);
  }
  odbcpool__connstr_free(&cs);
  if (on)
    return ODBCPOOL_OK;
  *reason = ODBCPOOL_POLICY_NO_TLS;
  return odbcpool__err(err, ODBCPOOL_EPOLICY, "08004",
                       "require_encryption: DSN '%s' does not ask its driver "
                       "for TLS (%s)",
                       dsn,
                       fam == FAM_PSQL      ? "set SSLmode = require or "
                                              "verify-full"
                       : fam == FAM_MARIADB ? "set FORCETLS = 1 or "
                                              "SSLVERIFY = 1"
                                            : "set Encrypt = yes");
}

static bool truthy(const char *v) {
  static const char *const yes[] = {"1", "t", "true", "yes", "on", "y", NULL};
  return in_list(v, yes);
}

int odbcpool__policy_after(const struct cfg_pool *cfg, const char *dsn,
                           SQLHDBC hdbc, const char **reason,
                           odbcpool_error *err) {
  if (!cfg->require_encryption || cfg->encryption_check == NULL)
    return ODBCPOOL_OK;
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  SQLHSTMT st = SQL_NULL_HSTMT;
  char value[64] = "";
  SQLLEN ind = SQL_NULL_DATA;
  bool ok = SQL_SUCCEEDED(dm->SQLAllocHandle(SQL_HANDLE_STMT, hdbc, &st)) &&
            SQL_SUCCEEDED(dm->SQLExecDirect(
                st, (SQLCHAR *)cfg->encryption_check, SQL_NTS)) &&
            SQL_SUCCEEDED(dm->SQLFetch(st)) &&
            SQL_SUCCEEDED(
                dm->SQLGetData(st, 1, SQL_C_CHAR, value, sizeof value, &ind)) &&
            ind != SQL_NULL_DATA && truthy(value);
  if (st != SQL_NULL_HSTMT)
    dm->SQLFreeHandle(SQL_HANDLE_STMT, st);
  if (ok)
    return ODBCPOOL_OK;
  *reason = ODBCPOOL_POLICY_CHECK_FAILED;
  return odbcpool__err(err, ODBCPOOL_EPOLICY, "08004",
                       "require_encryption: encryption_check did not confirm "
                       "TLS on the session to DSN '%s'",
                       dsn);
}
