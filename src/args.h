/* The command line: command shapes and option names of DESIGN.md §1. */
#ifndef TLSSCOPE_ARGS_H
#define TLSSCOPE_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "tlsscope/engine.h"
#include "tlsscope/server.h"
#include "tlsscope/target.h"
#include "tlsscope/util.h"

enum cli_command {
	CMD_HOME,
	CMD_CONNECT,
	CMD_LISTEN,
	CMD_INSPECT,
	CMD_PKI,
	CMD_DEMO,
	CMD_EXPLAIN,
	CMD_HELP,
	CMD_VERSION,
};

struct cli {
	enum cli_command command;
	struct tls_target target;
	struct strlist ca_files;
	struct strlist intermediates;
	struct strlist crls;
	bool no_system_trust;
	const char *cert, *key, *p12;
	const char *password_file, *password_env;
	const char *keylog;
	const char *starttls; /* --starttls PROTO or "none", NULL: the port decides */
	const char *proxy;    /* --proxy URL (checked by proxy_parse), or NULL */
	const char *proxy_password_file;
	bool resume;
	bool ocsp;		  /* --ocsp */
	bool fetch_intermediates; /* --fetch-intermediates */
	const char *save_chain;	  /* --save-chain FILE, or NULL */
	const char *sni;
	bool no_sni;
	const char *verify_name;
	const char *alpn;
	const char *priority;
	int tls_max;
	double timeout_s;
	enum tls_http_mode http;
	const char *http_path;
	bool strict;
	bool force_client_cert;
	bool no_probe;
	bool json, batch;
	/* listen */
	const char *listen_addr; /* NULL: every address */
	unsigned listen_port;
	struct strlist client_ca;
	enum tls_client_cert_mode client_cert;
	bool client_cert_given;
	struct strlist allow_serial;
	enum tls_respond respond;
	unsigned count, max_conns, history;
	double handshake_timeout_s;
	char listen_host[256];
	/* pki, inspect, demo */
	const char *dir;
	bool legacy, force;
	const char *ca_name; /* pki --ca-name; NULL: a distinct default */
	struct strlist server_names, client_names;
	struct strlist files;
	const char *purpose; /* NULL, "server", "client" */
	const char *scenario;
	const char *message; /* explain */
};

/* Parses argv into cli (which it initialises). Returns 0, or -1 with one line in err. */
int args_parse(int argc, char **argv, struct cli *cli, struct tls_error *err);
void args_free(struct cli *cli);
void args_usage(FILE *out);
const char *args_command_name(enum cli_command c);

#endif
