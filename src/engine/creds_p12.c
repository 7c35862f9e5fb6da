/* PKCS#12 files: their limits read from the DER before GnuTLS derives a key, and loading. */
#include "tlsscope/creds_p12.h"

#include <gnutls/pkcs12.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_common.h"
#include "tlsscope/chain.h"

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

	if (creds_is_pem(data, len)) {
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

/* Reads path as a PKCS#12 file within the limits and checks its MAC and encrypted bags under
 * pass: 0 with *out to deinit, or -1 with err set. */
static int p12_open(const char *path, const char *password, const char *pass, gnutls_pkcs12_t *out,
		    struct tls_error *err)
{
	unsigned char *data;
	size_t len;
	gnutls_pkcs12_t p12;
	struct p12_scan scan;
	int rc;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	if (p12_check_limits(path, data, len, &scan, err) < 0) {
		creds_wipe_free(data, len);
		return -1;
	}
	gnutls_datum_t d = {data, (unsigned)len};
	gnutls_pkcs12_init(&p12);
	rc = gnutls_pkcs12_import(
		p12, &d, creds_is_pem(data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	creds_wipe_free(data, len);
	if (rc < 0) {
		gnutls_pkcs12_deinit(p12);
		tls_error_set(err, "%s: not a readable PKCS#12 file (%s)", path,
			      gnutls_strerror(rc));
		return -1;
	}
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
	*out = p12;
	return 0;
}

/* PKCS#12: the certificate that matches the key, the rest as its chain. Legacy files (RC2-40,
 * 3DES, as older tools export them) are read too. */
int creds_load_p12(const char *path, const char *password, gnutls_x509_crt_t **crts_out,
		   gnutls_privkey_t *key_out, struct tls_error *err)
{
	gnutls_pkcs12_t p12;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned n_chain = 0, n_extra = 0;
	/* No password given means the empty one: GnuTLS wants "" for those, not NULL. */
	const char *pass = password ? password : "";
	int rc;

	if (p12_open(path, password, pass, &p12, err) < 0)
		return -1;
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
	if (creds_key_from_x509(key, key_out) < 0) {
		chain_free(copy, n_chain);
		tls_error_set(err, "%s: cannot use the key in this PKCS#12 file", path);
		return -1;
	}
	*crts_out = copy;
	return (int)n_chain;
}
