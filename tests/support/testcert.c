#include "testcert.h"

#include <arpa/inet.h>
#include <gnutls/x509-ext.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(int rc)
{
	if (rc < 0)
		abort();
}

gnutls_x509_crt_t testcert_make(const struct testcert_spec *spec, gnutls_x509_crt_t signer,
				gnutls_x509_privkey_t signer_key, gnutls_x509_privkey_t *key)
{
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t k;
	time_t now = time(NULL);
	static const unsigned char default_serial[] = {0x01, 0x02};
	gnutls_pk_algorithm_t pk = spec->pk ? spec->pk : GNUTLS_PK_ECDSA;
	unsigned bits = spec->bits ? spec->bits
				   : (pk == GNUTLS_PK_ECDSA
					      ? GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)
					      : 2048);

	gnutls_digest_algorithm_t hash = spec->hash ? spec->hash : GNUTLS_DIG_SHA256;
	unsigned sign_flags = 0;

	check(gnutls_x509_privkey_init(&k));
	check(gnutls_x509_privkey_generate(k, pk, bits, 0));
	check(gnutls_x509_crt_init(&crt));
	check(gnutls_x509_crt_set_version(crt, 3));
	check(gnutls_x509_crt_set_key(crt, k));
	if (spec->serial)
		check(gnutls_x509_crt_set_serial(crt, spec->serial, spec->serial_len));
	else
		check(gnutls_x509_crt_set_serial(crt, default_serial, sizeof(default_serial)));
	check(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, spec->cn,
					    (unsigned)strlen(spec->cn)));
	check(gnutls_x509_crt_set_activation_time(crt, spec->not_before ? spec->not_before
									: now - 3600));
	check(gnutls_x509_crt_set_expiration_time(crt, spec->not_after ? spec->not_after
								       : now + 90 * 86400));
	/* Build the whole SAN extension at once: appending names one by one to a certificate
	 * that is not signed yet does not keep them. */
	gnutls_subject_alt_names_t sans;
	unsigned nsans = 0;
	check(gnutls_subject_alt_names_init(&sans));
	for (int i = 0; i < 4 && spec->dns[i]; i++, nsans++) {
		gnutls_datum_t d = {(unsigned char *)(uintptr_t)spec->dns[i],
				    (unsigned)strlen(spec->dns[i])};
		check(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_DNSNAME, &d, NULL));
	}
	for (int i = 0; i < 4 && spec->ip[i]; i++, nsans++) {
		unsigned char ip[16];
		bool v6 = strchr(spec->ip[i], ':') != NULL;
		inet_pton(v6 ? AF_INET6 : AF_INET, spec->ip[i], ip);
		gnutls_datum_t d = {ip, v6 ? 16 : 4};
		check(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_IPADDRESS, &d, NULL));
	}
	if (spec->uri) {
		gnutls_datum_t d = {(unsigned char *)(uintptr_t)spec->uri,
				    (unsigned)strlen(spec->uri)};
		check(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_URI, &d, NULL));
		nsans++;
	}
	if (spec->email) {
		gnutls_datum_t d = {(unsigned char *)(uintptr_t)spec->email,
				    (unsigned)strlen(spec->email)};
		check(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_RFC822NAME, &d, NULL));
		nsans++;
	}
	if (nsans) {
		gnutls_datum_t der;
		check(gnutls_x509_ext_export_subject_alt_names(sans, &der));
		check(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17", der.data, der.size,
							   0));
		gnutls_free(der.data);
	}
	gnutls_subject_alt_names_deinit(sans);
	check(gnutls_x509_crt_set_basic_constraints(crt, spec->ca, spec->ca ? 0 : -1));
	check(gnutls_x509_crt_set_key_usage(crt, spec->ca ? GNUTLS_KEY_KEY_CERT_SIGN |
								    GNUTLS_KEY_CRL_SIGN
							  : GNUTLS_KEY_DIGITAL_SIGNATURE));
	if (spec->server_auth)
		check(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
	if (spec->client_auth)
		check(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0));
	if (signer) {
		/* sign2 copies the signer's subject into the issuer field. */
		check(gnutls_x509_crt_sign2(crt, signer, signer_key, hash, sign_flags));
	} else {
		check(gnutls_x509_crt_sign2(crt, crt, k, hash, sign_flags));
	}
	/* A freshly signed certificate answers some queries from stale caches (the SAN reads as
	 * absent): round-trip it through DER, as certificates from the wire are. */
	gnutls_datum_t der;
	gnutls_x509_crt_t fresh;
	check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der));
	check(gnutls_x509_crt_init(&fresh));
	check(gnutls_x509_crt_import(fresh, &der, GNUTLS_X509_FMT_DER));
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	*key = k;
	return fresh;
}
