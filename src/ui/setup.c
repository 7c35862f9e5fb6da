/* The TUI's connection setup, from the command line and the forms. */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "setup.h"

void setup_set(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static void strlist_copy(struct strlist *dst, const struct strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

void setup_from_cli(struct ui_setup *s, const struct cli *cli, char *password)
{
	memset(s, 0, sizeof(*s));
	setup_set(&s->host, cli->target.host);
	s->port = cli->target.port ? cli->target.port : 443;
	setup_set(&s->sni, cli->sni);
	s->no_sni = cli->no_sni;
	setup_set(&s->verify_name, cli->verify_name);
	setup_set(&s->alpn, cli->alpn);
	s->tls_max = cli->tls_max;
	s->timeout_s = cli->timeout_s > 0 ? cli->timeout_s : 10;
	setup_set(&s->priority, cli->priority);
	s->http = cli->http;
	setup_set(&s->http_path, cli->http_path);
	s->strict = cli->strict;
	s->force_client_cert = cli->force_client_cert;
	s->no_probe = cli->no_probe;
	s->resume = cli->resume;
	setup_set(&s->keylog, cli->keylog);
	s->system_trust = !cli->no_system_trust;
	strlist_copy(&s->ca_files, &cli->ca_files);
	strlist_copy(&s->intermediates, &cli->intermediates);
	strlist_copy(&s->crls, &cli->crls);
	setup_set(&s->cert, cli->p12 ? cli->p12 : cli->cert);
	setup_set(&s->key, cli->p12 ? NULL : cli->key);
	s->password = password;
}

void setup_set_password(struct ui_setup *s, const char *password)
{
	if (s->password) {
		gnutls_memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	s->password = password ? xstrdup(password) : NULL;
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
	struct tls_creds *c = creds_new();

	if (!c) {
		tls_error_set(err, "cannot allocate TLS credentials");
		return NULL;
	}
	if (system && creds_add_system_trust(c, err) < 0)
		goto fail;
	for (size_t i = 0; i < s->ca_files.n; i++)
		if (creds_add_ca_file(c, s->ca_files.v[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < s->intermediates.n; i++)
		if (creds_add_intermediates(c, s->intermediates.v[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < s->crls.n; i++)
		if (creds_add_crl_file(c, s->crls.v[i], err) < 0)
			goto fail;
	if (with_identity && s->cert &&
	    creds_set_identity(c, s->cert, s->key, s->password, err) < 0)
		goto fail;
	return c;
fail:
	creds_free(c);
	return NULL;
}

void setup_client_config(const struct ui_setup *s, struct tls_creds *creds,
			 struct tls_client_config *cfg)
{
	*cfg = (struct tls_client_config){
		.host = s->host,
		.port = s->port,
		.sni = s->sni,
		.no_sni = s->no_sni,
		.verify_name = s->verify_name,
		.alpn = s->alpn,
		.priority = s->priority,
		.tls_max = s->tls_max,
		.timeout_s = s->timeout_s,
		.http = s->http,
		.http_path = s->http_path,
		.strict = s->strict,
		.force_client_cert = s->force_client_cert,
		.no_probe = s->no_probe,
		.resume = s->resume,
		.keylog_path = s->keylog,
		.creds = creds,
	};
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
	return xasprintf("trust: %s   identity: %s%s%s%s%s", trust, id,
			 s->sni || s->no_sni ? "   SNI: " : "",
			 s->no_sni ? "off"
			 : s->sni  ? s->sni
				   : "",
			 s->verify_name ? "   verify name: " : "",
			 s->verify_name ? s->verify_name : "");
}
