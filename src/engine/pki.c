#include "tlsscope/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlsscope/target.h"
#include "tlsscope/worker.h"

const char *const pki_files[10] = {
	"ca/ca.key",	      "ca/ca.crt",	    "server/server.key", "server/server.crt",
	"client/client.key",  "client/client.crt",  "client/client.p12", "certDER/ca.der",
	"certDER/server.der", "certDER/client.der",
};

#define DAY 86400LL

struct made {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
};

static void made_free(struct made *m)
{
	if (m->crt)
		gnutls_x509_crt_deinit(m->crt);
	if (m->key)
		gnutls_x509_privkey_deinit(m->key);
}

static int fail(struct tls_error *err, const char *what, int rc)
{
	tls_error_set(err, "cannot %s: %s", what, gnutls_strerror(rc));
	return -1;
}

static int set_dn(gnutls_x509_crt_t crt, const char *org, const char *cn)
{
	int rc = 0;

	if (org)
		rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org,
						   (unsigned)strlen(org));
	if (rc == 0 && cn)
		rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						   (unsigned)strlen(cn));
	return rc;
}

/* A positive random serial of 16 bytes, as CAs issue them (RFC 5280 §4.1.2.2 allows 20). */
static int set_serial(gnutls_x509_crt_t crt)
{
	unsigned char serial[16];
	int rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));

	serial[0] &= 0x7f;
	serial[0] |= 0x10;
	return rc < 0 ? rc : gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
}

static int add_names(gnutls_x509_crt_t crt, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ip[16];
		int rc;
		if (strchr(names[i], ' '))
			continue; /* a person's name: CN only */
		if (inet_pton(AF_INET, names[i], ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
								  GNUTLS_FSAN_APPEND);
		else if (inet_pton(AF_INET6, names[i], ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
								  GNUTLS_FSAN_APPEND);
		else
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, names[i],
								  (unsigned)strlen(names[i]),
								  GNUTLS_FSAN_APPEND);
		if (rc < 0)
			return rc;
	}
	return 0;
}

enum role { ROLE_CA, ROLE_SERVER, ROLE_CLIENT };

struct spec {
	enum role role;
	const char *org, *cn;
	const char *const *names;
	size_t n_names;
	long long not_before, not_after;
};

/* One key and certificate: signed by issuer (NULL: self-signed). Modern: ECDSA P-256, SHA-256,
 * v3 with the extensions of its role. Legacy: RSA-1024, SHA-1, v1. */
static int make(const struct pki_options *o, const struct spec *sp, const struct made *issuer,
		struct made *out, struct tls_error *err)
{
	int rc;
	bool legacy = o->legacy;

	memset(out, 0, sizeof(*out));
	if ((rc = gnutls_x509_privkey_init(&out->key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(
		     out->key, legacy ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
		     legacy ? 1024 : GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0)
		return fail(err, "generate a key", rc);
	if ((rc = gnutls_x509_crt_init(&out->crt)) < 0 ||
	    (rc = gnutls_x509_crt_set_version(out->crt, legacy ? 1 : 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(out->crt, out->key)) < 0 ||
	    (rc = set_serial(out->crt)) < 0 || (rc = set_dn(out->crt, sp->org, sp->cn)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(out->crt, (time_t)sp->not_before)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(out->crt, (time_t)sp->not_after)) < 0)
		return fail(err, "build a certificate", rc);
	if (!legacy) {
		bool ca = sp->role == ROLE_CA;
		unsigned char id[64];
		size_t id_len = sizeof(id);
		rc = gnutls_x509_crt_set_basic_constraints(out->crt, ca, ca ? 0 : -1);
		if (rc == 0)
			rc = gnutls_x509_crt_set_key_usage(
				out->crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
					     : GNUTLS_KEY_DIGITAL_SIGNATURE);
		if (rc == 0 && !ca)
			rc = gnutls_x509_crt_set_key_purpose_oid(out->crt,
								 sp->role == ROLE_SERVER
									 ? GNUTLS_KP_TLS_WWW_SERVER
									 : GNUTLS_KP_TLS_WWW_CLIENT,
								 0);
		if (rc == 0)
			rc = add_names(out->crt, sp->names, sp->n_names);
		if (rc == 0 && gnutls_x509_crt_get_key_id(out->crt, 0, id, &id_len) == 0)
			rc = gnutls_x509_crt_set_subject_key_id(out->crt, id, id_len);
		if (rc == 0 && issuer) {
			id_len = sizeof(id);
			if (gnutls_x509_crt_get_subject_key_id(issuer->crt, id, &id_len, NULL) == 0)
				rc = gnutls_x509_crt_set_authority_key_id(out->crt, id, id_len);
		}
		if (rc < 0)
			return fail(err, "add certificate extensions", rc);
	}
	const struct made *signer = issuer ? issuer : out;
	rc = gnutls_x509_crt_sign2(out->crt, signer->crt, signer->key,
				   legacy ? GNUTLS_DIG_SHA1 : GNUTLS_DIG_SHA256, 0);
	if (rc < 0)
		return fail(err, "sign a certificate", rc);
	return 0;
}

/* ---- writing ---- */

/* mkdir -p: the directory and any parents it lacks. */
/* "tlsscope CA NAME 1a2b3c4d": NAME is dir's last component (as far as it fits), the hex
 * digits random. */
static int default_ca_name(const char *dir, char *out, size_t size, struct tls_error *err)
{
	unsigned char rnd[4];
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0) {
		tls_error_set(err, "cannot get random bytes for the CA's name");
		return -1;
	}
	int len = (int)(n - start);
	if (len > 64)
		len = 64;
	if (len == 0 || (len == 1 && dir[start] == '.'))
		snprintf(out, size, "tlsscope CA %02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	else
		snprintf(out, size, "tlsscope CA %.*s %02x%02x%02x%02x", len, dir + start, rnd[0],
			 rnd[1], rnd[2], rnd[3]);
	return 0;
}

static int ensure_dir(const char *path, struct tls_error *err)
{
	char *p = xstrdup(path);
	struct stat st;
	int rc = 0;

	for (char *slash = p + 1; rc == 0; slash++) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		else if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
		if (rc < 0)
			tls_error_set(err, "%s: %s", p, strerror(errno));
		if (!slash)
			break;
		*slash = '/';
	}
	free(p);
	return rc;
}

/* Writes data whole: a temporary file in the same directory (mkstemp: O_EXCL, 0600), then
 * rename, so that a file is either the old one or the new one, never half of each. rename
 * replaces a symbolic link at the path itself (rename(2)): --force never writes through one. */
static int write_file(const char *dir, const char *rel, const void *data, size_t len, mode_t mode,
		      struct tls_error *err)
{
	char *path = xasprintf("%s/%s", dir, rel);
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	int rc = -1;

	if (fd < 0) {
		tls_error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		tls_error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		tls_error_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

static int write_crt(const char *dir, const char *pem, const char *der, gnutls_x509_crt_t crt,
		     struct tls_error *err)
{
	gnutls_datum_t d = {0};
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);

	if (rc < 0)
		return fail(err, "export a certificate", rc);
	rc = write_file(dir, pem, d.data, d.size, 0644, err);
	gnutls_free(d.data);
	if (rc < 0)
		return -1;
	rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d);
	if (rc < 0)
		return fail(err, "export a certificate", rc);
	rc = write_file(dir, der, d.data, d.size, 0644, err);
	gnutls_free(d.data);
	return rc;
}

static int write_key(const char *dir, const char *rel, gnutls_x509_privkey_t key,
		     struct tls_error *err)
{
	gnutls_datum_t d = {0};
	/* PKCS#8 "BEGIN PRIVATE KEY", as openssl genrsa writes it today. */
	int rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
						   GNUTLS_PKCS_PLAIN, &d);

	if (rc < 0)
		return fail(err, "export a key", rc);
	rc = write_file(dir, rel, d.data, d.size, 0600, err);
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	return rc;
}

/* client.p12: the client's certificate and key (and the CA), a MAC over all of it. With a
 * password the bags are encrypted (PBES2 with AES-256); with the empty one they are not, as
 * certtool and openssl do. */
static int write_p12(const char *dir, const struct made *client, const struct made *ca,
		     const char *password, struct tls_error *err)
{
	gnutls_pkcs12_t p12 = NULL;
	gnutls_pkcs12_bag_t certs = NULL, keys = NULL;
	gnutls_datum_t key_der = {0}, out = {0};
	unsigned char id[64];
	size_t id_len = sizeof(id);
	const char *pass = password ? password : "";
	bool encrypt = *pass != 0;
	int rc;

	rc = gnutls_pkcs12_init(&p12);
	if (rc == 0)
		rc = gnutls_pkcs12_bag_init(&certs);
	if (rc == 0)
		rc = gnutls_pkcs12_bag_init(&keys);
	if (rc == 0)
		rc = gnutls_x509_crt_get_key_id(client->crt, 0, id, &id_len);
	gnutls_datum_t key_id = {id, (unsigned)id_len};
	int idx = rc == 0 ? gnutls_pkcs12_bag_set_crt(certs, client->crt) : rc;
	if (idx >= 0) {
		rc = gnutls_pkcs12_bag_set_key_id(certs, (unsigned)idx, &key_id);
		if (rc == 0)
			rc = gnutls_pkcs12_bag_set_friendly_name(certs, (unsigned)idx, "client");
		if (rc == 0)
			rc = gnutls_pkcs12_bag_set_crt(certs, ca->crt) < 0 ? -1 : 0;
	} else {
		rc = idx;
	}
	if (rc == 0 && encrypt)
		rc = gnutls_pkcs12_bag_encrypt(certs, pass, GNUTLS_PKCS_PBES2_AES_256);
	if (rc == 0)
		rc = gnutls_x509_privkey_export2_pkcs8(
			client->key, GNUTLS_X509_FMT_DER, encrypt ? pass : NULL,
			encrypt ? GNUTLS_PKCS_PBES2_AES_256 : GNUTLS_PKCS_PLAIN, &key_der);
	if (rc == 0)
		idx = gnutls_pkcs12_bag_set_data(
			keys, encrypt ? GNUTLS_BAG_PKCS8_ENCRYPTED_KEY : GNUTLS_BAG_PKCS8_KEY,
			&key_der);
	if (rc == 0 && idx >= 0) {
		rc = gnutls_pkcs12_bag_set_key_id(keys, (unsigned)idx, &key_id);
		if (rc == 0)
			rc = gnutls_pkcs12_bag_set_friendly_name(keys, (unsigned)idx, "client");
	} else if (rc == 0) {
		rc = idx;
	}
	if (rc == 0)
		rc = gnutls_pkcs12_set_bag(p12, certs);
	if (rc == 0)
		rc = gnutls_pkcs12_set_bag(p12, keys);
	if (rc == 0)
		rc = gnutls_pkcs12_generate_mac2(p12, GNUTLS_MAC_SHA256, pass);
	if (rc == 0)
		rc = gnutls_pkcs12_export2(p12, GNUTLS_X509_FMT_DER, &out);
	if (rc < 0) {
		fail(err, "make client/client.p12", rc);
	} else {
		rc = write_file(dir, "client/client.p12", out.data, out.size, 0600, err);
	}
	if (key_der.data) {
		gnutls_memset(key_der.data, 0, key_der.size);
		gnutls_free(key_der.data);
	}
	gnutls_free(out.data);
	if (certs)
		gnutls_pkcs12_bag_deinit(certs);
	if (keys)
		gnutls_pkcs12_bag_deinit(keys);
	if (p12)
		gnutls_pkcs12_deinit(p12);
	return rc < 0 ? -1 : 0;
}

/* A server is reached by name or address: each must be one. A client's first name is its CN
 * and may be any text ("John Smith"); those that look like hosts go in the SAN too. */
static int check_names(const char *const *sn, size_t n_sn, const char *const *cn, size_t n_cn,
		       struct tls_error *err)
{
	for (size_t i = 0; i < n_sn + n_cn; i++) {
		const char *name = i < n_sn ? sn[i] : cn[i - n_sn];
		bool bad = !*name || strlen(name) > 253 || strpbrk(name, "\t\r\n\x1b");
		if (i < n_sn)
			bad = bad || strpbrk(name, " /\\");
		if (bad) {
			tls_error_set(err, "'%s' is not a valid %s", name,
				      i < n_sn ? "host name or IP address" : "client name");
			return -1;
		}
	}
	return 0;
}

/* DIR and its subdirectories, real directories all, with none of the files there unless
 * o->force. */
static int prepare_dir(const struct pki_options *o, struct tls_error *err)
{
	if (ensure_dir(o->dir, err) < 0)
		return -1;
	if (!o->force) {
		for (size_t i = 0; i < sizeof(pki_files) / sizeof(pki_files[0]); i++) {
			char *p = xasprintf("%s/%s", o->dir, pki_files[i]);
			struct stat st;
			/* lstat: a symbolic link is there too, dangling or not. */
			bool exists = lstat(p, &st) == 0;
			if (exists)
				tls_error_set(err, "%s exists; use --force to overwrite", p);
			free(p);
			if (exists)
				return -1;
		}
	}
	static const char *const subdirs[] = {"ca", "server", "client", "certDER"};
	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", o->dir, subdirs[i]);
		struct stat st;
		/* The files go into DIR itself: a linked subdirectory would put keys elsewhere. */
		int r = lstat(p, &st) == 0 && S_ISLNK(st.st_mode) ? -1 : 0;
		if (r < 0)
			tls_error_set(err,
				      "%s is a symbolic link; pki writes only into real "
				      "directories",
				      p);
		else
			r = ensure_dir(p, err);
		free(p);
		if (r < 0)
			return -1;
	}
	return 0;
}

int pki_generate(const struct pki_options *o, struct tls_error *err)
{
	static const char *const default_server[] = {"localhost", "127.0.0.1", "::1"};
	static const char *const legacy_server[] = {"192.168.111.100"};
	static const char *const default_client[] = {"tlsscope client"};
	static const char *const legacy_client[] = {"192.168.111.101"};
	struct made ca = {0}, srv = {0}, cl = {0};
	long long now = (long long)time(NULL);
	int rc = -1;

	const char *const *sn =
		o->n_server_names ? o->server_names : (o->legacy ? legacy_server : default_server);
	size_t n_sn = o->n_server_names ? o->n_server_names : (o->legacy ? 1 : 3);
	const char *const *cn =
		o->n_client_names ? o->client_names : (o->legacy ? legacy_client : default_client);
	size_t n_cn = o->n_client_names ? o->n_client_names : 1;
	if (check_names(sn, n_sn, cn, n_cn, err) < 0 || prepare_dir(o, err) < 0)
		return -1;
	long long life = o->legacy ? 5000 * DAY : 365 * DAY;
	char ca_cn[160];
	if (!o->ca_name && !o->legacy && default_ca_name(o->dir, ca_cn, sizeof(ca_cn), err) < 0)
		return -1;
	struct spec ca_spec = {
		.role = ROLE_CA,
		.org = o->legacy ? "TLS Project Dodgy Certificate Authority" : NULL,
		.cn = o->ca_name  ? o->ca_name
		      : o->legacy ? NULL
				  : ca_cn,
		.not_before = now - 60,
		.not_after = now + (o->legacy ? life : 3650 * DAY),
	};
	struct spec srv_spec = {
		.role = ROLE_SERVER,
		.org = o->legacy ? "TLS Project" : NULL,
		.cn = sn[0],
		.names = sn,
		.n_names = n_sn,
		.not_before = o->server_not_before ? o->server_not_before : now - 60,
		.not_after = o->server_not_after ? o->server_not_after : now + life,
	};
	struct spec cl_spec = {
		.role = ROLE_CLIENT,
		.org = o->legacy ? "TLS Project Device Certificate" : NULL,
		.cn = cn[0],
		.names = o->n_client_names ? cn : NULL,
		.n_names = o->n_client_names,
		.not_before = now - 60,
		.not_after = now + life,
	};
	if (make(o, &ca_spec, NULL, &ca, err) < 0 || make(o, &srv_spec, &ca, &srv, err) < 0 ||
	    make(o, &cl_spec, &ca, &cl, err) < 0)
		goto out;
	if (write_key(o->dir, "ca/ca.key", ca.key, err) < 0 ||
	    write_crt(o->dir, "ca/ca.crt", "certDER/ca.der", ca.crt, err) < 0 ||
	    write_key(o->dir, "server/server.key", srv.key, err) < 0 ||
	    write_crt(o->dir, "server/server.crt", "certDER/server.der", srv.crt, err) < 0 ||
	    write_key(o->dir, "client/client.key", cl.key, err) < 0 ||
	    write_crt(o->dir, "client/client.crt", "certDER/client.der", cl.crt, err) < 0 ||
	    write_p12(o->dir, &cl, &ca, o->password, err) < 0)
		goto out;
	rc = 0;
out:
	made_free(&ca);
	made_free(&srv);
	made_free(&cl);
	return rc;
}

struct pki_job {
	struct pki_options o;
	void (*done)(void *, int, const struct tls_error *);
	void *arg;
	int rc;
	struct tls_error err;
};

static void pki_work(void *p)
{
	struct pki_job *j = p;

	j->rc = pki_generate(&j->o, &j->err);
}

static void pki_done(void *p)
{
	struct pki_job *j = p;

	j->done(j->arg, j->rc, &j->err);
	free(j);
}

int pki_start(struct loop *l, const struct pki_options *o,
	      void (*done)(void *arg, int rc, const struct tls_error *err), void *arg)
{
	struct pki_job *j = xcalloc(1, sizeof(*j));

	j->o = *o;
	j->done = done;
	j->arg = arg;
	if (!worker_start(l, pki_work, pki_done, free, j)) {
		free(j);
		return -1;
	}
	return 0;
}
