/* A certificate's full detail, and writing certificates and reports to files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "form.h"
#include "screens.h"
#include "sinks.h"
#include "tlsscope/revocation.h"
#include "views.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Writes data to path (a new file, or one the user names again to replace). Returns 0, or -1
 * with a dialog. O_NONBLOCK: opening a FIFO would otherwise wait for a reader, the screen
 * frozen; FIFOs and sockets are refused. A device is written as it is (/dev/full says why it
 * cannot be). */
static int write_file(struct ui *ui, const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	const char *p = data;
	struct stat st;
	int e = fd < 0 ? errno : 0;

	/* ENXIO: a FIFO without a reader, or a socket (open(2)). */
	if (e == ENXIO ||
	    (fd >= 0 && (fstat(fd, &st) < 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))) {
		if (fd >= 0)
			close(fd);
		ui_message(ui, true, "Cannot write the file", "%s: not a regular file", path);
		return -1;
	}
	if (!e && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
		e = errno;
	/* A short write is not an error by itself: go on until all is out or write says why. */
	while (!e && len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	if (e) {
		ui_message(ui, true, "Cannot write the file", "%s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

/* ---- export ---- */

struct export
{
	unsigned char *der;
	size_t len;
};

static void export_free(void *arg)
{
	struct export *x = arg;
	free(x->der);
	free(x);
}

static int export_apply(struct ui *ui, struct form *fm)
{
	struct export *x = fm->arg;
	const char *path = field_value(&fm->f[0]);
	gnutls_datum_t der = {x->der, (unsigned)x->len}, pem = {NULL, 0};
	int rc;

	if (!path) {
		ui_message(ui, true, "Export", "Give the file to write.");
		return -1;
	}
	if (ends_with(path, ".der") || ends_with(path, ".cer")) {
		rc = write_file(ui, path, x->der, x->len);
	} else {
		if (gnutls_pem_base64_encode2("CERTIFICATE", &der, &pem) < 0) {
			ui_message(ui, true, "Export", "The certificate cannot be encoded.");
			return -1;
		}
		rc = write_file(ui, path, pem.data, pem.size);
		gnutls_free(pem.data);
	}
	if (rc < 0)
		return -1;
	ui_message(ui, false, "Exported", "Wrote %s (%s).", path,
		   ends_with(path, ".der") || ends_with(path, ".cer") ? "DER" : "PEM");
	return 0;
}

void cert_export(struct ui *ui, const struct tls_cert_info *c)
{
	struct form *fm = form_new("Export the certificate");
	struct export *x = xcalloc(1, sizeof(*x));
	char *cn = view_common_name(c->subject), *name;

	/* A file name from the CN, with anything odd replaced. */
	for (char *p = cn; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
	name = xasprintf("%s.pem", *cn ? cn : "certificate");
	x->der = xmalloc(c->der_len ? c->der_len : 1);
	memcpy(x->der, c->der, c->der_len);
	x->len = c->der_len;
	form_text(fm, F_FILE, "File", "ends in .der or .cer: DER; anything else: PEM", name);
	fm->apply = export_apply;
	fm->arg = x;
	fm->free_arg = export_free;
	free(cn);
	free(name);
	ui_push(ui, &fm->base);
}

/* ---- save the report ---- */

/* Both renderings are made when the form opens: a listener's report may leave its history
 * ring while the user types the file name. */
struct saved {
	char *json, *text;
	size_t text_len;
};

static void saved_free(void *arg)
{
	struct saved *sv = arg;
	free(sv->json);
	free(sv->text);
	free(sv);
}

static int save_apply(struct ui *ui, struct form *fm)
{
	const struct saved *sv = fm->arg;
	const char *path = field_value(&fm->f[0]);
	bool json = path && ends_with(path, ".json");

	if (!path) {
		ui_message(ui, true, "Save", "Give the file to write.");
		return -1;
	}
	if (write_file(ui, path, json ? sv->json : sv->text,
		       json ? strlen(sv->json) : sv->text_len) < 0)
		return -1;
	ui_message(ui, false, "Saved", "Wrote the %s report to %s.", json ? "JSON" : "text", path);
	return 0;
}

/* The report as the text or the JSON sink renders it; "" when memory is short. */
static void render(char **out, size_t *len, enum sink_format format, const struct tls_report *r)
{
	FILE *f = open_memstream(out, len);

	if (f) {
		report_render(f, format, r, false, 0);
		fclose(f);
	}
	if (!*out) {
		*out = xstrdup("");
		*len = 0;
	}
}

void report_save(struct ui *ui, const struct tls_report *r)
{
	struct form *fm = form_new("Save the report");
	struct saved *sv = xcalloc(1, sizeof(*sv));
	size_t json_len;

	render(&sv->text, &sv->text_len, SINK_TEXT, r);
	render(&sv->json, &json_len, SINK_JSON, r);
	form_text(fm, F_FILE, "File", "ends in .json: the JSON report; anything else: text",
		  "tlsscope-report.json");
	fm->apply = save_apply;
	fm->arg = sv;
	fm->free_arg = saved_free;
	ui_push(ui, &fm->base);
}

/* ---- the fullchain ---- */

/* The PEM is made when the form opens, by the engine's --save-chain (into a private temporary
 * file, read back at once), and written with write_file like every other save: a FIFO or a
 * socket is refused and the screen never waits on a reader. */
struct fullchain {
	char *pem;
	size_t len;
	unsigned n;
};

static void fullchain_free(void *arg)
{
	struct fullchain *fc = arg;
	free(fc->pem);
	free(fc);
}

static int fullchain_apply(struct ui *ui, struct form *fm)
{
	const struct fullchain *fc = fm->arg;
	const char *path = field_value(&fm->f[0]);

	if (!path) {
		ui_message(ui, true, "Save the fullchain", "Give the file to write.");
		return -1;
	}
	if (write_file(ui, path, fc->pem, fc->len) < 0)
		return -1;
	ui_message(ui, false, "Saved",
		   "Wrote the fullchain (%u certificate%s, leaf first, no root) to %s.", fc->n,
		   fc->n == 1 ? "" : "s", path);
	return 0;
}

/* Runs revocation_save_chain into a temporary file and returns what it wrote (caller frees),
 * or NULL with a dialog. */
static char *fullchain_pem(struct ui *ui, const struct tls_report *r, const struct tls_creds *creds,
			   size_t *len)
{
	const char *dir = getenv("TMPDIR");
	char *tmp = xasprintf("%s/tlsscope-fullchain-XXXXXX", dir && *dir ? dir : "/tmp");
	struct tls_error err = {{0}};
	char *pem = NULL;
	FILE *f = NULL;
	int fd = mkstemp(tmp);

	if (fd < 0) {
		ui_message(ui, true, "Save the fullchain", "No temporary file: %s",
			   strerror(errno));
		goto out;
	}
	close(fd);
	if (revocation_save_chain(r, creds, tmp, &err) < 0) {
		/* The engine names the file it wrote: here that is our temporary one. */
		const char *m =
			strncmp(err.msg, tmp, strlen(tmp)) ? err.msg : err.msg + strlen(tmp);
		ui_message(ui, true, "Save the fullchain", "The chain cannot be written%s", m);
		goto out;
	}
	f = fopen(tmp, "r");
	if (f) {
		FILE *m = open_memstream(&pem, len);
		char buf[4096];
		size_t n;
		while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m);
		if (m)
			fclose(m);
		fclose(f);
	}
	if (!pem)
		ui_message(ui, true, "Save the fullchain", "The chain cannot be read back.");
out:
	if (fd >= 0)
		unlink(tmp);
	free(tmp);
	return pem;
}

void chain_save(struct ui *ui, const struct tls_report *r, const struct tls_creds *creds)
{
	struct fullchain *fc = xcalloc(1, sizeof(*fc));
	struct form *fm;

	if (!r->n_chain) {
		ui_message(ui, false, "Save the fullchain",
			   "There is no certificate chain to save.");
		free(fc);
		return;
	}
	fc->pem = fullchain_pem(ui, r, creds, &fc->len);
	if (!fc->pem) {
		free(fc);
		return;
	}
	for (const char *p = fc->pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")); p++)
		fc->n++;
	fm = form_new("Save the fullchain (leaf, intermediates, no root)");
	form_text(fm, F_FILE, "File", "PEM, as a server's ssl_certificate wants it",
		  "fullchain.pem");
	fm->apply = fullchain_apply;
	fm->arg = fc;
	fm->free_arg = fullchain_free;
	ui_push(ui, &fm->base);
}

/* ---- detail ---- */

static void on_cert_key(struct ui *ui, void *arg, enum ui_action act)
{
	if (act == ACT_EXPORT)
		cert_export(ui, arg);
}

static void cert_copy_free(void *arg)
{
	struct tls_cert_info *c = arg;
	free(c->subject);
	free(c->der);
	free(c);
}

void cert_open(struct ui *ui, const struct tls_cert_info *c, const struct tls_report *r,
	       const char *title)
{
	struct ui_lines L = {0};
	char *t =
		title ? xstrdup(title) : xasprintf("Certificate %u (e export, Esc back)", c->index);
	/* The export needs only the DER: keep a copy, the report may change under us. */
	struct tls_cert_info *copy = xcalloc(1, sizeof(*copy));

	copy->subject = c->subject ? xstrdup(c->subject) : NULL;
	copy->index = c->index;
	copy->der = xmalloc(c->der_len ? c->der_len : 1);
	memcpy(copy->der, c->der, c->der_len);
	copy->der_len = c->der_len;
	view_cert_detail(&L, c, ui->cols - 4, ui->g);
	if (r)
		view_cert_revocation(&L, r, c->index, ui->cols - 4, ui->g);
	ui_push(ui, ui_text_new(t, &L, CTX_CERT, on_cert_key, copy, cert_copy_free));
	free(t);
}
