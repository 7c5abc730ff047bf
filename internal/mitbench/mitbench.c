/*
 * mitbench: the MIT krb5 side of safekrb5's peer benchmarks.
 *
 * internal/peerbench runs it, one subcommand per measurement, against the
 * same throwaway realm, keytab, credential cache and pre-minted tokens the
 * Go benchmarks use. Each subcommand sets up outside the timed loop, runs
 * its loop on one thread, and prints one line of "name=value" figures:
 * ns/op (wall clock), cpu-ns/op (CLOCK_PROCESS_CPUTIME_ID: user and
 * system time of this process, precise to the nanosecond where
 * getrusage counts in scheduler ticks), user-ns/op and sys-ns/op
 * (getrusage, for the split) and, for the memory subcommands, bytes/op
 * (mallinfo2 over N live objects). Errors go to stderr with the GSS or
 * krb5 message and a non-zero exit.
 *
 * "-w N" before the subcommand runs N operations untimed first, so that
 * the first calls' one-time costs (loading the GSS mechanism table,
 * reading krb5.conf, opening the keytab) stay out of the figures; for
 * accept, the first N tokens of the file are the warm-up ones.
 *
 * Token files hold tokens as a 4-byte big-endian length and the bytes.
 * Passwords come on stdin, never on the command line.
 *
 * Build: cc -O2 mitbench.c $(krb5-config --cflags --libs krb5 gssapi)
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

static krb5_context kctx;

static gss_OID_desc krb5_oid = {9, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc spnego_oid = {6, "\x2b\x06\x01\x05\x05\x02"};

struct tokens {
	size_t n;
	gss_buffer_desc *tok;
};

struct clock {
	struct timespec wall;
	struct timespec cpu;
	struct rusage ru;
};

/* warmup is the number of untimed operations before the timed ones. */
static size_t warmup;

static void
die(const char *what)
{
	fprintf(stderr, "mitbench: %s\n", what);
	exit(1);
}

static void
die_krb(const char *what, krb5_error_code code)
{
	const char *msg = krb5_get_error_message(kctx, code);

	fprintf(stderr, "mitbench: %s: %s\n", what, msg);
	krb5_free_error_message(kctx, msg);
	exit(1);
}

static void
gss_msgs(OM_uint32 code, int type, gss_OID mech)
{
	OM_uint32 min, ctx = 0;
	gss_buffer_desc buf;

	do {
		if (gss_display_status(&min, code, type, mech, &ctx, &buf) !=
		    GSS_S_COMPLETE)
			return;
		fprintf(stderr, " %.*s;", (int)buf.length, (char *)buf.value);
		gss_release_buffer(&min, &buf);
	} while (ctx != 0);
}

static void
die_gss(const char *what, OM_uint32 maj, OM_uint32 min)
{
	fprintf(stderr, "mitbench: %s:", what);
	gss_msgs(maj, GSS_C_GSS_CODE, GSS_C_NO_OID);
	gss_msgs(min, GSS_C_MECH_CODE, &krb5_oid);
	fprintf(stderr, "\n");
	exit(1);
}

static void
clock_start(struct clock *c)
{
	getrusage(RUSAGE_SELF, &c->ru);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c->cpu);
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
}

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) * 1e9 + (a->tv_nsec - b->tv_nsec);
}

static double
tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (a->tv_sec - b->tv_sec) * 1e9 + (a->tv_usec - b->tv_usec) * 1e3;
}

/* clock_report prints the figures for n operations since c. */
static void
clock_report(const struct clock *c, size_t n)
{
	struct timespec wall, cpu;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	getrusage(RUSAGE_SELF, &ru);
	printf("ns/op=%.1f cpu-ns/op=%.1f user-ns/op=%.1f sys-ns/op=%.1f "
	    "ops=%zu\n", ts_diff(&wall, &c->wall) / n,
	    ts_diff(&cpu, &c->cpu) / n,
	    tv_diff(&ru.ru_utime, &c->ru.ru_utime) / n,
	    tv_diff(&ru.ru_stime, &c->ru.ru_stime) / n, n);
}

static size_t
parse_count(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 100000000)
		die("bad count");
	return v;
}

static void
read_tokens(const char *path, struct tokens *t)
{
	FILE *f = fopen(path, "rb");
	unsigned char len[4];
	size_t cap = 0, n;

	if (f == NULL)
		die("cannot open the token file");
	t->n = 0;
	t->tok = NULL;
	while (fread(len, 1, 4, f) == 4) {
		n = (size_t)len[0] << 24 | (size_t)len[1] << 16 |
		    (size_t)len[2] << 8 | len[3];
		if (n == 0 || n > 1 << 20)
			die("token file: bad token length");
		if (t->n == cap) {
			cap = cap ? cap * 2 : 1024;
			t->tok = realloc(t->tok, cap * sizeof(*t->tok));
			if (t->tok == NULL)
				die("out of memory");
		}
		t->tok[t->n].length = n;
		t->tok[t->n].value = malloc(n);
		if (t->tok[t->n].value == NULL)
			die("out of memory");
		if (fread(t->tok[t->n].value, 1, n, f) != n)
			die("token file: truncated token");
		t->n++;
	}
	fclose(f);
	if (t->n == 0)
		die("token file holds no token");
}

static char *
read_password(void)
{
	static char buf[1024];
	size_t n;

	if (fgets(buf, sizeof(buf), stdin) == NULL)
		die("no password on stdin");
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

/*
 * keytab_name turns "MEMORY:/path" into a MEMORY keytab holding a copy of
 * the file's entries (the handle stays open so that the keytab lives),
 * and returns a name to give GSS; "FILE:/path" is returned as it is.
 */
static const char *
keytab_name(const char *arg)
{
	static krb5_keytab mem;
	krb5_keytab file;
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_error_code code;
	char fname[4096];

	if (strncmp(arg, "MEMORY:", 7) != 0)
		return arg;
	snprintf(fname, sizeof(fname), "FILE:%s", arg + 7);
	if ((code = krb5_kt_resolve(kctx, fname, &file)) != 0)
		die_krb("keytab", code);
	if ((code = krb5_kt_resolve(kctx, "MEMORY:mitbench", &mem)) != 0)
		die_krb("memory keytab", code);
	if ((code = krb5_kt_start_seq_get(kctx, file, &cur)) != 0)
		die_krb("keytab", code);
	while (krb5_kt_next_entry(kctx, file, &e, &cur) == 0) {
		if ((code = krb5_kt_add_entry(kctx, mem, &e)) != 0)
			die_krb("memory keytab", code);
		krb5_free_keytab_entry_contents(kctx, &e);
	}
	krb5_kt_end_seq_get(kctx, file, &cur);
	krb5_kt_close(kctx, file);
	return "MEMORY:mitbench";
}

static gss_cred_id_t
acceptor_cred(const char *ktname, gss_OID mech)
{
	gss_key_value_element_desc el = {"keytab", ktname};
	gss_key_value_set_desc store = {1, &el};
	gss_OID_set_desc mechs = {1, mech};
	gss_cred_id_t cred;
	OM_uint32 maj, min;

	maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE,
	    &mechs, GSS_C_ACCEPT, &store, &cred, NULL, NULL);
	if (GSS_ERROR(maj))
		die_gss("acquiring the acceptor credential", maj, min);
	return cred;
}

/*
 * memory_ccache copies the credentials of the ccache file into a MEMORY
 * ccache; with tgt_only, only the krbtgt ones.
 */
static krb5_ccache
memory_ccache(const char *fname, int tgt_only)
{
	krb5_ccache file, mem;
	krb5_principal client;
	krb5_cc_cursor cur;
	krb5_creds c;
	krb5_error_code code;

	if ((code = krb5_cc_resolve(kctx, fname, &file)) != 0)
		die_krb("ccache", code);
	if ((code = krb5_cc_get_principal(kctx, file, &client)) != 0)
		die_krb("ccache principal", code);
	if ((code = krb5_cc_new_unique(kctx, "MEMORY", NULL, &mem)) != 0)
		die_krb("memory ccache", code);
	if ((code = krb5_cc_initialize(kctx, mem, client)) != 0)
		die_krb("memory ccache", code);
	if ((code = krb5_cc_start_seq_get(kctx, file, &cur)) != 0)
		die_krb("ccache", code);
	while (krb5_cc_next_cred(kctx, file, &cur, &c) == 0) {
		int tgt = c.server->length == 2 &&
		    c.server->data[0].length == 6 &&
		    memcmp(c.server->data[0].data, "krbtgt", 6) == 0;
		if ((!tgt_only || tgt) &&
		    !krb5_is_config_principal(kctx, c.server)) {
			if ((code = krb5_cc_store_cred(kctx, mem, &c)) != 0)
				die_krb("memory ccache", code);
		}
		krb5_free_cred_contents(kctx, &c);
	}
	krb5_cc_end_seq_get(kctx, file, &cur);
	krb5_cc_close(kctx, file);
	krb5_free_principal(kctx, client);
	return mem;
}

static gss_name_t
service_name(const char *spn)
{
	gss_buffer_desc b = {strlen(spn), (void *)spn};
	gss_name_t name;
	OM_uint32 maj, min;

	maj = gss_import_name(&min, &b, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME,
	    &name);
	if (GSS_ERROR(maj))
		die_gss("importing the service name", maj, min);
	return name;
}

static gss_cred_id_t
initiator_cred(krb5_ccache cc)
{
	gss_cred_id_t cred;
	OM_uint32 maj, min;

	maj = gss_krb5_import_cred(&min, cc, NULL, NULL, &cred);
	if (GSS_ERROR(maj))
		die_gss("importing the ccache", maj, min);
	return cred;
}

#define INIT_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
	GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)

/* accept KTNAME TOKENFILE MECH: accept every token once. */
static int
cmd_accept(int argc, char **argv)
{
	struct tokens t;
	struct clock c;
	gss_cred_id_t cred;
	gss_OID mech;
	size_t i, replies = 0;

	if (argc != 3)
		die("usage: accept KTNAME TOKENFILE krb5|spnego");
	mech = strcmp(argv[2], "spnego") == 0 ? &spnego_oid : &krb5_oid;
	read_tokens(argv[1], &t);
	cred = acceptor_cred(keytab_name(argv[0]), mech);
	if (t.n <= warmup)
		die("the token file holds no token past the warm-up ones");
	for (i = 0; i < t.n; i++) {
		gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
		gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
		gss_name_t src = GSS_C_NO_NAME;
		OM_uint32 maj, min;

		if (i == warmup)
			clock_start(&c);

		maj = gss_accept_sec_context(&min, &ctx, cred, &t.tok[i],
		    GSS_C_NO_CHANNEL_BINDINGS, &src, NULL, &out, NULL, NULL,
		    NULL);
		if (maj != GSS_S_COMPLETE)
			die_gss("accepting a token", maj, min);
		if (out.length > 0)
			replies++;
		gss_release_buffer(&min, &out);
		gss_release_name(&min, &src);
		gss_delete_sec_context(&min, &ctx, GSS_C_NO_BUFFER);
	}
	clock_report(&c, t.n - warmup);
	fprintf(stderr, "mitbench: %zu of %zu accepts answered\n", replies,
	    t.n);
	return 0;
}

/* initiate CCACHE SPN COUNT: first tokens from a cached service ticket. */
static int
cmd_initiate(int argc, char **argv)
{
	struct clock c;
	krb5_ccache cc;
	gss_cred_id_t cred;
	gss_name_t target;
	size_t i, n;

	if (argc != 3)
		die("usage: initiate CCACHE SPN COUNT");
	n = parse_count(argv[2]);
	cc = memory_ccache(argv[0], 0);
	cred = initiator_cred(cc);
	target = service_name(argv[1]);
	for (i = 0; i < warmup + n; i++) {
		gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
		gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
		OM_uint32 maj, min;

		if (i == warmup)
			clock_start(&c);
		maj = gss_init_sec_context(&min, cred, &ctx, target, &krb5_oid,
		    INIT_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
		    NULL, &out, NULL, NULL);
		if (maj != GSS_S_CONTINUE_NEEDED)
			die_gss("initiating", maj, min);
		gss_release_buffer(&min, &out);
		gss_delete_sec_context(&min, &ctx, GSS_C_NO_BUFFER);
	}
	clock_report(&c, n);
	return 0;
}

/* login PRINCIPAL COUNT: AS exchanges with the password on stdin. */
static int
cmd_login(int argc, char **argv)
{
	struct clock c;
	krb5_principal client;
	krb5_error_code code;
	char *pw;
	size_t i, n;

	if (argc != 2)
		die("usage: login PRINCIPAL COUNT");
	n = parse_count(argv[1]);
	pw = read_password();
	if ((code = krb5_parse_name(kctx, argv[0], &client)) != 0)
		die_krb("principal", code);
	for (i = 0; i < warmup + n; i++) {
		krb5_creds creds;

		if (i == warmup)
			clock_start(&c);
		code = krb5_get_init_creds_password(kctx, &creds, client, pw,
		    NULL, NULL, 0, NULL, NULL);
		if (code != 0)
			die_krb("password login", code);
		krb5_free_cred_contents(kctx, &creds);
	}
	clock_report(&c, n);
	return 0;
}

/* s2k PRINCIPAL COUNT: aes256-cts string-to-key with the default salt. */
static int
cmd_s2k(int argc, char **argv)
{
	struct clock c;
	krb5_principal client;
	krb5_data salt, pwd;
	krb5_error_code code;
	size_t i, n;

	if (argc != 2)
		die("usage: s2k PRINCIPAL COUNT");
	n = parse_count(argv[1]);
	pwd.data = read_password();
	pwd.length = strlen(pwd.data);
	if ((code = krb5_parse_name(kctx, argv[0], &client)) != 0)
		die_krb("principal", code);
	if ((code = krb5_principal2salt(kctx, client, &salt)) != 0)
		die_krb("salt", code);
	for (i = 0; i < warmup + n; i++) {
		krb5_keyblock key;

		if (i == warmup)
			clock_start(&c);
		code = krb5_c_string_to_key(kctx,
		    ENCTYPE_AES256_CTS_HMAC_SHA1_96, &pwd, &salt, &key);
		if (code != 0)
			die_krb("string-to-key", code);
		krb5_free_keyblock_contents(kctx, &key);
	}
	clock_report(&c, n);
	return 0;
}

/* tgs CCACHE SPN COUNT: TGS exchanges from a TGT, nothing cached. */
static int
cmd_tgs(int argc, char **argv)
{
	struct clock c;
	krb5_ccache cc;
	krb5_creds in;
	krb5_error_code code;
	size_t i, n;

	if (argc != 3)
		die("usage: tgs CCACHE SPN COUNT");
	n = parse_count(argv[2]);
	cc = memory_ccache(argv[0], 1);
	memset(&in, 0, sizeof(in));
	if ((code = krb5_cc_get_principal(kctx, cc, &in.client)) != 0)
		die_krb("ccache principal", code);
	if ((code = krb5_parse_name(kctx, argv[1], &in.server)) != 0)
		die_krb("service principal", code);
	for (i = 0; i < warmup + n; i++) {
		krb5_creds *out;

		if (i == warmup)
			clock_start(&c);
		code = krb5_get_credentials(kctx, KRB5_GC_NO_STORE, cc, &in,
		    &out);
		if (code != 0)
			die_krb("TGS exchange", code);
		krb5_free_creds(kctx, out);
	}
	clock_report(&c, n);
	return 0;
}

/*
 * wrap CCACHE SPN KTFILE SIZE conf|integ COUNT: establish a context in
 * this process, then wrap on the initiator's side and unwrap on the
 * acceptor's, COUNT times.
 */
static int
cmd_wrap(int argc, char **argv)
{
	struct clock c;
	gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
	gss_buffer_desc t1 = GSS_C_EMPTY_BUFFER, t2 = GSS_C_EMPTY_BUFFER;
	gss_buffer_desc t3 = GSS_C_EMPTY_BUFFER;
	gss_buffer_desc msg;
	gss_cred_id_t icred, acred;
	gss_name_t target;
	OM_uint32 maj, min;
	size_t i, n, size;
	int conf;
	char ktname[4096];

	if (argc != 6)
		die("usage: wrap CCACHE SPN KTFILE SIZE conf|integ COUNT");
	size = parse_count(argv[3]);
	conf = strcmp(argv[4], "conf") == 0;
	n = parse_count(argv[5]);
	snprintf(ktname, sizeof(ktname), "MEMORY:%s", argv[2]);
	icred = initiator_cred(memory_ccache(argv[0], 0));
	acred = acceptor_cred(keytab_name(ktname), &krb5_oid);
	target = service_name(argv[1]);
	maj = gss_init_sec_context(&min, icred, &ictx, target, &krb5_oid,
	    INIT_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL,
	    &t1, NULL, NULL);
	if (maj != GSS_S_CONTINUE_NEEDED)
		die_gss("initiating", maj, min);
	maj = gss_accept_sec_context(&min, &actx, acred, &t1,
	    GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &t2, NULL, NULL, NULL);
	if (maj != GSS_S_COMPLETE)
		die_gss("accepting", maj, min);
	maj = gss_init_sec_context(&min, icred, &ictx, target, &krb5_oid,
	    INIT_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, &t2, NULL, &t3, NULL,
	    NULL);
	if (maj != GSS_S_COMPLETE)
		die_gss("finishing", maj, min);
	msg.length = size;
	msg.value = calloc(1, size);
	if (msg.value == NULL)
		die("out of memory");
	for (i = 0; i < warmup + n; i++) {
		gss_buffer_desc tok, out;
		int state;

		if (i == warmup)
			clock_start(&c);
		maj = gss_wrap(&min, ictx, conf, GSS_C_QOP_DEFAULT, &msg,
		    &state, &tok);
		if (maj != GSS_S_COMPLETE || state != conf)
			die_gss("wrapping", maj, min);
		maj = gss_unwrap(&min, actx, &tok, &out, &state, NULL);
		if (maj != GSS_S_COMPLETE || out.length != size)
			die_gss("unwrapping", maj, min);
		gss_release_buffer(&min, &tok);
		gss_release_buffer(&min, &out);
	}
	clock_report(&c, n);
	return 0;
}

static size_t
heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* memctx KTNAME TOKENFILE: bytes per live accepted context. */
static int
cmd_memctx(int argc, char **argv)
{
	struct tokens t;
	gss_cred_id_t cred;
	gss_ctx_id_t *ctx;
	size_t i, before;

	if (argc != 2)
		die("usage: memctx KTNAME TOKENFILE");
	read_tokens(argv[1], &t);
	cred = acceptor_cred(keytab_name(argv[0]), &krb5_oid);
	ctx = calloc(t.n, sizeof(*ctx));
	if (ctx == NULL)
		die("out of memory");
	before = heap_in_use();
	for (i = 0; i < t.n; i++) {
		gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
		OM_uint32 maj, min;

		ctx[i] = GSS_C_NO_CONTEXT;
		maj = gss_accept_sec_context(&min, &ctx[i], cred, &t.tok[i],
		    GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &out, NULL, NULL,
		    NULL);
		if (maj != GSS_S_COMPLETE)
			die_gss("accepting a token", maj, min);
		gss_release_buffer(&min, &out);
	}
	printf("bytes/op=%.1f ops=%zu\n",
	    (double)(heap_in_use() - before) / t.n, t.n);
	return 0;
}

/* memtkt CCACHE SPN COUNT: bytes per service ticket in a MEMORY ccache. */
static int
cmd_memtkt(int argc, char **argv)
{
	krb5_ccache src, mem;
	krb5_creds in, *out;
	krb5_principal client;
	krb5_error_code code;
	size_t i, n, before;

	if (argc != 3)
		die("usage: memtkt CCACHE SPN COUNT");
	n = parse_count(argv[2]);
	src = memory_ccache(argv[0], 0);
	memset(&in, 0, sizeof(in));
	if ((code = krb5_cc_get_principal(kctx, src, &client)) != 0)
		die_krb("ccache principal", code);
	in.client = client;
	if ((code = krb5_parse_name(kctx, argv[1], &in.server)) != 0)
		die_krb("service principal", code);
	code = krb5_get_credentials(kctx, KRB5_GC_CACHED, src, &in, &out);
	if (code != 0)
		die_krb("cached service ticket", code);
	if ((code = krb5_cc_new_unique(kctx, "MEMORY", NULL, &mem)) != 0)
		die_krb("memory ccache", code);
	if ((code = krb5_cc_initialize(kctx, mem, client)) != 0)
		die_krb("memory ccache", code);
	before = heap_in_use();
	for (i = 0; i < n; i++) {
		if ((code = krb5_cc_store_cred(kctx, mem, out)) != 0)
			die_krb("memory ccache", code);
	}
	printf("bytes/op=%.1f ops=%zu\n",
	    (double)(heap_in_use() - before) / n, n);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{"accept", cmd_accept}, {"initiate", cmd_initiate},
		{"login", cmd_login}, {"s2k", cmd_s2k}, {"tgs", cmd_tgs},
		{"wrap", cmd_wrap}, {"memctx", cmd_memctx},
		{"memtkt", cmd_memtkt},
	};
	krb5_error_code code;
	size_t i;

	if (argc > 3 && strcmp(argv[1], "-w") == 0) {
		warmup = parse_count(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		die("usage: mitbench [-w N] accept|initiate|login|s2k|tgs|wrap|"
		    "memctx|memtkt ARGS");
	if ((code = krb5_init_context(&kctx)) != 0)
		die("krb5_init_context failed");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 2, argv + 2);
	}
	die("unknown subcommand");
	return 1;
}
