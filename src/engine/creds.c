#include "tlsscope/creds.h"

#include <gnutls/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"

struct tls_creds *creds_new(void)
{
	struct tls_creds *c = xcalloc(1, sizeof(*c));

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		free(c);
		return NULL;
	}
	gnutls_certificate_get_trust_list(c->cred, &c->trust);
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
	if (c->key)
		gnutls_privkey_deinit(c->key);
	if (c->ca_files)
		gnutls_x509_trust_list_deinit(c->ca_files, 1);
	gnutls_certificate_free_credentials(c->cred);
	free(c);
}

int creds_add_system_trust(struct tls_creds *c, struct tls_error *err)
{
	int rc = gnutls_certificate_set_x509_system_trust(c->cred);

	if (rc < 0) {
		tls_error_set(err, "cannot load the system trust store: %s", gnutls_strerror(rc));
		return -1;
	}
	c->system_trust = true;
	return 0;
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

int creds_add_ca_file(struct tls_creds *c, const char *path, struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_crt_t *crts;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	int n = creds_parse_certs(data, len, path, &crts, err);
	free(data);
	if (n < 0)
		return -1;
	int rc = gnutls_certificate_set_x509_trust(c->cred, crts, n);
	if (rc < 0) {
		tls_error_set(err, "%s: cannot use as trust anchors: %s", path,
			      gnutls_strerror(rc));
		chain_free(crts, (unsigned)n);
		return -1;
	}
	if (!c->ca_files)
		gnutls_x509_trust_list_init(&c->ca_files, 0);
	/* The trust list takes ownership of the certificates themselves. */
	gnutls_x509_trust_list_add_cas(c->ca_files, crts, (unsigned)n, 0);
	free(crts);
	c->n_ca_certs += (unsigned)n;
	return 0;
}

int creds_add_ca_certs(struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n,
		       struct tls_error *err)
{
	int rc = gnutls_certificate_set_x509_trust(c->cred, crts, (int)n);

	if (rc < 0) {
		tls_error_set(err, "cannot use as trust anchors: %s", gnutls_strerror(rc));
		return -1;
	}
	if (!c->ca_files)
		gnutls_x509_trust_list_init(&c->ca_files, 0);
	for (unsigned i = 0; i < n; i++) {
		/* The trust list takes ownership: give it copies. */
		gnutls_x509_crt_t copy;
		gnutls_datum_t der;
		if (gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &der) < 0)
			continue;
		if (gnutls_x509_crt_init(&copy) == 0 &&
		    gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER) == 0)
			gnutls_x509_trust_list_add_cas(c->ca_files, &copy, 1, 0);
		gnutls_free(der.data);
	}
	c->n_ca_certs += n;
	return 0;
}

int creds_add_intermediates(struct tls_creds *c, const char *path, struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_crt_t *crts;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	int n = creds_parse_certs(data, len, path, &crts, err);
	free(data);
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
	 * these (and verifies each CRL's signature against the anchors). */
	rc = gnutls_certificate_set_x509_crl_mem(
		c->cred, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	free(data);
	if (rc >= 0)
		c->n_crls += n;
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	if (rc < 0) {
		tls_error_set(err, "%s: cannot use this CRL: %s", path, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static int load_key(const char *path, gnutls_x509_privkey_t *out, struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_privkey_t key;
	int rc;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	gnutls_datum_t d = {data, (unsigned)len};
	gnutls_x509_privkey_init(&key);
	rc = gnutls_x509_privkey_import2(
		key, &d, is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, NULL, 0);
	if (rc < 0) {
		const char *what = sniff(data, len);
		if (what && strcmp(what, "an encrypted private key") == 0)
			tls_error_set(err, "%s: the key is encrypted and needs a password", path);
		else if (what && strcmp(what, "a private key") != 0)
			tls_error_set(err, "%s: holds %s, not a private key", path, what);
		else
			tls_error_set(err, "%s: not a readable private key (%s)", path,
				      gnutls_strerror(rc));
		gnutls_x509_privkey_deinit(key);
		gnutls_memset(data, 0, len);
		free(data);
		return -1;
	}
	gnutls_memset(data, 0, len);
	free(data);
	*out = key;
	return 0;
}

static bool key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t la = sizeof(a), lb = sizeof(b);

	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &la) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &lb) < 0)
		return false;
	return la == lb && memcmp(a, b, la) == 0;
}

int creds_set_identity(struct tls_creds *c, const char *cert_path, const char *key_path,
		       struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t x509key = NULL;
	int n;

	if (util_read_file(cert_path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	n = creds_parse_certs(data, len, cert_path, &crts, err);
	free(data);
	if (n < 0)
		return -1;
	if (load_key(key_path, &x509key, err) < 0)
		goto fail;
	if (!key_matches(crts[0], x509key)) {
		tls_error_set(err, "%s: this key does not belong to the certificate in %s",
			      key_path, cert_path);
		goto fail;
	}
	c->pcerts = xcalloc((size_t)n, sizeof(*c->pcerts));
	unsigned np = (unsigned)n;
	int rc = gnutls_pcert_import_x509_list(c->pcerts, crts, &np, 0);
	if (rc == 0)
		rc = gnutls_privkey_init(&c->key);
	if (rc == 0)
		rc = gnutls_privkey_import_x509(c->key, x509key,
						GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (rc < 0) {
		tls_error_set(err, "%s: cannot use this identity: %s", cert_path,
			      gnutls_strerror(rc));
		free(c->pcerts);
		c->pcerts = NULL;
		if (c->key)
			gnutls_privkey_deinit(c->key);
		c->key = NULL;
		goto fail;
	}
	c->id_crts = crts;
	c->n_id = (unsigned)n;
	return 0;
fail:
	if (x509key)
		gnutls_x509_privkey_deinit(x509key);
	chain_free(crts, (unsigned)n);
	return -1;
}
