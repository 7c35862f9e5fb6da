/* The command line as tables: one row per command (its name and operands) and one row per option
 * (its name, its argument, the commands it applies to, where its value goes and its help), from
 * which getopt's long_options and the --help text are made. */
#include "args.h"
#include "args_table.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/proxy.h"
#include "tlsscope/starttls.h"

/* Which commands an option applies to; the TUI home counts as connect, because it seeds its
 * connect form from the connect options. */
enum {
	ON_CONNECT = 1u << CMD_CONNECT,
	ON_LISTEN = 1u << CMD_LISTEN,
	ON_INSPECT = 1u << CMD_INSPECT,
	ON_PKI = 1u << CMD_PKI,
	ON_DEMO = 1u << CMD_DEMO,
	ON_EXPLAIN = 1u << CMD_EXPLAIN,
	ON_ALL = ON_CONNECT | ON_LISTEN | ON_INSPECT | ON_PKI | ON_DEMO | ON_EXPLAIN,
};

/* ---- the options that check their value ---- */

static int parse_count(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out,
		       struct tls_error *err)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || s[0] == '-' || v < min || v > max) {
		tls_error_set(err, "%s takes a number from %u to %u, not '%s'", opt, min, max, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Seconds: the engine's deadlines count milliseconds, so less than one is not a deadline. */
#define TIMEOUT_MIN_S 0.001
#define TIMEOUT_MAX_S 3600.0

static int parse_timeout(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= TIMEOUT_MIN_S && v <= TIMEOUT_MAX_S))
		return -1;
	*out = v;
	return 0;
}

static int opt_tls_max(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (strcmp(arg, "1.2") == 0)
		cli->tls_max = 12;
	else if (strcmp(arg, "1.3") == 0)
		cli->tls_max = 13;
	else {
		tls_error_set(err, "--tls-max takes 1.2 or 1.3, not '%s'", arg);
		return -1;
	}
	return 0;
}

static int opt_timeout(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (parse_timeout(arg, &cli->timeout_s) < 0) {
		tls_error_set(err, "--timeout takes seconds from 0.001 to 3600, not '%s'", arg);
		return -1;
	}
	return 0;
}

static int opt_handshake_timeout(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (parse_timeout(arg, &cli->handshake_timeout_s) < 0) {
		tls_error_set(err, "--handshake-timeout takes seconds from 0.001 to 3600, not '%s'",
			      arg);
		return -1;
	}
	return 0;
}

static int opt_http(struct cli *cli, const char *arg, struct tls_error *err)
{
	cli->http = HTTP_ON;
	cli->http_path = arg;
	if (arg && arg[0] != '/') {
		tls_error_set(err, "--http=PATH must start with '/', not '%s'", arg);
		return -1;
	}
	if (arg && strpbrk(arg, " \r\n\t")) {
		tls_error_set(err, "--http=PATH must not contain spaces or line breaks");
		return -1;
	}
	return 0;
}

static int opt_no_http(struct cli *cli, const char *arg, struct tls_error *err)
{
	(void)arg;
	(void)err;
	cli->http = HTTP_OFF;
	return 0;
}

static int opt_help(struct cli *cli, const char *arg, struct tls_error *err)
{
	(void)arg;
	(void)err;
	cli->command = CMD_HELP;
	return 0;
}

static int opt_version(struct cli *cli, const char *arg, struct tls_error *err)
{
	(void)arg;
	(void)err;
	cli->command = CMD_VERSION;
	return 0;
}

static int opt_purpose(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (strcmp(arg, "server") != 0 && strcmp(arg, "client") != 0) {
		tls_error_set(err, "--purpose takes server or client, not '%s'", arg);
		return -1;
	}
	cli->purpose = arg;
	return 0;
}

static int opt_starttls(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (strcmp(arg, "none") != 0 && !starttls_find(arg)) {
		tls_error_set(err, "--starttls takes one of %s, none; not '%s'", starttls_names(),
			      arg);
		return -1;
	}
	cli->starttls = arg;
	return 0;
}

static int opt_proxy(struct cli *cli, const char *arg, struct tls_error *err)
{
	struct tls_proxy_spec spec;

	if (proxy_parse(arg, &spec, err) < 0)
		return -1;
	cli->proxy = arg;
	return 0;
}

static int opt_client_cert(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (strcmp(arg, "none") == 0)
		cli->client_cert = CLIENT_CERT_NONE;
	else if (strcmp(arg, "request") == 0)
		cli->client_cert = CLIENT_CERT_REQUEST;
	else if (strcmp(arg, "require") == 0)
		cli->client_cert = CLIENT_CERT_REQUIRE;
	else {
		tls_error_set(err, "--client-cert takes none, request or require, not '%s'", arg);
		return -1;
	}
	cli->client_cert_given = true;
	return 0;
}

static int opt_respond(struct cli *cli, const char *arg, struct tls_error *err)
{
	if (strcmp(arg, "http") == 0)
		cli->respond = RESPOND_HTTP;
	else if (strcmp(arg, "echo") == 0)
		cli->respond = RESPOND_ECHO;
	else if (strcmp(arg, "none") == 0)
		cli->respond = RESPOND_NONE;
	else {
		tls_error_set(err, "--respond takes http, echo or none, not '%s'", arg);
		return -1;
	}
	return 0;
}

static int opt_count(struct cli *cli, const char *arg, struct tls_error *err)
{
	return parse_count("--count", arg, 1, 1000000000, &cli->count, err);
}

static int opt_max_conns(struct cli *cli, const char *arg, struct tls_error *err)
{
	return parse_count("--max-conns", arg, 1, 65536, &cli->max_conns, err);
}

static int opt_history(struct cli *cli, const char *arg, struct tls_error *err)
{
	return parse_count("--history", arg, 1, 10000000, &cli->history, err);
}

/* ---- the option table ---- */

#define FLAG(field) K_FLAG, offsetof(struct cli, field), NULL
#define STR(field)  K_STR, offsetof(struct cli, field), NULL
#define LIST(field) K_LIST, offsetof(struct cli, field), NULL
#define FN(fn)	    K_FN, 0, fn
#define NO	    no_argument
#define REQ	    required_argument

/* Every option, in the order of --help. An option given to a command it does not apply to is
 * a usage error, not silently ignored. help's lines are separated by \n. */
const struct opt_def args_opts[] = {
	{"ca", REQ, ON_CONNECT | ON_INSPECT, LIST(ca_files), S_TRUST, "FILE",
	 "trust anchors (PEM, DER or PEM bundle); repeatable"},
	{"no-system-trust", NO, ON_CONNECT, FLAG(no_system_trust), S_TRUST, NULL,
	 "trust only --ca"},
	{"intermediates", REQ, ON_CONNECT | ON_LISTEN, LIST(intermediates), S_TRUST, "FILE",
	 "untrusted intermediates that may complete the chain"},
	{"crl", REQ, ON_CONNECT | ON_LISTEN, LIST(crls), S_TRUST, "FILE",
	 "revocation list to check against; repeatable"},
	{"ocsp", NO, ON_CONNECT, FLAG(ocsp), S_TRUST, NULL,
	 "ask each certificate's OCSP responder (AIA, HTTP)"},
	{"fetch-intermediates", NO, ON_CONNECT, FLAG(fetch_intermediates), S_TRUST, NULL,
	 "fetch a missing intermediate from AIA caIssuers (HTTP)"},
	{"save-chain", REQ, ON_CONNECT, STR(save_chain), S_TRUST, "FILE",
	 "write the chain the server should send (PEM, no root)"},
	{"cert", REQ, ON_CONNECT | ON_LISTEN, STR(cert), S_TRUST, "FILE",
	 "the identity's certificate (PEM chain or DER)"},
	{"key", REQ, ON_CONNECT | ON_LISTEN, STR(key), S_TRUST, "FILE", "its private key"},
	{"p12", REQ, ON_CONNECT | ON_LISTEN, STR(p12), S_TRUST, "FILE",
	 "certificate and key from a PKCS#12 file"},
	{"password-file", REQ, ON_CONNECT | ON_LISTEN | ON_INSPECT | ON_PKI, STR(password_file),
	 S_TRUST, "FILE", "password for PKCS#12 / encrypted keys / PKCS#11 PIN"},
	{"password-env", REQ, ON_CONNECT | ON_LISTEN | ON_INSPECT | ON_PKI, STR(password_env),
	 S_TRUST, "VAR",
	 "the same, from an environment variable\n"
	 "(a certificate or key may also be a pkcs11: URI)"},
	{"force-client-cert", NO, ON_CONNECT, FLAG(force_client_cert), S_TRUST, NULL,
	 "send it even if the server lists other CAs"},
	{"sni", REQ, ON_CONNECT, STR(sni), S_OFFER, "NAME",
	 "server name indication (default: the host name)"},
	{"no-sni", NO, ON_CONNECT, FLAG(no_sni), S_OFFER, NULL, "send no server name"},
	{"verify-name", REQ, ON_CONNECT | ON_INSPECT, STR(verify_name), S_OFFER, "NAME",
	 "name or IP the certificate must match (default: host)"},
	{"alpn", REQ, ON_CONNECT | ON_LISTEN, STR(alpn), S_OFFER, "LIST", "e.g. h2,http/1.1"},
	{"priority", REQ, ON_CONNECT | ON_LISTEN, STR(priority), S_OFFER, "STRING",
	 "GnuTLS priority string (default NORMAL)"},
	{"tls-max", REQ, ON_CONNECT, FN(opt_tls_max), S_OFFER, "1.2|1.3",
	 "highest version to offer"},
	{"strict", NO, ON_CONNECT | ON_LISTEN, FLAG(strict), S_OFFER, NULL,
	 "abort the handshake on verification failure"},
	{"starttls", REQ, ON_CONNECT, FN(opt_starttls), S_OFFER, "PROTO",
	 "upgrade a plaintext protocol first: smtp, lmtp, imap,\n"
	 "pop3, ftp, ldap, xmpp, postgres, mysql, nntp, sieve, or\n"
	 "none (default: the protocol the port implies, 587 smtp)"},
	{"proxy", REQ, ON_CONNECT, FN(opt_proxy), S_OFFER, "URL",
	 "through a proxy: http://HOST:PORT (CONNECT),\n"
	 "socks5://HOST:PORT (the name resolved here) or\n"
	 "socks5h://HOST:PORT (resolved by the proxy); USER@ before\n"
	 "HOST for one that wants a user"},
	{"proxy-password-file", REQ, ON_CONNECT, STR(proxy_password_file), S_OFFER, "FILE",
	 "the proxy user's password (its first line)"},
	{"http", optional_argument, ON_CONNECT, FN(opt_http), S_AFTER, "PATH",
	 "send one HTTP/1.1 GET and show the status and headers\n"
	 "(automatic when the server asks for a client certificate)"},
	{"no-http", NO, ON_CONNECT, FN(opt_no_http), S_AFTER, NULL, "never send the HTTP request"},
	{"no-probe", NO, ON_CONNECT, FLAG(no_probe), S_AFTER, NULL,
	 "no follow-up probes (after a failed handshake, for SNI,\n"
	 "or for a suite some clients lack)"},
	{"resume", NO, ON_CONNECT, FLAG(resume), S_AFTER, NULL,
	 "connect again, resuming the session; shows both"},
	{"keylog", REQ, ON_CONNECT | ON_LISTEN, STR(keylog), S_AFTER, "FILE",
	 "append the NSS key log (for Wireshark)"},
	{"client-ca", REQ, ON_LISTEN, LIST(client_ca), S_LISTEN, "FILE",
	 "anchors for client certificates, sent as acceptable CAs"},
	{"client-cert", REQ, ON_LISTEN, FN(opt_client_cert), S_LISTEN, "MODE",
	 "none, request or require (default: request with\n"
	 "--client-ca, else none)"},
	{"allow-serial", REQ, ON_LISTEN, LIST(allow_serial), S_LISTEN, "SERIAL",
	 "accept only these client serials: hex (0x.., colons) or\n"
	 "decimal; repeatable"},
	{"respond", REQ, ON_LISTEN, FN(opt_respond), S_LISTEN, "MODE",
	 "http (default: a summary of what was seen), echo, none"},
	{"count", REQ, ON_LISTEN, FN(opt_count), S_LISTEN, "N",
	 "exit after N connections (0 if none failed, else 1)"},
	{"max-conns", REQ, ON_LISTEN, FN(opt_max_conns), S_LISTEN, "N",
	 "concurrent connections (default 256)"},
	{"handshake-timeout", REQ, ON_LISTEN, FN(opt_handshake_timeout), S_LISTEN, "S",
	 "per connection (default 10)"},
	{"history", REQ, ON_LISTEN, FN(opt_history), S_LISTEN, "N", "reports kept (default 1000)"},
	{"purpose", REQ, ON_INSPECT, FN(opt_purpose), S_INSPECT, "server|client",
	 "check the certificates for that use (wrong-purpose)"},
	{"server-name", REQ, ON_PKI, LIST(server_names), S_PKI, "NAME",
	 "DNS name or IP for the server certificate; repeatable\n"
	 "(default localhost, 127.0.0.1, ::1)"},
	{"client-name", REQ, ON_PKI, LIST(client_names), S_PKI, "NAME",
	 "the client's CN (first) and names; repeatable"},
	{"legacy", NO, ON_PKI, FLAG(legacy), S_PKI, NULL,
	 "the tutorial's recipe: RSA-1024, SHA-1, X.509 v1, the\n"
	 "name in the CN, no subjectAltName (to see why it fails)"},
	{"ca-name", REQ, ON_PKI, STR(ca_name), S_PKI, "NAME",
	 "the CA's CN (default: tlsscope CA, the directory's\n"
	 "name and random digits: no two PKIs share it)"},
	{"force", NO, ON_PKI, FLAG(force), S_PKI, NULL, "overwrite existing files"},
	{"scenario", REQ, ON_DEMO, STR(scenario), S_DEMO, "NAME", NULL /* the engine's list */},
	{"timeout", REQ, ON_CONNECT, FN(opt_timeout), S_OUTPUT, "SECONDS",
	 "bounds the whole run (default 10)"},
	{"json", NO, ON_ALL, FLAG(json), S_OUTPUT, NULL,
	 "JSON report (schema: docs/report.schema.json)"},
	{"batch", NO, ON_ALL, FLAG(batch), S_OUTPUT, NULL,
	 "text report (the default when not on a terminal)"},
	{"help", NO, ON_ALL, FN(opt_help), S_HIDDEN, NULL, NULL},
	{"version", NO, ON_ALL, FN(opt_version), S_HIDDEN, NULL, NULL},
};

#define N_OPTS (sizeof(args_opts) / sizeof(args_opts[0]))
const size_t args_n_opts = N_OPTS;
/* getopt returns OPT_VAL + the row's index. */
#define OPT_VAL 256

/* getopt's view of args_opts, in the same order. */
static struct option long_options[N_OPTS + 1];

static void build_long_options(void)
{
	for (size_t i = 0; i < N_OPTS; i++)
		long_options[i] = (struct option){args_opts[i].name, args_opts[i].has_arg, NULL,
						  OPT_VAL + (int)i};
}

/* Stores the value of option row d in cli. */
static int opt_store(struct cli *cli, const struct opt_def *d, const char *arg,
		     struct tls_error *err)
{
	char *field = (char *)cli + d->offset;

	switch (d->kind) {
	case K_FLAG:
		*(bool *)(void *)field = true;
		return 0;
	case K_STR:
		*(const char **)(void *)field = arg;
		return 0;
	case K_LIST:
		strlist_add((struct strlist *)(void *)field, arg);
		return 0;
	case K_FN:
		return d->parse(cli, arg, err);
	}
	return 0;
}

/* "connect", "connect and listen", "connect, listen and inspect": the commands in on. */
static void scope_names(unsigned on, char *buf, size_t size)
{
	size_t n = 0, total = 0;

	buf[0] = 0;
	for (unsigned c = 0; c < 32; c++)
		total += (on >> c) & 1u;
	for (unsigned c = 0; c < 32; c++) {
		if (!((on >> c) & 1u))
			continue;
		n++;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 n == 1	      ? ""
			 : n == total ? " and "
				      : ", ",
			 args_command_name((enum cli_command)c));
	}
}

/* The option in row i of args_opts, given to command: 0 when it applies, else -1 with err. */
static int check_scope(enum cli_command command, size_t i, struct tls_error *err)
{
	/* The TUI home takes the connect options (its connect form starts with them). */
	enum cli_command as = command == CMD_HOME ? CMD_CONNECT : command;
	char names[128];

	if (command == CMD_HELP || command == CMD_VERSION || (args_opts[i].on & (1u << as)))
		return 0;
	scope_names(args_opts[i].on, names, sizeof(names));
	if (command == CMD_HOME)
		tls_error_set(err, "--%s is for %s", args_opts[i].name, names);
	else
		tls_error_set(err, "--%s is for %s, not %s", args_opts[i].name, names,
			      args_command_name(command));
	return -1;
}

static int check_identity(struct cli *cli, struct tls_error *err)
{
	if (cli->key && !cli->cert) {
		tls_error_set(err, "--key needs --cert with the certificate");
		return -1;
	}
	if (cli->p12 && cli->cert) {
		tls_error_set(err,
			      "--p12 holds the certificate and key: give it without --cert/--key");
		return -1;
	}
	if (cli->password_file && cli->password_env) {
		tls_error_set(err, "--password-file and --password-env exclude each other");
		return -1;
	}
	struct tls_proxy_spec spec = {0};
	if (cli->proxy_password_file &&
	    (!cli->proxy || proxy_parse(cli->proxy, &spec, err) < 0 || !spec.user[0])) {
		tls_error_set(err, "--proxy-password-file is the password of the proxy's user: "
				   "give --proxy with USER@ before the host");
		return -1;
	}
	return 0;
}

static int check_listen(struct cli *cli, const char **positional, int npos, struct tls_error *err)
{
	if (npos != 1) {
		tls_error_set(err, "%s",
			      npos ? "listen takes one [ADDR:]PORT"
				   : "listen needs a port: tlsscope listen [ADDR:]PORT "
				     "--cert FILE --key FILE");
		return -1;
	}
	int port = target_parse_port(positional[0]);
	if (port > 0) {
		cli->listen_port = (unsigned)port;
	} else if (strchr(positional[0], ':')) {
		if (target_parse(positional[0], 0, &cli->target, err) < 0)
			return -1;
		if (!cli->target.is_ip) {
			tls_error_set(err,
				      "listen: '%s': give an IP address to listen on, not a name",
				      positional[0]);
			return -1;
		}
		snprintf(cli->listen_host, sizeof(cli->listen_host), "%s", cli->target.host);
		cli->listen_addr = cli->listen_host;
		cli->listen_port = cli->target.port;
	} else {
		tls_error_set(err, "listen: '%s': port must be a number from 1 to 65535",
			      positional[0]);
		return -1;
	}
	if (!cli->cert && !cli->p12) {
		tls_error_set(err, "listen needs the server's identity: --cert FILE --key FILE, or "
				   "--p12 FILE");
		return -1;
	}
	if (check_identity(cli, err) < 0)
		return -1;
	if (!cli->client_cert_given)
		cli->client_cert = cli->client_ca.n ? CLIENT_CERT_REQUEST : CLIENT_CERT_NONE;
	if (cli->client_cert != CLIENT_CERT_NONE && !cli->client_ca.n) {
		tls_error_set(err,
			      "--client-cert %s needs --client-ca FILE to check certificates "
			      "against",
			      cli->client_cert == CLIENT_CERT_REQUIRE ? "require" : "request");
		return -1;
	}
	if (cli->json && cli->batch) {
		tls_error_set(err, "--json and --batch exclude each other");
		return -1;
	}
	return 0;
}

/* ---- the command table ---- */

/* The json/batch choice, for every command but home. */
static int check_output(const struct cli *cli, struct tls_error *err)
{
	if (cli->json && cli->batch) {
		tls_error_set(err, "--json and --batch exclude each other");
		return -1;
	}
	return 0;
}

static int operands_home(struct cli *cli, const char **positional, int npos, struct tls_error *err)
{
	(void)cli;
	if (npos) {
		tls_error_set(err, "unexpected argument '%s'", positional[0]);
		return -1;
	}
	return 0;
}

static int operands_connect(struct cli *cli, const char **positional, int npos,
			    struct tls_error *err)
{
	if (check_output(cli, err) < 0)
		return -1;
	if (npos == 0) {
		tls_error_set(err, "connect needs a target: tlsscope connect HOST[:PORT]");
		return -1;
	}
	if (npos > 1) {
		tls_error_set(err, "connect takes one target, got '%s' too", positional[1]);
		return -1;
	}
	if (target_parse(positional[0], TLS_DEFAULT_PORT, &cli->target, err) < 0)
		return -1;
	return check_identity(cli, err);
}

static int operands_listen(struct cli *cli, const char **positional, int npos,
			   struct tls_error *err)
{
	return check_listen(cli, positional, npos, err);
}

static int operands_pki(struct cli *cli, const char **positional, int npos, struct tls_error *err)
{
	if (check_output(cli, err) < 0)
		return -1;
	if (npos != 1) {
		tls_error_set(err, "pki takes one directory: tlsscope pki DIR");
		return -1;
	}
	cli->dir = positional[0];
	return check_identity(cli, err);
}

static int operands_inspect(struct cli *cli, const char **positional, int npos,
			    struct tls_error *err)
{
	if (check_output(cli, err) < 0)
		return -1;
	if (npos == 0) {
		tls_error_set(err, "inspect needs files: tlsscope inspect FILE...");
		return -1;
	}
	for (int i = 0; i < npos; i++)
		strlist_add(&cli->files, positional[i]);
	return check_identity(cli, err);
}

static int operands_explain(struct cli *cli, const char **positional, int npos,
			    struct tls_error *err)
{
	if (check_output(cli, err) < 0)
		return -1;
	if (npos != 1) {
		tls_error_set(err, "explain takes one message: tlsscope explain 'MESSAGE'");
		return -1;
	}
	cli->message = positional[0];
	return 0;
}

static int operands_demo(struct cli *cli, const char **positional, int npos, struct tls_error *err)
{
	if (check_output(cli, err) < 0)
		return -1;
	if (npos) {
		tls_error_set(err, "demo takes no arguments, got '%s' (see --scenario)",
			      positional[0]);
		return -1;
	}
	return 0;
}

static int operands_none(struct cli *cli, const char **positional, int npos, struct tls_error *err)
{
	(void)cli;
	(void)positional;
	(void)npos;
	(void)err;
	return 0;
}

/* Every command: its word (NULL: no word, as home and --version), its operands. main.c runs
 * each (batch, or its first TUI screen) from a table by the same enum. */
static const struct cmd_def {
	enum cli_command command;
	const char *name;
	int (*operands)(struct cli *cli, const char **positional, int npos, struct tls_error *err);
} commands[] = {
	{CMD_HOME, NULL, operands_home},
	{CMD_CONNECT, "connect", operands_connect},
	{CMD_LISTEN, "listen", operands_listen},
	{CMD_INSPECT, "inspect", operands_inspect},
	{CMD_PKI, "pki", operands_pki},
	{CMD_DEMO, "demo", operands_demo},
	{CMD_EXPLAIN, "explain", operands_explain},
	{CMD_HELP, "help", operands_none},
	{CMD_VERSION, NULL, operands_none},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cmd_def *command_def(enum cli_command c)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].command == c)
			return &commands[i];
	return &commands[0];
}

const char *args_command_name(enum cli_command c)
{
	const char *name = command_def(c)->name;
	return name ? name : "tlsscope";
}

static enum cli_command find_command(const char *s)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].name && strcmp(commands[i].name, s) == 0)
			return commands[i].command;
	return CMD_HOME;
}

int args_parse(int argc, char **argv, struct cli *cli, struct tls_error *err)
{
	const char *positional[64];
	int npos = 0;
	int first = 1;
	struct tls_client_config cdef = client_config_defaults();
	struct tls_server_config sdef = server_config_defaults();

	memset(cli, 0, sizeof(*cli));
	cli->timeout_s = cdef.timeout_s;
	cli->http = cdef.http;
	cli->handshake_timeout_s = sdef.handshake_timeout_s;
	cli->max_conns = sdef.max_conns;
	cli->history = sdef.history;
	cli->respond = sdef.respond;
	cli->command = CMD_HOME;
	if (argc > 1 && argv[1][0] != '-') {
		enum cli_command c = find_command(argv[1]);
		if (c != CMD_HOME) {
			cli->command = c;
			first = 2;
		} else {
			cli->command = CMD_CONNECT; /* the bare HOST:PORT form */
		}
	}
	opterr = 0;
	/* Parse what follows the command word; optind = 0 makes GNU getopt start afresh, so that
	 * parsing twice in one process (tests, fuzzers) works. */
	argc -= first - 1;
	argv += first - 1;
	optind = 0;
	build_long_options();
	for (;;) {
		int opt = getopt_long(argc, argv, ":", long_options, NULL);
		if (opt == -1)
			break;
		/* The option just read (or the bad one) is the argument before optind. */
		const char *text = argv[optind - 1 < argc ? optind - 1 : argc - 1];
		if (opt == ':') {
			tls_error_set(err, "option '%s' needs a value", text);
			return -1;
		}
		if (opt < OPT_VAL || opt >= OPT_VAL + (int)N_OPTS) {
			tls_error_set(err, "unknown option '%s' (see tlsscope --help)", text);
			return -1;
		}
		size_t row = (size_t)(opt - OPT_VAL);
		if (check_scope(cli->command, row, err) < 0 ||
		    opt_store(cli, &args_opts[row], optarg, err) < 0)
			return -1;
		if (cli->command == CMD_HELP || cli->command == CMD_VERSION)
			return 0;
	}
	/* GNU getopt has moved every operand behind the options. */
	for (; optind < argc; optind++) {
		if (npos == (int)(sizeof(positional) / sizeof(positional[0]))) {
			tls_error_set(err, "too many arguments: '%s'", argv[optind]);
			return -1;
		}
		positional[npos++] = argv[optind];
	}
	return command_def(cli->command)->operands(cli, positional, npos, err);
}

void args_free(struct cli *cli)
{
	strlist_free(&cli->ca_files);
	strlist_free(&cli->intermediates);
	strlist_free(&cli->crls);
	strlist_free(&cli->client_ca);
	strlist_free(&cli->server_names);
	strlist_free(&cli->client_names);
	strlist_free(&cli->files);
	strlist_free(&cli->allow_serial);
}
