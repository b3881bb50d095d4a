/* audit_lost.c — records that could not be written: counted, carried by
 * the next record written, and kept meanwhile in a loss marker next to
 * the trail, which the next process writes down if this one exits first
 * (see doc/AUDIT.md). */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "audit_writer.h"
#include "error.h"
#include "log.h"
#include "util.h"

/* A record this process fails to write is counted, and the next record
 * it writes carries the count. So that the count survives the process
 * (it may exit before writing works again: a full disk, a directory
 * made unwritable), each writing process keeps a loss marker next to
 * the trail: <dir>/.<base>.lost.<pid>.<random>, created (O_EXCL,
 * O_NOFOLLOW, 0600, in a directory odbcpool__open_safe_dir accepts) when
 * the trail is opened, MARKER_LEN bytes long from the start, so that
 * recording a loss overwrites bytes the file already has: no new block
 * on a full disk, no directory entry in an unwritable directory. The
 * process holds an flock on it for its life. It holds "LOST SINCE_MS\n"
 * (padded with spaces): the records lost and not yet written down.
 *
 * A process that opens the trail (and, once a minute, one that writes
 * to it) collects the markers of processes that are gone (the flock is
 * free): for one that counts losses it appends a "lost" record (count,
 * pid, time of the first loss), then deletes the marker. A process
 * deletes its own marker when it closes the trail or exits with nothing
 * lost. */
#define MARKER_LEN 64

static const char marker_tag[] = ".lost.";

/* Writes this process's pending loss count into its marker. No
 * allocation, no libcrypto: runs on a full disk and at exit. */
static void marker_write(struct odbcpool__audit *a) {
  char line[MARKER_LEN + 1];
  if (a->marker_fd < 0)
    return;
  int n = snprintf(line, sizeof line, "%" PRIu64 " %" PRId64 "\n", a->lost,
                   a->lost ? a->lost_since_ms : (int64_t)0);
  if (n < 0 || n >= MARKER_LEN)
    return;
  memset(line + n, ' ', (size_t)(MARKER_LEN - n));
  line[MARKER_LEN - 1] = '\n';
  if (pwrite(a->marker_fd, line, MARKER_LEN, 0) != MARKER_LEN && !a->failing)
    odbcpool__log(ODBCPOOL_LOG_ERROR,
                  "audit: %s: cannot record lost records in its loss marker "
                  "%s: %s",
                  a->path, a->marker_name, strerror(errno));
}

/* Creates this process's marker. Failure leaves it without one (and
 * says so): the trail still works. Called with the lock file held. */
void odbcpool__audit_marker_create(struct odbcpool__audit *a) {
  const char *base, *why;
  int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
  if (dfd < 0) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: no loss marker (%s): records lost by a process "
                  "that exits before it can write again leave no trace",
                  a->path, why ? why : strerror(errno));
    return;
  }
  for (int tries = 0; a->marker_fd < 0 && tries < 8; tries++) {
    char rnd[9];
    odbcpool__random_name(rnd, sizeof rnd);
    snprintf(a->marker_name, sizeof a->marker_name, ".%.40s%s%ld.%s", base,
             marker_tag, (long)a->pid, rnd);
    a->marker_fd = openat(
        dfd, a->marker_name,
        O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (a->marker_fd < 0 && errno != EEXIST)
      break;
  }
  if (a->marker_fd < 0) {
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: cannot create a loss marker: %s", a->path,
                  strerror(errno));
    a->marker_name[0] = '\0';
  } else if (flock(a->marker_fd, LOCK_EX | LOCK_NB) != 0) {
    close(a->marker_fd);
    unlinkat(dfd, a->marker_name, 0);
    a->marker_fd = -1;
    a->marker_name[0] = '\0';
  } else {
    marker_write(a);
  }
  close(dfd);
}

/* Deletes this process's marker if it counts no loss (else it stays, for
 * the next process to write down). */
void odbcpool__audit_marker_drop(struct odbcpool__audit *a) {
  if (a->marker_fd < 0)
    return;
  if (a->lost == 0) {
    const char *base, *why;
    int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
    if (dfd >= 0) {
      unlinkat(dfd, a->marker_name, 0);
      close(dfd);
    }
  }
  close(a->marker_fd);
  a->marker_fd = -1;
}

/* Writes down the losses of processes that are gone: a "lost" record per
 * marker that counts any, then deletes it. Only markers that are ours
 * (owner, regular file, no access for others, the name pattern) count:
 * another user can plant none. Called with a->mu and the lock file held,
 * after sync. */
void odbcpool__audit_collect_markers(struct odbcpool__audit *a) {
  const char *base, *why;
  char prefix[64];
  a->last_collect_ms = odbcpool__now_ms();
  int dfd = odbcpool__open_safe_dir(a->path, &base, &why);
  if (dfd < 0)
    return;
  int n = snprintf(prefix, sizeof prefix, ".%.40s%s", base, marker_tag);
  int lfd = dup(dfd);
  DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
  if (d == NULL) {
    if (lfd >= 0)
      close(lfd);
    close(dfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, (size_t)n) != 0 ||
        strcmp(e->d_name, a->marker_name) == 0)
      continue;
    char *end;
    long pid = strtol(e->d_name + n, &end, 10);
    if (pid <= 0 || *end != '.')
      continue;
    int fd = openat(dfd, e->d_name,
                    O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
      continue;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd); /* not ours, or its process is alive */
      continue;
    }
    char buf[MARKER_LEN + 1];
    ssize_t r = pread(fd, buf, MARKER_LEN, 0);
    buf[r > 0 ? r : 0] = '\0';
    unsigned long long lost = 0;
    long long since = 0;
    bool ok = true;
    if (sscanf(buf, "%llu %lld", &lost, &since) == 2 && lost > 0) {
      struct odbcpool__audit_rec rec = {.event = ODBCPOOL_AUDIT_LOST,
                                        .duration_ms = -1,
                                        .wait_ms = -1,
                                        .lost = lost,
                                        .lost_pid = pid,
                                        .lost_since_ms = since};
      odbcpool_error err;
      ok = odbcpool__audit_append(a, &rec, &err) == ODBCPOOL_OK;
      if (!ok)
        odbcpool__log(ODBCPOOL_LOG_ERROR,
                      "audit: cannot write down %llu records lost by process "
                      "%ld: %s",
                      lost, pid, err.message);
    }
    if (ok)
      unlinkat(dfd, e->d_name, 0);
    close(fd);
  }
  closedir(d);
  close(dfd);
}

/* A failed append: reported once until an append succeeds again. The
 * count goes to the loss marker at once. */
void odbcpool__audit_append_failed(struct odbcpool__audit *a, const char *msg) {
  if (a->lost++ == 0)
    a->lost_since_ms = odbcpool__audit_now_ms(a);
  if (!a->syslog)
    marker_write(a);
  if (a->failing)
    return;

  a->failing = true;
  odbcpool__log(ODBCPOOL_LOG_ERROR,
                "audit: %s; audit records are being lost (the next record "
                "written says how many)",
                msg);
}

void odbcpool__audit_append_succeeded(struct odbcpool__audit *a) {
  if (a->failing)
    odbcpool__log(ODBCPOOL_LOG_WARN,
                  "audit: %s: writing again; %" PRIu64 " records were lost",
                  a->syslog ? "syslog" : a->path, a->lost);
  a->failing = false;
  if (a->lost) {
    a->lost = 0;
    marker_write(a);
  }
}
