/*
 * mitparse: what MIT krb5's krb5_parse_name_flags and krb5_unparse_name
 * make of principal names, for the differential tests of internal/krbname.
 *
 * Arguments come in pairs: a flag set and a name. The flag set is a
 * string of letters: "e" for KRB5_PRINCIPAL_PARSE_ENTERPRISE, "n" for
 * KRB5_PRINCIPAL_PARSE_NO_REALM, "r" for KRB5_PRINCIPAL_PARSE_REQUIRE_REALM,
 * "-" for none; "u" alone asks for no parsing: the name is
 * "REALM|COMP|COMP...", built into a principal with krb5_build_principal
 * and only unparsed. Names are given with \xNN escapes for bytes a command
 * line cannot carry (NUL), and the backslash itself as \x5c when it must
 * not be read as an escape by this program; a backslash followed by
 * anything but "x" is passed through.
 *
 * For each pair it prints "= FLAGS NAME" as given, then either a line
 * "! CODE" when parsing failed, or the lines "  type N", "  realm R", one
 * "  comp C" per component and "  unparsed U", where every byte outside
 * printable ASCII, and the backslash, is printed as \xNN.
 *
 * The default realm comes from the configuration in KRB5_CONFIG.
 *
 * Build: cc mitparse.c $(krb5-config --cflags --libs krb5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5.h>

static void
put(const char *label, const char *data, size_t len)
{
    size_t i;

    printf("  %s ", label);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c < 0x20 || c > 0x7e || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\n');
}

/* Decodes \xNN escapes in s, in place; returns nothing on error. */
static void
decode(char *s)
{
    char *in = s, *out = s;

    while (*in != '\0') {
        if (in[0] == '\\' && in[1] == 'x' && in[2] != '\0' && in[3] != '\0') {
            char hex[3] = { in[2], in[3], '\0' };
            *out++ = (char)strtol(hex, NULL, 16);
            in += 4;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

/* Builds "REALM|COMP|..." into a principal and prints its unparsed form. */
static void
unparse_only(krb5_context ctx, char *spec)
{
    krb5_principal p;
    krb5_error_code ret;
    char *realm = spec, *comp, *unparsed;

    comp = strchr(spec, '|');
    if (comp != NULL)
        *comp++ = '\0';
    decode(realm);
    ret = krb5_build_principal(ctx, &p, strlen(realm), realm, NULL);
    if (ret) {
        printf("! %d\n", (int)ret);
        return;
    }
    while (comp != NULL) {
        char *next = strchr(comp, '|');
        krb5_data d;

        if (next != NULL)
            *next++ = '\0';
        decode(comp);
        d.magic = KV5M_DATA;
        d.length = strlen(comp);
        d.data = strdup(comp);
        p->data = realloc(p->data, (p->length + 1) * sizeof(krb5_data));
        p->data[p->length++] = d;
        comp = next;
    }
    ret = krb5_unparse_name(ctx, p, &unparsed);
    if (ret) {
        printf("! unparse %d\n", (int)ret);
    } else {
        put("unparsed", unparsed, strlen(unparsed));
        krb5_free_unparsed_name(ctx, unparsed);
    }
    krb5_free_principal(ctx, p);
}

int
main(int argc, char **argv)
{
    krb5_context ctx;
    krb5_error_code ret;
    int i;

    ret = krb5_init_context(&ctx);
    if (ret) {
        printf("! init %d\n", (int)ret);
        return 1;
    }
    for (i = 1; i + 1 < argc; i += 2) {
        const char *f;
        int flags = 0;
        char *name = argv[i + 1], *unparsed;
        krb5_principal p;
        krb5_int32 c;

        printf("= %s %s\n", argv[i], name);
        if (strcmp(argv[i], "u") == 0) {
            unparse_only(ctx, name);
            continue;
        }
        for (f = argv[i]; *f != '\0'; f++) {
            if (*f == 'e')
                flags |= KRB5_PRINCIPAL_PARSE_ENTERPRISE;
            else if (*f == 'n')
                flags |= KRB5_PRINCIPAL_PARSE_NO_REALM;
            else if (*f == 'r')
                flags |= KRB5_PRINCIPAL_PARSE_REQUIRE_REALM;
        }
        decode(name);
        ret = krb5_parse_name_flags(ctx, name, flags, &p);
        if (ret) {
            printf("! %d\n", (int)ret);
            continue;
        }
        printf("  type %d\n", (int)p->type);
        put("realm", p->realm.data, p->realm.length);
        for (c = 0; c < p->length; c++)
            put("comp", p->data[c].data, p->data[c].length);
        ret = krb5_unparse_name(ctx, p, &unparsed);
        if (ret) {
            printf("! unparse %d\n", (int)ret);
        } else {
            put("unparsed", unparsed, strlen(unparsed));
            krb5_free_unparsed_name(ctx, unparsed);
        }
        krb5_free_principal(ctx, p);
    }
    krb5_free_context(ctx);
    return 0;
}
