/*
 * lint_args - the command line of "postern lint": options into the
 * run's settings, paths into a list; usage text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint/lint_int.h"

void
lint_usage(FILE *fp)
{
    fputs(
        "usage: postern lint [options] [PATH ...]\n"
        "\n"
        "Check main.cf and master.cf for invalid values, unknown or "
        "misspelled\n"
        "names, deprecated parameters, master.cf mistakes and insecure "
        "settings\n"
        "(open relay, SMTP smuggling, weak TLS). PATH is a configuration "
        "directory\n"
        "(default: $MAIL_CONFIG or /etc/postfix), a main.cf or master.cf, or a "
        "tree\n"
        "searched for directories that hold them.\n"
        "\n"
        "  -c DIR                 same as giving DIR as PATH\n"
        "  --format FMT           text (default), json, sarif, checkstyle, "
        "junit,\n"
        "                         github, gitlab\n"
        "  --fail-on SEV          exit 1 on findings at or above SEV: error,\n"
        "                         warning (default), info, style\n"
        "  --postfix-version V    target Postfix version (default 3.7)\n"
        "  --root DIR             find table files (hash:/etc/...) under DIR\n"
        "  --fix                  rename deprecated parameters in place "
        "(atomic edit)\n"
        "  --config FILE          rule settings (default ./.postern.yaml if "
        "present)\n"
        "  --baseline FILE        ignore findings recorded in FILE\n"
        "  --write-baseline FILE  record the current findings in FILE and exit "
        "0\n"
        "  --dns                  also run the DNS checks of \"postern dns\"; "
        "with\n"
        "    --resolver IP[:PORT] (repeatable), --timeout SECONDS, --retries "
        "N,\n"
        "    --public-ip IP (repeatable), --trust-anchor FILE as for postern "
        "dns\n"
        "  --help                 this text\n"
        "\n"
        "Suppress one finding with \"# postern: disable=PL101\" on its line or "
        "the\n"
        "line before. Rules are described in docs/rules/<ID>.md.\n"
        "Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or "
        "I/O error.\n",
        fp);
}

int
lint_args(int argc, char **argv, struct lint_cli *o, struct strv *paths)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

#define NEEDARG()               \
    do {                        \
        if (i + 1 >= argc) {    \
            lint_usage(stderr); \
            return 2;           \
        }                       \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            lint_usage(stdout);
            return 0;
        } else if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
            NEEDARG();
            o->format = argv[++i];
            if (!report_format_valid(o->format)) {
                log_msg("postern lint", LOG_LEVEL_INFO,
                        "unknown format \"%s\" (use %s)", o->format,
                        REPORT_FORMATS);
                return 2;
            }
        } else if (strncmp(a, "--format=", 9) == 0) {
            o->format = a + 9;
            if (!report_format_valid(o->format)) {
                log_msg("postern lint", LOG_LEVEL_INFO,
                        "unknown format \"%s\" (use %s)", o->format,
                        REPORT_FORMATS);
                return 2;
            }
        } else if (strcmp(a, "--fail-on") == 0) {
            NEEDARG();
            if (report_sev_parse(argv[++i], &o->fail_on) < 0) {
                log_msg("postern lint", LOG_LEVEL_INFO,
                        "--fail-on takes error, warning, "
                        "info or style");
                return 2;
            }
        } else if (strcmp(a, "--postfix-version") == 0) {
            NEEDARG();
            o->lo.target_text = argv[++i];
            if ((o->lo.target = lint_version_parse(o->lo.target_text)) < 0) {
                log_msg("postern lint", LOG_LEVEL_INFO, "bad version \"%s\"",
                        o->lo.target_text);
                return 2;
            }
        } else if (strcmp(a, "--root") == 0) {
            NEEDARG();
            o->lo.root = argv[++i];
        } else if (strcmp(a, "--fix") == 0) {
            o->lo.fix = 1;
        } else if (strcmp(a, "--config") == 0) {
            NEEDARG();
            o->config = argv[++i];
        } else if (strcmp(a, "--baseline") == 0) {
            NEEDARG();
            o->baseline = argv[++i];
        } else if (strcmp(a, "--write-baseline") == 0) {
            NEEDARG();
            o->write_baseline = argv[++i];
        } else if (strcmp(a, "--dns") == 0) {
            o->dns = 1;
        } else if (strcmp(a, "--resolver") == 0) {
            NEEDARG();
            strv_add(&o->resolvers, argv[++i]);
        } else if (strcmp(a, "--public-ip") == 0) {
            NEEDARG();
            strv_add(&o->public_ips, argv[++i]);
        } else if (strcmp(a, "--timeout") == 0) {
            NEEDARG();
            o->dns_opts.timeout = atof(argv[++i]);
            if (o->dns_opts.timeout <= 0) {
                log_msg("postern lint", LOG_LEVEL_INFO,
                        "--timeout takes seconds > 0");
                return 2;
            }
        } else if (strcmp(a, "--retries") == 0) {
            NEEDARG();
            char *end;
            long n = strtol(argv[++i], &end, 10);

            if (end == argv[i] || *end || n < 0 || n > 100) {
                log_msg("postern lint", LOG_LEVEL_INFO,
                        "--retries takes a number 0..100");
                return 2;
            }
            o->dns_opts.retries = (int) n;
        } else if (strcmp(a, "--trust-anchor") == 0) {
            NEEDARG();
            o->dns_opts.trust_anchor = argv[++i];
        } else if (strcmp(a, "-c") == 0) {
            NEEDARG();
            strv_add(paths, argv[++i]);
        } else if (a[0] == '-' && a[1]) {
            log_msg("postern lint", LOG_LEVEL_INFO, "unknown option \"%s\"", a);
            lint_usage(stderr);
            return 2;
        } else {
            strv_add(paths, a);
        }
    }
    return -1;
}
