/*
 * master_check - "postern check" and the checks before start.
 *
 * DESCRIPTION
 *	Errors that would make a service fail at once are caught here,
 *	with the file and the reason, before anything starts: an unusable
 *	queue_directory, an unknown or privileged mail_owner or
 *	default_privs (as root), smtpd restriction lists without a relay
 *	check.
 *
 *	Then the checkers run, each reporting through one server_checker
 *	into a report (master_report.c): every setting of main.cf and of
 *	master.cf -o honoured or not (master_classify.c), the services
 *	Postern does not run, and what other modules add to the list below.
 *	An ERROR note stops "start" unless --allow-unimplemented; warnings
 *	never do.
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
        log_msg(NULL, LOG_LEVEL_FATAL,
                "file %s/main.cf: parameter %s: unknown "
                "user name value: %s",
                config_dir, param, name);
    else if (pw->pw_uid == 0)
        why = "user ID";
    else if (pw->pw_gid == 0)
        why = "group ID";
    if (why)
        log_msg(NULL, LOG_LEVEL_FATAL,
                "file %s/main.cf: parameter %s: user %s "
                "has privileged %s",
                config_dir, param, name, why);
    mem_free(name);
    return pw == NULL || why != NULL;
}

/* check_restrictions - smtpd's restriction lists, as each smtpd service
 * sees them (main.cf's once, then each service's -o), judged by smtpd
 * itself */
static void
check_restrictions(struct pcf *conf, const struct server_checker *chk)
{
    smtpd_check_lint(conf, NULL, chk); /* main.cf's lists */
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        char ns[600];

        if (strcmp(pcf_service_field(conf, i, 7), "smtpd") != 0)
            continue;
        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        smtpd_check_lint(conf, ns, chk);
    }
}

/* The checkers that report through server_note(), in output order. */
static master_checker_fn *const checkers[] = {
    master_check_params,     master_check_services, check_restrictions,
    master_check_transports, master_check_tables,   master_check_tls_levels,
    master_check_hdr, /* issue 19 */
};

/* check_fatal - the checks that stop any start: 0 ok, 1 errors */
static int
check_fatal(struct pcf *conf, const char *config_dir, unsigned flags)
{
    int bad = 0;
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    char err[800];

    if (qdir[0] != '/') {
        log_msg(NULL, LOG_LEVEL_FATAL,
                "%s/main.cf: queue_directory must be "
                "an absolute path: \"%s\"",
                config_dir, qdir);
        bad = 1;
    }
    if (geteuid() == 0 && !(flags & MASTER_CHECK_CONFIG_ONLY)) {
        bad |= check_user(conf, config_dir, "mail_owner");
        bad |= check_user(conf, config_dir, "default_privs");
    }
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *cmd = pcf_service_field(conf, i, 7);
        char ns[600];

        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        if (strcmp(cmd, "smtpd") == 0 &&
            smtpd_check_config(conf, ns, err, sizeof(err)) < 0) {
            log_msg(NULL, LOG_LEVEL_FATAL, "master.cf line %d: %s: %s",
                    pcf_service_line(conf, i), ns, err);
            bad = 1;
        }
        /* TLS protocol and cipher parameters (issue 15): a bad value
         * would turn TLS off at run time, as in Postfix */
        if (server_tls_check(conf, ns, cmd, err, sizeof(err)) < 0) {
            log_msg(NULL, LOG_LEVEL_FATAL, "master.cf line %d: %s: %s",
                    pcf_service_line(conf, i), ns, err);
            bad = 1;
        }
    }
    if ((flags & MASTER_CHECK_VERBOSE) && !(flags & MASTER_CHECK_CONFIG_ONLY) &&
        !bad) {
        struct stat st;

        if (stat(qdir, &st) < 0 && errno != ENOENT) {
            log_msg(NULL, LOG_LEVEL_FATAL, "%s: %s", qdir, strerror(errno));
            bad = 1;
        }
    }
    mem_free(qdir);
    return bad;
}

int
master_check(struct pcf *conf, const char *config_dir, unsigned flags,
             struct master_report **out)
{
    struct master_report *rep = master_report_new(conf);
    struct server_checker chk = {master_report_note, rep};
    const char *verb = (flags & MASTER_CHECK_VERBOSE)  ? NULL
                       : (flags & MASTER_CHECK_RELOAD) ? "reload"
                                                       : "start";
    int allow = (flags & MASTER_CHECK_ALLOW) != 0;
    int values_bad, bad;

    /* first the typed values: a malformed one kills the daemon that reads
     * it (no --allow-unimplemented for that), and the other checks read
     * typed values themselves */
    server_check_values(conf, &chk);
    server_check_files(conf, &chk);
    values_bad = master_report_count(rep, SERVER_NOTE_ERROR) > 0;
    if (values_bad)
        allow = 0;
    server_conf_lenient(values_bad);
    bad = check_fatal(conf, config_dir, flags) | values_bad;
    for (size_t i = 0; i < sizeof(checkers) / sizeof(checkers[0]); i++)
        checkers[i](conf, &chk);
    server_conf_lenient(0);
    if (flags & MASTER_CHECK_JSON) {
        if (master_report_json(rep, stdout) < 0)
            bad = 1;
    } else {
        master_report_print(rep, verb, allow);
    }
    if (master_report_count(rep, SERVER_NOTE_ERROR) > 0 && !allow) {
        if (verb)
            log_msg(NULL, LOG_LEVEL_FATAL,
                    "%zu setting(s) or service(s) that "
                    "Postern does not implement; not %s (postern check "
                    "lists them; --allow-unimplemented %ss anyway)",
                    master_report_count(rep, SERVER_NOTE_ERROR),
                    strcmp(verb, "start") == 0 ? "started" : "reloaded", verb);
        bad = 1;
    }
    if (out)
        *out = rep;
    else
        master_report_free(rep);
    return bad;
}
