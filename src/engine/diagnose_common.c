/* What the diagnosis's parts share (diagnose_parts.h): adding findings from the catalog, and
 * small questions about the report's handshake steps and alerts. The parts call these; the
 * entry points in diagnose.c call the parts. */
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diagnose_parts.h"
#include "tlsscope/names.h"

/* Marks certificate cert_index of the chain the finding is about with the finding's id. */
static void mark_cert(struct tls_report *r, const char *id, enum tls_subject subj, int cert_index)
{
	/* In connect mode a client-chain finding is about the loaded chain, not peer_chain. */
	bool own = r->mode == TLS_MODE_CONNECT && subj == SUBJ_CLIENT_CHAIN && r->client_auth.chain;
	struct tls_cert_info *chain = own ? r->client_auth.chain : r->chain;
	size_t n = own ? r->client_auth.n_chain : r->n_chain;

	if (cert_index >= 0 && (size_t)cert_index < n &&
	    !strlist_contains(&chain[cert_index].status, id))
		strlist_add(&chain[cert_index].status, id);
}

static void vadd(struct tls_report *r, enum finding_id id, const enum tls_severity *sev,
		 enum tls_subject subj, int cert_index, const char *fix, const char *fmt,
		 va_list ap) __attribute__((format(printf, 7, 0)));
static void vadd(struct tls_report *r, enum finding_id id, const enum tls_severity *sev,
		 enum tls_subject subj, int cert_index, const char *fix, const char *fmt,
		 va_list ap)
{
	const struct diag_entry *e = findings_entry(id);
	char detail[1024];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	report_add_finding(r, id, sev ? *sev : e->severity, subj, cert_index, detail,
			   fix ? fix : e->fix);
	mark_cert(r, e->id, subj, cert_index);
}

void diag_add(struct tls_report *r, enum finding_id id, enum tls_subject subj, int cert_index,
	      const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, id, NULL, subj, cert_index, fix, fmt, ap);
	va_end(ap);
}

void diag_add_sev(struct tls_report *r, enum finding_id id, enum tls_severity sev,
		  enum tls_subject subj, int cert_index, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, id, &sev, subj, cert_index, fix, fmt, ap);
	va_end(ap);
}

void diag_copy(struct tls_report *r, const struct tls_finding *f, enum tls_severity sev,
	       enum tls_subject subj, int cert_index, const char *fix)
{
	enum finding_id id;

	/* Every finding's id comes from this catalog. */
	if (findings_parse(f->id, &id) == 0)
		report_add_finding(r, id, sev, subj, cert_index, f->detail, fix);
}

const char *diag_last_step(const struct tls_report *r, enum tls_dir *dir)
{
	for (size_t i = r->handshake.n_steps; i-- > 0;) {
		const struct tls_step *s = &r->handshake.steps[i];
		if (s->type == STEP_ALERT || s->probe)
			continue;
		*dir = s->dir;
		return names_step(s->type);
	}
	return NULL;
}

const char *diag_alert_name(int code)
{
	const char *n = names_alert(code);
	return n ? n : "unknown";
}

void diag_join(const struct strlist *l, char *buf, size_t len, const char *empty)
{
	buf[0] = 0;
	for (size_t i = 0; i < l->n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", l->v[i]);
	if (!l->n)
		snprintf(buf, len, "%s", empty);
}

bool diag_has_step(const struct tls_report *r, enum tls_dir dir, enum tls_step_type type)
{
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		if (r->handshake.steps[i].dir == dir && r->handshake.steps[i].type == type)
			return true;
	return false;
}

bool diag_alert_ended(const struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	return a->present && (a->level != GNUTLS_AL_WARNING || r->handshake.peer_closed);
}
