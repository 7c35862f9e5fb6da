/* The small pieces creds.c and creds_p12.c share (creds_common.h). */
#include "creds_common.h"

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

bool creds_is_pem(const unsigned char *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

void creds_wipe_free(unsigned char *data, size_t len)
{
	gnutls_memset(data, 0, len);
	free(data);
}

int creds_key_from_x509(gnutls_x509_privkey_t x, gnutls_privkey_t *out)
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
