/* audit.c — `odbcpool audit verify|purge|subject|report`: checks the
 * chain of an audit trail, deletes rotated audit files and pseudonym keys
 * past their retention, and dispatches to subject and report. */
#include "build.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_verify.h"
#include "cli.h"
#include "config.h"

#ifndef ODBCPOOL_SYSCONFDIR
#define ODBCPOOL_SYSCONFDIR "/etc"
#endif

static void usage(FILE *out, bool full) {
  fprintf(out,
          "usage: odbcpool audit verify [--key KEYFILE | --config CONFIG]\n"
          "                             [--expect-last SEQ[:MAC]|MAC] "
          "[--genesis] [--syslog]\n"
          "                             [FILE...]\n"
          "       odbcpool audit purge [--if-configured] [CONFIG]\n"
          "       odbcpool audit subject [--user-file FILE] [--json] "
          "[TRAIL]\n"
          "       odbcpool audit report [--since DATE] [--json] "
          "[--html FILE] [TRAIL]\n"
          "  TRAIL: [--key KEYFILE | --config CONFIG] [--pseudonym-keys "
          "DIR] [--syslog]\n"
          "         [CONFIG | FILE...]\n");
  if (!full)
    return;
  fprintf(out,
          "\nverify checks that every record of the audit trail in FILE... "
          "is intact and\nchained to the one before it, across the files "
          "(rotated files and the live\nfile, in any order: they are put in "
          "chain order). The key is KEYFILE, or the\nkey_file of CONFIG's "
          "[audit] section; with --config and no FILE, the trail of\n"
          "its [audit] path is checked. Without --key or --config, CONFIG is "
          "$ODBCPOOL_CONFIG,\nelse %s/odbcpool.ini.\n"
          "  --expect-last X  the trail must still hold record X, as a "
          "previous verify\n"
          "                   printed it (\"last: SEQ:MAC\"): detects records "
          "removed from\n"
          "                   its end\n"
          "  --genesis        the trail must start at seq 1: detects records "
          "removed from\n"
          "                   its start\n"
          "  --syslog         FILE holds syslog lines (one chain per process "
          "stream)\n"
          "Exits 0 if the trail is intact, 1 if not (the first bad record is "
          "named as\nFILE:LINE on stderr), 2 on a usage, key or read "
          "error.\n\n"
          "purge deletes the rotated files of CONFIG's [audit] path older "
          "than its\nretention, and the pseudonym keys of periods that "
          "ended longer ago than\nthat, and prints their names.\n"
          "  --if-configured  exit 0 without doing anything if CONFIG has no "
          "[audit]\n"
          "                   path (for the daily timer and cron job)\n\n"
          "subject lists every record of one data subject (GDPR Art. 15): "
          "the user name\nis read from the terminal without echo, or from "
          "the first line of --user-file\nFILE, never from the command "
          "line; it is neither stored nor written. It says\nwhich "
          "pseudonym periods were searched and which could not be (their "
          "key was\ndeleted).\n\n"
          "report summarises the trail per DSN and purpose (GDPR Art. 30): "
          "borrows,\nprincipals, hold times, refusals, erasure failures, "
          "closes, losses,\nretention; --since DATE (YYYY-MM-DD or "
          "YYYY-MM-DDTHH:MM:SSZ) counts from\nthen; --html FILE also "
          "writes it as one self-contained HTML page with charts.\n\n"
          "subject and report verify the chain while they read: each bad "
          "place is named,\nand they exit 1 if there is one (0 if intact, "
          "2 on a key or read error).\nWith a CONFIG and no FILE they read "
          "its [audit] trail and pseudonym keys.\n",
          ODBCPOOL_SYSCONFDIR);
}

static const char *default_config(void) {
  const char *path = getenv("ODBCPOOL_CONFIG");
  return path && *path ? path : ODBCPOOL_SYSCONFDIR "/odbcpool.ini";
}

/* Loads `path` and checks that it has an [audit] section with a key (and,
 * with `need_path`, a path). Returns NULL after printing why not. */
static struct cfg *load_audit_config(const char *path, bool need_path) {
  odbcpool_error err;
  struct cfg *cfg;
  if (odbcpool__cfg_load(path, &cfg, &err) != ODBCPOOL_OK) {
    fprintf(stderr, "odbcpool audit: %s\n", err.message);
    return NULL;
  }
  if (cfg->audit_line == 0 || cfg->audit_key_file == NULL ||
      (need_path && cfg->audit_path == NULL)) {
    fprintf(stderr, "odbcpool audit: %s: no [audit] section with %s\n", path,
            need_path ? "path and key_file" : "key_file");
    odbcpool__cfg_free(cfg);
    return NULL;
  }
  return cfg;
}

static int cmd_verify(int argc, char **argv) {
  const char *key = NULL, *config = NULL;
  struct odbcpool__audit_verify_opts opts = {0};
  char **files = argv;
  int nfiles = 0, i;

  const char *a;
  for (i = 1; (a = cli_next_opt(argc, argv, &i)) != NULL; i++) {
    if (cli_is_help(a)) {
      usage(stdout, true);
      return 0;
    }
    if (strcmp(a, "--genesis") == 0) {
      opts.genesis = true;
      continue;
    }
    if (strcmp(a, "--syslog") == 0) {
      opts.syslog = true;
      continue;
    }
    const char **dst = strcmp(a, "--key") == 0           ? &key
                       : strcmp(a, "--config") == 0      ? &config
                       : strcmp(a, "--expect-last") == 0 ? &opts.expect_last
                                                         : NULL;
    if (dst == NULL)
      cli_unknown_option("audit verify", a);
    if (dst == NULL || !cli_take_value("audit verify", argc, argv, &i, dst)) {
      usage(stderr, false);
      return 2;
    }
  }
  files = argv + i;
  nfiles = argc - i;
  if (key && config) {
    fprintf(stderr, "odbcpool audit verify: give --key or --config, not "
                    "both\n");
    usage(stderr, false);
    return 2;
  }

  struct cfg *cfg = NULL;
  char **trail = NULL;
  int ntrail = 0;
  odbcpool_error err;
  if (key == NULL) {
    if (config == NULL)
      config = default_config();
    cfg = load_audit_config(config, nfiles == 0);
    if (cfg == NULL)
      return 2;
    key = cfg->audit_key_file;
    if (nfiles == 0) {
      if (odbcpool__audit_trail_files(cfg->audit_path, &trail, &ntrail, &err) !=
          ODBCPOOL_OK) {
        fprintf(stderr, "odbcpool audit verify: %s\n", err.message);
        odbcpool__cfg_free(cfg);
        return 2;
      }
      if (ntrail == 0) {
        fprintf(stderr, "odbcpool audit verify: %s: no audit file yet\n",
                cfg->audit_path);
        odbcpool__cfg_free(cfg);
        return 2;
      }
      files = trail;
      nfiles = ntrail;
    }
  } else if (nfiles == 0) {
    fprintf(stderr, "odbcpool audit verify: no FILE given\n");
    usage(stderr, false);
    return 2;
  }

  int rc = odbcpool__audit_verify(key, files, nfiles, &opts, stdout, &err);
  if (rc != ODBCPOOL_OK)
    fprintf(stderr, "odbcpool audit verify: %s%s\n",
            rc == ODBCPOOL_EINVAL ? "TAMPERED: " : "", err.message);
  odbcpool__audit_files_free(trail, ntrail);
  odbcpool__cfg_free(cfg);
  if (rc == ODBCPOOL_OK)
    return 0;
  return rc == ODBCPOOL_EINVAL ? 1 : 2;
}

static int cmd_purge(int argc, char **argv) {
  const char *config = NULL;
  bool if_configured = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout, true);
      return 0;
    }
    if (strcmp(argv[i], "--if-configured") == 0 && config == NULL) {
      if_configured = true;
      continue;
    }
    if (argv[i][0] == '-' || config != NULL) {
      fprintf(stderr, "odbcpool audit purge: unexpected '%s'\n", argv[i]);
      usage(stderr, false);
      return 2;
    }
    config = argv[i];
  }
  if (config == NULL)
    config = default_config();
  if (if_configured) {
    /* An invalid config is still an error: the timer must not hide it. */
    odbcpool_error err;
    struct cfg *c;
    if (odbcpool__cfg_load(config, &c, &err) != ODBCPOOL_OK) {
      fprintf(stderr, "odbcpool audit: %s\n", err.message);
      return 2;
    }
    bool audited = c->audit_path != NULL;
    odbcpool__cfg_free(c);
    if (!audited)
      return 0;
  }
  struct cfg *cfg = load_audit_config(config, true);
  if (cfg == NULL)
    return 2;
  odbcpool_error err;
  int n = odbcpool__audit_purge(cfg, stdout, &err);
  if (n < 0)
    fprintf(stderr, "odbcpool audit purge: %s\n", err.message);
  else if (cfg->audit_retention <= 0)
    fprintf(stderr,
            "odbcpool audit purge: %s: retention is 0: rotated files "
            "are kept forever\n",
            config);
  odbcpool__cfg_free(cfg);
  return n < 0 ? 2 : 0;
}

/* ------------------------------------------- trail of subject, report */

int cli_trail_option(const char *cmd, struct cli_trail *t, int argc,
                     char **argv, int *i) {
  const char *a = argv[*i];
  if (strcmp(a, "--syslog") == 0) {
    t->syslog = true;
    return 1;
  }
  const char **dst = strcmp(a, "--key") == 0              ? &t->key
                     : strcmp(a, "--config") == 0         ? &t->config
                     : strcmp(a, "--pseudonym-keys") == 0 ? &t->pkey_dir
                                                          : NULL;
  if (dst == NULL)
    return 0;
  char name[64];
  snprintf(name, sizeof name, "audit %s", cmd);
  return cli_take_value(name, argc, argv, i, dst) ? 1 : 2;
}

int cli_trail_resolve(const char *cmd, struct cli_trail *t, char **pos,
                      int npos) {
  odbcpool_error err;
  if (t->key && t->config) {
    fprintf(stderr, "odbcpool audit %s: give --key or --config, not both\n",
            cmd);
    return 2;
  }
  if (t->key == NULL && t->config == NULL && npos == 1) {
    t->config = pos[0]; /* [CONFIG] */
    npos = 0;
  }
  if (t->key == NULL) {
    t->cfg =
        load_audit_config(t->config ? t->config : default_config(), npos == 0);
    if (t->cfg == NULL)
      return 2;
    t->key = t->cfg->audit_key_file;
    if (npos == 0) {
      if (t->cfg->audit_syslog) {
        fprintf(stderr,
                "odbcpool audit %s: the trail goes to syslog: give "
                "--syslog and the files the daemon wrote\n",
                cmd);
        return 2;
      }
      if (odbcpool__audit_trail_files(t->cfg->audit_path, &t->trail, &t->ntrail,
                                      &err) != ODBCPOOL_OK) {
        fprintf(stderr, "odbcpool audit %s: %s\n", cmd, err.message);
        return 2;
      }
      if (t->ntrail == 0) {
        fprintf(stderr, "odbcpool audit %s: %s: no audit file yet\n", cmd,
                t->cfg->audit_path);
        return 2;
      }
      pos = t->trail;
      npos = t->ntrail;
    }
    /* Also with pseudonym_period = 0: keys of earlier periods may be
     * there, and their records are then still searched. */
    if (t->pkey_dir == NULL)
      t->pkey_dir = t->pkey_alloc =
          odbcpool__pkey_dir(t->cfg->audit_key_file, t->cfg->audit_pkey_dir);
  } else if (npos == 0) {
    fprintf(stderr, "odbcpool audit %s: --key needs the trail's FILEs\n", cmd);
    return 2;
  } else if (t->pkey_dir == NULL) {
    t->pkey_dir = t->pkey_alloc = odbcpool__pkey_dir(t->key, NULL);
  }
  t->src = (struct odbcpool__trail_src){.key_file = t->key,
                                        .pkey_dir = t->pkey_dir,
                                        .files = pos,
                                        .nfiles = npos,
                                        .syslog = t->syslog,
                                        .cfg = t->cfg};
  return 0;
}

void cli_trail_free(struct cli_trail *t) {
  odbcpool__audit_files_free(t->trail, t->ntrail);
  odbcpool__cfg_free(t->cfg);
  free(t->pkey_alloc);
  memset(t, 0, sizeof *t);
}

int cli_audit(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr, false);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout, true);
    return 0;
  }
  if (strcmp(argv[1], "verify") == 0)
    return cmd_verify(argc - 1, argv + 1);
  if (strcmp(argv[1], "purge") == 0)
    return cmd_purge(argc - 1, argv + 1);
  if (strcmp(argv[1], "subject") == 0)
    return cli_audit_subject(argc - 1, argv + 1);
  if (strcmp(argv[1], "report") == 0)
    return cli_audit_report(argc - 1, argv + 1);
  fprintf(stderr, "odbcpool audit: unknown subcommand '%s'\n", argv[1]);
  usage(stderr, false);
  return 2;
}
