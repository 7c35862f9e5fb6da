/* Steps and outcomes of a STARTTLS exchange, for starttls.c and starttls_binary.c
 * (starttls_common.h). */
#include "starttls_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsscope/textsafe.h"
#include "tlsscope/util.h"
#include "trace.h"

#define DETAIL_MAX_BYTES 600

char *stls_escaped(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	bool cut = n > DETAIL_MAX_BYTES;
	char *e = textsafe_bytes((const unsigned char *)s, cut ? DETAIL_MAX_BYTES : n);
	if (!cut)
		return e;
	char *r = xasprintf("%s... (%zu bytes)", e, n);
	free(e);
	return r;
}

void stls_step(struct tls_trace *t, enum tls_dir dir, const char *s, size_t n)
{
	char *d = stls_escaped(s, n);
	trace_step(t, dir, STEP_STARTTLS, d);
	free(d);
}

void stls_set_answer(struct starttls *st, const char *s, size_t n)
{
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = stls_escaped(s, n);
}

int stls_fail(struct starttls *st, enum tls_starttls_outcome why, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->rep->starttls.outcome = why;
	st->stage = S_DONE;
	trace_set_error(st->rep, "%s STARTTLS: %s", st->p->label, msg);
	return -1;
}

bool stls_has_prefix_ci(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && strncasecmp(s, prefix, k) == 0;
}

bool stls_contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k && i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return true;
	return false;
}
