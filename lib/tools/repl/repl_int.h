/*
 * repl_int - internals of "postern repl" and "postern explain".
 */
#ifndef REPL_REPL_INT_H
#define REPL_REPL_INT_H

#include <stddef.h>
#include <stdio.h>

#include "pcf/pcf.h"
#include "schema/schema.h"
#include "util/util.h"

/* One pending change: "name" (main.cf) or "service/type/name" (a
 * master.cf -o setting), with the new value or NULL for "unset". */
struct repl_change {
    char *key;
    char *value;
};

struct repl;

/* repl_confirm_fn - ask the person a yes/no question; 1 yes, 0 no */
typedef int repl_confirm_fn(struct repl *r, const char *question);

struct repl {
    char *dir;        /* the configuration directory */
    char *tmp;        /* private scratch directory (orig/, work/) */
    char *work;       /* tmp/work: the files with the changes */
    struct pcf *pcf;  /* the configuration as it would be written */
    struct pcf **old; /* superseded loads (pcf_free keeps them) */
    size_t nold;
    int stale;               /* pcf and names must be reloaded */
    struct repl_change *chg; /* pending changes in the order made */
    size_t nchg;
    size_t capchg;
    struct strv names;    /* parameter names known, sorted */
    struct strv services; /* "service/type" of master.cf, in file order */
    int interactive;      /* on a terminal */
    int lineno;           /* script line, for error messages */
    int quit;             /* set by "quit" */
    repl_confirm_fn *confirm;
};

/* repl_state.c: the session and its pending changes */

/* repl_new - session over dir (interactive: on a terminal); NULL with an
 * error logged when dir has no readable main.cf or no scratch directory
 * can be made. Until repl_free, SIGHUP and SIGTERM (and SIGINT in a
 * script) remove the scratch directory before the process dies. */
struct repl *repl_new(const char *dir, int interactive);
/* repl_free - remove the scratch directory and free; accepts NULL */
void repl_free(struct repl *r);
/* repl_view - the configuration with the pending changes applied;
 * reloaded when stale. Borrowed, valid until the next change. */
struct pcf *repl_view(struct repl *r);
/* repl_change_add - record a change (value NULL: unset) and rebuild
 * the working copy; 0, or -1 when the edit engine failed (then nothing
 * was recorded) */
int repl_change_add(struct repl *r, const char *key, const char *value);
/* repl_change_undo - drop the last change; -1 when there is none */
int repl_change_undo(struct repl *r);
/* repl_pending - number of keys whose net change is pending */
size_t repl_pending(struct repl *r);
/* repl_pending_value - net pending change of key: 1 and *value (NULL:
 * unset, borrowed) when key has one, else 0 */
int repl_pending_value(struct repl *r, const char *key, const char **value);
/* repl_rebuild - copy the directory's files afresh into the scratch
 * directory and apply the pending changes there; 0 or -1 */
int repl_rebuild(struct repl *r);
/* repl_orig_path, repl_work_path - scratch copies of file ("main.cf",
 * "master.cf") before and after the pending changes; caller frees */
char *repl_orig_path(struct repl *r, const char *file);
char *repl_work_path(struct repl *r, const char *file);
/* repl_work_dir - the scratch directory holding the changed files */
const char *repl_work_dir(struct repl *r);
/* repl_write - apply the pending changes to the directory itself; 0
 * (and nothing is pending any more) or -1 (nothing pending is lost) */
int repl_write(struct repl *r);
/* repl_run_child - run fn(ctx) in a child process with stdout going
 * to out_fd (-1: unchanged); returns its exit status, or -1 */
int repl_run_child(int (*fn)(void *ctx), void *ctx, int out_fd);

/* repl_value.c: values as Postfix sees them */

/* repl_expand - expand text as in main.cf ($name, ${name?x}, ...) in
 * the scope of service index svc (-1: main.cf) into out; 0, or -1 on a
 * syntax error */
int repl_expand(struct repl *r, struct pcf *p, long svc, const char *text,
                struct buf *out);
/* repl_value_expanded - effective value of name, expanded unless the
 * parameter is raw; caller frees; NULL when unknown */
char *repl_value_expanded(struct repl *r, struct pcf *p, const char *name);
/* repl_service_override - the -o value service svc gives name, or NULL
 * (borrowed, lives as long as p) */
const char *repl_service_override(struct pcf *p, size_t svc, const char *name);
/* repl_names_load - names: every parameter p knows (built-in, service,
 * user-defined), sorted; services: master.cf service/type */
void repl_names_load(struct pcf *p, struct strv *names, struct strv *services);
/* repl_suggest - the closest known name to name, or NULL (borrowed) */
const char *repl_suggest(const struct strv *names, const char *name);

/* repl_explain.c */

/* repl_explain_print - the "explain" text of name to fp; p may be NULL
 * (schema only); r may be NULL (no pending changes). 0, or -1 when
 * name is unknown (nothing printed) */
int repl_explain_print(FILE *fp, struct repl *r, struct pcf *p,
                       const char *name);

/* repl_cmd.c */

/* repl_exec - run one command line; 0 or -1 (error reported) */
int repl_exec(struct repl *r, const char *line);
/* repl_commands - command names, NULL-terminated */
extern const char *const repl_commands[];
/* repl_error - "error: text" on stderr (with the script line) */
void repl_error(struct repl *r, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* repl_complete.c */

/*
 * repl_complete - completions for the word that ends at offset cursor
 * of line: candidates go to out (sorted, unique), *start is where the
 * word that they replace begins. A candidate that ends in "=" or "/"
 * expects more text; others are complete words.
 */
void repl_complete(struct repl *r, const char *line, size_t cursor,
                   struct strv *out, size_t *start);

/* repl_help.c: manual pages as text (table generated by tools/mantext) */
struct repl_help_page {
    const char *topic;        /* "postern", "conf", "repl", ... */
    const char *const *lines; /* NULL-terminated */
};
extern const struct repl_help_page repl_help_pages[]; /* ends with NULLs */

/* repl_edit.c: the libedit front end */

/* repl_edit_loop - interactive loop on the terminal; returns the exit
 * status */
int repl_edit_loop(struct repl *r);

#endif
