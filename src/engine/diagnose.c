#include "tlsscope/diagnose.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsscope/chain.h"
#include "tlsscope/http.h"
#include "tlsscope/names.h"
#include "tlsscope/starttls.h"
#include "tlsscope/target.h"
#include "tlsscope/textsafe.h"
#include "tlsscope/verify.h"

/* The findings catalog (DESIGN.md §5). Ids are stable API. */
static const struct diag_entry catalog[] = {
	{"dns-failure", SEV_ERROR, "The host name does not resolve",
	 "Check the spelling of the host, or connect by IP address and give the certificate's "
	 "name with --verify-name."},
	{"connection-refused", SEV_ERROR, "Nothing accepts connections on that port",
	 "Start the server, or check the port: is it listening on this address "
	 "(ss -ltnp), and does a firewall reject the connection?"},
	{"connection-timeout", SEV_ERROR, "The TCP connection was not established in time",
	 "A firewall may drop the packets, or the host is down. Check the address and port, "
	 "and raise --timeout for a slow network."},
	{"not-tls", SEV_ERROR, "The peer does not speak TLS on this port",
	 "This port serves plain text (often HTTP). Use the TLS port (usually 443), or enable "
	 "TLS on the server (nginx: 'listen PORT ssl;', Flask: ssl_context=...)."},
	{"handshake-timeout", SEV_ERROR, "The TLS handshake stalled",
	 "The server accepted TCP but stopped answering. Check that the port really serves TLS "
	 "and that the server is not overloaded or waiting for something else (a proxy protocol "
	 "header, STARTTLS)."},
	{"connection-closed", SEV_ERROR, "The peer closed the connection during the handshake",
	 "The server hung up without saying why. Its log usually has the reason; common causes "
	 "are a protocol or cipher mismatch, a missing client certificate, or SNI for an "
	 "unknown name."},
	{"protocol-version-mismatch", SEV_ERROR, "No TLS version both sides allow",
	 "Allow a common version on one side: modern servers require TLS 1.2 or 1.3."},
	{"no-shared-cipher", SEV_ERROR, "No cipher suite, group or signature algorithm in common",
	 "Enable a common cipher suite on one side (try --priority NORMAL), or give the server "
	 "a certificate whose key type the client supports."},
	{"sni-required", SEV_ERROR, "The server needs SNI with a name it serves",
	 "Send the name as SNI: connect by name, or add --sni NAME when connecting by address; or "
	 "make the server answer without SNI (nginx: a listen ... default_server block with this "
	 "certificate, no ssl_reject_handshake; HAProxy: no strict-sni on the bind line)."},
	{"alert-received", SEV_ERROR, "The peer refused with a TLS alert",
	 "The alert names the reason; the peer's log has the details."},
	{"protocol-error", SEV_ERROR, "The peer broke the TLS protocol",
	 "The peer sent something no TLS implementation accepts at that point. Check that the "
	 "port serves plain TLS (no PROXY protocol header, no STARTTLS, not DTLS), and compare "
	 "with another client: openssl s_client -connect HOST:PORT -msg shows the same bytes."},
	{"untrusted-issuer", SEV_ERROR, "The certificate chain does not lead to a trusted CA",
	 "Trust the CA that issued it (--ca ca.crt, or add it to the system store), or, if it "
	 "is a public CA, make the server also send its intermediate certificate "
	 "(nginx: ssl_certificate with the full chain)."},
	{"missing-intermediate", SEV_ERROR, "The server does not send its intermediate certificate",
	 "Configure the server with the full chain: leaf first, then the intermediates "
	 "(cat server.crt intermediate.crt > fullchain.pem)."},
	{"self-signed", SEV_ERROR, "The certificate is self-signed and not trusted",
	 "Trust this certificate explicitly (--ca server.crt), or issue the server certificate "
	 "from a CA that clients trust."},
	{"expired", SEV_ERROR, "A certificate has expired",
	 "Renew the certificate and install the new one on the server."},
	{"not-yet-valid", SEV_ERROR, "A certificate is not valid yet",
	 "Check the clock of the machine that issued it and of this machine; reissue with a "
	 "start date in the past."},
	{"insecure-signature", SEV_ERROR, "A certificate is signed with an insecure algorithm",
	 "Reissue the certificate with SHA-256 (openssl x509 -sha256, certtool --hash SHA256)."},
	{"weak-key", SEV_ERROR, "A certificate has a key that is too small",
	 "Generate a new key of at least 2048 bits RSA or 256 bits EC and reissue the "
	 "certificate."},
	{"not-a-ca", SEV_ERROR, "A certificate that issues others is not marked as a CA",
	 "Reissue the issuing certificate with basicConstraints=critical,CA:TRUE "
	 "(certtool: 'ca' in the template)."},
	{"path-length-exceeded", SEV_ERROR, "A CA's pathLenConstraint does not allow this chain",
	 "Issue the certificate directly from a CA whose pathLenConstraint allows the "
	 "intermediates below it, or reissue the CA with a larger path_len (certtool) / "
	 "basicConstraints=critical,CA:TRUE,pathlen:N (openssl)."},
	{"name-constraint-violated", SEV_ERROR,
	 "A name in the chain is outside a CA's name constraints",
	 "Issue the certificate for a name the CA permits, or from a CA without name "
	 "constraints that exclude it."},
	{"anchor-expired", SEV_ERROR, "A trust anchor (root CA) has expired",
	 "Replace the expired root in the trust store (--ca, the system store or --client-ca) "
	 "with its current version, and have the server send a chain that leads to it."},
	{"unknown-critical-extension", SEV_ERROR,
	 "A certificate carries a critical extension clients do not understand",
	 "Reissue the certificate without that extension, or with it marked not critical."},
	{"wrong-purpose", SEV_ERROR, "The certificate is not allowed for this purpose",
	 "Reissue it with the right extendedKeyUsage: serverAuth for servers, clientAuth for "
	 "clients (openssl: extendedKeyUsage=serverAuth; certtool: tls_www_server)."},
	{"revoked", SEV_ERROR, "A certificate has been revoked",
	 "Issue and install a new certificate."},
	{"hostname-mismatch", SEV_ERROR, "The certificate is not valid for this name",
	 "Reissue the certificate with the name in its subjectAltName, or connect with a name "
	 "it holds."},
	{"cn-only-no-san", SEV_ERROR, "The certificate has no subjectAltName",
	 "Reissue with subjectAltName (openssl: -addext 'subjectAltName=DNS:name,IP:addr'; "
	 "certtool: dns_name/ip_address in the template)."},
	{"ip-not-in-san", SEV_ERROR, "The IP address is not in the certificate's subjectAltName",
	 "Reissue with subjectAltName = IP:ADDRESS (openssl), or ip_address = ADDRESS "
	 "(certtool)."},
	{"v1-certificate", SEV_WARNING, "An X.509 version 1 certificate (no extensions)",
	 "Reissue as version 3: openssl x509 -req needs -extfile with the extensions."},
	{"expires-soon", SEV_WARNING, "A certificate expires within 30 days",
	 "Renew the certificate before it expires."},
	{"chain-order", SEV_WARNING, "The chain is out of order or holds unrelated certificates",
	 "Send the leaf first, then each issuer in turn, and nothing else."},
	{"tls-version-old", SEV_WARNING, "An old TLS version was negotiated",
	 "Enable TLS 1.2 and 1.3 on the server; TLS 1.0 and 1.1 are deprecated (RFC 8996)."},
	{"client-cert-required", SEV_ERROR,
	 "The server requires a client certificate and none was sent",
	 "Give a client certificate and key: --cert client.crt --key client.key (or --p12)."},
	{"client-cert-requested", SEV_INFO,
	 "The server asked for a client certificate; none was sent and it went on",
	 "Nothing to do unless the application expects a client certificate."},
	{"client-cert-rejected", SEV_ERROR, "The server refused the client certificate",
	 "Make sure the client certificate is issued by a CA the server trusts, is valid now and "
	 "carries extendedKeyUsage clientAuth."},
	{"client-cert-ca-not-accepted", SEV_ERROR,
	 "The client certificate's issuer is not one the server accepts",
	 "Use a client certificate issued by one of the CAs the server lists, or add your CA to "
	 "the server's client CA file. --force-client-cert sends it anyway."},
	{"client-cert-not-requested", SEV_WARNING,
	 "A client certificate was loaded but the server never asked for one",
	 "Enable client certificate checking on the server (nginx: ssl_verify_client on;) if "
	 "you expected it."},
	{"client-sent-no-cert", SEV_ERROR, "The client sent no certificate",
	 "Configure the client with a certificate and key."},
	{"client-cert-untrusted", SEV_ERROR,
	 "The client certificate does not lead to the client CA",
	 "Issue the client certificate from the CA given with --client-ca, or give its CA."},
	{"client-serial-not-allowed", SEV_ERROR, "The client certificate's serial is not allowed",
	 "Add the serial with --allow-serial (hex or decimal), or use the expected certificate."},
	/* Revocation (revocation.c) and the chain as sent. */
	{"ocsp-staple-invalid", SEV_ERROR, "The stapled OCSP response is not valid",
	 "Make the server staple a fresh response for its own certificate, signed by its issuer: "
	 "nginx fetches one itself with ssl_stapling on; (and ssl_trusted_certificate with the "
	 "issuer); a static file (ssl_stapling_file, gnutls-serv --ocsp-response) must be "
	 "renewed before its nextUpdate."},
	{"ocsp-must-staple-missing", SEV_ERROR,
	 "The certificate requires a stapled OCSP response and none was sent",
	 "The certificate carries the TLS feature status_request (OCSP must-staple): clients "
	 "that honour it (Firefox) refuse it without a staple. Enable stapling on the server "
	 "(nginx: ssl_stapling on; ssl_stapling_verify on;), or reissue without must-staple."},
	{"ocsp-unreachable", SEV_WARNING, "The certificate's OCSP responder gave no usable answer",
	 "Clients that check OCSP soft-fail or wait for it: check that the responder in the "
	 "certificate's Authority Information Access answers over HTTP, or staple the "
	 "response on the server."},
	{"ocsp-unknown", SEV_WARNING, "The OCSP responder does not know the certificate",
	 "The responder answered \"unknown\": its database lacks this certificate (a CA's "
	 "index.txt without it, or the wrong responder in AIA). Add the certificate to the "
	 "responder's database."},
	{"crl-expired", SEV_ERROR, "A revocation list is past its nextUpdate",
	 "Issue a fresh CRL and install it where it is used (openssl ca -gencrl -crlhours N, "
	 "certtool --generate-crl with crl_next_update), and renew it on a schedule shorter "
	 "than its validity."},
	{"crl-not-for-chain", SEV_WARNING, "A loaded revocation list is for no certificate here",
	 "Load the CRL of the CA that issued these certificates; this one is issued by another "
	 "CA and checks nothing."},
	/* STARTTLS (starttls.c). */
	{"starttls-not-offered", SEV_ERROR, "The server does not offer the STARTTLS upgrade",
	 "Enable TLS on the server (Postfix: smtpd_tls_security_level = may with a certificate; "
	 "Dovecot: ssl = yes; PostgreSQL: ssl = on; OpenLDAP: olcTLSCertificateFile), or use its "
	 "implicit-TLS port (465, 993, 995, 636) without --starttls."},
	{"starttls-refused", SEV_ERROR, "The server refused the STARTTLS upgrade",
	 "The server's answer says why; its log has the details. Check that its TLS certificate "
	 "and key load (a server that cannot load them often still advertises the upgrade)."},
	{"starttls-failed", SEV_ERROR, "The plaintext exchange before STARTTLS broke",
	 "The server closed, stalled, or said something this protocol does not allow before the "
	 "upgrade. Check the protocol (--starttls PROTO) and the port, and the server's log."},
	{"starttls-needed", SEV_ERROR,
	 "The port speaks a plaintext protocol that upgrades with "
	 "STARTTLS",
	 "Connect with --starttls PROTO (named in the detail), or use the protocol's implicit-TLS "
	 "port."},
	{"chain-has-root", SEV_INFO, "The server sends its root certificate along",
	 "Allowed, but useless: clients must already have the root. Drop it from the chain file "
	 "(leaf first, then the intermediates)."},
};

const struct diag_entry *diagnose_lookup(const char *id)
{
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (strcmp(catalog[i].id, id) == 0)
			return &catalog[i];
	return NULL;
}

static void vadd(struct tls_report *r, const char *id, const enum tls_severity *sev,
		 enum tls_subject subj, int cert_index, const char *fix, const char *fmt,
		 va_list ap) __attribute__((format(printf, 7, 0)));
static void vadd(struct tls_report *r, const char *id, const enum tls_severity *sev,
		 enum tls_subject subj, int cert_index, const char *fix, const char *fmt,
		 va_list ap)
{
	const struct diag_entry *e = diagnose_lookup(id);
	char detail[1024];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	report_add_finding(r, e->id, sev ? *sev : e->severity, subj, cert_index, e->title, detail,
			   fix ? fix : e->fix);
	/* In connect mode a client-chain finding is about the loaded chain, not peer_chain. */
	bool own = r->mode == TLS_MODE_CONNECT && subj == SUBJ_CLIENT_CHAIN && r->client_auth.chain;
	struct tls_cert_info *chain = own ? r->client_auth.chain : r->chain;
	size_t n = own ? r->client_auth.n_chain : r->n_chain;
	if (cert_index >= 0 && (size_t)cert_index < n &&
	    !strlist_contains(&chain[cert_index].status, e->id))
		strlist_add(&chain[cert_index].status, e->id);
}

/* Adds a finding from the catalog; detail is formatted, fix NULL means the catalog's. */
static void add(struct tls_report *r, const char *id, enum tls_subject subj, int cert_index,
		const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(struct tls_report *r, const char *id, enum tls_subject subj, int cert_index,
		const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, id, NULL, subj, cert_index, fix, fmt, ap);
	va_end(ap);
}

/* The same with a severity other than the catalog's (a finding that matters less here). */
static void add_sev(struct tls_report *r, const char *id, enum tls_severity sev,
		    enum tls_subject subj, int cert_index, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void add_sev(struct tls_report *r, const char *id, enum tls_severity sev,
		    enum tls_subject subj, int cert_index, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, id, &sev, subj, cert_index, fix, fmt, ap);
	va_end(ap);
}

static const char *last_step_name(const struct tls_report *r, enum tls_dir *dir)
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

/* A TLS record starts with a content type (20..24) and major version 3 (RFC 8446 §5.1). */
static bool looks_like_tls(const unsigned char *b, size_t n)
{
	if (n == 0)
		return true;
	if (b[0] < 20 || b[0] > 24)
		return false;
	return n < 2 || b[1] == 3;
}

static const char *alert_name(int code)
{
	const char *n = names_alert(code);
	return n ? n : "unknown";
}

static void join(const struct strlist *l, char *buf, size_t len, const char *empty)
{
	buf[0] = 0;
	for (size_t i = 0; i < l->n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", l->v[i]);
	if (!l->n)
		snprintf(buf, len, "%s", empty);
}

/* ---- reaching the server ---- */

static bool diagnose_reach(struct tls_report *r)
{
	const char *err = r->handshake.error ? r->handshake.error : "";

	if (r->handshake.gai_error)
		add(r, "dns-failure", SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else if (r->handshake.sys_errno == ETIMEDOUT)
		add(r, "connection-timeout", SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else if (r->handshake.sys_errno)
		add(r, "connection-refused", SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else
		return false;
	return true;
}

/* ---- STARTTLS ---- */

/* The upgrade before the handshake did not happen: that is the whole story. */
static bool diagnose_starttls(struct tls_report *r)
{
	static const struct {
		enum tls_starttls_outcome outcome;
		const char *id;
	} ids[] = {{STARTTLS_NOT_OFFERED, "starttls-not-offered"},
		   {STARTTLS_REFUSED, "starttls-refused"},
		   {STARTTLS_FAILED, "starttls-failed"}};
	const struct tls_starttls *st = &r->starttls;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (st->protocol && st->outcome == ids[i].outcome) {
			add(r, ids[i].id, SUBJ_CONNECTION, -1, NULL, "%s.",
			    r->handshake.error ? r->handshake.error : st->protocol);
			return true;
		}
	return false;
}

/* A plain TLS connect met a plaintext greeting this tool can upgrade from. */
static bool diagnose_starttls_needed(struct tls_report *r)
{
	const char *p = r->starttls.protocol
				? NULL
				: starttls_recognise(r->handshake.first_bytes,
						     r->handshake.n_first_bytes, r->target.port);
	if (!p)
		return false;
	char *bytes = textsafe_bytes(r->handshake.first_bytes, r->handshake.n_first_bytes);
	add(r, "starttls-needed", SUBJ_CONNECTION, -1, NULL,
	    "The server greeted in plain text (\"%s\"): this is %s, which starts in plain text "
	    "and upgrades to TLS. Connect with --starttls %s.",
	    bytes, p, p);
	free(bytes);
	return true;
}

/* ---- version and cipher mismatches ---- */

static bool version_probe_answer(const struct tls_report *r, const struct tls_probe **out)
{
	for (size_t i = 0; i < r->n_probes; i++) {
		if (r->probes[i].accepted) {
			*out = &r->probes[i];
			return true;
		}
	}
	return false;
}

static void diagnose_mismatch(struct tls_report *r, bool *explained)
{
	char offered[128];
	const struct tls_probe *p = NULL;
	int err = r->handshake.gnutls_error;
	const struct tls_alert *a = &r->handshake.alert_received;

	join(&r->offered_versions, offered, sizeof(offered), "the default versions");
	if (version_probe_answer(r, &p)) {
		/* The fix names the version the server chose, never one already offered. */
		char fix[320];
		const char *v = p->version ? p->version : "";
		bool had = strlist_contains(&r->offered_versions, v);
		if (p->version && !had)
			snprintf(fix, sizeof(fix),
				 "The server accepts %s, which you did not offer: allow it with "
				 "--priority NORMAL:+VERS-%s (it is deprecated below TLS 1.2, RFC "
				 "8996), or enable TLS 1.2 or 1.3 on the server.",
				 v, v);
		else
			snprintf(fix, sizeof(fix), "Enable a version you offer (%s) on the server.",
				 offered);
		if (p->broad_versions)
			add(r, "protocol-version-mismatch", SUBJ_CONNECTION, -1, fix,
			    "You offered %s; offered every version, the server chose %s%s.",
			    offered, p->version ? p->version : "another version",
			    p->broad_ciphers ? " (and it also needed other cipher suites)" : "");
		const char *cs = p->cipher_suite ? p->cipher_suite : "";
		char cfix[320];
		snprintf(cfix, sizeof(cfix),
			 "Offer what the server chose (%s): %s, or enable a suite you offer on the "
			 "server.",
			 *cs ? cs : "see the probe",
			 strstr(cs, "_SHA256") || strstr(cs, "_SHA384")
				 ? "--priority NORMAL:+SHA256:+SHA384 adds the CBC-SHA256/SHA384 "
				   "MACs"
				 : "add its cipher, MAC and key exchange to --priority (gnutls-cli "
				   "-l "
				   "--priority STRING lists what a string offers)");
		if (p->broad_ciphers)
			add(r, "no-shared-cipher", SUBJ_CONNECTION, -1, cfix,
			    "Nothing you offered suits the server; offered everything, it chose %s "
			    "%s.",
			    p->version ? p->version : "", p->cipher_suite ? p->cipher_suite : "");
		*explained = true;
		return;
	}
	if (err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || (a->present && a->code == 70)) {
		add(r, "protocol-version-mismatch", SUBJ_CONNECTION, -1, NULL,
		    "You offered %s; the server %s.", offered,
		    a->present && a->code == 70
			    ? "answered protocol_version (70): it allows none of them"
			    : "answered with a version outside that list");
		*explained = true;
	} else if (err == GNUTLS_E_NO_CIPHER_SUITES || err == GNUTLS_E_UNKNOWN_CIPHER_SUITE ||
		   err == GNUTLS_E_NO_COMMON_KEY_SHARE || err == GNUTLS_E_INSUFFICIENT_SECURITY ||
		   err == GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM ||
		   (a->present && a->code == 71)) {
		add(r, "no-shared-cipher", SUBJ_CONNECTION, -1, NULL,
		    "The two sides have no cipher suite, group or signature algorithm in common "
		    "(%s).",
		    a->present && a->code == 71 ? "the server answered insufficient_security (71)"
						: r->handshake.error);
		*explained = true;
	} else if (r->n_probes) {
		/* Probed and still refused: not a version or cipher matter. */
		*explained = false;
	}
}

/* ---- the handshake ---- */

/* An alert ended the handshake: a fatal one, one of a level that is neither warning nor fatal,
 * or a warning after which the peer hung up. */
static bool alert_ended(const struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	return a->present && (a->level != GNUTLS_AL_WARNING || r->handshake.peer_closed);
}

/* "a fatal", "a warning-level ... and closed", "an alert of invalid level 3" into buf. */
static const char *alert_level(const struct tls_alert *a, char buf[96])
{
	if (a->level == GNUTLS_AL_FATAL)
		snprintf(buf, 96, "a fatal");
	else if (a->level == GNUTLS_AL_WARNING)
		snprintf(buf, 96, "a warning-level (then closed the connection)");
	else
		snprintf(buf, 96, "an invalid level %d (RFC 5246 §7.2 knows 1 and 2 only)",
			 a->level);
	return buf;
}

/* A failed handshake that no error finding explains, once every other check has run: GnuTLS
 * refused what the peer sent, without an alert from the peer. Not when an error finding
 * already says why (--strict refusing a certificate or a serial ends the handshake too). */
static void diagnose_unexplained(struct tls_report *r, const char *who)
{
	const struct tls_alert *s = &r->handshake.alert_sent;
	enum tls_dir dir = TLS_DIR_SENT;
	const char *last = last_step_name(r, &dir);
	const char *after = dir == TLS_DIR_SENT ? "we sent" : "we received";
	char answer[96] = "";

	/* A connection the user stopped says nothing about the peer. */
	if (r->handshake.status != HS_FAILED || r->handshake.cancelled)
		return;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			return;
	if (s->present)
		snprintf(answer, sizeof(answer), " We answered with alert %s (%d).",
			 alert_name(s->code), s->code);
	add(r, "protocol-error", SUBJ_CONNECTION, -1, NULL,
	    "What %s sent after %s %s broke the handshake: %s.%s", who, after,
	    last ? last : "nothing", r->handshake.error ? r->handshake.error : "no reason given",
	    answer);
}

/* ---- SNI ---- */

static const struct tls_probe *sni_probe(const struct tls_report *r)
{
	for (size_t i = 0; i < r->n_probes; i++)
		if (r->probes[i].sni)
			return &r->probes[i];
	return NULL;
}

/* What the connection without SNI got, in words, into buf. */
static const char *without_sni(const struct tls_report *r, char *buf, size_t len)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	char names[400];

	if (r->handshake.status == HS_FAILED && a->present)
		snprintf(buf, len, "refused the handshake with %s (%d)", alert_name(a->code),
			 a->code);
	else if (r->handshake.status == HS_FAILED)
		snprintf(buf, len, "failed the handshake (%s)",
			 r->handshake.error ? r->handshake.error : "closed");
	else {
		join(&r->chain[0].san, names, sizeof(names), r->chain[0].subject);
		snprintf(buf, len, "served a certificate for %s, not valid for %s", names,
			 r->verification.hostname.name ? r->verification.hostname.name
						       : "the name");
	}
	return buf;
}

/* A fatal unrecognized_name (112), or a handshake without SNI that failed or served a
 * certificate for another name while the follow-up with SNI worked. Claims the handshake's
 * failure and the name check: the fix is SNI, not another certificate. */
static bool diagnose_sni(struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	const struct tls_probe *p = sni_probe(r);
	const char *sent = r->target.sni;
	bool refused_name =
		r->handshake.status == HS_FAILED && a->present && a->code == 112 && alert_ended(r);
	bool worked = p && p->accepted && p->name_ok && p->other_cert;
	char first[600], fix[700], why[160];

	if (sent) {
		if (!refused_name)
			return false;
		snprintf(fix, sizeof(fix),
			 "Connect with a name the server serves (--sni NAME, or connect by that "
			 "name), or add %s to the server: nginx: server_name %s; in a server block "
			 "with its certificate; HAProxy: a crt whose certificate holds it.",
			 sent, sent);
		add(r, "sni-required", SUBJ_CONNECTION, -1, fix,
		    "The server refused the name %s, sent as SNI, with a fatal alert "
		    "unrecognized_name "
		    "(112): it serves no site of that name.",
		    sent);
		return true;
	}
	if (!worked && !refused_name)
		return false;
	snprintf(why, sizeof(why), "%s",
		 target_is_ip(r->target.host)
			 ? "the target is an IP address, and RFC 6066 §3 allows only names as SNI"
			 : "--no-sni");
	without_sni(r, first, sizeof(first));
	if (worked) {
		snprintf(fix, sizeof(fix),
			 "Send the name: connect to %s by name, or add --sni %s --verify-name %s "
			 "when "
			 "connecting by address. Or make the server answer clients without SNI: "
			 "nginx: "
			 "put this certificate in the listen ... default_server block "
			 "(server_name), "
			 "or drop ssl_reject_handshake; HAProxy: drop strict-sni from the bind "
			 "line.",
			 p->sni, p->sni, p->sni);
		add(r, "sni-required", SUBJ_CONNECTION, -1, fix,
		    "No SNI was sent (%s). Without SNI the server %s; with SNI %s the handshake "
		    "completed (%s %s) with a certificate for %s.",
		    why, first, p->sni, p->version ? p->version : "?",
		    p->cipher_suite ? p->cipher_suite : "", p->served ? p->served : "that name");
		return true;
	}
	char second[500];
	if (!p)
		snprintf(second, sizeof(second),
			 "no name was known to try as SNI (give --verify-name NAME and tlsscope "
			 "tries it)");
	else if (p->accepted)
		snprintf(second, sizeof(second),
			 "with SNI %s the handshake completed, but the certificate (for %s) is %s",
			 p->sni, p->served ? p->served : "?",
			 p->other_cert ? "not valid for that name either" : "the same");
	else if (p->alert >= 0)
		snprintf(second, sizeof(second), "with SNI %s it refused too, with %s (%d)", p->sni,
			 alert_name(p->alert), p->alert);
	else
		snprintf(second, sizeof(second), "with SNI %s it failed too", p->sni);
	add(r, "sni-required", SUBJ_CONNECTION, -1,
	    "Send SNI with a name the server serves: --sni NAME --verify-name NAME, or connect by "
	    "name. Or let the server answer clients without SNI: nginx: a listen ... "
	    "default_server block with a certificate instead of ssl_reject_handshake on; "
	    "HAProxy: drop strict-sni from the bind line.",
	    "No SNI was sent (%s), and the server %s; %s.", why, first, second);
	return true;
}

static void diagnose_handshake(struct tls_report *r, bool claimed)
{
	enum tls_dir dir = TLS_DIR_SENT;
	const char *last = last_step_name(r, &dir);
	const char *after = dir == TLS_DIR_SENT ? "we sent" : "we received";
	const struct tls_alert *a = &r->handshake.alert_received;
	bool explained = claimed;

	if (r->handshake.status == HS_TIMEOUT) {
		add(r, "handshake-timeout", SUBJ_CONNECTION, -1, NULL,
		    "TCP connected, then nothing came for %.1f s after %s %s.",
		    r->timing.handshake_ms / 1000.0,
		    last ? after : "connecting:", last ? last : "not even a ClientHello went out");
		return;
	}
	if (r->handshake.status == HS_FAILED) {
		if (!looks_like_tls(r->handshake.first_bytes, r->handshake.n_first_bytes)) {
			if (diagnose_starttls_needed(r))
				return;
			char *bytes = textsafe_bytes(r->handshake.first_bytes,
						     r->handshake.n_first_bytes);
			add(r, "not-tls", SUBJ_CONNECTION, -1, NULL,
			    "The first bytes from the peer were \"%s\", which is not a TLS "
			    "record%s.",
			    bytes,
			    strncmp((const char *)r->handshake.first_bytes, "HTTP/", 5) == 0
				    ? ": it is a plain HTTP server"
				    : "");
			free(bytes);
			return;
		}
		if (!explained)
			diagnose_mismatch(r, &explained);
		if (!explained && alert_ended(r)) {
			char probes[200] = "", level[96];
			if (r->n_probes)
				snprintf(
					probes, sizeof(probes),
					" Offering everything GnuTLS can offer (every version, "
					"cipher, MAC, key exchange, group and signature algorithm) "
					"did not help.");
			add(r, "alert-received", SUBJ_CONNECTION, -1, NULL,
			    "The peer sent %s %s alert (%d) after %s %s.%s", alert_level(a, level),
			    alert_name(a->code), a->code, after, last ? last : "nothing", probes);
			explained = true;
		}
		if (!explained && r->handshake.peer_closed)
			add(r, "connection-closed", SUBJ_CONNECTION, -1, NULL,
			    "The peer closed the connection without an alert after %s %s.", after,
			    last ? last : "nothing");
		return;
	}
	if (r->handshake.status == HS_COMPLETE && !explained && a->present &&
	    a->level == GNUTLS_AL_FATAL)
		add(r, "alert-received", SUBJ_CONNECTION, -1, NULL,
		    "The handshake completed, then the peer sent a fatal %s alert (%d): the "
		    "connection is unusable.",
		    alert_name(a->code), a->code);
}

/* ---- client certificates ---- */

static bool has_step_type(const struct tls_report *r, enum tls_dir dir, enum tls_step_type type)
{
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		if (r->handshake.steps[i].dir == dir && r->handshake.steps[i].type == type)
			return true;
	return false;
}

static bool has_sent_certificate(const struct tls_report *r)
{
	return has_step_type(r, TLS_DIR_SENT, STEP_CERTIFICATE);
}

/* A fault of the loaded client chain that diagnose_identity found: the evidence for a
 * refusal (the chain's errors, and an issuer the server did not list). */
static bool is_evidence(const struct tls_finding *f)
{
	return f->subject == SUBJ_CLIENT_CHAIN && strcmp(f->id, "client-cert-rejected") != 0 &&
	       (f->severity == SEV_ERROR || strcmp(f->id, "client-cert-ca-not-accepted") == 0);
}

/* Alerts a server sends when it does not like the client certificate it got (RFC 8446 §6.2). */
static bool is_certificate_alert(int code)
{
	return code == 42 || code == 43 || code == 44 || code == 45 || code == 46 || code == 48 ||
	       code == 49 || code == 51 || code == 116;
}

/* The server asked for a client certificate: what came of it. Refusals come as an alert
 * (during the handshake in TLS 1.2, as the first record after it in TLS 1.3) or as HTTP
 * 400/495/496 from a server that checks at the HTTP layer (nginx). Returns true when a
 * refusal is explained, so that no generic alert finding repeats it. */
/* The likely causes of a refusal, ranked from what we know of the certificate we sent, into
 * buf: the evidence first (expired, no clientAuth, an issuer the server did not list), the
 * usual suspects after. app: no TLS alert came, so the application refused. */
static void refusal_causes(const struct tls_report *r, bool app, char *buf, size_t len)
{
	const struct tls_client_auth *ca = &r->client_auth;
	const struct tls_cert_info *ci = ca->certificate;
	long long now = (long long)time(NULL);
	int n = 0;

	buf[0] = 0;
#define CAUSE(...)                                                                                 \
	snprintf(buf + strlen(buf), len - strlen(buf), "%s%d) ", n ? "; " : "", n + 1),            \
		snprintf(buf + strlen(buf), len - strlen(buf), __VA_ARGS__), n++
	/* The loaded chain's own faults (diagnose_identity) are the evidence: the rest are
	 * guesses and come only when there is none. */
	for (size_t i = 0; i < r->n_findings && n < 3; i++) {
		const struct tls_finding *f = &r->findings[i];
		if (is_evidence(f))
			CAUSE("your certificate: %s [%s]", f->detail, f->id);
	}
	if (n) {
		if (app)
			CAUSE("the application, not TLS, refused it (no TLS alert came)");
		return;
	}
	if (ci && ci->not_after && ci->not_after < now) {
		char when[32];
		time_t t = (time_t)ci->not_after;
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		CAUSE("it has expired (not after %s)", when);
	}
	if (ci && ci->not_before > now)
		CAUSE("it is not valid yet");
	if (ci && ci->has_eku && !strlist_contains(&ci->eku, "clientAuth") &&
	    !strlist_contains(&ci->eku, "any"))
		CAUSE("it lacks extendedKeyUsage clientAuth");
	if (ca->issuer_unlisted)
		CAUSE("its issuer is not among the CAs the server listed (sent with "
		      "--force-client-cert)");
	if (app)
		CAUSE("the application, not TLS, refused it: no TLS alert came, so the TLS layer "
		      "accepted the certificate and a check above it (its serial number, subject "
		      "or another field) failed; the application's log says which");
	else
		CAUSE("it is not issued by a CA in the server's client CA file");
	if (!app && n < 3)
		CAUSE("the server checks something else (a CRL, the subject, the serial)");
#undef CAUSE
}

static void diagnose_cert(struct tls_report *r, enum tls_subject subj, size_t i, long long now,
			  bool files, bool *any);

/* Connect mode: this side's own client chain (client_auth.chain), checked as the server will
 * check it (dates, keys, algorithms, constraints, extendedKeyUsage clientAuth). Errors only
 * when it was sent: a certificate the server never saw breaks nothing yet. cert_index indexes
 * client_auth.chain. */
static void diagnose_identity(struct tls_report *r)
{
	struct tls_client_auth *ca = &r->client_auth;
	long long now = (long long)time(NULL);
	struct tls_report tmp;
	bool any = false;

	if (!ca->n_chain)
		return;
	report_init(&tmp, TLS_MODE_CONNECT);
	tmp.chain = ca->chain;
	tmp.n_chain = ca->n_chain;
	tmp.policy = r->policy;
	tmp.policy.check_purpose = true;
	for (size_t i = 0; i < ca->n_chain; i++) {
		strlist_free(&ca->chain[i].status);
		diagnose_cert(&tmp, SUBJ_CLIENT_CHAIN, i, now, false, &any);
	}
	if (ca->sent && ca->issuer_unlisted) {
		char cas[512];
		join(&ca->acceptable_cas, cas, sizeof(cas), "(none)");
		/* A warning: the server's refusal, when it comes, is the error. */
		add_sev(&tmp, "client-cert-ca-not-accepted", SEV_WARNING, SUBJ_CLIENT_CHAIN, -1,
			"Use a client certificate issued by one of the CAs the server lists, or "
			"add "
			"your CA to the server's client CA file.",
			"Your certificate (%s) is issued by \"%s\", which is not among the CAs the "
			"server accepts: %s. It was sent anyway (--force-client-cert).",
			ca->chain[0].subject, ca->chain[0].issuer, cas);
	}
	for (size_t i = 0; i < tmp.n_findings; i++) {
		struct tls_finding *f = &tmp.findings[i];
		/* The catalog's fix for an expired certificate speaks of a server's. */
		const char *fix = strcmp(f->id, "expired") == 0
					  ? "Renew the client certificate and load the new one "
					    "(--cert and --key, or --p12)."
					  : f->fix;
		report_add_finding(r, f->id, ca->sent ? f->severity : SEV_WARNING, f->subject,
				   f->cert_index, f->title, f->detail, fix);
	}
	tmp.chain = NULL;
	tmp.n_chain = 0;
	report_free(&tmp);
}

static bool diagnose_client_cert(struct tls_report *r)
{
	const struct tls_finding *evidence = NULL;
	for (size_t i = 0; i < r->n_findings && !evidence; i++)
		if (is_evidence(&r->findings[i]))
			evidence = &r->findings[i];
	const struct tls_client_auth *ca = &r->client_auth;
	const struct tls_alert *a = &r->handshake.alert_received;
	int http = r->http.status_code;
	/* 401 and 403 refuse the certificate when none was sent or when they say so; otherwise
	 * they are the application's answer to this path. */
	bool http_refused =
		http == 400 || http == 495 || http == 496 ||
		((http == 401 || http == 403) && (!ca->sent || http_names_certificate(&r->http)));
	bool alert_refused = a->present && a->level == GNUTLS_AL_FATAL &&
			     (r->handshake.post_handshake_alert || has_sent_certificate(r));
	/* After STARTTLS the protocol's own first request plays the HTTP request's part. */
	bool app_refused = r->application.refused && r->application.names_certificate;
	http_refused = http_refused || app_refused;
	bool closed = r->handshake.status == HS_COMPLETE && r->closed_without_answer &&
		      !alert_refused && !http_refused;
	char how[512];

	if (!ca->requested) {
		if (ca->loaded && r->handshake.status == HS_COMPLETE)
			add(r, "client-cert-not-requested", SUBJ_CONNECTION, -1, NULL,
			    "You loaded %s, but the server never asked for a client certificate, "
			    "so it was not sent.",
			    ca->loaded_subject ? ca->loaded_subject : "a client certificate");
		return false;
	}
	if (alert_refused)
		snprintf(how, sizeof(how), "the alert %s (%d)%s", alert_name(a->code), a->code,
			 r->handshake.post_handshake_alert ? " right after the handshake" : "");
	else if (app_refused)
		snprintf(how, sizeof(how), "\"%s\" to the %s request after STARTTLS",
			 r->application.answer, r->application.protocol);
	else if (http_refused)
		snprintf(how, sizeof(how), "\"%s\"%s%s%s to the HTTP request",
			 r->http.status_line ? r->http.status_line : "?",
			 r->http.body_head ? " (body: \"" : "",
			 r->http.body_head ? r->http.body_head : "",
			 r->http.body_head ? "\")" : "");
	else if (closed)
		snprintf(
			how, sizeof(how),
			"by closing the connection %.0f ms after the handshake without an answer%s",
			r->closed_after_ms,
			r->http.present	       ? " to the HTTP request"
			: r->starttls.protocol ? ""
					       : " (no HTTP request was sent)");
	http_refused = http_refused || closed;
	if (!ca->sent && ca->loaded && ca->issuer_not_acceptable) {
		char cas[512];
		join(&ca->acceptable_cas, cas, sizeof(cas), "(none)");
		add(r, "client-cert-ca-not-accepted", SUBJ_CLIENT_CHAIN, -1, NULL,
		    "Your certificate (%s) is issued by \"%s\", which is not among the CAs the "
		    "server accepts: %s. GnuTLS therefore sent an empty Certificate message%s%s.",
		    ca->loaded_subject ? ca->loaded_subject : "?",
		    ca->loaded_issuer ? ca->loaded_issuer : "?", cas,
		    alert_refused || http_refused ? ", and the server answered " : "",
		    alert_refused || http_refused ? how : "");
		return alert_refused || http_refused;
	}
	if (!ca->sent) {
		if (alert_refused || http_refused) {
			add(r, "client-cert-required", SUBJ_CONNECTION, -1, NULL,
			    "The server asked for a client certificate, none was sent, and it "
			    "answered %s.%s",
			    how,
			    app_refused && !alert_refused
				    ? " The handshake itself succeeded: this server checks after "
				      "it, "
				      "in the protocol, so openssl s_client and gnutls-cli report "
				      "success."
			    : http_refused && !alert_refused && r->starttls.protocol
				    ? " The handshake itself succeeded on this side, so openssl "
				      "s_client and gnutls-cli report success."
			    : http_refused && !alert_refused
				    ? " The handshake itself succeeded: this server checks at the "
				      "HTTP layer, so openssl s_client and gnutls-cli report "
				      "success."
				    : "");
			return true;
		}
		if (r->handshake.status == HS_COMPLETE)
			add(r, "client-cert-requested", SUBJ_CONNECTION, -1, NULL,
			    "The server asked for a client certificate (acceptable CAs: %zu), none "
			    "was sent, and it carried on.",
			    ca->acceptable_cas.n);
		return false;
	}
	if ((alert_refused && is_certificate_alert(a->code)) || http_refused) {
		char causes[640];
		refusal_causes(r, closed || app_refused, causes, sizeof(causes));
		add(r, "client-cert-rejected", SUBJ_CLIENT_CHAIN, 0,
		    evidence ? evidence->fix : NULL,
		    "The server refused the client certificate %s %s%s. Likely causes, most "
		    "likely first: %s.",
		    ca->certificate && ca->certificate->subject ? ca->certificate->subject : "",
		    closed ? "" : "with ", how, causes);
		return true;
	}
	return false;
}

/* ---- the chain ---- */

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
	add(r, "missing-intermediate", subj, (int)top, fix,
	    "The server sent %zu certificate%s; the last one (%s) is issued by \"%s\", which it "
	    "did not send. It was fetched from %s (AIA caIssuers, %s): %s, sha256 %s%s. Most "
	    "clients (curl, Python, Java, Go, OpenSSL) do not fetch it and refuse the chain; "
	    "Chrome fetches it%s.",
	    top + 1, top ? "s" : "", t->subject, t->issuer, fc->url, fc->format, fc->info.subject,
	    fc->info.sha256, r->aia.n_certs > 1 ? ", and the certificate above it" : "",
	    r->verification.trusted ? "" : " (and even with it the chain is not trusted)");
}

static void diagnose_trust(struct tls_report *r, enum tls_subject subj, bool *any)
{
	const struct tls_verification *v = &r->verification;
	const char *side = subj == SUBJ_SERVER_CHAIN ? "server" : "client";

	if (!r->n_chain)
		return;
	size_t top = chain_top(r);
	const struct tls_cert_info *t = &r->chain[top];

	if (subj == SUBJ_CLIENT_CHAIN) {
		if (v->done && !v->trusted && (v->gnutls_status & GNUTLS_CERT_SIGNER_NOT_FOUND)) {
			add(r, "client-cert-untrusted", subj, (int)top, NULL,
			    "The client's certificate (%s) is issued by \"%s\", which is not among "
			    "the --client-ca anchors%s.",
			    r->chain[0].subject, t->self_signed ? t->subject : t->issuer,
			    t->self_signed && top == 0 ? " (it signs itself)" : "");
			*any = true;
		}
		return;
	}
	if (v->done && r->aia.n_certs && !t->self_signed) {
		diagnose_fetched(r, subj, top);
		*any = true;
		return;
	}
	if (v->done && r->intermediate_found && !t->self_signed) {
		/* Trusted or not, a client without the --intermediates would fail. */
		add(r, "missing-intermediate", subj, (int)top, NULL,
		    "The %s sent %zu certificate%s; the last one (%s) is issued by \"%s\", which "
		    "it did not send: only the --intermediates you gave complete the chain%s.",
		    side, top + 1, top ? "s" : "", t->subject, t->issuer,
		    v->trusted ? "" : " (and even then it is not trusted)");
		*any = true;
		return;
	}
	if (!v->done || v->trusted || !(v->gnutls_status & GNUTLS_CERT_SIGNER_NOT_FOUND))
		return;
	*any = true;
	if (top == 0 && t->self_signed) {
		add(r, "self-signed", subj, 0, NULL,
		    "The %s's certificate (%s) signs itself, and it is not among the trusted "
		    "certificates.",
		    side, t->subject);
	} else if (t->self_signed) {
		add(r, "untrusted-issuer", subj, (int)top, NULL,
		    "The chain ends in the root \"%s\", which is not trusted here.", t->subject);
	} else if (t->has_aia_ca_issuers || r->intermediate_found) {
		add(r, "missing-intermediate", subj, (int)top, NULL,
		    "The %s sent %zu certificate%s; the last one (%s) is issued by \"%s\", which "
		    "it did not send%s%s.",
		    side, top + 1, top ? "s" : "", t->subject, t->issuer,
		    r->intermediate_found ? " and which is among the --intermediates you gave"
		    : r->aia.error	  ? "; fetching it from its Authority Information Access "
					    "failed: "
					  : " (its Authority Information Access names where to "
					    "fetch it)",
		    r->intermediate_found || !r->aia.error ? "" : r->aia.error);
	} else {
		add(r, "untrusted-issuer", subj, (int)top, NULL,
		    "No trusted certificate issued \"%s\" (the issuer of certificate %zu, %s).",
		    t->issuer, top, t->subject);
	}
}

static bool has_serverauth_or_any(const struct tls_cert_info *ci, bool server)
{
	return !ci->has_eku || strlist_contains(&ci->eku, server ? "serverAuth" : "clientAuth") ||
	       strlist_contains(&ci->eku, "anyExtendedKeyUsage");
}

/* How a finding names a certificate: "Certificate 1 (CN=x)", or for a trust anchor the peer did
 * not send, its subject and SHA-256 fingerprint (it has no place in the sent chain). */
static const char *cert_label(const struct tls_cert_info *ci, size_t i, char *buf, size_t len)
{
	if (ci->is_anchor)
		snprintf(buf, len, "The trust anchor %s (sha256 %s), which the peer did not send,",
			 ci->subject, ci->sha256);
	else
		snprintf(buf, len, "Certificate %zu (%s)", i, ci->subject);
	return buf;
}

/* Whether the keyUsage extension forbids signing certificates (RFC 5280 §4.2.1.3). */
static bool lacks_key_cert_sign(const struct tls_cert_info *ci)
{
	return ci->has_key_usage && !strlist_contains(&ci->key_usage, "keyCertSign");
}

/* Dates, algorithms and key size: the same for every certificate, anchors included (OpenSSL
 * checks an anchor's dates and, at security level 2, its key; not its own signature). */
static void diagnose_cert_basics(struct tls_report *r, enum tls_subject subj,
				 const struct tls_cert_info *ci, size_t i, long long now,
				 bool files, bool *any)
{
	const struct tls_policy *pol = &r->policy;
	int idx = ci->is_anchor ? -1 : (int)i;
	char when[32], who[512];

	cert_label(ci, i, who, sizeof(who));
	if (ci->not_after < now) {
		char *ago = format_span(now - ci->not_after);
		util_iso_time(ci->not_after, when, sizeof(when));
		/* In files, a self-signed CA is a trust anchor: one that signs nothing given
		 * with it (a bundle of roots) is a warning, it breaks no chain here. */
		bool root = files && ci->self_signed && (ci->is_ca || ci->version == 1);
		bool alone = root && (i == 0 || !ci->issues_previous);
		if (ci->is_anchor || root)
			add_sev(r, "anchor-expired", alone ? SEV_WARNING : SEV_ERROR, subj, idx,
				alone ? "Remove it from the bundle, or replace it with its current "
					"version: a chain that ends in it fails."
				      : NULL,
				"%s expired on %s, %s ago. OpenSSL (s_client, Python's ssl, curl) "
				"and GnuTLS refuse a chain that ends in it: \"certificate has "
				"expired\".",
				who, when, ago);
		else
			add(r, "expired", subj, idx, NULL, "%s expired on %s, %s ago.", who, when,
			    ago);
		free(ago);
		*any = true;
	} else if (ci->not_before > now) {
		char *in = format_span(ci->not_before - now);
		util_iso_time(ci->not_before, when, sizeof(when));
		add(r, "not-yet-valid", subj, idx, NULL, "%s is valid only from %s, in %s.", who,
		    when, in);
		free(in);
		*any = true;
	} else if (ci->not_after - now < 30 * 86400) {
		char *in = format_span(ci->not_after - now);
		util_iso_time(ci->not_after, when, sizeof(when));
		add(r, "expires-soon", subj, idx, NULL, "%s expires on %s, in %s.", who, when, in);
		free(in);
	}
	bool sha1 = ci->sign_algo > 0 &&
		    gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)ci->sign_algo) ==
			    GNUTLS_DIG_SHA1;
	if (!ci->sign_secure && !ci->self_signed && !(sha1 && pol->allow_sha1)) {
		add(r, "insecure-signature", subj, idx, NULL,
		    "%s is signed with %s. GnuTLS refuses it by default, and "
		    "OpenSSL-based clients (Python's ssl, curl, nginx, at Debian's security level "
		    "2) "
		    "refuse it too.",
		    who, ci->signature_algorithm);
		*any = true;
	}
	bool rsa_like = strcmp(ci->key_algorithm, "RSA") == 0 ||
			strcmp(ci->key_algorithm, "RSA-PSS") == 0 ||
			strcmp(ci->key_algorithm, "DSA") == 0;
	bool ec = strcmp(ci->key_algorithm, "ECDSA") == 0;
	if ((rsa_like && ci->key_bits < pol->min_rsa_bits) ||
	    (ec && ci->key_bits < pol->min_ec_bits)) {
		add(r, "weak-key", subj, idx, NULL,
		    "%s has a %u-bit %s key. GnuTLS may accept it, but "
		    "OpenSSL-based peers at security level 2 (Python's ssl, curl, nginx on current "
		    "distributions) refuse keys under %u bits RSA or %u bits EC (\"%s key too "
		    "weak\").",
		    who, ci->key_bits, ci->key_algorithm, pol->min_rsa_bits, pol->min_ec_bits,
		    ci->index == 0 && !ci->is_anchor ? "EE certificate" : "CA certificate");
		*any = true;
	}
	if (ci->unknown_critical.n) {
		char oids[256];
		join(&ci->unknown_critical, oids, sizeof(oids), "");
		add(r, "unknown-critical-extension", subj, idx, NULL,
		    "%s carries the critical extension%s %s, which no TLS client knows: OpenSSL "
		    "says \"unhandled critical extension\", GnuTLS refuses it too.",
		    who, ci->unknown_critical.n == 1 ? "" : "s", oids);
		*any = true;
	}
}

/* The constraints an issuer puts on what is below it: CA flag, keyCertSign, pathLen, names. */
static void diagnose_issuer(struct tls_report *r, enum tls_subject subj,
			    const struct tls_cert_info *ci, size_t i, size_t below, bool *any)
{
	int idx = ci->is_anchor ? -1 : (int)i;
	char who[512];

	cert_label(ci, i, who, sizeof(who));
	if (!ci->is_ca && !(ci->version == 1 && ci->self_signed)) {
		add(r, "not-a-ca", subj, idx, NULL,
		    "%s issued certificate %zu but is not marked CA:TRUE%s.", who, below,
		    ci->version == 1 ? " (a version 1 certificate cannot be)" : "");
		*any = true;
	} else if (lacks_key_cert_sign(ci)) {
		char ku[256];
		join(&ci->key_usage, ku, sizeof(ku), "none");
		add(r, "not-a-ca", subj, idx,
		    "Reissue the issuing certificate with keyUsage = critical, keyCertSign, "
		    "cRLSign "
		    "(certtool: cert_signing_key in the template).",
		    "%s issued certificate %zu, but its keyUsage (%s) lacks keyCertSign: OpenSSL "
		    "(s_client, Python's ssl, curl) says \"invalid CA certificate\" (then, when it "
		    "goes on, \"key usage does not include certificate signing\"), GnuTLS "
		    "\"signer constraints failure\".",
		    who, below, ku);
		*any = true;
	}
	if (ci->path_len_exceeded) {
		add(r, "path-length-exceeded", subj, idx, NULL,
		    "%s allows %d intermediate CA%s below it (pathLenConstraint), but the chain "
		    "has "
		    "%zu: OpenSSL says \"path length constraint exceeded\".",
		    who, ci->path_len, ci->path_len == 1 ? "" : "s", ci->is_anchor ? below : i - 1);
		*any = true;
	}
	if (ci->nc_violated_by >= 0) {
		char names[512], allowed[512];
		size_t v = (size_t)ci->nc_violated_by;
		const struct tls_cert_info *bad = v < r->n_chain ? &r->chain[v] : NULL;
		join(&ci->name_constraints, allowed, sizeof(allowed), "?");
		if (bad)
			join(&bad->san, names, sizeof(names), "no subjectAltName");
		bool permits = strstr(allowed, "permitted ") != NULL;
		bool excludes = strstr(allowed, "excluded ") != NULL;
		add(r, "name-constraint-violated", subj, idx, NULL,
		    "%s limits the names below it (%s), but certificate %zu holds %s: OpenSSL says "
		    "\"%s\".",
		    who, allowed, v, bad ? names : "a name outside them",
		    permits && excludes ? "permitted subtree violation\" or \"excluded subtree "
					  "violation"
		    : permits		? "permitted subtree violation"
					: "excluded subtree violation");
		*any = true;
	}
}

static void diagnose_cert(struct tls_report *r, enum tls_subject subj, size_t i, long long now,
			  bool files, bool *any)
{
	const struct tls_cert_info *ci = &r->chain[i];
	const struct tls_policy *pol = &r->policy;

	diagnose_cert_basics(r, subj, ci, i, now, files, any);
	if (ci->version == 1)
		add(r, "v1-certificate", subj, (int)i, NULL,
		    "Certificate %zu (%s) is X.509 version 1: it cannot carry subjectAltName, key "
		    "usage or CA flags.",
		    i, ci->subject);
	if (i > 0 && ci->issues_previous)
		diagnose_issuer(r, subj, ci, i, i - 1, any);
	if (ci->verify_status & GNUTLS_CERT_SIGNER_NOT_CA &&
	    (i + 1 >= r->n_chain || !r->chain[i + 1].issues_previous) && !r->anchor) {
		add(r, "not-a-ca", subj, (int)i, NULL,
		    "The trusted certificate that issued certificate %zu (\"%s\") is not marked "
		    "CA:TRUE.",
		    i, ci->issuer);
		*any = true;
	}
	bool server = subj == SUBJ_SERVER_CHAIN;
	if (pol->check_purpose && (i == 0 || !ci->self_signed) &&
	    !has_serverauth_or_any(ci, server)) {
		char eku[256];
		join(&ci->eku, eku, sizeof(eku), "none");
		add(r, "wrong-purpose", subj, (int)i,
		    server ? "Reissue it with extendedKeyUsage = serverAuth (certtool: "
			     "tls_www_server)."
			   : "Reissue it with extendedKeyUsage = clientAuth (certtool: "
			     "tls_www_client).",
		    "Certificate %zu (%s) allows %s, not TLS %s use.", i, ci->subject, eku,
		    server ? "server" : "client");
		*any = true;
	}
	if (ci->verify_status & GNUTLS_CERT_REVOKED) {
		add(r, "revoked", subj, (int)i, NULL,
		    "Certificate %zu (%s, serial %s) is listed as revoked.", i, ci->subject,
		    ci->serial_hex);
		*any = true;
	}
}

/* The trust anchor above the sent chain: its dates, key, critical extensions and the
 * constraints it puts on the chain below it. */
static void diagnose_anchor(struct tls_report *r, enum tls_subject subj, long long now, bool *any)
{
	const struct tls_cert_info *a = r->anchor;

	if (!a || !r->n_chain)
		return;
	diagnose_cert_basics(r, subj, a, 0, now, false, any);
	diagnose_issuer(r, subj, a, 0, chain_top(r), any);
	/* OpenSSL checks the anchor's extendedKeyUsage against the role too (s_client, Python's
	 * ssl and curl refuse a root that allows clientAuth only); GnuTLS does not. */
	bool server = subj == SUBJ_SERVER_CHAIN;
	if (r->policy.check_purpose && !has_serverauth_or_any(a, server)) {
		char eku[256], who[512];
		join(&a->eku, eku, sizeof(eku), "none");
		add(r, "wrong-purpose", subj, -1,
		    "Reissue the root without extendedKeyUsage (a CA needs none), or with the "
		    "purposes of every certificate below it.",
		    "%s allows %s only, not TLS %s use: OpenSSL-based peers (s_client, Python's "
		    "ssl, curl) refuse every chain below it (\"unsuitable certificate purpose\"); "
		    "GnuTLS accepts it.",
		    cert_label(a, 0, who, sizeof(who)), eku, server ? "server" : "client");
		*any = true;
	}
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
			add(r, "crl-expired", subj, cf->for_chain ? first : -1, NULL,
			    "The CRL issued by \"%s\" was valid until %s (its nextUpdate). An "
			    "OpenSSL-based peer that checks it (nginx ssl_crl, HAProxy crl-file) "
			    "then refuses every certificate that CA issued (\"CRL has expired\"), "
			    "%s.",
			    cf->issuer, rev_when(cf->next_update, when),
			    subj == SUBJ_CLIENT_CHAIN ? "so every client is turned away"
						      : "the good ones too");
		if (!cf->for_chain)
			add(r, "crl-not-for-chain", subj, -1, NULL,
			    "The CRL issued by \"%s\" covers none of the %zu certificates of this "
			    "chain: none of them is issued by that CA.",
			    cf->issuer, r->n_chain);
	}
}

static void diagnose_revocation(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_revocation_facts *f = &r->revocation;
	char when[32];

	diagnose_crls(r, subj);
	for (size_t i = 0; i < f->n_certs && i < r->n_chain; i++) {
		const struct tls_cert_revocation *cr = &f->certs[i];
		const struct tls_cert_info *ci = &r->chain[i];
		/* GnuTLS's own verdict (diagnose_cert) already says so when it saw the CRL. */
		if (cr->crl == REV_REVOKED && !(ci->verify_status & GNUTLS_CERT_REVOKED))
			add(r, "revoked", subj, (int)i, NULL,
			    "Certificate %zu (%s, serial %s) is listed in a loaded CRL.", i,
			    ci->subject, ci->serial_hex);
		if (cr->ocsp_stapled == REV_REVOKED)
			add(r, "revoked", subj, (int)i, NULL,
			    "Certificate %zu (%s, serial %s) is revoked by the stapled OCSP "
			    "response (revoked on %s).",
			    i, ci->subject, ci->serial_hex, rev_when(f->staple_revoked_at, when));
		if (cr->ocsp_stapled == REV_INVALID)
			add(r, "ocsp-staple-invalid", subj, (int)i, NULL,
			    "The server stapled an OCSP response, but %s. Clients that check "
			    "staples (gnutls-cli, Firefox) refuse the connection.",
			    f->staple_error ? f->staple_error : "it cannot be used");
		if (cr->ocsp_queried == REV_REVOKED)
			add(r, "revoked", subj, (int)i, NULL,
			    "Certificate %zu (%s, serial %s) is revoked, says its OCSP responder "
			    "%s.",
			    i, ci->subject, ci->serial_hex, cr->ocsp_url);
		else if (cr->ocsp_queried == REV_UNKNOWN)
			add(r, "ocsp-unknown", subj, (int)i, NULL,
			    "The OCSP responder %s answered \"unknown\" for certificate %zu (%s, "
			    "serial %s).",
			    cr->ocsp_url, i, ci->subject, ci->serial_hex);
		else if (cr->ocsp_queried == REV_UNREACHABLE)
			add(r, "ocsp-unreachable", subj, (int)i, NULL,
			    "The OCSP responder %s of certificate %zu (%s) gave no usable answer: "
			    "%s.",
			    cr->ocsp_url ? cr->ocsp_url : "(none)", i, ci->subject,
			    cr->ocsp_error ? cr->ocsp_error : "no answer");
	}
	if (f->must_staple && !f->staple && r->handshake.status == HS_COMPLETE)
		add(r, "ocsp-must-staple-missing", subj, 0, NULL,
		    "The certificate (%s) carries the TLS feature status_request (RFC 7633, "
		    "\"must-staple\"), but the server stapled no OCSP response.",
		    r->chain[0].subject);
	if (subj == SUBJ_SERVER_CHAIN && r->n_chain > 1 && r->chain[r->n_chain - 1].self_signed &&
	    r->chain[r->n_chain - 1].issues_previous)
		add(r, "chain-has-root", subj, (int)r->n_chain - 1, NULL,
		    "The server sends %zu certificates; the last one (%s) is the self-signed root, "
		    "which clients must already hold.",
		    r->n_chain, r->chain[r->n_chain - 1].subject);
}

static void diagnose_chain(struct tls_report *r, enum tls_subject subj)
{
	long long now = (long long)time(NULL);
	bool any = false;
	size_t before = r->n_findings;

	if (!r->n_chain)
		return;
	diagnose_trust(r, subj, &any);
	for (size_t i = 0; i < r->n_chain; i++)
		diagnose_cert(r, subj, i, now, false, &any);
	diagnose_anchor(r, subj, now, &any);
	for (size_t i = 1; i < r->n_chain; i++) {
		if (!r->chain[i].issues_previous) {
			add(r, "chain-order", subj, (int)i, NULL,
			    "Certificate %zu (%s) does not issue certificate %zu: the chain is out "
			    "of order or carries a certificate that does not belong.",
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
		join(&v->reasons, reasons, sizeof(reasons), "unknown");
		add(r, "untrusted-issuer", subj, 0, NULL, "Verification failed: %s.", reasons);
	}
}

/* ---- the name ---- */

/* The CN of an RFC 4514 DN string ("CN=x,O=y"), copied into buf. */
static const char *common_name(const char *dn, char *buf, size_t len)
{
	for (const char *p = dn; p && *p;) {
		if (strncmp(p, "CN=", 3) == 0) {
			size_t k = 0;
			for (p += 3; *p && *p != ',' && k + 1 < len; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf[k++] = *p;
			}
			buf[k] = 0;
			return buf;
		}
		while (*p && *p != ',') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (*p == ',')
			p++;
	}
	return NULL;
}

static bool has_name_san(const struct tls_cert_info *ci)
{
	for (size_t i = 0; i < ci->san.n; i++)
		if (strncmp(ci->san.v[i], "DNS:", 4) == 0 || strncmp(ci->san.v[i], "IP:", 3) == 0)
			return true;
	return false;
}

static void diagnose_hostname(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_hostname_check *h = &r->verification.hostname;
	char names[512], cnbuf[256], fix[768];

	if (!h->checked || !r->policy.check_hostname || r->n_chain == 0)
		return;
	const struct tls_cert_info *leaf = &r->chain[0];
	const char *cn = common_name(leaf->subject, cnbuf, sizeof(cnbuf));
	bool ip = target_is_ip(h->name);
	bool no_san = !has_name_san(leaf);
	const char *kind = ip ? "IP" : "DNS";
	snprintf(fix, sizeof(fix),
		 "Reissue the certificate with subjectAltName = %s:%s. With openssl, put that line "
		 "in a file given to 'openssl x509 -req ... -extfile FILE' (or use -addext "
		 "'subjectAltName=%s:%s' with 'openssl req -x509'); with certtool, add %s = \"%s\" "
		 "to the template.",
		 kind, h->name, kind, h->name, ip ? "ip_address" : "dns_name", h->name);
	if (h->match) {
		if (no_san && h->matched_by && strcmp(h->matched_by, "cn") == 0)
			add(r, "cn-only-no-san", subj, 0, fix,
			    "The name %s matches only the certificate's CN: Python, Go, Chrome, "
			    "curl "
			    "and OpenSSL's hostname check ignore the CN (RFC 6125) and will refuse "
			    "it.",
			    h->name);
		return;
	}
	join(&leaf->san, names, sizeof(names), "");
	if (!leaf->san.n)
		snprintf(names, sizeof(names), "no subjectAltName; subject %s", leaf->subject);
	add(r, "hostname-mismatch", subj, 0, fix,
	    "The certificate is not valid for %s. It holds: %s.", h->name, names);
	if (no_san)
		add(r, "cn-only-no-san", subj, 0, fix,
		    "The certificate has no subjectAltName%s%s%s. Python, Go, Chrome and curl "
		    "ignore the CN and look only at subjectAltName.",
		    cn ? " and names \"" : "", cn ? cn : "", cn ? "\" only in its CN" : "");
	char dns_ip[300];
	snprintf(dns_ip, sizeof(dns_ip), "DNS:%s", h->name);
	if (ip && ((cn && strcmp(cn, h->name) == 0) || strlist_contains(&leaf->san, dns_ip)))
		add(r, "ip-not-in-san", subj, 0, fix,
		    "%s appears %s, but an IP address matches only an IP entry of subjectAltName.",
		    h->name, cn && strcmp(cn, h->name) == 0 ? "in the CN" : "as a DNS name");
}

static void diagnose_version(struct tls_report *r)
{
	const char *v = r->negotiated.version;

	if (v && (strcmp(v, "TLS1.0") == 0 || strcmp(v, "TLS1.1") == 0 || strcmp(v, "SSL3.0") == 0))
		add(r, "tls-version-old", SUBJ_CONNECTION, -1, NULL,
		    "%s was negotiated; it is deprecated (RFC 8996) and current clients refuse it.",
		    v);
}

static void sort_and_judge(struct tls_report *r);

void diagnose_connect(struct tls_report *r)
{
	report_clear_findings(r);
	if (!diagnose_reach(r) && !diagnose_starttls(r)) {
		diagnose_identity(r);
		bool claimed = diagnose_client_cert(r);
		bool sni = !claimed && diagnose_sni(r);
		diagnose_handshake(r, claimed || sni);
		diagnose_version(r);
		diagnose_chain(r, SUBJ_SERVER_CHAIN);
		if (!sni)
			diagnose_hostname(r, SUBJ_SERVER_CHAIN);
		diagnose_unexplained(r, "the peer");
	}
	sort_and_judge(r);
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

int diagnose_recheck(struct tls_report *r, const struct tls_creds *trust)
{
	struct verify_request req;
	gnutls_x509_crt_t *crts;
	gnutls_datum_t *der;

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
	verify_request_init(&req, trust, r->target.verify_name,
			    r->mode == TLS_MODE_LISTEN ? GNUTLS_KP_TLS_WWW_CLIENT
						       : GNUTLS_KP_TLS_WWW_SERVER,
			    &r->policy);
	verify_report(&req, crts, (unsigned)r->n_chain, r);
	chain_free(crts, (unsigned)r->n_chain);
	diagnose_connect(r);
	return 0;
}

/* ---- listen mode ---- */

static void diagnose_listen_handshake(struct tls_report *r, bool claimed)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	int err = r->handshake.gnutls_error;
	enum tls_dir dir = TLS_DIR_SENT;
	const char *last = last_step_name(r, &dir);
	const char *after = dir == TLS_DIR_SENT ? "we sent" : "we received";

	if (r->handshake.status == HS_TIMEOUT) {
		add(r, "handshake-timeout", SUBJ_CONNECTION, -1,
		    "The client connected and stalled: check that it speaks TLS to this port and "
		    "does not wait for something (a STARTTLS greeting, a proxy header).",
		    "The client made no progress for %.1f s after %s %s.",
		    r->timing.handshake_ms / 1000.0,
		    last ? after : "connecting:", last ? last : "it sent nothing");
		return;
	}
	if (r->handshake.status != HS_FAILED || claimed)
		return;
	if (!looks_like_tls(r->handshake.first_bytes, r->handshake.n_first_bytes)) {
		char *bytes = textsafe_bytes(r->handshake.first_bytes, r->handshake.n_first_bytes);
		add(r, "not-tls", SUBJ_CONNECTION, -1,
		    "Point the client at https:// (or its TLS option) for this port.",
		    "The client's first bytes were \"%s\", which is not a TLS ClientHello%s.",
		    bytes,
		    strncmp((const char *)r->handshake.first_bytes, "GET ", 4) == 0 ||
				    strncmp((const char *)r->handshake.first_bytes, "POST ", 5) == 0
			    ? ": it speaks plain HTTP (http:// instead of https://)"
			    : "");
		free(bytes);
		return;
	}
	const char *cmax = r->listen.client_max_version;
	bool version_gap = cmax && r->offered_versions.n &&
			   !strlist_contains(&r->offered_versions, cmax) &&
			   strcmp(cmax, r->offered_versions.v[r->offered_versions.n - 1]) < 0;
	if (err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || (a->present && a->code == 70) ||
	    (version_gap &&
	     (err == GNUTLS_E_NO_CIPHER_SUITES || err == GNUTLS_E_INSUFFICIENT_SECURITY))) {
		char allowed[128];
		join(&r->offered_versions, allowed, sizeof(allowed), "?");
		add(r, "protocol-version-mismatch", SUBJ_CONNECTION, -1, NULL,
		    "The client offered at most %s; this listener allows %s.", cmax ? cmax : "?",
		    allowed);
		return;
	}
	if (err == GNUTLS_E_NO_CIPHER_SUITES || err == GNUTLS_E_UNKNOWN_CIPHER_SUITE ||
	    err == GNUTLS_E_NO_COMMON_KEY_SHARE || err == GNUTLS_E_INSUFFICIENT_SECURITY ||
	    (a->present && a->code == 71)) {
		add(r, "no-shared-cipher", SUBJ_CONNECTION, -1, NULL,
		    "The client offered no cipher suite, group or signature algorithm this "
		    "listener "
		    "allows (%s).",
		    r->handshake.error);
		return;
	}
	if (alert_ended(r)) {
		bool distrust = a->code == 42 || a->code == 45 || a->code == 46 || a->code == 48;
		char level[96];
		add(r, "alert-received", SUBJ_CONNECTION, -1,
		    distrust ? "Give the client the CA that issued this listener's certificate "
			       "(Python: load_verify_locations('ca.crt'); curl: --cacert ca.crt)."
			     : NULL,
		    "The client sent %s %s alert (%d) after %s %s%s.", alert_level(a, level),
		    alert_name(a->code), a->code, after, last ? last : "nothing",
		    distrust ? ": it does not trust this listener's certificate" : "");
		return;
	}
	if (r->handshake.peer_closed)
		add(r, "connection-closed", SUBJ_CONNECTION, -1, NULL,
		    "The client closed the connection without an alert after %s %s.", after,
		    last ? last : "nothing");
}

static bool diagnose_listen_client_cert(struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;
	enum tls_client_cert_mode mode = r->listen.client_cert;

	if (mode == CLIENT_CERT_NONE || ca->sent || r->n_chain)
		return false;
	if (r->handshake.status == HS_TIMEOUT ||
	    (r->handshake.status == HS_FAILED &&
	     !has_step_type(r, TLS_DIR_RECEIVED, STEP_CERTIFICATE)))
		return false; /* it never got that far */
	if (mode == CLIENT_CERT_REQUIRE) {
		const struct tls_alert *s = &r->handshake.alert_sent;
		report_add_finding(
			r, "client-sent-no-cert", SEV_ERROR, SUBJ_CLIENT_CHAIN, -1,
			diagnose_lookup("client-sent-no-cert")->title,
			s->present ? "The client sent no certificate, which this listener "
				     "requires; it was refused with an alert."
				   : "The client sent no certificate, which this listener "
				     "requires.",
			"Configure the client with its certificate and key (curl: --cert "
			"client.crt --key client.key; Python: "
			"ctx.load_cert_chain('client.crt', 'client.key'); openssl s_client: "
			"-cert -key).");
		return true;
	}
	report_add_finding(
		r, "client-sent-no-cert", SEV_INFO, SUBJ_CLIENT_CHAIN, -1,
		diagnose_lookup("client-sent-no-cert")->title,
		"The listener asked for a client certificate (--client-cert request) and "
		"the client sent none; it was served anyway.",
		"Nothing to do unless the client should authenticate.");
	return false;
}

static void diagnose_serial(struct tls_report *r)
{
	char allowed[900];

	if (!r->listen.n_serial_rules || !r->n_chain || r->listen.serial_matched)
		return;
	const struct tls_cert_info *leaf = &r->chain[0];
	join(&r->listen.serial_rules, allowed, sizeof(allowed), "?");
	add(r, "client-serial-not-allowed", SUBJ_CLIENT_CHAIN, 0, NULL,
	    "The client certificate's serial number is %s in hex, %s in decimal; it matches none "
	    "of the %zu --allow-serial value%s: %s.",
	    leaf->serial_hex, leaf->serial_dec, r->listen.n_serial_rules,
	    r->listen.n_serial_rules == 1 ? "" : "s", allowed);
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
		diagnose_cert(out, subj, i, now, false, &any);
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

	if (!own)
		return;
	for (size_t i = 0; i < own->n_findings; i++) {
		const struct tls_finding *f = &own->findings[i];
		if (f->severity == SEV_ERROR && !cause)
			cause = f;
		report_add_finding(r, f->id, failed ? f->severity : SEV_WARNING, SUBJ_SERVER_CHAIN,
				   -1, f->title, f->detail, f->fix);
	}
	if (!cause || !failed || !r->handshake.alert_received.present)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct tls_finding *f = &r->findings[i];
		if (strcmp(f->id, "alert-received") != 0)
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
	bool claimed = diagnose_listen_client_cert(r);
	diagnose_listen_handshake(r, claimed);
	diagnose_version(r);
	diagnose_chain(r, SUBJ_CLIENT_CHAIN);
	diagnose_serial(r);
	diagnose_own_findings(r);
	diagnose_unexplained(r, "the client");
	sort_and_judge(r);
}

/* ---- inspect ---- */

void diagnose_inspect(struct tls_report *r, enum tls_subject subj)
{
	long long now = (long long)time(NULL);
	bool any = false;

	report_clear_findings(r);
	diagnose_trust(r, subj, &any);
	diagnose_anchor(r, subj, now, &any);
	for (size_t i = 0; i < r->n_chain; i++) {
		diagnose_cert(r, subj, i, now, true, &any);
		/* A leaf without a name a client can match: only the CN, which clients ignore. */
		const struct tls_cert_info *ci = &r->chain[i];
		bool maybe_server = !ci->has_eku || has_serverauth_or_any(ci, true);
		/* With --verify-name the name check reports the leaf's missing SAN itself. */
		bool name_check_says_it =
			i == 0 && r->verification.hostname.checked && r->policy.check_hostname;
		if (!ci->is_ca && !ci->self_signed && !has_name_san(ci) && maybe_server &&
		    subj == SUBJ_SERVER_CHAIN && !name_check_says_it) {
			char cnbuf[256];
			const char *cn = common_name(ci->subject, cnbuf, sizeof(cnbuf));
			add(r, "cn-only-no-san", subj, (int)i, NULL,
			    "Certificate %zu (%s) has no subjectAltName%s%s%s. Python, Go, Chrome "
			    "and "
			    "curl ignore the CN and look only at subjectAltName.",
			    i, ci->subject, cn ? "; its name \"" : "", cn ? cn : "",
			    cn ? "\" is only in the CN" : "");
		}
	}
	if (r->verification.hostname.checked)
		diagnose_hostname(r, subj);
	sort_and_judge(r);
	r->verdict_ok = true;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			r->verdict_ok = false;
}
