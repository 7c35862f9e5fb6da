/* The diagnosis's entry points: they run the parts (diagnose_parts.h) in the order that makes
 * the first error the likely cause, then sort the findings and give the verdict. */
#include "tlsscope/diagnose.h"

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose_parts.h"
#include "tlsscope/chain.h"
#include "tlsscope/verify.h"

const struct diag_entry *diagnose_lookup(const char *id)
{
	enum finding_id f;

	return findings_parse(id, &f) == 0 ? findings_entry(f) : NULL;
}

/* Errors first, then warnings, then notes; the order of detection within each. The verdict is
 * ok when the handshake completed, no fatal alert came, and no finding is an error. */
static void sort_and_judge(struct tls_report *r)
{
	for (size_t i = 1; i < r->n_findings; i++) {
		struct tls_finding f = r->findings[i];
		size_t j = i;
		for (; j > 0 && r->findings[j - 1].severity > f.severity; j--)
			r->findings[j] = r->findings[j - 1];
		r->findings[j] = f;
	}
	bool ok = r->handshake.status == HS_COMPLETE &&
		  !(r->handshake.alert_received.present &&
		    r->handshake.alert_received.level == GNUTLS_AL_FATAL);
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			ok = false;
	r->verdict_ok = ok;
}

void diagnose_connect(struct tls_report *r)
{
	report_clear_findings(r);
	if (!diag_reach(r) && !diag_starttls(r)) {
		diag_identity(r);
		bool claimed = diag_client_cert(r);
		bool sni = !claimed && diag_sni(r);
		diag_handshake(r, DIAG_CONNECT, claimed || sni);
		diag_version(r);
		diag_suites(r);
		diag_chain(r, SUBJ_SERVER_CHAIN);
		if (!sni)
			diag_hostname(r, SUBJ_SERVER_CHAIN);
		diag_unexplained(r, DIAG_CONNECT);
	}
	sort_and_judge(r);
}

int diagnose_recheck(struct tls_report *r, const struct tls_creds *trust)
{
	struct verify_request req;

	if (!r->n_chain)
		return -1;
	verify_request_init(&req, trust, r->target.verify_name,
			    r->mode == TLS_MODE_LISTEN ? GNUTLS_KP_TLS_WWW_CLIENT
						       : GNUTLS_KP_TLS_WWW_SERVER,
			    &r->policy);
	if (verify_recheck(&req, r) < 0)
		return -1;
	diagnose_connect(r);
	return 0;
}

void diagnose_own_chain(const struct tls_creds *c, enum tls_subject subj, struct tls_report *out)
{
	struct verify_request req;
	long long now = (long long)time(NULL);
	bool any = false;

	report_init(out, subj == SUBJ_SERVER_CHAIN ? TLS_MODE_LISTEN : TLS_MODE_CONNECT);
	if (!c || !c->n_id)
		return;
	out->chain = xcalloc(c->n_id, sizeof(*out->chain));
	out->n_chain = c->n_id;
	for (unsigned i = 0; i < c->n_id; i++)
		chain_describe(c->id_crts[i], i, &out->chain[i]);
	chain_link(c->id_crts, c->n_id, out->chain);
	/* No anchor: the peer's trust store is not known here, only what the chain says. */
	verify_request_init(&req, c, NULL, NULL, &out->policy);
	req.trust = req.ca_files = NULL;
	req.n_intermediates = 0;
	verify_path(&req, c->id_crts, c->n_id, out);
	for (size_t i = 0; i < out->n_chain; i++)
		diag_cert(out, subj, i, now, false, &any);
	sort_and_judge(out);
}

/* The listener's own chain, judged at start, in this connection's report: as warnings when
 * the handshake went through, with their own severity when it failed, and then the likely
 * cause of a client's alert (Python refusing an RSA-1024 listener: "EE certificate key too
 * weak") instead of trust advice. cert_index is null: r->chain is the client's chain. */
static void diagnose_own_findings(struct tls_report *r)
{
	const struct tls_report *own = r->own_chain;
	bool failed = r->handshake.status == HS_FAILED;
	const struct tls_finding *cause = NULL;
	const char *alert_id = findings_entry(FINDING_ALERT_RECEIVED)->id;

	if (!own)
		return;
	for (size_t i = 0; i < own->n_findings; i++) {
		const struct tls_finding *f = &own->findings[i];
		if (f->severity == SEV_ERROR && !cause)
			cause = f;
		diag_copy(r, f, failed ? f->severity : SEV_WARNING, SUBJ_SERVER_CHAIN, -1, f->fix);
	}
	if (!cause || !failed || !r->handshake.alert_received.present)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct tls_finding *f = &r->findings[i];
		if (strcmp(f->id, alert_id) != 0)
			continue;
		char *detail = xasprintf("%s The likely cause is this listener's own certificate "
					 "(%s): %s",
					 f->detail, cause->id, cause->detail);
		free(f->detail);
		f->detail = detail;
		free(f->fix);
		f->fix = xstrdup(cause->fix);
	}
}

void diagnose_listen(struct tls_report *r)
{
	report_clear_findings(r);
	bool claimed = diag_listen_client_cert(r);
	diag_handshake(r, DIAG_LISTEN, claimed);
	diag_version(r);
	diag_chain(r, SUBJ_CLIENT_CHAIN);
	diag_serial(r);
	diagnose_own_findings(r);
	diag_unexplained(r, DIAG_LISTEN);
	sort_and_judge(r);
}

void diagnose_inspect(struct tls_report *r, enum tls_subject subj)
{
	long long now = (long long)time(NULL);
	bool any = false;

	report_clear_findings(r);
	diag_trust(r, subj, &any);
	diag_anchor(r, subj, now, &any);
	for (size_t i = 0; i < r->n_chain; i++) {
		diag_cert(r, subj, i, now, true, &any);
		diag_cn_only(r, subj, i);
	}
	if (r->verification.hostname.checked)
		diag_hostname(r, subj);
	sort_and_judge(r);
	r->verdict_ok = true;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			r->verdict_ok = false;
}
