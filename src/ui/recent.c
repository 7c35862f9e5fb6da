/* Recent targets and identities: $XDG_STATE_HOME/tlsscope/recent (default
 * ~/.local/state/tlsscope/recent), one "kind<TAB>value" per line, newest first. Paths and
 * host names only: never a password.
 *
 * A target is "target<TAB>host:port" followed by the setup it ran with, one "name=value"
 * field per tab: ca=, int=, crl= (each repeatable), sni=, nosni=1, verify=, alpn=, max=12|13,
 * nosys=1, cert=, key=, force=1, starttls=, ocsp=1, aia=1, proxy=, proxypw= (the password
 * file's path). Older files hold only
 * "target<TAB>host:port"; they still read (with the default setup). A value holding a tab or a
 * newline is not remembered. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screens.h"
#include "tlsscope/target.h"

#define RECENT_KEEP 20

static char *state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/tlsscope", xdg);
	if (home && *home)
		return xasprintf("%s/.local/state/tlsscope", home);
	return NULL;
}

static int make_dirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

/* Every line of the file, in order. Only a regular file is read: O_NONBLOCK, because a FIFO
 * in its place would make open() wait for a writer, the screen frozen. */
static void read_all(const char *file, struct strlist *out)
{
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f = fdopen(fd, "r");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0 && out->n < 4 * RECENT_KEEP) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strchr(line, '\t'))
			strlist_add(out, line);
	}
	free(line);
	fclose(f);
}

/* Length of the part of a value that identifies it: a target's host:port, or all of it. */
static size_t ident_len(const char *kind, const char *value)
{
	return strcmp(kind, "target") == 0 ? strcspn(value, "\t") : strlen(value);
}

static void add(const char *kind, const char *value)
{
	char *dir = state_dir();
	struct strlist lines = {0};

	/* A value with a newline would break the format: such names are not remembered. */
	if (!dir || strchr(value, '\n') || make_dirs(dir) < 0) {
		free(dir);
		return;
	}
	char *file = xasprintf("%s/recent", dir), *tmp = xasprintf("%s/recent.tmp", dir);
	char *entry = xasprintf("%s\t%s", kind, value);
	read_all(file, &lines);
	FILE *f = fopen(tmp, "we");
	if (f) {
		size_t kept = 0;
		fprintf(f, "%s\n", entry);
		for (size_t i = 0; i < lines.n; i++) {
			size_t k = strlen(kind);
			bool same_kind = strncmp(lines.v[i], kind, k) == 0 && lines.v[i][k] == '\t';
			const char *v = lines.v[i] + k + 1;
			size_t n = ident_len(kind, value);
			/* The same target with another setup: the newest setup replaces it. */
			bool same =
				same_kind && ident_len(kind, v) == n && strncmp(v, value, n) == 0;
			if (same || (same_kind && ++kept >= RECENT_KEEP))
				continue;
			fprintf(f, "%s\n", lines.v[i]);
		}
		if (fclose(f) == 0)
			rename(tmp, file);
		else
			unlink(tmp);
	}
	strlist_free(&lines);
	free(entry);
	free(tmp);
	free(file);
	free(dir);
}

static void field(char **buf, const char *name, const char *value)
{
	if (!value || !*value || strpbrk(value, "\t\n"))
		return;
	char *next = xasprintf("%s\t%s=%s", *buf, name, value);
	free(*buf);
	*buf = next;
}

void recent_add_setup(const struct ui_setup *s)
{
	char *v = xasprintf(strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", s->host, s->port);

	for (size_t i = 0; i < s->ca_files.n; i++)
		field(&v, "ca", s->ca_files.v[i]);
	for (size_t i = 0; i < s->intermediates.n; i++)
		field(&v, "int", s->intermediates.v[i]);
	for (size_t i = 0; i < s->crls.n; i++)
		field(&v, "crl", s->crls.v[i]);
	field(&v, "sni", s->sni);
	field(&v, "nosni", s->no_sni ? "1" : NULL);
	field(&v, "verify", s->verify_name);
	field(&v, "alpn", s->alpn);
	field(&v, "max", s->tls_max == 12 ? "12" : s->tls_max == 13 ? "13" : NULL);
	field(&v, "nosys", s->system_trust ? NULL : "1");
	field(&v, "cert", s->cert);
	field(&v, "key", s->key);
	field(&v, "force", s->force_client_cert ? "1" : NULL);
	field(&v, "starttls", s->starttls);
	field(&v, "ocsp", s->ocsp ? "1" : NULL);
	field(&v, "aia", s->fetch_intermediates ? "1" : NULL);
	field(&v, "proxy", s->proxy);
	field(&v, "proxypw", s->proxy_password_file);
	add("target", v);
	free(v);
}

int recent_restore(const char *entry, struct ui_setup *s)
{
	struct tls_target t;
	struct tls_error err = {{0}};
	char *copy = xstrdup(entry), *save = NULL;
	char *hp = strtok_r(copy, "\t", &save);

	if (!hp || target_parse(hp, TLS_DEFAULT_PORT, &t, &err) < 0) {
		free(copy);
		return -1;
	}
	setup_set(&s->host, t.host);
	s->port = t.port;
	setup_set(&s->sni, NULL);
	s->no_sni = false;
	setup_set(&s->verify_name, NULL);
	setup_set(&s->alpn, NULL);
	s->tls_max = 0;
	s->system_trust = true;
	s->force_client_cert = false;
	setup_set(&s->starttls, NULL);
	s->ocsp = s->fetch_intermediates = false;
	setup_set(&s->proxy, NULL);
	setup_set(&s->proxy_password_file, NULL);
	strlist_free(&s->ca_files);
	strlist_free(&s->intermediates);
	strlist_free(&s->crls);
	setup_set(&s->cert, NULL);
	setup_set(&s->key, NULL);
	setup_set_password(s, NULL);
	for (char *f = strtok_r(NULL, "\t", &save); f; f = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(f, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *val = eq + 1;
		if (strcmp(f, "ca") == 0)
			strlist_add(&s->ca_files, val);
		else if (strcmp(f, "int") == 0)
			strlist_add(&s->intermediates, val);
		else if (strcmp(f, "crl") == 0)
			strlist_add(&s->crls, val);
		else if (strcmp(f, "sni") == 0)
			setup_set(&s->sni, val);
		else if (strcmp(f, "nosni") == 0)
			s->no_sni = true;
		else if (strcmp(f, "verify") == 0)
			setup_set(&s->verify_name, val);
		else if (strcmp(f, "alpn") == 0)
			setup_set(&s->alpn, val);
		else if (strcmp(f, "max") == 0)
			s->tls_max = atoi(val) == 12 || atoi(val) == 13 ? atoi(val) : 0;
		else if (strcmp(f, "nosys") == 0)
			s->system_trust = false;
		else if (strcmp(f, "cert") == 0)
			setup_set(&s->cert, val);
		else if (strcmp(f, "key") == 0)
			setup_set(&s->key, val);
		else if (strcmp(f, "force") == 0)
			s->force_client_cert = true;
		else if (strcmp(f, "starttls") == 0)
			setup_set(&s->starttls, val);
		else if (strcmp(f, "ocsp") == 0)
			s->ocsp = true;
		else if (strcmp(f, "aia") == 0)
			s->fetch_intermediates = true;
		else if (strcmp(f, "proxy") == 0)
			setup_set(&s->proxy, val);
		else if (strcmp(f, "proxypw") == 0)
			setup_set(&s->proxy_password_file, val);
		/* Fields of a newer version are skipped. */
	}
	free(copy);
	return 0;
}

char *recent_describe(const char *entry)
{
	struct ui_setup s = {0};
	size_t n = strcspn(entry, "\t");

	if (recent_restore(entry, &s) < 0)
		return xstrndup(entry, n);
	char *d = setup_describe(&s);
	char *out = xasprintf("%.*s   %s", (int)n, entry, d);
	free(d);
	setup_free(&s);
	return out;
}

void recent_add_identity(const char *cert, const char *key)
{
	char *v = xasprintf("%s\t%s", cert, key ? key : "");
	add("identity", v);
	free(v);
}

void recent_list(const char *kind, struct strlist *out, size_t max)
{
	char *dir = state_dir();
	struct strlist lines = {0};

	if (!dir)
		return;
	char *file = xasprintf("%s/recent", dir);
	read_all(file, &lines);
	for (size_t i = 0; i < lines.n && out->n < max; i++) {
		size_t k = strlen(kind);
		if (strncmp(lines.v[i], kind, k) == 0 && lines.v[i][k] == '\t')
			strlist_add(out, lines.v[i] + k + 1);
	}
	strlist_free(&lines);
	free(file);
	free(dir);
}
