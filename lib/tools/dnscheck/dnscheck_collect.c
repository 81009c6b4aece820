/*
 * dnscheck_collect - what to check, from the configuration: the
 *	receiving domains (with /file/name lists and table sources read),
 *	myorigin, the HELO name, this server's addresses and certificates.
 *	Problems with the configuration itself go into run->setup (PD060,
 *	PD061).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dnscheck/dnscheck_int.h"
#include "pcf/pcf.h"
#include "report/report.h"

/*
 * Configuration.
 */
static int
source_line(struct pcf *p, const char *param)
{
    const char *src = pcf_source(p, param);
    const char *colon = strrchr(src, ':');

    return colon ? (int) strtol(colon + 1, NULL, 10) : 0;
}

static void
add_subject(struct dnscheck_run *run, const char *name, const char *file,
            int line, const char *from, unsigned roles)
{
    char *n = mem_strdup(name);
    size_t len;

    for (char *cp = n; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp += 32;
    len = strlen(n);
    while (len && n[len - 1] == '.')
        n[--len] = 0;
    if (len == 0 || strchr(n, '.') == NULL || strcmp(n, "localhost") == 0 ||
        str_has_prefix(n, "localhost.") || n[0] == '.' || n[0] == '!' ||
        strchr(n, '@') || strchr(n, '/') || strchr(n, ':')) {
        mem_free(n);
        return;
    }
    for (size_t i = 0; i < run->nsubj; i++) {
        if (strcmp(run->subj[i].name, n) == 0) {
            run->subj[i].roles |= roles;
            mem_free(n);
            return;
        }
    }
    run->subj = mem_realloc(run->subj, (run->nsubj + 1) * sizeof(*run->subj));
    run->subj[run->nsubj].name = n;
    run->subj[run->nsubj].file = mem_strdup(file);
    run->subj[run->nsubj].line = line;
    run->subj[run->nsubj].from = mem_strdup(from);
    run->subj[run->nsubj].roles = roles;
    run->nsubj++;
}

/* read_list_file - names in a /file/name list (one or more per line) */
static void
read_list_file(struct dnscheck_run *run, const char *path, const char *from,
               unsigned roles, const char *pfile, int pline)
{
    char *text;
    size_t len;
    int line = 0;
    char *cp, *nl;

    if (util_read_file(path, 16u << 20, &text, &len) < 0) {
        report_add(&run->setup, "PD060", -1, pfile, pline, 0,
                   "cannot read %s (in %s): %s", path, from, strerror(errno));
        return;
    }
    for (cp = text; cp && *cp; cp = nl) {
        struct strv tk;

        line++;
        nl = strchr(cp, '\n');
        if (nl)
            *nl++ = 0;
        if (strchr(cp, '#'))
            *strchr(cp, '#') = 0;
        strv_init(&tk);
        conf_list_split(cp, &tk, 0);
        for (size_t i = 0; i < tk.n; i++)
            add_subject(run, tk.v[i], path, line, from, roles);
        strv_fini(&tk);
    }
    mem_free(text);
}

/* read_table - keys of a type:name table whose source we can read */
static void
read_table(struct dnscheck_run *run, const char *spec, const char *from,
           unsigned roles, const char *pfile, int pline)
{
    static const char *const indexed[] = {"hash", "btree", "lmdb",     "cdb",
                                          "dbm",  "sdbm",  "texthash", NULL};
    const char *colon = strchr(spec, ':');
    char *type, *path;
    const char *name;
    int known = 0;

    while (str_has_prefix(spec, "proxy:"))
        spec += 6;
    colon = strchr(spec, ':');
    type = mem_strndup(spec, (size_t) (colon - spec));
    name = colon + 1;
    if (strcmp(type, "inline") == 0) {
        struct strv tk;
        char *inner = mem_strdup(name);
        size_t n = strlen(inner);

        if (n >= 2 && inner[0] == '{' && inner[n - 1] == '}') {
            inner[n - 1] = 0;
            strv_init(&tk);
            conf_list_split(inner + 1, &tk, 0);
            for (size_t i = 0; i < tk.n; i++) {
                char *eq = strchr(tk.v[i], '=');

                if (eq)
                    *eq = 0;
                add_subject(run, str_trim(tk.v[i]), pfile, pline, from, roles);
            }
            strv_fini(&tk);
        }
        mem_free(inner);
        mem_free(type);
        return;
    }
    for (const char *const *ip = indexed; *ip; ip++)
        if (strcmp(*ip, type) == 0)
            known = 1;
    if (!known) {
        report_add(&run->setup, "PD060", REPORT_INFO, pfile, pline, 0,
                   "%s lookup table %s cannot be listed; check its domains "
                   "with --domain",
                   from, spec);
        mem_free(type);
        return;
    }
    path = mem_strdup(name);
    {
        char *text;
        size_t len;
        int line = 0;
        char *cp, *nl;

        if (util_read_file(path, 64u << 20, &text, &len) < 0) {
            report_add(&run->setup, "PD060", -1, pfile, pline, 0,
                       "cannot read the source file %s of %s (in %s): %s", path,
                       spec, from, strerror(errno));
        } else {
            for (cp = text; cp && *cp; cp = nl) {
                size_t k;

                line++;
                nl = strchr(cp, '\n');
                if (nl)
                    *nl++ = 0;
                if (*cp == '#' || *cp == ' ' || *cp == '\t' || *cp == 0)
                    continue;
                k = strcspn(cp, " \t\r");
                cp[k] = 0;
                add_subject(run, cp, path, line, from, roles);
            }
            mem_free(text);
        }
    }
    mem_free(path);
    mem_free(type);
}

static void
collect_list(struct dnscheck_run *run, const char *param, unsigned roles)
{
    char *val = pcf_value(run->p, param);
    int line = source_line(run->p, param);
    struct strv tk;

    if (val == NULL)
        return;
    strv_init(&tk);
    conf_list_split(val, &tk, 0);
    for (size_t i = 0; i < tk.n; i++) {
        const char *t = tk.v[i];

        if (t[0] == '/')
            read_list_file(run, t, param, roles, run->maincf, line);
        else if (strchr(t, ':') && t[0] != '!')
            read_table(run, t, param, roles, run->maincf, line);
        else
            add_subject(run, t, run->maincf, line, param, roles);
    }
    strv_fini(&tk);
    mem_free(val);
}

static void
add_ip(struct dnscheck_ip **v, size_t *n, const struct dnscheck_ip *ip)
{
    if (dnscheck_has_ip(*v, *n, ip))
        return;
    *v = mem_realloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = *ip;
}

/*
 * collect_addresses - this server's public addresses. Receiving: the
 * public addresses of inet_interfaces and proxy_interfaces (the
 * addresses a NAT or proxy forwards to us) and of smtp_bind_address(6).
 * Outbound: smtp_bind_address(6), else, as the Postfix SMTP client does,
 * the one public inet_interfaces address of each family. --public-ip
 * replaces both.
 */
static void
collect_addresses(struct dnscheck_run *run)
{
    static const char *const lists[] = {"inet_interfaces", "proxy_interfaces"};
    static const char *const binds[] = {"smtp_bind_address",
                                        "smtp_bind_address6"};
    struct dnscheck_ip ip, one4, one6;
    int n4 = 0, n6 = 0;
    char *val;

    for (size_t i = 0; i < run->o->npublic_ips; i++) {
        if (dnscheck_ip_parse(run->o->public_ips[i], &ip) == 0) {
            add_ip(&run->recv, &run->nrecv, &ip);
            add_ip(&run->out, &run->nout, &ip);
        }
    }
    if (run->o->npublic_ips)
        return;
    for (int l = 0; l < 2; l++) {
        struct strv tk;

        strv_init(&tk);
        if ((val = pcf_value(run->p, lists[l])) != NULL)
            conf_list_split(val, &tk, 0);
        mem_free(val);
        for (size_t i = 0; i < tk.n; i++) {
            if (dnscheck_ip_parse(tk.v[i], &ip) != 0 ||
                !dnscheck_ip_is_public(&ip))
                continue;
            add_ip(&run->recv, &run->nrecv, &ip);
            if (l == 1)
                continue;
            if (ip.v6) {
                n6++;
                one6 = ip;
            } else {
                n4++;
                one4 = ip;
            }
        }
        strv_fini(&tk);
    }
    for (int b = 0; b < 2; b++) {
        val = pcf_value(run->p, binds[b]);
        if (val && dnscheck_ip_parse(val, &ip) == 0 &&
            dnscheck_ip_is_public(&ip)) {
            add_ip(&run->out, &run->nout, &ip);
            add_ip(&run->recv, &run->nrecv, &ip);
        } else if (b == 0 && n4 == 1) {
            add_ip(&run->out, &run->nout, &one4);
        } else if (b == 1 && n6 == 1) {
            add_ip(&run->out, &run->nout, &one6);
        }
        mem_free(val);
    }
}

void
dnscheck_collect(struct dnscheck_run *run)
{
    static const char *const lists[] = {
        "mydestination", "virtual_alias_domains", "virtual_mailbox_domains",
        "relay_domains"};
    char *origin, *helo;
    const char *helo_param = "smtp_helo_name";

    for (size_t i = 0; i < 4; i++)
        collect_list(run, lists[i], ROLE_RECV | (i < 3 ? ROLE_AUTH : 0u));
    for (size_t i = 0; i < run->o->ndomains; i++)
        add_subject(run, run->o->domains[i], "(command line)", 0, "--domain",
                    ROLE_RECV | ROLE_AUTH);
    origin = pcf_value(run->p, "myorigin");
    if (origin && origin[0] == '/') {
        /* Debian's /etc/mailname style, read as the daemons read it. */
        struct buf why;
        char *text;

        buf_init(&why, 0);
        if ((text = conf_param_file(origin, &why)) != NULL && *text) {
            add_subject(run, text, run->maincf, source_line(run->p, "myorigin"),
                        "myorigin", ROLE_ORIGIN);
        } else {
            report_add(&run->setup, "PD060", -1, run->maincf,
                       source_line(run->p, "myorigin"), 0,
                       "cannot read %s (myorigin): %s", origin,
                       text ? "the file is empty" : buf_str(&why));
        }
        mem_free(text);
        buf_fini(&why);
    } else if (origin) {
        add_subject(run, origin, run->maincf, source_line(run->p, "myorigin"),
                    "myorigin", ROLE_ORIGIN);
    }
    mem_free(origin);

    helo = pcf_value(run->p, "smtp_helo_name");
    if (strcmp(pcf_source(run->p, "smtp_helo_name"), "default") == 0)
        helo_param = "myhostname";
    if (helo && helo[0]) {
        size_t n = strlen(helo);

        while (n && helo[n - 1] == '.')
            helo[--n] = 0;
        for (char *cp = helo; *cp; cp++)
            if (*cp >= 'A' && *cp <= 'Z')
                *cp += 32;
        run->helo = helo;
        run->helo_param = helo_param;
        run->helo_file = mem_strdup(run->maincf);
        run->helo_line = source_line(run->p, helo_param);
    } else {
        mem_free(helo);
    }
    collect_addresses(run);
    if ((run->checks & (DNSCHECK_MX | DNSCHECK_SEND | DNSCHECK_SPF)) &&
        (run->nrecv == 0 || run->nout == 0)) {
        /* A receiving address is always known when an outbound one is. */
        if (run->nrecv == 0)
            report_add(&run->setup, "PD061", -1, run->maincf,
                       source_line(run->p, "inet_interfaces"), 0,
                       "This server's public addresses are unknown "
                       "(inet_interfaces, proxy_interfaces and "
                       "smtp_bind_address name none): MX hosts are not "
                       "matched against them, the HELO name's addresses are "
                       "taken as outbound addresses and SPF authorisation "
                       "is not checked; use --public-ip");
        else
            report_add(&run->setup, "PD061", -1, run->maincf,
                       source_line(run->p, "inet_interfaces"), 0,
                       "This server's public outbound address is unknown "
                       "(no public smtp_bind_address, and inet_interfaces "
                       "names no single public address): the HELO name's "
                       "addresses are taken as outbound addresses and SPF "
                       "authorisation is not checked; use --public-ip");
    }
}

void
dnscheck_load_certs(struct dnscheck_run *run)
{
    struct strv files, tk;
    char *v;
    struct buf err;

    strv_init(&files);
    strv_init(&tk);
    buf_init(&err, 0);
    v = pcf_value(run->p, "smtpd_tls_chain_files");
    if (v && v[0]) {
        run->cert_line = source_line(run->p, "smtpd_tls_chain_files");
        conf_list_split(v, &tk, 0);
        for (size_t i = 0; i < tk.n; i++)
            strv_add(&files, tk.v[i]);
    } else {
        static const char *const params[] = {"smtpd_tls_cert_file",
                                             "smtpd_tls_eccert_file"};

        for (int i = 0; i < 2; i++) {
            char *f = pcf_value(run->p, params[i]);

            if (f && f[0]) {
                strv_add(&files, f);
                if (run->cert_line == 0)
                    run->cert_line = source_line(run->p, params[i]);
            }
            mem_free(f);
        }
    }
    mem_free(v);
    if (files.n) {
        run->certs = dnscheck_dane_certs_load((const char *const *) files.v,
                                              files.n, &err);
        if (run->certs == NULL)
            run->cert_err = buf_steal(&err);
    }
    strv_fini(&files);
    strv_fini(&tk);
    buf_fini(&err);
}
