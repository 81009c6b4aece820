/*
 * smtpd_restr - the names of Postfix 3.7's SMTP server restrictions and
 *	what Postern does with each.
 *
 * DESCRIPTION
 *	One table for the engine (smtpd_check.c) and the check-time lint
 *	(smtpd_check_lint.c), so that what "postern check" says is
 *	refused is exactly what the engine cannot do. Old names Postfix
 *	still accepts (reject_unknown_client, reject_invalid_hostname,
 *	check_recipient_maps, ...) map to the same id.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <stddef.h>
#include <strings.h>

#include "smtpd/smtpd_int.h"

#define T  SMTPD_RF_TABLE
#define A  SMTPD_RF_ARG
#define NI SMTPD_RF_NOIMPL

static const char rbl[] = "maps_rbl_domains is obsolete: use "
                          "reject_rbl_client";
static const char verify[] = "the address verification service is not "
                             "implemented";
static const char ccert[] = "client certificates are not requested";

static const struct smtpd_restr table[] = {
    {"permit", R_PERMIT, SMTPD_RF_LAST, NULL},
    {"reject", R_REJECT, SMTPD_RF_LAST, NULL},
    {"defer", R_DEFER, SMTPD_RF_LAST, NULL},
    {"warn_if_reject", R_WARN_IF_REJECT, 0, NULL},
    {"defer_if_permit", R_DEFER_IF_PERMIT, 0, NULL},
    {"defer_if_reject", R_DEFER_IF_REJECT, 0, NULL},
    {"sleep", R_SLEEP, SMTPD_RF_NUM, NULL},
    {"reject_unauth_pipelining", R_UNAUTH_PIPELINING, 0, NULL},
    {"reject_plaintext_session", R_PLAINTEXT, 0, NULL},
    /* client */
    {"reject_unknown_client_hostname", R_UNK_CLIENT, 0, NULL},
    {"reject_unknown_client", R_UNK_CLIENT, 0, NULL},
    {"reject_unknown_reverse_client_hostname", R_UNK_REV_CLIENT, 0, NULL},
    {"permit_inet_interfaces", R_INET_INTERFACES, 0, NULL},
    {"permit_mynetworks", R_MYNETWORKS, 0, NULL},
    {"check_client_access", R_CLIENT_ACCESS, T, NULL},
    {"check_reverse_client_hostname_access", R_REV_CLIENT_ACCESS, T, NULL},
    {"check_client_mx_access", R_CLIENT_MX, T, NULL},
    {"check_client_ns_access", R_CLIENT_NS, T, NULL},
    {"check_client_a_access", R_CLIENT_A, T, NULL},
    {"check_reverse_client_hostname_mx_access", R_REV_CLIENT_MX, T, NULL},
    {"check_reverse_client_hostname_ns_access", R_REV_CLIENT_NS, T, NULL},
    {"check_reverse_client_hostname_a_access", R_REV_CLIENT_A, T, NULL},
    {"reject_rbl_client", R_RBL_CLIENT, A, NULL},
    {"reject_rbl", R_RBL_CLIENT, A, NULL},
    {"reject_maps_rbl", R_NOT_IMPLEMENTED, NI, rbl},
    {"reject_rhsbl_client", R_RHSBL_CLIENT, A, NULL},
    {"reject_rhsbl_reverse_client", R_RHSBL_REV_CLIENT, A, NULL},
    {"permit_dnswl_client", R_DNSWL_CLIENT, A, NULL},
    {"permit_rhswl_client", R_RHSWL_CLIENT, A, NULL},
    {"check_ccert_access", R_NOT_IMPLEMENTED, T | NI, ccert},
    {"check_sasl_access", R_SASL_ACCESS, T, NULL},
    {"check_policy_service", R_POLICY, 0, NULL},
    {"permit_sasl_authenticated", R_SASL_AUTH, 0, NULL},
    {"permit_tls_clientcerts", R_TLS_CLIENTCERTS, 0, NULL},
    {"permit_tls_all_clientcerts", R_TLS_CLIENTCERTS, 0, NULL},
    /* helo */
    {"check_helo_access", R_HELO_ACCESS, T, NULL},
    {"check_helo_mx_access", R_HELO_MX, T, NULL},
    {"check_helo_ns_access", R_HELO_NS, T, NULL},
    {"check_helo_a_access", R_HELO_A, T, NULL},
    {"reject_invalid_helo_hostname", R_INVALID_HELO, 0, NULL},
    {"reject_invalid_hostname", R_INVALID_HELO, 0, NULL},
    {"reject_unknown_helo_hostname", R_UNK_HELO, 0, NULL},
    {"reject_unknown_hostname", R_UNK_HELO, 0, NULL},
    {"reject_non_fqdn_helo_hostname", R_NON_FQDN_HELO, 0, NULL},
    {"reject_non_fqdn_hostname", R_NON_FQDN_HELO, 0, NULL},
    {"permit_naked_ip_address", R_NAKED_IP, 0, NULL},
    {"reject_rhsbl_helo", R_RHSBL_HELO, A, NULL},
    /* sender */
    {"check_sender_access", R_SENDER_ACCESS, T, NULL},
    {"check_sender_mx_access", R_SENDER_MX, T, NULL},
    {"check_sender_ns_access", R_SENDER_NS, T, NULL},
    {"check_sender_a_access", R_SENDER_A, T, NULL},
    {"reject_unknown_sender_domain", R_UNK_SENDER, 0, NULL},
    {"reject_unknown_address", R_UNK_SENDER, 0, NULL},
    {"reject_non_fqdn_sender", R_NON_FQDN_SENDER, 0, NULL},
    {"reject_unlisted_sender", R_UNLISTED_SENDER, 0, NULL},
    {"reject_authenticated_sender_login_mismatch", R_AUTH_LOGIN_MISMATCH, 0,
     NULL},
    {"reject_known_sender_login_mismatch", R_KNOWN_LOGIN_MISMATCH, 0, NULL},
    {"reject_sender_login_mismatch", R_LOGIN_MISMATCH, 0, NULL},
    {"reject_unauthenticated_sender_login_mismatch", R_UNAUTH_LOGIN_MISMATCH, 0,
     NULL},
    {"reject_unverified_sender", R_NOT_IMPLEMENTED, NI, verify},
    {"reject_rhsbl_sender", R_RHSBL_SENDER, A, NULL},
    /* recipient */
    {"check_recipient_access", R_RCPT_ACCESS, T, NULL},
    {"check_recipient_mx_access", R_RCPT_MX, T, NULL},
    {"check_recipient_ns_access", R_RCPT_NS, T, NULL},
    {"check_recipient_a_access", R_RCPT_A, T, NULL},
    {"reject_unknown_recipient_domain", R_UNK_RCPT, 0, NULL},
    {"reject_non_fqdn_recipient", R_NON_FQDN_RCPT, 0, NULL},
    {"reject_unlisted_recipient", R_UNLISTED_RCPT, 0, NULL},
    {"check_recipient_maps", R_UNLISTED_RCPT, 0, NULL},
    {"permit_mx_backup", R_MX_BACKUP, 0, NULL},
    {"permit_auth_destination", R_AUTH_DEST, 0, NULL},
    {"reject_unauth_destination", R_UNAUTH_DEST, 0, NULL},
    {"defer_unauth_destination", R_DEFER_UNAUTH_DEST, 0, NULL},
    {"reject_multi_recipient_bounce", R_MULTI_BOUNCE, 0, NULL},
    {"reject_unverified_recipient", R_NOT_IMPLEMENTED, NI, verify},
    {"reject_rhsbl_recipient", R_RHSBL_RCPT, A, NULL},
    {"check_relay_domains", R_NOT_IMPLEMENTED, NI,
     "check_relay_domains (obsolete) is not implemented"},
    /* etrn */
    {"check_etrn_access", R_ETRN_ACCESS, T, NULL},
};

const struct smtpd_restr *
smtpd_restr_find(const char *name)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcasecmp(name, table[i].name) == 0)
            return &table[i];
    return NULL;
}
