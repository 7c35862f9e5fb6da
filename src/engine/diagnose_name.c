/* The name: SNI (a server that needs the name to choose its certificate), the leaf against
 * the name checked, and, in files, a leaf whose name is only in its CN. */
#include <stdio.h>
#include <string.h>

#include "diagnose_parts.h"
#include "tlsscope/names.h"
#include "tlsscope/target.h"

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
		snprintf(buf, len, "refused the handshake with %s (%d)", diag_alert_name(a->code),
			 a->code);
	else if (r->handshake.status == HS_FAILED)
		snprintf(buf, len, "failed the handshake (%s)",
			 r->handshake.error ? r->handshake.error : "closed");
	else {
		diag_join(&r->chain[0].san, names, sizeof(names), r->chain[0].subject);
		snprintf(buf, len, "served a certificate for %s, not valid for %s", names,
			 r->verification.hostname.name ? r->verification.hostname.name
						       : "the name");
	}
	return buf;
}

/* The name sent as SNI was refused with unrecognized_name. */
static void add_name_refused(struct tls_report *r, const char *sent)
{
	char fix[700];

	snprintf(fix, sizeof(fix),
		 "Connect with a name the server serves (--sni NAME, or connect by that name), or "
		 "add %s to the server: nginx: server_name %s; in a server block with its "
		 "certificate; HAProxy: a crt whose certificate holds it.",
		 sent, sent);
	diag_add(r, FINDING_SNI_REQUIRED, SUBJ_CONNECTION, -1, fix,
		 "The server refused the name %s, sent as SNI, with a fatal alert "
		 "unrecognized_name (112): it serves no site of that name.",
		 sent);
}

/* No SNI was sent; the follow-up with SNI p worked. first: what the connection without got. */
static void add_sni_worked(struct tls_report *r, const struct tls_probe *p, const char *why,
			   const char *first)
{
	char fix[700];

	snprintf(fix, sizeof(fix),
		 "Send the name: connect to %s by name, or add --sni %s --verify-name %s when "
		 "connecting by address. Or make the server answer clients without SNI: nginx: "
		 "put this certificate in the listen ... default_server block (server_name), or "
		 "drop ssl_reject_handshake; HAProxy: drop strict-sni from the bind line.",
		 p->sni, p->sni, p->sni);
	diag_add(r, FINDING_SNI_REQUIRED, SUBJ_CONNECTION, -1, fix,
		 "No SNI was sent (%s). Without SNI the server %s; with SNI %s the handshake "
		 "completed (%s %s) with a certificate for %s.",
		 why, first, p->sni, p->version ? p->version : "?",
		 p->cipher_suite ? p->cipher_suite : "", p->served ? p->served : "that name");
}

/* No SNI was sent and the server refused unrecognized_name; the follow-up did not help. */
static void add_sni_unknown(struct tls_report *r, const struct tls_probe *p, const char *why,
			    const char *first)
{
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
			 diag_alert_name(p->alert), p->alert);
	else
		snprintf(second, sizeof(second), "with SNI %s it failed too", p->sni);
	diag_add(r, FINDING_SNI_REQUIRED, SUBJ_CONNECTION, -1,
		 "Send SNI with a name the server serves: --sni NAME --verify-name NAME, or "
		 "connect by name. Or let the server answer clients without SNI: nginx: a listen "
		 "... default_server block with a certificate instead of ssl_reject_handshake on; "
		 "HAProxy: drop strict-sni from the bind line.",
		 "No SNI was sent (%s), and the server %s; %s.", why, first, second);
}

/* A fatal unrecognized_name (112), or a handshake without SNI that failed or served a
 * certificate for another name while the follow-up with SNI worked. Claims the handshake's
 * failure and the name check: the fix is SNI, not another certificate. */
bool diag_sni(struct tls_report *r)
{
	const struct tls_alert *a = &r->handshake.alert_received;
	const struct tls_probe *p = sni_probe(r);
	bool refused_name = r->handshake.status == HS_FAILED && a->present &&
			    a->code == TLS_ALERT_UNRECOGNIZED_NAME && diag_alert_ended(r);
	bool worked = p && p->accepted && p->name_ok && p->other_cert;
	char first[600];

	if (r->target.sni) {
		if (refused_name)
			add_name_refused(r, r->target.sni);
		return refused_name;
	}
	if (!worked && !refused_name)
		return false;
	const char *why = target_is_ip(r->target.host) ? "the target is an IP address, and RFC "
							 "6066 §3 allows only names as SNI"
						       : "--no-sni";
	without_sni(r, first, sizeof(first));
	if (worked)
		add_sni_worked(r, p, why, first);
	else
		add_sni_unknown(r, p, why, first);
	return true;
}

/* ---- the name checked ---- */

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

/* The name did not match the leaf: what it holds, and why clients refuse it. */
static void add_mismatch(struct tls_report *r, enum tls_subject subj, const char *fix)
{
	const struct tls_hostname_check *h = &r->verification.hostname;
	const struct tls_cert_info *leaf = &r->chain[0];
	char names[512], cnbuf[256], dns_ip[300];
	const char *cn = common_name(leaf->subject, cnbuf, sizeof(cnbuf));

	diag_join(&leaf->san, names, sizeof(names), "");
	if (!leaf->san.n)
		snprintf(names, sizeof(names), "no subjectAltName; subject %s", leaf->subject);
	diag_add(r, FINDING_HOSTNAME_MISMATCH, subj, 0, fix,
		 "The certificate is not valid for %s. It holds: %s.", h->name, names);
	if (!has_name_san(leaf))
		diag_add(r, FINDING_CN_ONLY_NO_SAN, subj, 0, fix,
			 "The certificate has no subjectAltName%s%s%s. Python, Go, Chrome and curl "
			 "ignore the CN and look only at subjectAltName.",
			 cn ? " and names \"" : "", cn ? cn : "", cn ? "\" only in its CN" : "");
	snprintf(dns_ip, sizeof(dns_ip), "DNS:%s", h->name);
	if (target_is_ip(h->name) &&
	    ((cn && strcmp(cn, h->name) == 0) || strlist_contains(&leaf->san, dns_ip)))
		diag_add(r, FINDING_IP_NOT_IN_SAN, subj, 0, fix,
			 "%s appears %s, but an IP address matches only an IP entry of "
			 "subjectAltName.",
			 h->name, cn && strcmp(cn, h->name) == 0 ? "in the CN" : "as a DNS name");
}

void diag_hostname(struct tls_report *r, enum tls_subject subj)
{
	const struct tls_hostname_check *h = &r->verification.hostname;
	char fix[768];

	if (!h->checked || !r->policy.check_hostname || r->n_chain == 0)
		return;
	const struct tls_cert_info *leaf = &r->chain[0];
	bool ip = target_is_ip(h->name);
	const char *kind = ip ? "IP" : "DNS";
	snprintf(fix, sizeof(fix),
		 "Reissue the certificate with subjectAltName = %s:%s. With openssl, put that line "
		 "in a file given to 'openssl x509 -req ... -extfile FILE' (or use -addext "
		 "'subjectAltName=%s:%s' with 'openssl req -x509'); with certtool, add %s = \"%s\" "
		 "to the template.",
		 kind, h->name, kind, h->name, ip ? "ip_address" : "dns_name", h->name);
	if (!h->match)
		add_mismatch(r, subj, fix);
	else if (!has_name_san(leaf) && h->matched_by && strcmp(h->matched_by, "cn") == 0)
		diag_add(r, FINDING_CN_ONLY_NO_SAN, subj, 0, fix,
			 "The name %s matches only the certificate's CN: Python, Go, Chrome, curl "
			 "and OpenSSL's hostname check ignore the CN (RFC 6125) and will refuse "
			 "it.",
			 h->name);
}

void diag_cn_only(struct tls_report *r, enum tls_subject subj, size_t i)
{
	const struct tls_cert_info *ci = &r->chain[i];
	bool maybe_server = !ci->has_eku || diag_has_purpose(ci, true);
	/* With --verify-name the name check reports the leaf's missing SAN itself. */
	bool name_check_says_it =
		i == 0 && r->verification.hostname.checked && r->policy.check_hostname;
	char cnbuf[256];

	if (ci->is_ca || ci->self_signed || has_name_san(ci) || !maybe_server ||
	    subj != SUBJ_SERVER_CHAIN || name_check_says_it)
		return;
	const char *cn = common_name(ci->subject, cnbuf, sizeof(cnbuf));
	diag_add(r, FINDING_CN_ONLY_NO_SAN, subj, (int)i, NULL,
		 "Certificate %zu (%s) has no subjectAltName%s%s%s. Python, Go, Chrome and curl "
		 "ignore the CN and look only at subjectAltName.",
		 i, ci->subject, cn ? "; its name \"" : "", cn ? cn : "",
		 cn ? "\" is only in the CN" : "");
}
