/* explain (include/tlsscope/profiles.h): which profile prints a message a user copied from a
 * client's or a server's log, compared piece by piece with every row's words. */
#include "tlsscope/profiles.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "profiles_private.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/util.h"

/* ---------------- explain ---------------- */

/* Messages that are not a profile's verification words but come up in the same logs. */
struct extra_message {
	const char *client, *finding, *text;
};

static const struct extra_message extras[] = {
	/* OpenSSL 1.1's wording of X509_V_ERR_INVALID_PURPOSE (3.0 says "unsuitable"). */
	{"nginx", "wrong-purpose", "unsupported certificate purpose"},
	{"nginx", "client-cert-required", "No required SSL certificate was sent"},
	{"java", "untrusted-issuer", "PKIX path building failed"},
	{"curl", "untrusted-issuer", "SSL certificate problem: unable to get local issuer"},
	{"openssl", "self-signed", "self-signed certificate in certificate chain"},
	{"openssl", "self-signed", "self signed certificate"},
	{"go", "ip-not-in-san", "doesn't contain any IP SANs"},
	{"go", "hostname-mismatch", "x509: certificate is valid for"},
	{"java", "hostname-mismatch", "No subject alternative DNS name matching"},
	{"java", "ip-not-in-san", "No subject alternative names matching IP address"},
	{"python", "hostname-mismatch", "certificate verify failed: Hostname mismatch"},
	{"python", "ip-not-in-san", "certificate verify failed: IP address mismatch"},
	{"node", "hostname-mismatch", "is not in the cert's altnames"},
	{"node", "ip-not-in-san", "is not in the cert's list"},
};

/* Templates are compared piece by piece: split at placeholders and punctuation, because users
 * paste a line with other names, ports, codes and file positions in it, or only part of it. */
#define MAX_PIECES 24

struct piece {
	const char *p;
	size_t n;
};

static bool is_cut(const char *p)
{
	return strchr("{}()[]'\":,", *p) || (p[0] == '.' && p[1] == ' ');
}

static size_t pieces_of(const char *tmpl, struct piece *out)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n < MAX_PIECES;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			p = e ? e + 1 : p + 1;
			continue;
		}
		while (*p && (is_cut(p) || isspace((unsigned char)*p)) && *p != '{')
			p++;
		const char *start = p;
		while (*p && !is_cut(p))
			p++;
		size_t len = (size_t)(p - start);
		while (len && isspace((unsigned char)start[len - 1]))
			len--;
		if (len >= 4 && strspn(start, "0123456789") < len)
			out[n++] = (struct piece){start, len};
	}
	return n;
}

static bool has_piece(const char *message, const struct piece *pc)
{
	for (const char *m = message; *m; m++)
		if (strncasecmp(m, pc->p, pc->n) == 0)
			return true;
	return false;
}

/* A piece that the profile prints for more than one failure (its prefix) tells nothing. */
static bool is_common(const struct profile *p, const struct piece *pc, const char *own);

/* 0 when message is not this template; else how much of it the message holds. */
static size_t match_score(const char *message, const char *tmpl, const struct profile *p)
{
	struct piece pcs[MAX_PIECES];
	size_t n = pieces_of(tmpl, pcs), score = 0, distinct = 0;

	for (size_t i = 0; i < n; i++) {
		if (!has_piece(message, &pcs[i]))
			continue;
		score += pcs[i].n;
		if (pcs[i].n >= 8 && (!p || !is_common(p, &pcs[i], tmpl)))
			distinct++;
	}
	return distinct ? score : 0;
}

static void add_match(struct profile_match **out, size_t *n, const char *client,
		      const char *finding, const char *name)
{
	const struct diag_entry *e = diagnose_lookup(finding);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*out)[i].client, client) == 0 &&
		    strcmp((*out)[i].finding, finding) == 0)
			return;
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = (struct profile_match){
		.client = client,
		.finding = finding,
		.title = e ? e->title : finding,
		.detail = xasprintf("%s prints this. tlsscope's finding: %s.", name,
				    e ? e->title : finding),
		.fix = e ? e->fix : ""};
}

/* Which finding each field of struct profile_says stands for, for explain. */
static const struct {
	size_t says;
	const char *finding;
} says_findings[] = {
	{SAYS(untrusted), "untrusted-issuer"},
	{SAYS(missing_intermediate), "missing-intermediate"},
	{SAYS(untrusted_leaf), "client-cert-untrusted"},
	{SAYS(self_signed), "self-signed"},
	{SAYS(expired), "expired"},
	{SAYS(weak_leaf), "weak-key"},
	{SAYS(weak_ca), "weak-key"},
	{SAYS(sha1), "insecure-signature"},
	{SAYS(not_ca), "not-a-ca"},
	{SAYS(purpose), "wrong-purpose"},
	{SAYS(path_len), "path-length-exceeded"},
	{SAYS(name_constraint), "name-constraint-violated"},
	{SAYS(name), "hostname-mismatch"},
	{SAYS(ip), "hostname-mismatch"},
	{SAYS(cn_only), "cn-only-no-san"},
	{SAYS(ip_in_cn), "ip-not-in-san"},
	{SAYS(ip_as_dns), "ip-not-in-san"},
	{SAYS(old_version), "protocol-version-mismatch"},
	{SAYS(legacy_sigalg), "tls-version-old"},
	{SAYS(no_cipher), "no-shared-cipher"},
};

static bool is_common(const struct profile *p, const struct piece *pc, const char *own)
{
	for (size_t k = 0; k < N(says_findings); k++) {
		const char *s = says_of(p, says_findings[k].says);
		if (!s || strcmp(s, own) == 0)
			continue;
		for (const char *m = s; *m; m++)
			if (strncasecmp(m, pc->p, pc->n) == 0)
				return true;
	}
	return false;
}

struct candidate {
	const char *client, *finding, *name;
	size_t score;
};

static void consider(struct candidate *c, size_t *n, size_t cap, const char *client,
		     const char *finding, const char *name, size_t score)
{
	if (score && *n < cap)
		c[(*n)++] = (struct candidate){client, finding, name, score};
}

static const char *profile_name(const char *id)
{
	for (size_t i = 0; i < profiles_n_clients; i++)
		if (strcmp(profiles_clients[i].id, id) == 0)
			return profiles_clients[i].name;
	for (size_t i = 0; i < profiles_n_servers; i++)
		if (strcmp(profiles_servers[i].id, id) == 0)
			return profiles_servers[i].name;
	return id;
}

size_t profiles_explain(const char *message, struct profile_match **out)
{
	struct candidate c[512];
	size_t nc = 0, n = 0, best = 0;
	const struct {
		const struct profile *t;
		size_t n;
	} tables[] = {{profiles_clients, profiles_n_clients},
		      {profiles_servers, profiles_n_servers}};

	*out = NULL;
	for (size_t t = 0; t < N(tables); t++)
		for (size_t i = 0; i < tables[t].n; i++)
			for (size_t k = 0; k < N(says_findings); k++) {
				const struct profile *p = &tables[t].t[i];
				const char *s = says_of(p, says_findings[k].says);
				if (s)
					consider(c, &nc, N(c), p->id, says_findings[k].finding,
						 p->name, match_score(message, s, p));
			}
	for (size_t i = 0; i < N(extras); i++)
		consider(c, &nc, N(c), extras[i].client, extras[i].finding,
			 profile_name(extras[i].client),
			 match_score(message, extras[i].text, NULL));
	/* The closest copies only: curl's line also holds OpenSSL's words that others print. */
	for (size_t i = 0; i < nc; i++)
		if (c[i].score > best)
			best = c[i].score;
	for (size_t i = 0; i < nc; i++)
		if (c[i].score == best)
			add_match(out, &n, c[i].client, c[i].finding, c[i].name);
	return n;
}

void profiles_matches_free(struct profile_match *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].detail);
	free(m);
}
