/* pool_impl.h — helpers shared by the files of the pool core itself
 * (pool.c, pool_borrow.c, pool_workers.c, pool_fork.c, housekeeping.c):
 * the connection lists, slots and the password lifetime of a pool. Not
 * for the rest of the library, and never for src/driver/
 * (tests/layering.sh checks). Every function here is called with
 * set->lock held; the structs are in pool.h. */
#ifndef ODBCPOOL_POOL_IMPL_H
#define ODBCPOOL_POOL_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* --- pool.c: lists and slots ---------------------------------------- */

/* Takes `c` off list `l` (its state's list). */
void odbcpool__list_unlink(struct conn_list *l, odbcpool_conn *c);
/* A connection of `p` left the lists for good: its slot is free. */
void odbcpool__slot_release(struct pool *p);
/* Whether a pool of p's DSN other than `p` has borrowers waiting. */
bool odbcpool__dsn_starved(const struct pool *p);
/* Takes the most recently returned idle connection, as IN_USE; NULL if
 * there is none. */
odbcpool_conn *odbcpool__take_idle(struct pool *p);

/* Gives up `c`, whose reset or validation worker is stuck in the driver
 * past its deadline: off list `from` (RESETTING or IN_USE), its slot
 * freed, marked abandoned (its worker frees it if it ever comes back),
 * counted and audited as closed for `reason`; another worker replaces
 * the stuck one and waiting borrowers are woken. The caller counts the
 * failure it stands for and logs it first. */
void odbcpool__give_up(struct pool *p, odbcpool_conn *c, enum conn_state from,
                       odbcpool_close_reason reason, uint64_t now);
/* Marks the set closing and wakes its housekeeper, its workers and every
 * waiting borrower; in a forked child the set is made the child's first
 * (without threads, as it is closing). Returns whether the set's threads
 * had been started. */
bool odbcpool__set_stop(odbcpool_set *s);

/* Opens `c` (OPENING) with the set's lock NOT held, and audits the
 * outcome: OPEN with the time it took, or REFUSED with the policy's
 * reason (an unencrypted link, say), or, when the pool has a password of
 * the application's, REFUSED "login_failed". Returns the open's code. The
 * one exception to "called with set->lock held" in this header. */
int odbcpool__open_audited(struct pool *p, odbcpool_conn *c, const char *pwd,
                           SQLUINTEGER login_timeout, odbcpool_error *err,
                           struct odbcpool__diag *diag);

/* --- pool.c: password lifetime -------------------------------------- */

/* Whether a borrower of `p` must log in for real before its pooled
 * connections are used (reauth_interval over, or refused since). */
bool odbcpool__reauth_due(const struct pool *p, uint64_t now);
/* The server accepted the password of `p` in a real login at `now`. */
void odbcpool__password_accepted(struct pool *p, uint64_t now);
/* A real login with the password of `p` failed: no connection made with
 * it is used again. The lock is released while idle ones are closed. */
void odbcpool__password_refused(struct pool *p);
/* Closes `c` (IN_USE, just taken) and returns a new OPENING connection
 * in its slot, or NULL when out of memory. The lock is released while
 * the old one is disconnected. */
odbcpool_conn *odbcpool__reopen_in_slot(odbcpool_conn *c);

#endif /* ODBCPOOL_POOL_IMPL_H */
