/*
 * report - the finding collection and its output formats.
 *
 * DESCRIPTION
 *	Formats follow their published shapes: SARIF 2.1.0 (one run, the
 *	rules of every registered table in tool.driver.rules), Checkstyle
 *	XML, JUnit XML (one testcase per finding, a passing one when there
 *	is none), GitHub workflow commands (::error file=..,line=..::msg)
 *	and GitLab Code Quality (fingerprint = SHA-256 of rule, file, line
 *	and message, through OpenSSL).
 */
#include "report/report.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"

void
report_init(struct report *r, const char *tool)
{
    memset(r, 0, sizeof(*r));
    r->tool = tool;
}

void
report_fini(struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        mem_free(r->f[i].file);
        mem_free(r->f[i].message);
        mem_free(r->f[i].evidence);
    }
    mem_free(r->f);
    memset(r, 0, sizeof(*r));
}

void
report_add_rules(struct report *r, const struct report_rule *rules, size_t n)
{
    if (r->ntables < sizeof(r->rules) / sizeof(r->rules[0])) {
        r->rules[r->ntables] = rules;
        r->nrules[r->ntables++] = n;
    }
}

const struct report_rule *
report_rule_find(const struct report *r, const char *id)
{
    for (size_t t = 0; t < r->ntables; t++)
        for (size_t i = 0; i < r->nrules[t]; i++)
            if (strcmp(r->rules[t][i].id, id) == 0)
                return &r->rules[t][i];
    return NULL;
}

struct report_finding *
report_add(struct report *r, const char *rule_id, int sev, const char *file,
           int line, int col, const char *fmt, ...)
{
    struct report_finding *f;
    const struct report_rule *rule = report_rule_find(r, rule_id);
    struct buf b;
    va_list ap;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->f = mem_realloc(r->f, r->cap * sizeof(*r->f));
    }
    f = &r->f[r->n++];
    memset(f, 0, sizeof(*f));
    f->rule_id = rule ? rule->id : rule_id;
    f->sev = sev >= 0 ? (enum report_sev) sev
             : rule   ? rule->sev
                      : REPORT_WARNING;
    f->file = mem_strdup(file ? file : "");
    f->line = line;
    f->col = col;
    buf_init(&b, 0);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    f->message = buf_steal(&b);
    return f;
}

void
report_set_evidence(struct report_finding *f, const char *text)
{
    mem_free(f->evidence);
    f->evidence = text ? mem_strdup(text) : NULL;
}

static int
cmp_finding(const void *a, const void *b)
{
    const struct report_finding *x = a, *y = b;
    int c;

    if ((c = strcmp(x->file, y->file)) != 0)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    if ((c = strcmp(x->rule_id, y->rule_id)) != 0)
        return c;
    return strcmp(x->message, y->message);
}

void
report_sort(struct report *r)
{
    if (r->n > 1)
        qsort(r->f, r->n, sizeof(*r->f), cmp_finding);
}

size_t
report_count(const struct report *r, enum report_sev sev)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++)
        if (r->f[i].sev <= sev)
            n++;
    return n;
}

static const char *const sev_names[] = {"error", "warning", "info", "style"};

const char *
report_sev_name(enum report_sev sev)
{
    return sev_names[sev];
}

int
report_sev_parse(const char *s, enum report_sev *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, sev_names[i]) == 0) {
            *out = (enum report_sev) i;
            return 0;
        }
    }
    return -1;
}

int
report_format_valid(const char *format)
{
    static const char *const formats[] = {"text",       "json",  "sarif",
                                          "checkstyle", "junit", "github",
                                          "gitlab",     NULL};

    for (const char *const *fp = formats; *fp; fp++)
        if (strcmp(*fp, format) == 0)
            return 1;
    return 0;
}

/* xml - XML text escaping */
static void
xml(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '&':
            fputs("&amp;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        case '\n':
            fputs("&#10;", fp);
            break;
        default:
            if ((unsigned char) *s < 0x20 && *s != '\t')
                fprintf(fp, "&#%d;", *s);
            else
                fputc(*s, fp);
        }
    }
}

/* gh - GitHub workflow command escaping (data, or a property value) */
static void
gh(FILE *fp, const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%')
            fputs("%25", fp);
        else if (*s == '\r')
            fputs("%0D", fp);
        else if (*s == '\n')
            fputs("%0A", fp);
        else if (property && *s == ':')
            fputs("%3A", fp);
        else if (property && *s == ',')
            fputs("%2C", fp);
        else
            fputc(*s, fp);
    }
}

static void
write_text(const struct report *r, FILE *fp, int color)
{
    static const char *const colors[] = {"\033[1;31m", "\033[1;33m",
                                         "\033[1;36m", "\033[1;35m"};

    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];

        fputs(f->file, fp);
        if (f->line > 0)
            fprintf(fp, ":%d", f->line);
        if (f->line > 0 && f->col > 0)
            fprintf(fp, ":%d", f->col);
        fprintf(fp, ": %s%s%s: %s [%s]\n", color ? colors[f->sev] : "",
                sev_names[f->sev], color ? "\033[0m" : "", f->message,
                f->rule_id);
        if (f->evidence) {
            const char *cp = f->evidence;

            while (*cp) {
                size_t n = strcspn(cp, "\n");

                fprintf(fp, "    | %.*s\n", (int) n, cp);
                cp += n;
                if (*cp == '\n')
                    cp++;
            }
        }
    }
    if (r->n) {
        fprintf(fp,
                "%zu finding%s: %zu error, %zu warning, %zu info, %zu style\n",
                r->n, r->n == 1 ? "" : "s", report_count(r, REPORT_ERROR),
                report_count(r, REPORT_WARNING) - report_count(r, REPORT_ERROR),
                report_count(r, REPORT_INFO) - report_count(r, REPORT_WARNING),
                report_count(r, REPORT_STYLE) - report_count(r, REPORT_INFO));
    }
}

static int
write_json(const struct report *r, FILE *fp)
{
    struct out_val *root = out_obj_new(), *arr = out_arr_new(),
                   *sum = out_obj_new();
    int rc;

    out_obj_str(root, "tool", r->tool);
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];
        struct out_val *o = out_obj_new();

        out_obj_str(o, "rule", f->rule_id);
        out_obj_str(o, "severity", sev_names[f->sev]);
        out_obj_str(o, "file", f->file);
        out_obj_int(o, "line", f->line);
        out_obj_int(o, "column", f->col);
        out_obj_str(o, "message", f->message);
        if (f->evidence)
            out_obj_str(o, "evidence", f->evidence);
        out_arr_add(arr, o);
    }
    out_obj_add(root, "findings", arr);
    for (int s = 0; s < 4; s++) {
        size_t n = 0;

        for (size_t i = 0; i < r->n; i++)
            if ((int) r->f[i].sev == s)
                n++;
        out_obj_int(sum, sev_names[s], (long long) n);
    }
    out_obj_add(root, "summary", sum);
    rc = out_print(root, fp);
    out_free(root);
    return rc;
}

static const char *
sarif_level(enum report_sev s)
{
    return s == REPORT_ERROR     ? "error"
           : s == REPORT_WARNING ? "warning"
                                 : "note";
}

static int
write_sarif(const struct report *r, FILE *fp)
{
    struct out_val *root = out_obj_new(), *runs = out_arr_new(),
                   *run = out_obj_new(), *tool = out_obj_new(),
                   *driver = out_obj_new(), *rules = out_arr_new(),
                   *results = out_arr_new();
    int rc;

    out_obj_str(root, "$schema",
                "https://json.schemastore.org/sarif-2.1.0.json");
    out_obj_str(root, "version", "2.1.0");
    out_obj_str(driver, "name", "postern");
    out_obj_str(driver, "informationUri",
                "https://postern.invalid/docs/rules/");
    for (size_t t = 0; t < r->ntables; t++) {
        for (size_t i = 0; i < r->nrules[t]; i++) {
            const struct report_rule *ru = &r->rules[t][i];
            struct out_val *o = out_obj_new(), *sd = out_obj_new(),
                           *dc = out_obj_new();
            struct buf uri;

            out_obj_str(o, "id", ru->id);
            out_obj_str(o, "name", ru->name);
            out_obj_str(sd, "text", ru->summary);
            out_obj_add(o, "shortDescription", sd);
            out_obj_str(dc, "level", sarif_level(ru->sev));
            out_obj_add(o, "defaultConfiguration", dc);
            buf_init(&uri, 0);
            buf_printf(&uri, "https://postern.invalid/docs/rules/%s.md",
                       ru->id);
            out_obj_str(o, "helpUri", buf_str(&uri));
            buf_fini(&uri);
            out_arr_add(rules, o);
        }
    }
    out_obj_add(driver, "rules", rules);
    out_obj_add(tool, "driver", driver);
    out_obj_add(run, "tool", tool);
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];
        struct out_val *o = out_obj_new(), *msg = out_obj_new(),
                       *locs = out_arr_new(), *loc = out_obj_new(),
                       *phys = out_obj_new(), *art = out_obj_new();

        out_obj_str(o, "ruleId", f->rule_id);
        out_obj_str(o, "level", sarif_level(f->sev));
        out_obj_str(msg, "text", f->message);
        out_obj_add(o, "message", msg);
        out_obj_str(art, "uri", f->file);
        out_obj_add(phys, "artifactLocation", art);
        if (f->line > 0) {
            struct out_val *region = out_obj_new();

            out_obj_int(region, "startLine", f->line);
            if (f->col > 0)
                out_obj_int(region, "startColumn", f->col);
            out_obj_add(phys, "region", region);
        }
        out_obj_add(loc, "physicalLocation", phys);
        out_arr_add(locs, loc);
        out_obj_add(o, "locations", locs);
        out_arr_add(results, o);
    }
    out_obj_add(run, "results", results);
    out_arr_add(runs, run);
    out_obj_add(root, "runs", runs);
    rc = out_print(root, fp);
    out_free(root);
    return rc;
}

static void
write_checkstyle(const struct report *r, FILE *fp)
{
    const char *cur = NULL;

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<checkstyle version=\"4.3\">\n",
          fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];

        if (cur == NULL || strcmp(cur, f->file) != 0) {
            if (cur)
                fputs("  </file>\n", fp);
            fputs("  <file name=\"", fp);
            xml(fp, f->file);
            fputs("\">\n", fp);
            cur = f->file;
        }
        fprintf(fp,
                "    <error line=\"%d\" column=\"%d\" severity=\"%s\" "
                "message=\"",
                f->line, f->col,
                f->sev == REPORT_ERROR     ? "error"
                : f->sev == REPORT_WARNING ? "warning"
                                           : "info");
        xml(fp, f->message);
        fprintf(fp, "\" source=\"postern.%s\"/>\n", f->rule_id);
    }
    if (cur)
        fputs("  </file>\n", fp);
    fputs("</checkstyle>\n", fp);
}

static void
write_junit(const struct report *r, FILE *fp)
{
    size_t failures = report_count(r, REPORT_WARNING);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", fp);
    fprintf(fp, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\">\n",
            r->tool, r->n ? r->n : 1, failures);
    if (r->n == 0)
        fputs("    <testcase name=\"no findings\" classname=\"postern\"/>\n",
              fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];

        fprintf(fp, "    <testcase name=\"%s ", f->rule_id);
        xml(fp, f->file);
        fprintf(fp, ":%d:%d\" classname=\"", f->line, f->col);
        xml(fp, f->file);
        fputs("\">\n", fp);
        if (f->sev <= REPORT_WARNING) {
            fputs("      <failure message=\"", fp);
            xml(fp, f->message);
            fprintf(fp, "\" type=\"%s\">", sev_names[f->sev]);
            xml(fp, f->message);
            fputs("</failure>\n", fp);
        } else {
            /* Not a failure: info and style findings go to system-out. */
            fputs("      <system-out>", fp);
            xml(fp, f->message);
            fputs("</system-out>\n", fp);
        }
        fputs("    </testcase>\n", fp);
    }
    fputs("  </testsuite>\n</testsuites>\n", fp);
}

static void
write_github(const struct report *r, FILE *fp)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];
        const char *cmd = f->sev == REPORT_ERROR     ? "error"
                          : f->sev == REPORT_WARNING ? "warning"
                                                     : "notice";

        fprintf(fp, "::%s file=", cmd);
        gh(fp, f->file, 1);
        if (f->line > 0)
            fprintf(fp, ",line=%d", f->line);
        if (f->line > 0 && f->col > 0)
            fprintf(fp, ",col=%d", f->col);
        fputs(",title=", fp);
        gh(fp, f->rule_id, 1);
        fputs("::", fp);
        gh(fp, f->message, 0);
        fputc('\n', fp);
    }
}

static void
fingerprint(const struct report_finding *f, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s\n%s\n%d\n%s", f->rule_id, f->file, f->line, f->message);
    if (EVP_Digest(b.data, b.len, md, &len, EVP_sha256(), NULL) != 1)
        log_fatal("SHA-256 digest failed");
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = 0;
    buf_fini(&b);
}

static int
write_gitlab(const struct report *r, FILE *fp)
{
    struct out_val *arr = out_arr_new();
    int rc;

    for (size_t i = 0; i < r->n; i++) {
        const struct report_finding *f = &r->f[i];
        struct out_val *o = out_obj_new(), *loc = out_obj_new(),
                       *lines = out_obj_new();
        char fp_hex[65];

        fingerprint(f, fp_hex);
        out_obj_str(o, "description", f->message);
        out_obj_str(o, "check_name", f->rule_id);
        out_obj_str(o, "fingerprint", fp_hex);
        out_obj_str(o, "severity",
                    f->sev == REPORT_ERROR     ? "critical"
                    : f->sev == REPORT_WARNING ? "major"
                    : f->sev == REPORT_INFO    ? "info"
                                               : "minor");
        out_obj_str(loc, "path", f->file);
        out_obj_int(lines, "begin", f->line > 0 ? f->line : 1);
        out_obj_add(loc, "lines", lines);
        out_obj_add(o, "location", loc);
        out_arr_add(arr, o);
    }
    rc = out_print(arr, fp);
    out_free(arr);
    return rc;
}

int
report_write(const struct report *r, const char *format, FILE *fp, int color)
{
    int rc = 0;

    if (strcmp(format, "json") == 0)
        rc = write_json(r, fp);
    else if (strcmp(format, "sarif") == 0)
        rc = write_sarif(r, fp);
    else if (strcmp(format, "checkstyle") == 0)
        write_checkstyle(r, fp);
    else if (strcmp(format, "junit") == 0)
        write_junit(r, fp);
    else if (strcmp(format, "github") == 0)
        write_github(r, fp);
    else if (strcmp(format, "gitlab") == 0)
        rc = write_gitlab(r, fp);
    else
        write_text(r, fp, color);
    if (fflush(fp) != 0 || ferror(fp))
        rc = -1;
    return rc;
}
