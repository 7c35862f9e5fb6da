/* The screens of the TUI, each in its own file. */
#ifndef TLSSCOPE_UI_SCREENS_H
#define TLSSCOPE_UI_SCREENS_H

#include "screen.h"
#include "tlsscope/inspect.h"
#include "tlsscope/report.h"
#include "tlsscope/server.h"

struct ui_start;

/* The screen a command opens with (home.c, a table by st->first), prepared before curses
 * starts so that its errors (a port in use, an unreadable file) print as one line; NULL with
 * err set. Takes st->rules over. */
struct ui_screen *screens_first(struct ui *ui, struct ui_start *st, struct tls_error *err);
/* Once the first screen is on the terminal: starts what it runs at once (connect's
 * connection). The frame (app.c) calls no screen but through these two and the screen ops. */
void screens_started(struct ui *ui);

/* The connection view (conn.c). */
struct ui_screen *conn_new_client(struct ui *ui);    /* connects with ui->setup */
void conn_start(struct ui *ui, struct ui_screen *s); /* (re)connects */
/* A report someone else owns: get returns it, or NULL once it is gone. The screen frees arg
 * with free_arg (may be NULL). */
struct ui_screen *conn_new_view(const char *mode, const char *title,
				const struct tls_report *(*get)(void *arg), void *arg,
				void (*free_arg)(void *arg));
struct ui_screen *conn_new_demo(struct ui *ui, const char *scenario, struct tls_error *err);
struct ui_screen *conn_new_inspect(struct inspect_result *r, const char *title); /* takes r */

/* "Who would reject this" (conn.c): the verdicts of r's clients (connect) or servers (listen)
 * in a text view, made now (a listener's report may leave its history). */
void verdicts_open(struct ui *ui, const struct tls_report *r);
/* A certificate's full detail, with export (cert.c); with r (may be NULL), the report it is
 * from, also what each revocation source says about it. */
void cert_open(struct ui *ui, const struct tls_cert_info *c, const struct tls_report *r,
	       const char *title);
/* Asks for a file name and writes r's fullchain there (what --save-chain writes: the leaf,
 * its issuers from the chain and creds' --intermediates (creds may be NULL), no root). */
void chain_save(struct ui *ui, const struct tls_report *r, const struct tls_creds *creds);
/* Asks for a file name and writes the certificate there, PEM or DER by the name's ending. */
void cert_export(struct ui *ui, const struct tls_cert_info *c);
/* Asks for a file name and writes the report, JSON when it ends in .json, else text. */
void report_save(struct ui *ui, const struct tls_report *r);

/* The listen view (listen.c): starts the server of cfg (its strings are copied; creds and
 * rules, n_rules of them, are taken over, also on failure). NULL with err set. */
struct ui_screen *listen_new(struct ui *ui, const struct tls_server_config *cfg,
			     struct tls_creds *creds, struct tls_serial_rule *rules, size_t n_rules,
			     const char *describe, struct tls_error *err);

/* The home screen (home.c). */
struct ui_screen *home_new(struct ui *ui);

/* Forms (forms.c) for the connection setup; done runs after a change was applied. */
void form_target(struct ui *ui, void (*done)(struct ui *ui, void *arg), void *arg);
void form_trust(struct ui *ui, void (*done)(struct ui *ui, void *arg), void *arg);
/* r: the connection the identity is for (its CertificateRequest is matched), or NULL. */
void form_identity(struct ui *ui, const struct tls_report *r,
		   void (*done)(struct ui *ui, void *arg), void *arg);
void form_listen(struct ui *ui);
void form_pki(struct ui *ui);
void form_inspect(struct ui *ui);
void form_demo(struct ui *ui);
/* What-if: toggles that re-verify r's captured chain at once (recheck runs after each);
 * system (may be NULL: no such toggle) is the "system trust store" switch recheck reads. */
void form_whatif(struct ui *ui, struct tls_report *r, bool *system,
		 void (*recheck)(struct ui *ui, void *arg), void *arg);

/* The file picker (picker.c): chosen runs with the path the user picked. start is a
 * directory or a file whose directory to open; NULL: the current directory. */
void picker_open(struct ui *ui, const char *title, const char *start,
		 void (*chosen)(struct ui *ui, void *arg, const char *path), void *arg);
/* The picker in the directory of the certificate file cert, with the key that matches it
 * selected (an unencrypted key file there whose public half is the certificate's). */
void picker_open_key(struct ui *ui, const char *title, const char *cert,
		     void (*chosen)(struct ui *ui, void *arg, const char *path), void *arg);
/* What a file holds, in a word, and a one-line preview (subject, key type). Caller frees. */
const char *picker_kind(const char *path, char **preview);

/* Recent targets and identities (recent.c), in $XDG_STATE_HOME/tlsscope/recent. */
/* Remembers the target with its setup (trust files, SNI, verify name, identity paths, max
 * version, ALPN; never the password). */
void recent_add_setup(const struct ui_setup *s);
/* Puts a "target" entry back into s: host, port and the setup it was kept with (an entry of
 * the older host:port-only format gives the default setup). -1 when it does not parse. */
int recent_restore(const char *entry, struct ui_setup *s);
/* "host:port   trust: ...   identity: ..." for a list. Caller frees. */
char *recent_describe(const char *entry);
void recent_add_identity(const char *cert, const char *key);
/* Up to max entries, newest first; each "host:port[\tsetup fields]" or "cert\tkey". Caller
 * frees the list. */
void recent_list(const char *kind, struct strlist *out, size_t max);

#endif
