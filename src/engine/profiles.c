/* The peer profiles' judging (include/tlsscope/profiles.h): a verdict per profile row
 * (profiles_table.c) from the facts and findings already in a report. */
#include "tlsscope/profiles.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "profiles_private.h"
#include "tlsscope/util.h"

/* ---------------- rules over findings ---------------- */

static bool always(const struct profile *p, const struct tls_report *r, const struct tls_finding *f)
{
	(void)p, (void)r, (void)f;
	return true;
}

static bool is_leaf(const struct tls_finding *f)
{
	return f->cert_index == 0;
}

static bool weak_leaf(const struct profile *p, const struct tls_report *r,
		      const struct tls_finding *f)
{
	(void)r;
	return is_leaf(f) && p->weak_leaf;
}

static bool weak_ca(const struct profile *p, const struct tls_report *r,
		    const struct tls_finding *f)
{
	(void)r;
	return !is_leaf(f) && p->weak_ca;
}

static bool sha1_refused(const struct profile *p, const struct tls_report *r,
			 const struct tls_finding *f)
{
	(void)r, (void)f;
	return !p->sha1_ok;
}

/* A wrong purpose on a sent certificate, or on the anchor (cert_index -1) where the profile
 * checks the anchor's EKU: OpenSSL does (tests/scenarios/checks.py runs s_client, Python and
 * curl against it), GnuTLS does not. */
static bool purpose_refused(const struct profile *p, const struct tls_report *r,
			    const struct tls_finding *f)
{
	(void)r;
	return f->cert_index >= 0 || p->anchor_eku;
}

/* An AIA fetcher completes a chain whose only missing link has a caIssuers pointer. */
static bool issuer_not_fetched(const struct profile *p, const struct tls_report *r,
			       const struct tls_finding *f)
{
	(void)f;
	/* With --fetch-intermediates the fetch is known to work, or not. */
	if (r->aia.attempted)
		return !(p->aia_fetch && r->aia.n_certs && r->verification.trusted);
	return !(p->aia_fetch && r->n_chain && r->chain[r->n_chain - 1].has_aia_ca_issuers);
}

/* Connect mode: the client chain is one certificate. nginx (ssl_verify_depth 1), Node and
 * HAProxy then say "unable to verify the first certificate" (21) or their own words for it;
 * Apache 2.4, s_server -Verify 2 and Python say "unable to get local issuer certificate" (20),
 * as the real servers did in tests/scenarios/clients.py: untrusted_leaf is set for the first. */
static bool lone_leaf(const struct profile *p, const struct tls_report *r,
		      const struct tls_finding *f)
{
	(void)f;
	return r->client_auth.n_chain == 1 && p->says.untrusted_leaf;
}

static bool not_lone_leaf(const struct profile *p, const struct tls_report *r,
			  const struct tls_finding *f)
{
	return !lone_leaf(p, r, f);
}

/* Listen mode: the client's chain is the report's chain. */
static bool lone_sent_leaf(const struct profile *p, const struct tls_report *r,
			   const struct tls_finding *f)
{
	(void)f;
	return r->n_chain == 1 && p->says.untrusted_leaf;
}

static bool not_lone_sent_leaf(const struct profile *p, const struct tls_report *r,
			       const struct tls_finding *f)
{
	return !lone_sent_leaf(p, r, f);
}

struct rule {
	const char *finding;
	bool (*refuses)(const struct profile *p, const struct tls_report *r,
			const struct tls_finding *f);
	size_t says; /* offset of the words in struct profile_says */
};

/* The hostname findings are judged apart (name_case below): one failure, several ids. */
static const struct rule rules[] = {
	{"untrusted-issuer", always, SAYS(untrusted)},
	{"missing-intermediate", issuer_not_fetched, SAYS(missing_intermediate)},
	{"self-signed", always, SAYS(self_signed)},
	{"expired", always, SAYS(expired)},
	{"not-yet-valid", always, SAYS(expired)},
	{"anchor-expired", always, SAYS(expired)},
	{"weak-key", weak_leaf, SAYS(weak_leaf)},
	{"weak-key", weak_ca, SAYS(weak_ca)},
	{"insecure-signature", sha1_refused, SAYS(sha1)},
	{"not-a-ca", always, SAYS(not_ca)},
	{"wrong-purpose", purpose_refused, SAYS(purpose)},
	{"path-length-exceeded", always, SAYS(path_len)},
	{"name-constraint-violated", always, SAYS(name_constraint)},
	/* Connect mode: the server's own CA list does not hold the client chain's issuer. */
	{"client-cert-ca-not-accepted", lone_leaf, SAYS(untrusted_leaf)},
	{"client-cert-ca-not-accepted", not_lone_leaf, SAYS(untrusted)},
	/* Listen mode: the client chain does not lead to --client-ca; every server that checks
	 * client certificates refuses that (nginx, Apache, HAProxy, ...: "unable to get local
	 * issuer certificate", tests/scenarios/clients.py own-client-cert-unlisted-issuer-...). */
	{"client-cert-untrusted", lone_sent_leaf, SAYS(untrusted_leaf)},
	{"client-cert-untrusted", not_lone_sent_leaf, SAYS(untrusted)},
};

/* ---------------- the name ---------------- */

enum name_case {
	NAME_OK,
	NAME_CN_ONLY,
	NAME_IP_IN_CN,
	NAME_IP_AS_DNS,
	NAME_ONE_LABEL_WILDCARD,
	NAME_MISMATCH,
	NAME_IP_MISMATCH
};

struct name_rule {
	enum name_case c;
	const char *finding;
	size_t says;
	size_t accepts; /* offset of the bool in struct profile that lets it pass; 0: never */
};

#define ACCEPTS(field) offsetof(struct profile, field)

static const struct name_rule name_rules[] = {
	{NAME_CN_ONLY, "cn-only-no-san", SAYS(cn_only), ACCEPTS(cn_fallback)},
	{NAME_IP_IN_CN, "ip-not-in-san", SAYS(ip_in_cn), ACCEPTS(ip_in_cn)},
	{NAME_IP_AS_DNS, "ip-not-in-san", SAYS(ip_as_dns), ACCEPTS(ip_as_dns)},
	{NAME_ONE_LABEL_WILDCARD, "hostname-mismatch", SAYS(name), ACCEPTS(one_label_wildcard)},
	{NAME_MISMATCH, "hostname-mismatch", SAYS(name), 0},
	{NAME_IP_MISMATCH, "hostname-mismatch", SAYS(ip), 0},
};

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* The CN of an RFC 4514 subject ("CN=x,O=y"), copied into out; false when there is none. */
static bool subject_cn(const char *subject, char *out, size_t len)
{
	for (const char *p = subject; p && *p; p++) {
		if ((p == subject || p[-1] == ',') && strncmp(p, "CN=", 3) == 0) {
			size_t n = strcspn(p + 3, ",");
			if (n >= len)
				return false;
			memcpy(out, p + 3, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static bool has_finding(const struct tls_report *r, const char *id, enum tls_subject subj)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].subject == subj && strcmp(r->findings[i].id, id) == 0)
			return true;
	return false;
}

/* "*.test" against "a.test": a wildcard with a single label after the star. */
static bool one_label_wildcard(const struct tls_cert_info *leaf, const char *name)
{
	const char *dot = strchr(name, '.');
	if (!dot || strchr(dot + 1, '.'))
		return false;
	for (size_t i = 0; i < leaf->san.n; i++) {
		const char *s = leaf->san.v[i];
		if (strncmp(s, "DNS:*.", 6) == 0 && !strchr(s + 6, '.') &&
		    strcasecmp(s + 6, dot + 1) == 0)
			return true;
	}
	return false;
}

static enum name_case name_case(const struct tls_report *r, enum tls_subject subj)
{
	const char *name = r->verification.hostname.name;
	bool mismatch = has_finding(r, "hostname-mismatch", subj);
	char cn[256];

	if (!r->n_chain || !name)
		return NAME_OK;
	if (!mismatch)
		return has_finding(r, "cn-only-no-san", subj) ? NAME_CN_ONLY : NAME_OK;
	const struct tls_cert_info *leaf = &r->chain[0];
	if (is_ip(name)) {
		char dns[300];
		snprintf(dns, sizeof(dns), "DNS:%s", name);
		if (!leaf->san.n && subject_cn(leaf->subject, cn, sizeof(cn)) &&
		    strcasecmp(cn, name) == 0)
			return NAME_IP_IN_CN;
		if (strlist_contains(&leaf->san, dns))
			return NAME_IP_AS_DNS;
		return NAME_IP_MISMATCH;
	}
	return one_label_wildcard(leaf, name) ? NAME_ONE_LABEL_WILDCARD : NAME_MISMATCH;
}

/* ---------------- words ---------------- */

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The leaf's subjectAltNames of one kind ("DNS:" or "IP:"), joined; with_kind keeps it. */
static void put_sans(char **buf, size_t *len, size_t *cap, const struct tls_report *r,
		     const char *kind, bool with_kind)
{
	bool first = true;
	if (!r->n_chain)
		return;
	for (size_t i = 0; i < r->chain[0].san.n; i++) {
		const char *s = r->chain[0].san.v[i];
		if (kind && strncmp(s, kind, strlen(kind)) != 0)
			continue;
		if (!first)
			put(buf, len, cap, ", ", 2);
		first = false;
		const char *v = with_kind ? s : strchr(s, ':') + 1;
		put(buf, len, cap, v, strlen(v));
	}
}

static int version_rank(const char *v);
static int offered_rank(const struct tls_report *r);

/* The template with {name}, {dns}, {ips}, {san} and {tlsv} (Java's name of the version that
 * tlsscope offered, "TLSv1.1") filled in from r. */
static char *expand(const char *tmpl, const struct tls_report *r)
{
	char *buf = xstrdup("");
	size_t len = 0, cap = 1;
	const char *name = r->verification.hostname.name ? r->verification.hostname.name : "";

	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{name}", 6) == 0) {
			put(&buf, &len, &cap, name, strlen(name));
			p += 6;
		} else if (strncmp(p, "{dns}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, "DNS:", false);
			p += 5;
		} else if (strncmp(p, "{ips}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, "IP:", true);
			p += 5;
		} else if (strncmp(p, "{san}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, NULL, true);
			p += 5;
		} else if (strncmp(p, "{tlsv}", 6) == 0) {
			char v[16];
			int rank = offered_rank(r);
			snprintf(v, sizeof(v), rank == 10 ? "TLSv1" : "TLSv1.%d", rank - 10);
			put(&buf, &len, &cap, v, strlen(v));
			p += 6;
		} else {
			size_t n = strcspn(p + 1, "{") + 1;
			put(&buf, &len, &cap, p, n);
			p += n;
		}
	}
	return buf;
}

static void add_reason(struct profile_verdict *v, const char *finding, int cert_index,
		       const char *says, const struct tls_report *r)
{
	for (size_t i = 0; i < v->n_reasons; i++)
		if (strcmp(v->reasons[i].finding, finding) == 0 &&
		    v->reasons[i].cert_index == cert_index)
			return;
	v->reasons = xrealloc(v->reasons, (v->n_reasons + 1) * sizeof(*v->reasons));
	v->reasons[v->n_reasons++] = (struct profile_reason){
		.finding = finding, .cert_index = cert_index, .says = expand(says, r)};
}

/* ---------------- versions and suites ---------------- */

static const char *const version_names[] = {
	[10] = "TLS1.0", [11] = "TLS1.1", [12] = "TLS1.2", [13] = "TLS1.3"};

/* "TLS1.2" -> 12; 0 when unknown. */
static int version_rank(const char *v)
{
	for (size_t i = 0; v && i < N(version_names); i++)
		if (version_names[i] && strcmp(version_names[i], v) == 0)
			return (int)i;
	return 0;
}

/* Suite names as GnuTLS gives them (TLS_DHE_RSA_AES_128_CCM) or as IANA does
 * (TLS_DHE_RSA_WITH_AES_128_CCM): the same prefixes and parts. */
static const struct {
	unsigned kind;
	const char *prefix, *part;
} suite_kinds[] = {
	{SUITE_DHE, "TLS_DHE_", NULL},
	{SUITE_CCM, NULL, "_CCM"},
	{SUITE_CBC_SHA2, NULL, "_CBC_SHA256"},
	{SUITE_CBC_SHA2, NULL, "_CBC_SHA384"},
};

static unsigned suite_kind(const char *suite)
{
	unsigned k = 0;
	for (size_t i = 0; suite && i < N(suite_kinds); i++)
		if ((suite_kinds[i].prefix &&
		     strncmp(suite, suite_kinds[i].prefix, strlen(suite_kinds[i].prefix)) == 0) ||
		    (suite_kinds[i].part && strstr(suite, suite_kinds[i].part)))
			k |= suite_kinds[i].kind;
	return k;
}

/* An ECDHE or DHE key exchange, which TLS 1.0/1.1 sign with MD5+SHA-1. */
static bool signed_kx(const char *suite)
{
	return suite &&
	       (strncmp(suite, "TLS_ECDHE_", 10) == 0 || strncmp(suite, "TLS_DHE_", 8) == 0);
}

/* What the server was seen to speak, and the finding that says so: the version tlsscope itself
 * negotiated when it is an old one (tls-version-old), else a follow-up probe's answer after a
 * version or suite mismatch. False when the report shows neither. */
struct server_choice {
	const char *version, *suite, *finding;
};

static bool server_choice(const struct tls_report *r, struct server_choice *c)
{
	static const char *const mismatches[] = {"protocol-version-mismatch", "no-shared-cipher"};

	if (r->negotiated.present && has_finding(r, "tls-version-old", SUBJ_CONNECTION)) {
		*c = (struct server_choice){r->negotiated.version, r->negotiated.cipher_suite,
					    "tls-version-old"};
		return true;
	}
	for (size_t m = 0; m < N(mismatches); m++) {
		if (!has_finding(r, mismatches[m], SUBJ_CONNECTION))
			continue;
		for (size_t i = 0; i < r->n_probes; i++)
			if (r->probes[i].accepted && !r->probes[i].sni) {
				*c = (struct server_choice){r->probes[i].version,
							    r->probes[i].cipher_suite,
							    mismatches[m]};
				return true;
			}
	}
	return false;
}

/* A client refuses a version below its minimum; an OpenSSL one at security level 2 also the
 * signed key exchange of TLS 1.0/1.1; and, after a mismatch, a suite of a kind it lacks. */
static void judge_version(const struct profile *p, const struct tls_report *r,
			  struct profile_verdict *v)
{
	struct server_choice c;
	if (!p->min_version || !server_choice(r, &c))
		return;
	int rank = version_rank(c.version);
	const char *says = NULL;
	if (rank && rank < p->min_version)
		says = p->says.old_version;
	else if (rank && rank < 12 && p->legacy_sigalg && signed_kx(c.suite))
		says = p->says.legacy_sigalg;
	else if (strcmp(c.finding, "tls-version-old") != 0 && (suite_kind(c.suite) & p->lacks))
		says = p->says.no_cipher;
	if (says)
		add_reason(v, c.finding, -1, says, r);
}

/* The version a server saw from tlsscope: the one negotiated, else the highest it offered. */
static int offered_rank(const struct tls_report *r)
{
	int best = 0;

	if (r->negotiated.present && r->negotiated.version)
		return version_rank(r->negotiated.version);
	for (size_t i = 0; i < r->offered_versions.n; i++)
		if (version_rank(r->offered_versions.v[i]) > best)
			best = version_rank(r->offered_versions.v[i]);
	return best;
}

/* Servers judging tlsscope's own connection (connect mode): a version below the server's
 * minimum, or TLS 1.0/1.1 at an OpenSSL 3.0 server, which refuses the MD5+SHA-1 signature of
 * the ECDHE key exchange tlsscope's offers lead with. The reason is the finding that names the
 * old version (tls-version-old when another server took it, else protocol-version-mismatch). */
static void judge_server_version(const struct profile *p, const struct tls_report *r,
				 struct profile_verdict *v)
{
	static const char *const ids[] = {"tls-version-old", "protocol-version-mismatch"};
	int rank = offered_rank(r);
	const char *says = NULL;

	if (r->mode != TLS_MODE_CONNECT || !p->min_version || !rank)
		return;
	if (rank < p->min_version)
		says = p->says.old_version;
	else if (rank < 12 && p->legacy_sigalg)
		says = p->says.legacy_sigalg;
	for (size_t i = 0; says && i < N(ids); i++)
		if (has_finding(r, ids[i], SUBJ_CONNECTION)) {
			add_reason(v, ids[i], -1, says, r);
			return;
		}
}

/* The probe that offered only what every common client offers (client_followup.c). */
const struct tls_probe *profiles_common_probe(const struct tls_report *r)
{
	for (size_t i = 0; i < r->n_probes; i++)
		if (r->probes[i].offered &&
		    strcmp(r->probes[i].offered, PROFILES_COMMON_OFFER) == 0)
			return &r->probes[i];
	return NULL;
}

/* A connection completed on a suite of a kind p lacks: p cannot connect unless the server also
 * took, in the common-suite probe, a suite of a kind p has. No probe (--no-probe, no time
 * left) is no evidence that it would: a refusal, as a false accept is the worse error. */
static bool suite_refused(const struct profile *p, const struct tls_report *r)
{
	if (r->mode != TLS_MODE_CONNECT || r->handshake.status != HS_COMPLETE ||
	    !(suite_kind(r->negotiated.cipher_suite) & p->lacks))
		return false;
	const struct tls_probe *pr = profiles_common_probe(r);
	return !(pr && pr->accepted && !(suite_kind(pr->cipher_suite) & p->lacks));
}

bool profiles_suite_uncommon(const char *suite)
{
	unsigned k = suite_kind(suite);
	for (size_t i = 0; k && i < profiles_n_clients; i++)
		if (k & profiles_clients[i].lacks)
			return true;
	return false;
}

static const struct {
	unsigned kind;
	const char *words;
} kind_words[] = {
	{SUITE_DHE, "DHE"},
	{SUITE_CCM, "AES-CCM"},
	{SUITE_CBC_SHA2, "CBC-SHA256/384"},
};

bool profiles_suite_refusers(const struct tls_report *r, char *who, size_t who_len, char *kinds,
			     size_t kinds_len)
{
	unsigned k = suite_kind(r->negotiated.cipher_suite), lacked = 0;

	*who = *kinds = '\0';
	for (size_t i = 0; i < profiles_n_clients; i++)
		if (suite_refused(&profiles_clients[i], r)) {
			snprintf(who + strlen(who), who_len - strlen(who), "%s%s", *who ? ", " : "",
				 profiles_clients[i].id);
			lacked |= profiles_clients[i].lacks & k;
		}
	for (size_t i = 0; i < N(kind_words); i++)
		if (lacked & kind_words[i].kind)
			snprintf(kinds + strlen(kinds), kinds_len - strlen(kinds), "%s%s",
				 *kinds ? " or " : "", kind_words[i].words);
	return *who != '\0';
}

static void judge_suite(const struct profile *p, const struct tls_report *r,
			struct profile_verdict *v)
{
	if (suite_refused(p, r) && p->says.no_cipher &&
	    has_finding(r, "clients-lack-suite", SUBJ_CONNECTION))
		add_reason(v, "clients-lack-suite", -1, p->says.no_cipher, r);
}

static void judge_one(const struct profile *p, const struct tls_report *r, enum tls_subject subj,
		      struct profile_verdict *v)
{
	*v = (struct profile_verdict){.id = p->id, .name = p->name, .accept = true};
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		if (f->subject != subj)
			continue;
		for (size_t k = 0; k < N(rules); k++) {
			const char *says = says_of(p, rules[k].says);
			if (strcmp(rules[k].finding, f->id) != 0 || !says ||
			    !rules[k].refuses(p, r, f))
				continue;
			add_reason(v, f->id, f->cert_index, says, r);
		}
	}
	enum name_case c = subj == SUBJ_SERVER_CHAIN ? name_case(r, subj) : NAME_OK;
	for (size_t k = 0; k < N(name_rules) && c != NAME_OK; k++) {
		const struct name_rule *nr = &name_rules[k];
		if (nr->c != c || (nr->accepts && *(const bool *)((const char *)p + nr->accepts)))
			continue;
		/* The case's own id when the report has it, else the mismatch every case gives. */
		const char *id =
			has_finding(r, nr->finding, subj) ? nr->finding : "hostname-mismatch";
		const char *says =
			says_of(p, nr->says) ? says_of(p, nr->says) : says_of(p, SAYS(name));
		if (says)
			add_reason(v, id, 0, says, r);
	}
	if (subj == SUBJ_SERVER_CHAIN) {
		judge_version(p, r, v);
		judge_suite(p, r, v);
	} else {
		judge_server_version(p, r, v);
	}
	/* Clients only: the servers' entries keep their shape. */
	v->min_version =
		subj == SUBJ_SERVER_CHAIN && p->min_version ? version_names[p->min_version] : NULL;
	v->accept = v->n_reasons == 0;
}

void profiles_judge(const struct tls_report *r, enum profile_side side, struct profile_set *out)
{
	const struct profile *table = side == PROFILE_CLIENTS ? profiles_clients : profiles_servers;
	size_t n = side == PROFILE_CLIENTS ? profiles_n_clients : profiles_n_servers;
	enum tls_subject subj = side == PROFILE_CLIENTS ? SUBJ_SERVER_CHAIN : SUBJ_CLIENT_CHAIN;

	out->v = xmalloc(n * sizeof(*out->v));
	out->n = n;
	for (size_t i = 0; i < n; i++)
		judge_one(&table[i], r, subj, &out->v[i]);
}

bool profiles_apply(const struct tls_report *r, enum profile_side side)
{
	struct server_choice c;
	return r->n_chain || (side == PROFILE_CLIENTS && server_choice(r, &c));
}

void profiles_free(struct profile_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->v[i].n_reasons; k++)
			free(s->v[i].reasons[k].says);
		free(s->v[i].reasons);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
