/* A form: labelled fields with one-line hints, over the current screen. Tab moves, Enter
 * applies, Esc leaves without change, F2 or Ctrl-O picks a file for a file field. */
#ifndef TLSSCOPE_UI_FORM_H
#define TLSSCOPE_UI_FORM_H

#include "screen.h"

enum field_type { F_TEXT, F_SECRET, F_BOOL, F_CHOICE, F_FILE, F_FILES };

struct field {
	enum field_type type;
	const char *label;
	const char *hint;
	char *value; /* F_TEXT, F_SECRET, F_FILE, F_FILES (paths separated by "; ") */
	bool on;     /* F_BOOL */
	const char *const *choices; /* F_CHOICE: NULL-terminated */
	/* F_FILE, a key: while empty, F2 opens the picker beside this field's certificate and
	 * selects the key that matches it. NULL: none. */
	const struct field *key_of;
	int choice;
};

#define FORM_MAX_FIELDS 16

struct form {
	struct ui_screen base;
	char *title;
	struct field f[FORM_MAX_FIELDS];
	size_t n, cur;
	char *note; /* lines (separated by \n) above the hint, or NULL */
	/* Returns 0 to close the form, -1 to keep it open (it showed why in a dialog). */
	int (*apply)(struct ui *ui, struct form *fm);
	void (*changed)(struct ui *ui, struct form *fm);   /* after any change; may be NULL */
	void (*cancelled)(struct ui *ui, struct form *fm); /* Esc; may be NULL */
	void (*recent)(struct ui *ui, struct form *fm);	   /* F3; may be NULL */
	void *arg;
	void (*free_arg)(void *arg);
	size_t browse_field;
	bool at_top; /* drawn under the header, leaving the findings in view (what-if) */
};

struct form *form_new(const char *title);
struct field *form_text(struct form *fm, enum field_type type, const char *label, const char *hint,
			const char *value);
struct field *form_bool(struct form *fm, const char *label, const char *hint, bool on);
struct field *form_choice(struct form *fm, const char *label, const char *hint,
			  const char *const *choices, int choice);
/* The field's text, or NULL when empty. */
const char *field_value(const struct field *f);
void field_set(struct field *f, const char *value);
/* F_FILES: each path in turn (trimmed); returns the count. */
size_t field_paths(const struct field *f, struct strlist *out);

#endif
