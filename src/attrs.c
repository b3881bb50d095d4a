/* attrs.c — snapshot of connection attributes at connect, restore on
 * return. */
#include "build.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attrs.h"
#include "dm.h"
#include "error.h"

static const struct {
  const char *name;
  SQLINTEGER attr;
  bool str;
} attr_table[] = {
#define X(name, attr, str) {#name, attr, str},
    ODBCPOOL_ATTR_LIST(X)
#undef X
};

/* Reads attribute i into *out. Integer attributes are read into a zeroed
 * SQLULEN: drivers write 32 bits for SQLUINTEGER attributes. */
static bool read_attr(const struct odbcpool__dm *dm, SQLHDBC hdbc, int i,
                      struct odbcpool__attr_value *out) {
  SQLINTEGER len = 0;
  SQLRETURN rc;
  if (attr_table[i].str) {
    memset(out->str, 0, sizeof out->str);
    rc = dm->SQLGetConnectAttr(hdbc, attr_table[i].attr, out->str,
                               (SQLINTEGER)sizeof out->str - 1, &len);
    /* A truncated value cannot be restored faithfully. */
    if (rc == SQL_SUCCESS_WITH_INFO && len >= (SQLINTEGER)sizeof out->str)
      return false;
  } else {
    out->num = 0;
    rc = dm->SQLGetConnectAttr(hdbc, attr_table[i].attr, &out->num, 0, &len);
  }
  return SQL_SUCCEEDED(rc);
}

void odbcpool__attrs_snapshot(SQLHDBC hdbc, struct odbcpool__attrs *a) {
  const struct odbcpool__dm *dm = odbcpool__dm(NULL);
  for (int i = 0; i < ODBCPOOL_ATTR_COUNT; i++)
    a->v[i].supported = dm != NULL && read_attr(dm, hdbc, i, &a->v[i]);
}

int odbcpool__attr_index(SQLINTEGER attr) {
  for (int i = 0; i < ODBCPOOL_ATTR_COUNT; i++)
    if (attr_table[i].attr == attr)
      return i;
  return -1;
}

int odbcpool__attrs_restore(SQLHDBC hdbc, const struct odbcpool__attrs *a,
                            unsigned mask, odbcpool_error *err) {
  const struct odbcpool__dm *dm = odbcpool__dm(err);
  if (dm == NULL)
    return ODBCPOOL_EDM;
  for (int i = 0; i < ODBCPOOL_ATTR_COUNT; i++) {
    const struct odbcpool__attr_value *want = &a->v[i];
    if (!want->supported || !(mask & (1u << i)))
      continue;
    struct odbcpool__attr_value now;
    if (!read_attr(dm, hdbc, i, &now)) {
      char what[96];
      snprintf(what, sizeof what, "cannot read attribute %s",
               attr_table[i].name);
      return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, hdbc,
                                what);
    }
    SQLRETURN rc;
    if (attr_table[i].str) {
      if (strcmp(now.str, want->str) == 0)
        continue;
      rc = dm->SQLSetConnectAttr(hdbc, attr_table[i].attr,
                                 (SQLPOINTER)want->str, SQL_NTS);
    } else {
      if (now.num == want->num)
        continue;
      rc = dm->SQLSetConnectAttr(hdbc, attr_table[i].attr,
                                 (SQLPOINTER)(uintptr_t)want->num, 0);
    }
    if (!SQL_SUCCEEDED(rc)) {
      char what[96];
      snprintf(what, sizeof what, "cannot restore attribute %s",
               attr_table[i].name);
      return odbcpool__err_odbc(err, ODBCPOOL_EODBC, SQL_HANDLE_DBC, hdbc,
                                what);
    }
  }
  return ODBCPOOL_OK;
}
