/* The TUI's connection setup, from the command line and the forms. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "setup.h"
#include "ui.h"

void setup_set(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static void strlist_copy(struct strlist *dst, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strlist_add(dst, v[i]);
}

void setup_from_start(struct ui_setup *s, const struct ui_start *st)
{
	const struct tls_client_config *c = &st->client;
	const struct tls_client_config def = client_config_defaults();

	memset(s, 0, sizeof(*s));
	setup_set(&s->host, c->host);
	s->port = c->port ? c->port : def.port;
	setup_set(&s->sni, c->sni);
	s->no_sni = c->no_sni;
	setup_set(&s->verify_name, c->verify_name);
	setup_set(&s->alpn, c->alpn);
	s->tls_max = c->tls_max;
	s->timeout_s = c->timeout_s > 0 ? c->timeout_s : def.timeout_s;
	setup_set(&s->priority, c->priority);
	s->http = c->http;
	setup_set(&s->http_path, c->http_path);
	s->strict = c->strict;
	s->force_client_cert = c->force_client_cert;
	s->no_probe = c->no_probe;
	s->resume = c->resume;
	s->ocsp = c->ocsp;
	s->fetch_intermediates = c->fetch_intermediates;
	setup_set(&s->starttls, c->starttls);
	setup_set(&s->proxy, c->proxy);
	setup_set(&s->proxy_password_file, st->proxy_password_file);
	setup_set(&s->keylog, c->keylog_path);
	s->system_trust = st->creds.system_trust;
	strlist_copy(&s->ca_files, st->creds.anchors, st->creds.n_anchors);
	strlist_copy(&s->intermediates, st->creds.intermediates, st->creds.n_intermediates);
	strlist_copy(&s->crls, st->creds.crls, st->creds.n_crls);
	setup_set(&s->cert, st->creds.cert);
	setup_set(&s->key, st->creds.cert ? st->creds.key : NULL);
	s->password = st->password;
}

void setup_free_secret(char *secret)
{
	if (secret) {
		gnutls_memset(secret, 0, strlen(secret));
		free(secret);
	}
}

void setup_set_password(struct ui_setup *s, const char *password)
{
	setup_free_secret(s->password);
	s->password = password ? xstrdup(password) : NULL;
}

int setup_proxy_password(const struct ui_setup *s, char **out, struct tls_error *err)
{
	const char *file = s->proxy_password_file;
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;

	*out = NULL;
	if (!file)
		return 0;
	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
		tls_error_set(err, "the proxy password file %s is not a regular file", file);
		return -1;
	}
	if (util_read_file(file, 4096, &data, &len, err) < 0)
		return -1;
	/* The first line is the password; the rest is wiped too. */
	size_t n = strcspn((char *)data, "\r\n");
	gnutls_memset(data + n, 0, len - n);
	*out = (char *)data;
	return 0;
}

void setup_free(struct ui_setup *s)
{
	free(s->host);
	free(s->sni);
	free(s->verify_name);
	free(s->alpn);
	free(s->priority);
	free(s->http_path);
	free(s->keylog);
	free(s->starttls);
	free(s->proxy);
	free(s->proxy_password_file);
	strlist_free(&s->ca_files);
	strlist_free(&s->intermediates);
	strlist_free(&s->crls);
	free(s->cert);
	free(s->key);
	setup_set_password(s, NULL);
	memset(s, 0, sizeof(*s));
}

struct tls_creds *setup_creds(const struct ui_setup *s, bool system, bool with_identity,
			      struct tls_error *err)
{
	struct tls_creds_spec spec = {
		.system_trust = system,
		.anchors = (const char *const *)s->ca_files.v,
		.n_anchors = s->ca_files.n,
		.intermediates = (const char *const *)s->intermediates.v,
		.n_intermediates = s->intermediates.n,
		.crls = (const char *const *)s->crls.v,
		.n_crls = s->crls.n,
		.cert = with_identity ? s->cert : NULL,
		.key = with_identity ? s->key : NULL,
		.password = s->password,
	};

	return creds_build(&spec, err);
}

void setup_client_config(const struct ui_setup *s, struct tls_creds *creds,
			 const char *proxy_password, struct tls_client_config *cfg)
{
	*cfg = client_config_defaults();
	cfg->host = s->host;
	cfg->port = s->port;
	cfg->sni = s->sni;
	cfg->no_sni = s->no_sni;
	cfg->verify_name = s->verify_name;
	cfg->alpn = s->alpn;
	cfg->priority = s->priority;
	cfg->tls_max = s->tls_max;
	cfg->timeout_s = s->timeout_s;
	cfg->http = s->http;
	cfg->http_path = s->http_path;
	cfg->strict = s->strict;
	cfg->force_client_cert = s->force_client_cert;
	cfg->no_probe = s->no_probe;
	cfg->resume = s->resume;
	cfg->ocsp = s->ocsp;
	cfg->fetch_intermediates = s->fetch_intermediates;
	cfg->starttls = s->starttls;
	cfg->proxy = s->proxy;
	cfg->proxy_password = proxy_password;
	cfg->keylog_path = s->keylog;
	cfg->creds = creds;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

char *setup_describe(const struct ui_setup *s)
{
	char trust[160], id[200];

	if (s->ca_files.n)
		snprintf(trust, sizeof(trust), "%s%s%s", s->system_trust ? "system + " : "",
			 s->ca_files.n == 1 ? base_name(s->ca_files.v[0]) : "CA files",
			 s->ca_files.n > 1 ? "" : "");
	else
		snprintf(trust, sizeof(trust), "%s", s->system_trust ? "system store" : "NOTHING");
	if (s->cert)
		snprintf(id, sizeof(id), "%s%s%s", base_name(s->cert), s->key ? " + " : "",
			 s->key ? base_name(s->key) : "");
	else
		snprintf(id, sizeof(id), "none");
	return xasprintf("trust: %s   identity: %s%s%s%s%s%s%s%s%s%s%s", trust, id,
			 s->sni || s->no_sni ? "   SNI: " : "",
			 s->no_sni ? "off"
			 : s->sni  ? s->sni
				   : "",
			 s->verify_name ? "   verify name: " : "",
			 s->verify_name ? s->verify_name : "", s->starttls ? "   STARTTLS: " : "",
			 s->starttls ? s->starttls : "", s->ocsp ? "   OCSP" : "",
			 s->fetch_intermediates ? "   AIA" : "", s->proxy ? "   proxy: " : "",
			 s->proxy ? s->proxy : "");
}
