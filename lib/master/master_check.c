/*
 * master_check - "postern check" and the checks before start.
 *
 * DESCRIPTION
 *	Errors that would make a service fail at once are caught here,
 *	with the file and the reason, before anything starts: an unusable
 *	queue_directory, an unknown or privileged mail_owner or
 *	default_privs (as root), smtpd restriction lists without a relay
 *	check. "check" also names every master.cf service that Postern does
 *	not run.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "master/master_int.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_check.h"
#include "server/server_tls.h"
#include "smtpd/smtpd.h"

/*
 * check_user - the account a root-started mail system hands work to must
 * exist and be unprivileged: mail_owner runs the daemons, default_privs
 * runs alias commands and file deliveries. Postfix's wording
 * (mail_params.c), fatal at start.
 */
static int
check_user(struct pcf *conf, const char *config_dir, const char *param)
{
    char *name = server_conf_str(conf, NULL, param);
    struct passwd *pw = getpwnam(name);
    const char *why = NULL;

    if (pw == NULL)
        fprintf(stderr,
                "postern: fatal: file %s/main.cf: parameter %s: unknown "
                "user name value: %s\n",
                config_dir, param, name);
    else if (pw->pw_uid == 0)
        why = "user ID";
    else if (pw->pw_gid == 0)
        why = "group ID";
    if (why)
        fprintf(stderr,
                "postern: fatal: file %s/main.cf: parameter %s: user %s "
                "has privileged %s\n",
                config_dir, param, name, why);
    mem_free(name);
    return pw == NULL || why != NULL;
}

/* print_note - interim printer of restriction notes until the issue 16
 * collector lands (the lead rewires this at merge) */
static void
print_note(void *ctx, enum server_note_level level, const char *ns,
           const char *param, const char *text)
{
    int *bad = ctx;

    if (level == SERVER_NOTE_HONOURED)
        return;
    if (level == SERVER_NOTE_ERROR)
        *bad = 1;
    fprintf(stderr, "postern: %s: %s%s%s: %s\n",
            level == SERVER_NOTE_ERROR ? "error" : "warning",
            ns ? ns : "main.cf", param ? ": " : "", param ? param : "", text);
}

int
master_check(struct pcf *conf, const char *config_dir, int verbose)
{
    int notes_bad = 0;
    struct server_checker chk = {print_note, &notes_bad};
    int bad = 0;
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    char err[800];

    if (qdir[0] != '/') {
        fprintf(stderr,
                "postern: fatal: %s/main.cf: queue_directory must be "
                "an absolute path: \"%s\"\n",
                config_dir, qdir);
        bad = 1;
    }
    if (geteuid() == 0) {
        bad |= check_user(conf, config_dir, "mail_owner");
        bad |= check_user(conf, config_dir, "default_privs");
    }
    if (verbose)
        smtpd_check_lint(conf, NULL, &chk);
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *name = pcf_service_field(conf, i, 0);
        const char *type = pcf_service_field(conf, i, 1);
        const char *cmd = pcf_service_field(conf, i, 7);
        char ns[600];

        snprintf(ns, sizeof(ns), "%s/%s", name, type);
        if (verbose && strcmp(cmd, "smtpd") == 0)
            smtpd_check_lint(conf, ns, &chk);
        if (strcmp(cmd, "smtpd") == 0 &&
            smtpd_check_config(conf, ns, err, sizeof(err)) < 0) {
            fprintf(stderr, "postern: fatal: master.cf line %d: %s: %s\n",
                    pcf_service_line(conf, i), ns, err);
            bad = 1;
        }
        /* TLS protocol and cipher parameters (issue 15): a bad value
         * would turn TLS off at run time, as in Postfix */
        if (server_tls_check(conf, ns, cmd, err, sizeof(err)) < 0) {
            fprintf(stderr, "postern: fatal: master.cf line %d: %s: %s\n",
                    pcf_service_line(conf, i), ns, err);
            bad = 1;
        }
        if (verbose && master_lookup(cmd) == NULL) {
            const char *why = master_builtin(cmd);

            if (why)
                fprintf(stderr, "postern: master.cf line %d: %s (%s): %s\n",
                        pcf_service_line(conf, i), ns, cmd, why);
            else
                fprintf(stderr,
                        "postern: warning: master.cf line %d: service "
                        "%s runs \"%s\", which Postern does not "
                        "implement yet\n",
                        pcf_service_line(conf, i), ns, cmd);
        }
    }
    if (verbose && !bad) {
        struct stat st;

        if (stat(qdir, &st) < 0 && errno != ENOENT) {
            fprintf(stderr, "postern: fatal: %s: %s\n", qdir, strerror(errno));
            bad = 1;
        }
    }
    mem_free(qdir);
    (void) notes_bad; /* errors stop start once the collector decides */
    return bad;
}
