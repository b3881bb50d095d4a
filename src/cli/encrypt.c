/* encrypt.c — `odbcpool encrypt --key KEYFILE [--new-key] FILE`: writes
 * a credentials file (AES-256-GCM) from a UID and PWD read without echo
 * from the terminal, or one per line from standard input. */
#include "build.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "secret.h"

#define LINE_CAP (ODBCPOOL_CRED_FIELD_MAX + 2)

static const char usage_text[] =
    "usage: odbcpool encrypt --key KEYFILE [--new-key] FILE\n"
    "\n"
    "Writes FILE (mode 0600, replaced atomically) holding a user name and\n"
    "a password encrypted with AES-256-GCM under the 32-byte key in\n"
    "KEYFILE; name them in the pool config as `credentials = FILE` and\n"
    "`credentials_key = KEYFILE`. The user name and the password are read\n"
    "without echo from the terminal, or else as the first two lines of\n"
    "standard input (each ends at a newline; no other byte is stripped).\n"
    "\n"
    "  --key KEYFILE  the key file (mode 0600)\n"
    "  --new-key      create KEYFILE with 32 random bytes first; refuses\n"
    "                 to overwrite an existing file\n";

/* The terminal state to restore, for the signal handler too. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void) {
  if (tio_saved) {
    (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    tio_saved = 0;
  }
}

/* Puts the echo back before dying of a signal; async-signal-safe. */
static void on_signal(int sig) {
  restore_tty();
  ssize_t w = write(STDERR_FILENO, "\n", 1);
  (void)w;
  signal(sig, SIG_DFL);
  raise(sig);
}

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void catch_signals(bool on) {
  for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
    signal(fatal_signals[i], on ? on_signal : SIG_DFL);
  /* A stopped job would keep the terminal silent; stay in the
   * foreground while echo is off. */
  signal(SIGTSTP, on ? SIG_IGN : SIG_DFL);
}

/* Reads one line (without its newline) into buf, byte by byte so that no
 * stdio buffer keeps a copy of a secret. Returns 1 on a line, 0 at end of
 * input before any byte, -1 on a read error (errno), -2 if the line is
 * longer than LINE_CAP - 2, -3 on a NUL byte. */
static int read_line(char *buf, size_t *len) {
  size_t n = 0;
  bool any = false;
  for (;;) {
    char c;
    ssize_t r = read(STDIN_FILENO, &c, 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    any = true;
    if (c == '\n')
      break;
    if (c == '\0')
      return -3;
    if (n >= LINE_CAP - 2)
      return -2;
    buf[n++] = c;
  }
  buf[n] = '\0';
  *len = n;
  return any ? 1 : 0;
}

/* Prompts on stderr and reads a line with echo off if stdin is a
 * terminal. Prints an error naming `what` and returns false on failure. */
static bool ask(bool tty, const char *prompt, const char *what, char *buf) {
  size_t len;
  int r;

  if (tty) {
    struct termios tio;
    if (tcgetattr(STDIN_FILENO, &saved_tio) != 0) {
      fprintf(stderr, "odbcpool encrypt: cannot read terminal settings: %s\n",
              strerror(errno));
      return false;
    }
    tio = saved_tio;
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    tio_saved = 1;
    catch_signals(true);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) != 0) {
      restore_tty();
      catch_signals(false);
      fprintf(stderr, "odbcpool encrypt: cannot turn off echo: %s\n",
              strerror(errno));
      return false;
    }
    /* Prompt only once echo is off: a line typed earlier would show. */
    fputs(prompt, stderr);
    fflush(stderr);
    r = read_line(buf, &len);
    int e = errno;
    restore_tty();
    catch_signals(false);
    fputc('\n', stderr);
    errno = e;
  } else {
    r = read_line(buf, &len);
  }
  switch (r) {
  case 1:
    return true;
  case 0:
    fprintf(stderr, "odbcpool encrypt: no %s: input ended%s\n", what,
            tty ? ""
                : " (expected the user name and the password, one "
                  "per line, on standard input)");
    return false;
  case -1:
    fprintf(stderr, "odbcpool encrypt: cannot read the %s: %s\n", what,
            strerror(errno));
    return false;
  case -2:
    fprintf(stderr, "odbcpool encrypt: the %s is longer than %d bytes\n", what,
            ODBCPOOL_CRED_FIELD_MAX);
    return false;
  default:
    fprintf(stderr, "odbcpool encrypt: the %s contains a NUL byte\n", what);
    return false;
  }
}

/* Keeps this process's secrets out of core dumps and away from ptrace by
 * other processes of the same user. */
int cli_encrypt(int argc, char **argv) {
  const char *key = NULL, *file = NULL;
  bool new_key = false;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
      key = argv[++i];
    } else if (strncmp(argv[i], "--key=", 6) == 0) {
      key = argv[i] + 6;
    } else if (strcmp(argv[i], "--key") == 0) {
      fprintf(stderr, "odbcpool encrypt: --key needs a file\n%s", usage_text);
      return 2;
    } else if (strcmp(argv[i], "--new-key") == 0) {
      new_key = true;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "odbcpool encrypt: unknown option '%s'\n%s", argv[i],
              usage_text);
      return 2;
    } else if (file == NULL) {
      file = argv[i];
    } else {
      fprintf(stderr, "odbcpool encrypt: more than one FILE\n%s", usage_text);
      return 2;
    }
  }
  if (key == NULL || *key == '\0' || file == NULL || *file == '\0') {
    fprintf(stderr, "odbcpool encrypt: %s\n%s",
            key == NULL || *key == '\0' ? "--key KEYFILE is required"
                                        : "FILE is required",
            usage_text);
    return 2;
  }
  if (strcmp(key, file) == 0) {
    fprintf(stderr, "odbcpool encrypt: FILE and KEYFILE are the same\n");
    return 2;
  }
  cli_no_core();

  /* Fail before anyone types a password. */
  odbcpool_error err = {0};
  struct stat st;
  if (new_key) {
    if (lstat(key, &st) == 0) {
      fprintf(stderr,
              "odbcpool encrypt: %s: already exists; refusing to overwrite "
              "a key file (what it encrypted would be lost)\n",
              key);
      return 1;
    }
  } else if (odbcpool__secret_check_mode(key, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool encrypt: %s\n", err.message);
    return 1;
  }

  int rc = 1;
  bool tty = isatty(STDIN_FILENO);
  char *uid = odbcpool__secure_alloc(LINE_CAP);
  char *pwd = odbcpool__secure_alloc(LINE_CAP);
  char *again = tty ? odbcpool__secure_alloc(LINE_CAP) : NULL;
  if (uid == NULL || pwd == NULL || (tty && again == NULL)) {
    fprintf(stderr, "odbcpool encrypt: out of memory\n");
    goto done;
  }
  if (!ask(tty, "User name (UID): ", "user name", uid) ||
      !ask(tty, "Password (PWD): ", "password", pwd))
    goto done;
  if (tty) {
    if (!ask(tty, "Password again: ", "password", again))
      goto done;
    size_t n = strlen(pwd);
    if (strlen(again) != n || CRYPTO_memcmp(again, pwd, n) != 0) {
      fprintf(stderr, "odbcpool encrypt: the passwords differ\n");
      goto done;
    }
  }

  if (new_key) {
    if (odbcpool__secret_new_key(key, &err) != ODBCPOOL_OK) {
      fprintf(stderr, "odbcpool encrypt: %s\n", err.message);
      goto done;
    }
  }
  /* Renaming the credentials over the key would lose the key. */
  struct stat kst;
  if (stat(file, &st) == 0 && stat(key, &kst) == 0 && st.st_dev == kst.st_dev &&
      st.st_ino == kst.st_ino) {
    fprintf(stderr, "odbcpool encrypt: %s and %s are the same file\n", file,
            key);
    goto done;
  }
  if (odbcpool__cred_write(file, key, uid, pwd, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool encrypt: %s\n", err.message);
    if (new_key && unlink(key) == 0)
      fprintf(stderr, "odbcpool encrypt: removed the new key file %s\n", key);
    goto done;
  }
  if (new_key)
    printf("created key file %s\n", key);
  printf("wrote %s (encrypted with %s)\n", file, key);
  rc = 0;
done:
  odbcpool__secure_free(uid, LINE_CAP);
  odbcpool__secure_free(pwd, LINE_CAP);
  odbcpool__secure_free(again, LINE_CAP);
  return rc;
}
