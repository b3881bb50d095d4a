/* cli.h — subcommands of the odbcpool command. */
#ifndef ODBCPOOL_CLI_H
#define ODBCPOOL_CLI_H

int cli_audit(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_encrypt(int argc, char **argv);

#endif /* ODBCPOOL_CLI_H */
