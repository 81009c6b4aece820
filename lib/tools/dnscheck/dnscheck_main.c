/*
 * dnscheck_main - "postern dns": the command line around dnscheck_config().
 *
 * DESCRIPTION
 *	Options are parsed by hand (GNU-style "--opt VALUE" and
 *	"--opt=VALUE"), the configuration is loaded with pcf_load(), and
 *	the findings are written with report_write() in any of the formats
 *	that "postern lint" has.
 *
 * DIAGNOSTICS
 *	Exit status 0: no finding at or above --fail-on; 1: some; 2: usage
 *	or I/O error (unreadable main.cf, bad --resolver, unreadable trust
 *	anchor file, output error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dnscheck/dnscheck.h"
#include "pcf/pcf.h"
#include "report/report.h"

static const char usage_text[] =
    "usage: postern dns [options]\n"
    "\n"
    "Check that DNS agrees with the Postfix configuration: MX, null MX,\n"
    "PTR/FCrDNS, SPF, DMARC, MTA-STS, TLS-RPT, DANE and DNSSEC.\n"
    "\n"
    "Options:\n"
    "  -c DIR                configuration directory (default $MAIL_CONFIG "
    "or /etc/postfix)\n"
    "  --resolver IP[:PORT]  DNS server to ask (repeatable; default "
    "/etc/resolv.conf)\n"
    "  --timeout SEC         seconds per try and server (default 3)\n"
    "  --retries N           extra tries after the first (default 1)\n"
    "  --domain D            also check domain D as a receiving domain "
    "(repeatable)\n"
    "  --public-ip IP        this server's public address (repeatable)\n"
    "  --trust-anchor FILE   DS/DNSKEY records to validate DNSSEC from\n"
    "  --checks LIST         mx,send,spf,dmarc,sts,dane,dnssec (default "
    "all)\n"
    "  --format FORMAT       " REPORT_FORMATS " (default text)\n"
    "  --fail-on SEVERITY    error, warning, info, style or none (default "
    "warning)\n"
    "  --color WHEN          auto, always or never (default auto)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or "
    "I/O error.\n";

static int usage_error(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* usage_error - complain, print the usage, return exit status 2 */
static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_INFO, fmt, ap);
    va_end(ap);
    fputs(usage_text, stderr);
    return 2;
}

static const struct {
    const char *name;
    unsigned bit;
} check_names[] = {
    {"mx", DNSCHECK_MX},         {"send", DNSCHECK_SEND},
    {"spf", DNSCHECK_SPF},       {"dmarc", DNSCHECK_DMARC},
    {"sts", DNSCHECK_STS},       {"dane", DNSCHECK_DANE},
    {"dnssec", DNSCHECK_DNSSEC}, {"all", DNSCHECK_ALL},
};

static int
parse_checks(const char *s, unsigned *out)
{
    char *copy = mem_strdup(s), *tok, *save = NULL;
    int rc = 0;

    *out = 0;
    for (tok = strtok_r(copy, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        size_t i;

        for (i = 0; i < sizeof(check_names) / sizeof(check_names[0]); i++)
            if (strcmp(check_names[i].name, tok) == 0)
                break;
        if (i == sizeof(check_names) / sizeof(check_names[0])) {
            rc = -1;
            break;
        }
        *out |= check_names[i].bit;
    }
    mem_free(copy);
    return (rc == 0 && *out) ? 0 : -1;
}

/* main_cf_name - DIR/main.cf as the user would write it */
static char *
main_cf_name(const char *dir)
{
    struct buf b;
    size_t n = strlen(dir);

    buf_init(&b, 0);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '.')
        buf_puts(&b, "main.cf");
    else
        buf_printf(&b, "%.*s/main.cf", (int) n, dir);
    return buf_steal(&b);
}

/* add_arg - append to a growable array of borrowed strings */
static void
add_arg(const char ***v, size_t *n, const char *s)
{
    *v = mem_realloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

/* The command line as parsed. */
struct cli {
    struct dnscheck_opts o;
    const char *dir;
    const char *format, *color;
    const char **resolvers, **domains, **ips;
    size_t nres, ndom, nips;
    enum report_sev fail_on;
    int fail_never, checks_given;
};

/* public_ip_ok - an IPv4 or IPv6 address, IPv6 possibly in [] */
static int
public_ip_ok(const char *val)
{
    char *copy = mem_strdup(val);
    size_t n = strlen(copy);
    unsigned char tmp[16];
    int ok;

    /* Validate here; dnscheck parses again. */
    if (n >= 2 && copy[0] == '[' && copy[n - 1] == ']') {
        copy[n - 1] = 0;
        memmove(copy, copy + 1, n - 1);
    }
    ok = inet_pton(AF_INET, copy, tmp) == 1 ||
         inet_pton(AF_INET6, copy, tmp) == 1;
    mem_free(copy);
    return ok;
}

/* number_option - --timeout and --retries into c->o; 0 or exit status */
static int
number_option(struct cli *c, const char *name, const char *val)
{
    char *end;

    errno = 0;
    if (strcmp(name, "--timeout") == 0) {
        c->o.timeout = strtod(val, &end);
        if (end == val || *end || errno || !(c->o.timeout > 0) ||
            c->o.timeout > 300)
            return usage_error("bad --timeout \"%s\" (seconds, > 0)", val);
    } else {
        long v = strtol(val, &end, 10);

        if (end == val || *end || errno || v < 0 || v > 10)
            return usage_error("bad --retries \"%s\" (0 to 10)", val);
        c->o.retries = (int) v;
    }
    return 0;
}

/* output_option - --format, --fail-on, --color; 0 or exit status */
static int
output_option(struct cli *c, const char *name, const char *val)
{
    if (strcmp(name, "--format") == 0) {
        if (!report_format_valid(val))
            return usage_error("unknown format \"%s\" (" REPORT_FORMATS ")",
                               val);
        c->format = val;
    } else if (strcmp(name, "--fail-on") == 0) {
        if (strcmp(val, "none") == 0 || strcmp(val, "never") == 0)
            c->fail_never = 1;
        else if (report_sev_parse(val, &c->fail_on) < 0)
            return usage_error("bad --fail-on \"%s\"", val);
    } else {
        if (strcmp(val, "auto") && strcmp(val, "always") &&
            strcmp(val, "never"))
            return usage_error("bad --color \"%s\"", val);
        c->color = val;
    }
    return 0;
}

/* option - one "--name VALUE"; 0 or exit status */
static int
option(struct cli *c, const char *name, const char *val)
{
    if (strcmp(name, "--resolver") == 0) {
        add_arg(&c->resolvers, &c->nres, val);
    } else if (strcmp(name, "--domain") == 0) {
        add_arg(&c->domains, &c->ndom, val);
    } else if (strcmp(name, "--public-ip") == 0) {
        if (!public_ip_ok(val))
            return usage_error("bad --public-ip address \"%s\"", val);
        add_arg(&c->ips, &c->nips, val);
    } else if (strcmp(name, "--timeout") == 0 ||
               strcmp(name, "--retries") == 0) {
        return number_option(c, name, val);
    } else if (strcmp(name, "--trust-anchor") == 0) {
        c->o.trust_anchor = val;
    } else if (strcmp(name, "--checks") == 0) {
        c->checks_given = 1;
        if (parse_checks(val, &c->o.checks) < 0)
            return usage_error("bad --checks \"%s\"", val);
    } else if (strcmp(name, "--format") == 0 ||
               strcmp(name, "--fail-on") == 0 || strcmp(name, "--color") == 0) {
        return output_option(c, name, val);
    } else {
        return usage_error("unknown option \"%s\"", name);
    }
    return 0;
}

/* parse_args - argv into c; -1 to go on, else the exit status */
static int
parse_args(struct cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq;
        char name[32];
        int rc;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "-c") == 0) {
            if (++i >= argc)
                return usage_error("-c needs a directory");
            c->dir = argv[i];
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return usage_error("unexpected argument \"%s\"", a);
        eq = strchr(a, '=');
        if (eq && (size_t) (eq - a) < sizeof(name)) {
            memcpy(name, a, (size_t) (eq - a));
            name[eq - a] = 0;
            val = eq + 1;
        } else if (strlen(a) < sizeof(name)) {
            memcpy(name, a, strlen(a) + 1);
            if (i + 1 < argc)
                val = argv[++i];
        } else {
            return usage_error("unknown option \"%s\"", a);
        }
        if (val == NULL)
            return usage_error("option %s needs a value", name);
        if ((rc = option(c, name, val)) != 0)
            return rc;
    }
    return -1;
}

/* check_and_write - load the configuration, run the checks, write the
 * findings; the exit status */
static int
check_and_write(struct cli *c)
{
    struct report r;
    struct pcf *p;
    int rc;

    log_set_fatal_status(2);
    p = pcf_load(c->dir);
    report_init(&r, "postern dns");
    if (dnscheck_config(p, &c->o, &r) < 0) {
        report_fini(&r);
        pcf_free(p);
        return 2;
    }
    report_sort(&r);
    if (report_write(&r, c->format, stdout,
                     strcmp(c->color, "always") == 0 ||
                         (strcmp(c->color, "auto") == 0 &&
                          isatty(STDOUT_FILENO) &&
                          getenv("NO_COLOR") == NULL)) < 0) {
        log_error("write error: %s", strerror(errno));
        rc = 2;
    } else {
        rc = (!c->fail_never && report_count(&r, c->fail_on) > 0) ? 1 : 0;
    }
    report_fini(&r);
    pcf_free(p);
    return rc;
}

int
dnscheck_main(int argc, char **argv)
{
    struct cli c;
    char *maincf = NULL, *path = NULL;
    int rc;

    memset(&c, 0, sizeof(c));
    dnscheck_opts_init(&c.o);
    c.dir = conf_config_dir(NULL);
    c.format = "text";
    c.color = "auto";
    c.fail_on = REPORT_WARNING;
    if ((rc = parse_args(&c, argc, argv)) >= 0)
        goto out;
    if (c.checks_given && (c.o.checks & DNSCHECK_DNSSEC) && !c.o.trust_anchor)
        log_warn("--checks dnssec needs --trust-anchor FILE; DNSSEC is not "
                 "checked");
    c.o.resolvers = c.resolvers;
    c.o.nresolvers = c.nres;
    c.o.domains = c.domains;
    c.o.ndomains = c.ndom;
    c.o.public_ips = c.ips;
    c.o.npublic_ips = c.nips;

    /* pcf_load() is fatal on an unreadable main.cf: check first. */
    maincf = main_cf_name(c.dir);
    {
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s/main.cf", c.dir);
        path = buf_steal(&b);
    }
    if (access(path, R_OK) != 0) {
        log_error("cannot read %s: %s", path, strerror(errno));
        rc = 2;
        goto out;
    }
    c.o.main_cf = maincf;
    rc = check_and_write(&c);
out:
    mem_free(c.resolvers);
    mem_free(c.domains);
    mem_free(c.ips);
    mem_free(maincf);
    mem_free(path);
    return rc;
}
