/* The terminal UI: main.c starts it when stdin and stdout are terminals and neither --json nor
 * --batch was asked for, with what the command line asked for in a struct ui_start. */
#ifndef TLSSCOPE_UI_UI_H
#define TLSSCOPE_UI_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/creds.h"
#include "tlsscope/engine.h"
#include "tlsscope/inspect.h"
#include "tlsscope/server.h"

/* The screen the TUI opens with. */
enum ui_first { UI_HOME, UI_CONNECT, UI_LISTEN, UI_INSPECT, UI_DEMO, UI_N_FIRST };

/* What the TUI starts with. Strings and lists are borrowed for ui_run's call; password and
 * rules are taken over (freed, the password wiped, also on failure). */
struct ui_start {
	enum ui_first first;
	/* Connect (the home screen's connect form starts from it too); creds is not used. */
	struct tls_client_config client;
	/* The trust and identity of a connection: the system store, the anchors (--ca),
	 * intermediates, CRLs and the identity files; its password field is not used. The
	 * listener uses the identity, intermediates and CRLs, with client_ca as anchors. */
	struct tls_creds_spec creds;
	char *password; /* read by the caller (never from the command line); NULL: none */
	/* --proxy-password-file: read at each connection (client.proxy_password is not used). */
	const char *proxy_password_file;
	/* Listen; creds and serials are not used. */
	struct tls_server_config server;
	const char *const *client_ca;
	size_t n_client_ca;
	struct tls_serial_rule *rules; /* the --allow-serial rules, n_rules of them */
	size_t n_rules;
	/* Inspect: the files, the purpose to check, and how to ask for a password on the
	 * terminal before the screen starts (NULL: never). */
	const char *const *files;
	size_t n_files;
	enum inspect_purpose purpose;
	char *(*ask_password)(const char *path, void *arg);
	/* Demo: the scenario's name (NULL: ok). */
	const char *scenario;
};

/* True when stdin and stdout are terminals the TUI can draw on. */
bool ui_wanted(void);

/* Runs the TUI until the user quits and returns the exit code. Problems found before the
 * screen starts (unreadable files, a port in use) return -1 with one line in err, for the
 * caller to print as in batch mode. */
int ui_run(struct ui_start *st, struct tls_error *err);

#endif
