/*
 * master_classify - is every setting honoured? The checkers of "postern
 * check" that look at parameters and services as a whole.
 *
 * DESCRIPTION
 *	master_check_params() gives every parameter that main.cf sets, and
 *	every -o setting of a master.cf service that Postern runs, one note:
 *	HONOURED by the daemons the schema names (schemas/postern.yaml), or
 *	not implemented: an ERROR when the schema says that ignoring it
 *	changes who may send, what is accepted or where mail goes, else a
 *	WARNING. A setting equal to the Postfix default counts as honoured:
 *	set or not, it changes nothing (what Postern does with parameters
 *	left alone is docs/COMPATIBILITY.md's business). So does one equal
 *	to the value whose effect Postern always has (schema "behaves":
 *	biff = no). A user-defined parameter that other settings use
 *	($name, a restriction class) is honoured where it is used; one used
 *	nowhere is Postfix's "unused parameter".
 *
 *	master_check_services() notes master.cf services whose command
 *	Postern does not run: an ERROR on an inet port (clients that
 *	Postfix would serve get no answer), a WARNING otherwise (whether a
 *	transport needs the service is the transport check's business).
 *	Their -o settings get the same level: none of them is used.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "master/master_int.h"
#include "pcf/pcf.h"
#include "schema/schema.h"
#include "server/server.h"

/* Values longer than this are cut in messages. */
#define SHOW_MAX 60

/* show - value for a message: cut, with "..." */
static void
show(const char *value, char *buf, size_t len)
{
    size_t n = strlen(value);

    if (n > SHOW_MAX)
        snprintf(buf, len, "%.*s...", SHOW_MAX, value);
    else
        snprintf(buf, len, "%s", value);
}

/* same_words - a and b equal after collapsing commas and white space
 * (case-insensitive for yes/no) */
static int
same_words(const char *a, const char *b)
{
    for (;;) {
        while (*a && (isspace((unsigned char) *a) || *a == ','))
            a++;
        while (*b && (isspace((unsigned char) *b) || *b == ','))
            b++;
        if (*a == 0 || *b == 0)
            return *a == *b;
        while (*a && *b && !isspace((unsigned char) *a) && *a != ',' &&
               tolower((unsigned char) *a) == tolower((unsigned char) *b)) {
            a++;
            b++;
        }
        if ((*a && !isspace((unsigned char) *a) && *a != ',') ||
            (*b && !isspace((unsigned char) *b) && *b != ','))
            return 0;
    }
}

/* daemon_list - "smtpd, cleanup" */
static void
daemon_list(const char *const *by, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = 0;
    for (; *by && off < len; by++)
        off +=
            (size_t) snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
                              strcmp(*by, "all") == 0 ? "every daemon" : *by);
}

/* family_honoured - the daemons honouring name as "<service><suffix>" of
 * a master.cf service, or NULL */
static const char *const *
family_honoured(struct pcf *conf, const char *name)
{
    size_t slen;
    const struct schema_family *fam = schema_family_match(name, &slen);

    if (fam == NULL)
        return NULL;
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *svc = pcf_service_field(conf, i, 0);

        if (strlen(svc) == slen && strncmp(svc, name, slen) == 0)
            return schema_family_honoured_by(fam);
    }
    return NULL;
}

/* classify - one setting name = value (ns NULL: main.cf) */
static void
classify(struct pcf *conf, const struct server_checker *chk, const char *ns,
         const char *name, const char *value)
{
    const struct schema_param *sp = schema_param_find(name);
    const char *const *by = sp ? sp->honoured_by : NULL;
    enum pcf_kind kind = pcf_param_kind(conf, name);
    char v[SHOW_MAX + 8], who[200], what[800];

    /* "name = value", or "service/type: -o name = value" */
    show(value, v, sizeof(v));
    snprintf(what, sizeof(what), "%s%s%s = %s", ns ? ns : "", ns ? ": -o " : "",
             name, v);
    if (by == NULL)
        by = family_honoured(conf, name);
    if (by) {
        daemon_list(by, who, sizeof(who));
        server_note(chk, SERVER_NOTE_HONOURED, ns, name,
                    "%s: honoured by %s%s%s", what, who,
                    sp && sp->partly ? "; partly: " : "",
                    sp && sp->partly ? sp->partly : "");
    } else if (sp && sp->behaves && same_words(value, sp->behaves)) {
        server_note(chk, SERVER_NOTE_HONOURED, ns, name,
                    "%s: what Postern always does", what);
    } else if (sp && same_words(value, sp->defval)) {
        server_note(chk, SERVER_NOTE_HONOURED, ns, name,
                    "%s: the Postfix default (setting it changes nothing)",
                    what);
    } else if (sp && schema_unhonoured_is_error(sp)) {
        server_note(chk, SERVER_NOTE_ERROR, ns, name,
                    "%s: not implemented by Postern (%s)", what, sp->refuse);
    } else if (sp || kind == PCF_KIND_SERVICE || kind == PCF_KIND_DBMS) {
        server_note(chk, SERVER_NOTE_WARNING, ns, name,
                    "%s: not implemented by Postern", what);
    } else if (kind == PCF_KIND_USER || (ns && pcf_is_known(conf, name))) {
        server_note(chk, SERVER_NOTE_HONOURED, ns, name,
                    "%s: user-defined, honoured where it is used", what);
    } else {
        server_note(chk, SERVER_NOTE_WARNING, ns, name, "%s: unused parameter",
                    what);
    }
}

/* service_runs - 1 when Postern runs (or builds in) master.cf entry i */
static int
service_runs(size_t i, struct pcf *conf)
{
    const char *cmd = pcf_service_field(conf, i, 7);

    return master_lookup(cmd) != NULL || master_builtin(cmd) != NULL;
}

void
master_check_params(struct pcf *conf, const struct server_checker *chk)
{
    struct strv names;

    pcf_main_params(conf, &names);
    for (size_t i = 0; i < names.n; i++)
        classify(conf, chk, NULL, names.v[i], pcf_raw_value(conf, names.v[i]));
    strv_fini(&names);
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        char ns[600];

        if (!service_runs(i, conf))
            continue; /* master_check_services notes these */
        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        pcf_service_params(conf, i, &names);
        for (size_t k = 0; k < names.n; k++)
            classify(conf, chk, ns, names.v[k],
                     pcf_service_param(conf, i, names.v[k]));
        strv_fini(&names);
    }
}

/* postscreen_pass - 1 when the "smtpd pass" entry that master hands a
 * postscreen listener's clients to exists (see master.c) */
static int
postscreen_pass(struct pcf *conf, const char *ns)
{
    char *want = server_conf_str(conf, ns, "smtpd_service_name");
    int found = 0;

    for (size_t i = 0; i < pcf_service_count(conf) && !found; i++)
        found =
            strcmp(pcf_service_field(conf, i, 1), "pass") == 0 &&
            strcmp(pcf_service_field(conf, i, 7), "smtpd") == 0 &&
            strcmp(pcf_service_field(conf, i, 0), *want ? want : "smtpd") == 0;
    mem_free(want);
    return found;
}

/* unrun - notes for entry i whose command Postern does not run: the
 * service, and each -o setting at the same level */
static void
unrun(struct pcf *conf, const struct server_checker *chk, size_t i,
      const char *ns)
{
    const char *type = pcf_service_field(conf, i, 1);
    const char *cmd = pcf_service_field(conf, i, 7);
    int inet = strcmp(type, "inet") == 0;
    enum server_note_level level =
        inet ? SERVER_NOTE_ERROR : SERVER_NOTE_WARNING;
    struct strv names;

    server_note(chk, level, ns, NULL,
                "service %s runs \"%s\", which Postern does not implement%s",
                ns, cmd,
                inet ? ": clients of this address get no service" : "");
    pcf_service_params(conf, i, &names);
    for (size_t k = 0; k < names.n; k++)
        server_note(chk, level, ns, names.v[k],
                    "%s: -o %s: not used, service %s is not run", ns,
                    names.v[k], ns);
    strv_fini(&names);
}

void
master_check_services(struct pcf *conf, const struct server_checker *chk)
{
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *cmd = pcf_service_field(conf, i, 7);
        const char *why = master_builtin(cmd);
        char ns[600];

        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        if (master_lookup(cmd) != NULL)
            continue;
        if (why == NULL) {
            unrun(conf, chk, i, ns);
        } else if (strcmp(cmd, "postscreen") == 0 &&
                   !postscreen_pass(conf, ns)) {
            server_note(chk, SERVER_NOTE_ERROR, ns, NULL,
                        "service %s runs \"postscreen\", and there is no "
                        "\"smtpd pass\" entry to serve its clients",
                        ns);
        } else {
            server_note(chk, SERVER_NOTE_HONOURED, ns, NULL,
                        "service %s (%s): %s", ns, cmd, why);
        }
    }
}
