#include "tlsscope/verify.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "tlsscope/chain.h"
#include "tlsscope/revocation.h"
#include "tlsscope/target.h"

/* GnuTLS status bits as short reason ids, in the order a reader should see them. */
static const struct {
	unsigned bit;
	const char *reason;
} reasons[] = {
	{GNUTLS_CERT_SIGNER_NOT_FOUND, "issuer-not-found"},
	{GNUTLS_CERT_SIGNER_NOT_CA, "issuer-not-ca"},
	{GNUTLS_CERT_EXPIRED, "expired"},
	{GNUTLS_CERT_NOT_ACTIVATED, "not-yet-valid"},
	{GNUTLS_CERT_INSECURE_ALGORITHM, "insecure-algorithm"},
	{GNUTLS_CERT_SIGNATURE_FAILURE, "signature-failure"},
	{GNUTLS_CERT_REVOKED, "revoked"},
	{GNUTLS_CERT_UNEXPECTED_OWNER, "name-mismatch"},
	{GNUTLS_CERT_PURPOSE_MISMATCH, "purpose-mismatch"},
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "constraints-failure"},
	{GNUTLS_CERT_MISMATCH, "certificate-mismatch"},
	{GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "revocation-data-superseded"},
	{GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, "revocation-data-in-future"},
	{GNUTLS_CERT_INVALID_OCSP_STATUS, "invalid-ocsp-status"},
	{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown-critical-extension"},
	{GNUTLS_CERT_MISSING_OCSP_STATUS, "missing-ocsp-status"},
};

/* gnutls_verify_output_function has no user pointer: the chain being verified is passed
 * through this per-thread slot for the duration of one verify call. */
static _Thread_local struct {
	gnutls_x509_crt_t *crts;
	unsigned n;
	struct tls_cert_info *chain;
} current;

static int on_output(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, gnutls_x509_crl_t crl,
		     unsigned status)
{
	(void)issuer;
	(void)crl;
	for (unsigned i = 0; i < current.n && current.chain; i++)
		if (gnutls_x509_crt_equals(cert, current.crts[i]))
			current.chain[i].verify_status |= status;
	return 0;
}

/* crts[0..n) are verified; the first n_chain of them are described by chain[] (the rest are
 * the user's intermediates, which have no entry there). */
static unsigned run_flags(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crts, unsigned n,
			  unsigned n_chain, const char *name, const char *purpose, unsigned flags,
			  struct tls_cert_info *chain)
{
	gnutls_typed_vdata_st data[2];
	unsigned nd = 0, status = 0;
	unsigned char ip[16];

	if (name) {
		if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
			data[nd].type = GNUTLS_DT_IP_ADDRESS;
			data[nd].data = ip;
			data[nd].size = strchr(name, ':') ? 16 : 4;
		} else {
			data[nd].type = GNUTLS_DT_DNS_HOSTNAME;
			data[nd].data = (unsigned char *)(uintptr_t)name;
			data[nd].size = 0;
		}
		nd++;
	}
	if (purpose) {
		data[nd].type = GNUTLS_DT_KEY_PURPOSE_OID;
		data[nd].data = (unsigned char *)(uintptr_t)purpose;
		data[nd].size = 0;
		nd++;
	}
	current.crts = crts;
	current.n = n_chain;
	current.chain = chain;
	int rc = gnutls_x509_trust_list_verify_crt2(tl, crts, n, data, nd, flags, &status,
						    chain ? on_output : NULL);
	current.chain = NULL;
	if (rc < 0)
		status |= GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
	return status;
}

/* The sent chain followed by the user's intermediates that it does not already hold; GnuTLS
 * sorts the list and uses what links up. Caller frees the array (not the certificates). */
static gnutls_x509_crt_t *with_intermediates(const struct verify_request *req,
					     gnutls_x509_crt_t *crts, unsigned n, unsigned *total)
{
	gnutls_x509_crt_t *all = xcalloc(n + req->n_intermediates, sizeof(*all));
	unsigned k = n;

	memcpy(all, crts, n * sizeof(*crts));
	for (unsigned i = 0; i < req->n_intermediates; i++) {
		bool dup = false;
		for (unsigned j = 0; j < n && !dup; j++)
			dup = gnutls_x509_crt_equals(crts[j], req->intermediates[i]);
		if (!dup)
			all[k++] = req->intermediates[i];
	}
	*total = k;
	return all;
}

static unsigned run(const struct verify_request *req, gnutls_x509_trust_list_t tl,
		    gnutls_x509_crt_t *crts, unsigned n, const char *name,
		    struct tls_cert_info *chain)
{
	unsigned total;
	gnutls_x509_crt_t *all = with_intermediates(req, crts, n, &total);
	unsigned status = run_flags(tl, all, total, n, name, req->purpose, req->flags, chain);

	free(all);
	return status;
}

bool verify_issuer_in_intermediates(const struct verify_request *req, gnutls_x509_crt_t *crts,
				    unsigned n)
{
	for (unsigned i = 0; n && i < req->n_intermediates; i++)
		if (gnutls_x509_crt_check_issuer(crts[n - 1], req->intermediates[i]))
			return true;
	return false;
}

/* The --ca anchors alone verify the chain: then the system store need not be read. The CRLs
 * live in the full list only, so with CRLs the full list is always used. */
static bool ca_files_suffice(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n)
{
	return req->ca_files && !req->crls && run(req, req->ca_files, crts, n, NULL, NULL) == 0;
}

static void need_system(const struct verify_request *req)
{
	if (req->creds)
		creds_need_system_trust(req->creds);
}

unsigned verify_status(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n)
{
	if (n == 0)
		return GNUTLS_CERT_INVALID;
	if (ca_files_suffice(req, crts, n))
		return run(req, req->ca_files, crts, n, req->name, NULL);
	need_system(req);
	return run(req, req->trust, crts, n, req->name, NULL);
}

void verify_hostname(gnutls_x509_crt_t leaf, const char *name, struct tls_hostname_check *h)
{
	unsigned char ip[16];
	bool v4 = inet_pton(AF_INET, name, ip) == 1;
	bool v6 = !v4 && inet_pton(AF_INET6, name, ip) == 1;

	h->checked = true;
	h->name = xstrdup(name);
	if (v4 || v6) {
		/* An IP only matches an iPAddress SAN (RFC 6125 §1.7.2, and what GnuTLS does). */
		h->match = gnutls_x509_crt_check_ip(leaf, ip, v4 ? 4 : 16, 0) != 0;
		h->matched_by = h->match ? "ip" : NULL;
		return;
	}
	h->match = gnutls_x509_crt_check_hostname2(leaf, name, 0) != 0;
	if (!h->match) {
		h->matched_by = NULL;
		return;
	}
	/* GnuTLS falls back to the CN only when the certificate holds no DNS name SAN. */
	bool has_dns_san = false;
	for (unsigned i = 0;; i++) {
		char buf[1024];
		size_t size = sizeof(buf);
		int rc = gnutls_x509_crt_get_subject_alt_name(leaf, i, buf, &size, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (rc == GNUTLS_SAN_DNSNAME)
			has_dns_san = true;
	}
	h->matched_by = has_dns_san ? "san" : "cn";
}

void verify_run(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		struct tls_verification *out, struct tls_cert_info *chain)
{
	out->done = true;
	if (n == 0)
		return;
	for (unsigned i = 0; chain && i < n; i++)
		chain[i].verify_status = 0;
	/* The chain alone (trust, dates, algorithms, purpose), then with the name, so that the
	 * trust verdict and the hostname verdict stay separate. The --ca anchors are tried
	 * first: when they suffice, the system store is never read. */
	unsigned chain_status = GNUTLS_CERT_INVALID;
	bool by_ca_files = false;
	if (req->ca_files && !req->crls) {
		chain_status = run(req, req->ca_files, crts, n, NULL, chain);
		by_ca_files = chain_status == 0;
	}
	if (!by_ca_files) {
		for (unsigned i = 0; chain && i < n; i++)
			chain[i].verify_status = 0;
		need_system(req);
		chain_status = run(req, req->trust, crts, n, NULL, chain);
	}
	gnutls_x509_trust_list_t tl = by_ca_files ? req->ca_files : req->trust;
	out->trusted = chain_status == 0;
	out->gnutls_status = req->name ? run(req, tl, crts, n, req->name, NULL) : chain_status;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (out->gnutls_status & reasons[i].bit)
			strlist_add(&out->reasons, reasons[i].reason);
	if (out->trusted)
		out->trust_source = by_ca_files || !req->system_trust ? "ca-file" : "system";
	if (req->name)
		verify_hostname(crts[0], req->name, &out->hostname);
}

void verify_request_init(struct verify_request *req, const struct tls_creds *c, const char *name,
			 const char *purpose, const struct tls_policy *p)
{
	*req = (struct verify_request){
		.trust = c->trust,
		.ca_files = c->ca_files,
		.system_trust = c->system_trust,
		.creds = c,
		.crls = c->n_crls > 0,
		.name = p->check_hostname ? name : NULL,
		.purpose = purpose,
		.intermediates = c->intermediates,
		.n_intermediates = c->n_intermediates,
		.flags = p->allow_sha1 ? GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 : 0,
	};
}

/* The issuer of crt in the --ca anchors, else in the whole trust list: a copy the caller
 * deinits, or NULL. */
static gnutls_x509_crt_t anchor_of(const struct verify_request *req, gnutls_x509_crt_t crt)
{
	gnutls_x509_crt_t issuer = NULL;

	if (req->ca_files &&
	    gnutls_x509_trust_list_get_issuer(req->ca_files, crt, &issuer, GNUTLS_TL_GET_COPY) == 0)
		return issuer;
	if (!req->trust)
		return NULL;
	need_system(req);
	if (gnutls_x509_trust_list_get_issuer(req->trust, crt, &issuer, GNUTLS_TL_GET_COPY) == 0)
		return issuer;
	return NULL;
}

/* Marks on each issuer of path[0..n) (leaf first) the two constraints GnuTLS reports only as
 * "signer constraints failure": its pathLenConstraint (RFC 5280 §4.2.1.9: at most that many
 * intermediates below it) and its name constraints (§4.2.1.10) against the DNS names and IPs
 * of every certificate below it. info[k] describes path[k] or is NULL. */
static void mark_constraints(gnutls_x509_crt_t *path, struct tls_cert_info **info, unsigned n)
{
	for (unsigned k = 1; k < n; k++) {
		struct tls_cert_info *ci = info[k];
		if (!ci)
			continue;
		if (ci->is_ca && ci->path_len >= 0 && k - 1 > (unsigned)ci->path_len)
			ci->path_len_exceeded = true;
		gnutls_x509_name_constraints_t nc;
		if (gnutls_x509_name_constraints_init(&nc) < 0)
			continue;
		if (gnutls_x509_crt_get_name_constraints(path[k], nc, 0, NULL) == 0)
			for (unsigned j = 0; j < k && ci->nc_violated_by < 0; j++)
				if (info[j] && !info[j]->is_anchor &&
				    (!gnutls_x509_name_constraints_check_crt(nc, GNUTLS_SAN_DNSNAME,
									     path[j]) ||
				     !gnutls_x509_name_constraints_check_crt(
					     nc, GNUTLS_SAN_IPADDRESS, path[j])))
					ci->nc_violated_by = (int)info[j]->index;
		gnutls_x509_name_constraints_deinit(nc);
	}
}

void verify_path(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		 struct tls_report *r)
{
	unsigned top = 0;

	if (n == 0 || r->n_chain < n)
		return;
	while (top + 1 < n && r->chain[top + 1].issues_previous)
		top++;
	/* Through the --intermediates, then to the anchor that signed the last of them. */
	gnutls_x509_crt_t *path = xcalloc(top + 2 + req->n_intermediates, sizeof(*path));
	struct tls_cert_info **info = xcalloc(top + 2 + req->n_intermediates, sizeof(*info));
	unsigned len = 0;
	for (unsigned i = 0; i <= top; i++) {
		path[len] = crts[i];
		info[len++] = &r->chain[i];
	}
	for (bool more = !r->chain[top].self_signed; more;) {
		more = false;
		for (unsigned i = 0;
		     i < req->n_intermediates && len < top + 1 + req->n_intermediates; i++)
			if (gnutls_x509_crt_check_issuer(path[len - 1], req->intermediates[i]) &&
			    !gnutls_x509_crt_equals(path[len - 1], req->intermediates[i])) {
				path[len++] = req->intermediates[i];
				more = true;
				break;
			}
	}
	gnutls_x509_crt_t anchor = NULL;
	if (!r->chain[top].self_signed &&
	    !(len > top + 1 && gnutls_x509_crt_check_issuer(path[len - 1], path[len - 1])))
		anchor = anchor_of(req, path[len - 1]);
	if (r->anchor) {
		cert_info_free(r->anchor);
		free(r->anchor);
		r->anchor = NULL;
	}
	if (anchor) {
		r->anchor = xcalloc(1, sizeof(*r->anchor));
		chain_describe(anchor, (unsigned)r->n_chain, r->anchor);
		r->anchor->is_anchor = true;
	}
	if (anchor) {
		path[len] = anchor;
		info[len++] = r->anchor;
	}
	for (unsigned i = 0; i < len; i++)
		if (info[i]) {
			info[i]->path_len_exceeded = false;
			info[i]->nc_violated_by = -1;
		}
	mark_constraints(path, info, len);
	if (anchor)
		gnutls_x509_crt_deinit(anchor);
	free(path);
	free(info);
}

/* What req_extend allocated. */
struct req_extra {
	gnutls_x509_crt_t *fetched, *all;
	unsigned n;
};

/* --fetch-intermediates: req with r->aia's certificates added to its intermediates; *extra
 * (freed by req_extra_free) holds what was allocated. */
static void req_extend(struct verify_request *req, const struct tls_report *r, void **extra)
{
	struct req_extra *e;

	*extra = NULL;
	if (!r->aia.n_certs)
		return;
	e = xcalloc(1, sizeof(*e));
	e->n = chain_import_fetched(r, &e->fetched);
	e->all = xcalloc(req->n_intermediates + e->n + 1, sizeof(*e->all));
	for (unsigned i = 0; i < req->n_intermediates; i++)
		e->all[i] = req->intermediates[i];
	for (unsigned i = 0; i < e->n; i++)
		e->all[req->n_intermediates + i] = e->fetched[i];
	req->intermediates = e->all;
	req->n_intermediates += e->n;
	*extra = e;
}

static void req_extra_free(void *extra)
{
	struct req_extra *e = extra;

	if (!e)
		return;
	if (e->fetched)
		chain_free(e->fetched, e->n);
	free(e->all);
	free(e);
}

void verify_report(const struct verify_request *given, gnutls_x509_crt_t *crts, unsigned n,
		   struct tls_report *r)
{
	/* --fetch-intermediates: what AIA gave counts as intermediates, for every re-check. */
	struct verify_request ext = *given;
	const struct verify_request *req = &ext;
	void *extra;

	req_extend(&ext, r, &extra);
	if (!r->n_chain) {
		r->chain = xcalloc(n, sizeof(*r->chain));
		r->n_chain = n;
		for (unsigned i = 0; i < n; i++)
			chain_describe(crts[i], i, &r->chain[i]);
	}
	chain_link(crts, n, r->chain);
	r->intermediate_found =
		!r->chain[n - 1].self_signed && verify_issuer_in_intermediates(given, crts, n);
	verify_run(req, crts, n, &r->verification, r->chain);
	verify_path(req, crts, n, r);
	revocation_check(req->creds, req->trust, crts, n, r);
	req_extra_free(extra);
}

int verify_recheck(const struct verify_request *req, struct tls_report *r)
{
	gnutls_datum_t *der;
	gnutls_x509_crt_t *crts;

	if (!r->n_chain)
		return -1;
	der = xcalloc(r->n_chain, sizeof(*der));
	for (size_t i = 0; i < r->n_chain; i++)
		der[i] = (gnutls_datum_t){r->chain[i].der, (unsigned)r->chain[i].der_len};
	int rc = chain_import(der, (unsigned)r->n_chain, &crts);
	free(der);
	if (rc < 0)
		return -1;
	strlist_free(&r->verification.reasons);
	free(r->verification.hostname.name);
	memset(&r->verification, 0, sizeof(r->verification));
	verify_report(req, crts, (unsigned)r->n_chain, r);
	chain_free(crts, (unsigned)r->n_chain);
	return 0;
}
