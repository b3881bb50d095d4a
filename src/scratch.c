/* scratch.c — a throwaway ODBC setup in a temporary directory. */
#include "build.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <odbcinst.h>

#include "error.h"
#include "scratch.h"
#include "util.h"

#ifndef ODBCPOOL_DATADIR
#define ODBCPOOL_DATADIR "/usr/share/odbcpool"
#endif

static bool readable(const char *path) {
  return access(path, R_OK) == 0;
}

const char *odbcpool__sqlite_driver(char *buf, size_t len) {
  const char *env = getenv("SQLITE_ODBC");
  if (env != NULL && *env != '\0' && readable(env)) {
    snprintf(buf, len, "%s", env);
    return buf;
  }
  if (readable(ODBCPOOL_SQLITE_ODBC)) {
    snprintf(buf, len, "%s", ODBCPOOL_SQLITE_ODBC);
    return buf;
  }
  /* Ask unixODBC where the system registered it (before ODBCSYSINI is
   * changed by scratch_init). */
  char drv[512] = "";
  SQLGetPrivateProfileString("SQLite3", "Driver", "", drv, sizeof drv,
                             "odbcinst.ini");
  if (drv[0] == '\0')
    return NULL;
  if (drv[0] != '/') {
    /* A bare file name: try the usual driver directories. */
    static const char *const dirs[] = {
        "/usr/lib/x86_64-linux-gnu/odbc", "/usr/lib/aarch64-linux-gnu/odbc",
        "/usr/lib/odbc", "/usr/lib64", "/usr/lib"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
      snprintf(buf, len, "%s/%s", dirs[i], drv);
      if (readable(buf))
        return buf;
    }
    return NULL;
  }
  snprintf(buf, len, "%s", drv);
  return readable(buf) ? buf : NULL;
}

const char *odbcpool__data_file(const char *rel, char *buf, size_t len) {
  const char *env = getenv("ODBCPOOL_DATADIR");
  const char *roots[] = {env, ODBCPOOL_DATADIR,
#ifdef ODBCPOOL_SRCDIR
                         ODBCPOOL_SRCDIR "/data",
#endif
                         NULL};
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    if (roots[i] == NULL || roots[i][0] == '\0')
      continue;
    snprintf(buf, len, "%s/%s", roots[i], rel);
    if (readable(buf))
      return buf;
  }
  return NULL;
}

int odbcpool__scratch_write(struct odbcpool__scratch *s, const char *name,
                            const char *content, char *path, size_t pathlen,
                            odbcpool_error *err) {
  char full[640];
  snprintf(full, sizeof full, "%s/%s", s->dir, name);
  int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return odbcpool__err(err, ODBCPOOL_EIO, "HY000", "%s: %s", full,
                         strerror(errno));
  int e = odbcpool__write_full(fd, content, strlen(content), NULL);
  if (e != 0) {
    close(fd);
    return odbcpool__err(err, ODBCPOOL_EIO, "HY000", "%s: %s", full,
                         strerror(e));
  }
  close(fd);
  if (path != NULL)
    snprintf(path, pathlen, "%s", full);
  return ODBCPOOL_OK;
}

static int append_file(struct odbcpool__scratch *s, const char *name,
                       const char *text, odbcpool_error *err) {
  char full[640];
  snprintf(full, sizeof full, "%s/%s", s->dir, name);
  FILE *f = fopen(full, "a");
  if (f == NULL)
    return odbcpool__err(err, ODBCPOOL_EIO, "HY000", "%s: %s", full,
                         strerror(errno));
  fputs(text, f);
  if (fclose(f) != 0)
    return odbcpool__err(err, ODBCPOOL_EIO, "HY000", "%s: %s", full,
                         strerror(errno));
  return ODBCPOOL_OK;
}

int odbcpool__scratch_init(struct odbcpool__scratch *s, const char *prefix,
                           odbcpool_error *err) {
  char drv[512];
  if (odbcpool__sqlite_driver(drv, sizeof drv) == NULL)
    return odbcpool__err(err, ODBCPOOL_ENODSN, "IM002",
                         "the SQLite3 ODBC driver is not installed "
                         "(Debian: apt-get install libsqliteodbc)");
  const char *tmp = getenv("TMPDIR");
  snprintf(s->dir, sizeof s->dir, "%s/%sXXXXXX", tmp && *tmp ? tmp : "/tmp",
           prefix);
  if (mkdtemp(s->dir) == NULL)
    return odbcpool__err(err, ODBCPOOL_EIO, "HY000", "mkdtemp %s: %s", s->dir,
                         strerror(errno));
  char text[1024];
  snprintf(text, sizeof text,
           "[SQLite3]\nDescription = SQLite3 ODBC driver\nDriver = %s\n"
           "Threading = 3\n\n[ODBC]\nPooling = No\n",
           drv);
  int code = odbcpool__scratch_write(s, "odbcinst.ini", text, NULL, 0, err);
  if (code == ODBCPOOL_OK)
    code = odbcpool__scratch_write(s, "odbc.ini", "", NULL, 0, err);
  if (code != ODBCPOOL_OK)
    return code;
  char ini[640];
  snprintf(ini, sizeof ini, "%s/odbc.ini", s->dir);
  setenv("ODBCSYSINI", s->dir, 1);
  setenv("ODBCINSTINI", "odbcinst.ini", 1);
  setenv("ODBCINI", ini, 1);
  return ODBCPOOL_OK;
}

int odbcpool__scratch_add_sqlite_dsn(struct odbcpool__scratch *s,
                                     const char *name, const char *db,
                                     odbcpool_error *err) {
  char text[1400];
  snprintf(text, sizeof text,
           "[%s]\nDriver = SQLite3\nDatabase = %s%s%s\nTimeout = 5000\n\n",
           name, db[0] == '/' ? "" : s->dir, db[0] == '/' ? "" : "/", db);
  return append_file(s, "odbc.ini", text, err);
}

int odbcpool__scratch_add_pool_dsn(struct odbcpool__scratch *s,
                                   const char *name, const char *target,
                                   const char *config, odbcpool_error *err) {
  const char *env = getenv("ODBCPOOL_DRIVER");
  /* The build tree's module only for a program run from the build tree:
   * an installed program must not load code from wherever it was built. */
  const char *built = NULL;
#ifdef ODBCPOOL_BUILDDIR
  char self[1024];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  size_t blen = strlen(ODBCPOOL_BUILDDIR);
  if (n > 0 && (size_t)n > blen &&
      strncmp(self, ODBCPOOL_BUILDDIR, blen) == 0 && self[blen] == '/')
    built = ODBCPOOL_BUILDDIR "/.libs/odbcpool_driver.so";
#endif
  const char *cands[] = {env, built,
#ifdef ODBCPOOL_MODULEDIR
                         ODBCPOOL_MODULEDIR "/odbcpool_driver.so",
#endif
                         NULL};
  const char *module = NULL;
  for (size_t i = 0; module == NULL && i < sizeof cands / sizeof cands[0]; i++)
    if (cands[i] != NULL && cands[i][0] != '\0' && readable(cands[i]))
      module = cands[i];
  if (module == NULL)
    return odbcpool__err(err, ODBCPOOL_ENOTFOUND, "IM003",
                         "the odbcpool driver module was not found (build "
                         "it, or set ODBCPOOL_DRIVER)");
  char text[1400];
  snprintf(text, sizeof text,
           "[ODBCPool]\nDescription = odbcpool\nDriver = %s\n"
           "Threading = 0\n\n",
           module);
  int code = append_file(s, "odbcinst.ini", text, err);
  if (code != ODBCPOOL_OK)
    return code;
  snprintf(text, sizeof text,
           "[%s]\nDriver = ODBCPool\nTargetDSN = %s\nPoolConfig = %s\n\n", name,
           target, config);
  return append_file(s, "odbc.ini", text, err);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void odbcpool__scratch_remove(struct odbcpool__scratch *s) {
  if (s->dir[0] != '\0')
    nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  s->dir[0] = '\0';
}
