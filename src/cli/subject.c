/* subject.c — `odbcpool audit subject`: answers a data subject's access
 * request (GDPR Art. 15) from the audit trail. The user name is read
 * without echo from the terminal, or from a file, never from the command
 * line (where ps would show it); it stays in locked memory that is wiped
 * after use, and is never written anywhere. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "audit_report.h"
#include "cli.h"
#include "secret.h"

#define NAME_CAP 1024 /* bytes of a user name, with its NUL */

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static int tty_fd = -1;

static void restore_tty(void) {
  if (tio_saved) {
    (void)tcsetattr(tty_fd, TCSANOW, &saved_tio);
    tio_saved = 0;
  }
}

/* Puts the echo back before dying of a signal; async-signal-safe. */
static void on_signal(int sig) {
  restore_tty();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void catch_signals(bool on) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    signal(sigs[i], on ? on_signal : SIG_DFL);
  signal(SIGTSTP, on ? SIG_IGN : SIG_DFL);
}

/* Reads one line from fd into buf (NAME_CAP), byte by byte so that no
 * stdio buffer keeps a copy. Returns its length, or -1 (nothing), -2
 * (too long), -3 (a NUL byte), -4 (a read error). A trailing \r goes. */
static long read_name(int fd, char *buf) {
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -4;
    if (r == 0 || c == '\n')
      break;
    if (c == '\0')
      return -3;
    if (n + 1 >= NAME_CAP)
      return -2;
    buf[n++] = c;
  }
  if (n > 0 && buf[n - 1] == '\r')
    n--;
  buf[n] = '\0';
  return n == 0 ? -1 : (long)n;
}

/* Reads the subject's user name from the terminal with echo off. */
static long ask_tty(char *buf) {
  struct termios tio;
  tty_fd = STDIN_FILENO;
  if (tcgetattr(tty_fd, &saved_tio) != 0)
    return -4;
  tio = saved_tio;
  tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
  tio_saved = 1;
  catch_signals(true);
  if (tcsetattr(tty_fd, TCSAFLUSH, &tio) != 0) {
    restore_tty();
    catch_signals(false);
    return -4;
  }
  /* Prompt only once echo is off: a line typed earlier would show. */
  fputs("User name of the data subject (not shown): ", stderr);
  fflush(stderr);
  long n = read_name(tty_fd, buf);
  restore_tty();
  catch_signals(false);
  fputc('\n', stderr);
  return n;
}

static void usage(FILE *out) {
  fputs("usage: odbcpool audit subject [--user-file FILE] [--json]\n"
        "         [--key KEYFILE | --config CONFIG] [--pseudonym-keys DIR]\n"
        "         [--syslog] [CONFIG | FILE...]\n"
        "Lists every record of one data subject in the audit trail; the "
        "user name is\nread without echo from the terminal, or from the "
        "first line of FILE.\n",
        out);
}

int cli_audit_subject(int argc, char **argv) {
  struct cli_trail t = {0};
  const char *user_file = NULL;
  bool json = false;
  int i, rc;

  const char *a;
  for (i = 1; (a = cli_next_opt(argc, argv, &i)) != NULL; i++) {
    if (cli_is_help(a)) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--json") == 0) {
      json = true;
      continue;
    }
    if (strcmp(a, "--user-file") == 0) {
      if (cli_take_value("audit subject", argc, argv, &i, &user_file))
        continue;
      rc = 2;
    } else {
      rc = cli_trail_option("subject", &t, argc, argv, &i);
    }
    if (rc == 1)
      continue;
    if (rc == 0)
      cli_unknown_option("audit subject", a);
    usage(stderr);
    return 2;
  }
  if (cli_trail_resolve("subject", &t, argv + i, argc - i) != 0) {
    cli_trail_free(&t);
    return 2;
  }
  cli_no_core();
  char *name = odbcpool__secure_alloc(NAME_CAP);
  if (name == NULL) {
    fprintf(stderr, "odbcpool audit subject: out of memory\n");
    cli_trail_free(&t);
    return 2;
  }
  long n;
  if (user_file != NULL) {
    int fd = open(user_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      fprintf(stderr, "odbcpool audit subject: %s: %s\n", user_file,
              strerror(errno));
      odbcpool__secure_free(name, NAME_CAP);
      cli_trail_free(&t);
      return 2;
    }
    n = read_name(fd, name);
    close(fd);
  } else if (isatty(STDIN_FILENO)) {
    n = ask_tty(name);
  } else {
    fprintf(stderr, "odbcpool audit subject: standard input is not a "
                    "terminal: give the user name in --user-file FILE\n");
    odbcpool__secure_free(name, NAME_CAP);
    cli_trail_free(&t);
    return 2;
  }
  if (n < 0) {
    fprintf(stderr, "odbcpool audit subject: %s\n",
            n == -1   ? "no user name given"
            : n == -2 ? "the user name is longer than 1023 bytes"
            : n == -3 ? "the user name contains a NUL byte"
                      : "cannot read the user name");
    odbcpool__secure_free(name, NAME_CAP);
    cli_trail_free(&t);
    return 2;
  }
  rc = odbcpool__audit_subject(&t.src, name, json, stdout, stderr);
  odbcpool__secure_free(name, NAME_CAP);
  cli_trail_free(&t);
  return rc;
}
