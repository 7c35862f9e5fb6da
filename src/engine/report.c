#include "tlsscope/report.h"

#include <stdlib.h>
#include <string.h>

void report_init(struct tls_report *r, enum tls_mode mode)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->timing.resolve_ms = r->timing.connect_ms = -1;
	r->timing.handshake_ms = r->timing.total_ms = -1;
	r->client_auth.accepted = -1;
	r->policy = (struct tls_policy){.check_hostname = true,
					.min_rsa_bits = 2048,
					.check_purpose = true,
					.min_ec_bits = 224};
}

void cert_info_free(struct tls_cert_info *ci)
{
	if (!ci)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->serial_hex);
	free(ci->serial_dec);
	strlist_free(&ci->san);
	free(ci->key_curve);
	free(ci->signature_algorithm);
	strlist_free(&ci->key_usage);
	strlist_free(&ci->eku);
	strlist_free(&ci->status);
	strlist_free(&ci->name_constraints);
	strlist_free(&ci->unknown_critical);
	free(ci->der);
	memset(ci, 0, sizeof(*ci));
}

void report_revocation_certs_free(struct tls_revocation_facts *f)
{
	for (size_t i = 0; i < f->n_certs; i++) {
		free(f->certs[i].ocsp_url);
		free(f->certs[i].ocsp_error);
	}
	free(f->certs);
	f->certs = NULL;
	f->n_certs = 0;
}

void report_revocation_crls_free(struct tls_revocation_facts *f)
{
	for (size_t i = 0; i < f->n_crls; i++)
		free(f->crls[i].issuer);
	free(f->crls);
	f->crls = NULL;
	f->n_crls = 0;
}

static void revocation_facts_free(struct tls_revocation_facts *f)
{
	if (!f)
		return;
	report_revocation_certs_free(f);
	report_revocation_crls_free(f);
	free(f->staple);
	free(f->staple_error);
	memset(f, 0, sizeof(*f));
}

static void aia_facts_free(struct tls_aia_fetch *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_certs; i++) {
		cert_info_free(&a->certs[i].info);
		free(a->certs[i].url);
	}
	free(a->certs);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

void report_free(struct tls_report *r)
{
	if (!r)
		return;
	report_clear_findings(r); /* first: it touches the chain */
	free(r->target.host);
	free(r->target.address);
	free(r->target.sni);
	free(r->target.verify_name);
	free(r->handshake.error);
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		free(r->handshake.steps[i].detail);
	free(r->handshake.steps);
	free(r->negotiated.version);
	free(r->negotiated.cipher_suite);
	free(r->negotiated.group);
	free(r->negotiated.signature);
	free(r->negotiated.alpn);
	strlist_free(&r->offered_versions);
	free(r->listen.peer_address);
	free(r->keylog_path);
	if (r->resumption) {
		report_free(r->resumption);
		free(r->resumption);
	}
	free(r->listen.serial_matched);
	strlist_free(&r->listen.serial_rules);
	for (size_t i = 0; i < r->n_probes; i++) {
		free(r->probes[i].offered);
		free(r->probes[i].version);
		free(r->probes[i].cipher_suite);
		free(r->probes[i].sni);
		free(r->probes[i].served);
	}
	free(r->probes);
	for (size_t i = 0; i < r->n_chain; i++)
		cert_info_free(&r->chain[i]);
	free(r->chain);
	if (r->anchor) {
		cert_info_free(r->anchor);
		free(r->anchor);
	}
	strlist_free(&r->verification.reasons);
	free(r->verification.hostname.name);
	strlist_free(&r->client_auth.acceptable_cas);
	strlist_free(&r->client_auth.requested_sigalgs);
	strlist_free(&r->client_auth.requested_key_types);
	free(r->client_auth.loaded_subject);
	free(r->client_auth.loaded_issuer);
	for (size_t i = 0; i < r->client_auth.n_chain; i++)
		cert_info_free(&r->client_auth.chain[i]);
	free(r->client_auth.chain);
	if (r->client_auth.certificate) {
		cert_info_free(r->client_auth.certificate);
		free(r->client_auth.certificate);
	}
	free(r->http.request_path);
	free(r->http.status_line);
	strlist_free(&r->http.headers);
	free(r->http.error);
	free(r->http.body_head);
	free(r->starttls.answer);
	free(r->proxy.url);
	free(r->proxy.address);
	free(r->proxy.answer);
	free(r->application.answer);
	free(r->application.error);
	revocation_facts_free(&r->revocation);
	aia_facts_free(&r->aia);
	memset(r, 0, sizeof(*r));
}

void report_clear_findings(struct tls_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].title);
		free(r->findings[i].detail);
		free(r->findings[i].fix);
	}
	free(r->findings);
	r->findings = NULL;
	r->n_findings = 0;
	for (size_t i = 0; i < r->n_chain; i++)
		strlist_free(&r->chain[i].status);
	if (r->client_auth.certificate)
		strlist_free(&r->client_auth.certificate->status);
	for (size_t i = 0; i < r->client_auth.n_chain; i++)
		strlist_free(&r->client_auth.chain[i].status);
}

struct tls_step *report_add_step(struct tls_report *r, double t_ms, enum tls_dir dir,
				 enum tls_step_type type, const char *detail)
{
	struct tls_step *s;

	r->handshake.steps = xrealloc(r->handshake.steps,
				      (r->handshake.n_steps + 1) * sizeof(*r->handshake.steps));
	s = &r->handshake.steps[r->handshake.n_steps++];
	memset(s, 0, sizeof(*s));
	s->t_ms = t_ms;
	s->dir = dir;
	s->type = type;
	s->detail = detail ? xstrdup(detail) : NULL;
	return s;
}

struct tls_finding *report_add_finding(struct tls_report *r, enum finding_id id,
				       enum tls_severity sev, enum tls_subject subject,
				       int cert_index, const char *detail, const char *fix)
{
	const struct diag_entry *e = findings_entry(id);
	struct tls_finding *f;

	r->findings = xrealloc(r->findings, (r->n_findings + 1) * sizeof(*r->findings));
	f = &r->findings[r->n_findings++];
	f->id = e->id;
	f->severity = sev;
	f->subject = subject;
	f->cert_index = cert_index;
	f->title = xstrdup(e->title);
	f->detail = xstrdup(detail ? detail : "");
	f->fix = xstrdup(fix ? fix : "");
	return f;
}

bool report_has_finding(const struct tls_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].id, id) == 0)
			return true;
	return false;
}
