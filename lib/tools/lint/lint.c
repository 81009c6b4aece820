/*
 * lint - "postern lint": options, finding configurations, running the
 *	rules (in parallel over many configurations), suppressions,
 *	baselines and output.
 *
 * DESCRIPTION
 *	Every PATH is a configuration directory, a main.cf/master.cf file,
 *	or a tree (a repository of configurations) searched for
 *	directories that hold main.cf or master.cf. Each configuration is
 *	linted on its own; with several, up to one process per CPU works
 *	at once and a progress line is shown on a terminal.
 *
 *	A master.cf or main.cf line that postconf would die on is reported
 *	(with its line, which postconf does not give) and left out, so that
 *	the rest of the file is still checked.
 *
 *	Suppression: "# postern: disable=ID[,ID]" on the offending line or
 *	the line before; .postern.yaml in the current directory (or
 *	--config FILE) turns rules off, changes severities and sets the
 *	target version; --baseline FILE drops findings recorded earlier
 *	with --write-baseline FILE.
 */
#include "lint/lint.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "conf/conf.h"
#include "dnscheck/dnscheck.h"
#include "lint/lint_int.h"

/* load_settings - .postern.yaml: postfix-version, fail-on, rules */
static void
load_settings(struct lint_cli *o, const char *path, int must_exist)
{
    FILE *fp = fopen(path, "r");
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;

    if (fp == NULL) {
        if (must_exist)
            log_fatal("open %s: %s", path, strerror(errno));
        return;
    }
    if (!yaml_parser_initialize(&parser))
        log_fatal("out of memory");
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc))
        log_fatal("%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                  parser.problem_mark.column + 1,
                  parser.problem ? parser.problem : "YAML syntax error");
    root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
             pr < root->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
            yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
            const char *key = (const char *) k->data.scalar.value;

            if (k->type != YAML_SCALAR_NODE)
                continue;
            if (strcmp(key, "postfix-version") == 0 &&
                v->type == YAML_SCALAR_NODE) {
                o->lo.target_text =
                    mem_strdup((const char *) v->data.scalar.value);
                if ((o->lo.target = lint_version_parse(o->lo.target_text)) < 0)
                    log_fatal("%s:%zu: bad postfix-version \"%s\"", path,
                              k->start_mark.line + 1, o->lo.target_text);
            } else if (strcmp(key, "fail-on") == 0 &&
                       v->type == YAML_SCALAR_NODE) {
                if (report_sev_parse((const char *) v->data.scalar.value,
                                     &o->fail_on) < 0)
                    log_fatal("%s:%zu: bad fail-on \"%s\"", path,
                              k->start_mark.line + 1, v->data.scalar.value);
            } else if (strcmp(key, "rules") == 0 &&
                       v->type == YAML_MAPPING_NODE) {
                for (yaml_node_pair_t *rp = v->data.mapping.pairs.start;
                     rp < v->data.mapping.pairs.top; rp++) {
                    yaml_node_t *rk = yaml_document_get_node(&doc, rp->key);
                    yaml_node_t *rv = yaml_document_get_node(&doc, rp->value);
                    const char *id = (const char *) rk->data.scalar.value;
                    const char *val = (const char *) rv->data.scalar.value;
                    enum report_sev sev;

                    if (rk->type != YAML_SCALAR_NODE ||
                        rv->type != YAML_SCALAR_NODE)
                        continue;
                    if (strcmp(val, "off") == 0 || strcmp(val, "false") == 0)
                        htab_set(o->lo.disabled, id, NULL);
                    else if (report_sev_parse(val, &sev) == 0)
                        htab_set(o->lo.severity, id,
                                 (void *) (intptr_t) (sev + 1));
                    else if (strcmp(val, "on") != 0 && strcmp(val, "true") != 0)
                        log_fatal(
                            "%s:%zu: rule %s: use off, on, error, warning, "
                            "info or style",
                            path, rk->start_mark.line + 1, id);
                }
            } else {
                log_fatal("%s:%zu: unknown setting \"%s\" (postfix-version, "
                          "fail-on, rules)",
                          path, k->start_mark.line + 1, key);
            }
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(fp);
}

static char *
join(const char *a, const char *b)
{
    struct buf p;

    buf_init(&p, 0);
    if (strcmp(a, ".") == 0)
        buf_puts(&p, b);
    else
        buf_printf(&p, "%s/%s", a, b);
    return buf_steal(&p);
}

/* find_configs - directories under path that hold main.cf or master.cf */
static void
find_configs(const char *path, struct strv *out, int depth)
{
    struct stat st;
    char *m, *x;
    DIR *d;
    struct dirent *de;
    struct strv subs;

    if (stat(path, &st) < 0)
        log_fatal("%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        char *dir = mem_strdup(path), *slash = strrchr(dir, '/');

        if (slash)
            *slash = 0;
        else
            memcpy(dir, ".", 2);
        strv_adopt(out, dir);
        return;
    }
    m = join(path, "main.cf");
    x = join(path, "master.cf");
    if (access(m, F_OK) == 0 || access(x, F_OK) == 0)
        strv_add(out, path);
    mem_free(m);
    mem_free(x);
    if (depth > 20 || (d = opendir(path)) == NULL)
        return;
    strv_init(&subs);
    while ((de = readdir(d)) != NULL) {
        char *sub;

        if (de->d_name[0] == '.')
            continue;
        sub = join(path, de->d_name);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            strv_adopt(&subs, sub);
        else
            mem_free(sub);
    }
    closedir(d);
    strv_sort(&subs);
    for (size_t i = 0; i < subs.n; i++)
        find_configs(subs.v[i], out, depth + 1);
    strv_fini(&subs);
}

static const char *const field_names[] = {"service",       "type",   "private",
                                          "unprivileged",  "chroot", "wakeup",
                                          "process_limit", "command"};

/* master_syntax - postconf's field checks, as findings; 0 when fine */
static int
master_syntax(struct lint_ctx *lc, const struct conf_entry *e)
{
    static const char *const types[] = {"unix", "fifo",       "inet",
                                        "pass", "unix-dgram", NULL};
    int bad = 0;

    if (e->nfields < 8) {
        report_add(lc->r, "PL201", -1, lc->master_file, e->first_line, 1,
                   "entry has %zu fields; master.cf needs service, type, "
                   "private, unprivileged, chroot, wakeup, process_limit and "
                   "command",
                   e->nfields);
        return 1;
    }
    for (int f = 1; f <= 6; f++) {
        const struct conf_field *fl = &e->fields[f];
        const char *cp = fl->text;
        int ok = 1;

        if (f == 1) {
            ok = 0;
            for (const char *const *t = types; *t; t++)
                if (strcmp(*t, cp) == 0)
                    ok = 1;
        } else if (f <= 4) {
            ok = cp[1] == 0 && strchr("yn-", *cp) != NULL;
        } else if (f == 5) {
            size_t len = strlen(cp);

            if (len > 0 && cp[len - 1] == '?')
                len--;
            ok = (cp[0] == '-' && len == 1) ||
                 (len > 0 && strspn(cp, "0123456789") == len);
        } else {
            ok = strcmp(cp, "-") == 0 || cp[strspn(cp, "0123456789")] == 0;
        }
        if (!ok) {
            report_add(
                lc->r, "PL201", -1, lc->master_file, fl->line, fl->col,
                "invalid %s field \"%s\"%s", field_names[f], cp,
                f == 1   ? " (use unix, fifo, inet, pass or unix-dgram)"
                : f <= 4 ? " (use y, n or -)"
                : f == 5 ? " (use a number of seconds, optionally with ?, or -)"
                         : " (use a number or -)");
            bad = 1;
        }
    }
    return bad;
}

/* write_kept - the entries of cf that Postfix can read, to path */
static void
write_kept(const struct conf_file *cf, const char *path, const char *skip)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        log_fatal("create %s: %s", path, strerror(errno));
    for (size_t i = 0; cf && i < cf->n; i++)
        if (!skip[i])
            fwrite(cf->data + cf->ents[i].off, 1, cf->ents[i].len, fp);
    if (fclose(fp) != 0)
        log_fatal("write %s: %s", path, strerror(errno));
}

/* suppressed - "# postern: disable=ID" on the line or the line before */
static int
suppressed(const struct conf_file *cf, int line, const char *id)
{
    int cur = 1;
    const char *p, *lines[2] = {NULL, NULL};

    if (cf == NULL || line <= 0)
        return 0;
    for (p = cf->data; p < cf->data + cf->len && cur < line; p++)
        if (*p == '\n') {
            cur++;
            if (cur == line - 1)
                lines[0] = p + 1;
            if (cur == line)
                lines[1] = p + 1;
        }
    if (line == 1)
        lines[1] = cf->data;
    for (int k = 0; k < 2; k++) {
        const char *l = lines[k], *end, *m;

        if (l == NULL)
            continue;
        end = memchr(l, '\n', (size_t) (cf->data + cf->len - l));
        if (end == NULL)
            end = cf->data + cf->len;
        for (m = l; m + 17 < end; m++) {
            if (strncmp(m, "postern: disable=", 17) == 0) {
                const char *ids = m + 17;
                size_t idl = strlen(id);

                while (ids < end && *ids != ' ' && *ids != '\t') {
                    if ((strncmp(ids, id, idl) == 0 &&
                         (ids[idl] == ',' || ids + idl >= end ||
                          ids[idl] == ' ' || ids[idl] == '\t' ||
                          ids[idl] == '\r')) ||
                        strncmp(ids, "all", 3) == 0)
                        return 1;
                    while (ids < end && *ids != ',' && *ids != ' ')
                        ids++;
                    if (ids < end && *ids == ',')
                        ids++;
                }
            }
        }
    }
    return 0;
}

/* lint_dir - every rule on one configuration, findings into r */
static void
lint_dir(const struct lint_cli *o, const char *dir, struct report *r)
{
    struct lint_ctx lc;
    char *skip_main = NULL, *skip_master = NULL;
    int bad_main = 0, bad_master = 0;
    char tmp[] = "/tmp/postern-lint.XXXXXX";
    const char *load_dir = dir;
    size_t first = r->n;

    memset(&lc, 0, sizeof(lc));
    lc.o = &o->lo;
    lc.r = r;
    lc.dir = dir;
    lc.main_file = join(dir, "main.cf");
    lc.master_file = join(dir, "master.cf");
    lc.last = htab_new(256);
    if (access(lc.main_file, F_OK) == 0 &&
        (lc.main_cf = conf_file_read(lc.main_file, CONF_MAIN)) == NULL)
        log_fatal("read %s: %s", lc.main_file, strerror(errno));
    if (access(lc.master_file, F_OK) == 0 &&
        (lc.master_cf = conf_file_read(lc.master_file, CONF_MASTER)) == NULL)
        log_fatal("read %s: %s", lc.master_file, strerror(errno));
    if (lc.main_cf) {
        skip_main = mem_calloc(lc.main_cf->n + 1, 1);
        for (size_t i = 0; i < lc.main_cf->n; i++) {
            const struct conf_entry *e = &lc.main_cf->ents[i];

            if (e->kind == CONF_ENT_LOGICAL && e->error)
                skip_main[i] = bad_main = 1;
            else if (e->kind == CONF_ENT_LOGICAL)
                htab_set(lc.last, e->name.text, (void *) (intptr_t) (i + 1));
        }
    }
    if (lc.master_cf) {
        skip_master = mem_calloc(lc.master_cf->n + 1, 1);
        for (size_t i = 0; i < lc.master_cf->n; i++) {
            const struct conf_entry *e = &lc.master_cf->ents[i];

            if (e->kind == CONF_ENT_LOGICAL && master_syntax(&lc, e))
                skip_master[i] = bad_master = 1;
        }
    }
    /* Load what Postfix could load: leave out the lines it would die on. */
    if (bad_main || bad_master || !lc.main_cf) {
        char *m, *x;

        if (mkdtemp(tmp) == NULL)
            log_fatal("create temporary directory: %s", strerror(errno));
        m = join(tmp, "main.cf");
        x = join(tmp, "master.cf");
        write_kept(lc.main_cf, m, skip_main ? skip_main : "");
        if (lc.master_cf)
            write_kept(lc.master_cf, x, skip_master);
        mem_free(m);
        mem_free(x);
        load_dir = tmp;
    }
    lc.p = pcf_load(load_dir);
    lint_check(&lc);
    if (o->dns) {
        struct dnscheck_opts dop = o->dns_opts;

        dop.main_cf = lc.main_file;
        if (dnscheck_config(lc.p, &dop, r) < 0)
            log_fatal("%s: the DNS checks could not run", dir);
    }
    if (load_dir != dir) {
        char *m = join(tmp, "main.cf"), *x = join(tmp, "master.cf");

        unlink(m);
        unlink(x);
        rmdir(tmp);
        mem_free(m);
        mem_free(x);
    }
    /* Suppressions and rule settings. */
    for (size_t i = first; i < r->n;) {
        struct report_finding *f = &r->f[i];
        const struct conf_file *cf =
            strcmp(f->file, lc.main_file) == 0     ? lc.main_cf
            : strcmp(f->file, lc.master_file) == 0 ? lc.master_cf
                                                   : NULL;
        intptr_t sev;

        if (htab_has(o->lo.disabled, f->rule_id) ||
            suppressed(cf, f->line, f->rule_id)) {
            mem_free(f->file);
            mem_free(f->message);
            mem_free(f->evidence);
            memmove(f, f + 1, (r->n - i - 1) * sizeof(*f));
            r->n--;
            continue;
        }
        if ((sev = (intptr_t) htab_find(o->lo.severity, f->rule_id)) != 0)
            f->sev = (enum report_sev)(sev - 1);
        i++;
    }
    mem_free(skip_main);
    mem_free(skip_master);
}

/* serialization of findings between worker processes and the parent */
static void
put_field(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", fp);
        else if (*s == '\t')
            fputs("\\t", fp);
        else if (*s == '\n')
            fputs("\\n", fp);
        else
            fputc(*s, fp);
    }
}

static char *
get_field(char **cp)
{
    char *start = *cp, *w = *cp, *r = *cp;

    while (*r && *r != '\t' && *r != '\n') {
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
            r++;
        } else {
            *w++ = *r++;
        }
    }
    if (*r)
        r++;
    *w = 0;
    *cp = r;
    return start;
}

static void
save_findings(const struct report *r, FILE *fp)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];

        fprintf(fp, "%s\t%d\t", f->rule_id, (int) f->sev);
        put_field(fp, f->file);
        fprintf(fp, "\t%d\t%d\t", f->line, f->col);
        put_field(fp, f->message);
        fputc('\t', fp);
        put_field(fp, f->evidence);
        fputc('\n', fp);
    }
}

static void
load_findings(struct report *r, const char *path)
{
    char *data, *cp;
    size_t len;

    if (util_read_file(path, 0, &data, &len) < 0)
        log_fatal("read %s: %s", path, strerror(errno));
    cp = data;
    while (*cp) {
        char *id = get_field(&cp), *sev = get_field(&cp),
             *file = get_field(&cp);
        char *line = get_field(&cp), *col = get_field(&cp),
             *msg = get_field(&cp);
        char *ev = get_field(&cp);
        struct report_finding *f;

        f = report_add(r, id, (int) strtol(sev, NULL, 10), file,
                       (int) strtol(line, NULL, 10),
                       (int) strtol(col, NULL, 10), "%s", msg);
        if (*ev)
            report_set_evidence(f, ev);
    }
    mem_free(data);
}

/* lint_all - every configuration, in parallel when there are several */
static void
lint_all(const struct lint_cli *o, const struct strv *dirs, struct report *r)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t next = 0, done = 0;
    int tty = isatty(2);
    char **outs;
    pid_t *pids;
    size_t running = 0, max = ncpu > 0 ? (size_t) ncpu : 2;

    if (dirs->n == 1) {
        lint_dir(o, dirs->v[0], r);
        return;
    }
    outs = mem_calloc(dirs->n, sizeof(*outs));
    pids = mem_calloc(dirs->n, sizeof(*pids));
    fflush(stdout);
    while (done < dirs->n) {
        while (next < dirs->n && running < max) {
            char tmpl[] = "/tmp/postern-lint-out.XXXXXX";
            int fd = mkstemp(tmpl);
            pid_t pid;

            if (fd < 0)
                log_fatal("create temporary file: %s", strerror(errno));
            outs[next] = mem_strdup(tmpl);
            if ((pid = fork()) < 0)
                log_fatal("fork: %s", strerror(errno));
            if (pid == 0) {
                struct report cr;
                FILE *fp = fdopen(fd, "w");

                report_init(&cr, r->tool);
                for (size_t t = 0; t < r->ntables; t++)
                    report_add_rules(&cr, r->rules[t], r->nrules[t]);
                lint_dir(o, dirs->v[next], &cr);
                save_findings(&cr, fp);
                _exit(fclose(fp) == 0 ? 0 : 2);
            }
            close(fd);
            pids[next++] = pid;
            running++;
        }
        {
            int status;
            pid_t pid = wait(&status);

            if (pid < 0)
                log_fatal("wait: %s", strerror(errno));
            running--;
            done++;
            for (size_t i = 0; i < dirs->n; i++)
                if (pids[i] == pid &&
                    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                    log_fatal("linting %s failed", dirs->v[i]);
            if (tty)
                fprintf(stderr, "\rpostern lint: %zu/%zu configurations", done,
                        dirs->n);
        }
    }
    if (tty)
        fputs("\n", stderr);
    for (size_t i = 0; i < dirs->n; i++) {
        load_findings(r, outs[i]);
        unlink(outs[i]);
        mem_free(outs[i]);
    }
    mem_free(outs);
    mem_free(pids);
}

static char *
baseline_key(const struct report_finding *f)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s\t%s\t%s", f->rule_id, f->file, f->message);
    return buf_steal(&b);
}

/* fix - rename deprecated parameters that have a replacement */
static int
fix_dir(const char *dir, struct report *r)
{
    int fixed = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct report_finding *f = &r->f[i];
        char old[256], new[256];
        char *main_file = join(dir, "main.cf");

        if (strcmp(f->rule_id, "PL102") == 0 &&
            strcmp(f->file, main_file) == 0 &&
            (sscanf(f->message, "%255s was renamed to %255s", old, new) == 2 ||
             sscanf(f->message,
                    "%255s is deprecated since Postfix %*s use %255s", old,
                    new) == 2)) {
            struct pcf *p = pcf_load(dir);
            const char *v = pcf_raw_value(p, old);
            struct buf a1, a2;
            char *arg1, *arg2;
            /* postern conf -c dir -e new=value, then -X old */
            struct pcf_cmd set = {.mode = PCF_MAIN_PARAM | PCF_EDIT_CONF,
                                  .param_class = PCF_F_CLASS,
                                  .config_dir = dir,
                                  .args = &arg1,
                                  .nargs = 1,
                                  .tls_arg = "",
                                  .postern = 1};
            struct pcf_cmd del = set;

            buf_init(&a1, 0);
            buf_init(&a2, 0);
            buf_printf(&a1, "%s=%s", new, v ? v : "");
            buf_printf(&a2, "%s", old);
            arg1 = buf_data(&a1);
            arg2 = buf_data(&a2);
            del.mode = PCF_MAIN_PARAM | PCF_EDIT_EXCL;
            del.args = &arg2;
            if (strcmp(pcf_source(p, new), "default") == 0)
                (void) pcf_cmd_run(&set);
            (void) pcf_cmd_run(&del);
            printf("%s: renamed %s to %s\n", main_file, old, new);
            fixed++;
            buf_fini(&a1);
            buf_fini(&a2);
        }
        mem_free(main_file);
    }
    return fixed;
}

/* opts_init - the defaults of every option */
static void
opts_init(struct lint_cli *o)
{
    memset(o, 0, sizeof(*o));
    o->format = "text";
    o->fail_on = REPORT_WARNING;
    o->lo.target = lint_version_parse("3.7");
    o->lo.target_text = "3.7";
    o->lo.disabled = htab_new(16);
    o->lo.severity = htab_new(16);
    strv_init(&o->resolvers);
    strv_init(&o->public_ips);
    dnscheck_opts_init(&o->dns_opts);
}

/*
 * find_dirs - settings file, then the configuration directories under
 * paths (the default config directory when none is given)
 */
static void
find_dirs(struct lint_cli *o, struct strv *paths, struct strv *dirs)
{
    o->dns_opts.resolvers = (const char *const *) o->resolvers.v;
    o->dns_opts.nresolvers = o->resolvers.n;
    o->dns_opts.public_ips = (const char *const *) o->public_ips.v;
    o->dns_opts.npublic_ips = o->public_ips.n;
    if (o->config)
        load_settings(o, o->config, 1);
    else
        load_settings(o, ".postern.yaml", 0);
    if (paths->n == 0) {
        strv_add(paths, conf_config_dir(NULL));
    }
    strv_init(dirs);
    for (size_t i = 0; i < paths->n; i++) {
        size_t before = dirs->n;

        find_configs(paths->v[i], dirs, 0);
        if (dirs->n == before)
            log_fatal("%s: no main.cf or master.cf found", paths->v[i]);
    }
}

/* run - lint every directory into r; with --fix, fix and lint again */
static void
run(const struct lint_cli *o, const struct strv *dirs, struct report *r)
{
    report_init(r, "postern lint");
    report_add_rules(r, lint_rules, lint_nrules);
    if (o->dns) {
        size_t nd;
        const struct report_rule *dr = dnscheck_rule_table(&nd);

        report_add_rules(r, dr, nd);
    }
    lint_all(o, dirs, r);
    if (o->lo.fix) {
        int fixed = 0;

        for (size_t i = 0; i < dirs->n; i++)
            fixed += fix_dir(dirs->v[i], r);
        if (fixed) {
            report_fini(r);
            report_init(r, "postern lint");
            report_add_rules(r, lint_rules, lint_nrules);
            lint_all(o, dirs, r);
        }
    }
    report_sort(r);
}

/* drop_baselined - remove from r the findings recorded in file baseline */
static void
drop_baselined(struct report *r, const char *baseline)
{
    char *data;
    size_t len;
    struct htab *known = htab_new(64);

    if (util_read_file(baseline, 0, &data, &len) < 0)
        log_fatal("read %s: %s", baseline, strerror(errno));
    for (char *line = data, *nl; *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = 0;
        else
            nl = line + strlen(line);
        htab_set(known, line, NULL);
    }
    for (size_t i = 0; i < r->n;) {
        char *k = baseline_key(&r->f[i]);
        int drop = htab_has(known, k);

        mem_free(k);
        if (drop) {
            mem_free(r->f[i].file);
            mem_free(r->f[i].message);
            mem_free(r->f[i].evidence);
            memmove(&r->f[i], &r->f[i + 1], (r->n - i - 1) * sizeof(r->f[0]));
            r->n--;
        } else {
            i++;
        }
    }
    mem_free(data);
    htab_free(known, NULL);
}

/* write_baseline - record r's findings in file path */
static void
write_baseline(const struct report *r, const char *path)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        log_fatal("create %s: %s", path, strerror(errno));
    for (size_t i = 0; i < r->n; i++) {
        char *k = baseline_key(&r->f[i]);

        fprintf(fp, "%s\n", k);
        mem_free(k);
    }
    if (fclose(fp) != 0)
        log_fatal("write %s: %s", path, strerror(errno));
    printf("%s: recorded %zu finding%s\n", path, r->n, r->n == 1 ? "" : "s");
}

int
lint_main(int argc, char **argv)
{
    struct lint_cli o;
    struct strv paths, dirs;
    struct report r;
    int status;

    opts_init(&o);
    log_set_fatal_status(2);
    strv_init(&paths);
    if ((status = lint_args(argc, argv, &o, &paths)) >= 0)
        return status;
    find_dirs(&o, &paths, &dirs);
    run(&o, &dirs, &r);
    if (o.baseline)
        drop_baselined(&r, o.baseline);
    if (o.write_baseline) {
        write_baseline(&r, o.write_baseline);
        return 0;
    }
    if (report_write(&r, o.format, stdout,
                     strcmp(o.format, "text") == 0 && isatty(1) &&
                         getenv("NO_COLOR") == NULL) < 0)
        log_fatal("write error on standard output");
    status = report_count(&r, o.fail_on) > 0 ? 1 : 0;
    report_fini(&r);
    return status;
}
