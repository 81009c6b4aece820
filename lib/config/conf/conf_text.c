/*
 * conf_text - Postfix's text primitives: split_nameval, mystrtokq,
 *	balpar, extpar.
 *
 * DESCRIPTION
 *	These decide how postconf sees a value, so their corner cases
 *	(unbalanced braces, text after '}', blanks around '=') follow
 *	Postfix 3.7 exactly; the error texts are Postfix's.
 */
#include <ctype.h>
#include <string.h>

#include "conf/conf.h"

const char *
conf_split_nameval(char *buf, char **name, char **value)
{
    char *np, *ep, *cp, *vp, *end;

    for (np = buf; *np && isspace((unsigned char) *np); np++)
        ;
    if (*np == 0 || *np == '=')
        return "missing attribute name";
    for (ep = np; *ep && !isspace((unsigned char) *ep) && *ep != '='; ep++)
        ;
    for (cp = ep; *cp && isspace((unsigned char) *cp); cp++)
        ;
    if (*cp != '=')
        return "missing '=' after attribute name";
    *ep = 0;
    cp++;
    for (vp = cp; *vp && isspace((unsigned char) *vp); vp++)
        ;
    end = vp + strlen(vp);
    while (end > vp && isspace((unsigned char) end[-1]))
        end--;
    *end = 0;
    *name = np;
    *value = vp;
    return NULL;
}

char *
conf_tok_next(char **src, const char *sep)
{
    char *start = *src;
    char *cp;
    int level;

    start += strspn(start, sep);
    if (*start == 0) {
        *src = start;
        return NULL;
    }
    for (level = 0, cp = start; *cp; cp++) {
        if (*cp == '{') {
            level++;
        } else if (level > 0 && *cp == '}') {
            level--;
        } else if (level == 0 && strchr(sep, *cp) != NULL) {
            *cp++ = 0;
            break;
        }
    }
    *src = cp;
    return start;
}

size_t
conf_balpar(const char *s)
{
    const char *cp;
    int level;

    if (*s != '{')
        return 0;
    for (level = 1, cp = s + 1; *cp; cp++) {
        if (*cp == '}') {
            if (--level == 0)
                return (size_t) (cp - s + 1);
        } else if (*cp == '{') {
            level++;
        }
    }
    return 0;
}

char *
conf_extpar(char **bp, int strip)
{
    char *cp = *bp;
    char *err = NULL;
    size_t len;
    struct buf b;

    buf_init(&b, 0);
    if ((len = conf_balpar(cp)) == 0) {
        buf_printf(&b, "missing '}' in \"%s\"", cp);
        err = buf_steal(&b);
        cp += 1;
    } else {
        if (cp[len] != 0) {
            buf_printf(&b, "syntax error after '}' in \"%s\"", cp);
            err = buf_steal(&b);
        }
        cp += 1;
        cp[len - 2] = 0;
    }
    buf_fini(&b);
    if (strip) {
        char *end = cp + strlen(cp);

        while (end > cp && isspace((unsigned char) end[-1]))
            end--;
        *end = 0;
        while (isspace((unsigned char) *cp))
            cp++;
    }
    *bp = cp;
    return err;
}

void
conf_list_split(const char *value, struct strv *out, unsigned flags)
{
    char *copy = mem_strdup(value ? value : ""), *cp = copy, *tok;

    while ((tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL) {
        if ((flags & CONF_LIST_UNBRACE) && *tok == '{')
            mem_free(conf_extpar(&tok, 1)); /* unbalanced: the rest */
        strv_add(out, tok);
    }
    mem_free(copy);
}
