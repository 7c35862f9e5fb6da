/* Client certificates: connect mode's own certificate (loaded, sent, refused) and listen
 * mode's view of the client's (none sent, a serial not allowed). */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose_parts.h"
#include "tlsscope/http.h"
#include "tlsscope/names.h"

static bool is_finding(const struct tls_finding *f, enum finding_id id)
{
	return strcmp(f->id, findings_entry(id)->id) == 0;
}

/* A fault of the loaded client chain that diag_identity found: the evidence for a refusal
 * (the chain's errors, and an issuer the server did not list). */
static bool is_evidence(const struct tls_finding *f)
{
	return f->subject == SUBJ_CLIENT_CHAIN && !is_finding(f, FINDING_CLIENT_CERT_REJECTED) &&
	       (f->severity == SEV_ERROR || is_finding(f, FINDING_CLIENT_CERT_CA_NOT_ACCEPTED));
}

/* Connect mode: this side's own client chain (client_auth.chain), checked as the server will
 * check it (dates, keys, algorithms, constraints, extendedKeyUsage clientAuth). Errors only
 * when it was sent: a certificate the server never saw breaks nothing yet. cert_index indexes
 * client_auth.chain. */
void diag_identity(struct tls_report *r)
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
		diag_cert(&tmp, SUBJ_CLIENT_CHAIN, i, now, false, &any);
	}
	if (ca->sent && ca->issuer_unlisted) {
		char cas[512];
		diag_join(&ca->acceptable_cas, cas, sizeof(cas), "(none)");
		/* A warning: the server's refusal, when it comes, is the error. */
		diag_add_sev(
			&tmp, FINDING_CLIENT_CERT_CA_NOT_ACCEPTED, SEV_WARNING, SUBJ_CLIENT_CHAIN,
			-1,
			"Use a client certificate issued by one of the CAs the server lists, "
			"or add your CA to the server's client CA file.",
			"Your certificate (%s) is issued by \"%s\", which is not among the CAs "
			"the server accepts: %s. It was sent anyway (--force-client-cert).",
			ca->chain[0].subject, ca->chain[0].issuer, cas);
	}
	for (size_t i = 0; i < tmp.n_findings; i++) {
		struct tls_finding *f = &tmp.findings[i];
		/* The catalog's fix for an expired certificate speaks of a server's. */
		const char *fix = is_finding(f, FINDING_EXPIRED)
					  ? "Renew the client certificate and load the new one "
					    "(--cert and --key, or --p12)."
					  : f->fix;
		diag_copy(r, f, ca->sent ? f->severity : SEV_WARNING, f->subject, f->cert_index,
			  fix);
	}
	tmp.chain = NULL;
	tmp.n_chain = 0;
	report_free(&tmp);
}

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
	/* The loaded chain's own faults (diag_identity) are the evidence: the rest are
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

/* The body's first lines (kept escaped: a CR LF reads "\x0d\x0a") as one line for a quote,
 * each line end a space. */
static char *one_line(const char *escaped)
{
	static const char *const ends[] = {"\\x0d\\x0a", "\\x0a", "\\x0d"};
	char *out = xstrdup(escaped), *w = out;

	for (const char *p = escaped; *p;) {
		size_t skip = 0;
		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]) && !skip; i++)
			if (strncmp(p, ends[i], strlen(ends[i])) == 0)
				skip = strlen(ends[i]);
		if (!skip) {
			*w++ = *p++;
			continue;
		}
		if (w > out && w[-1] != ' ')
			*w++ = ' ';
		p += skip;
	}
	while (w > out && w[-1] == ' ')
		w--;
	*w = 0;
	return out;
}

/* How the server answered a client certificate (or its absence). Refusals come as an alert
 * (during the handshake in TLS 1.2, as the first record after it in TLS 1.3), as HTTP
 * 400/495/496 from a server that checks at the HTTP layer (nginx), as the protocol's answer
 * after STARTTLS, or as a close without any answer. */
struct refusal {
	bool alert;    /* a fatal alert after our Certificate, or right after the handshake */
	bool app;      /* the first answer after STARTTLS names the certificate */
	bool http;     /* an HTTP refusal, app, or closed */
	bool closed;   /* closed without an answer after a completed handshake */
	char how[512]; /* the answer in words, when there was a refusal */
};

static void refusal_read(const struct tls_report *r, struct refusal *f)
{
	const struct tls_client_auth *ca = &r->client_auth;
	const struct tls_alert *a = &r->handshake.alert_received;
	int http = r->http.status_code;

	/* 401 and 403 refuse the certificate when none was sent or when they say so; otherwise
	 * they are the application's answer to this path. */
	f->http = http == 400 || http == 495 || http == 496 ||
		  ((http == 401 || http == 403) && (!ca->sent || http_names_certificate(&r->http)));
	f->alert = a->present && a->level == GNUTLS_AL_FATAL &&
		   (r->handshake.post_handshake_alert ||
		    diag_has_step(r, TLS_DIR_SENT, STEP_CERTIFICATE));
	/* After STARTTLS the protocol's own first request plays the HTTP request's part. */
	f->app = r->application.refused && r->application.names_certificate;
	f->http = f->http || f->app;
	f->closed = r->handshake.status == HS_COMPLETE && r->closed_without_answer && !f->alert &&
		    !f->http;
	f->how[0] = 0;
	if (f->alert)
		snprintf(f->how, sizeof(f->how), "the alert %s (%d)%s", diag_alert_name(a->code),
			 a->code,
			 r->handshake.post_handshake_alert ? " right after the handshake" : "");
	else if (f->app)
		snprintf(f->how, sizeof(f->how), "\"%s\" to the %s request after STARTTLS",
			 r->application.answer, r->application.protocol);
	else if (f->http) {
		char *body = r->http.body_head ? one_line(r->http.body_head) : NULL;
		snprintf(f->how, sizeof(f->how), "\"%s\"%s%s%s to the HTTP request",
			 r->http.status_line ? r->http.status_line : "?", body ? " (body: \"" : "",
			 body ? body : "", body ? "\")" : "");
		free(body);
	} else if (f->closed)
		snprintf(
			f->how, sizeof(f->how),
			"by closing the connection %.0f ms after the handshake without an answer%s",
			r->closed_after_ms,
			r->http.present	       ? " to the HTTP request"
			: r->starttls.protocol ? ""
					       : " (no HTTP request was sent)");
	f->http = f->http || f->closed;
}

/* Nothing was sent although the server asked: returns true when a refusal is explained. */
static bool diagnose_none_sent(struct tls_report *r, const struct refusal *f)
{
	const struct tls_client_auth *ca = &r->client_auth;
	bool refused = f->alert || f->http;

	if (ca->loaded && ca->issuer_not_acceptable) {
		char cas[512];
		diag_join(&ca->acceptable_cas, cas, sizeof(cas), "(none)");
		diag_add(r, FINDING_CLIENT_CERT_CA_NOT_ACCEPTED, SUBJ_CLIENT_CHAIN, -1, NULL,
			 "Your certificate (%s) is issued by \"%s\", which is not among the CAs "
			 "the server accepts: %s. GnuTLS therefore sent an empty Certificate "
			 "message%s%s.",
			 ca->loaded_subject ? ca->loaded_subject : "?",
			 ca->loaded_issuer ? ca->loaded_issuer : "?", cas,
			 refused ? ", and the server answered " : "", refused ? f->how : "");
		return refused;
	}
	if (ca->loaded && ca->key_type_not_accepted && !ca->sent) {
		char algs[512];
		const char *kt = ca->n_chain && ca->chain[0].key_algorithm
					 ? ca->chain[0].key_algorithm
					 : "unknown";
		diag_join(&ca->requested_sigalgs, algs, sizeof(algs), "(none)");
		diag_add(r, FINDING_CLIENT_KEY_NOT_ACCEPTED, SUBJ_CLIENT_CHAIN, -1, NULL,
			 "Your certificate (%s) has a key of type %s, and the server accepts only "
			 "these signature algorithms: %s. GnuTLS therefore sent an empty "
			 "Certificate message%s%s.",
			 ca->loaded_subject ? ca->loaded_subject : "?", kt, algs,
			 refused ? ", and the server answered " : "", refused ? f->how : "");
		return refused;
	}
	if (refused) {
		diag_add(r, FINDING_CLIENT_CERT_REQUIRED, SUBJ_CONNECTION, -1, NULL,
			 "The server asked for a client certificate, none was sent, and it "
			 "answered %s.%s",
			 f->how,
			 f->app && !f->alert
				 ? " The handshake itself succeeded: this server checks after it, "
				   "in the protocol, so openssl s_client and gnutls-cli report "
				   "success."
			 : f->http && !f->alert && r->starttls.protocol
				 ? " The handshake itself succeeded on this side, so openssl "
				   "s_client and gnutls-cli report success."
			 : f->http && !f->alert
				 ? " The handshake itself succeeded: this server checks at the "
				   "HTTP layer, so openssl s_client and gnutls-cli report success."
				 : "");
		return true;
	}
	if (r->handshake.status == HS_COMPLETE)
		diag_add(r, FINDING_CLIENT_CERT_REQUESTED, SUBJ_CONNECTION, -1, NULL,
			 "The server asked for a client certificate (acceptable CAs: %zu), none "
			 "was sent, and it carried on.",
			 ca->acceptable_cas.n);
	return false;
}

/* The server asked for a client certificate: what came of it. Returns true when a refusal is
 * explained, so that no generic alert finding repeats it. */
bool diag_client_cert(struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;
	const struct tls_alert *a = &r->handshake.alert_received;
	const struct tls_finding *evidence = NULL;
	struct refusal f;

	for (size_t i = 0; i < r->n_findings && !evidence; i++)
		if (is_evidence(&r->findings[i]))
			evidence = &r->findings[i];
	refusal_read(r, &f);
	if (!ca->requested) {
		if (ca->loaded && r->handshake.status == HS_COMPLETE)
			diag_add(r, FINDING_CLIENT_CERT_NOT_REQUESTED, SUBJ_CONNECTION, -1, NULL,
				 "You loaded %s, but the server never asked for a client "
				 "certificate, so it was not sent.",
				 ca->loaded_subject ? ca->loaded_subject : "a client certificate");
		return false;
	}
	if (!ca->sent)
		return diagnose_none_sent(r, &f);
	if ((f.alert && names_alert_is(a->code, ALERT_REFUSES_CERT)) || f.http) {
		char causes[640];
		refusal_causes(r, f.closed || f.app, causes, sizeof(causes));
		diag_add(r, FINDING_CLIENT_CERT_REJECTED, SUBJ_CLIENT_CHAIN, 0,
			 evidence ? evidence->fix : NULL,
			 "The server refused the client certificate %s %s%s. Likely causes, most "
			 "likely first: %s.",
			 ca->certificate && ca->certificate->subject ? ca->certificate->subject
								     : "",
			 f.closed ? "" : "with ", f.how, causes);
		return true;
	}
	return false;
}

/* Listen mode: a client that sent no certificate although this listener asked for one. */
bool diag_listen_client_cert(struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;
	enum tls_client_cert_mode mode = r->listen.client_cert;

	if (mode == CLIENT_CERT_NONE || ca->sent || r->n_chain)
		return false;
	if (r->handshake.status == HS_TIMEOUT ||
	    (r->handshake.status == HS_FAILED &&
	     !diag_has_step(r, TLS_DIR_RECEIVED, STEP_CERTIFICATE)))
		return false; /* it never got that far */
	if (mode == CLIENT_CERT_REQUIRE) {
		diag_add(r, FINDING_CLIENT_SENT_NO_CERT, SUBJ_CLIENT_CHAIN, -1,
			 "Configure the client with its certificate and key (curl: --cert "
			 "client.crt --key client.key; Python: "
			 "ctx.load_cert_chain('client.crt', 'client.key'); openssl s_client: "
			 "-cert -key).",
			 "%s",
			 r->handshake.alert_sent.present
				 ? "The client sent no certificate, which this listener "
				   "requires; it was refused with an alert."
				 : "The client sent no certificate, which this listener "
				   "requires.");
		return true;
	}
	diag_add_sev(r, FINDING_CLIENT_SENT_NO_CERT, SEV_INFO, SUBJ_CLIENT_CHAIN, -1,
		     "Nothing to do unless the client should authenticate.", "%s",
		     "The listener asked for a client certificate (--client-cert request) and "
		     "the client sent none; it was served anyway.");
	return false;
}

void diag_serial(struct tls_report *r)
{
	char allowed[900];

	if (!r->listen.n_serial_rules || !r->n_chain || r->listen.serial_matched)
		return;
	const struct tls_cert_info *leaf = &r->chain[0];
	diag_join(&r->listen.serial_rules, allowed, sizeof(allowed), "?");
	diag_add(r, FINDING_CLIENT_SERIAL_NOT_ALLOWED, SUBJ_CLIENT_CHAIN, 0, NULL,
		 "The client certificate's serial number is %s in hex, %s in decimal; it matches "
		 "none of the %zu --allow-serial value%s: %s.",
		 leaf->serial_hex, leaf->serial_dec, r->listen.n_serial_rules,
		 r->listen.n_serial_rules == 1 ? "" : "s", allowed);
}
