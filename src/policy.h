/* policy.h — require_encryption: refuse connections that are not asked
 * to use TLS, and confirm TLS on the live session. */
#ifndef ODBCPOOL_POLICY_H
#define ODBCPOOL_POLICY_H

#include <sql.h>

#include "config.h"
#include "odbcpool.h"

/* Why a connection was refused, as a fixed word for the audit trail. */
#define ODBCPOOL_POLICY_NO_TLS "no_tls"
#define ODBCPOOL_POLICY_UNKNOWN_DRIVER "unknown_driver"
#define ODBCPOOL_POLICY_CHECK_FAILED "tls_check_failed"

/* Before connecting: with require_encryption, the connection must ask
 * its driver for TLS, judged from the target DSN's odbc.ini entry and
 * the extra connection keywords `extra` ("K=V;...", may be NULL, they
 * override the DSN): psqlODBC SSLmode require/verify-ca/verify-full;
 * MariaDB Connector/ODBC FORCETLS or SSLVERIFY on; Microsoft's SQL
 * Server driver Encrypt yes/mandatory/strict. A driver it does not know
 * passes only with an encryption_check. Returns OK, or EPOLICY (08004)
 * with the reason word in *reason. */
int odbcpool__policy_before(const struct cfg_pool *cfg, const char *dsn,
                            const char *extra, const char **reason,
                            odbcpool_error *err);

/* After connecting, before anything else is sent: runs encryption_check,
 * which must return a row whose first column is true (1, t, true, yes,
 * on, case-insensitive). Returns OK or EPOLICY. */
int odbcpool__policy_after(const struct cfg_pool *cfg, const char *dsn,
                           SQLHDBC hdbc, const char **reason,
                           odbcpool_error *err);

#endif /* ODBCPOOL_POLICY_H */
