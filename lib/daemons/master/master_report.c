/*
 * master_report - the collector behind "postern check": every note the
 * checkers send through server_note(), with its place in the files.
 *
 * DESCRIPTION
 *	A note about a main.cf parameter gets main.cf and the parameter's
 *	line; one about a master.cf service ("service/type"), or one of its
 *	-o settings, gets master.cf and the service's first line. The
 *	daemons come from the schema (schemas/postern.yaml), so that every
 *	checker reports the same facts the same way. Notes are kept in the
 *	order they come, which is the checkers' order: the output is the
 *	same on every run and every host.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "maillog/maillog.h"
#include "master/master_int.h"
#include "pcf/pcf.h"
#include "schema/schema.h"

struct master_note {
    enum server_note_level level;
    char *ns;    /* "service/type", or NULL for main.cf */
    char *param; /* or NULL: the note is about a service */
    char *text;
    char *value;      /* the setting's value as written, or NULL */
    const char *file; /* main.cf or master.cf path (borrowed) */
    int line;         /* 0 when not known (a default) */
};

struct master_report {
    struct pcf *conf;
    struct master_note *notes;
    size_t n;
    size_t cap;
};

static const char *const level_names[] = {
    [SERVER_NOTE_HONOURED] = "honoured",
    [SERVER_NOTE_WARNING] = "warning",
    [SERVER_NOTE_ERROR] = "error",
};

struct master_report *
master_report_new(struct pcf *conf)
{
    struct master_report *rep = mem_calloc(1, sizeof(*rep));

    rep->conf = conf;
    return rep;
}

void
master_report_free(struct master_report *rep)
{
    if (rep == NULL)
        return;
    for (size_t i = 0; i < rep->n; i++) {
        mem_free(rep->notes[i].ns);
        mem_free(rep->notes[i].param);
        mem_free(rep->notes[i].text);
        mem_free(rep->notes[i].value);
    }
    mem_free(rep->notes);
    mem_free(rep);
}

/* service_index - master.cf entry of ns, or -1 */
static long
service_index(struct pcf *conf, const char *ns)
{
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *name = pcf_service_field(conf, i, 0);
        const char *type = pcf_service_field(conf, i, 1);
        size_t len = strlen(name);

        if (strncmp(ns, name, len) == 0 && ns[len] == '/' &&
            strcmp(ns + len + 1, type) == 0)
            return (long) i;
    }
    return -1;
}

/* master_report_note - server_note_fn: keep one note (ctx: the report) */
void
master_report_note(void *ctx, enum server_note_level level, const char *ns,
                   const char *param, const char *text)
{
    struct master_report *rep = ctx;
    struct master_note *note;
    const char *value = NULL;
    long svc;

    if (rep->n == rep->cap) {
        rep->cap = rep->cap ? 2 * rep->cap : 64;
        rep->notes = mem_realloc(rep->notes, rep->cap * sizeof(*rep->notes));
    }
    note = &rep->notes[rep->n++];
    note->level = level;
    note->ns = ns ? mem_strdup(ns) : NULL;
    note->param = param ? mem_strdup(param) : NULL;
    note->text = mem_strdup(text);
    if (ns) {
        svc = service_index(rep->conf, ns);
        note->file = pcf_master_path(rep->conf);
        note->line = svc < 0 ? 0 : pcf_service_line(rep->conf, (size_t) svc);
        if (svc >= 0 && param)
            value = pcf_service_param(rep->conf, (size_t) svc, param);
    } else {
        note->file = pcf_main_path(rep->conf);
        note->line = param ? pcf_main_param_line(rep->conf, param) : 0;
        if (note->line)
            value = pcf_raw_value(rep->conf, param);
    }
    note->value = value ? mem_strdup(value) : NULL;
}

size_t
master_report_count(const struct master_report *rep,
                    enum server_note_level level)
{
    size_t n = 0;

    for (size_t i = 0; i < rep->n; i++)
        n += rep->notes[i].level == level;
    return n;
}

/* where - "file:line" or "file", then what the note is about when its
 * text does not say it: the checkers that judge values (transports,
 * tables, TLS levels, restrictions) write only the finding, and the
 * service and parameter come first ("master.cf:12: tlsout/unix:
 * smtp_tls_security_level: ...") */
static void
where(const struct master_note *note, char *buf, size_t len)
{
    int n;

    if (note->line > 0)
        n = snprintf(buf, len, "%s:%d", note->file, note->line);
    else
        n = snprintf(buf, len, "%s", note->file);
    if (n < 0 || (size_t) n >= len)
        return;
    if (note->ns && strstr(note->text, note->ns) == NULL) {
        int m = snprintf(buf + n, len - (size_t) n, ": %s", note->ns);

        if (m < 0 || (size_t) m >= len - (size_t) n)
            return;
        n += m;
    }
    if (note->param && strstr(note->text, note->param) == NULL)
        snprintf(buf + n, len - (size_t) n, ": %s", note->param);
}

void
master_report_print(const struct master_report *rep, const char *verb,
                    int allow)
{
    char at[1100];
    char tail[100];

    for (size_t i = 0; i < rep->n; i++) {
        const struct master_note *note = &rep->notes[i];
        int err = note->level == SERVER_NOTE_ERROR;

        if (note->level == SERVER_NOTE_HONOURED)
            continue;
        where(note, at, sizeof(at));
        tail[0] = 0;
        if (err && verb && allow)
            snprintf(tail, sizeof(tail),
                     "; %sing anyway (--allow-unimplemented)",
                     strcmp(verb, "start") == 0 ? "start" : "reload");
        else if (err && verb)
            snprintf(tail, sizeof(tail), "; refusing to %s", verb);
        log_msg(NULL, err && !allow ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN,
                "%s: %s%s", at, note->text, tail);
    }
}

void
master_report_log(const struct master_report *rep)
{
    char at[1100];

    for (size_t i = 0; i < rep->n; i++) {
        const struct master_note *note = &rep->notes[i];

        if (note->level != SERVER_NOTE_ERROR)
            continue;
        where(note, at, sizeof(at));
        log_warn("%s: %s; started anyway (--allow-unimplemented)", at,
                 note->text);
    }
}

/* note_daemons - the schema's daemons for the note's parameter */
static json_t *
note_daemons(const struct master_note *note)
{
    json_t *arr = json_array();
    const char *const *by = NULL;
    const struct schema_param *sp;
    const struct schema_family *fam;

    if (note->level != SERVER_NOTE_HONOURED || note->param == NULL)
        return arr;
    if ((sp = schema_param_find(note->param)) != NULL)
        by = sp->honoured_by;
    if (by == NULL && (fam = schema_family_match(note->param, NULL)) != NULL)
        by = schema_family_honoured_by(fam);
    for (; by && *by; by++)
        json_array_append_new(arr, json_string(*by));
    return arr;
}

/* jstr - a JSON string of s (NULL: null); bytes that are not UTF-8
 * (a main.cf may hold any) become '?' */
static json_t *
jstr(const char *s)
{
    json_t *j;
    char *copy;

    if (s == NULL)
        return json_null();
    if ((j = json_string(s)) != NULL)
        return j;
    copy = mem_strdup(s);
    for (char *cp = copy; *cp; cp++)
        if ((unsigned char) *cp >= 0x80)
            *cp = '?';
    j = json_string(copy);
    mem_free(copy);
    return j;
}

static json_t *
note_json(const struct master_note *note)
{
    json_t *o = json_object();

    json_object_set_new(o, "status", json_string(level_names[note->level]));
    json_object_set_new(o, "parameter", jstr(note->param));
    json_object_set_new(o, "service", jstr(note->ns));
    json_object_set_new(o, "value", jstr(note->value));
    json_object_set_new(o, "daemons", note_daemons(note));
    json_object_set_new(o, "file", jstr(note->file));
    json_object_set_new(o, "line",
                        note->line ? json_integer(note->line) : json_null());
    json_object_set_new(o, "message", jstr(note->text));
    return o;
}

int
master_report_json(const struct master_report *rep, FILE *fp)
{
    json_t *root = json_object(), *sum = json_object(), *arr = json_array();
    int rc;

    for (int l = SERVER_NOTE_HONOURED; l <= SERVER_NOTE_ERROR; l++)
        json_object_set_new(sum, level_names[l],
                            json_integer((json_int_t) master_report_count(
                                rep, (enum server_note_level) l)));
    for (size_t i = 0; i < rep->n; i++)
        json_array_append_new(arr, note_json(&rep->notes[i]));
    json_object_set_new(root, "main_cf", jstr(pcf_main_path(rep->conf)));
    json_object_set_new(root, "master_cf", jstr(pcf_master_path(rep->conf)));
    json_object_set_new(root, "summary", sum);
    json_object_set_new(root, "notes", arr);
    rc = json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', fp);
    json_decref(root);
    return rc;
}
