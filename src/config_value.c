/* config_value.c — the values of settings: integers, durations with
 * units, booleans and choices parsed against the table's bounds, and
 * where each value lives in struct cfg / struct cfg_pool. */
#include "build.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_impl.h"

/* --------------------------------------------------------------- values */

enum perr {
  P_OK,
  P_EMPTY,
  P_NAN,
  P_NEGATIVE,
  P_RANGE,
  P_SMALL,
  P_NOUNIT,
  P_UNIT,
  P_UNIT_M,
  P_BOOL,
};

/* Parses the decimal digits at the start of `s`; *end points past them. */
static enum perr parse_digits(const char *s, long *v, const char **end) {
  char *e;

  if (*s == '\0')
    return P_EMPTY;
  if (*s == '-')
    return P_NEGATIVE;
  if (*s < '0' || *s > '9')
    return P_NAN;
  errno = 0;
  *v = strtol(s, &e, 10);
  if (errno == ERANGE)
    return P_RANGE;
  *end = e;
  return P_OK;
}

static enum perr parse_int(const char *s, long *v) {
  const char *end;
  enum perr r = parse_digits(s, v, &end);

  if (r == P_OK && *end != '\0')
    return P_NAN;
  return r;
}

static const struct {
  const char *name;
  long ms;
} units[] = {
    {"d", 86400000L}, {"h", 3600000L}, {"min", 60000L},
    {"s", 1000L},     {"ms", 1L},
};

static enum perr parse_duration(const char *s, long *ms) {
  const char *end;
  long n;
  enum perr r = parse_digits(s, &n, &end);

  if (r != P_OK)
    return r;
  while (*end == ' ' || *end == '\t')
    end++;
  if (*end == '\0') {
    if (n != 0)
      return P_NOUNIT;
    *ms = 0;
    return P_OK;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].name) == 0) {
      if (n > LONG_MAX / units[i].ms)
        return P_RANGE;
      *ms = n * units[i].ms;
      return P_OK;
    }
  }
  return strcmp(end, "m") == 0 ? P_UNIT_M : P_UNIT;
}

bool odbcpool__cfg_duration(const char *s, long *ms /* OUT */) {
  return s && parse_duration(s, ms) == P_OK;
}

void odbcpool__cfg_format_duration(long ms, char *buf, size_t len) {
  if (ms == 0) {
    snprintf(buf, len, "0");
    return;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (ms % units[i].ms == 0) {
      snprintf(buf, len, "%ld%s", ms / units[i].ms, units[i].name);
      return;
    }
  }
}

static enum perr parse_bool(const char *s, bool *v) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};

  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *v = true;
      return P_OK;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *v = false;
      return P_OK;
    }
  }
  return *s ? P_BOOL : P_EMPTY;
}

static void format_bound(const struct cfg_setting *s, long v, char *buf,
                         size_t len) {
  if (s->type == CFG_DURATION)
    odbcpool__cfg_format_duration(v, buf, len);
  else
    snprintf(buf, len, "%ld", v);
}

/* Converts text `v` of an INT, DURATION or BOOL setting into *dst. On error
 * returns false with the reason in `why`. */
bool odbcpool__cfg_convert(const struct cfg_setting *s, const char *v,
                           void *dst, char *why, size_t whylen) {
  char bound[32];
  enum perr r;
  long n = 0;
  bool b = false;

  switch (s->type) {
  case CFG_INT:
    r = parse_int(v, &n);
    break;
  case CFG_DURATION:
    r = parse_duration(v, &n);
    break;
  case CFG_BOOL:
    r = parse_bool(v, &b);
    break;
  case CFG_CHOICE:
    if (*v == '\0') {
      r = P_EMPTY;
      break;
    }
    for (size_t i = 0; s->choices[i]; i++) {
      if (strcasecmp(v, s->choices[i]) == 0) {
        *(long *)dst = (long)i;
        return true;
      }
    }
    {
      size_t used = 0;
      used += (size_t)snprintf(why, whylen, "'%.64s' is not one of: ", v);
      for (size_t i = 0; s->choices[i] && used < whylen; i++)
        used += (size_t)snprintf(why + used, whylen - used, "%s%s",
                                 i ? ", " : "", s->choices[i]);
    }
    return false;
  default:
    assert(!"convert: not a scalar setting");
    return false;
  }
  if (r == P_OK && s->type != CFG_BOOL && s->type != CFG_CHOICE && n < s->min)
    r = P_SMALL;
  if (r == P_OK && s->type != CFG_BOOL && s->type != CFG_CHOICE && n > s->max)
    r = P_RANGE;
  switch (r) {
  case P_OK:
    if (s->type == CFG_BOOL)
      *(bool *)dst = b;
    else
      *(long *)dst = n;
    return true;
  case P_EMPTY:
    snprintf(why, whylen, "value is empty");
    break;
  case P_NAN:
    snprintf(why, whylen, "'%.64s' is not a whole number", v);
    break;
  case P_NEGATIVE:
    snprintf(why, whylen, "'%.64s' must not be negative", v);
    break;
  case P_SMALL:
    format_bound(s, s->min, bound, sizeof bound);
    snprintf(why, whylen, "'%.64s' is too small (min %s)", v, bound);
    break;
  case P_RANGE:
    format_bound(s, s->max, bound, sizeof bound);
    snprintf(why, whylen, "'%.64s' is too large (max %s)", v, bound);
    break;
  case P_NOUNIT:
    snprintf(why, whylen, "'%.64s' needs a unit: ms, s, min, h or d", v);
    break;
  case P_UNIT:
    snprintf(why, whylen,
             "'%.64s' has an unknown unit (use ms, s, min, h or d)", v);
    break;
  case P_UNIT_M:
    snprintf(why, whylen,
             "'%.64s': unit 'm' is ambiguous; write min for minutes or ms for "
             "milliseconds",
             v);
    break;
  case P_BOOL:
    snprintf(why, whylen, "'%.64s' is not a boolean (use yes or no)", v);
    break;
  }
  return false;
}

const char *odbcpool__cfg_choice(const struct cfg_setting *s, long v) {
  if (s->type != CFG_CHOICE || v < 0)
    return "?";
  for (long i = 0; s->choices[i]; i++)
    if (i == v)
      return s->choices[i];
  return "?";
}

const void *odbcpool__cfg_value(const struct cfg *cfg,
                                const struct cfg_pool *pool,
                                const struct cfg_setting *s) {
  const char *base = s->defaults_only ? (const char *)cfg : (const char *)pool;
  return base + s->offset;
}

void *odbcpool__cfg_value_ptr(struct cfg *cfg, struct cfg_pool *pool,
                              const struct cfg_setting *s) {
  char *base = s->defaults_only ? (char *)cfg : (char *)pool;
  return base + s->offset;
}

bool odbcpool__cfg_is_text(const struct cfg_setting *s) {
  return s->type == CFG_STRING || s->type == CFG_PATH || s->type == CFG_LIST;
}
