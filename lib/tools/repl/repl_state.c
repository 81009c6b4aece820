/*
 * repl_state - the REPL session: pending changes and their working copy.
 *
 * DESCRIPTION
 *	Changes ("set", "unset") are recorded in the order they are made,
 *	so that "undo" can drop the last one. What "write" does with them
 *	is their net effect: per key, the last value set, or removal. The
 *	net changes become at most four runs of the postconf edit engine
 *	(pcf_cmd_run as -e, -X, -Pe, -PX), the same runs as
 *	"postern conf -e" does, on the configuration directory itself.
 *
 *	After every change the same runs are made on a scratch copy of the
 *	files (TMPDIR/postern-repl.XXXXXX/work), so "diff" shows exactly
 *	the bytes that "write" will produce, "lint" checks them and the
 *	other commands see the values as they will be.
 *
 *	The edit engine treats errors as fatal (it exits), so every run
 *	happens in a child process; a failure is reported and the session
 *	goes on.
 *
 * BUGS
 *	pcf_free() keeps the engine's tables, so every reload after a
 *	change costs memory until the session ends.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "repl/repl_int.h"

/* The session whose scratch directory a fatal error must remove. */
static struct repl *fatal_session;

/*
 * What a terminating signal removes: every file the scratch directory can
 * hold, then its directories, as paths made in advance, because a signal
 * handler may only call unlink() and rmdir().
 */
#define SCRATCH_PATHS 16
static char *scratch_paths[SCRATCH_PATHS];
static size_t scratch_npaths;
static const int scratch_signals[] = {SIGHUP, SIGTERM, SIGINT};

static const char *const files[] = {"main.cf", "master.cf", NULL};

static char *
join(const char *dir, const char *sub, const char *file)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s/%s%s%s", dir, sub, file ? "/" : "", file ? file : "");
    return buf_steal(&b);
}

char *
repl_orig_path(struct repl *r, const char *file)
{
    return join(r->tmp, "orig", file);
}

char *
repl_work_path(struct repl *r, const char *file)
{
    return join(r->tmp, "work", file);
}

const char *
repl_work_dir(struct repl *r)
{
    return r->work;
}

/* rm_tree - remove dir and the files in it (one level of subdirectories) */
static void
rm_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            char *path;
            struct stat st;

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            path = join(dir, de->d_name, NULL);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth > 0)
                rm_tree(path, depth - 1);
            else
                (void) unlink(path);
            mem_free(path);
        }
        closedir(d);
    }
    (void) rmdir(dir);
}

static void
on_signal(int sig)
{
    for (size_t i = 0; i < scratch_npaths; i++)
        if (unlink(scratch_paths[i]) < 0)
            (void) rmdir(scratch_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

/*
 * scratch_signals_init - remove the scratch directory on HUP, TERM and, in
 * a script, INT. On a terminal Ctrl-C is a key bound in repl_edit.c: with
 * SIGINT caught before libedit starts, libedit would swallow it.
 */
static void
scratch_signals_init(struct repl *r)
{
    static const char *const names[] = {
        "orig/main.cf",
        "orig/master.cf",
        "work/main.cf",
        "work/master.cf",
        "work/main.cf.tmp",
        "work/master.cf.tmp",
        "edit.log",
        "orig",
        "work",
    };
    struct sigaction sa;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        scratch_paths[scratch_npaths++] = join(r->tmp, names[i], NULL);
    scratch_paths[scratch_npaths++] = mem_strdup(r->tmp);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(scratch_signals) / sizeof(int); i++)
        if (scratch_signals[i] != SIGINT || !r->interactive)
            sigaction(scratch_signals[i], &sa, NULL);
}

static void
scratch_signals_fini(void)
{
    for (size_t i = 0; i < sizeof(scratch_signals) / sizeof(int); i++)
        signal(scratch_signals[i], SIG_DFL);
    for (size_t i = 0; i < scratch_npaths; i++)
        mem_free(scratch_paths[i]);
    scratch_npaths = 0;
}

static void
fatal_cleanup(void)
{
    if (fatal_session && fatal_session->tmp)
        rm_tree(fatal_session->tmp, 1);
}

int
repl_run_child(int (*fn)(void *ctx), void *ctx, int out_fd)
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        log_error("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int rc;

        /* The child must not remove the parent's scratch directory. */
        log_set_fatal_hook(NULL);
        fatal_session = NULL;
        for (size_t i = 0; i < sizeof(scratch_signals) / sizeof(int); i++)
            signal(scratch_signals[i], SIG_DFL);
        if (out_fd >= 0) {
            (void) dup2(out_fd, STDOUT_FILENO);
            (void) dup2(out_fd, STDERR_FILENO);
        }
        rc = fn(ctx);
        fflush(stdout);
        fflush(stderr);
        _exit(rc & 0xff);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            log_error("waitpid: %s", strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    log_error("child process killed by signal %d", WTERMSIG(status));
    return -1;
}

/* copy_file - copy src to dst (0600); a missing src removes dst */
static int
copy_file(const char *src, const char *dst)
{
    char *data = NULL;
    size_t len = 0;
    int fd, rc = 0;

    if (util_read_file(src, CONF_MAX_FILE, &data, &len) < 0) {
        if (errno == ENOENT) {
            (void) unlink(dst);
            return 0;
        }
        log_error("read %s: %s", src, strerror(errno));
        return -1;
    }
    if ((fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
        write(fd, data, len) != (ssize_t) len) {
        log_error("write %s: %s", dst, strerror(errno));
        rc = -1;
    }
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        log_error("write %s: %s", dst, strerror(errno));
        rc = -1;
    }
    mem_free(data);
    return rc;
}

struct net {
    const char *key;
    const char *value;
};

/* net_changes - the last change per key, keys in first-change order;
 * caller frees the array */
static struct net *
net_changes(struct repl *r, size_t *n)
{
    struct net *net = mem_calloc(r->nchg + 1, sizeof(*net));
    size_t k = 0;

    for (size_t i = 0; i < r->nchg; i++) {
        size_t j;

        for (j = 0; j < k; j++)
            if (strcmp(net[j].key, r->chg[i].key) == 0)
                break;
        net[j].key = r->chg[i].key;
        net[j].value = r->chg[i].value;
        if (j == k)
            k++;
    }
    *n = k;
    return net;
}

size_t
repl_pending(struct repl *r)
{
    size_t n;

    mem_free(net_changes(r, &n));
    return n;
}

int
repl_pending_value(struct repl *r, const char *key, const char **value)
{
    for (size_t i = r->nchg; i-- > 0;) {
        if (strcmp(r->chg[i].key, key) == 0) {
            *value = r->chg[i].value;
            return 1;
        }
    }
    return 0;
}

static int
run_pcf(void *ctx)
{
    return pcf_cmd_run(ctx);
}

/*
 * apply - run the edit engine on dir for the net changes: main.cf
 * settings, main.cf removals, master.cf -o settings and removals.
 * out_fd as for repl_run_child. 0, or -1 when a run failed.
 */
static int
apply(struct repl *r, const char *dir, int out_fd)
{
    /* postern conf --force -c dir: -e, -X, -P -e, -P -X */
    static const struct {
        int master;
        int set;
        int mode;
    } runs[] = {
        {0, 1, PCF_MAIN_PARAM | PCF_EDIT_CONF},
        {0, 0, PCF_MAIN_PARAM | PCF_EDIT_EXCL},
        {1, 1, PCF_MASTER_PARAM | PCF_EDIT_CONF},
        {1, 0, PCF_MASTER_PARAM | PCF_EDIT_EXCL},
    };
    size_t n;
    struct net *net = net_changes(r, &n);
    int rc = 0;

    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]) && rc == 0; i++) {
        struct strv argv;
        size_t nargs = 0;
        struct pcf_cmd c = {.mode = runs[i].mode,
                            .param_class = PCF_F_CLASS,
                            .config_dir = dir,
                            .tls_arg = "",
                            .postern = 1,
                            .edit = {.force = 1}};

        strv_init(&argv);
        for (size_t j = 0; j < n; j++) {
            int master = strchr(net[j].key, '/') != NULL;

            if (master != runs[i].master ||
                (net[j].value != NULL) != runs[i].set)
                continue;
            if (runs[i].set) {
                struct buf b;

                buf_init(&b, 0);
                buf_printf(&b, "%s=%s", net[j].key, net[j].value);
                strv_adopt(&argv, buf_steal(&b));
            } else {
                strv_add(&argv, net[j].key);
            }
            nargs++;
        }
        c.args = argv.v;
        c.nargs = (int) argv.n;
        if (nargs > 0 && repl_run_child(run_pcf, &c, out_fd) != 0)
            rc = -1;
        strv_fini(&argv);
    }
    mem_free(net);
    return rc;
}

int
repl_rebuild(struct repl *r)
{
    char *log_path = join(r->tmp, "edit.log", NULL);
    int fd, rc = 0;

    for (const char *const *f = files; *f && rc == 0; f++) {
        char *src = join(r->dir, *f, NULL);
        char *orig = repl_orig_path(r, *f), *work = repl_work_path(r, *f);

        if (copy_file(src, orig) < 0 || copy_file(src, work) < 0)
            rc = -1;
        mem_free(src);
        mem_free(orig);
        mem_free(work);
    }
    r->stale = 1;
    if (rc < 0 || r->nchg == 0) {
        mem_free(log_path);
        return rc;
    }
    /* The engine's own messages only matter when it fails. */
    if ((fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) {
        log_error("create %s: %s", log_path, strerror(errno));
        mem_free(log_path);
        return -1;
    }
    if (apply(r, repl_work_dir(r), fd) < 0) {
        char *text = NULL;
        size_t len;

        if (util_read_file(log_path, 1 << 20, &text, &len) == 0)
            fputs(text, stderr);
        mem_free(text);
        rc = -1;
    }
    close(fd);
    (void) unlink(log_path);
    mem_free(log_path);
    return rc;
}

struct repl *
repl_new(const char *dir, int interactive)
{
    struct repl *r;
    const char *tmpdir = getenv("TMPDIR");
    char *main_path = join(dir, "main.cf", NULL);
    struct buf b;

    if (access(main_path, R_OK) < 0) {
        log_error("cannot read %s: %s", main_path, strerror(errno));
        mem_free(main_path);
        return NULL;
    }
    mem_free(main_path);
    r = mem_calloc(1, sizeof(*r));
    r->dir = mem_strdup(dir);
    r->interactive = interactive;
    buf_init(&b, 0);
    buf_printf(&b, "%s/postern-repl.XXXXXX",
               tmpdir && *tmpdir ? tmpdir : "/tmp");
    r->tmp = buf_steal(&b);
    if (mkdtemp(r->tmp) == NULL) {
        log_error("create scratch directory %s: %s", r->tmp, strerror(errno));
        mem_free(r->tmp);
        r->tmp = NULL;
        repl_free(r);
        return NULL;
    }
    fatal_session = r;
    log_set_fatal_hook(fatal_cleanup);
    scratch_signals_init(r);
    r->work = join(r->tmp, "work", NULL);
    {
        char *o = join(r->tmp, "orig", NULL);
        int bad = mkdir(o, 0700) < 0 || mkdir(r->work, 0700) < 0;

        mem_free(o);
        if (bad || repl_rebuild(r) < 0) {
            log_error("set up scratch directory %s: %s", r->tmp,
                      strerror(errno));
            repl_free(r);
            return NULL;
        }
    }
    strv_init(&r->names);
    strv_init(&r->services);
    (void) repl_view(r);
    return r;
}

void
repl_free(struct repl *r)
{
    if (r == NULL)
        return;
    if (r->tmp)
        rm_tree(r->tmp, 1);
    if (fatal_session == r) {
        fatal_session = NULL;
        log_set_fatal_hook(NULL);
        scratch_signals_fini();
    }
    for (size_t i = 0; i < r->nchg; i++) {
        mem_free(r->chg[i].key);
        mem_free(r->chg[i].value);
    }
    mem_free(r->chg);
    for (size_t i = 0; i < r->nold; i++)
        pcf_free(r->old[i]);
    mem_free(r->old);
    strv_fini(&r->names);
    strv_fini(&r->services);
    mem_free(r->dir);
    mem_free(r->tmp);
    mem_free(r->work);
    mem_free(r);
}

struct pcf *
repl_view(struct repl *r)
{
    if (r->pcf != NULL && !r->stale)
        return r->pcf;
    if (r->pcf != NULL) {
        r->old = mem_realloc(r->old, (r->nold + 1) * sizeof(*r->old));
        r->old[r->nold++] = r->pcf;
    }
    r->pcf = pcf_load(r->nchg ? repl_work_dir(r) : r->dir);
    r->stale = 0;
    strv_fini(&r->names);
    strv_fini(&r->services);
    repl_names_load(r->pcf, &r->names, &r->services);
    return r->pcf;
}

int
repl_change_add(struct repl *r, const char *key, const char *value)
{
    if (r->nchg == r->capchg) {
        r->capchg = r->capchg ? 2 * r->capchg : 8;
        r->chg = mem_realloc(r->chg, r->capchg * sizeof(*r->chg));
    }
    r->chg[r->nchg].key = mem_strdup(key);
    r->chg[r->nchg].value = value ? mem_strdup(value) : NULL;
    r->nchg++;
    if (repl_rebuild(r) < 0) {
        (void) repl_change_undo(r);
        return -1;
    }
    return 0;
}

int
repl_change_undo(struct repl *r)
{
    if (r->nchg == 0)
        return -1;
    r->nchg--;
    mem_free(r->chg[r->nchg].key);
    mem_free(r->chg[r->nchg].value);
    if (repl_rebuild(r) < 0)
        return -1;
    return 0;
}

int
repl_write(struct repl *r)
{
    if (apply(r, r->dir, -1) < 0)
        return -1;
    for (size_t i = 0; i < r->nchg; i++) {
        mem_free(r->chg[i].key);
        mem_free(r->chg[i].value);
    }
    r->nchg = 0;
    return repl_rebuild(r);
}
