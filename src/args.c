#include "args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/starttls.h"

enum {
	OPT_CA = 256,
	OPT_NO_SYSTEM_TRUST,
	OPT_INTERMEDIATES,
	OPT_CRL,
	OPT_CERT,
	OPT_KEY,
	OPT_SNI,
	OPT_NO_SNI,
	OPT_VERIFY_NAME,
	OPT_ALPN,
	OPT_PRIORITY,
	OPT_TLS_MAX,
	OPT_TIMEOUT,
	OPT_HTTP,
	OPT_NO_HTTP,
	OPT_STRICT,
	OPT_FORCE_CLIENT_CERT,
	OPT_NO_PROBE,
	OPT_JSON,
	OPT_BATCH,
	OPT_HELP,
	OPT_VERSION,
	OPT_CLIENT_CA,
	OPT_LEGACY,
	OPT_CA_NAME,
	OPT_FORCE,
	OPT_SERVER_NAME,
	OPT_CLIENT_NAME,
	OPT_PURPOSE,
	OPT_SCENARIO,
	OPT_P12,
	OPT_PASSWORD_FILE,
	OPT_PASSWORD_ENV,
	OPT_KEYLOG,
	OPT_STARTTLS,
	OPT_RESUME,
	OPT_CLIENT_CERT,
	OPT_ALLOW_SERIAL,
	OPT_RESPOND,
	OPT_COUNT,
	OPT_MAX_CONNS,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_HISTORY,
	OPT_OCSP,
	OPT_SAVE_CHAIN,
	OPT_FETCH_INTERMEDIATES,
};

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

/* Every option: its name, whether it takes a value, and the commands it applies to. An option
 * given to a command it does not apply to is a usage error, not silently ignored. */
static const struct opt_def {
	const char *name;
	int has_arg;
	int id;
	unsigned on;
} opt_defs[] = {
	{"ca", required_argument, OPT_CA, ON_CONNECT | ON_INSPECT},
	{"no-system-trust", no_argument, OPT_NO_SYSTEM_TRUST, ON_CONNECT},
	{"intermediates", required_argument, OPT_INTERMEDIATES, ON_CONNECT | ON_LISTEN},
	{"crl", required_argument, OPT_CRL, ON_CONNECT | ON_LISTEN},
	{"cert", required_argument, OPT_CERT, ON_CONNECT | ON_LISTEN},
	{"key", required_argument, OPT_KEY, ON_CONNECT | ON_LISTEN},
	{"p12", required_argument, OPT_P12, ON_CONNECT | ON_LISTEN},
	{"password-file", required_argument, OPT_PASSWORD_FILE,
	 ON_CONNECT | ON_LISTEN | ON_INSPECT | ON_PKI},
	{"password-env", required_argument, OPT_PASSWORD_ENV,
	 ON_CONNECT | ON_LISTEN | ON_INSPECT | ON_PKI},
	{"force-client-cert", no_argument, OPT_FORCE_CLIENT_CERT, ON_CONNECT},
	{"sni", required_argument, OPT_SNI, ON_CONNECT},
	{"no-sni", no_argument, OPT_NO_SNI, ON_CONNECT},
	{"verify-name", required_argument, OPT_VERIFY_NAME, ON_CONNECT | ON_INSPECT},
	{"alpn", required_argument, OPT_ALPN, ON_CONNECT | ON_LISTEN},
	{"priority", required_argument, OPT_PRIORITY, ON_CONNECT | ON_LISTEN},
	{"tls-max", required_argument, OPT_TLS_MAX, ON_CONNECT},
	{"timeout", required_argument, OPT_TIMEOUT, ON_CONNECT},
	{"http", optional_argument, OPT_HTTP, ON_CONNECT},
	{"no-http", no_argument, OPT_NO_HTTP, ON_CONNECT},
	{"strict", no_argument, OPT_STRICT, ON_CONNECT | ON_LISTEN},
	{"no-probe", no_argument, OPT_NO_PROBE, ON_CONNECT},
	{"resume", no_argument, OPT_RESUME, ON_CONNECT},
	{"ocsp", no_argument, OPT_OCSP, ON_CONNECT},
	{"fetch-intermediates", no_argument, OPT_FETCH_INTERMEDIATES, ON_CONNECT},
	{"save-chain", required_argument, OPT_SAVE_CHAIN, ON_CONNECT},
	{"keylog", required_argument, OPT_KEYLOG, ON_CONNECT | ON_LISTEN},
	{"starttls", required_argument, OPT_STARTTLS, ON_CONNECT},
	{"json", no_argument, OPT_JSON, ON_ALL},
	{"batch", no_argument, OPT_BATCH, ON_ALL},
	{"help", no_argument, OPT_HELP, ON_ALL},
	{"version", no_argument, OPT_VERSION, ON_ALL},
	{"client-ca", required_argument, OPT_CLIENT_CA, ON_LISTEN},
	{"client-cert", required_argument, OPT_CLIENT_CERT, ON_LISTEN},
	{"allow-serial", required_argument, OPT_ALLOW_SERIAL, ON_LISTEN},
	{"respond", required_argument, OPT_RESPOND, ON_LISTEN},
	{"count", required_argument, OPT_COUNT, ON_LISTEN},
	{"max-conns", required_argument, OPT_MAX_CONNS, ON_LISTEN},
	{"handshake-timeout", required_argument, OPT_HANDSHAKE_TIMEOUT, ON_LISTEN},
	{"history", required_argument, OPT_HISTORY, ON_LISTEN},
	{"purpose", required_argument, OPT_PURPOSE, ON_INSPECT},
	{"legacy", no_argument, OPT_LEGACY, ON_PKI},
	{"ca-name", required_argument, OPT_CA_NAME, ON_PKI},
	{"force", no_argument, OPT_FORCE, ON_PKI},
	{"server-name", required_argument, OPT_SERVER_NAME, ON_PKI},
	{"client-name", required_argument, OPT_CLIENT_NAME, ON_PKI},
	{"scenario", required_argument, OPT_SCENARIO, ON_DEMO},
};

#define N_OPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* getopt's view of opt_defs, in the same order (so that its index names the row). */
static struct option long_options[N_OPTS + 1];

static void build_long_options(void)
{
	for (size_t i = 0; i < N_OPTS; i++)
		long_options[i] = (struct option){opt_defs[i].name, opt_defs[i].has_arg, NULL,
						  opt_defs[i].id};
}

static const struct {
	const char *name;
	enum cli_command command;
} commands[] = {
	{"connect", CMD_CONNECT}, {"listen", CMD_LISTEN}, {"inspect", CMD_INSPECT},
	{"pki", CMD_PKI},	  {"demo", CMD_DEMO},	  {"explain", CMD_EXPLAIN},
	{"help", CMD_HELP},
};

const char *args_command_name(enum cli_command c)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].command == c)
			return commands[i].name;
	return "tlsscope";
}

void args_usage(FILE *out)
{
	fputs("Usage:\n"
	      "  tlsscope connect HOST[:PORT] [options]   one TLS connection, fully traced\n"
	      "  tlsscope HOST[:PORT] [options]           the same\n"
	      "  tlsscope listen [ADDR:]PORT --cert F --key F [options]\n"
	      "                                           a TLS server that traces each client\n"
	      "  tlsscope inspect FILE... [options]       what certificate, key, PKCS#12, CSR and\n"
	      "                                           CRL files hold; chains and key matches\n"
	      "  tlsscope pki DIR [options]               make a CA, a server and a client\n"
	      "  tlsscope demo [--scenario NAME]          two-way TLS over loopback, both sides\n"
	      "  tlsscope explain 'MESSAGE'               who prints this error message, what it\n"
	      "                                           means and the fix (exit 1: unknown)\n"
	      "  tlsscope --help | --version\n"
	      "\n"
	      "HOST is a name, an IPv4 address or [IPv6]; PORT defaults to 443.\n"
	      "\n"
	      "Trust and identity:\n"
	      "  --ca FILE              trust anchors (PEM, DER or PEM bundle); repeatable\n"
	      "  --no-system-trust      trust only --ca\n"
	      "  --intermediates FILE   untrusted intermediates that may complete the chain\n"
	      "  --crl FILE             revocation list to check against; repeatable\n"
	      "  --ocsp                 ask each certificate's OCSP responder (AIA, HTTP)\n"
	      "  --fetch-intermediates  fetch a missing intermediate from AIA caIssuers (HTTP)\n"
	      "  --save-chain FILE      write the chain the server should send (PEM, no root)\n"
	      "  --cert FILE --key FILE client certificate (PEM chain or DER) and its key\n"
	      "  --p12 FILE             client identity from a PKCS#12 file\n"
	      "  --password-file FILE   password for PKCS#12 / encrypted keys / PKCS#11 PIN\n"
	      "  --password-env VAR     the same, from an environment variable\n"
	      "                         (a certificate or key may also be a pkcs11: URI)\n"
	      "  --force-client-cert    send it even if the server lists other CAs\n"
	      "What to offer:\n"
	      "  --sni NAME | --no-sni  server name indication (default: the host name)\n"
	      "  --verify-name NAME     name or IP the certificate must match (default: host)\n"
	      "  --alpn LIST            e.g. h2,http/1.1\n"
	      "  --priority STRING      GnuTLS priority string (default NORMAL)\n"
	      "  --tls-max 1.2|1.3      highest version to offer\n"
	      "  --strict               abort the handshake on verification failure\n"
	      "  --starttls PROTO       upgrade a plaintext protocol first: smtp, lmtp, imap,\n"
	      "                         pop3, ftp, ldap, xmpp, postgres, mysql, nntp, sieve, or\n"
	      "                         none (default: the protocol the port implies, 587 smtp)\n"
	      "After the handshake:\n"
	      "  --http[=PATH]          send one HTTP/1.1 GET and show the status and headers\n"
	      "                         (automatic when the server asks for a client certificate)\n"
	      "  --no-http              never send the HTTP request\n"
	      "  --no-probe             no follow-up probes after a failed handshake\n"
	      "  --resume               connect again, resuming the session; shows both\n"
	      "  --keylog FILE          append the NSS key log (for Wireshark)\n"
	      "Listen (a bare PORT listens on every address, IPv4 and IPv6):\n"
	      "  --client-ca FILE       anchors for client certificates, sent as acceptable CAs\n"
	      "  --client-cert MODE     none, request or require (default: request with\n"
	      "                         --client-ca, else none)\n"
	      "  --allow-serial SERIAL  accept only these client serials: hex (0x.., colons) or\n"
	      "                         decimal; repeatable\n"
	      "  --respond MODE         http (default: a summary of what was seen), echo, none\n"
	      "  --count N              exit after N connections (0 if none failed, else 1)\n"
	      "  --max-conns N          concurrent connections (default 256)\n"
	      "  --handshake-timeout S  per connection (default 10)\n"
	      "  --history N            reports kept (default 1000)\n"
	      "Inspect:\n"
	      "  --purpose server|client  check the certificates for that use (wrong-purpose)\n"
	      "  (--ca and --verify-name check trust and a name; passwords as above)\n"
	      "PKI:\n"
	      "  --server-name NAME     DNS name or IP for the server certificate; repeatable\n"
	      "                         (default localhost, 127.0.0.1, ::1)\n"
	      "  --client-name NAME     the client's CN (first) and names; repeatable\n"
	      "  --legacy               the tutorial's recipe: RSA-1024, SHA-1, X.509 v1, the\n"
	      "                         name in the CN, no subjectAltName (to see why it fails)\n"
	      "  --ca-name NAME         the CA's CN (default: tlsscope CA, the directory's\n"
	      "                         name and random digits: no two PKIs share it)\n"
	      "  --force                overwrite existing files\n"
	      "  (client.p12 takes its password from --password-file/--password-env)\n"
	      "Demo:\n"
	      "  --scenario NAME        ok, no-client-cert, wrong-ca, expired, hostname-mismatch,\n"
	      "                         legacy-tutorial, serial-not-allowed, tls-version-mismatch\n"
	      "Output and limits:\n"
	      "  --timeout SECONDS      bounds the whole run (default 10)\n"
	      "  --json                 JSON report (schema: docs/report.schema.json)\n"
	      "  --batch                text report (the default when not on a terminal)\n"
	      "\n"
	      "Exit status: 0 no error finding, 1 the handshake failed or an error finding,\n"
	      "2 bad usage, unreadable input, or output that cannot be written (stdout, the\n"
	      "key log). Each option applies only to the commands it is listed for.\n"
	      "NO_COLOR disables color.\n",
	      out);
}

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

/* The option in row i of opt_defs, given to command: 0 when it applies, else -1 with err. */
static int check_scope(enum cli_command command, size_t i, struct tls_error *err)
{
	/* The TUI home takes the connect options (its connect form starts with them). */
	enum cli_command as = command == CMD_HOME ? CMD_CONNECT : command;
	char names[128];

	if (command == CMD_HELP || command == CMD_VERSION || (opt_defs[i].on & (1u << as)))
		return 0;
	scope_names(opt_defs[i].on, names, sizeof(names));
	if (command == CMD_HOME)
		tls_error_set(err, "--%s is for %s", opt_defs[i].name, names);
	else
		tls_error_set(err, "--%s is for %s, not %s", opt_defs[i].name, names,
			      args_command_name(command));
	return -1;
}

static enum cli_command find_command(const char *s)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, s) == 0)
			return commands[i].command;
	return CMD_HOME;
}

static int parse_option(struct cli *cli, int opt, const char *arg, const char *text,
			struct tls_error *err)
{
	switch (opt) {
	case OPT_CA:
		strlist_add(&cli->ca_files, arg);
		break;
	case OPT_NO_SYSTEM_TRUST:
		cli->no_system_trust = true;
		break;
	case OPT_INTERMEDIATES:
		strlist_add(&cli->intermediates, arg);
		break;
	case OPT_CRL:
		strlist_add(&cli->crls, arg);
		break;
	case OPT_CERT:
		cli->cert = arg;
		break;
	case OPT_KEY:
		cli->key = arg;
		break;
	case OPT_SNI:
		cli->sni = arg;
		break;
	case OPT_NO_SNI:
		cli->no_sni = true;
		break;
	case OPT_VERIFY_NAME:
		cli->verify_name = arg;
		break;
	case OPT_ALPN:
		cli->alpn = arg;
		break;
	case OPT_PRIORITY:
		cli->priority = arg;
		break;
	case OPT_TLS_MAX:
		if (strcmp(arg, "1.2") == 0)
			cli->tls_max = 12;
		else if (strcmp(arg, "1.3") == 0)
			cli->tls_max = 13;
		else {
			tls_error_set(err, "--tls-max takes 1.2 or 1.3, not '%s'", arg);
			return -1;
		}
		break;
	case OPT_TIMEOUT:
		if (parse_timeout(arg, &cli->timeout_s) < 0) {
			tls_error_set(err, "--timeout takes seconds from 0.001 to 3600, not '%s'",
				      arg);
			return -1;
		}
		break;
	case OPT_HTTP:
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
		break;
	case OPT_NO_HTTP:
		cli->http = HTTP_OFF;
		break;
	case OPT_STRICT:
		cli->strict = true;
		break;
	case OPT_FORCE_CLIENT_CERT:
		cli->force_client_cert = true;
		break;
	case OPT_NO_PROBE:
		cli->no_probe = true;
		break;
	case OPT_JSON:
		cli->json = true;
		break;
	case OPT_BATCH:
		cli->batch = true;
		break;
	case OPT_HELP:
		cli->command = CMD_HELP;
		break;
	case OPT_CLIENT_CA:
		strlist_add(&cli->client_ca, arg);
		break;
	case OPT_P12:
		cli->p12 = arg;
		break;
	case OPT_LEGACY:
		cli->legacy = true;
		break;
	case OPT_CA_NAME:
		cli->ca_name = arg;
		break;
	case OPT_FORCE:
		cli->force = true;
		break;
	case OPT_SERVER_NAME:
		strlist_add(&cli->server_names, arg);
		break;
	case OPT_CLIENT_NAME:
		strlist_add(&cli->client_names, arg);
		break;
	case OPT_PURPOSE:
		if (strcmp(arg, "server") != 0 && strcmp(arg, "client") != 0) {
			tls_error_set(err, "--purpose takes server or client, not '%s'", arg);
			return -1;
		}
		cli->purpose = arg;
		break;
	case OPT_SCENARIO:
		cli->scenario = arg;
		break;
	case OPT_PASSWORD_FILE:
		cli->password_file = arg;
		break;
	case OPT_PASSWORD_ENV:
		cli->password_env = arg;
		break;
	case OPT_KEYLOG:
		cli->keylog = arg;
		break;
	case OPT_STARTTLS:
		if (strcmp(arg, "none") != 0 && !starttls_find(arg)) {
			tls_error_set(err, "--starttls takes one of %s, none; not '%s'",
				      starttls_names(), arg);
			return -1;
		}
		cli->starttls = arg;
		break;
	case OPT_OCSP:
		cli->ocsp = true;
		break;
	case OPT_FETCH_INTERMEDIATES:
		cli->fetch_intermediates = true;
		break;
	case OPT_SAVE_CHAIN:
		cli->save_chain = arg;
		break;
	case OPT_RESUME:
		cli->resume = true;
		break;
	case OPT_CLIENT_CERT:
		if (strcmp(arg, "none") == 0)
			cli->client_cert = CLIENT_CERT_NONE;
		else if (strcmp(arg, "request") == 0)
			cli->client_cert = CLIENT_CERT_REQUEST;
		else if (strcmp(arg, "require") == 0)
			cli->client_cert = CLIENT_CERT_REQUIRE;
		else {
			tls_error_set(err, "--client-cert takes none, request or require, not '%s'",
				      arg);
			return -1;
		}
		cli->client_cert_given = true;
		break;
	case OPT_ALLOW_SERIAL:
		strlist_add(&cli->allow_serial, arg);
		break;
	case OPT_RESPOND:
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
		break;
	case OPT_COUNT:
		return parse_count("--count", arg, 1, 1000000000, &cli->count, err);
	case OPT_MAX_CONNS:
		return parse_count("--max-conns", arg, 1, 65536, &cli->max_conns, err);
	case OPT_HISTORY:
		return parse_count("--history", arg, 1, 10000000, &cli->history, err);
	case OPT_HANDSHAKE_TIMEOUT:
		if (parse_timeout(arg, &cli->handshake_timeout_s) < 0) {
			tls_error_set(
				err,
				"--handshake-timeout takes seconds from 0.001 to 3600, not '%s'",
				arg);
			return -1;
		}
		break;
	case OPT_VERSION:
		cli->command = CMD_VERSION;
		break;
	case ':':
		tls_error_set(err, "option '%s' needs a value", text);
		return -1;
	default:
		tls_error_set(err, "unknown option '%s' (see tlsscope --help)", text);
		return -1;
	}
	return 0;
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
		int row = -1;
		int opt = getopt_long(argc, argv, ":", long_options, &row);
		if (opt == -1)
			break;
		/* The option just read (or the bad one) is the argument before optind. */
		const char *text = argv[optind - 1 < argc ? optind - 1 : argc - 1];
		if (opt != '?' && opt != ':' && row >= 0 &&
		    check_scope(cli->command, (size_t)row, err) < 0)
			return -1;
		if (parse_option(cli, opt, optarg, text, err) < 0)
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
	if (cli->command == CMD_HELP)
		return 0;
	if (cli->command == CMD_HOME) {
		if (npos) {
			tls_error_set(err, "unexpected argument '%s'", positional[0]);
			return -1;
		}
		return 0;
	}
	if (cli->command == CMD_LISTEN)
		return check_listen(cli, positional, npos, err);
	if (cli->json && cli->batch) {
		tls_error_set(err, "--json and --batch exclude each other");
		return -1;
	}
	if (cli->command == CMD_PKI) {
		if (npos != 1) {
			tls_error_set(err, "pki takes one directory: tlsscope pki DIR");
			return -1;
		}
		cli->dir = positional[0];
		return check_identity(cli, err);
	}
	if (cli->command == CMD_INSPECT) {
		if (npos == 0) {
			tls_error_set(err, "inspect needs files: tlsscope inspect FILE...");
			return -1;
		}
		for (int i = 0; i < npos; i++)
			strlist_add(&cli->files, positional[i]);
		return check_identity(cli, err);
	}
	if (cli->command == CMD_EXPLAIN) {
		if (npos != 1) {
			tls_error_set(err, "explain takes one message: tlsscope explain 'MESSAGE'");
			return -1;
		}
		cli->message = positional[0];
		return 0;
	}
	if (cli->command == CMD_DEMO) {
		if (npos) {
			tls_error_set(err, "demo takes no arguments, got '%s' (see --scenario)",
				      positional[0]);
			return -1;
		}
		return 0;
	}
	if (cli->command == CMD_CONNECT) {
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
		if (check_identity(cli, err) < 0)
			return -1;
		if (cli->json && cli->batch) {
			tls_error_set(err, "--json and --batch exclude each other");
			return -1;
		}
	}
	return 0;
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
