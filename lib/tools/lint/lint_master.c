/*
 * lint_master - master.cf rules of "postern lint" (PL2xx).
 *
 * DESCRIPTION
 *	Duplicate services, unknown commands, chroot, public sockets and
 *	the -o overrides of each master.cf entry.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "mac/mac.h"

static const char *const daemons[] = {
    "anvil",  "bounce",  "cleanup",  "discard",    "dnsblog",
    "error",  "flush",   "lmtp",     "local",      "oqmgr",
    "pickup", "pipe",    "postlogd", "postscreen", "proxymap",
    "qmgr",   "qmqpd",   "scache",   "showq",      "smtp",
    "smtpd",  "spawn",   "tlsmgr",   "tlsproxy",   "trivial-rewrite",
    "verify", "virtual", NULL,
};

/* Services that Postfix's own master.cf makes public on purpose. */
static const char *const public_ok[] = {
    "pickup", "cleanup", "qmgr", "showq", "flush", "postlog", "qmqpd", NULL,
};

/* lint_program - the basename of a service's command */
const char *
lint_program(struct lint_ctx *lc, size_t i)
{
    const char *cmd = pcf_service_field(lc->p, i, 7);
    const char *slash = strrchr(cmd, '/');

    return slash ? slash + 1 : cmd;
}

static const struct {
    const char *prefix;
    const char *program;
} owner_prefix[] = {
    {"smtpd_", "smtpd"},           {"smtp_", "smtp"},         {"lmtp_", "lmtp"},
    {"postscreen_", "postscreen"}, {"tlsproxy_", "tlsproxy"},
};

/* lint_check_master - rules on master.cf entries */
void
lint_check_master(struct lint_ctx *lc)
{
    size_t n = pcf_service_count(lc->p);
    struct htab *seen = htab_new(64);
    struct buf chrooted;
    size_t first_chroot = 0, nchroot = 0;

    buf_init(&chrooted, 0);
    for (size_t i = 0; i < n; i++) {
        const char *svc = pcf_service_field(lc->p, i, 0);
        const char *type = pcf_service_field(lc->p, i, 1);
        const char *prog = lint_program(lc, i);
        struct buf ns;
        struct strv opts;

        buf_init(&ns, 0);
        buf_printf(&ns, "%s/%s", svc, type);
        if (htab_has(seen, buf_str(&ns))) {
            char line[32];

            snprintf(line, sizeof(line), "%d",
                     (int) (intptr_t) htab_find(seen, buf_str(&ns)));
            lint_at_service(
                lc, "PL203", i,
                "%s is defined again (first at line %s); Postfix uses "
                "both and they fight over the same socket or port",
                buf_str(&ns), line, NULL);
        } else {
            htab_set(seen, buf_str(&ns),
                     (void *) (intptr_t) pcf_service_line(lc->p, i));
        }
        if (!lint_in_list(daemons, prog))
            lint_at_service(
                lc, "PL202", i,
                "%s: command \"%s\" is not a Postfix program (master.cf "
                "runs programs from $daemon_directory)",
                buf_str(&ns), prog, NULL);
        if (strcmp(pcf_service_field(lc->p, i, 4), "y") == 0) {
            if (chrooted.len == 0)
                first_chroot = i;
            buf_printf(&chrooted, "%s%s", chrooted.len ? ", " : "",
                       buf_str(&ns));
            nchroot++;
        }
        if (strcmp(type, "unix") == 0 &&
            strcmp(pcf_service_field(lc->p, i, 2), "n") == 0 &&
            !lint_in_list(public_ok, svc) && !lint_in_list(public_ok, prog))
            lint_at_service(
                lc, "PL207", i,
                "%s: private = n makes this socket usable by every local "
                "user; set private to - or y",
                buf_str(&ns), NULL, NULL);
        pcf_service_params(lc->p, i, &opts);
        for (size_t k = 0; k < opts.n; k++) {
            const char *name = opts.v[k];
            const char *v = pcf_service_param(lc->p, i, name);
            struct strv undef;

            if (!pcf_service_param_known(lc->p, i, name)) {
                const char *hint = lint_closest_param(name);

                lint_at_service(
                    lc, "PL208", i,
                    hint ? "%s: -o %s is not a Postfix parameter and "
                           "nothing uses it (did you mean %s?)"
                         : "%s: -o %s is not a Postfix parameter and "
                           "nothing uses it",
                    buf_str(&ns), name, hint);
            } else {
                for (size_t q = 0;
                     q < sizeof(owner_prefix) / sizeof(owner_prefix[0]); q++) {
                    if (str_has_prefix(name, owner_prefix[q].prefix) &&
                        schema_param_find(name)) {
                        if (strcmp(prog, owner_prefix[q].program) != 0 &&
                            !(strcmp(owner_prefix[q].program, "smtpd") == 0 &&
                              strcmp(prog, "postscreen") == 0))
                            lint_at_service(
                                lc, "PL204", i,
                                "%s: -o %s is read by %s, not by this "
                                "service's program",
                                buf_str(&ns), name, owner_prefix[q].program);
                        break;
                    }
                }
            }
            lint_undefined_refs(lc, v, &undef);
            for (size_t u = 0; u < undef.n; u++) {
                if (pcf_service_param(lc->p, i, undef.v[u]))
                    continue;
                lint_at_service(lc, "PL205", i,
                                "%s: -o %s refers to $%s, which is "
                                "not defined",
                                buf_str(&ns), name, undef.v[u]);
            }
            strv_fini(&undef);
        }
        strv_fini(&opts);
        buf_fini(&ns);
    }
    if (nchroot) {
        report_add(lc->r, "PL206", -1, lc->master_file,
                   pcf_service_line(lc->p, first_chroot), 1,
                   "%zu service%s chrooted in $queue_directory (%s): the "
                   "files they read (resolv.conf, certificates, maps) must be "
                   "copied into the jail",
                   nchroot, nchroot == 1 ? " runs" : "s run", chrooted.data);
    }
    buf_fini(&chrooted);
    htab_free(seen, NULL);
}
