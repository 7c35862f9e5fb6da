#include "tlsscope/diagnose.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsscope/names.h"
#include "tlsscope/textsafe.h"

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
	{"alert-received", SEV_ERROR, "The peer refused with a TLS alert",
	 "The alert names the reason; the peer's log has the details."},
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
	 "The client certificate's issuer is not one the server accepts, so none was sent",
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
};

const struct diag_entry *diagnose_lookup(const char *id)
{
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (strcmp(catalog[i].id, id) == 0)
			return &catalog[i];
	return NULL;
}

/* Adds a finding from the catalog; detail is formatted, fix NULL means the catalog's. */
static void add(struct tls_report *r, const char *id, enum tls_subject subj, int cert_index,
		const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(struct tls_report *r, const char *id, enum tls_subject subj, int cert_index,
		const char *fix, const char *fmt, ...)
{
	const struct diag_entry *e = diagnose_lookup(id);
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	report_add_finding(r, e->id, e->severity, subj, cert_index, e->title, detail,
			   fix ? fix : e->fix);
	if (cert_index >= 0 && (size_t)cert_index < r->n_chain &&
	    !strlist_contains(&r->chain[cert_index].status, e->id))
		strlist_add(&r->chain[cert_index].status, e->id);
}

static const char *last_step_name(const struct tls_report *r, enum tls_dir *dir)
{
	for (size_t i = r->handshake.n_steps; i-- > 0;) {
		if (r->handshake.steps[i].type == STEP_ALERT)
			continue;
		*dir = r->handshake.steps[i].dir;
		return names_step(r->handshake.steps[i].type);
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

static void diagnose_reach(struct tls_report *r)
{
	const char *host = r->target.host ? r->target.host : "?";

	if (r->handshake.gai_error) {
		add(r, "dns-failure", SUBJ_CONNECTION, -1, NULL, "%s: %s", host,
		    r->handshake.error ? r->handshake.error : "lookup failed");
	} else if (r->handshake.sys_errno == ETIMEDOUT) {
		add(r, "connection-timeout", SUBJ_CONNECTION, -1, NULL, "%s",
		    r->handshake.error ? r->handshake.error : "timed out");
	} else if (r->handshake.sys_errno) {
		add(r, "connection-refused", SUBJ_CONNECTION, -1, NULL, "%s",
		    r->handshake.error ? r->handshake.error : strerror(r->handshake.sys_errno));
	}
}

static void diagnose_handshake(struct tls_report *r)
{
	enum tls_dir dir = TLS_DIR_SENT;
	const char *last = last_step_name(r, &dir);

	if (r->handshake.status == HS_TIMEOUT) {
		add(r, "handshake-timeout", SUBJ_CONNECTION, -1, NULL,
		    "TCP connected, then nothing came for %.1f s after %s %s.",
		    r->timing.handshake_ms / 1000.0,
		    last ? (dir == TLS_DIR_SENT ? "we sent" : "we received") : "connecting:",
		    last ? last : "not even a ClientHello went out");
		return;
	}
	if (r->handshake.status != HS_FAILED)
		return;
	if (!looks_like_tls(r->handshake.first_bytes, r->handshake.n_first_bytes)) {
		char *bytes = textsafe_bytes(r->handshake.first_bytes, r->handshake.n_first_bytes);
		add(r, "not-tls", SUBJ_CONNECTION, -1, NULL,
		    "The first bytes from the peer were \"%s\", which is not a TLS record%s.",
		    bytes,
		    strncmp((const char *)r->handshake.first_bytes, "HTTP/", 5) == 0
			    ? ": it is a plain HTTP server"
			    : "");
		free(bytes);
		return;
	}
	const struct tls_alert *a = &r->handshake.alert_received;
	if (a->present && !r->handshake.post_handshake_alert) {
		const char *name = names_alert(a->code);
		add(r, "alert-received", SUBJ_CONNECTION, -1, NULL,
		    "The peer sent a %s alert %s (%d) after %s %s.", names_alert_level(a->level),
		    name ? name : "unknown", a->code,
		    dir == TLS_DIR_SENT ? "we sent" : "we received", last ? last : "nothing");
		return;
	}
	if (r->handshake.peer_closed && r->handshake.gnutls_error != 0) {
		add(r, "connection-closed", SUBJ_CONNECTION, -1, NULL,
		    "The peer closed the connection without an alert after %s %s.",
		    dir == TLS_DIR_SENT ? "we sent" : "we received", last ? last : "nothing");
	}
}

/* Alerts a server sends when it does not like the client certificate it got (RFC 8446 §6.2). */
static bool is_certificate_alert(int code)
{
	return code == 42 || code == 43 || code == 44 || code == 45 || code == 46 || code == 48 ||
	       code == 49 || code == 51 || code == 116;
}

/* The server asked for a client certificate and then refused: with an alert (during the
 * handshake in TLS 1.2, as the first record after it in TLS 1.3) or with HTTP 400/495/496 when
 * it checks only at the HTTP layer (nginx). Returns true when a finding was added. */
static bool diagnose_client_cert(struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;
	const struct tls_alert *a = &r->handshake.alert_received;
	const char *name = a->present ? names_alert(a->code) : NULL;
	int http = r->http.status_code;
	bool http_refused = http == 400 || http == 495 || http == 496;

	if (!ca->requested)
		return false;
	if (!ca->sent && ((a->present && a->level == GNUTLS_AL_FATAL) || http_refused)) {
		if (a->present)
			add(r, "client-cert-required", SUBJ_CONNECTION, -1, NULL,
			    "The server asked for a client certificate, none was sent%s, and it "
			    "answered with the alert %s (%d)%s.",
			    ca->issuer_not_acceptable ? " (its issuer is not in the server's list)"
						      : "",
			    name ? name : "unknown", a->code,
			    r->handshake.post_handshake_alert ? " right after the handshake" : "");
		else
			add(r, "client-cert-required", SUBJ_CONNECTION, -1, NULL,
			    "The handshake completed, but the server answered the HTTP request "
			    "with "
			    "\"%s\": it refuses clients without a certificate at the HTTP layer.",
			    r->http.status_line ? r->http.status_line : "?");
		return true;
	}
	if (ca->sent &&
	    ((a->present && a->level == GNUTLS_AL_FATAL && is_certificate_alert(a->code)) ||
	     http_refused)) {
		if (a->present)
			add(r, "client-cert-rejected", SUBJ_CLIENT_CHAIN, 0, NULL,
			    "The server refused the client certificate with the alert %s (%d): "
			    "usually its CA is not the one the server trusts, it has expired, or "
			    "it "
			    "lacks extendedKeyUsage clientAuth.",
			    name ? name : "unknown", a->code);
		else
			add(r, "client-cert-rejected", SUBJ_CLIENT_CHAIN, 0, NULL,
			    "The server accepted the handshake but answered \"%s\" to the HTTP "
			    "request: it did not accept the client certificate.",
			    r->http.status_line ? r->http.status_line : "?");
		return true;
	}
	return false;
}

static void diagnose_post_handshake(struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;

	if (r->handshake.status != HS_COMPLETE || !a->present || a->level != GNUTLS_AL_FATAL)
		return;
	const char *name = names_alert(a->code);
	add(r, "alert-received", SUBJ_CONNECTION, -1, NULL,
	    "The handshake completed, then the peer sent a fatal %s alert (%d): the connection "
	    "is unusable.",
	    name ? name : "unknown", a->code);
}

static char *format_days(long long seconds)
{
	long long days = seconds / 86400;

	if (days >= 1)
		return xasprintf("%lld day%s", days, days == 1 ? "" : "s");
	return xasprintf("%lld hour%s", seconds / 3600, seconds / 3600 == 1 ? "" : "s");
}

/* Status bits attributed to the certificate GnuTLS reported them on. */
static void diagnose_chain_bits(struct tls_report *r, enum tls_subject subj)
{
	long long now = (long long)time(NULL);
	char when[32];

	for (size_t i = 0; i < r->n_chain; i++) {
		const struct tls_cert_info *ci = &r->chain[i];
		unsigned st = ci->verify_status;
		if (st & GNUTLS_CERT_EXPIRED) {
			char *ago = format_days(now - ci->not_after);
			util_iso_time(ci->not_after, when, sizeof(when));
			add(r, "expired", subj, (int)i, NULL,
			    "Certificate %zu (%s) expired on %s, %s ago.", i, ci->subject, when,
			    ago);
			free(ago);
		}
		if (st & GNUTLS_CERT_NOT_ACTIVATED) {
			char *in = format_days(ci->not_before - now);
			util_iso_time(ci->not_before, when, sizeof(when));
			add(r, "not-yet-valid", subj, (int)i, NULL,
			    "Certificate %zu (%s) is valid only from %s, in %s.", i, ci->subject,
			    when, in);
			free(in);
		}
		if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
			add(r, "insecure-signature", subj, (int)i, NULL,
			    "Certificate %zu (%s) is signed with %s, which GnuTLS and modern "
			    "clients "
			    "refuse.",
			    i, ci->subject, ci->signature_algorithm);
		if (st & GNUTLS_CERT_SIGNER_NOT_CA) {
			size_t issuer = i + 1 < r->n_chain ? i + 1 : i;
			add(r, "not-a-ca", subj, (int)issuer, NULL,
			    "The issuer of certificate %zu (%s) is not marked CA:TRUE.", i,
			    ci->issuer);
		}
		if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
			add(r, "wrong-purpose", subj, (int)i, NULL,
			    "Certificate %zu (%s) does not allow %s use (extendedKeyUsage).", i,
			    ci->subject, subj == SUBJ_SERVER_CHAIN ? "TLS server" : "TLS client");
		if (st & GNUTLS_CERT_REVOKED)
			add(r, "revoked", subj, (int)i, NULL, "Certificate %zu (%s) is revoked.", i,
			    ci->subject);
	}
}

static void diagnose_trust(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_verification *v = &r->verification;
	size_t before = r->n_findings;

	if (!v->done || v->trusted || r->n_chain == 0)
		return;
	if (v->gnutls_status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		if (r->n_chain == 1 && r->chain[0].self_signed) {
			add(r, "self-signed", subj, 0, NULL,
			    "The server's certificate (%s) signs itself, and it is not among the "
			    "trusted certificates.",
			    r->chain[0].subject);
		} else {
			size_t top = r->n_chain - 1;
			for (size_t i = 0; i < r->n_chain; i++)
				if (r->chain[i].verify_status & GNUTLS_CERT_SIGNER_NOT_FOUND)
					top = i;
			add(r, "untrusted-issuer", subj, (int)top, NULL,
			    "No trusted certificate issued \"%s\" (the issuer of certificate %zu).",
			    r->chain[top].issuer, top);
		}
	}
	diagnose_chain_bits(r, subj);
	if (r->n_findings == before) {
		/* Untrusted for a reason the catalog has no id for: still say so. */
		char reasons[256] = "";
		for (size_t i = 0; i < v->reasons.n; i++)
			snprintf(reasons + strlen(reasons), sizeof(reasons) - strlen(reasons),
				 "%s%s", i ? ", " : "", v->reasons.v[i]);
		add(r, "untrusted-issuer", subj, 0, NULL, "Verification failed: %s.", reasons);
	}
}

static void diagnose_hostname(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_hostname_check *h = &r->verification.hostname;
	char names[512] = "";

	if (!h->checked || h->match || r->n_chain == 0)
		return;
	const struct tls_cert_info *leaf = &r->chain[0];
	for (size_t i = 0; i < leaf->san.n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", leaf->san.v[i]);
	if (!leaf->san.n)
		snprintf(names, sizeof(names), "no subjectAltName; subject %s", leaf->subject);
	add(r, "hostname-mismatch", subj, 0, NULL,
	    "The certificate is not valid for %s. It holds: %s.", h->name, names);
}

void diagnose_connect(struct tls_report *r)
{
	diagnose_reach(r);
	if (!diagnose_client_cert(r)) {
		diagnose_handshake(r);
		diagnose_post_handshake(r);
	}
	diagnose_trust(r, SUBJ_SERVER_CHAIN);
	diagnose_hostname(r, SUBJ_SERVER_CHAIN);

	bool ok = r->handshake.status == HS_COMPLETE &&
		  !(r->handshake.alert_received.present &&
		    r->handshake.alert_received.level == GNUTLS_AL_FATAL);
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			ok = false;
	r->verdict_ok = ok;
}
