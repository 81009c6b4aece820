/*
 * dnscheck_dane - TLSA records against the server's own certificates.
 *
 * DESCRIPTION
 *	The certificates are read from PEM files (smtpd_tls_cert_file,
 *	smtpd_tls_eccert_file or smtpd_tls_chain_files): the first
 *	certificate of a file is the server's (end entity), the rest its
 *	chain. Other PEM blocks (keys) are skipped. TLSA data is computed
 *	locally (RFC 6698 section 2.1): selector 0 is the whole DER
 *	certificate, 1 its DER SubjectPublicKeyInfo; matching type 0 is
 *	the data itself, 1 SHA-256, 2 SHA-512. DANE-EE (usage 3) matches
 *	the end entity; DANE-TA (usage 2) matches a certificate of the
 *	chain (RFC 7671 section 5.2: the server must send it).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"

#define DANE_MAX_CERTS 16

struct chain {
    char *file;
    X509 *cert[DANE_MAX_CERTS];
    size_t n;
};

struct dnscheck_dane_certs {
    struct chain *c;
    size_t n;
};

struct dnscheck_dane_certs *
dnscheck_dane_certs_load(const char *const *files, size_t n, struct buf *err)
{
    struct dnscheck_dane_certs *dc = mem_calloc(1, sizeof(*dc));

    dc->c = mem_calloc(n ? n : 1, sizeof(*dc->c));
    for (size_t i = 0; i < n; i++) {
        struct chain *ch = &dc->c[dc->n++];
        FILE *fp = fopen(files[i], "r");
        X509 *x;

        ch->file = mem_strdup(files[i]);
        if (fp == NULL) {
            buf_printf(err, "%s: %s", files[i], strerror(errno));
            dnscheck_dane_certs_free(dc);
            return NULL;
        }
        while (ch->n < DANE_MAX_CERTS &&
               (x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
            ch->cert[ch->n++] = x;
        fclose(fp);
        if (ch->n == 0) {
            buf_printf(err, "%s: no PEM certificate", files[i]);
            dnscheck_dane_certs_free(dc);
            return NULL;
        }
    }
    return dc;
}

void
dnscheck_dane_certs_free(struct dnscheck_dane_certs *dc)
{
    if (dc == NULL)
        return;
    for (size_t i = 0; i < dc->n; i++) {
        for (size_t k = 0; k < dc->c[i].n; k++)
            X509_free(dc->c[i].cert[k]);
        mem_free(dc->c[i].file);
    }
    mem_free(dc->c);
    mem_free(dc);
}

size_t
dnscheck_dane_certs_count(const struct dnscheck_dane_certs *dc)
{
    return dc ? dc->n : 0;
}

const char *
dnscheck_dane_certs_file(const struct dnscheck_dane_certs *dc, size_t i)
{
    return dc->c[i].file;
}

/* select_der - DER of the certificate (0) or its SPKI (1); caller frees */
static int
select_der(X509 *x, int selector, unsigned char **der)
{
    *der = NULL;
    if (selector == 0)
        return i2d_X509(x, der);
    if (selector == 1)
        return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), der);
    return -1;
}

/* tlsa_data - association data for x; length, or -1 */
static int
tlsa_data(X509 *x, int selector, int mtype, unsigned char *out, size_t cap)
{
    unsigned char *der;
    unsigned int mdlen = 0;
    int len = select_der(x, selector, &der), rc = -1;

    if (len <= 0)
        return -1;
    if (mtype == 0) {
        if ((size_t) len <= cap) {
            memcpy(out, der, (size_t) len);
            rc = len;
        }
    } else if ((mtype == 1 || mtype == 2) && cap >= EVP_MAX_MD_SIZE) {
        if (EVP_Digest(der, (size_t) len, out, &mdlen,
                       mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL) == 1)
            rc = (int) mdlen;
    }
    OPENSSL_free(der);
    return rc;
}

int
dnscheck_dane_match(const struct dnscheck_dane_certs *dc, size_t i, int usage,
                    int selector, int mtype, const unsigned char *data,
                    size_t len)
{
    const struct chain *ch = &dc->c[i];
    unsigned char buf[16384];
    size_t first, last;

    if (selector < 0 || selector > 1 || mtype < 0 || mtype > 2)
        return -1;
    if (usage == 3) {
        first = 0;
        last = 1;
    } else if (usage == 2) {
        first = ch->n > 1 ? 1 : 0;
        last = ch->n;
    } else {
        return 0;
    }
    for (size_t k = first; k < last; k++) {
        int n = tlsa_data(ch->cert[k], selector, mtype, buf, sizeof(buf));

        if (n >= 0 && (size_t) n == len && memcmp(buf, data, len) == 0)
            return 1;
    }
    return 0;
}

static void
put_hex(struct buf *b, const unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        buf_printf(b, "%02x", p[i]);
}

void
dnscheck_dane_expect(const struct dnscheck_dane_certs *dc, size_t i,
                     struct buf *b)
{
    const struct chain *ch = &dc->c[i];
    unsigned char md[EVP_MAX_MD_SIZE];
    int n;

    /* The usual choices: DANE-EE 3 1 1, and 2 1 1 for each issuer. */
    n = tlsa_data(ch->cert[0], 1, 1, md, sizeof(md));
    if (n > 0) {
        buf_printf(b, "%s: 3 1 1 ", ch->file);
        put_hex(b, md, n);
        buf_putc(b, '\n');
    }
    for (size_t k = 1; k < ch->n; k++) {
        n = tlsa_data(ch->cert[k], 1, 1, md, sizeof(md));
        if (n > 0) {
            buf_printf(b, "%s: 2 1 1 ", ch->file);
            put_hex(b, md, n);
            buf_putc(b, '\n');
        }
    }
}
