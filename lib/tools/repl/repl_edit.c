/*
 * repl_edit - the REPL on a terminal: libedit line editing, persistent
 *	history and Tab completion.
 *
 * DESCRIPTION
 *	The only file that includes libedit. Tab asks repl_complete() for
 *	candidates: one is inserted (with a space after a complete word);
 *	several are reduced to their common prefix when that adds
 *	something, and listed in columns otherwise.
 *
 *	History is kept in $POSTERN_HISTORY, or ~/.postern_history, saved
 *	after every command so that it survives a crash or a kill.
 *	Ctrl-C abandons the line being typed; Ctrl-D is "quit".
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <histedit.h>

#include "repl/repl_int.h"

#define HISTORY_SIZE 1000
#define LIST_MAX     200

struct edit {
    EditLine *el;
    History *hist;
    char *hist_path;
    struct repl *r;
    const char *question; /* prompt of a yes/no question, or NULL */
    struct buf prompt;
};

/* The one interactive session (for the confirm callback). */
static struct edit *the_edit;
static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
    (void) sig;
    interrupted = 1;
}

static char *
prompt_fn(EditLine *el)
{
    struct edit *e;
    size_t n;

    el_get(el, EL_CLIENTDATA, &e);
    buf_truncate(&e->prompt, 0);
    n = repl_pending(e->r);
    if (e->question)
        buf_puts(&e->prompt, e->question);
    else if (n)
        buf_printf(&e->prompt, "postern [%zu pending]> ", n);
    else
        buf_puts(&e->prompt, "postern> ");
    return e->prompt.data;
}

static int
term_width(void)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 80;
}

/* list - candidates in columns, as shells show them, without their
 * first skip bytes (the common "name=" or "service/type/") */
static void
list(const struct strv *c, size_t skip)
{
    size_t width = 0, cols, rows, shown = c->n > LIST_MAX ? LIST_MAX : c->n;

    for (size_t i = 0; i < shown; i++)
        if (strlen(c->v[i] + skip) > width)
            width = strlen(c->v[i] + skip);
    width += 2;
    cols = (size_t) term_width() / width;
    if (cols == 0)
        cols = 1;
    rows = (shown + cols - 1) / cols;
    fputc('\n', stdout);
    for (size_t row = 0; row < rows; row++) {
        for (size_t col = 0; col < cols; col++) {
            size_t i = col * rows + row;

            if (i < shown)
                printf("%-*s", (int) width, c->v[i] + skip);
        }
        fputc('\n', stdout);
    }
    if (shown < c->n)
        printf("... and %zu more\n", c->n - shown);
    fflush(stdout);
}

static unsigned char
complete_fn(EditLine *el, int ch)
{
    const LineInfo *li = el_line(el);
    struct edit *e;
    struct strv c;
    size_t start, cursor = (size_t) (li->cursor - li->buffer), wlen, lcp;
    char *line;
    unsigned char rc = CC_REFRESH;

    (void) ch;
    el_get(el, EL_CLIENTDATA, &e);
    line = mem_strndup(li->buffer, (size_t) (li->lastchar - li->buffer));
    strv_init(&c);
    repl_complete(e->r, line, cursor, &c, &start);
    wlen = cursor - start;
    if (c.n == 0) {
        rc = CC_REFRESH_BEEP;
    } else if (c.n == 1) {
        const char *s = c.v[0];
        size_t len = strlen(s);
        int more = len > 0 && (s[len - 1] == '=' || s[len - 1] == '/');

        el_deletestr(el, (int) wlen);
        el_insertstr(el, s);
        if (!more)
            el_insertstr(el, " ");
    } else {
        lcp = strlen(c.v[0]);
        for (size_t i = 1; i < c.n; i++) {
            size_t k = 0;

            while (k < lcp && c.v[i][k] == c.v[0][k])
                k++;
            lcp = k;
        }
        if (lcp > wlen && strncmp(c.v[0], line + start, wlen) == 0) {
            char *pre = mem_strndup(c.v[0], lcp);

            el_deletestr(el, (int) wlen);
            el_insertstr(el, pre);
            mem_free(pre);
        } else {
            size_t skip = lcp;

            while (skip > 0 && !strchr("=,/", c.v[0][skip - 1]))
                skip--;
            list(&c, skip);
            rc = CC_REDISPLAY;
        }
    }
    strv_fini(&c);
    mem_free(line);
    return rc;
}

/* interrupt_fn - Ctrl-C read as a character: abandon the line */
static unsigned char
interrupt_fn(EditLine *el, int ch)
{
    const LineInfo *li = el_line(el);

    (void) ch;
    el_cursor(el, (int) (li->lastchar - li->cursor));
    li = el_line(el);
    el_deletestr(el, (int) (li->cursor - li->buffer));
    fputs("^C\n", stdout);
    fflush(stdout);
    return CC_REDISPLAY;
}

static int
confirm(struct repl *r, const char *question)
{
    const char *line;
    int count, yes;

    (void) r;
    the_edit->question = question;
    line = el_gets(the_edit->el, &count);
    the_edit->question = NULL;
    if (line == NULL) {
        fputc('\n', stdout);
        return 0;
    }
    while (*line == ' ')
        line++;
    yes = line[0] == 'y' || line[0] == 'Y';
    return yes;
}

static char *
history_path(void)
{
    const char *env = getenv("POSTERN_HISTORY"), *home = getenv("HOME");
    struct buf b;

    if (env)
        return *env ? mem_strdup(env) : NULL;
    if (home == NULL || *home == 0)
        return NULL;
    buf_init(&b, 0);
    buf_printf(&b, "%s/.postern_history", home);
    return buf_steal(&b);
}

int
repl_edit_loop(struct repl *r)
{
    struct edit e;
    HistEvent ev;
    struct sigaction sa, old_sa;

    memset(&e, 0, sizeof(e));
    e.r = r;
    buf_init(&e.prompt, 0);
    the_edit = &e;
    r->confirm = confirm;
    e.hist = history_init();
    history(e.hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(e.hist, &ev, H_SETUNIQUE, 1);
    if ((e.hist_path = history_path()) != NULL)
        (void) history(e.hist, &ev, H_LOAD, e.hist_path);
    e.el = el_init("postern", stdin, stdout, stderr);
    el_set(e.el, EL_CLIENTDATA, &e);
    el_set(e.el, EL_EDITOR, "emacs");
    el_set(e.el, EL_SIGNAL, 1);
    el_set(e.el, EL_PROMPT, prompt_fn);
    el_set(e.el, EL_HIST, history, e.hist);
    el_set(e.el, EL_ADDFN, "postern-complete", "complete a word", complete_fn);
    el_set(e.el, EL_BIND, "^I", "postern-complete", NULL);
    el_set(e.el, EL_ADDFN, "postern-interrupt", "abandon the line",
           interrupt_fn);
    el_set(e.el, EL_BIND, "^C", "postern-interrupt", NULL);
    el_source(e.el, NULL);

    /* Ctrl-C abandons the line instead of the session. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);

    printf("postern repl: %s (\"help\" lists the commands, Tab completes)\n",
           r->dir);
    while (!r->quit) {
        int count;
        const char *line;
        char *copy;

        interrupted = 0;
        line = el_gets(e.el, &count);
        if (line == NULL || count < 0) {
            if (interrupted || (count < 0 && errno == EINTR)) {
                fputc('\n', stdout);
                el_reset(e.el);
                continue;
            }
            fputc('\n', stdout);
            (void) repl_exec(r, "quit");
            continue;
        }
        copy = mem_strdup(line);
        copy[strcspn(copy, "\r\n")] = 0;
        if (*str_trim(copy)) {
            history(e.hist, &ev, H_ENTER, copy);
            if (e.hist_path)
                (void) history(e.hist, &ev, H_SAVE, e.hist_path);
        }
        (void) repl_exec(r, copy);
        mem_free(copy);
    }
    sigaction(SIGINT, &old_sa, NULL);
    el_end(e.el);
    history_end(e.hist);
    mem_free(e.hist_path);
    buf_fini(&e.prompt);
    the_edit = NULL;
    return 0;
}
