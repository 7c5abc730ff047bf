/*
 * mitprofile: what MIT krb5's own profile library makes of krb5.conf
 * files, for the differential tests of internal/krb5conf.
 *
 * It creates a krb5 context, which reads the files named in KRB5_CONFIG
 * exactly as every MIT program does, and answers the queries on its
 * command line. Each query is two arguments, a verb and an operand:
 *
 *   values PATH         every value of a relation (profile_get_values)
 *   subsections PATH    names of the blocks inside PATH
 *   relations PATH      names of the relations inside PATH
 *   boolean PATH        the relation as profile_get_boolean reads it
 *   integer PATH        the relation as profile_get_integer reads it
 *   deltat STRING       krb5_string_to_deltat, in seconds
 *   enctypes LIST       the context's enctype list: tkt, tgs or permitted
 *   parse STRING        krb5int_parse_enctype_list over the default list
 *
 * PATH is the profile path with "|" between its names, as in
 * "realms|EXAMPLE.COM|kdc"; an empty PATH is the top level. boolean and
 * integer take paths of two or three names, and print nothing for a
 * relation that is absent.
 *
 * For each query it prints "= VERB OPERAND", then one line per result
 * starting with two spaces, or a line "! CODE" when the call failed (the
 * profile's "not found" counts as no result). Strings are printed with
 * bytes outside printable ASCII, and the backslash, as \xNN.
 *
 * The files are first read with profile_init_path, whose error code
 * names the kind of syntax error (krb5_init_context reports every one as
 * KRB5_CONFIG_BADFORMAT); if that or the context fails, it prints
 * "! init CODE MESSAGE" and exits 1.
 *
 * Build: cc mitprofile.c $(krb5-config --cflags --libs krb5)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5.h>
#include <profile.h>

/* Exported by libkrb5 but declared only in its private headers. */
krb5_error_code krb5_get_default_in_tkt_ktypes(krb5_context, krb5_enctype **);
krb5_error_code krb5_get_tgs_ktypes(krb5_context, krb5_const_principal,
                                    krb5_enctype **);
krb5_error_code krb5int_parse_enctype_list(krb5_context, const char *,
                                           char *, krb5_enctype *,
                                           krb5_enctype **);

/* MIT 1.20's default_enctype_list, the list DEFAULT stands for. */
static krb5_enctype default_list[] = {
    ENCTYPE_AES256_CTS_HMAC_SHA1_96, ENCTYPE_AES128_CTS_HMAC_SHA1_96,
    ENCTYPE_AES256_CTS_HMAC_SHA384_192, ENCTYPE_AES128_CTS_HMAC_SHA256_128,
    ENCTYPE_DES3_CBC_SHA1, ENCTYPE_ARCFOUR_HMAC,
    ENCTYPE_CAMELLIA128_CTS_CMAC, ENCTYPE_CAMELLIA256_CTS_CMAC, 0
};

static void
print_escaped(const char *s)
{
    const unsigned char *p;

    fputs("  ", stdout);
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '\\')
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('\n');
}

/* split turns "a|b|c" into a NULL-terminated array; the caller frees both
 * the array and its first element. */
static const char **
split(const char *path)
{
    char *copy = strdup(path), *p;
    size_t n = 1;
    const char **names;

    for (p = copy; *p != '\0'; p++)
        n += (*p == '|');
    names = calloc(n + 1, sizeof(*names));
    if (copy == NULL || names == NULL) {
        fputs("out of memory\n", stderr);
        exit(2);
    }
    n = 0;
    if (*copy != '\0') {
        names[n++] = copy;
        for (p = copy; *p != '\0'; p++) {
            if (*p == '|') {
                *p = '\0';
                names[n++] = p + 1;
            }
        }
    } else {
        names[0] = NULL;
        free(copy);
    }
    names[n] = NULL;
    return names;
}

static void
free_names(const char **names)
{
    if (names[0] != NULL)
        free((char *)names[0]);
    free(names);
}

static void
query_profile(profile_t prof, const char *verb, const char *path)
{
    const char **names = split(path);
    char **list = NULL, **v;
    long err;

    if (strcmp(verb, "values") == 0)
        err = profile_get_values(prof, names, &list);
    else if (strcmp(verb, "subsections") == 0)
        err = profile_get_subsection_names(prof, names, &list);
    else
        err = profile_get_relation_names(prof, names, &list);
    free_names(names);
    if (err == PROF_NO_RELATION || err == PROF_NO_SECTION)
        return;
    if (err) {
        printf("! %ld\n", err);
        return;
    }
    for (v = list; *v != NULL; v++)
        print_escaped(*v);
    profile_free_list(list);
}

/* query_typed answers boolean and integer; both return the default,
 * here -1, for an absent relation, which prints nothing. */
static void
query_typed(profile_t prof, const char *verb, const char *path)
{
    const char **names = split(path);
    const char *sub2 = NULL;
    int v = -1;
    long err;

    if (names[0] == NULL || names[1] == NULL) {
        free_names(names);
        printf("! bad path\n");
        return;
    }
    if (names[2] != NULL)
        sub2 = names[2];
    if (strcmp(verb, "boolean") == 0)
        err = profile_get_boolean(prof, names[0], names[1], sub2, -1, &v);
    else
        err = profile_get_integer(prof, names[0], names[1], sub2, -1, &v);
    free_names(names);
    if (err)
        printf("! %ld\n", err);
    else if (v != -1)
        printf("  %d\n", v);
}

static void
print_enctypes(krb5_error_code err, krb5_enctype *list)
{
    size_t i;

    if (err) {
        printf("! %ld\n", (long)err);
        return;
    }
    for (i = 0; list[i] != 0; i++)
        printf("  %d\n", (int)list[i]);
    free(list);
}

int
main(int argc, char **argv)
{
    krb5_context ctx;
    krb5_error_code err;
    profile_t prof;
    krb5_enctype *list;
    const char *path = getenv("KRB5_CONFIG");
    long perr;
    int i;

    if (path != NULL) {
        perr = profile_init_path(path, &prof);
        if (perr && perr != ENOENT) {
            printf("! init %ld %s\n", perr, error_message(perr));
            return 1;
        }
        if (!perr)
            profile_release(prof);
    }
    err = krb5_init_context(&ctx);
    if (err) {
        printf("! init %ld %s\n", (long)err, error_message(err));
        return 1;
    }
    err = krb5_get_profile(ctx, &prof);
    if (err) {
        printf("! init %ld %s\n", (long)err, krb5_get_error_message(ctx, err));
        return 1;
    }
    for (i = 1; i + 1 < argc; i += 2) {
        const char *verb = argv[i], *arg = argv[i + 1];

        printf("= %s %s\n", verb, arg);
        list = NULL;
        if (strcmp(verb, "enctypes") == 0) {
            if (strcmp(arg, "tkt") == 0)
                err = krb5_get_default_in_tkt_ktypes(ctx, &list);
            else if (strcmp(arg, "tgs") == 0)
                err = krb5_get_tgs_ktypes(ctx, NULL, &list);
            else
                err = krb5_get_permitted_enctypes(ctx, &list);
            print_enctypes(err, list);
        } else if (strcmp(verb, "boolean") == 0 ||
                   strcmp(verb, "integer") == 0) {
            query_typed(prof, verb, arg);
        } else if (strcmp(verb, "deltat") == 0) {
            char *copy = strdup(arg);
            krb5_deltat d;

            err = krb5_string_to_deltat(copy, &d);
            free(copy);
            if (err)
                printf("! %ld\n", (long)err);
            else
                printf("  %ld\n", (long)d);
        } else if (strcmp(verb, "parse") == 0) {
            char *copy = strdup(arg);

            err = krb5int_parse_enctype_list(ctx, "test", copy, default_list,
                                             &list);
            free(copy);
            print_enctypes(err, list);
        } else {
            query_profile(prof, verb, arg);
        }
    }
    profile_release(prof);
    krb5_free_context(ctx);
    return 0;
}
