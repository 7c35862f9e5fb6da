#include "tlsscope/creds.h"

#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"

struct creds_lazy {
	bool system_loaded;
	int system_rc;
	/* Without the system store, one list serves the sessions and the --ca-alone checks:
	 * ca_files is c->trust, and each anchor is held once. */
	bool ca_files_shared;
	/* With it, the --ca anchors are held in ca_files alone until the full list needs them
	 * (the system store is read, or a CRL is checked against them): a bundle of thousands
	 * of anchors is not held twice for nothing. */
	bool anchors_pending;
	/* Bytes of the anchors' names a server sends as its acceptable-CA list. */
	size_t advertised;
};

/* TLS carries the acceptable-CA list of a CertificateRequest in at most 2^16-1 bytes (RFC 8446
 * §4.2.4, RFC 5246 §7.4.4), and GnuTLS fails the handshake when its list is longer. Anchors
 * whose names would pass this budget are trusted but not advertised. */
#define ADVERTISED_NAMES_MAX 65000u

/* GNUTLS_TL_USE_IN_TLS when the names of crts[0..n) still fit in the advertised list. */
static unsigned advertise_flag(const struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n)
{
	size_t bytes = 0;

	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t dn = {0};
		if (gnutls_x509_crt_get_raw_dn(crts[i], &dn) == 0)
			bytes += dn.size + 2;
		gnutls_free(dn.data);
	}
	if (c->lazy->advertised + bytes > ADVERTISED_NAMES_MAX)
		return 0;
	c->lazy->advertised += bytes;
	return GNUTLS_TL_USE_IN_TLS;
}

struct tls_creds *creds_new(void)
{
	struct tls_creds *c = xcalloc(1, sizeof(*c));

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		return NULL;
	}
	gnutls_certificate_get_trust_list(c->cred, &c->trust);
	c->lazy = xcalloc(1, sizeof(*c->lazy));
	return c;
}

void creds_free(struct tls_creds *c)
{
	if (!c)
		return;
	if (c->pcerts) {
		for (unsigned i = 0; i < c->n_id; i++)
			gnutls_pcert_deinit(&c->pcerts[i]);
		free(c->pcerts);
	}
	chain_free(c->id_crts, c->n_id);
	chain_free(c->intermediates, c->n_intermediates);
	for (unsigned i = 0; i < c->n_crls; i++)
		gnutls_x509_crl_deinit(c->crl_list[i]);
	free(c->crl_list);
	if (c->key)
		gnutls_privkey_deinit(c->key);
	if (c->ca_files && !c->lazy->ca_files_shared)
		gnutls_x509_trust_list_deinit(c->ca_files, 1);
	gnutls_certificate_free_credentials(c->cred);
	free(c->lazy);
	free(c);
}

/* Copies every anchor of from into to (flags for gnutls_x509_trust_list_add_cas). */
static void copy_anchors(gnutls_x509_trust_list_t from, gnutls_x509_trust_list_t to, unsigned flags)
{
	gnutls_x509_trust_list_iter_t it = NULL;
	gnutls_x509_crt_t crt;

	while (gnutls_x509_trust_list_iter_get_ca(from, &it, &crt) == 0)
		if (gnutls_x509_trust_list_add_cas(to, &crt, 1, flags) != 1)
			gnutls_x509_crt_deinit(crt);
	gnutls_x509_trust_list_iter_deinit(it);
}

/* The --ca anchors into the full list, once, when something needs them there. */
static void anchors_to_full_list(const struct tls_creds *c)
{
	if (!c->lazy->anchors_pending)
		return;
	c->lazy->anchors_pending = false;
	copy_anchors(c->ca_files, c->trust, GNUTLS_TL_USE_IN_TLS);
}

int creds_add_system_trust(struct tls_creds *c, struct tls_error *err)
{
	(void)err;
	c->system_trust = true;
	if (c->lazy->ca_files_shared) {
		/* Anchors came first: the --ca-alone list becomes a list of its own. */
		gnutls_x509_trust_list_init(&c->ca_files, 0);
		copy_anchors(c->trust, c->ca_files, 0);
		c->lazy->ca_files_shared = false;
	}
	return 0;
}

bool creds_system_trust_loaded(const struct tls_creds *c)
{
	return c->lazy->system_loaded;
}

int creds_need_system_trust(const struct tls_creds *c)
{
	if (!c->system_trust || c->lazy->system_loaded)
		return c->lazy->system_rc;
	c->lazy->system_loaded = true;
	anchors_to_full_list(c);
	/* Into the credentials' own list, which is c->trust: GnuTLS sessions and verify.c see
	 * the same anchors. */
	int rc = gnutls_certificate_set_x509_system_trust(c->cred);
	c->lazy->system_rc = rc < 0 ? -1 : 0;
	return c->lazy->system_rc;
}

static bool is_pem(const unsigned char *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

static bool pem_has(const unsigned char *data, size_t len, const char *label)
{
	char needle[64];
	int n = snprintf(needle, sizeof(needle), "-----BEGIN %s-----", label);

	return memmem(data, len, needle, (size_t)n) != NULL;
}

/* Says what a file holds when it is not what was expected, so the message can name it. */
static const char *sniff(const unsigned char *data, size_t len)
{
	if (is_pem(data, len)) {
		if (pem_has(data, len, "CERTIFICATE REQUEST") ||
		    pem_has(data, len, "NEW CERTIFICATE REQUEST"))
			return "a certificate request (CSR)";
		if (pem_has(data, len, "X509 CRL"))
			return "a certificate revocation list (CRL)";
		if (pem_has(data, len, "ENCRYPTED PRIVATE KEY"))
			return "an encrypted private key";
		if (memmem(data, len, "PRIVATE KEY-----", 16))
			return "a private key";
		if (pem_has(data, len, "CERTIFICATE") || pem_has(data, len, "X509 CERTIFICATE") ||
		    pem_has(data, len, "TRUSTED CERTIFICATE"))
			return "a certificate";
		if (pem_has(data, len, "PKCS12"))
			return "a PKCS#12 bundle";
		return "PEM data of an unknown kind";
	}
	gnutls_pkcs12_t p12;
	gnutls_datum_t d = {(unsigned char *)data, (unsigned)len};
	bool p = false;
	if (gnutls_pkcs12_init(&p12) == 0) {
		p = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0) == 0;
		gnutls_pkcs12_deinit(p12);
	}
	if (p)
		return "a PKCS#12 bundle";
	return NULL;
}

const char *creds_kind(const unsigned char *data, size_t len)
{
	static const struct {
		const char *phrase, *kind;
	} kinds[] = {
		{"a certificate request (CSR)", "csr"},
		{"a certificate revocation list (CRL)", "crl"},
		{"an encrypted private key", "encrypted-key"},
		{"a private key", "key"},
		{"a certificate", "certificate"},
		{"a PKCS#12 bundle", "pkcs12"},
	};
	const char *what = sniff(data, len);

	if (!what) {
		/* DER: a certificate, a key, a request or a list, by trying each. */
		gnutls_datum_t d = {(unsigned char *)data, (unsigned)len};
		gnutls_x509_crt_t crt;
		gnutls_x509_privkey_t key;
		gnutls_x509_crq_t crq;
		gnutls_x509_crl_t crl;
		const char *kind = "unknown";
		gnutls_x509_crt_init(&crt);
		gnutls_x509_privkey_init(&key);
		gnutls_x509_crq_init(&crq);
		gnutls_x509_crl_init(&crl);
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0)
			kind = "certificate";
		else if (gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) == 0)
			kind = "csr";
		else if (gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER) == 0)
			kind = "crl";
		else if (gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_DER, NULL,
						     GNUTLS_PKCS_PLAIN) == 0)
			kind = "key";
		gnutls_x509_crt_deinit(crt);
		gnutls_x509_privkey_deinit(key);
		gnutls_x509_crq_deinit(crq);
		gnutls_x509_crl_deinit(crl);
		return kind;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].phrase, what) == 0)
			return kinds[i].kind;
	return "unknown";
}

int creds_parse_certs(const unsigned char *data, size_t len, const char *path,
		      gnutls_x509_crt_t **out, struct tls_error *err)
{
	gnutls_datum_t d = {(unsigned char *)data, (unsigned)len};
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int rc;

	if (is_pem(data, len)) {
		rc = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
		if (rc < 0 || n == 0) {
			const char *what = sniff(data, len);
			if (what && strcmp(what, "a certificate") != 0)
				tls_error_set(err, "%s: holds %s, not a certificate", path, what);
			else
				tls_error_set(err,
					      "%s: no readable certificate in this PEM file (%s)",
					      path, rc < 0 ? gnutls_strerror(rc) : "empty");
			return -1;
		}
		/* The list is gnutls_malloc'ed; hand the caller a list chain_free can free. */
		gnutls_x509_crt_t *copy = xcalloc(n, sizeof(*copy));
		memcpy(copy, crts, n * sizeof(*crts));
		gnutls_free(crts);
		*out = copy;
		return (int)n;
	}
	crts = xcalloc(1, sizeof(*crts));
	rc = gnutls_x509_crt_init(&crts[0]);
	if (rc == 0)
		rc = gnutls_x509_crt_import(crts[0], &d, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		chain_free(crts, 1);
		const char *what = sniff(data, len);
		if (what)
			tls_error_set(err, "%s: holds %s, not a certificate", path, what);
		else
			tls_error_set(err, "%s: not a certificate (neither PEM nor DER X.509)",
				      path);
		return -1;
	}
	*out = crts;
	return 1;
}

int creds_read_certs(const char *path, gnutls_x509_crt_t **out, struct tls_error *err)
{
	unsigned char *data;
	size_t len;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	int n = creds_parse_certs(data, len, path, out, err);
	free(data);
	return n;
}

/* A copy of crt (the trust lists own what they are given). */
static int crt_copy(gnutls_x509_crt_t crt, gnutls_x509_crt_t *out)
{
	gnutls_datum_t der;
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);

	if (rc < 0)
		return rc;
	rc = gnutls_x509_crt_init(out);
	if (rc == 0) {
		rc = gnutls_x509_crt_import(*out, &der, GNUTLS_X509_FMT_DER);
		if (rc < 0)
			gnutls_x509_crt_deinit(*out);
	}
	gnutls_free(der.data);
	return rc;
}

/* Takes ownership of crts[0..n) (the array too). */
static void add_anchors(struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n)
{
	if (!c->system_trust && (!c->ca_files || c->lazy->ca_files_shared)) {
		gnutls_x509_trust_list_add_cas(c->trust, crts, n, advertise_flag(c, crts, n));
		c->ca_files = c->trust;
		c->lazy->ca_files_shared = true;
	} else {
		if (!c->ca_files)
			gnutls_x509_trust_list_init(&c->ca_files, 0);
		gnutls_x509_trust_list_add_cas(c->ca_files, crts, n, 0);
		if (c->lazy->system_loaded) {
			for (unsigned i = 0; i < n; i++) {
				gnutls_x509_crt_t copy;
				if (crt_copy(crts[i], &copy) == 0)
					gnutls_x509_trust_list_add_cas(c->trust, &copy, 1,
								       GNUTLS_TL_USE_IN_TLS);
			}
		} else
			c->lazy->anchors_pending = true;
	}
	free(crts);
	c->n_ca_certs += n;
}

int creds_add_ca_file(struct tls_creds *c, const char *path, struct tls_error *err)
{
	gnutls_x509_crt_t *crts;
	int n = creds_read_certs(path, &crts, err);

	if (n < 0)
		return -1;
	add_anchors(c, crts, (unsigned)n);
	return 0;
}

int creds_add_ca_certs(struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n,
		       struct tls_error *err)
{
	gnutls_x509_crt_t *copies = xcalloc(n ? n : 1, sizeof(*copies));

	for (unsigned i = 0; i < n; i++) {
		int rc = crt_copy(crts[i], &copies[i]);
		if (rc < 0) {
			chain_free(copies, i);
			tls_error_set(err, "cannot use as trust anchors: %s", gnutls_strerror(rc));
			return -1;
		}
	}
	add_anchors(c, copies, n);
	return 0;
}

int creds_add_intermediates(struct tls_creds *c, const char *path, struct tls_error *err)
{
	gnutls_x509_crt_t *crts;
	int n = creds_read_certs(path, &crts, err);

	if (n < 0)
		return -1;
	c->intermediates =
		xrealloc(c->intermediates, (c->n_intermediates + (unsigned)n) * sizeof(*crts));
	memcpy(c->intermediates + c->n_intermediates, crts, (size_t)n * sizeof(*crts));
	c->n_intermediates += (unsigned)n;
	free(crts);
	return 0;
}

int creds_add_crl_file(struct tls_creds *c, const char *path, struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_crl_t *crls = NULL;
	unsigned n = 0;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	gnutls_datum_t d = {data, (unsigned)len};
	int rc = gnutls_x509_crl_list_import2(
		&crls, &n, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	if (rc < 0 || n == 0) {
		const char *what = sniff(data, len);
		if (what && strcmp(what, "a certificate revocation list (CRL)") != 0)
			tls_error_set(err, "%s: holds %s, not a CRL", path, what);
		else
			tls_error_set(err, "%s: not a readable CRL (%s)", path,
				      rc < 0 ? gnutls_strerror(rc) : "empty");
		free(data);
		return -1;
	}
	/* The session's credentials get their own copy; the trust list used by verify.c takes
	 * these (and verifies each CRL's signature against the anchors, which must be in it). */
	anchors_to_full_list(c);
	rc = gnutls_certificate_set_x509_crl_mem(
		c->cred, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	free(data);
	if (rc >= 0) {
		/* Kept: revocation.c says which CRL is expired or for no chain. */
		c->crl_list = xrealloc(c->crl_list, (c->n_crls + n) * sizeof(*crls));
		memcpy(c->crl_list + c->n_crls, crls, n * sizeof(*crls));
		c->n_crls += n;
	} else {
		for (unsigned i = 0; i < n; i++)
			gnutls_x509_crl_deinit(crls[i]);
	}
	gnutls_free(crls);
	if (rc < 0) {
		tls_error_set(err, "%s: cannot use this CRL: %s", path, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- identities ---- */

static bool is_url(const char *s)
{
	return strncmp(s, "pkcs11:", 7) == 0;
}

/* The PIN for a PKCS#11 token comes from the same password option as everything else
 * (a URI's pin-value wins, inside p11-kit). */
static char *pin_value;

static int on_pin(void *userdata, int attempt, const char *token_url, const char *token_label,
		  unsigned flags, char *pin, size_t pin_max)
{
	(void)userdata;
	(void)token_url;
	(void)token_label;
	if (!pin_value || attempt > 0 || (flags & GNUTLS_PIN_WRONG) || strlen(pin_value) >= pin_max)
		return -1;
	strcpy(pin, pin_value);
	return 0;
}

static void set_pin(const char *password)
{
	if (pin_value) {
		gnutls_memset(pin_value, 0, strlen(pin_value));
		free(pin_value);
	}
	pin_value = password ? xstrdup(password) : NULL;
	gnutls_pkcs11_set_pin_function(on_pin, NULL);
}

static void wipe_free(unsigned char *data, size_t len)
{
	gnutls_memset(data, 0, len);
	free(data);
}

static int key_from_x509(gnutls_x509_privkey_t x, gnutls_privkey_t *out)
{
	gnutls_privkey_t k;
	int rc = gnutls_privkey_init(&k);

	if (rc == 0)
		rc = gnutls_privkey_import_x509(k, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (rc < 0) {
		gnutls_privkey_deinit(k);
		gnutls_x509_privkey_deinit(x);
		return rc;
	}
	*out = k;
	return 0;
}

/* A private key file: PKCS#1, PKCS#8 (encrypted or not), SEC1, PEM or DER. */
int creds_load_key(const char *path, const char *password, gnutls_privkey_t *out,
		   struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_privkey_t key;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	gnutls_datum_t d = {data, (unsigned)len};
	const char *what = sniff(data, len);
	gnutls_x509_privkey_init(&key);
	int rc = gnutls_x509_privkey_import2(
		key, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
		password ? password : "", 0);
	if (rc < 0 && !password)
		rc = gnutls_x509_privkey_import2(
			key, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
			NULL, 0);
	bool encrypted = (what && strcmp(what, "an encrypted private key") == 0) ||
			 memmem(data, len, "ENCRYPTED", 9) != NULL;
	wipe_free(data, len);
	if (rc < 0) {
		gnutls_x509_privkey_deinit(key);
		if (encrypted && password)
			tls_error_set(err, "%s: wrong password for this encrypted key", path);
		else if (encrypted)
			tls_error_set(err,
				      "%s: the key is encrypted; give its password with "
				      "--password-file FILE or --password-env VAR",
				      path);
		else if (what && strcmp(what, "a PKCS#12 bundle") == 0)
			tls_error_set(err,
				      "%s: holds a PKCS#12 bundle (certificate and key together): "
				      "give it with --p12 instead",
				      path);
		else if (what && strcmp(what, "a private key") != 0)
			tls_error_set(err, "%s: holds %s, not a private key", path, what);
		else
			tls_error_set(err, "%s: not a readable private key (%s)", path,
				      gnutls_strerror(rc));
		return -1;
	}
	if (key_from_x509(key, out) < 0) {
		tls_error_set(err, "%s: cannot use this key", path);
		return -1;
	}
	return 0;
}

static int load_key_url(const char *url, gnutls_privkey_t *out, struct tls_error *err)
{
	gnutls_privkey_t k;
	int rc = gnutls_privkey_init(&k);

	if (rc == 0)
		rc = gnutls_privkey_import_url(k, url, 0);
	if (rc < 0) {
		gnutls_privkey_deinit(k);
		tls_error_set(
			err, "%s: cannot use this PKCS#11 key: %s%s", url, gnutls_strerror(rc),
			rc == GNUTLS_E_PKCS11_PIN_ERROR ? " (give the PIN with --password-file, "
							  "--password-env or pin-value=)"
							: "");
		return -1;
	}
	*out = k;
	return 0;
}

static int load_cert_url(const char *url, gnutls_x509_crt_t **out, struct tls_error *err)
{
	gnutls_x509_crt_t *crts = xcalloc(1, sizeof(*crts));
	int rc = gnutls_x509_crt_init(&crts[0]);

	if (rc == 0)
		rc = gnutls_x509_crt_import_url(crts[0], url, 0);
	if (rc < 0) {
		chain_free(crts, 1);
		tls_error_set(err, "%s: cannot read a certificate from this PKCS#11 URI: %s", url,
			      gnutls_strerror(rc));
		return -1;
	}
	*out = crts;
	return 1;
}

/* ---- PKCS#12 limits, checked before GnuTLS derives a key ----
 *
 * GnuTLS derives the MAC key and each PBE/PBKDF2 key with the iteration count the file names,
 * and that work cannot be interrupted: a count of 2^31-1 spins for many minutes, past any
 * --timeout. So the counts are read from the DER first (RFC 7292 PFX, MacData, the encrypted
 * bags' and shrouded keys' PBES2/PBKDF2 or PKCS#12 PBE parameters) and a file above the limits
 * is refused. The limits leave room above every exporter in use (OpenSSL 2048, Java's keytool
 * 10,000, the 600,000 OWASP recommends for PBKDF2-HMAC-SHA256) and keep the worst case to a
 * few seconds. GnuTLS also keeps only the first 32 entries of a bag and drops the rest
 * without a word (MAX_BAG_ELEMENTS), which loses a CA listed after them: such files are
 * refused rather than read in part. */
#define P12_MAX_ITERATIONS	 1000000u /* one key derivation */
#define P12_MAX_TOTAL_ITERATIONS 3000000u /* all of them, for one file */
#define P12_MAX_BAG_ENTRIES	 32u	  /* GnuTLS's MAX_BAG_ELEMENTS */
#define P12_MAX_CONTENTS	 64u	  /* ContentInfos in the AuthenticatedSafe */

struct der {
	const unsigned char *p;
	size_t n;
};

/* The next TLV of d (definite lengths only: DER). Returns 0 and advances, or -1. */
static int der_next(struct der *d, unsigned *tag, struct der *content)
{
	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f)
		return -1;
	size_t len = d->p[1], hdr = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || d->n < 2 + k)
			return -1;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		hdr += k;
	}
	if (len > d->n - hdr)
		return -1;
	*tag = d->p[0];
	*content = (struct der){d->p + hdr, len};
	d->p += hdr + len;
	d->n -= hdr + len;
	return 0;
}

static int der_take(struct der *d, unsigned tag, struct der *content)
{
	unsigned t;

	return der_next(d, &t, content) == 0 && t == tag ? 0 : -1;
}

static bool der_is_oid(struct der oid, const unsigned char *want, size_t len)
{
	return oid.n == len && memcmp(oid.p, want, len) == 0;
}

/* An INTEGER's value, saturated at UINT64_MAX (negative ones too: GnuTLS refuses them). */
static uint64_t der_uint(struct der v)
{
	uint64_t x = 0;

	if (v.n == 0 || (v.p[0] & 0x80))
		return UINT64_MAX;
	for (size_t i = 0; i < v.n; i++) {
		if (x > (UINT64_MAX >> 8))
			return UINT64_MAX;
		x = x << 8 | v.p[i];
	}
	return x;
}

enum {
	DER_SEQ = 0x30,
	DER_SET = 0x31,
	DER_INT = 0x02,
	DER_OCTETS = 0x04,
	DER_OID = 0x06,
	DER_CTX0 = 0xa0
};

static const unsigned char oid_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const unsigned char oid_encrypted[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06};
static const unsigned char oid_shrouded[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					     0x01, 0x0c, 0x0a, 0x01, 0x02};
static const unsigned char oid_pbes2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d};

struct p12_scan {
	uint64_t total;	   /* iterations of all derivations */
	uint64_t worst;	   /* the largest single count */
	unsigned contents; /* ContentInfos */
	unsigned max_entries;
};

static void count_iterations(struct p12_scan *s, uint64_t iter, unsigned times)
{
	if (iter > s->worst)
		s->worst = iter;
	for (unsigned i = 0; i < times; i++)
		s->total = iter > UINT64_MAX - s->total ? UINT64_MAX : s->total + iter;
}

/* The iteration count of an encryption AlgorithmIdentifier (its content): PBES2 with PBKDF2
 * (RFC 8018), or PKCS#12 PBE / PBES1 parameters { salt, iterations }. 0 for a scheme with
 * none that GnuTLS would run. */
static uint64_t pbe_iterations(struct der alg)
{
	struct der oid, params, kdf, kdf_oid, kdf_params, salt, iter;
	unsigned tag;

	if (der_take(&alg, DER_OID, &oid) < 0 || der_take(&alg, DER_SEQ, &params) < 0)
		return 0;
	if (der_is_oid(oid, oid_pbes2, sizeof(oid_pbes2))) {
		if (der_take(&params, DER_SEQ, &kdf) < 0 || der_take(&kdf, DER_OID, &kdf_oid) < 0 ||
		    der_take(&kdf, DER_SEQ, &kdf_params) < 0)
			return 0;
		params = kdf_params;
	}
	if (der_next(&params, &tag, &salt) < 0 || der_take(&params, DER_INT, &iter) < 0)
		return 0;
	return der_uint(iter);
}

/* A SafeContents: its entries counted, each shrouded key's derivation counted. */
static int scan_safe_contents(struct der sc, struct p12_scan *s)
{
	struct der bags, bag, id, value, inner, alg;
	unsigned n = 0;

	if (der_take(&sc, DER_SEQ, &bags) < 0)
		return -1;
	while (bags.n) {
		if (der_take(&bags, DER_SEQ, &bag) < 0 || der_take(&bag, DER_OID, &id) < 0 ||
		    der_take(&bag, DER_CTX0, &value) < 0)
			return -1;
		n++;
		if (der_is_oid(id, oid_shrouded, sizeof(oid_shrouded)) &&
		    der_take(&value, DER_SEQ, &inner) == 0 && der_take(&inner, DER_SEQ, &alg) == 0)
			count_iterations(s, pbe_iterations(alg), 1);
	}
	if (n > s->max_entries)
		s->max_entries = n;
	return 0;
}

/* Walks a DER PFX. Returns 0 with s filled, or -1 when its structure cannot be read. */
static int p12_scan_der(const unsigned char *data, size_t len, struct p12_scan *s)
{
	struct der d = {data, len}, pfx, version, auth, type, wrapped, octets, list;

	*s = (struct p12_scan){0};
	if (der_take(&d, DER_SEQ, &pfx) < 0 || der_take(&pfx, DER_INT, &version) < 0 ||
	    der_take(&pfx, DER_SEQ, &auth) < 0 || der_take(&auth, DER_OID, &type) < 0 ||
	    der_take(&auth, DER_CTX0, &wrapped) < 0 ||
	    der_take(&wrapped, DER_OCTETS, &octets) < 0 || der_take(&octets, DER_SEQ, &list) < 0)
		return -1;
	if (pfx.n) { /* MacData { DigestInfo, salt, iterations DEFAULT 1 } */
		struct der mac, digest, salt, iter = {0};
		if (der_take(&pfx, DER_SEQ, &mac) < 0 || der_take(&mac, DER_SEQ, &digest) < 0 ||
		    der_take(&mac, DER_OCTETS, &salt) < 0)
			return -1;
		count_iterations(
			s, mac.n && der_take(&mac, DER_INT, &iter) == 0 ? der_uint(iter) : 1, 1);
	}
	while (list.n) {
		struct der ci, ci_type, content, inner, enc, enc_type, alg;
		if (der_take(&list, DER_SEQ, &ci) < 0 || der_take(&ci, DER_OID, &ci_type) < 0 ||
		    der_take(&ci, DER_CTX0, &content) < 0)
			return -1;
		s->contents++;
		if (der_is_oid(ci_type, oid_data, sizeof(oid_data))) {
			if (der_take(&content, DER_OCTETS, &inner) < 0 ||
			    scan_safe_contents(inner, s) < 0)
				return -1;
		} else if (der_is_oid(ci_type, oid_encrypted, sizeof(oid_encrypted))) {
			/* EncryptedData { version, EncryptedContentInfo { type, alg, ... } }.
			 * Its key is derived twice: once to count the entries inside, once
			 * when GnuTLS parses the file. */
			if (der_take(&content, DER_SEQ, &inner) < 0 ||
			    der_take(&inner, DER_INT, &version) < 0 ||
			    der_take(&inner, DER_SEQ, &enc) < 0 ||
			    der_take(&enc, DER_OID, &enc_type) < 0 ||
			    der_take(&enc, DER_SEQ, &alg) < 0)
				return -1;
			count_iterations(s, pbe_iterations(alg), 2);
		}
	}
	return 0;
}

/* Refuses, with err set, a PKCS#12 file whose key derivations or bags are past the limits, or
 * whose structure cannot be walked. */
static int p12_check_limits(const char *path, const unsigned char *data, size_t len,
			    struct p12_scan *out, struct tls_error *err)
{
	struct p12_scan s;
	gnutls_datum_t der = {0};
	int rc;

	if (is_pem(data, len)) {
		gnutls_datum_t pem = {(unsigned char *)data, (unsigned)len};
		if (gnutls_pem_base64_decode2("PKCS12", &pem, &der) < 0) {
			tls_error_set(err, "%s: not a readable PKCS#12 file (bad PEM)", path);
			return -1;
		}
		rc = p12_scan_der(der.data, der.size, &s);
		gnutls_free(der.data);
	} else {
		rc = p12_scan_der(data, len, &s);
	}
	if (rc < 0)
		tls_error_set(err,
			      "%s: cannot read this PKCS#12 file's structure (only DER with "
			      "definite lengths is read)",
			      path);
	else if (s.worst > P12_MAX_ITERATIONS)
		tls_error_set(err,
			      "%s: refused: this PKCS#12 file asks for %" PRIu64 " key-derivation "
			      "iterations; the limit is %u (exporters use 2048 to 600000)",
			      path, s.worst, P12_MAX_ITERATIONS);
	else if (s.total > P12_MAX_TOTAL_ITERATIONS)
		tls_error_set(err,
			      "%s: refused: this PKCS#12 file asks for %" PRIu64 " key-derivation "
			      "iterations in all; the limit is %u",
			      path, s.total, P12_MAX_TOTAL_ITERATIONS);
	else if (s.contents > P12_MAX_CONTENTS)
		tls_error_set(err, "%s: refused: this PKCS#12 file has %u bags; the limit is %u",
			      path, s.contents, P12_MAX_CONTENTS);
	else if (s.max_entries > P12_MAX_BAG_ENTRIES)
		tls_error_set(err,
			      "%s: refused: a bag of this PKCS#12 file holds %u entries; GnuTLS "
			      "reads only the first %u of a bag and would drop the rest (a CA "
			      "among them) without a word",
			      path, s.max_entries, P12_MAX_BAG_ENTRIES);
	else {
		*out = s;
		return 0;
	}
	return -1;
}

/* The entries of encrypted bags can be counted only once decrypted, and GnuTLS then shows at
 * most 32 of them: a bag showing 32 may have had more, so it is refused too. Shrouded keys
 * inside are held to the same iteration limits. */
static int p12_check_encrypted(gnutls_pkcs12_t p12, const char *pass, const char *path,
			       struct p12_scan *s, struct tls_error *err)
{
	for (unsigned idx = 0; idx < P12_MAX_CONTENTS; idx++) {
		gnutls_pkcs12_bag_t bag;
		if (gnutls_pkcs12_bag_init(&bag) < 0)
			return 0;
		if (gnutls_pkcs12_get_bag(p12, (int)idx, bag) < 0) {
			gnutls_pkcs12_bag_deinit(bag);
			return 0; /* the end, or an error gnutls_pkcs12_simple_parse reports */
		}
		int n = 0;
		if (gnutls_pkcs12_bag_get_type(bag, 0) == GNUTLS_BAG_ENCRYPTED &&
		    gnutls_pkcs12_bag_decrypt(bag, pass) == 0)
			n = gnutls_pkcs12_bag_get_count(bag);
		for (int i = 0; i < n; i++) {
			gnutls_datum_t v;
			struct der d, key, alg;
			if (gnutls_pkcs12_bag_get_type(bag, (unsigned)i) !=
				    GNUTLS_BAG_PKCS8_ENCRYPTED_KEY ||
			    gnutls_pkcs12_bag_get_data(bag, (unsigned)i, &v) < 0)
				continue;
			d = (struct der){v.data, v.size};
			if (der_take(&d, DER_SEQ, &key) == 0 && der_take(&key, DER_SEQ, &alg) == 0)
				count_iterations(s, pbe_iterations(alg), 1);
		}
		gnutls_pkcs12_bag_deinit(bag);
		if (s->worst > P12_MAX_ITERATIONS || s->total > P12_MAX_TOTAL_ITERATIONS) {
			tls_error_set(err,
				      "%s: refused: a key in this PKCS#12 file asks for %" PRIu64
				      " key-derivation iterations; the limit is %u (%u in all)",
				      path, s->worst, P12_MAX_ITERATIONS, P12_MAX_TOTAL_ITERATIONS);
			return -1;
		}
		if (n >= (int)P12_MAX_BAG_ENTRIES) {
			tls_error_set(
				err,
				"%s: refused: an encrypted bag of this PKCS#12 file holds %d "
				"entries or more; GnuTLS reads only the first %u of a bag and "
				"would drop the rest (a CA among them) without a word, so at "
				"most %u are accepted in an encrypted bag",
				path, n, P12_MAX_BAG_ENTRIES, P12_MAX_BAG_ENTRIES - 1);
			return -1;
		}
	}
	return 0;
}

/* PKCS#12: the certificate that matches the key, the rest as its chain. Legacy files (RC2-40,
 * 3DES, as older tools export them) are read too. */
int creds_load_p12(const char *path, const char *password, gnutls_x509_crt_t **crts_out,
		   gnutls_privkey_t *key_out, struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_pkcs12_t p12;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned n_chain = 0, n_extra = 0;
	struct p12_scan scan;
	int rc;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	if (p12_check_limits(path, data, len, &scan, err) < 0) {
		wipe_free(data, len);
		return -1;
	}
	gnutls_datum_t d = {data, (unsigned)len};
	gnutls_pkcs12_init(&p12);
	rc = gnutls_pkcs12_import(p12, &d,
				  is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	wipe_free(data, len);
	if (rc < 0) {
		gnutls_pkcs12_deinit(p12);
		tls_error_set(err, "%s: not a readable PKCS#12 file (%s)", path,
			      gnutls_strerror(rc));
		return -1;
	}
	/* No password given means the empty one: GnuTLS wants "" for those, not NULL. */
	const char *pass = password ? password : "";
	rc = gnutls_pkcs12_verify_mac(p12, pass);
	if (rc == GNUTLS_E_MAC_VERIFY_FAILED) {
		gnutls_pkcs12_deinit(p12);
		if (password && *password)
			tls_error_set(err, "%s: wrong password for this PKCS#12 file", path);
		else
			tls_error_set(err,
				      "%s: this PKCS#12 file has a password; give it with "
				      "--password-file FILE or --password-env VAR",
				      path);
		return -1;
	}
	if (p12_check_encrypted(p12, pass, path, &scan, err) < 0) {
		gnutls_pkcs12_deinit(p12);
		return -1;
	}
	rc = gnutls_pkcs12_simple_parse(p12, pass, &key, &chain, &n_chain, &extra, &n_extra, NULL,
					GNUTLS_PKCS12_SP_INCLUDE_SELF_SIGNED);
	gnutls_pkcs12_deinit(p12);
	for (unsigned i = 0; i < n_extra; i++)
		gnutls_x509_crt_deinit(extra[i]);
	gnutls_free(extra);
	if (rc < 0 || !key || n_chain == 0) {
		if (key)
			gnutls_x509_privkey_deinit(key);
		for (unsigned i = 0; i < n_chain; i++)
			gnutls_x509_crt_deinit(chain[i]);
		gnutls_free(chain);
		if (rc == GNUTLS_E_DECRYPTION_FAILED)
			tls_error_set(err, "%s: wrong password for this PKCS#12 file", path);
		else if (rc < 0 && rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			tls_error_set(err, "%s: cannot read this PKCS#12 file: %s", path,
				      gnutls_strerror(rc));
		else
			tls_error_set(err,
				      "%s: this PKCS#12 file holds no private key with its "
				      "certificate",
				      path);
		return -1;
	}
	gnutls_x509_crt_t *copy = xcalloc(n_chain, sizeof(*copy));
	memcpy(copy, chain, n_chain * sizeof(*chain));
	gnutls_free(chain);
	if (key_from_x509(key, key_out) < 0) {
		chain_free(copy, n_chain);
		tls_error_set(err, "%s: cannot use the key in this PKCS#12 file", path);
		return -1;
	}
	*crts_out = copy;
	return (int)n_chain;
}

bool creds_key_matches(gnutls_x509_crt_t crt, gnutls_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t la = sizeof(a), lb = sizeof(b);
	gnutls_pubkey_t pub;
	bool same = false;

	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	if (gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &la) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, b, &lb) == 0)
		same = la == lb && memcmp(a, b, la) == 0;
	gnutls_pubkey_deinit(pub);
	return same;
}

static bool file_is_p12(const char *path)
{
	unsigned char *data;
	size_t len;
	struct tls_error ignored;

	if (is_url(path) || util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, &ignored) < 0)
		return false;
	const char *what = sniff(data, len);
	wipe_free(data, len);
	return what && strcmp(what, "a PKCS#12 bundle") == 0;
}

int creds_set_identity(struct tls_creds *c, const char *cert, const char *key, const char *password,
		       struct tls_error *err)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_privkey_t pkey = NULL;
	int n;

	if (is_url(cert) || (key && is_url(key)))
		set_pin(password);
	if (!key && file_is_p12(cert)) {
		n = creds_load_p12(cert, password, &crts, &pkey, err);
		if (n < 0)
			return -1;
	} else {
		if (is_url(cert)) {
			n = load_cert_url(cert, &crts, err);
		} else {
			n = creds_read_certs(cert, &crts, err);
		}
		if (n < 0)
			return -1;
		if (!key) {
			tls_error_set(err,
				      "%s: a certificate alone is not an identity: give its key "
				      "with --key",
				      cert);
			goto fail;
		}
		if ((is_url(key) ? load_key_url(key, &pkey, err)
				 : creds_load_key(key, password, &pkey, err)) < 0)
			goto fail;
	}
	if (!creds_key_matches(crts[0], pkey)) {
		tls_error_set(err, "%s: this key does not belong to the certificate in %s",
			      key ? key : cert, cert);
		goto fail;
	}
	c->pcerts = xcalloc((size_t)n, sizeof(*c->pcerts));
	unsigned np = (unsigned)n;
	int rc = gnutls_pcert_import_x509_list(c->pcerts, crts, &np, 0);
	if (rc < 0) {
		tls_error_set(err, "%s: cannot use this identity: %s", cert, gnutls_strerror(rc));
		free(c->pcerts);
		c->pcerts = NULL;
		goto fail;
	}
	c->id_crts = crts;
	c->n_id = (unsigned)n;
	c->key = pkey;
	return 0;
fail:
	if (pkey)
		gnutls_privkey_deinit(pkey);
	chain_free(crts, (unsigned)n);
	return -1;
}
