/* The forms of the connection setup (target, trust, identity), what-if, listen and PKI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "form.h"
#include "screens.h"
#include "tlsscope/chain.h"
#include "tlsscope/creds.h"
#include "tlsscope/pki.h"
#include "tlsscope/proxy.h"
#include "tlsscope/starttls.h"
#include "tlsscope/target.h"

/* What runs after a setup form applied its change (the connection view reconnects). */
struct after {
	void (*done)(struct ui *ui, void *arg);
	void *arg;
	const struct tls_report *r; /* the identity form: the connection it is for, or NULL */
};

static void *after_new(void (*done)(struct ui *ui, void *arg), void *arg)
{
	struct after *a = xcalloc(1, sizeof(*a));
	a->done = done;
	a->arg = arg;
	return a;
}

static void after_run(struct ui *ui, struct form *fm)
{
	struct after *a = fm->arg;
	if (a && a->done)
		a->done(ui, a->arg);
}

static void join_paths(const struct strlist *l, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "; " : "", l->v[i]);
}

/* ---- target ---- */

static const char *const versions[] = {"highest", "TLS 1.2", "TLS 1.3", NULL};
static const char *const http_modes[] = {"auto", "always", "never", NULL};

/* The target form's fields, in order. */
enum {
	T_HOST,
	T_SNI,
	T_NO_SNI,
	T_VERIFY,
	T_ALPN,
	T_TIMEOUT,
	T_MAX,
	T_HTTP,
	T_STARTTLS,
	T_OCSP,
	T_AIA,
	T_PROXY,
	T_PROXY_PW,
};

/* The STARTTLS choices: what the port implies (its text names it), none, then each protocol
 * of the engine's table. The UI runs on one thread: one set of choices serves every form. */
#define N_STARTTLS 16
static char by_port[48] = "by port";
static const char *starttls_choices[N_STARTTLS + 3] = {by_port, "none"};

static void starttls_choices_fill(void)
{
	static char names[200];

	if (starttls_choices[2])
		return;
	snprintf(names, sizeof(names), "%s", starttls_names());
	size_t n = 2;
	for (char *save = NULL, *t = strtok_r(names, ", ", &save); t && n < N_STARTTLS + 2;
	     t = strtok_r(NULL, ", ", &save))
		starttls_choices[n++] = t;
}

static int starttls_choice(const char *name)
{
	for (int i = 1; name && starttls_choices[i]; i++)
		if (strcmp(starttls_choices[i], name) == 0)
			return i;
	return 0;
}

/* The first choice says which protocol the port in the host:port field implies. */
static void target_changed(struct ui *ui, struct form *fm)
{
	struct tls_error err = {{0}};
	struct tls_target t;
	const struct starttls_proto *p = NULL;
	(void)ui;

	if (field_value(&fm->f[T_HOST]) &&
	    target_parse(fm->f[T_HOST].value, TLS_DEFAULT_PORT, &t, &err) == 0)
		p = starttls_by_port(t.port);
	snprintf(by_port, sizeof(by_port), "by port: %s", p ? starttls_name(p) : "none");
}

static int target_apply(struct ui *ui, struct form *fm)
{
	struct tls_error err = {{0}};
	struct tls_target t;
	struct ui_setup *s = &ui->setup;
	const struct field *f = fm->f;

	if (!field_value(&f[T_HOST]) ||
	    target_parse(f[T_HOST].value, TLS_DEFAULT_PORT, &t, &err) < 0) {
		ui_message(ui, true, "Target", "%s",
			   field_value(&f[T_HOST]) ? err.msg
						   : "Say which host:port to connect to.");
		return -1;
	}
	char *end = NULL;
	double timeout = strtod(f[T_TIMEOUT].value, &end);
	if (!end || *end || timeout <= 0 || timeout > 3600) {
		ui_message(ui, true, "Timeout", "The timeout is a number of seconds, 1 to 3600.");
		return -1;
	}
	struct tls_proxy_spec px;
	if (field_value(&f[T_PROXY]) && proxy_parse(f[T_PROXY].value, &px, &err) < 0) {
		ui_message(ui, true, "Proxy", "%s", err.msg);
		return -1;
	}
	struct stat st;
	const char *pw = field_value(&f[T_PROXY_PW]);
	if (pw && (stat(pw, &st) < 0 || !S_ISREG(st.st_mode))) {
		ui_message(ui, true, "Proxy password file", "%s is not a regular file.", pw);
		return -1;
	}
	setup_set(&s->host, t.host);
	s->port = t.port;
	setup_set(&s->sni, field_value(&f[T_SNI]));
	s->no_sni = f[T_NO_SNI].on;
	setup_set(&s->verify_name, field_value(&f[T_VERIFY]));
	setup_set(&s->alpn, field_value(&f[T_ALPN]));
	s->timeout_s = timeout;
	s->tls_max = f[T_MAX].choice == 1 ? 12 : f[T_MAX].choice == 2 ? 13 : 0;
	s->http = f[T_HTTP].choice == 1 ? HTTP_ON : f[T_HTTP].choice == 2 ? HTTP_OFF : HTTP_AUTO;
	setup_set(&s->starttls,
		  f[T_STARTTLS].choice ? starttls_choices[f[T_STARTTLS].choice] : NULL);
	s->ocsp = f[T_OCSP].on;
	s->fetch_intermediates = f[T_AIA].on;
	setup_set(&s->proxy, field_value(&f[T_PROXY]));
	setup_set(&s->proxy_password_file, pw);
	after_run(ui, fm);
	return 0;
}

static void target_recent(struct ui *ui, struct form *fm)
{
	struct strlist l = {0};
	struct field *f = fm->f;
	(void)ui;

	recent_list("target", &l, 10);
	if (l.n) {
		/* Each F3 takes the next one, with the setup it ran with. */
		size_t i = 0;
		for (size_t k = 0; k < l.n; k++)
			if (strncmp(l.v[k], f[T_HOST].value, strlen(f[T_HOST].value)) == 0 &&
			    strcspn(l.v[k], "\t") == strlen(f[T_HOST].value))
				i = (k + 1) % l.n;
		struct ui_setup s = {0};
		if (recent_restore(l.v[i], &s) == 0) {
			char hp[300];
			snprintf(hp, sizeof(hp), "%.*s", (int)strcspn(l.v[i], "\t"), l.v[i]);
			field_set(&f[T_HOST], hp);
			field_set(&f[T_SNI], s.sni);
			f[T_NO_SNI].on = s.no_sni;
			field_set(&f[T_VERIFY], s.verify_name);
			field_set(&f[T_ALPN], s.alpn);
			f[T_MAX].choice = s.tls_max == 12 ? 1 : s.tls_max == 13 ? 2 : 0;
			f[T_STARTTLS].choice = starttls_choice(s.starttls);
			f[T_OCSP].on = s.ocsp;
			f[T_AIA].on = s.fetch_intermediates;
			field_set(&f[T_PROXY], s.proxy);
			field_set(&f[T_PROXY_PW], s.proxy_password_file);
		}
		setup_free(&s);
	}
	strlist_free(&l);
}

void form_target(struct ui *ui, void (*done)(struct ui *ui, void *arg), void *arg)
{
	struct form *fm = form_new("Target");
	const struct ui_setup *s = &ui->setup;
	char hp[300] = "", timeout[32];

	if (s->host)
		snprintf(hp, sizeof(hp), strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", s->host,
			 s->port);
	snprintf(timeout, sizeof(timeout), "%g", s->timeout_s);
	form_text(fm, F_TEXT, "Host:port",
		  "host name or IP, and the port (443 when left out); F3: recent", hp);
	form_text(fm, F_TEXT, "SNI", "the server name sent in the ClientHello (empty: the host)",
		  s->sni);
	form_bool(fm, "No SNI", "send no server name at all (servers may pick another certificate)",
		  s->no_sni);
	form_text(fm, F_TEXT, "Verify name",
		  "the name or IP the certificate must match (empty: the host)", s->verify_name);
	form_text(fm, F_TEXT, "ALPN", "protocols to offer, comma-separated: h2,http/1.1", s->alpn);
	form_text(fm, F_TEXT, "Timeout (s)", "bounds the whole run, probes included", timeout);
	form_choice(fm, "Max version", "the highest TLS version to offer", versions,
		    s->tls_max == 12   ? 1
		    : s->tls_max == 13 ? 2
				       : 0);
	form_choice(fm, "HTTP request",
		    "auto: GET / when the server asks for a client certificate (nginx answers 400 "
		    "there)",
		    http_modes,
		    s->http == HTTP_ON	  ? 1
		    : s->http == HTTP_OFF ? 2
					  : 0);
	starttls_choices_fill();
	form_choice(fm, "STARTTLS",
		    "the plaintext upgrade before TLS (--starttls); by port: 587 smtp, 143 imap, "
		    "5432 postgres...",
		    starttls_choices, starttls_choice(s->starttls));
	form_bool(fm, "Ask OCSP", "ask each certificate's OCSP responder (--ocsp)", s->ocsp);
	form_bool(fm, "Fetch intermediates",
		  "complete a short chain from the certificates' caIssuers URLs "
		  "(--fetch-intermediates)",
		  s->fetch_intermediates);
	form_text(
		fm, F_TEXT, "Proxy",
		"http://[user@]host:port (CONNECT), socks5:// or socks5h:// (--proxy); empty: none",
		s->proxy);
	form_text(fm, F_FILE, "Proxy password",
		  "a file whose first line is the proxy user's password (--proxy-password-file)",
		  s->proxy_password_file);
	fm->apply = target_apply;
	fm->recent = target_recent;
	fm->changed = target_changed;
	fm->arg = after_new(done, arg);
	fm->free_arg = free;
	target_changed(ui, fm);
	ui_push(ui, &fm->base);
}

/* ---- trust ---- */

static int trust_apply(struct ui *ui, struct form *fm)
{
	struct ui_setup trial = {0};
	struct tls_error err = {{0}};

	trial.system_trust = fm->f[0].on;
	field_paths(&fm->f[1], &trial.ca_files);
	field_paths(&fm->f[2], &trial.intermediates);
	field_paths(&fm->f[3], &trial.crls);
	if (!trial.system_trust && !trial.ca_files.n) {
		setup_free(&trial);
		ui_message(
			ui, true, "Trust",
			"With the system store off and no CA file, nothing can be trusted: every "
			"certificate will fail. Add a CA file (F2 picks one) or turn the system "
			"store on.");
		return -1;
	}
	/* The files are loaded once here, so a bad one is named before anything changes. */
	struct tls_creds *c = setup_creds(&trial, false, false, &err);
	if (!c) {
		setup_free(&trial);
		ui_message(ui, true, "Cannot use this trust", "%s", err.msg);
		return -1;
	}
	creds_free(c);
	struct ui_setup *s = &ui->setup;
	s->system_trust = trial.system_trust;
	strlist_free(&s->ca_files);
	strlist_free(&s->intermediates);
	strlist_free(&s->crls);
	s->ca_files = trial.ca_files;
	s->intermediates = trial.intermediates;
	s->crls = trial.crls;
	trial.ca_files = trial.intermediates = trial.crls = (struct strlist){0};
	setup_free(&trial);
	after_run(ui, fm);
	return 0;
}

void form_trust(struct ui *ui, void (*done)(struct ui *ui, void *arg), void *arg)
{
	struct form *fm = form_new("Trust");
	const struct ui_setup *s = &ui->setup;
	char buf[4096];

	form_bool(fm, "System store", "trust the CAs the system trusts (as browsers and curl do)",
		  s->system_trust);
	join_paths(&s->ca_files, buf, sizeof(buf));
	form_text(fm, F_FILES, "CA files",
		  "your own CA (ca.crt): PEM, DER or a bundle; several separated by ;", buf);
	join_paths(&s->intermediates, buf, sizeof(buf));
	form_text(fm, F_FILES, "Intermediates",
		  "untrusted intermediates that may complete a chain the server sent short", buf);
	join_paths(&s->crls, buf, sizeof(buf));
	form_text(fm, F_FILES, "CRLs", "revocation lists to check against", buf);
	fm->apply = trust_apply;
	fm->arg = after_new(done, arg);
	fm->free_arg = free;
	ui_push(ui, &fm->base);
}

/* ---- identity ---- */

static int identity_apply(struct ui *ui, struct form *fm)
{
	struct tls_error err = {{0}};
	struct ui_setup *s = &ui->setup;
	const char *cert = field_value(&fm->f[0]), *key = field_value(&fm->f[1]);
	const char *password = fm->f[2].value;

	if (cert) {
		/* Loading it once here shows a wrong password or a key that does not match in a
		 * dialog, and the form stays open to fix it. */
		struct tls_creds *c = creds_build(
			&(struct tls_creds_spec){
				.cert = cert, .key = key, .password = *password ? password : NULL},
			&err);
		creds_free(c);
		if (!c) {
			ui_message(ui, true, "Cannot load this identity", "%s", err.msg);
			return -1;
		}
	}
	setup_set(&s->cert, cert);
	setup_set(&s->key, key);
	setup_set_password(s, *password ? password : NULL);
	s->force_client_cert = fm->f[3].on;
	if (cert)
		recent_add_identity(cert, key);
	after_run(ui, fm);
	return 0;
}

static void identity_recent(struct ui *ui, struct form *fm)
{
	struct strlist l = {0};
	char cur[4200];
	(void)ui;

	snprintf(cur, sizeof(cur), "%s\t%s", fm->f[0].value, fm->f[1].value);
	recent_list("identity", &l, 10);
	if (l.n) {
		size_t i = 0;
		for (size_t k = 0; k < l.n; k++)
			if (strcmp(l.v[k], cur) == 0)
				i = (k + 1) % l.n;
		char *tab = strchr(l.v[i], '\t');
		if (tab)
			*tab = '\0';
		field_set(&fm->f[0], l.v[i]);
		field_set(&fm->f[1], tab ? tab + 1 : "");
	}
	strlist_free(&l);
}

/* The certificates of a regular file (never a FIFO or a device: the form must not wait), or
 * -1. */
static int certs_of(const char *file, gnutls_x509_crt_t **crts)
{
	struct tls_error err = {{0}};
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;

	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 1024 * 1024 ||
	    util_read_file(file, 1024 * 1024, &data, &len, &err) < 0)
		return -1;
	int n = creds_parse_certs(data, len, file, crts, &err);
	free(data);
	return n;
}

/* Where a CA named as crt's issuer is, and whether its key signed crt: 1 signed, 0 only the
 * name matches, -1 none of that name. */
static int signer_in(gnutls_x509_crt_t crt, gnutls_x509_crt_t *set, int n)
{
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
			 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_DISABLE_CA_SIGN;
	gnutls_datum_t issuer = {0};
	int found = -1;

	/* By name alone: gnutls_x509_crt_check_issuer also compares the key identifiers, and
	 * a CA of the same name with another key is what this is to find. */
	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned st = 0;
		gnutls_datum_t subject = {0};
		bool same = gnutls_x509_crt_get_raw_dn(set[i], &subject) == 0 &&
			    subject.size == issuer.size &&
			    memcmp(subject.data, issuer.data, issuer.size) == 0;
		gnutls_free(subject.data);
		if (!same)
			continue;
		found = 0;
		if (gnutls_x509_crt_verify(crt, &set[i], 1, flags, &st) == 0 &&
		    !(st & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND))) {
			found = 1;
			break;
		}
	}
	gnutls_free(issuer.data);
	return found;
}

/* By key: the server's chain, then each CA file. *where names the first place holding a CA of
 * the issuer's name (static or from files). */
static int match_by_key(const struct ui *ui, const struct tls_report *r, gnutls_x509_crt_t crt,
			const char **where)
{
	int best = -1;
	gnutls_x509_crt_t *set = NULL;

	*where = NULL;
	if (r->n_chain) {
		gnutls_datum_t *der = xcalloc(r->n_chain, sizeof(*der));
		for (size_t i = 0; i < r->n_chain; i++)
			der[i] = (gnutls_datum_t){r->chain[i].der, (unsigned)r->chain[i].der_len};
		if (chain_import(der, (unsigned)r->n_chain, &set) == 0) {
			best = signer_in(crt, set, (int)r->n_chain);
			chain_free(set, (unsigned)r->n_chain);
		}
		free(der);
		if (best >= 0)
			*where = "the server's chain";
	}
	for (size_t i = 0; best < 1 && i < ui->setup.ca_files.n; i++) {
		int n = certs_of(ui->setup.ca_files.v[i], &set);
		if (n <= 0)
			continue;
		int m = signer_in(crt, set, n);
		chain_free(set, (unsigned)n);
		if (m > best) {
			best = m;
			const char *slash = strrchr(ui->setup.ca_files.v[i], '/');
			*where = slash ? slash + 1 : ui->setup.ca_files.v[i];
		}
	}
	return best;
}

/* The certificate in path against the server's CertificateRequest: its issuer among the
 * acceptable CA names, and, when the server's chain or a CA file holds a CA of that name,
 * whether that CA's key verifies its signature (two PKIs may share a CA name). NULL when the
 * server asked for nothing or path holds no certificate. */
static char *identity_match(const struct ui *ui, const struct tls_report *r, const char *path)
{
	const struct tls_client_auth *ca = &r->client_auth;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t dn = {0};
	const char *where = NULL;
	char *out = NULL;

	if (r->mode != TLS_MODE_CONNECT || !ca->requested)
		return NULL;
	int n = certs_of(path, &crts);
	if (n <= 0)
		return NULL;
	if (gnutls_x509_crt_get_issuer_dn3(crts[0], &dn, 0) < 0) {
		chain_free(crts, (unsigned)n);
		return NULL;
	}
	bool listed = false;
	for (size_t i = 0; i < ca->acceptable_cas.n; i++)
		listed = listed || strcmp(ca->acceptable_cas.v[i], (const char *)dn.data) == 0;
	int key = match_by_key(ui, r, crts[0], &where);
	char *line2 = key > 0 ? xasprintf("By key: yes, the CA of that name in %s signed this "
					  "certificate.",
					  where)
		      : key == 0
			      ? xasprintf("By key: NO, %s holds a CA of that name, but another key "
					  "signed this certificate: another PKI, the server will "
					  "refuse it.",
					  where)
			      : xstrdup("By key: not known (neither the server's chain nor the CA "
					"files hold that CA).");
	if (!ca->acceptable_cas.n)
		out = xasprintf("The server names no CA: any issuer will do.\n%s", line2);
	else if (listed)
		out = xasprintf("Issuer %s: in the server's list by name.\n%s",
				(const char *)dn.data, line2);
	else
		out = xasprintf("Issuer %s: NOT in the server's list (by name); it is not sent "
				"unless Always send.",
				(const char *)dn.data);
	free(line2);
	gnutls_free(dn.data);
	chain_free(crts, (unsigned)n);
	return out;
}

/* When the picker gives a PKCS#12 file for the certificate, the key field has nothing to do;
 * a certificate is matched against the server's CertificateRequest. */
static void identity_changed(struct ui *ui, struct form *fm)
{
	const struct after *a = fm->arg;
	char *preview = NULL;

	free(fm->note);
	fm->note = NULL;
	if (!field_value(&fm->f[0]))
		return;
	const char *kind = picker_kind(fm->f[0].value, &preview);
	if (strcmp(kind, "pkcs12") == 0)
		fm->note = xstrdup(
			"A PKCS#12 file holds the key: leave Key empty, give its password.");
	else if (strcmp(kind, "key") == 0 || strcmp(kind, "encrypted-key") == 0)
		fm->note = xstrdup("That is a key: the certificate goes in the first field.");
	else if (a && a->r)
		fm->note = identity_match(ui, a->r, fm->f[0].value);
	free(preview);
}

void form_identity(struct ui *ui, const struct tls_report *r,
		   void (*done)(struct ui *ui, void *arg), void *arg)
{
	struct form *fm = form_new("Client identity");
	const struct ui_setup *s = &ui->setup;

	form_text(fm, F_FILE, "Certificate",
		  "client.crt (PEM or DER), a PKCS#12 file (.p12) or a pkcs11: URI; empty: none",
		  s->cert);
	struct field *key =
		form_text(fm, F_FILE, "Key",
			  "client.key, or a pkcs11: URI; empty for PKCS#12; F2 finds the "
			  "certificate's",
			  s->key);
	key->key_of = &fm->f[0];
	form_text(fm, F_SECRET, "Password / PIN",
		  "for PKCS#12, an encrypted key or the token; kept in memory, never saved",
		  s->password);
	form_bool(fm, "Always send",
		  "send it even when its issuer is not among the CAs the server accepts",
		  s->force_client_cert);
	fm->apply = identity_apply;
	fm->recent = identity_recent;
	fm->changed = identity_changed;
	fm->arg = after_new(done, arg);
	((struct after *)fm->arg)->r = r;
	fm->free_arg = free;
	identity_changed(ui, fm);
	ui_push(ui, &fm->base);
}

/* ---- what-if ---- */

static const char *const rsa_sizes[] = {"1024", "2048", "3072", "4096", NULL};

struct whatif {
	struct tls_report *r;
	bool *system;
	struct tls_policy saved;
	bool saved_system;
	void (*recheck)(struct ui *ui, void *arg);
	void *arg;
};

static void whatif_changed(struct ui *ui, struct form *fm)
{
	struct whatif *w = fm->arg;
	size_t i = 0;

	if (w->system)
		*w->system = fm->f[i++].on;
	w->r->policy.check_hostname = fm->f[i++].on;
	w->r->policy.allow_sha1 = fm->f[i++].on;
	w->r->policy.min_rsa_bits = (unsigned)atoi(rsa_sizes[fm->f[i].choice]);
	w->recheck(ui, w->arg);
}

static void whatif_cancelled(struct ui *ui, struct form *fm)
{
	struct whatif *w = fm->arg;

	w->r->policy = w->saved;
	if (w->system)
		*w->system = w->saved_system;
	w->recheck(ui, w->arg);
}

void form_whatif(struct ui *ui, struct tls_report *r, bool *system,
		 void (*recheck)(struct ui *ui, void *arg), void *arg)
{
	struct form *fm = form_new("What if... (re-verifies the captured chain at once)");
	struct whatif *w = xcalloc(1, sizeof(*w));
	int rsa = 1;

	*w = (struct whatif){
		.r = r, .system = system, .saved = r->policy, .recheck = recheck, .arg = arg};
	if (system) {
		w->saved_system = *system;
		form_bool(fm, "System store", "also trust the system's CAs", *system);
	}
	form_bool(fm, "Check hostname", "off: would the chain pass if the name did not matter?",
		  r->policy.check_hostname);
	form_bool(fm, "Allow SHA-1", "accept SHA-1 signatures, as 2015's clients did",
		  r->policy.allow_sha1);
	for (int i = 0; rsa_sizes[i]; i++)
		if ((unsigned)atoi(rsa_sizes[i]) == r->policy.min_rsa_bits)
			rsa = i;
	form_choice(fm, "Min RSA bits", "RSA keys below this are weak (today's clients: 2048)",
		    rsa_sizes, rsa);
	fm->note = xstrdup("The findings below change as you toggle; Enter keeps, Esc restores.");
	fm->at_top = true;
	fm->changed = whatif_changed;
	fm->cancelled = whatif_cancelled;
	fm->arg = w;
	fm->free_arg = free;
	ui_push(ui, &fm->base);
}
