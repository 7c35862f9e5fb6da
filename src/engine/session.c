#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"
#include "tlsscope/names.h"

static struct session_config *config_of(gnutls_session_t s)
{
	const struct tls_trace *t = gnutls_session_get_ptr(s);
	return t->session;
}

/* One step per handshake message: received ones when they arrive (before GnuTLS processes
 * them, so a message that fails processing is still listed), sent ones once built. The role's
 * on_message sees each first. */
static int on_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
		   const gnutls_datum_t *msg)
{
	struct tls_trace *t = gnutls_session_get_ptr(s);
	const struct session_config *cfg = t->session;

	if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
		return 0;
	enum tls_step_type type = names_step_from_gnutls(htype);
	bool taken = trace_hook_takes(when, incoming);
	int rc = cfg->on_message ? cfg->on_message(t->owner, type, taken, incoming, msg) : 1;
	if (rc < 0)
		return rc;
	if (rc == 1 && taken)
		trace_message(t, incoming, type, msg);
	return 0;
}

/* Whether one of our identity's issuers is among the names the server lists (none listed:
 * any is). The names go into the report as they are read. */
static bool issuer_acceptable(struct tls_client_auth *ca, const struct tls_creds *cr,
			      const struct gnutls_cert_retr_st *info)
{
	bool acceptable = info->nreqs == 0;

	for (unsigned i = 0; i < info->nreqs; i++) {
		gnutls_datum_t str = {0};
		if (gnutls_x509_rdn_get2(&info->req_ca_rdn[i], &str, 0) == 0) {
			strlist_take(&ca->acceptable_cas, xmemdup0(str.data, str.size));
			gnutls_free(str.data);
		}
		for (unsigned k = 0; k < cr->n_id && !acceptable; k++) {
			gnutls_datum_t dn = {0};
			if (gnutls_x509_crt_get_raw_issuer_dn(cr->id_crts[k], &dn) == 0) {
				acceptable =
					dn.size == info->req_ca_rdn[i].size &&
					memcmp(dn.data, info->req_ca_rdn[i].data, dn.size) == 0;
				gnutls_free(dn.data);
			}
		}
	}
	return acceptable;
}

/* What the server's CertificateRequest asked for: its signature algorithms
 * (gnutls_sign_algorithm_get_requested) and key types (info->pk_algos). Returns whether
 * the loaded key can sign with one of those algorithms (true when none are listed). */
static bool record_request(struct tls_client_auth *ca, gnutls_session_t s,
			   const struct gnutls_cert_retr_st *info, const struct tls_creds *cr)
{
	gnutls_pk_algorithm_t pk =
		cr->key ? (gnutls_pk_algorithm_t)gnutls_privkey_get_pk_algorithm(cr->key, NULL)
			: GNUTLS_PK_UNKNOWN;
	gnutls_sign_algorithm_t algo;
	bool usable = true;

	strlist_free(&ca->requested_sigalgs);
	strlist_free(&ca->requested_key_types);
	for (unsigned i = 0; gnutls_sign_algorithm_get_requested(s, i, &algo) == 0; i++) {
		const char *name = gnutls_sign_get_name(algo);
		if (name)
			strlist_add(&ca->requested_sigalgs, name);
		if (i == 0)
			usable = false;
		if (gnutls_sign_supports_pk_algorithm(algo, pk))
			usable = true;
	}
	for (unsigned i = 0; i < info->pk_algos_length; i++) {
		const char *name = gnutls_pk_get_name(info->pk_algos[i]);
		bool seen = false;
		for (size_t k = 0; name && k < ca->requested_key_types.n; k++)
			seen = seen || strcmp(ca->requested_key_types.v[k], name) == 0;
		if (name && !seen)
			strlist_add(&ca->requested_key_types, name);
	}
	return usable || pk == GNUTLS_PK_UNKNOWN;
}

/* The certificate callback of both roles. A server hands out its identity. A client was asked
 * for a certificate: GnuTLS's own choice would silently send nothing when the issuer is not in
 * the server's list (DESIGN.md §3); deciding here keeps that visible. */
static int on_retrieve(gnutls_session_t s, const struct gnutls_cert_retr_st *info,
		       gnutls_pcert_st **certs, unsigned *ncerts, gnutls_ocsp_data_st **ocsp,
		       unsigned *nocsp, gnutls_privkey_t *key, unsigned *flags)
{
	const struct tls_trace *t = gnutls_session_get_ptr(s);
	const struct session_config *cfg = t->session;
	const struct tls_creds *cr = cfg->creds;

	*certs = NULL;
	*ncerts = 0;
	*ocsp = NULL;
	*nocsp = 0;
	*key = NULL;
	*flags = 0;
	if (cfg->role == SESSION_CLIENT) {
		struct tls_client_auth *ca = &t->rep->client_auth;
		bool acceptable = issuer_acceptable(ca, cr, info);
		bool signs = record_request(ca, s, info, cr);
		ca->requested = true;
		if (!cr->n_id)
			return 0;
		ca->key_type_not_accepted = !signs;
		ca->issuer_unlisted = !acceptable;
		if (!acceptable && !cfg->force_client_cert) {
			ca->issuer_not_acceptable = true;
			return 0;
		}
	}
	*certs = cr->pcerts;
	*ncerts = cr->n_id;
	*key = cr->key;
	return 0;
}

/* --strict: verify during the handshake and abort on failure, as a real peer does. */
static int on_verify(gnutls_session_t s)
{
	const struct tls_trace *t = gnutls_session_get_ptr(s);
	const struct session_config *cfg = config_of(s);
	unsigned n = 0;
	const gnutls_datum_t *der = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t *crts = NULL;
	int result = 0;

	if (!der || n == 0)
		return cfg->peer_cert_required ? -1 : 0;
	if (chain_import(der, n, &crts) < 0)
		return -1;
	if (verify_status(cfg->strict_vreq, crts, n))
		result = -1;
	if (!result && cfg->on_leaf)
		result = cfg->on_leaf(t->owner, crts[0]);
	chain_free(crts, n);
	return result;
}

static int role_setup(gnutls_session_t s, const struct session_config *cfg)
{
	int rc = 0;

	if (cfg->role == SESSION_CLIENT) {
		if (cfg->sni)
			rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, cfg->sni, strlen(cfg->sni));
		if (rc == 0 && cfg->n_alpn)
			rc = gnutls_alpn_set_protocols(s, cfg->alpn, cfg->n_alpn, 0);
		if (rc == 0 && cfg->resume_data)
			gnutls_session_set_data(s, cfg->resume_data->data, cfg->resume_data->size);
		return rc;
	}
	if (cfg->n_alpn)
		rc = gnutls_alpn_set_protocols(s, cfg->alpn, cfg->n_alpn,
					       GNUTLS_ALPN_SERVER_PRECEDENCE);
	if (rc == 0 && cfg->client_cert != CLIENT_CERT_NONE)
		gnutls_certificate_server_set_request(s, cfg->client_cert == CLIENT_CERT_REQUIRE
								 ? GNUTLS_CERT_REQUIRE
								 : GNUTLS_CERT_REQUEST);
	/* Tickets: clients read the first one right after a TLS 1.3 handshake, and --resume
	 * comes back with it. */
	if (rc == 0 && cfg->ticket_key)
		gnutls_session_ticket_enable_server(s, cfg->ticket_key); /* none: full handshakes */
	return rc;
}

int session_init(struct tls_trace *t, const struct session_config *cfg)
{
	unsigned flags = cfg->role == SESSION_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER;
	int rc = gnutls_init(&t->s, flags | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);

	if (rc < 0) {
		t->s = NULL;
		return rc;
	}
	t->session = xmalloc(sizeof(*cfg));
	*t->session = *cfg;
	rc = gnutls_priority_set(t->s, cfg->prio);
	if (rc == 0)
		rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, cfg->cred);
	if (rc == 0)
		rc = role_setup(t->s, cfg);
	if (rc < 0)
		return rc;
	gnutls_certificate_set_retrieve_function3(cfg->cred, on_retrieve);
	trace_set_transport(t);
	gnutls_handshake_set_timeout(t->s, 0); /* the caller's own deadline rules */
	gnutls_handshake_set_hook_function(t->s, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH, on_hook);
	if (cfg->strict_vreq)
		gnutls_session_set_verify_function(t->s, on_verify);
	return 0;
}

void session_deinit(struct tls_trace *t)
{
	if (t->s)
		gnutls_deinit(t->s);
	t->s = NULL;
	free(t->session);
	t->session = NULL;
}

int session_client_cred(gnutls_certificate_credentials_t *cred)
{
	int rc = gnutls_certificate_allocate_credentials(cred);

	if (rc < 0)
		*cred = NULL;
	return rc;
}

int session_priority(const char *priority, int tls_max, gnutls_priority_t *prio,
		     struct tls_error *err)
{
	const char *base = priority && *priority ? priority : "NORMAL";
	char *full = tls_max == 12 ? xasprintf("%s:-VERS-TLS1.3", base) : xstrdup(base);
	const char *where = NULL;

	int rc = gnutls_priority_init2(prio, full, &where, GNUTLS_PRIORITY_INIT_DEF_APPEND);
	if (rc < 0) {
		if (rc == GNUTLS_E_INVALID_REQUEST && where)
			tls_error_set(err, "invalid priority string '%s' at '%s'", base, where);
		else
			tls_error_set(err, "invalid priority string '%s': %s", base,
				      gnutls_strerror(rc));
		*prio = NULL;
	}
	free(full);
	return rc < 0 ? -1 : 0;
}

int session_versions(gnutls_priority_t prio, const char *out[SESSION_MAX_VERSIONS])
{
	const unsigned *list = NULL;
	int nv = gnutls_priority_protocol_list(prio, &list);
	int n = 0;

	for (int i = 0; i < nv && n < SESSION_MAX_VERSIONS; i++) {
		const char *name = gnutls_protocol_get_name((gnutls_protocol_t)list[i]);
		if (name && strncmp(name, "TLS", 3) == 0)
			out[n++] = name;
	}
	return n;
}

const char *session_client_hello_max_version(const gnutls_datum_t *msg)
{
	static const char *const names[] = {"SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"};
	const unsigned char *p = msg->data, *end = msg->data + msg->size;
	unsigned best;

	if (msg->size < 38)
		return NULL;
	best = p[0] == 3 ? p[1] : 0;
	p += 34;
	p += 1 + p[0]; /* session id */
	if (p + 2 > end)
		goto done;
	p += 2 + ((p[0] << 8) | p[1]); /* cipher suites */
	if (p + 1 > end)
		goto done;
	p += 1 + p[0]; /* compression methods */
	if (p + 2 > end)
		goto done;
	p += 2;
	while (p + 4 <= end) {
		unsigned type = (p[0] << 8) | p[1], len = (p[2] << 8) | p[3];
		p += 4;
		if (p + len > end)
			break;
		if (type == 43 && len >= 1) {
			best = 0;
			for (unsigned i = 1; i + 1 < len + 0u && i + 1 <= p[0]; i += 2)
				if (p[i] == 3 && p[i + 1] > best && p[i + 1] <= 4)
					best = p[i + 1];
		}
		p += len;
	}
done:
	return best <= 4 ? names[best] : NULL;
}

enum session_read session_read(struct tls_trace *t, void *buf, size_t len, size_t *n, int *rc)
{
	*n = 0;
	*rc = 0;
	for (;;) {
		ssize_t got = gnutls_record_recv(t->s, buf, len);
		if (got > 0) {
			*n = (size_t)got;
			return SESSION_DATA;
		}
		if (got == 0)
			return SESSION_EOF;
		if (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED) {
			if (gnutls_record_check_pending(t->s) > 0)
				continue;
			return SESSION_AGAIN;
		}
		if (got == GNUTLS_E_WARNING_ALERT_RECEIVED ||
		    got == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			trace_received_alert(t, (int)got, true);
			if (got == GNUTLS_E_WARNING_ALERT_RECEIVED)
				continue;
			return SESSION_ALERT;
		}
		*rc = (int)got;
		return trace_is_transport_error(*rc) ? SESSION_TRANSPORT : SESSION_ERROR;
	}
}
