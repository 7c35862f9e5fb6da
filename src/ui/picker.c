/* The file picker: directories first, each file's kind read from its content (certificate,
 * chain, key, PKCS#12, CSR, CRL) with a one-line preview of the selected one. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "list.h"
#include "screens.h"
#include "tlsscope/chain.h"
#include "tlsscope/creds.h"
#include "views.h"

/* Files above this are not read for a preview: nothing tlsscope loads is that large. */
#define PREVIEW_MAX (1024 * 1024)

const char *picker_kind(const char *path, char **preview)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct tls_error err = {{0}};
	struct stat st;

	*preview = NULL;
	if (strncmp(path, "pkcs11:", 7) == 0) {
		*preview = xstrdup("a PKCS#11 token object");
		return "pkcs11";
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		*preview = xstrdup("not a readable file");
		return "unknown";
	}
	if (st.st_size > PREVIEW_MAX) {
		*preview = xstrdup("too large to be a certificate or key");
		return "unknown";
	}
	if (util_read_file(path, PREVIEW_MAX, &data, &len, &err) < 0) {
		*preview = xstrdup("cannot be read");
		return "unknown";
	}
	const char *kind = creds_kind(data, len);
	if (strcmp(kind, "certificate") == 0) {
		gnutls_x509_crt_t *crts = NULL;
		int n = creds_parse_certs(data, len, path, &crts, &err);
		if (n > 0) {
			struct tls_cert_info ci = {0};
			char until[32];
			chain_describe(crts[0], 0, &ci);
			char *cn = view_common_name(ci.subject);
			util_iso_time(ci.not_after, until, sizeof(until));
			until[10] = '\0';
			*preview = xasprintf("%s%s, until %s%s", cn, ci.is_ca ? " (CA)" : "", until,
					     n > 1 ? ", and more certificates" : "");
			free(cn);
			cert_info_free(&ci);
			chain_free(crts, (unsigned)n);
			if (n > 1)
				kind = "chain";
		}
	} else if (strcmp(kind, "pkcs12") == 0) {
		*preview = xstrdup("certificate and key, usually password-protected");
	} else if (strcmp(kind, "key") == 0) {
		*preview = xstrdup("a private key");
	} else if (strcmp(kind, "encrypted-key") == 0) {
		*preview = xstrdup("a private key, password-protected");
	} else if (strcmp(kind, "csr") == 0) {
		*preview = xstrdup("a certificate signing request");
	} else if (strcmp(kind, "crl") == 0) {
		*preview = xstrdup("a certificate revocation list");
	}
	if (!*preview)
		*preview = xstrdup("");
	free(data);
	return kind;
}

struct entry {
	char *name;
	bool dir;
	const char *kind; /* NULL until probed */
	char *preview;
};

struct picker {
	struct ui_screen base;
	char *title;
	char *dir;
	struct entry *e;
	size_t n;
	bool hidden;
	bool filtering;
	char filter[128];
	struct ui_list list;
	char *error;
	void (*chosen)(struct ui *ui, void *arg, const char *path);
	void *arg;
};

static void entries_free(struct picker *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].name);
		free(p->e[i].preview);
	}
	free(p->e);
	p->e = NULL;
	p->n = 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (strcmp(x->name, "..") == 0)
		return -1;
	if (strcmp(y->name, "..") == 0)
		return 1;
	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

static char *join(const char *dir, const char *name)
{
	return xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

static void load_dir(struct picker *p)
{
	DIR *d = opendir(p->dir);
	struct dirent *de;

	entries_free(p);
	free(p->error);
	p->error = NULL;
	p->list = (struct ui_list){0};
	if (!d) {
		p->error = xasprintf("cannot read this directory");
	} else {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0)
				continue;
			if (strcmp(de->d_name, "..") == 0 && strcmp(p->dir, "/") == 0)
				continue;
			if (de->d_name[0] == '.' && strcmp(de->d_name, "..") != 0 && !p->hidden)
				continue;
			char *full = join(p->dir, de->d_name);
			struct stat st;
			bool dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
			free(full);
			p->e = xrealloc(p->e, (p->n + 1) * sizeof(*p->e));
			p->e[p->n++] = (struct entry){.name = xstrdup(de->d_name), .dir = dir};
		}
		closedir(d);
	}
	if (p->n)
		qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
}

static bool visible(const struct picker *p, const struct entry *e)
{
	return !p->filter[0] || (strcmp(e->name, "..") != 0 && strcasestr(e->name, p->filter));
}

/* The entries shown, as indexes into p->e. */
static size_t shown(const struct picker *p, size_t *idx)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++)
		if (visible(p, &p->e[i]))
			idx[k++] = i;
	return k;
}

static void probe(struct picker *p, struct entry *e)
{
	if (e->kind || e->dir)
		return;
	char *full = join(p->dir, e->name);
	e->kind = picker_kind(full, &e->preview);
	free(full);
}

static void picker_draw(struct ui_screen *s, struct ui *ui)
{
	struct picker *p = (struct picker *)s;
	struct ui_lines L = {0};
	size_t *idx = xcalloc(p->n + 1, sizeof(*idx));
	size_t k = shown(p, idx);
	int list_h = ui->rows - 5;
	char *rule = xasprintf("Pick a file: %s", p->title);

	term_rule(0, 0, ui->cols, rule, true);
	struct ui_lines head = {0};
	struct ui_line *hl = lines_add(&head, -1);
	line_addf(hl, ST_DIM, "in ");
	const char *home = getenv("HOME");
	size_t hl_len = home ? strlen(home) : 0;
	if (hl_len > 1 && strncmp(p->dir, home, hl_len) == 0 &&
	    (p->dir[hl_len] == '/' || !p->dir[hl_len])) {
		line_addf(hl, ST_TITLE, "~");
		line_add_safe(hl, ST_TITLE, p->dir + hl_len);
	} else {
		line_add_safe(hl, ST_TITLE, p->dir);
	}
	if (p->filter[0] || p->filtering) {
		line_addf(hl, ST_DIM, "   filter: ");
		line_add_safe(hl, ST_KEY, p->filter);
		if (p->filtering)
			line_addf(hl, ST_KEY, "_");
	}
	term_line(1, 1, ui->cols - 2, &hl[0], false);
	lines_free(&head);
	list_clamp(&p->list, (int)k);
	/* Probe only what is on the screen: a large directory stays quick. */
	if (p->list.scroll > p->list.sel)
		p->list.scroll = p->list.sel;
	if (p->list.sel >= p->list.scroll + list_h)
		p->list.scroll = p->list.sel - list_h + 1;
	for (size_t i = 0; i < k; i++) {
		struct entry *e = &p->e[idx[i]];
		if ((int)i >= p->list.scroll && (int)i < p->list.scroll + list_h)
			probe(p, e);
		struct ui_line *ln = lines_add(&L, (int)i);
		if (e->dir) {
			line_addf(ln, ST_INFO, "%-13s", "directory");
			line_add_safe(ln, ST_TITLE, e->name);
			line_addf(ln, ST_TITLE, "/");
		} else {
			bool known = e->kind && strcmp(e->kind, "unknown") != 0;
			line_addf(ln, known ? ST_OK : ST_DIM, "%-13s", e->kind ? e->kind : "");
			line_add_safe(ln, known ? ST_NORMAL : ST_DIM, e->name);
			if (e->preview && *e->preview && known) {
				line_addf(ln, ST_DIM, "  ");
				line_add_safe(ln, ST_DIM, e->preview);
			}
		}
	}
	if (p->error)
		lines_text_line(&L, ST_ERROR, -1, "%s", p->error);
	else if (!k)
		lines_text_line(&L, ST_DIM, -1, "(nothing here%s)", p->filter[0] ? " matches" : "");
	list_draw(&p->list, 2, 1, list_h, ui->cols - 2, &L, p->list.sel, true);
	/* The selected file's preview, in full. */
	if (k) {
		struct entry *e = &p->e[idx[p->list.sel]];
		struct ui_lines pv = {0};
		struct ui_line *ln = lines_add(&pv, -1);
		if (e->dir)
			line_addf(ln, ST_DIM,
				  "Enter opens the directory; Left or Backspace goes up.");
		else {
			line_addf(ln, ST_INFO, "%s: ", e->kind ? e->kind : "file");
			line_add_safe(ln, ST_NORMAL, e->preview);
			line_addf(ln, ST_DIM, "   Enter picks it.");
		}
		term_rule(ui->rows - 3, 0, ui->cols, NULL, false);
		term_line(ui->rows - 2, 1, ui->cols - 2, &pv.v[0], false);
		lines_free(&pv);
	}
	lines_free(&L);
	free(idx);
	free(rule);
}

static void go_dir(struct picker *p, const char *dir)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return;
	free(p->dir);
	p->dir = real;
	p->filter[0] = '\0';
	load_dir(p);
}

static void picker_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct picker *p = (struct picker *)s;
	size_t *idx = xcalloc(p->n + 1, sizeof(*idx));
	size_t k = shown(p, idx);
	int page = ui->rows - 6;

	if (p->filtering && act == ACT_NONE && key >= 0x20 && key < 0x7f) {
		size_t len = strlen(p->filter);
		if (len + 1 < sizeof(p->filter)) {
			p->filter[len] = (char)key;
			p->filter[len + 1] = '\0';
			p->list.sel = 0;
		}
		free(idx);
		return;
	}
	if (list_key(&p->list, act, (int)k, page)) {
		free(idx);
		return;
	}
	switch (act) {
	case ACT_ERASE:
		if (p->filter[0])
			p->filter[strlen(p->filter) - 1] = '\0';
		break;
	case ACT_FILTER:
		p->filtering = true;
		break;
	case ACT_HIDDEN:
		p->hidden = !p->hidden;
		load_dir(p);
		break;
	case ACT_HOME:
		if (getenv("HOME"))
			go_dir(p, getenv("HOME"));
		break;
	case ACT_LEFT: {
		char *up = join(p->dir, "..");
		go_dir(p, up);
		free(up);
		break;
	}
	case ACT_BACK:
		if (p->filtering || p->filter[0]) {
			p->filtering = false;
			p->filter[0] = '\0';
		} else {
			ui_pop(ui);
			free(idx);
			return;
		}
		break;
	case ACT_OPEN:
		/* Enter ends the filter and opens what it left selected: one key, not two. */
		p->filtering = false;
		if (!k)
			break;
		struct entry *e = &p->e[idx[p->list.sel]];
		char *full = join(p->dir, e->name);
		if (e->dir) {
			go_dir(p, full);
		} else {
			void (*chosen)(struct ui *, void *, const char *) = p->chosen;
			void *arg = p->arg;
			ui_pop(ui); /* frees p */
			chosen(ui, arg, full);
			free(full);
			free(idx);
			return;
		}
		free(full);
		break;
	default:
		break;
	}
	list_clamp(&p->list, (int)k);
	free(idx);
}

static unsigned picker_ctx(struct ui_screen *s)
{
	return ((struct picker *)s)->filtering ? CTX_FILTER : CTX_PICKER;
}

static void picker_free(struct ui_screen *s)
{
	struct picker *p = (struct picker *)s;
	entries_free(p);
	free(p->error);
	free(p->dir);
	free(p->title);
	free(p);
}

static const struct ui_screen_ops picker_ops = {
	.ctx = CTX_PICKER,
	.context = picker_ctx,
	.draw = picker_draw,
	.key = picker_key,
	.free = picker_free,
};

static struct picker *picker_new(struct ui *ui, const char *title, const char *start,
				 void (*chosen)(struct ui *ui, void *arg, const char *path),
				 void *arg)
{
	struct picker *p = xcalloc(1, sizeof(*p));
	char *select = NULL;
	struct stat st;

	p->base.ops = &picker_ops;
	p->title = xstrdup(title);
	p->chosen = chosen;
	p->arg = arg;
	if (start && strncmp(start, "pkcs11:", 7) != 0 && stat(start, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			p->dir = realpath(start, NULL);
		} else {
			char *copy = xstrdup(start), *slash = strrchr(copy, '/');
			select = xstrdup(slash ? slash + 1 : copy);
			if (slash)
				*slash = '\0';
			p->dir = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
			free(copy);
		}
	}
	if (!p->dir)
		p->dir = realpath(".", NULL);
	if (!p->dir)
		p->dir = xstrdup("/");
	load_dir(p);
	for (size_t i = 0; select && i < p->n; i++)
		if (strcmp(p->e[i].name, select) == 0)
			p->list.sel = (int)i;
	free(select);
	ui_push(ui, &p->base);
	return p;
}

void picker_open(struct ui *ui, const char *title, const char *start,
		 void (*chosen)(struct ui *ui, void *arg, const char *path), void *arg)
{
	picker_new(ui, title, start, chosen, arg);
}

/* The key in path matches the certificate crt. Only keys that open without a password are
 * tried: an encrypted one needs the password the form has not applied yet. */
static bool key_file_matches(const char *path, gnutls_x509_crt_t crt)
{
	gnutls_privkey_t key = NULL;
	struct tls_error err = {{0}};
	char *preview = NULL;
	const char *kind = picker_kind(path, &preview);
	bool yes = false;

	free(preview);
	if (strcmp(kind, "key") == 0 && creds_load_key(path, NULL, &key, &err) == 0) {
		yes = creds_key_matches(crt, key);
		gnutls_privkey_deinit(key);
	}
	return yes;
}

/* Directories beside a certificate are small; a large one is not searched past this. */
#define SUGGEST_MAX 256

void picker_open_key(struct ui *ui, const char *title, const char *cert,
		     void (*chosen)(struct ui *ui, void *arg, const char *path), void *arg)
{
	struct picker *p = picker_new(ui, title, cert, chosen, arg);
	gnutls_x509_crt_t *crts = NULL;
	struct tls_error err = {{0}};
	int n = strncmp(cert, "pkcs11:", 7) == 0 ? -1 : creds_read_certs(cert, &crts, &err);

	for (size_t i = 0; n > 0 && i < p->n && i < SUGGEST_MAX; i++) {
		if (p->e[i].dir)
			continue;
		char *full = join(p->dir, p->e[i].name);
		bool match = key_file_matches(full, crts[0]);
		free(full);
		if (match) {
			probe(p, &p->e[i]);
			char *pv = xasprintf("%s, matches the certificate", p->e[i].preview);
			free(p->e[i].preview);
			p->e[i].preview = pv;
			p->list.sel = (int)i;
			break;
		}
	}
	if (n > 0)
		chain_free(crts, (unsigned)n);
}
