/*
 * mantext - build-time tool: render docs/man/NAME.1 as plain text in C.
 *
 * DESCRIPTION
 *	"mantext -o OUT.c TOPIC=PAGE.1 ..." formats each manual page the
 *	way man(1) lays it out on a terminal (section headings at the
 *	margin, text indented and filled to 78 columns, tagged
 *	paragraphs) and writes the lines as C string tables, so that
 *	"postern help TOPIC" prints the same text as "man postern-TOPIC"
 *	without a troff at run time.
 *
 *	Only the man(7) macros the pages use are understood: TH SH SS PP
 *	LP P TP IP RS RE nf fi EX EE br sp B I BR RB IR RI BI IB, the font
 *	escapes \fB \fI \fR \fP and the characters \- \e \& \| \(em
 *	\(en \(aq \(dq \(bu and "\ ".
 *
 * DIAGNOSTICS
 *	An unknown request or escape is an error (exit 1), so a page that
 *	man renders differently from "postern help" does not build.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define WIDTH  78
#define INDENT 7
#define NBSP   '\x01'

struct render {
    const char *path;
    int lineno;
    struct strv out; /* finished lines */
    struct buf line; /* line being filled */
    size_t col;      /* its width */
    int base;        /* indent of body text */
    int rs;          /* .RS depth */
    int fill;        /* 0 inside .nf/.EX */
    int tag_next;    /* the next text line is a .TP tag */
    int hang;        /* body indent of the tagged paragraph, or 0 */
    int heading;     /* the last line is a heading: no blank after it */
    int errors;
};

static void err(struct render *rd, const char *fmt, ...) UTIL_PRINTF(2, 3);

static void
err(struct render *rd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "mantext: %s:%d: ", rd->path, rd->lineno);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    rd->errors++;
}

/* emit - finish the current line */
static void
emit(struct render *rd)
{
    char *s = buf_steal(&rd->line);

    for (char *c = s; *c; c++)
        if (*c == NBSP)
            *c = ' ';
    /* No trailing blanks. */
    for (size_t n = strlen(s); n > 0 && s[n - 1] == ' '; n--)
        s[n - 1] = 0;
    strv_adopt(&rd->out, s);
    rd->col = 0;
    rd->heading = 0;
}

static void
flush(struct render *rd)
{
    if (rd->col > 0 || rd->line.len > 0)
        emit(rd);
}

static void
blank(struct render *rd)
{
    flush(rd);
    if (rd->out.n > 0 && rd->out.v[rd->out.n - 1][0] != 0 && !rd->heading)
        strv_add(&rd->out, "");
}

static int
body_indent(struct render *rd)
{
    return rd->base + INDENT * rd->rs + rd->hang;
}

static void
pad_to(struct render *rd, size_t col)
{
    while (rd->col < col) {
        buf_putc(&rd->line, ' ');
        rd->col++;
    }
}

/* word - add one word to the filled line */
static void
word(struct render *rd, const char *w, size_t n)
{
    size_t ind = (size_t) body_indent(rd);

    if (rd->col > ind && rd->col + 1 + n > WIDTH)
        emit(rd);
    if (rd->col < ind) {
        pad_to(rd, ind);
    } else {
        buf_putc(&rd->line, ' ');
        rd->col++;
    }
    buf_append(&rd->line, w, n);
    rd->col += n;
}

/* unescape - the text of s with escapes resolved, into b */
static void
unescape(struct render *rd, const char *s, struct buf *b)
{
    static const struct {
        const char *name;
        const char *text;
    } chars[] = {
        {"em", "--"}, {"en", "-"},  {"aq", "'"},  {"dq", "\""},
        {"bu", "*"},  {"lq", "\""}, {"rq", "\""}, {"mi", "-"},
    };

    buf_truncate(b, 0);
    while (*s) {
        if (*s != '\\') {
            buf_putc(b, *s++);
            continue;
        }
        s++;
        switch (*s) {
        case 'f':
            s++;
            if (*s == '(' && s[1] && s[2])
                s += 3;
            else if (*s)
                s++;
            break;
        case '-':
        case 'e':
            buf_putc(b, *s == 'e' ? '\\' : '-');
            s++;
            break;
        case '&':
        case '|':
            s++;
            break;
        case ' ':
            buf_putc(b, NBSP);
            s++;
            break;
        case '(': {
            size_t i;

            for (i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
                if (strncmp(s + 1, chars[i].name, 2) == 0)
                    break;
            if (i == sizeof(chars) / sizeof(chars[0])) {
                err(rd, "unknown character \\(%.2s", s + 1);
                s += strlen(s) > 2 ? 3 : strlen(s);
                break;
            }
            buf_puts(b, chars[i].text);
            s += 3;
            break;
        }
        default:
            err(rd, "unknown escape \\%.1s", s);
            if (*s)
                s++;
            break;
        }
    }
}

/* text - a line of text (already joined from macro arguments) */
static void
text(struct render *rd, const char *raw)
{
    struct buf b;
    const char *cp;

    buf_init(&b, 0);
    unescape(rd, raw, &b);
    if (rd->tag_next) {
        /* .TP tag: at the paragraph indent; the body hangs after it. */
        int ind = rd->base + INDENT * rd->rs;

        rd->tag_next = 0;
        rd->hang = 0;
        flush(rd);
        pad_to(rd, (size_t) ind);
        buf_puts(&rd->line, buf_str(&b));
        rd->col += b.len;
        rd->hang = INDENT;
        if (rd->col + 1 >= (size_t) body_indent(rd))
            flush(rd);
        buf_fini(&b);
        return;
    }
    if (!rd->fill) {
        flush(rd);
        pad_to(rd, (size_t) body_indent(rd));
        buf_puts(&rd->line, buf_str(&b));
        rd->col += b.len;
        emit(rd);
        buf_fini(&b);
        return;
    }
    for (cp = buf_str(&b); *cp;) {
        size_t n;

        while (*cp == ' ' || *cp == '\t')
            cp++;
        n = strcspn(cp, " \t");
        if (n)
            word(rd, cp, n);
        cp += n;
    }
    buf_fini(&b);
}

/* args - the macro's arguments ("quoted" ones kept whole), joined by sep */
static void
args(const char *s, const char *sep, struct buf *out)
{
    int first = 1;

    buf_truncate(out, 0);
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == 0)
            break;
        if (!first)
            buf_puts(out, sep);
        first = 0;
        if (*s == '"') {
            s++;
            while (*s && *s != '"')
                buf_putc(out, *s++);
            if (*s == '"')
                s++;
        } else {
            while (*s && *s != ' ' && *s != '\t')
                buf_putc(out, *s++);
        }
    }
}

static void
request(struct render *rd, const char *line)
{
    char name[8];
    size_t n = strcspn(line + 1, " \t");
    const char *rest = line + 1 + n;
    struct buf a;

    if (n == 0 || strncmp(line, ".\\\"", 3) == 0 ||
        strncmp(line, "'\\\"", 3) == 0)
        return;
    if (n >= sizeof(name)) {
        err(rd, "unknown request %s", line);
        return;
    }
    memcpy(name, line + 1, n);
    name[n] = 0;
    buf_init(&a, 0);
    if (strcmp(name, "TH") == 0) {
        struct buf h;
        size_t pad;

        args(rest, "\n", &a);
        buf_init(&h, 0);
        {
            char *t = mem_strdup(buf_str(&a)), *sec = strchr(t, '\n');
            char *title = t;

            if (sec) {
                *sec++ = 0;
                sec[strcspn(sec, "\n")] = 0;
            }
            for (char *c = title; *c; c++)
                *c = (char) toupper((unsigned char) *c);
            buf_printf(&h, "%s(%s)", title, sec ? sec : "1");
            mem_free(t);
        }
        pad = WIDTH > 2 * h.len + 14 ? WIDTH - 2 * h.len - 14 : 1;
        buf_printf(&rd->line, "%s%*s%s%*s%s", buf_str(&h), (int) (pad / 2), "",
                   "Postern Manual", (int) (pad - pad / 2), "", buf_str(&h));
        rd->col = rd->line.len;
        emit(rd);
        buf_fini(&h);
    } else if (strcmp(name, "SH") == 0 || strcmp(name, "SS") == 0) {
        struct buf u;

        blank(rd);
        rd->rs = 0;
        rd->hang = 0;
        rd->base = 0;
        rd->fill = 1;
        args(rest, " ", &a);
        buf_init(&u, 0);
        unescape(rd, buf_str(&a), &u);
        pad_to(rd, name[1] == 'S' ? 3 : 0);
        buf_puts(&rd->line, buf_str(&u));
        rd->col += u.len;
        emit(rd);
        rd->heading = 1;
        buf_fini(&u);
        rd->base = INDENT;
    } else if (strcmp(name, "PP") == 0 || strcmp(name, "LP") == 0 ||
               strcmp(name, "P") == 0) {
        blank(rd);
        rd->hang = 0;
    } else if (strcmp(name, "TP") == 0) {
        blank(rd);
        rd->hang = 0;
        rd->tag_next = 1;
    } else if (strcmp(name, "IP") == 0) {
        blank(rd);
        rd->hang = 0;
        args(rest, "\n", &a);
        {
            char *tag = mem_strdup(buf_str(&a));

            tag[strcspn(tag, "\n")] = 0;
            if (*tag) {
                rd->tag_next = 1;
                text(rd, tag);
            } else {
                rd->hang = INDENT;
            }
            mem_free(tag);
        }
    } else if (strcmp(name, "RS") == 0) {
        flush(rd);
        rd->rs++;
    } else if (strcmp(name, "RE") == 0) {
        flush(rd);
        if (rd->rs > 0)
            rd->rs--;
    } else if (strcmp(name, "nf") == 0 || strcmp(name, "EX") == 0) {
        flush(rd);
        rd->fill = 0;
    } else if (strcmp(name, "fi") == 0 || strcmp(name, "EE") == 0) {
        flush(rd);
        rd->fill = 1;
    } else if (strcmp(name, "br") == 0) {
        flush(rd);
    } else if (strcmp(name, "sp") == 0) {
        flush(rd);
        strv_add(&rd->out, "");
    } else if (strcmp(name, "B") == 0 || strcmp(name, "I") == 0) {
        args(rest, " ", &a);
        text(rd, buf_str(&a));
    } else if (strlen(name) == 2 && strchr("BIR", name[0]) &&
               strchr("BIR", name[1]) && name[0] != name[1]) {
        args(rest, "", &a);
        text(rd, buf_str(&a));
    } else {
        err(rd, "unknown request .%s", name);
    }
    buf_fini(&a);
}

static int
render(const char *path, struct strv *out)
{
    struct render rd;
    char *data, *line, *next;
    size_t len;

    memset(&rd, 0, sizeof(rd));
    rd.path = path;
    rd.fill = 1;
    strv_init(&rd.out);
    buf_init(&rd.line, 0);
    if (util_read_file(path, 1 << 20, &data, &len) < 0) {
        fprintf(stderr, "mantext: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (line = data; *line; line = next) {
        next = line + strcspn(line, "\n");
        if (*next)
            *next++ = 0;
        rd.lineno++;
        if (*line == '.' || *line == '\'')
            request(&rd, line);
        else if (*line == 0 && rd.fill)
            blank(&rd);
        else
            text(&rd, line);
    }
    flush(&rd);
    while (rd.out.n > 0 && rd.out.v[rd.out.n - 1][0] == 0) {
        mem_free(rd.out.v[--rd.out.n]);
        rd.out.v[rd.out.n] = NULL;
    }
    mem_free(data);
    buf_fini(&rd.line);
    *out = rd.out;
    return rd.errors ? -1 : 0;
}

/* c_string - s as a C string literal */
static void
c_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(fp, "\\%c", *s);
        else if (isprint((unsigned char) *s))
            fputc(*s, fp);
        else
            fprintf(fp, "\\%03o", (unsigned char) *s);
    }
    fputc('"', fp);
}

int
main(int argc, char **argv)
{
    FILE *fp;
    struct strv topics;
    int rc = 0;

    log_set_progname("mantext");
    if (argc < 3 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: mantext -o OUT.c TOPIC=PAGE.1 ...\n");
        return 2;
    }
    if ((fp = fopen(argv[2], "w")) == NULL) {
        fprintf(stderr, "mantext: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    strv_init(&topics);
    fputs("/* Generated by tools/mantext from docs/man/; do not edit. */\n"
          "#include \"repl/repl_int.h\"\n\n",
          fp);
    for (int i = 3; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        struct strv lines;

        if (eq == NULL) {
            fprintf(stderr, "mantext: %s: expected TOPIC=PAGE\n", argv[i]);
            rc = 1;
            continue;
        }
        if (render(eq + 1, &lines) < 0) {
            rc = 1;
            continue;
        }
        fprintf(fp, "static const char *const page%d[] = {\n", i);
        for (size_t k = 0; k < lines.n; k++) {
            fputs("    ", fp);
            c_string(fp, lines.v[k]);
            fputs(",\n", fp);
        }
        fputs("    NULL,\n};\n\n", fp);
        strv_fini(&lines);
        {
            struct buf e;

            buf_init(&e, 0);
            buf_printf(&e, "    {\"%.*s\", page%d},\n", (int) (eq - argv[i]),
                       argv[i], i);
            strv_adopt(&topics, buf_steal(&e));
        }
    }
    fputs("const struct repl_help_page repl_help_pages[] = {\n", fp);
    for (size_t k = 0; k < topics.n; k++)
        fputs(topics.v[k], fp);
    fputs("    {NULL, NULL},\n};\n", fp);
    strv_fini(&topics);
    if (fclose(fp) != 0) {
        fprintf(stderr, "mantext: %s: %s\n", argv[2], strerror(errno));
        rc = 1;
    }
    if (rc != 0)
        remove(argv[2]);
    return rc;
}
