/* The handshake: one failure ladder for both roles (connect is the client, listen the server),
 * from a stall to a version or cipher mismatch, the peer's alert, and the peer hanging up. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "diagnose_parts.h"
#include "tlsscope/names.h"

/* The last message of the handshake, in words: "we sent ClientHello". */
struct last_step {
	const char *after; /* "we sent", "we received" */
	const char *name;  /* NULL: no message yet */
};

static struct last_step last_step(const struct tls_report *r)
{
	enum tls_dir dir = TLS_DIR_SENT;
	const char *name = diag_last_step(r, &dir);

	return (struct last_step){dir == TLS_DIR_SENT ? "we sent" : "we received", name};
}

static void add_timeout(struct tls_report *r, enum diag_side side, struct last_step l)
{
	bool listen = side == DIAG_LISTEN;

	diag_add(r, FINDING_HANDSHAKE_TIMEOUT, SUBJ_CONNECTION, -1,
		 listen ? "The client connected and stalled: check that it speaks TLS to this "
			  "port and does not wait for something (a STARTTLS greeting, a proxy "
			  "header)."
			: NULL,
		 "%s for %.1f s after %s %s.",
		 listen ? "The client made no progress" : "TCP connected, then nothing came",
		 r->timing.handshake_ms / 1000.0, l.name ? l.after : "connecting:",
		 l.name	  ? l.name
		 : listen ? "it sent nothing"
			  : "not even a ClientHello went out");
}

static const struct tls_probe *accepted_probe(const struct tls_report *r)
{
	for (size_t i = 0; i < r->n_probes; i++)
		if (r->probes[i].accepted)
			return &r->probes[i];
	return NULL;
}

/* Connect: a follow-up that offered everything got through, so what it got is what the
 * server wants. The fix names the version the server chose, never one already offered. */
static void add_probe_answer(struct tls_report *r, const struct tls_probe *p, const char *offered)
{
	char fix[320], cfix[320];
	const char *v = p->version ? p->version : "";
	const char *cs = p->cipher_suite ? p->cipher_suite : "";

	if (p->version && !strlist_contains(&r->offered_versions, v))
		snprintf(fix, sizeof(fix),
			 "The server accepts %s, which you did not offer: allow it with "
			 "--priority NORMAL:+VERS-%s (it is deprecated below TLS 1.2, RFC "
			 "8996), or enable TLS 1.2 or 1.3 on the server.",
			 v, v);
	else
		snprintf(fix, sizeof(fix), "Enable a version you offer (%s) on the server.",
			 offered);
	if (p->broad_versions)
		diag_add(r, FINDING_PROTOCOL_VERSION_MISMATCH, SUBJ_CONNECTION, -1, fix,
			 "You offered %s; offered every version, the server chose %s%s.", offered,
			 p->version ? p->version : "another version",
			 p->broad_ciphers ? " (and it also needed other cipher suites)" : "");
	snprintf(cfix, sizeof(cfix),
		 "Offer what the server chose (%s): %s, or enable a suite you offer on the "
		 "server.",
		 *cs ? cs : "see the probe",
		 strstr(cs, "_SHA256") || strstr(cs, "_SHA384")
			 ? "--priority NORMAL:+SHA256:+SHA384 adds the CBC-SHA256/SHA384 MACs"
			 : "add its cipher, MAC and key exchange to --priority (gnutls-cli -l "
			   "--priority STRING lists what a string offers)");
	if (p->broad_ciphers)
		diag_add(r, FINDING_NO_SHARED_CIPHER, SUBJ_CONNECTION, -1, cfix,
			 "Nothing you offered suits the server; offered everything, it chose %s "
			 "%s.",
			 p->version ? p->version : "", p->cipher_suite ? p->cipher_suite : "");
}

static bool is_cipher_error(int err, enum diag_side side)
{
	static const int errs[] = {GNUTLS_E_NO_CIPHER_SUITES, GNUTLS_E_UNKNOWN_CIPHER_SUITE,
				   GNUTLS_E_NO_COMMON_KEY_SHARE, GNUTLS_E_INSUFFICIENT_SECURITY};

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (err == errs[i])
			return true;
	/* As a client, GnuTLS also fails so when the server signs with an algorithm it does
	 * not allow. */
	return side == DIAG_CONNECT && err == GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM;
}

/* Listen: a client whose highest version is below every version this listener allows, which
 * GnuTLS may report as a cipher error. */
static bool below_our_versions(const struct tls_report *r, enum diag_side side)
{
	const char *cmax = r->listen.client_max_version;
	const struct strlist *ours = &r->offered_versions;
	int err = r->handshake.gnutls_error;

	return side == DIAG_LISTEN && cmax && ours->n && !strlist_contains(ours, cmax) &&
	       strcmp(cmax, ours->v[ours->n - 1]) < 0 &&
	       (err == GNUTLS_E_NO_CIPHER_SUITES || err == GNUTLS_E_INSUFFICIENT_SECURITY);
}

static void add_version_mismatch(struct tls_report *r, enum diag_side side, bool alert_70)
{
	char list[128];

	if (side == DIAG_LISTEN) {
		const char *cmax = r->listen.client_max_version;
		diag_join(&r->offered_versions, list, sizeof(list), "?");
		diag_add(r, FINDING_PROTOCOL_VERSION_MISMATCH, SUBJ_CONNECTION, -1, NULL,
			 "The client offered at most %s; this listener allows %s.",
			 cmax ? cmax : "?", list);
		return;
	}
	diag_join(&r->offered_versions, list, sizeof(list), "the default versions");
	diag_add(r, FINDING_PROTOCOL_VERSION_MISMATCH, SUBJ_CONNECTION, -1, NULL,
		 "You offered %s; the server %s.", list,
		 alert_70 ? "answered protocol_version (70): it allows none of them"
			  : "answered with a version outside that list");
}

static void add_cipher_mismatch(struct tls_report *r, enum diag_side side, bool alert_71)
{
	if (side == DIAG_LISTEN)
		diag_add(r, FINDING_NO_SHARED_CIPHER, SUBJ_CONNECTION, -1, NULL,
			 "The client offered no cipher suite, group or signature algorithm this "
			 "listener allows (%s).",
			 r->handshake.error);
	else
		diag_add(r, FINDING_NO_SHARED_CIPHER, SUBJ_CONNECTION, -1, NULL,
			 "The two sides have no cipher suite, group or signature algorithm in "
			 "common (%s).",
			 alert_71 ? "the server answered insufficient_security (71)"
				  : r->handshake.error);
}

/* No version or no cipher in common: true when a finding says so. */
static bool diagnose_mismatch(struct tls_report *r, enum diag_side side)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	const struct tls_probe *p = side == DIAG_CONNECT ? accepted_probe(r) : NULL;
	int err = r->handshake.gnutls_error;

	if (p) {
		char offered[128];
		diag_join(&r->offered_versions, offered, sizeof(offered), "the default versions");
		add_probe_answer(r, p, offered);
		return true;
	}
	bool alert_70 = a->present && a->code == TLS_ALERT_PROTOCOL_VERSION;
	bool alert_71 = a->present && a->code == TLS_ALERT_INSUFFICIENT_SECURITY;
	if (err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || alert_70 || below_our_versions(r, side))
		add_version_mismatch(r, side, alert_70);
	else if (is_cipher_error(err, side) || alert_71)
		add_cipher_mismatch(r, side, alert_71);
	else
		return false;
	return true;
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

static void add_alert(struct tls_report *r, enum diag_side side, struct last_step l)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	bool listen = side == DIAG_LISTEN;
	bool distrust = listen && names_alert_is(a->code, ALERT_DISTRUSTS);
	char level[96];

	diag_add(r, FINDING_ALERT_RECEIVED, SUBJ_CONNECTION, -1,
		 distrust ? "Give the client the CA that issued this listener's certificate "
			    "(Python: load_verify_locations('ca.crt'); curl: --cacert ca.crt)."
			  : NULL,
		 "%s sent %s %s alert (%d) after %s %s%s.%s", listen ? "The client" : "The peer",
		 alert_level(a, level), diag_alert_name(a->code), a->code, l.after,
		 l.name ? l.name : "nothing",
		 distrust ? ": it does not trust this listener's certificate" : "",
		 !listen && r->n_probes ? " Offering everything GnuTLS can offer (every version, "
					  "cipher, MAC, key exchange, group and signature "
					  "algorithm) did not help."
					: "");
}

/* Connect: the handshake completed, then the server sent a fatal alert. */
static void add_late_alert(struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;

	if (a->present && a->level == GNUTLS_AL_FATAL)
		diag_add(r, FINDING_ALERT_RECEIVED, SUBJ_CONNECTION, -1, NULL,
			 "The handshake completed, then the peer sent a fatal %s alert (%d): the "
			 "connection is unusable.",
			 diag_alert_name(a->code), a->code);
}

void diag_handshake(struct tls_report *r, enum diag_side side, bool claimed)
{
	struct last_step l = last_step(r);
	enum tls_hs_status st = r->handshake.status;

	if (st == HS_TIMEOUT) {
		add_timeout(r, side, l);
		return;
	}
	if (st == HS_COMPLETE && side == DIAG_CONNECT && !claimed)
		add_late_alert(r);
	if (st != HS_FAILED || claimed || diag_not_tls(r, side) || diagnose_mismatch(r, side))
		return;
	if (diag_alert_ended(r))
		add_alert(r, side, l);
	else if (r->handshake.peer_closed)
		diag_add(r, FINDING_CONNECTION_CLOSED, SUBJ_CONNECTION, -1, NULL,
			 "%s closed the connection without an alert after %s %s.",
			 side == DIAG_LISTEN ? "The client" : "The peer", l.after,
			 l.name ? l.name : "nothing");
}

void diag_version(struct tls_report *r)
{
	const char *v = r->negotiated.version;

	if (v && (strcmp(v, "TLS1.0") == 0 || strcmp(v, "TLS1.1") == 0 || strcmp(v, "SSL3.0") == 0))
		diag_add(r, FINDING_TLS_VERSION_OLD, SUBJ_CONNECTION, -1, NULL,
			 "%s was negotiated; it is deprecated (RFC 8996) and current clients "
			 "refuse it.",
			 v);
}

/* GnuTLS refused what the peer sent, without an alert from the peer. Not when an error
 * finding already says why (--strict refusing a certificate or a serial ends the handshake
 * too), nor for a connection the user stopped: it says nothing about the peer. */
void diag_unexplained(struct tls_report *r, enum diag_side side)
{
	const struct tls_alert *s = &r->handshake.alert_sent;
	struct last_step l = last_step(r);
	char answer[96] = "";

	if (r->handshake.status != HS_FAILED || r->handshake.cancelled)
		return;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			return;
	if (s->present)
		snprintf(answer, sizeof(answer), " We answered with alert %s (%d).",
			 diag_alert_name(s->code), s->code);
	diag_add(r, FINDING_PROTOCOL_ERROR, SUBJ_CONNECTION, -1, NULL,
		 "What %s sent after %s %s broke the handshake: %s.%s",
		 side == DIAG_LISTEN ? "the client" : "the peer", l.after,
		 l.name ? l.name : "nothing",
		 r->handshake.error ? r->handshake.error : "no reason given", answer);
}
