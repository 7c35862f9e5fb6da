/* Recent targets and identities: $XDG_STATE_HOME/tlsscope/recent (default
 * ~/.local/state/tlsscope/recent), one "kind<TAB>value" per line, newest first. Paths and
 * host names only: never a password. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screens.h"

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
			bool same_kind = strncmp(lines.v[i], kind, strlen(kind)) == 0 &&
					 lines.v[i][strlen(kind)] == '\t';
			if (strcmp(lines.v[i], entry) == 0 || (same_kind && ++kept >= RECENT_KEEP))
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

void recent_add_target(const char *host, unsigned port)
{
	char *v = xasprintf(strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	add("target", v);
	free(v);
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
