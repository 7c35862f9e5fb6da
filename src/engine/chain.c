#include "tlsscope/chain.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/util.h"

char *chain_serial_hex(const unsigned char *b, size_t len)
{
	while (len > 1 && b[0] == 0)
		b++, len--;
	if (len == 0)
		return xstrdup("00");
	char *s = xmalloc(len * 2 + 1);
	for (size_t i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

/* Decimal from big-endian bytes: repeated division of the byte string by 10. Serials are up to
 * 20 octets (RFC 5280 §4.1.2.2) but we accept any length. */
char *chain_serial_dec(const unsigned char *b, size_t len)
{
	unsigned char *num = xmalloc(len ? len : 1);
	char *digits = xmalloc(len * 3 + 2);
	size_t nd = 0, start = 0;

	memcpy(num, b, len);
	while (start < len && num[start] == 0)
		start++;
	while (start < len) {
		unsigned rem = 0;
		for (size_t i = start; i < len; i++) {
			unsigned cur = rem * 256 + num[i];
			num[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		digits[nd++] = (char)('0' + rem);
		while (start < len && num[start] == 0)
			start++;
	}
	if (nd == 0)
		digits[nd++] = '0';
	for (size_t i = 0; i < nd / 2; i++) {
		char t = digits[i];
		digits[i] = digits[nd - 1 - i];
		digits[nd - 1 - i] = t;
	}
	digits[nd] = 0;
	free(num);
	return digits;
}

void chain_link(gnutls_x509_crt_t *crts, unsigned n, struct tls_cert_info *ci)
{
	for (unsigned i = 1; i < n; i++)
		ci[i].issues_previous = gnutls_x509_crt_check_issuer(crts[i - 1], crts[i]) != 0;
}

int chain_import(const gnutls_datum_t *der, unsigned n, gnutls_x509_crt_t **out)
{
	gnutls_x509_crt_t *crts = xcalloc(n ? n : 1, sizeof(*crts));

	for (unsigned i = 0; i < n; i++) {
		int rc = gnutls_x509_crt_init(&crts[i]);
		if (rc == 0)
			rc = gnutls_x509_crt_import(crts[i], &der[i], GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			chain_free(crts, i + 1);
			return rc;
		}
	}
	*out = crts;
	return 0;
}

void chain_free(gnutls_x509_crt_t *crts, unsigned n)
{
	if (!crts)
		return;
	for (unsigned i = 0; i < n; i++)
		if (crts[i])
			gnutls_x509_crt_deinit(crts[i]);
	free(crts);
}

static const struct {
	int pk;
	const char *name;
} pk_names[] = {
	{GNUTLS_PK_RSA, "RSA"},
	{GNUTLS_PK_RSA_PSS, "RSA-PSS"},
	{GNUTLS_PK_DSA, "DSA"},
	{GNUTLS_PK_ECDSA, "ECDSA"},
	{GNUTLS_PK_EDDSA_ED25519, "Ed25519"},
	{GNUTLS_PK_EDDSA_ED448, "Ed448"},
	{GNUTLS_PK_GOST_01, "GOST-2001"},
	{GNUTLS_PK_GOST_12_256, "GOST-2012-256"},
	{GNUTLS_PK_GOST_12_512, "GOST-2012-512"},
};

const char *chain_pk_name(int pk)
{
	for (size_t i = 0; i < sizeof(pk_names) / sizeof(pk_names[0]); i++)
		if (pk_names[i].pk == pk)
			return pk_names[i].name;
	return "unknown";
}

/* Key usage bits, RFC 5280 §4.2.1.3, in the names OpenSSL and RFC 5280 use. */
static const struct {
	unsigned bit;
	const char *name;
} ku_names[] = {
	{GNUTLS_KEY_DIGITAL_SIGNATURE, "digitalSignature"},
	{GNUTLS_KEY_NON_REPUDIATION, "nonRepudiation"},
	{GNUTLS_KEY_KEY_ENCIPHERMENT, "keyEncipherment"},
	{GNUTLS_KEY_DATA_ENCIPHERMENT, "dataEncipherment"},
	{GNUTLS_KEY_KEY_AGREEMENT, "keyAgreement"},
	{GNUTLS_KEY_KEY_CERT_SIGN, "keyCertSign"},
	{GNUTLS_KEY_CRL_SIGN, "cRLSign"},
	{GNUTLS_KEY_ENCIPHER_ONLY, "encipherOnly"},
	{GNUTLS_KEY_DECIPHER_ONLY, "decipherOnly"},
};

/* Extended key usage purposes, RFC 5280 §4.2.1.12. */
static const struct {
	const char *oid;
	const char *name;
} eku_names[] = {
	{GNUTLS_KP_TLS_WWW_SERVER, "serverAuth"},  {GNUTLS_KP_TLS_WWW_CLIENT, "clientAuth"},
	{GNUTLS_KP_CODE_SIGNING, "codeSigning"},   {GNUTLS_KP_EMAIL_PROTECTION, "emailProtection"},
	{GNUTLS_KP_TIME_STAMPING, "timeStamping"}, {GNUTLS_KP_OCSP_SIGNING, "OCSPSigning"},
	{GNUTLS_KP_ANY, "anyExtendedKeyUsage"},	   {GNUTLS_KP_IPSEC_IKE, "ipsecIKE"},
};

static char *dn_string(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = {0};
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
			: gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (rc < 0)
		return xstrdup("");
	char *s = xmemdup0(d.data, d.size);
	gnutls_free(d.data);
	return s;
}

/* "PREFIX:value" with every byte of the value: a NUL inside it is carried as C0 80
 * (textsafe.h), so that "localhost\0.evil.example" is not shown as "localhost". */
static char *san_text(const char *prefix, const char *v, size_t n)
{
	size_t plen = strlen(prefix), k = plen + 1;
	char *s = xmalloc(plen + 1 + 2 * n + 1);

	memcpy(s, prefix, plen);
	s[plen] = ':';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == 0) {
			s[k++] = (char)0xc0;
			s[k++] = (char)0x80;
		} else {
			s[k++] = v[i];
		}
	}
	s[k] = 0;
	return s;
}

static void describe_san(gnutls_x509_crt_t crt, struct strlist *san)
{
	for (unsigned i = 0;; i++) {
		char buf[1024];
		size_t size = sizeof(buf) - 1;
		unsigned type = 0;
		int rc = gnutls_x509_crt_get_subject_alt_name2(crt, i, buf, &size, &type, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			strlist_add(san, "other:(too long)");
			continue;
		}
		if (rc < 0)
			break;
		const char *prefix = NULL;
		char ip[INET6_ADDRSTRLEN];
		switch (rc) {
		case GNUTLS_SAN_DNSNAME:
			prefix = "DNS";
			break;
		case GNUTLS_SAN_RFC822NAME:
			prefix = "email";
			break;
		case GNUTLS_SAN_URI:
			prefix = "URI";
			break;
		case GNUTLS_SAN_DN:
			prefix = "DirName";
			break;
		case GNUTLS_SAN_REGISTERED_ID:
			prefix = "RID";
			break;
		case GNUTLS_SAN_IPADDRESS:
			if ((size == 4 && inet_ntop(AF_INET, buf, ip, sizeof(ip))) ||
			    (size == 16 && inet_ntop(AF_INET6, buf, ip, sizeof(ip))))
				strlist_take(san, xasprintf("IP:%s", ip));
			else
				strlist_add(san, "IP:(malformed)");
			continue;
		default:
			prefix = "othername";
			break;
		}
		strlist_take(san, san_text(prefix, buf, size));
	}
}

static void describe_key(gnutls_x509_crt_t crt, struct tls_cert_info *ci)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

	ci->key_algorithm = chain_pk_name(pk);
	ci->key_bits = bits;
	if (pk == GNUTLS_PK_ECDSA) {
		gnutls_ecc_curve_t curve;
		if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) == 0) {
			const char *name = gnutls_ecc_curve_get_name(curve);
			ci->key_curve = name ? xstrdup(name) : NULL;
			int cbits = (int)gnutls_ecc_curve_get_size(curve) * 8;
			if (cbits > 0 && curve == GNUTLS_ECC_CURVE_SECP521R1)
				cbits = 521;
			if (cbits > 0)
				ci->key_bits = (unsigned)cbits;
		}
	}
}

static void describe_usage(gnutls_x509_crt_t crt, struct tls_cert_info *ci)
{
	unsigned ku = 0;

	if (gnutls_x509_crt_get_key_usage(crt, &ku, NULL) >= 0) {
		ci->has_key_usage = true;
		for (size_t i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++)
			if (ku & ku_names[i].bit)
				strlist_add(&ci->key_usage, ku_names[i].name);
	}
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL) < 0)
			break;
		ci->has_eku = true;
		const char *name = oid;
		for (size_t k = 0; k < sizeof(eku_names) / sizeof(eku_names[0]); k++)
			if (strcmp(eku_names[k].oid, oid) == 0)
				name = eku_names[k].name;
		strlist_add(&ci->eku, name);
	}
	unsigned critical = 0, ca = 0;
	int pathlen = -1;
	if (gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &pathlen) >= 0) {
		ci->has_basic_constraints = true;
		ci->is_ca = ca != 0;
	}
	ci->path_len = ci->is_ca ? pathlen : -1;
}

/* Self-signed: the subject is its own issuer and its own key verifies the signature. Weak
 * algorithms, missing CA flags and dates must not hide that, so those checks are relaxed. */
static bool is_self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 0;
	unsigned flags = GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT | GNUTLS_VERIFY_ALLOW_BROKEN |
			 GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
			 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 | GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5 |
			 GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD2 | GNUTLS_VERIFY_DO_NOT_ALLOW_SAME;

	if (!gnutls_x509_crt_check_issuer(crt, crt))
		return false;
	if (gnutls_x509_crt_verify(crt, &crt, 1, flags, &status) < 0)
		return false;
	return !(status & GNUTLS_CERT_SIGNATURE_FAILURE);
}

static bool has_aia_ca_issuers(gnutls_x509_crt_t crt)
{
	for (unsigned seq = 0;; seq++) {
		gnutls_datum_t d = {0};
		unsigned what = GNUTLS_IA_CAISSUERS_URI;
		int rc = gnutls_x509_crt_get_authority_info_access(crt, seq, (int)what, &d, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (rc == 0) {
			gnutls_free(d.data);
			return true;
		}
		if (rc != GNUTLS_E_UNKNOWN_ALGORITHM)
			return false;
	}
}

/* Extensions that OpenSSL 3.0 (v3_purp.c, X509_supported_extension) and GnuTLS handle when
 * critical; any other critical one makes both refuse the certificate ("unhandled critical
 * extension", GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS). */
static const char *const known_extensions[] = {
	"2.5.29.15",	      /* keyUsage */
	"2.5.29.17",	      /* subjectAltName */
	"2.5.29.19",	      /* basicConstraints */
	"2.5.29.30",	      /* nameConstraints */
	"2.5.29.32",	      /* certificatePolicies */
	"2.5.29.33",	      /* policyMappings */
	"2.5.29.36",	      /* policyConstraints */
	"2.5.29.37",	      /* extKeyUsage */
	"2.5.29.54",	      /* inhibitAnyPolicy */
	"1.3.6.1.5.5.7.1.1",  /* authorityInfoAccess */
	"1.3.6.1.5.5.7.1.24", /* TLS feature */
	"2.5.29.14",	      /* subjectKeyIdentifier */
	"2.5.29.35",	      /* authorityKeyIdentifier */
	"2.5.29.31",	      /* cRLDistributionPoints */
	"2.5.29.46",	      /* freshestCRL */
};

static void describe_critical(gnutls_x509_crt_t crt, struct tls_cert_info *ci)
{
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		unsigned critical = 0;
		int rc = gnutls_x509_crt_get_extension_info(crt, i, oid, &size, &critical);
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (rc < 0)
			break;
		bool known = false;
		for (size_t k = 0; k < sizeof(known_extensions) / sizeof(known_extensions[0]); k++)
			known |= strcmp(known_extensions[k], oid) == 0;
		if (critical && !known)
			strlist_add(&ci->unknown_critical, oid);
	}
}

static void describe_name_constraints(gnutls_x509_crt_t crt, struct tls_cert_info *ci)
{
	gnutls_x509_name_constraints_t nc;

	if (gnutls_x509_name_constraints_init(&nc) < 0)
		return;
	if (gnutls_x509_crt_get_name_constraints(crt, nc, 0, NULL) == 0) {
		for (int excluded = 0; excluded < 2; excluded++) {
			for (unsigned i = 0;; i++) {
				gnutls_datum_t name = {0};
				unsigned type = 0;
				int rc = excluded ? gnutls_x509_name_constraints_get_excluded(
							    nc, i, &type, &name)
						  : gnutls_x509_name_constraints_get_permitted(
							    nc, i, &type, &name);
				if (rc < 0)
					break;
				const char *kind = type == GNUTLS_SAN_DNSNAME	   ? "DNS"
						   : type == GNUTLS_SAN_IPADDRESS  ? "IP"
						   : type == GNUTLS_SAN_RFC822NAME ? "email"
						   : type == GNUTLS_SAN_URI	   ? "URI"
										   : "DirName";
				char ip[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
				if (type == GNUTLS_SAN_IPADDRESS &&
				    (name.size == 8 || name.size == 32)) {
					int af = name.size == 8 ? AF_INET : AF_INET6;
					unsigned half = name.size / 2;
					inet_ntop(af, name.data, ip, sizeof(ip));
					inet_ntop(af, name.data + half, mask, sizeof(mask));
					strlist_take(&ci->name_constraints,
						     xasprintf("%s IP:%s/%s",
							       excluded ? "excluded" : "permitted",
							       ip, mask));
					continue;
				}
				char *v = san_text(kind, (const char *)name.data, name.size);
				strlist_take(
					&ci->name_constraints,
					xasprintf("%s %s", excluded ? "excluded" : "permitted", v));
				free(v);
			}
		}
	}
	gnutls_x509_name_constraints_deinit(nc);
}

int chain_describe(gnutls_x509_crt_t crt, unsigned index, struct tls_cert_info *ci)
{
	unsigned char serial[128];
	size_t serial_len = sizeof(serial);
	unsigned char fp[32];
	size_t fp_len = sizeof(fp);
	gnutls_datum_t der = {0};
	int rc;

	ci->index = index;
	ci->subject = dn_string(crt, false);
	ci->issuer = dn_string(crt, true);
	rc = gnutls_x509_crt_get_serial(crt, serial, &serial_len);
	if (rc < 0)
		serial_len = 0;
	ci->serial_hex = chain_serial_hex(serial, serial_len);
	ci->serial_dec = chain_serial_dec(serial, serial_len);
	ci->not_before = (long long)gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = (long long)gnutls_x509_crt_get_expiration_time(crt);
	describe_san(crt, &ci->san);
	describe_key(crt, ci);
	int sig = gnutls_x509_crt_get_signature_algorithm(crt);
	const char *sig_name = sig >= 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) : NULL;
	ci->signature_algorithm = xstrdup(sig_name ? sig_name : "unknown");
	ci->sign_algo = sig;
	ci->sign_secure = sig >= 0 && gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
							     GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fp_len) == 0)
		for (size_t i = 0; i < fp_len && i < 32; i++)
			sprintf(ci->sha256 + 2 * i, "%02x", fp[i]);
	describe_usage(crt, ci);
	ci->self_signed = is_self_signed(crt);
	ci->version = gnutls_x509_crt_get_version(crt);
	ci->has_aia_ca_issuers = has_aia_ca_issuers(crt);
	ci->nc_violated_by = -1;
	describe_critical(crt, ci);
	describe_name_constraints(crt, ci);
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0) {
		ci->der = xmalloc(der.size);
		memcpy(ci->der, der.data, der.size);
		ci->der_len = der.size;
		gnutls_free(der.data);
	}
	return 0;
}

unsigned chain_import_fetched(const struct tls_report *r, gnutls_x509_crt_t **out)
{
	size_t n = r->aia.n_certs;

	*out = NULL;
	if (!n)
		return 0;
	gnutls_datum_t *der = xcalloc(n, sizeof(*der));
	for (size_t i = 0; i < n; i++)
		der[i] = (gnutls_datum_t){r->aia.certs[i].info.der,
					  (unsigned)r->aia.certs[i].info.der_len};
	int rc = chain_import(der, (unsigned)n, out);
	free(der);
	if (rc < 0) {
		*out = NULL;
		return 0;
	}
	return (unsigned)n;
}
