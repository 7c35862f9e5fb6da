/* The chain: where it leads (trust), each certificate by a table of checks, the anchor above
 * it, the order it came in, and revocation. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose_parts.h"

static char *format_span(long long seconds)
{
	long long days = (seconds < 0 ? -seconds : seconds) / 86400;

	if (days >= 1)
		return xasprintf("%lld day%s", days, days == 1 ? "" : "s");
	long long hours = (seconds < 0 ? -seconds : seconds) / 3600;
	return xasprintf("%lld hour%s", hours, hours == 1 ? "" : "s");
}

/* The topmost certificate reachable from the leaf through the sent chain. */
static size_t chain_top(const struct tls_report *r)
{
	size_t top = 0;

	while (top + 1 < r->n_chain && r->chain[top + 1].issues_previous)
		top++;
	return top;
}

/* ---- trust ---- */

/* --fetch-intermediates completed the chain: still an error (most clients do not fetch),
 * but now the missing certificate and the file to configure can be named. */
static void diagnose_fetched(struct tls_report *r, enum tls_subject subj, size_t top)
{
	const struct tls_cert_info *t = &r->chain[top];
	const struct tls_fetched_cert *fc = &r->aia.certs[0];
	const char *host = r->target.host ? r->target.host : "HOST";
	bool v6 = strchr(host, ':') != NULL;
	char fix[1024];

	snprintf(fix, sizeof(fix),
		 "Configure the server with the full chain, leaf first, then the intermediates: "
		 "tlsscope connect %s%s%s:%u --fetch-intermediates --save-chain fullchain.pem "
		 "writes it, with the fetched %s (sha256 %s); then nginx: ssl_certificate "
		 "fullchain.pem; Apache: SSLCertificateFile fullchain.pem.",
		 v6 ? "[" : "", host, v6 ? "]" : "", r->target.port, fc->info.subject,
		 fc->info.sha256);
	diag_add(r, FINDING_MISSING_INTERMEDIATE, subj, (int)top, fix,
		 "The server sent %zu certificate%s; the last one (%s) is issued by \"%s\", which "
		 "it did not send. It was fetched from %s (AIA caIssuers, %s): %s, sha256 %s%s. "
		 "Most clients (curl, Python, Java, Go, OpenSSL) do not fetch it and refuse the "
		 "chain; Chrome fetches it%s.",
		 top + 1, top ? "s" : "", t->subject, t->issuer, fc->url, fc->format,
		 fc->info.subject, fc->info.sha256,
		 r->aia.n_certs > 1 ? ", and the certificate above it" : "",
		 r->verification.trusted ? "" : " (and even with it the chain is not trusted)");
}

/* The verification found no trusted issuer above the top of the sent chain: why, in words. */
static void diagnose_no_issuer(struct tls_report *r, enum tls_subject subj, size_t top)
{
	const struct tls_cert_info *t = &r->chain[top];
	const char *side = subj == SUBJ_SERVER_CHAIN ? "server" : "client";

	if (top == 0 && t->self_signed)
		diag_add(r, FINDING_SELF_SIGNED, subj, 0, NULL,
			 "The %s's certificate (%s) signs itself, and it is not among the trusted "
			 "certificates.",
			 side, t->subject);
	else if (t->self_signed)
		diag_add(r, FINDING_UNTRUSTED_ISSUER, subj, (int)top, NULL,
			 "The chain ends in the root \"%s\", which is not trusted here.",
			 t->subject);
	else if (t->has_aia_ca_issuers || r->intermediate_found)
		diag_add(r, FINDING_MISSING_INTERMEDIATE, subj, (int)top, NULL,
			 "The %s sent %zu certificate%s; the last one (%s) is issued by \"%s\", "
			 "which it did not send%s%s.",
			 side, top + 1, top ? "s" : "", t->subject, t->issuer,
			 r->intermediate_found ? " and which is among the --intermediates you gave"
			 : r->aia.error
				 ? "; fetching it from its Authority Information Access failed: "
				 : " (its Authority Information Access names where to fetch it)",
			 r->intermediate_found || !r->aia.error ? "" : r->aia.error);
	else
		diag_add(
			r, FINDING_UNTRUSTED_ISSUER, subj, (int)top, NULL,
			"No trusted certificate issued \"%s\" (the issuer of certificate %zu, %s).",
			t->issuer, top, t->subject);
}

void diag_trust(struct tls_report *r, enum tls_subject subj, bool *any)
{
	const struct tls_verification *v = &r->verification;
	const char *side = subj == SUBJ_SERVER_CHAIN ? "server" : "client";

	if (!r->n_chain)
		return;
	size_t top = chain_top(r);
	const struct tls_cert_info *t = &r->chain[top];
	bool no_signer =
		v->done && !v->trusted && (v->gnutls_status & GNUTLS_CERT_SIGNER_NOT_FOUND);

	if (subj == SUBJ_CLIENT_CHAIN) {
		if (no_signer) {
			diag_add(r, FINDING_CLIENT_CERT_UNTRUSTED, subj, (int)top, NULL,
				 "The client's certificate (%s) is issued by \"%s\", which is not "
				 "among the --client-ca anchors%s.",
				 r->chain[0].subject, t->self_signed ? t->subject : t->issuer,
				 t->self_signed && top == 0 ? " (it signs itself)" : "");
			*any = true;
		}
		return;
	}
	if (v->done && r->aia.n_certs && !t->self_signed) {
		diagnose_fetched(r, subj, top);
		*any = true;
	} else if (v->done && r->intermediate_found && !t->self_signed) {
		/* Trusted or not, a client without the --intermediates would fail. */
		diag_add(r, FINDING_MISSING_INTERMEDIATE, subj, (int)top, NULL,
			 "The %s sent %zu certificate%s; the last one (%s) is issued by \"%s\", "
			 "which it did not send: only the --intermediates you gave complete the "
			 "chain%s.",
			 side, top + 1, top ? "s" : "", t->subject, t->issuer,
			 v->trusted ? "" : " (and even then it is not trusted)");
		*any = true;
	} else if (no_signer) {
		diagnose_no_issuer(r, subj, top);
		*any = true;
	}
}

/* ---- each certificate: a table of checks ---- */

bool diag_has_purpose(const struct tls_cert_info *ci, bool server)
{
	return !ci->has_eku || strlist_contains(&ci->eku, server ? "serverAuth" : "clientAuth") ||
	       strlist_contains(&ci->eku, "anyExtendedKeyUsage");
}

/* What a check looks at: certificate i of r->chain, or the trust anchor above it (r->anchor,
 * which the peer did not send and which has no place in the chain: its findings have no
 * cert_index). */
struct cert_check {
	struct tls_report *r;
	enum tls_subject subj;
	const struct tls_cert_info *ci;
	size_t i;
	int idx; /* the finding's cert_index */
	long long now;
	bool files;    /* certificates from files (inspect), not from a peer */
	bool anchor;   /* ci is r->anchor */
	bool *any;     /* set when an error is found */
	char who[512]; /* "Certificate 1 (CN=x)", or the anchor's subject and fingerprint */
};

static void check_dates(struct cert_check *k)
{
	const struct tls_cert_info *ci = k->ci;
	char when[32];

	if (ci->not_after < k->now) {
		char *ago = format_span(k->now - ci->not_after);
		util_iso_time(ci->not_after, when, sizeof(when));
		/* In files, a self-signed CA is a trust anchor: one that signs nothing given
		 * with it (a bundle of roots) is a warning, it breaks no chain here. */
		bool root = k->files && ci->self_signed && (ci->is_ca || ci->version == 1);
		bool alone = root && (k->i == 0 || !ci->issues_previous);
		if (ci->is_anchor || root)
			diag_add_sev(
				k->r, FINDING_ANCHOR_EXPIRED, alone ? SEV_WARNING : SEV_ERROR,
				k->subj, k->idx,
				alone ? "Remove it from the bundle, or replace it with its "
					"current version: a chain that ends in it fails."
				      : NULL,
				"%s expired on %s, %s ago. OpenSSL (s_client, Python's ssl, "
				"curl) and GnuTLS refuse a chain that ends in it: \"certificate "
				"has expired\".",
				k->who, when, ago);
		else
			diag_add(k->r, FINDING_EXPIRED, k->subj, k->idx, NULL,
				 "%s expired on %s, %s ago.", k->who, when, ago);
		free(ago);
		*k->any = true;
	} else if (ci->not_before > k->now) {
		char *in = format_span(ci->not_before - k->now);
		util_iso_time(ci->not_before, when, sizeof(when));
		diag_add(k->r, FINDING_NOT_YET_VALID, k->subj, k->idx, NULL,
			 "%s is valid only from %s, in %s.", k->who, when, in);
		free(in);
		*k->any = true;
	} else if (ci->not_after - k->now < 30 * 86400) {
		char *in = format_span(ci->not_after - k->now);
		util_iso_time(ci->not_after, when, sizeof(when));
		diag_add(k->r, FINDING_EXPIRES_SOON, k->subj, k->idx, NULL,
			 "%s expires on %s, in %s.", k->who, when, in);
		free(in);
	}
}

static void check_signature(struct cert_check *k)
{
	const struct tls_cert_info *ci = k->ci;
	bool sha1 = ci->sign_algo > 0 &&
		    gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)ci->sign_algo) ==
			    GNUTLS_DIG_SHA1;

	if (ci->sign_secure || ci->self_signed || (sha1 && k->r->policy.allow_sha1))
		return;
	diag_add(k->r, FINDING_INSECURE_SIGNATURE, k->subj, k->idx, NULL,
		 "%s is signed with %s. GnuTLS refuses it by default, and OpenSSL-based clients "
		 "(Python's ssl, curl, nginx, at Debian's security level 2) refuse it too.",
		 k->who, ci->signature_algorithm);
	*k->any = true;
}

static void check_key(struct cert_check *k)
{
	const struct tls_cert_info *ci = k->ci;
	const struct tls_policy *pol = &k->r->policy;
	bool rsa_like = strcmp(ci->key_algorithm, "RSA") == 0 ||
			strcmp(ci->key_algorithm, "RSA-PSS") == 0 ||
			strcmp(ci->key_algorithm, "DSA") == 0;
	bool ec = strcmp(ci->key_algorithm, "ECDSA") == 0;

	if (!(rsa_like && ci->key_bits < pol->min_rsa_bits) &&
	    !(ec && ci->key_bits < pol->min_ec_bits))
		return;
	diag_add(k->r, FINDING_WEAK_KEY, k->subj, k->idx, NULL,
		 "%s has a %u-bit %s key. GnuTLS may accept it, but OpenSSL-based peers at "
		 "security level 2 (Python's ssl, curl, nginx on current distributions) refuse "
		 "keys under %u bits RSA or %u bits EC (\"%s key too weak\").",
		 k->who, ci->key_bits, ci->key_algorithm, pol->min_rsa_bits, pol->min_ec_bits,
		 ci->index == 0 && !ci->is_anchor ? "EE certificate" : "CA certificate");
	*k->any = true;
}

static void check_critical(struct cert_check *k)
{
	const struct tls_cert_info *ci = k->ci;
	char oids[256];

	if (!ci->unknown_critical.n)
		return;
	diag_join(&ci->unknown_critical, oids, sizeof(oids), "");
	diag_add(k->r, FINDING_UNKNOWN_CRITICAL_EXTENSION, k->subj, k->idx, NULL,
		 "%s carries the critical extension%s %s, which no TLS client knows: OpenSSL "
		 "says \"unhandled critical extension\", GnuTLS refuses it too.",
		 k->who, ci->unknown_critical.n == 1 ? "" : "s", oids);
	*k->any = true;
}

static void check_v1(struct cert_check *k)
{
	if (k->ci->version == 1)
		diag_add(k->r, FINDING_V1_CERTIFICATE, k->subj, (int)k->i, NULL,
			 "Certificate %zu (%s) is X.509 version 1: it cannot carry subjectAltName, "
			 "key usage or CA flags.",
			 k->i, k->ci->subject);
}

/* Whether the keyUsage extension forbids signing certificates (RFC 5280 §4.2.1.3). */
static bool lacks_key_cert_sign(const struct tls_cert_info *ci)
{
	return ci->has_key_usage && !strlist_contains(&ci->key_usage, "keyCertSign");
}

/* An issuer that may not issue: not a CA, or a keyUsage without keyCertSign. */
static void check_issuer_ca(struct cert_check *k, size_t below)
{
	const struct tls_cert_info *ci = k->ci;
	char ku[256];

	if (!ci->is_ca && !(ci->version == 1 && ci->self_signed)) {
		diag_add(k->r, FINDING_NOT_A_CA, k->subj, k->idx, NULL,
			 "%s issued certificate %zu but is not marked CA:TRUE%s.", k->who, below,
			 ci->version == 1 ? " (a version 1 certificate cannot be)" : "");
		*k->any = true;
	} else if (lacks_key_cert_sign(ci)) {
		diag_join(&ci->key_usage, ku, sizeof(ku), "none");
		diag_add(k->r, FINDING_NOT_A_CA, k->subj, k->idx,
			 "Reissue the issuing certificate with keyUsage = critical, keyCertSign, "
			 "cRLSign (certtool: cert_signing_key in the template).",
			 "%s issued certificate %zu, but its keyUsage (%s) lacks keyCertSign: "
			 "OpenSSL (s_client, Python's ssl, curl) says \"invalid CA certificate\" "
			 "(then, when it goes on, \"key usage does not include certificate "
			 "signing\"), GnuTLS \"signer constraints failure\".",
			 k->who, below, ku);
		*k->any = true;
	}
}

/* The constraints an issuer puts on what is below it: CA flag, keyCertSign, pathLen, names.
 * below: the certificate it issued (for the anchor, the top of the sent chain). */
static void check_issuer(struct cert_check *k, size_t below)
{
	const struct tls_cert_info *ci = k->ci;
	struct tls_report *r = k->r;

	check_issuer_ca(k, below);
	if (ci->path_len_exceeded) {
		diag_add(r, FINDING_PATH_LENGTH_EXCEEDED, k->subj, k->idx, NULL,
			 "%s allows %d intermediate CA%s below it (pathLenConstraint), but the "
			 "chain has %zu: OpenSSL says \"path length constraint exceeded\".",
			 k->who, ci->path_len, ci->path_len == 1 ? "" : "s",
			 ci->is_anchor ? below : k->i - 1);
		*k->any = true;
	}
	if (ci->nc_violated_by >= 0) {
		char names[512], allowed[512];
		size_t v = (size_t)ci->nc_violated_by;
		const struct tls_cert_info *bad = v < r->n_chain ? &r->chain[v] : NULL;
		diag_join(&ci->name_constraints, allowed, sizeof(allowed), "?");
		if (bad)
			diag_join(&bad->san, names, sizeof(names), "no subjectAltName");
		bool permits = strstr(allowed, "permitted ") != NULL;
		bool excludes = strstr(allowed, "excluded ") != NULL;
		diag_add(r, FINDING_NAME_CONSTRAINT_VIOLATED, k->subj, k->idx, NULL,
			 "%s limits the names below it (%s), but certificate %zu holds %s: "
			 "OpenSSL says \"%s\".",
			 k->who, allowed, v, bad ? names : "a name outside them",
			 permits && excludes
				 ? "permitted subtree violation\" or \"excluded subtree violation"
			 : permits ? "permitted subtree violation"
				   : "excluded subtree violation");
		*k->any = true;
	}
}

/* The issuer checks for a sent certificate that issued the one below it, and for the anchor
 * over the top of the sent chain. */
static void check_issuer_of(struct cert_check *k)
{
	if (k->anchor)
		check_issuer(k, chain_top(k->r));
	else if (k->i > 0 && k->ci->issues_previous)
		check_issuer(k, k->i - 1);
}

/* The last sent certificate's issuer, found in the trust store, is no CA. */
static void check_trusted_issuer(struct cert_check *k)
{
	const struct tls_report *r = k->r;
	size_t i = k->i;

	if (!(k->ci->verify_status & GNUTLS_CERT_SIGNER_NOT_CA) ||
	    (i + 1 < r->n_chain && r->chain[i + 1].issues_previous) || r->anchor)
		return;
	diag_add(k->r, FINDING_NOT_A_CA, k->subj, (int)i, NULL,
		 "The trusted certificate that issued certificate %zu (\"%s\") is not marked "
		 "CA:TRUE.",
		 i, k->ci->issuer);
	*k->any = true;
}

static void check_purpose(struct cert_check *k)
{
	const struct tls_cert_info *ci = k->ci;
	bool server = k->subj == SUBJ_SERVER_CHAIN;
	char eku[256];

	if (!k->r->policy.check_purpose || diag_has_purpose(ci, server))
		return;
	diag_join(&ci->eku, eku, sizeof(eku), "none");
	if (k->anchor)
		/* OpenSSL checks the anchor's extendedKeyUsage against the role too (s_client,
		 * Python's ssl and curl refuse a root that allows clientAuth only); GnuTLS
		 * does not. */
		diag_add(
			k->r, FINDING_WRONG_PURPOSE, k->subj, -1,
			"Reissue the root without extendedKeyUsage (a CA needs none), or with the "
			"purposes of every certificate below it.",
			"%s allows %s only, not TLS %s use: OpenSSL-based peers (s_client, "
			"Python's ssl, curl) refuse every chain below it (\"unsuitable certificate "
			"purpose\"); GnuTLS accepts it.",
			k->who, eku, server ? "server" : "client");
	else if (k->i == 0 || !ci->self_signed)
		diag_add(k->r, FINDING_WRONG_PURPOSE, k->subj, (int)k->i,
			 server ? "Reissue it with extendedKeyUsage = serverAuth (certtool: "
				  "tls_www_server)."
				: "Reissue it with extendedKeyUsage = clientAuth (certtool: "
				  "tls_www_client).",
			 "Certificate %zu (%s) allows %s, not TLS %s use.", k->i, ci->subject, eku,
			 server ? "server" : "client");
	else
		return;
	*k->any = true;
}

static void check_revoked(struct cert_check *k)
{
	if (!(k->ci->verify_status & GNUTLS_CERT_REVOKED))
		return;
	diag_add(k->r, FINDING_REVOKED, k->subj, (int)k->i, NULL,
		 "Certificate %zu (%s, serial %s) is listed as revoked.", k->i, k->ci->subject,
		 k->ci->serial_hex);
	*k->any = true;
}

/* In this order, for each sent certificate; the anchor only gets the rows marked so (OpenSSL
 * checks an anchor's dates and, at security level 2, its key; not its own signature). */
static const struct {
	void (*run)(struct cert_check *k);
	bool anchor;
} cert_checks[] = {
	{check_dates, true},	       {check_signature, true}, {check_key, true},
	{check_critical, true},	       {check_v1, false},	{check_issuer_of, true},
	{check_trusted_issuer, false}, {check_purpose, true},	{check_revoked, false},
};

static void run_checks(struct cert_check *k)
{
	for (size_t n = 0; n < sizeof(cert_checks) / sizeof(cert_checks[0]); n++)
		if (!k->anchor || cert_checks[n].anchor)
			cert_checks[n].run(k);
}

static void check_init(struct cert_check *k, struct tls_report *r, enum tls_subject subj,
		       const struct tls_cert_info *ci, size_t i, long long now, bool files,
		       bool *any)
{
	/* How a finding names a certificate: "Certificate 1 (CN=x)", or for a trust anchor the
	 * peer did not send, its subject and SHA-256 fingerprint. */
	*k = (struct cert_check){.r = r,
				 .subj = subj,
				 .ci = ci,
				 .i = i,
				 .idx = ci->is_anchor ? -1 : (int)i,
				 .now = now,
				 .files = files,
				 .any = any};
	if (ci->is_anchor)
		snprintf(k->who, sizeof(k->who),
			 "The trust anchor %s (sha256 %s), which the peer did not send,",
			 ci->subject, ci->sha256);
	else
		snprintf(k->who, sizeof(k->who), "Certificate %zu (%s)", i, ci->subject);
}

void diag_cert(struct tls_report *r, enum tls_subject subj, size_t i, long long now, bool files,
	       bool *any)
{
	struct cert_check k;

	check_init(&k, r, subj, &r->chain[i], i, now, files, any);
	run_checks(&k);
}

/* The trust anchor above the sent chain: its dates, key, critical extensions, the constraints
 * it puts on the chain below it, and its purpose. */
void diag_anchor(struct tls_report *r, enum tls_subject subj, long long now, bool *any)
{
	struct cert_check k;

	if (!r->anchor || !r->n_chain)
		return;
	check_init(&k, r, subj, r->anchor, 0, now, false, any);
	k.anchor = true;
	run_checks(&k);
}

/* ---- revocation (facts from revocation.c) ---- */

static const char *rev_when(long long t, char buf[32])
{
	if (t < 0)
		return "(not given)";
	util_iso_time(t, buf, 32);
	return buf;
}

static void diagnose_crls(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_revocation_facts *f = &r->revocation;
	char when[32];

	for (size_t k = 0; k < f->n_crls; k++) {
		const struct tls_crl_fact *cf = &f->crls[k];
		int first = -1;
		for (size_t i = 0; first < 0 && i < f->n_certs && i < r->n_chain; i++)
			if (f->certs[i].crl == REV_EXPIRED)
				first = (int)i;
		if (cf->expired)
			diag_add(r, FINDING_CRL_EXPIRED, subj, cf->for_chain ? first : -1, NULL,
				 "The CRL issued by \"%s\" was valid until %s (its nextUpdate). An "
				 "OpenSSL-based peer that checks it (nginx ssl_crl, HAProxy "
				 "crl-file) then refuses every certificate that CA issued (\"CRL "
				 "has expired\"), %s.",
				 cf->issuer, rev_when(cf->next_update, when),
				 subj == SUBJ_CLIENT_CHAIN ? "so every client is turned away"
							   : "the good ones too");
		if (!cf->for_chain)
			diag_add(r, FINDING_CRL_NOT_FOR_CHAIN, subj, -1, NULL,
				 "The CRL issued by \"%s\" covers none of the %zu certificates of "
				 "this chain: none of them is issued by that CA.",
				 cf->issuer, r->n_chain);
	}
}

/* What a loaded CRL, the stapled OCSP response and the OCSP responder say of certificate i. */
static void diagnose_cert_revocation(struct tls_report *r, enum tls_subject subj, size_t i)
{
	const struct tls_revocation_facts *f = &r->revocation;
	const struct tls_cert_revocation *cr = &f->certs[i];
	const struct tls_cert_info *ci = &r->chain[i];
	char when[32];

	/* GnuTLS's own verdict (check_revoked) already says so when it saw the CRL. */
	if (cr->crl == REV_REVOKED && !(ci->verify_status & GNUTLS_CERT_REVOKED))
		diag_add(r, FINDING_REVOKED, subj, (int)i, NULL,
			 "Certificate %zu (%s, serial %s) is listed in a loaded CRL.", i,
			 ci->subject, ci->serial_hex);
	if (cr->ocsp_stapled == REV_REVOKED)
		diag_add(r, FINDING_REVOKED, subj, (int)i, NULL,
			 "Certificate %zu (%s, serial %s) is revoked by the stapled OCSP response "
			 "(revoked on %s).",
			 i, ci->subject, ci->serial_hex, rev_when(f->staple_revoked_at, when));
	if (cr->ocsp_stapled == REV_INVALID)
		diag_add(r, FINDING_OCSP_STAPLE_INVALID, subj, (int)i, NULL,
			 "The server stapled an OCSP response, but %s. Clients that check staples "
			 "(gnutls-cli, Firefox) refuse the connection.",
			 f->staple_error ? f->staple_error : "it cannot be used");
	if (cr->ocsp_queried == REV_REVOKED)
		diag_add(r, FINDING_REVOKED, subj, (int)i, NULL,
			 "Certificate %zu (%s, serial %s) is revoked, says its OCSP responder %s.",
			 i, ci->subject, ci->serial_hex, cr->ocsp_url);
	else if (cr->ocsp_queried == REV_UNKNOWN)
		diag_add(r, FINDING_OCSP_UNKNOWN, subj, (int)i, NULL,
			 "The OCSP responder %s answered \"unknown\" for certificate %zu (%s, "
			 "serial %s).",
			 cr->ocsp_url, i, ci->subject, ci->serial_hex);
	else if (cr->ocsp_queried == REV_UNREACHABLE)
		diag_add(r, FINDING_OCSP_UNREACHABLE, subj, (int)i, NULL,
			 "The OCSP responder %s of certificate %zu (%s) gave no usable answer: %s.",
			 cr->ocsp_url ? cr->ocsp_url : "(none)", i, ci->subject,
			 cr->ocsp_error ? cr->ocsp_error : "no answer");
}

static void diagnose_revocation(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_revocation_facts *f = &r->revocation;
	size_t last = r->n_chain - 1;

	diagnose_crls(r, subj);
	for (size_t i = 0; i < f->n_certs && i < r->n_chain; i++)
		diagnose_cert_revocation(r, subj, i);
	if (f->must_staple && !f->staple && r->handshake.status == HS_COMPLETE)
		diag_add(r, FINDING_OCSP_MUST_STAPLE_MISSING, subj, 0, NULL,
			 "The certificate (%s) carries the TLS feature status_request (RFC 7633, "
			 "\"must-staple\"), but the server stapled no OCSP response.",
			 r->chain[0].subject);
	if (subj == SUBJ_SERVER_CHAIN && r->n_chain > 1 && r->chain[last].self_signed &&
	    r->chain[last].issues_previous)
		diag_add(r, FINDING_CHAIN_HAS_ROOT, subj, (int)last, NULL,
			 "The server sends %zu certificates; the last one (%s) is the self-signed "
			 "root, which clients must already hold.",
			 r->n_chain, r->chain[last].subject);
}

/* ---- the whole chain ---- */

void diag_chain(struct tls_report *r, enum tls_subject subj)
{
	long long now = (long long)time(NULL);
	bool any = false;
	size_t before = r->n_findings;

	if (!r->n_chain)
		return;
	diag_trust(r, subj, &any);
	for (size_t i = 0; i < r->n_chain; i++)
		diag_cert(r, subj, i, now, false, &any);
	diag_anchor(r, subj, now, &any);
	for (size_t i = 1; i < r->n_chain; i++) {
		if (!r->chain[i].issues_previous) {
			diag_add(
				r, FINDING_CHAIN_ORDER, subj, (int)i, NULL,
				"Certificate %zu (%s) does not issue certificate %zu: the chain is "
				"out of order or carries a certificate that does not belong.",
				i, r->chain[i].subject, i - 1);
			break;
		}
	}
	diagnose_revocation(r, subj);
	const struct tls_verification *v = &r->verification;
	bool error_added = false;
	for (size_t i = before; i < r->n_findings; i++)
		error_added |= r->findings[i].severity == SEV_ERROR;
	if (v->done && !v->trusted && !error_added) {
		/* Untrusted for a reason with no id of its own: still say so. */
		char reasons[256];
		diag_join(&v->reasons, reasons, sizeof(reasons), "unknown");
		diag_add(r, FINDING_UNTRUSTED_ISSUER, subj, 0, NULL, "Verification failed: %s.",
			 reasons);
	}
}
