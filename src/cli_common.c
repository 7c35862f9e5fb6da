/* What the commands share: exit codes, the one-line error, color, passwords. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "commands.h"

int cli_usage_error(const char *msg)
{
	fprintf(stderr, "tlsscope: %s\n", msg);
	return EXIT_USAGE;
}

bool cli_want_color(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

/* The password for PKCS#12 files, encrypted keys and PKCS#11 PINs: from a file (its first
 * line) or an environment variable, never from the command line. NULL when none was given. */
int cli_read_password(const struct cli *cli, char **out, struct tls_error *err)
{
	*out = NULL;
	if (cli->password_env) {
		const char *v = getenv(cli->password_env);
		if (!v) {
			tls_error_set(err,
				      "--password-env %s: that environment variable is not set",
				      cli->password_env);
			return -1;
		}
		*out = xstrdup(v);
	} else if (cli->password_file) {
		unsigned char *data;
		size_t len;
		if (util_read_file(cli->password_file, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
			return -1;
		data[strcspn((char *)data, "\r\n")] = 0;
		*out = (char *)data;
	}
	return 0;
}

void cli_free_password(char *p)
{
	if (p) {
		gnutls_memset(p, 0, strlen(p));
		free(p);
	}
}
