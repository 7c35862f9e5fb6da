/* Every key binding of the TUI, in one table (habits of htop, ncdu, tig and less). */
#include <curses.h>
#include <string.h>

#include "screen.h"

static const struct binding {
	int key;
	enum ui_action act;
	unsigned ctx;
	const char *name; /* as the key bar and help show it; NULL: an alias, not listed */
	const char *help;
	const char *bar; /* its word in the key bar, or NULL: only in help */
} bindings[] = {
	{'q', ACT_QUIT, CTX_LISTS, "q", "quit (asks while a connection runs)", "quit"},
	{'?', ACT_HELP, CTX_LISTS, "?", "this help", "help"},
	{KEYF(KEY_F(1)), ACT_HELP, CTX_LISTS | CTX_FORM, "F1", "help", NULL},
	{'\t', ACT_NEXT, CTX_CONN, "Tab", "next region (timeline, chain, findings)", NULL},
	{KEYF(KEY_BTAB), ACT_PREV, CTX_CONN, "S-Tab", "previous region", NULL},
	{'\t', ACT_NEXT, CTX_FORM, "Tab", "next field", NULL},
	{KEYF(KEY_DOWN), ACT_NEXT, CTX_FORM, NULL, NULL, NULL},
	{KEYF(KEY_BTAB), ACT_PREV, CTX_FORM, "S-Tab", "previous field", NULL},
	{KEYF(KEY_UP), ACT_PREV, CTX_FORM, NULL, NULL, NULL},
	{KEYF(KEY_UP), ACT_UP, CTX_LISTS | CTX_FILTER, "Up/k", "move up", NULL},
	{'k', ACT_UP, CTX_LISTS, NULL, NULL, NULL},
	{KEYF(KEY_DOWN), ACT_DOWN, CTX_LISTS | CTX_FILTER, "Down/j", "move down", NULL},
	{'j', ACT_DOWN, CTX_LISTS, NULL, NULL, NULL},
	{KEYF(KEY_LEFT), ACT_LEFT, CTX_FORM, "Left", "previous choice, cursor left", NULL},
	{KEYF(KEY_RIGHT), ACT_RIGHT, CTX_FORM, "Right", "next choice, cursor right", NULL},
	{KEYF(KEY_PPAGE), ACT_PGUP, CTX_LISTS | CTX_FILTER, "PgUp", "page up", NULL},
	{KEYF(KEY_NPAGE), ACT_PGDN, CTX_LISTS | CTX_FILTER, "PgDn", "page down", NULL},
	{' ', ACT_PGDN, CTX_TEXT, NULL, NULL, NULL},
	{KEYF(KEY_HOME), ACT_TOP, CTX_LISTS, "Home/g", "first line", NULL},
	{'g', ACT_TOP, CTX_LISTS, NULL, NULL, NULL},
	{KEYF(KEY_END), ACT_BOTTOM, CTX_LISTS, "End/G", "last line", NULL},
	{'G', ACT_BOTTOM, CTX_LISTS, NULL, NULL, NULL},
	{'\n', ACT_OPEN, CTX_CONN | CTX_LISTEN | CTX_HOME | CTX_PICKER | CTX_FILTER, "Enter",
	 "open: certificate detail, finding, connection, menu entry, file", "open"},
	{'\r', ACT_OPEN, CTX_CONN | CTX_LISTEN | CTX_HOME | CTX_PICKER | CTX_FILTER, NULL, NULL,
	 NULL},
	{KEYF(KEY_ENTER), ACT_OPEN, CTX_CONN | CTX_LISTEN | CTX_HOME | CTX_PICKER | CTX_FILTER,
	 NULL, NULL, NULL},
	{'\n', ACT_OPEN, CTX_FORM | CTX_DIALOG, "Enter", "submit the form, close the dialog", NULL},
	{'\r', ACT_OPEN, CTX_FORM | CTX_DIALOG, NULL, NULL, NULL},
	{KEYF(KEY_ENTER), ACT_OPEN, CTX_FORM | CTX_DIALOG, NULL, NULL, NULL},
	{KEY_ESC, ACT_BACK, CTX_LISTS | CTX_FORM | CTX_DIALOG | CTX_FILTER, "Esc",
	 "back; cancels a connection in progress; leaves a form unchanged", "back"},
	{KEYF(KEY_LEFT), ACT_BACK, CTX_TEXT, NULL, NULL, NULL},
	{KEYF(KEY_LEFT), ACT_LEFT, CTX_PICKER, "Left/Bksp", "parent directory", NULL},
	{'h', ACT_BACK, CTX_TEXT, NULL, NULL, NULL},
	{KEYF(KEY_RIGHT), ACT_OPEN, CTX_PICKER, NULL, NULL, NULL},
	{KEYF(KEY_BACKSPACE), ACT_LEFT, CTX_PICKER, NULL, NULL, NULL},
	{127, ACT_LEFT, CTX_PICKER, NULL, NULL, NULL},
	{'/', ACT_FILTER, CTX_PICKER, "/", "filter the list by name (Esc clears)", "filter"},
	{'r', ACT_RECONNECT, CTX_CLIENT | CTX_DEMO, "r", "reconnect with the same setup",
	 "reconnect"},
	{'c', ACT_TARGET, CTX_CLIENT | CTX_HOME, "c",
	 "target: host:port, SNI, verify name, ALPN, version", "target"},
	{'t', ACT_TRUST, CTX_CLIENT, "t", "trust: system store, CA files", "trust"},
	{'i', ACT_IDENTITY, CTX_CLIENT, "i", "identity: certificate + key, PKCS#12, pkcs11: URI",
	 "identity"},
	{'w', ACT_WHATIF, CTX_CLIENT | CTX_DEMO, "w",
	 "what-if: trust, hostname check, SHA-1, key size; re-verifies at once", "what-if"},
	{'l', ACT_LISTEN, CTX_HOME, "l", "listen for clients", "listen"},
	{'e', ACT_EXPORT, CTX_CONN | CTX_CERT, "e", "export the selected certificate (PEM or DER)",
	 NULL},
	{'s', ACT_SAVE, CTX_CONN | CTX_LISTEN, "s", "save the report (.json gives JSON, else text)",
	 NULL},
	{'f', ACT_FULLCHAIN, CTX_CONN, "f",
	 "save the fullchain: leaf, intermediates, no root (PEM, as --save-chain)", NULL},
	/* The connection view's bar is full at 100 columns; the listen view's has room. */
	{'p', ACT_VERDICTS, CTX_CONN, "p",
	 "who would reject this: each client's verdict on the chain and its words", NULL},
	{'p', ACT_VERDICTS, CTX_LISTEN, "p",
	 "who would reject this: each server's verdict on the client chain and its words",
	 "verdicts"},
	{'.', ACT_HIDDEN, CTX_PICKER, ".", "show or hide hidden files", "hidden"},
	{'~', ACT_HOME, CTX_PICKER, "~", "home directory", NULL},
	{' ', ACT_TOGGLE, CTX_FORM, "Space", "toggle a switch, next choice", NULL},
	{KEYF(KEY_F(2)), ACT_BROWSE, CTX_FORM, "F2/^O", "pick a file for this field", NULL},
	{KEY_CTRL('o'), ACT_BROWSE, CTX_FORM, NULL, NULL, NULL},
	{KEYF(KEY_F(3)), ACT_RECENT, CTX_FORM, "F3", "fill in a recent target or identity", NULL},
	{KEYF(KEY_BACKSPACE), ACT_ERASE, CTX_FORM | CTX_FILTER, "Bksp", "erase a character", NULL},
	{127, ACT_ERASE, CTX_FORM | CTX_FILTER, NULL, NULL, NULL},
	{KEY_CTRL('h'), ACT_ERASE, CTX_FORM, NULL, NULL, NULL},
	{KEY_CTRL('u'), ACT_CLEAR, CTX_FORM, "^U", "clear the field", NULL},
	{'v', ACT_SIDE, CTX_DEMO, "v", "the client's or the listener's view", "side"},
	{'n', ACT_SCENARIO, CTX_DEMO, "n", "next demo scenario", "scenario"},
	{'N', ACT_SCENARIO, CTX_DEMO, "N", "previous demo scenario", NULL},
	{'y', ACT_OPEN, CTX_DIALOG, "y", "yes", NULL},
	{'n', ACT_BACK, CTX_DIALOG, "n", "no", NULL},
};

#define N_BINDINGS (sizeof(bindings) / sizeof(bindings[0]))

enum ui_action keymap_lookup(unsigned ctx, int key)
{
	for (size_t i = 0; i < N_BINDINGS; i++)
		if (bindings[i].key == key && (bindings[i].ctx & ctx))
			return bindings[i].act;
	return ACT_NONE;
}

/* The contexts a binding of ctx-dependent keys (r, c, t, ...) needs all of: CTX_CLIENT and
 * CTX_DEMO bindings apply only when the screen has them. */
static bool applies(const struct binding *b, unsigned ctx)
{
	return (b->ctx & ctx) != 0;
}

void keymap_bar(struct ui_line *ln, unsigned ctx)
{
	for (size_t i = 0; i < N_BINDINGS; i++) {
		const struct binding *b = &bindings[i];
		if (!b->bar || !b->name || !applies(b, ctx))
			continue;
		line_addf(ln, ST_KEY, "%s", b->name);
		line_addf(ln, ST_DIM, " %s  ", b->bar);
	}
}

void keymap_help(struct ui_lines *L, unsigned ctx)
{
	for (size_t i = 0; i < N_BINDINGS; i++) {
		const struct binding *b = &bindings[i];
		if (!b->name || !applies(b, ctx))
			continue;
		struct ui_line *ln = lines_add(L, -1);
		line_addf(ln, ST_KEY, "  %-8s", b->name);
		line_addf(ln, ST_NORMAL, "%s", b->help);
	}
}
