/* The client's follow-up connections: the second connection of --resume, the probes that tell
 * a version mismatch from a cipher mismatch, and the SNI probe. Each is a client of its own on
 * the same loop, started and freed by the first (client.c); here is what each one is and what
 * its outcome means. Nothing here calls back into client.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_private.h"
#include "tlsscope/aia.h"
#include "tlsscope/profiles.h"
#include "tlsscope/revocation.h"
#include "tlsscope/names.h"
#include "tlsscope/target.h"
#include "trace.h"

/* ---- --fetch-intermediates and --ocsp, once the connections are over ---- */

static void on_ocsp_done(void *arg)
{
	struct tls_client *c = arg;

	c->ocsp_query = NULL;
	c->lookups_done(c);
}

/* --ocsp: the responders are asked once the connection is over, within the same deadline. */
static bool start_ocsp_query(struct tls_client *c)
{
	if (!c->cfg.ocsp || c->role != ROLE_MAIN || !c->rep->n_chain)
		return false;
	creds_need_system_trust(c->cfg.creds);
	c->ocsp_query = revocation_query_start(c->loop, c->rep, c->vreq.trust, c->deadline,
					       on_ocsp_done, c);
	return c->ocsp_query != NULL;
}

static void on_aia_done(void *arg)
{
	struct tls_client *c = arg;

	c->aia_fetch = NULL;
	if (!start_ocsp_query(c))
		c->lookups_done(c);
}

/* --fetch-intermediates first, so that --ocsp can ask about the fetched issuer's child. */
static bool start_fetches(struct tls_client *c)
{
	if (c->cfg.fetch_intermediates && c->rep->n_chain) {
		c->aia_fetch =
			aia_fetch_start(c->loop, c->rep, &c->vreq, c->deadline, on_aia_done, c);
		if (c->aia_fetch)
			return true;
	}
	return start_ocsp_query(c);
}

bool followup_lookups_start(struct tls_client *c, void (*then)(struct tls_client *c))
{
	c->lookups_done = then;
	return start_fetches(c);
}

/* Esc during the fetch or the OCSP query: what they found so far is all there is. */
bool followup_lookups_cancel(struct tls_client *c)
{
	if (!c->aia_fetch && !c->ocsp_query)
		return false;
	if (c->aia_fetch && !c->rep->aia.error)
		c->rep->aia.error = xstrdup("cancelled");
	aia_fetch_cancel(c->aia_fetch);
	revocation_query_cancel(c->ocsp_query);
	c->aia_fetch = NULL;
	c->ocsp_query = NULL;
	return true;
}

/* ---- --resume ---- */

bool followup_resume_config(const struct tls_client *c, struct tls_client_config *rc)
{
	*rc = c->cfg;
	rc->resume = false;
	rc->http = HTTP_OFF;
	rc->no_probe = true;
	rc->timeout_s = (c->deadline - util_now_ms()) / 1000.0;
	return rc->timeout_s > 0.05;
}

/* ---- follow-up probes ---- */

/* Servers answer a version mismatch and a cipher mismatch alike, often with a bare
 * handshake_failure before any ServerHello (DESIGN.md §5). Offering every version, then every
 * cipher suite, group and signature algorithm, then both, tells the two apart. */
static const struct {
	bool versions, ciphers;
	const char *words;
} probe_stages[] = {
	{true, false, "every TLS version (1.0 to 1.3)"},
	{false, true, "every cipher suite, MAC, key exchange, group and signature algorithm"},
	{true, true,
	 "every version, cipher suite, MAC, key exchange, group and signature algorithm"},
};

#define PROBE_VERSIONS ":+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"
/* Everything GnuTLS 3.7.9 can offer without extra credentials (no PSK, SRP, GOST, anonymous):
 * *-ALL does not cover the CBC-SHA256/SHA384 MACs, some ciphers, the FFDHE groups or the SHA-1
 * signatures, so each is named (gnutls-cli -l --priority counts 86 suites against 43). */
#define PROBE_CIPHERS                                                                              \
	":+CIPHER-ALL:+MAC-ALL:+KX-ALL:+GROUP-ALL:+SIGN-ALL:+3DES-CBC:+ARCFOUR-128:+SHA1:+MD5:"    \
	"+SHA256:+SHA384:+AEAD:+RSA:+DHE-RSA:+DHE-DSS:+ECDHE-RSA:+ECDHE-ECDSA:+CAMELLIA-128-CBC:"  \
	"+CAMELLIA-256-CBC:+CAMELLIA-128-GCM:+CAMELLIA-256-GCM:+AES-128-CCM:+AES-256-CCM:"         \
	"+AES-128-CCM-8:+AES-256-CCM-8:+CHACHA20-POLY1305:+GROUP-FFDHE2048:+GROUP-FFDHE3072:"      \
	"+GROUP-FFDHE4096:+GROUP-FFDHE6144:+GROUP-FFDHE8192:+SIGN-RSA-SHA1:+SIGN-DSA-SHA1:"        \
	"+SIGN-ECDSA-SHA1:+SIGN-RSA-MD5"

static bool has_server_answer(const struct tls_report *r)
{
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		if (r->handshake.steps[i].dir == TLS_DIR_RECEIVED &&
		    (r->handshake.steps[i].type == STEP_SERVER_HELLO ||
		     r->handshake.steps[i].type == STEP_HELLO_RETRY_REQUEST))
			return true;
	return false;
}

bool followup_should_probe(const struct tls_client *c)
{
	const struct tls_report *r = c->rep;
	const struct tls_alert *a = &r->handshake.alert_received;
	bool refused = (a->present && (a->code == 40 || a->code == 47 || a->code == 70 ||
				       a->code == 71 || a->code == 80)) ||
		       (r->handshake.peer_closed && r->handshake.n_first_bytes == 0);

	return c->role != ROLE_PROBE && !c->cfg.no_probe && refused && !has_server_answer(r) &&
	       c->deadline - util_now_ms() > 50;
}

/* A follow-up's outcome as a Probe step, the same for the version/cipher probes and the SNI
 * probe: "offered X: " and what came back (accepted and unanswered in each one's words). */
static void add_probe_step(struct tls_client *c, const struct tls_probe *p,
			   const struct tls_report *pr, const char *accepted,
			   const char *unanswered)
{
	char detail[700];

	if (p->accepted)
		snprintf(detail, sizeof(detail), "offered %s: %s", p->offered, accepted);
	else if (p->alert >= 0)
		snprintf(detail, sizeof(detail), "offered %s: refused with %s (%d)", p->offered,
			 names_alert(p->alert) ? names_alert(p->alert) : "an alert", p->alert);
	else
		snprintf(detail, sizeof(detail), "offered %s: %s (%s)", p->offered, unanswered,
			 pr->handshake.error ? pr->handshake.error : "closed");
	struct tls_step *s =
		report_add_step(c->rep, trace_elapsed(&c->tr), TLS_DIR_SENT, STEP_PROBE, detail);
	s->probe = true;
	trace_emit(&c->tr, EV_STEP, s);
}

/* The child's outcome as a probe of c->rep (offered: what it offered, in words) and its Probe
 * step. */
static struct tls_probe *probe_add(struct tls_client *c, const char *offered)
{
	const struct tls_report *pr = &c->child.report;
	struct tls_report *r = c->rep;
	char chose[256];

	r->probes = xrealloc(r->probes, (r->n_probes + 1) * sizeof(*r->probes));
	struct tls_probe *p = &r->probes[r->n_probes++];
	*p = (struct tls_probe){
		.offered = xstrdup(offered),
		.accepted = pr->negotiated.present,
		.version = pr->negotiated.version ? xstrdup(pr->negotiated.version) : NULL,
		.cipher_suite =
			pr->negotiated.cipher_suite ? xstrdup(pr->negotiated.cipher_suite) : NULL,
		.alert = pr->handshake.alert_received.present ? pr->handshake.alert_received.code
							      : -1,
	};
	snprintf(chose, sizeof(chose), "the server chose %s %s", p->version ? p->version : "?",
		 p->cipher_suite ? p->cipher_suite : "");
	add_probe_step(c, p, pr, chose, "no answer");
	return p;
}

void followup_probe_record(struct tls_client *c)
{
	struct tls_probe *p = probe_add(c, probe_stages[c->probe_stage].words);

	p->broad_versions = probe_stages[c->probe_stage].versions;
	p->broad_ciphers = probe_stages[c->probe_stage].ciphers;
	c->probe_stage = p->accepted ? (int)(sizeof(probe_stages) / sizeof(probe_stages[0]))
				     : c->probe_stage + 1;
}

bool followup_probe_config(const struct tls_client *c, struct tls_client_config *pc,
			   char **priority)
{
	const struct tls_client_config *cfg = &c->cfg;
	const char *base = cfg->priority && *cfg->priority ? cfg->priority : "NORMAL";

	if (c->probe_stage >= (int)(sizeof(probe_stages) / sizeof(probe_stages[0])) ||
	    c->n_followups >= CLIENT_MAX_FOLLOWUPS || c->deadline - util_now_ms() <= 50)
		return false;
	bool v = probe_stages[c->probe_stage].versions;
	*priority = xasprintf("%s%s%s", base,
			      v ? PROBE_VERSIONS : (cfg->tls_max == 12 ? ":-VERS-TLS1.3" : ""),
			      probe_stages[c->probe_stage].ciphers ? PROBE_CIPHERS : "");
	*pc = *cfg;
	pc->priority = *priority;
	pc->tls_max = 0;
	pc->http = HTTP_OFF;
	pc->resume = false;
	pc->keylog_path = NULL;
	pc->strict = false;
	pc->timeout_s = (c->deadline - util_now_ms()) / 1000.0;
	return true;
}

/* The cipher suite a ServerHello names (RFC 8446 §4.1.3: version, random, session id, suite),
 * read from the message: GnuTLS has not settled it yet when the hook runs. */
static char *server_hello_suite(const gnutls_datum_t *msg)
{
	unsigned char id[2];
	const char *name = NULL;

	if (!msg || msg->size < 35 || msg->size < 35u + msg->data[34] + 2)
		return NULL;
	memcpy(id, msg->data + 35 + msg->data[34], 2);
	for (size_t i = 0;; i++) {
		unsigned char cs[2];
		const char *n = gnutls_cipher_suite_info(i, cs, NULL, NULL, NULL, NULL);
		if (!n)
			break;
		if (cs[0] == id[0] && cs[1] == id[1]) {
			name = n;
			break;
		}
	}
	return name ? xasprintf("TLS_%s", strncmp(name, "TLS_", 4) == 0 ? name + 4 : name)
		    : xasprintf("0x%02X%02X", id[0], id[1]);
}

/* A probe looks at the server's answer once GnuTLS has read its choices (the hook after the
 * message, which is the call not taken for a received one), and records no step. */
int followup_probe_message(void *owner, enum tls_step_type type, bool taken, unsigned incoming,
			   const gnutls_datum_t *msg)
{
	struct tls_client *c = owner;

	if (!incoming || taken || (type != STEP_SERVER_HELLO && type != STEP_HELLO_RETRY_REQUEST))
		return 0;
	/* The server answered: note what it chose and stop here. */
	struct tls_negotiated *n = &c->rep->negotiated;
	const char *version = gnutls_protocol_get_name(gnutls_protocol_get_version(c->tr.s));
	n->present = true;
	n->version = version ? xstrdup(version) : NULL;
	n->cipher_suite = server_hello_suite(msg);
	return GNUTLS_E_USER_ERROR;
}

/* ---- the suite probe ---- */

/* A completed handshake on a suite of a kind some client profile lacks (DHE, CCM, CBC with
 * SHA-256/384): would the server also take what every common client offers? One more probe,
 * stopped at the ServerHello, offers only ECDHE with AES-GCM, ChaCha20-Poly1305 or AES-CBC-SHA1
 * (each of Go 1.19, Chromium, Firefox, Java 17 and OpenSSL 3.0 offers these by default), at
 * every version: versions are judged apart. */
#define COMMON_SUITES                                                                              \
	"NORMAL" PROBE_VERSIONS ":-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:-CIPHER-ALL:+AES-128-GCM:"       \
	"+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+AEAD:+SHA1:"          \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1"

bool followup_suite_config(const struct tls_client *c, struct tls_client_config *pc)
{
	if (c->role != ROLE_MAIN || c->cfg.no_probe || c->cancelled ||
	    c->rep->handshake.status != HS_COMPLETE || c->n_followups >= CLIENT_MAX_FOLLOWUPS ||
	    !profiles_suite_uncommon(c->rep->negotiated.cipher_suite) ||
	    c->deadline - util_now_ms() <= 50)
		return false;
	*pc = c->cfg;
	pc->priority = COMMON_SUITES;
	pc->tls_max = 0;
	pc->http = HTTP_OFF;
	pc->resume = false;
	pc->keylog_path = NULL;
	pc->strict = false;
	pc->ocsp = false;
	pc->fetch_intermediates = false;
	pc->timeout_s = (c->deadline - util_now_ms()) / 1000.0;
	return true;
}

void followup_suite_record(struct tls_client *c)
{
	probe_add(c, PROFILES_COMMON_OFFER);
}

/* ---- the SNI probe ---- */

static const char *sni_probe_name(const struct tls_client *c)
{
	const struct tls_report *r = c->rep;
	const char *vn = r->target.verify_name;

	if (r->target.sni)
		return NULL;
	if (vn && *vn && !target_is_ip(vn))
		return vn;
	for (size_t i = 0; r->n_chain && i < r->chain[0].san.n; i++) {
		const char *san = r->chain[0].san.v[i];
		if (strncmp(san, "DNS:", 4) == 0 && san[4] && !strchr(san, '*'))
			return san + 4;
	}
	return NULL;
}

bool followup_should_probe_sni(const struct tls_client *c)
{
	const struct tls_report *r = c->rep;
	const struct tls_alert *a = &r->handshake.alert_received;
	const struct tls_hostname_check *h = &r->verification.hostname;
	bool failed = r->handshake.status == HS_FAILED &&
		      (!has_server_answer(r) || (a->present && a->code == 112));
	bool other_name = r->n_chain && h->checked && !h->match && r->policy.check_hostname;

	return c->role == ROLE_MAIN && !c->sni_probed && !c->cfg.no_probe && !c->cancelled &&
	       c->n_followups < CLIENT_MAX_FOLLOWUPS && (failed || other_name) &&
	       sni_probe_name(c) && c->deadline - util_now_ms() > 50;
}

static bool has_dns_name(const struct tls_cert_info *ci)
{
	for (size_t i = 0; i < ci->san.n; i++)
		if (strncmp(ci->san.v[i], "DNS:", 4) == 0)
			return true;
	return false;
}

bool followup_sni_record(struct tls_client *c)
{
	const struct tls_report *pr = &c->child.report;
	struct tls_report *r = c->rep;
	char done[600];

	r->probes = xrealloc(r->probes, (r->n_probes + 1) * sizeof(*r->probes));
	struct tls_probe *p = &r->probes[r->n_probes++];
	const struct tls_cert_info *leaf = pr->n_chain ? &pr->chain[0] : NULL;
	*p = (struct tls_probe){
		.offered = xasprintf("SNI %s", pr->target.sni ? pr->target.sni : "?"),
		.accepted = pr->handshake.status == HS_COMPLETE,
		.version = pr->negotiated.version ? xstrdup(pr->negotiated.version) : NULL,
		.cipher_suite =
			pr->negotiated.cipher_suite ? xstrdup(pr->negotiated.cipher_suite) : NULL,
		.alert = pr->handshake.alert_received.present ? pr->handshake.alert_received.code
							      : -1,
		.sni = pr->target.sni ? xstrdup(pr->target.sni) : NULL,
		.name_ok = leaf &&
			   (pr->verification.hostname.match || !pr->verification.hostname.checked),
		.other_cert = leaf && (!r->n_chain || strcmp(leaf->sha256, r->chain[0].sha256)),
	};
	if (leaf) {
		char names[400] = "";
		for (size_t i = 0; i < leaf->san.n; i++)
			if (strncmp(leaf->san.v[i], "DNS:", 4) == 0 || !has_dns_name(leaf))
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", *names ? ", " : "", leaf->san.v[i]);
		p->served = xstrdup(*names ? names : leaf->subject);
	}
	snprintf(done, sizeof(done), "the handshake completed (%s %s), certificate for %s",
		 p->version ? p->version : "?", p->cipher_suite ? p->cipher_suite : "",
		 p->served ? p->served : "nothing");
	add_probe_step(c, p, pr, done, "failed");
	return p->accepted && p->name_ok && p->other_cert;
}

void followup_sni_config(const struct tls_client *c, struct tls_client_config *pc)
{
	const char *name = sni_probe_name(c);

	*pc = c->cfg;
	pc->sni = name;
	pc->no_sni = false;
	pc->verify_name = name;
	pc->http = HTTP_OFF;
	pc->resume = false;
	pc->keylog_path = NULL;
	pc->strict = false;
	pc->no_probe = true;
	pc->ocsp = false;
	pc->timeout_s = (c->deadline - util_now_ms()) / 1000.0;
}
