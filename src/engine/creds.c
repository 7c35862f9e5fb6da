#include "tlsscope/creds.h"

#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_common.h"
#include "tlsscope/chain.h"
#include "tlsscope/creds_p12.h"

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

static bool pem_has(const unsigned char *data, size_t len, const char *label)
{
	char needle[64];
	int n = snprintf(needle, sizeof(needle), "-----BEGIN %s-----", label);

	return memmem(data, len, needle, (size_t)n) != NULL;
}

/* Says what a file holds when it is not what was expected, so the message can name it. */
static const char *sniff(const unsigned char *data, size_t len)
{
	if (creds_is_pem(data, len)) {
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

	if (creds_is_pem(data, len)) {
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
		&crls, &n, &d, creds_is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
		0);
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
		c->cred, &d, creds_is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
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
		key, &d, creds_is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
		password ? password : "", 0);
	if (rc < 0 && !password)
		rc = gnutls_x509_privkey_import2(key, &d,
						 creds_is_pem(data, len) ? GNUTLS_X509_FMT_PEM
									 : GNUTLS_X509_FMT_DER,
						 NULL, 0);
	bool encrypted = (what && strcmp(what, "an encrypted private key") == 0) ||
			 memmem(data, len, "ENCRYPTED", 9) != NULL;
	creds_wipe_free(data, len);
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
	if (creds_key_from_x509(key, out) < 0) {
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
	creds_wipe_free(data, len);
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

struct tls_creds *creds_build(const struct tls_creds_spec *spec, struct tls_error *err)
{
	struct tls_creds *c = creds_new();

	if (!c) {
		tls_error_set(err, "cannot allocate TLS credentials");
		return NULL;
	}
	if (spec->system_trust && creds_add_system_trust(c, err) < 0)
		goto fail;
	for (size_t i = 0; i < spec->n_anchors; i++)
		if (creds_add_ca_file(c, spec->anchors[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < spec->n_intermediates; i++)
		if (creds_add_intermediates(c, spec->intermediates[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < spec->n_crls; i++)
		if (creds_add_crl_file(c, spec->crls[i], err) < 0)
			goto fail;
	if (spec->cert && creds_set_identity(c, spec->cert, spec->key, spec->password, err) < 0)
		goto fail;
	return c;
fail:
	creds_free(c);
	return NULL;
}
