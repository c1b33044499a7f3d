/*
 * gvm_chain_verify: the access-log verification walk as an SQLite aggregate function.
 *
 * Why C: verifying ten million entries in Python costs about 7 microseconds an entry
 * (the row fetch alone is 3); as an aggregate, SQLite hands each row to this step
 * function without building any Python object, and the three hashes an entry needs
 * run in OpenSSL. The canonical text is built here too, byte for byte as SQLite's
 * json_array() writes it (json_array itself costs 4 microseconds a row): if the two
 * ever differed, the hash would not match, and the Python walk, which uses
 * json_array, would run and give the answer, so a difference costs time, never truth. The Python walk in log_chain.py stays the reference: it runs when
 * this library is missing and, whenever this one finds anything wrong, to describe it.
 *
 * The checks are exactly the Python fast path's: every field of its allowed type and at
 * most MAX_FIELD_BYTES long, hash and MAC 32-byte blobs, consecutive sequence numbers, each
 * entry hash = SHA-256(previous hash || canonical json_array text), time never going
 * backwards (bytewise, as the Python walk compares it), and MAC = keyed BLAKE2b-256(k[i],
 * entry hash) with k[i+1] = SHA-256(tag || k[i]).
 * No crypto is implemented here: every primitive is OpenSSL's.
 *
 * Whoever holds the data key can store any value of any type in any column, so nothing
 * here assumes a type: each value's type is read first, before any sqlite3_value_text()
 * or _int64() call (those may convert a value in place and change what
 * sqlite3_value_type() reports afterwards: a blob read as text then says TEXT), and
 * anything unexpected makes that entry the first bad one, for the Python walk to describe.
 *
 * SELECT gvm_chain_verify(key0, <the 15 chained fields in order>, entry_hash, mac) FROM access_log NOT INDEXED
 * returns a 88-byte blob: entries (int64 LE), first bad seq or 0 (int64 LE),
 * last good hash (32), next key (32), expected next seq (int64 LE).
 *
 * Walking in chunks (log_chain.native_walk): a single statement over the whole table holds the
 * database's read lock for all of it, and in rollback-journal mode every writer waits for that.
 * So the walk also takes the state it starts from, and hands back the state to go on with:
 * SELECT gvm_chain_verify(key, previous hash, expected first seq, time of the entry before,
 *                         <the 15 fields>, entry_hash, mac) FROM access_log NOT INDEXED WHERE seq BETWEEN ? AND ?
 * returns the same 88 bytes followed by the last good entry's time (0 to TIME_MAX - 1 bytes), and
 * counts the entries up to the first bad one only, so that the count does not depend on where the
 * chunks end. The first form is the second started from the genesis (zero hash, seq 1, no time).
 * A chunk with no rows returns NULL, like the whole walk over an empty log.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <string.h>
#include <stdint.h>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

static const unsigned char EVOLVE_TAG[] = "gvm-desktop/log-key/v1";
#define TAG_LEN (sizeof(EVOLVE_TAG) - 1)
#define TIME_MAX 64
#define FIELDS 15
#define MAX_FIELD_BYTES (1 << 20) /* log_chain.MAX_FIELD_BYTES */

/* The types each chained field may hold, in _FIELDS order (log_chain._ALLOWED): one bit per SQLite type. */
#define ONLY(t) (1u << (t))
#define TEXT_OR_NULL (ONLY(SQLITE_TEXT) | ONLY(SQLITE_NULL))
static const unsigned ALLOWED[FIELDS] = {
    ONLY(SQLITE_INTEGER),                                 /* seq */
    ONLY(SQLITE_TEXT), ONLY(SQLITE_TEXT), ONLY(SQLITE_TEXT), /* at_utc, tz, workstation */
    ONLY(SQLITE_INTEGER) | ONLY(SQLITE_NULL),             /* user_id */
    TEXT_OR_NULL, TEXT_OR_NULL, TEXT_OR_NULL,             /* username, role, bcu */
    ONLY(SQLITE_TEXT),                                    /* action */
    TEXT_OR_NULL, TEXT_OR_NULL, TEXT_OR_NULL,             /* record_ref, reason_category, justification */
    ONLY(SQLITE_TEXT),                                    /* outcome */
    TEXT_OR_NULL, TEXT_OR_NULL,                           /* detail, operation_ref */
};

/* One entry's fields, read once each, after their types were checked. */
typedef struct {
    int type[FIELDS];
    sqlite3_int64 num[FIELDS];
    const unsigned char *text[FIELDS];
    int len[FIELDS];
    size_t need;  /* bytes the canonical text can take at most */
} Entry;

typedef struct {
    int started;
    int chained;  /* called with a start state (the chunked form): its result carries the last time */
    int64_t count;
    int64_t first_bad;
    int64_t expected;
    unsigned char key[32];
    unsigned char prev[32];
    unsigned char last_time[TIME_MAX];
    int last_time_len;
    EVP_MAC *blake;
    EVP_MAC_CTX *mac;
    int failed;  /* OpenSSL itself failed: report, never pass */
    int bad_start;  /* the start state given was malformed: an error, never a pass */
    unsigned char *buf;
    size_t len, cap;
} State;

static int grow(State *s, size_t more) {
    if (s->len + more <= s->cap) return 1;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->len + more) cap *= 2;
    unsigned char *next = sqlite3_realloc64(s->buf, cap);
    if (!next) return 0;
    s->buf = next;
    s->cap = cap;
    return 1;
}

/* SQLite's jsonAppendString: '"' and '\\' escaped, control characters as \b \t \n \f \r or \u00xx.
   Writes at most 6 * n + 2 bytes at out (room made by canonical) and returns the new end. */
static unsigned char *put_string(unsigned char *out, const unsigned char *z, int n) {
    static const char special[32] = {0, 0, 0, 0, 0, 0, 0, 0, 'b', 't', 'n', 0, 'f', 'r', 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    *out++ = '"';
    for (int i = 0; i < n; i++) {
        unsigned char c = z[i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
        } else if (c <= 0x1f) {
            *out++ = '\\';
            if (special[c]) {
                c = (unsigned char)special[c];
            } else {
                *out++ = 'u';
                *out++ = '0';
                *out++ = '0';
                *out++ = (unsigned char)('0' + (c >> 4));
                c = (unsigned char)"0123456789abcdef"[c & 0xf];
            }
        }
        *out++ = c;
    }
    *out++ = '"';
    return out;
}

/* An integer in decimal, as json_array writes it ("%lld"): at most 20 bytes. sqlite3_snprintf cost more
   than all the rest of building the text. */
static unsigned char *put_int(unsigned char *out, int64_t v) {
    unsigned char digits[20];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;  /* unsigned: INT64_MIN has no positive int64 */
    do {
        digits[n++] = (unsigned char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *out++ = '-';
    while (n) *out++ = digits[--n];
    return out;
}

/* The canonical text of one entry, from fields already checked (read_entry), into s->buf.
   Room for the longest possible text is made once; the writes use a local cursor, since stores
   through s->buf (unsigned char) may alias s->len and would make the compiler reload it per byte. */
static int canonical(State *s, const Entry *e) {
    s->len = 0;
    if (!grow(s, e->need)) return 0;
    unsigned char *out = s->buf;
    *out++ = '[';
    for (int i = 0; i < FIELDS; i++) {
        if (i) *out++ = ',';
        switch (e->type[i]) {
        case SQLITE_NULL:
            memcpy(out, "null", 4);
            out += 4;
            break;
        case SQLITE_INTEGER:
            out = put_int(out, e->num[i]);
            break;
        case SQLITE_TEXT:
            out = put_string(out, e->text[i], e->len[i]);
            break;
        default: /* a real or a blob: read_entry let neither through */
            return 0;
        }
    }
    *out++ = ']';
    s->len = (size_t)(out - s->buf);
    return 1;
}

/* Check and read one entry's fields: 0 when any has a type its column may not hold, or is too long.
   Each value's type is read before that value (reading it can convert it in place, see the top). */
static int read_entry(sqlite3_value **fields, Entry *e) {
    e->need = 2 + (FIELDS - 1); /* brackets and commas */
    for (int i = 0; i < FIELDS; i++) {
        int type = e->type[i] = sqlite3_value_type(fields[i]);
        if (!(ALLOWED[i] & ONLY(type))) return 0;
        if (type == SQLITE_NULL) {
            e->need += 4;
        } else if (type == SQLITE_INTEGER) {
            e->num[i] = sqlite3_value_int64(fields[i]);
            e->need += 20;
        } else if (type == SQLITE_TEXT) {
            /* _text before _bytes, as SQLite asks: the length is then that of the UTF-8 text returned */
            const unsigned char *z = sqlite3_value_text(fields[i]);
            int n = sqlite3_value_bytes(fields[i]);
            if (!z || n < 0 || n > MAX_FIELD_BYTES) return 0; /* no text: out of memory */
            e->text[i] = z;
            e->len[i] = n;
            e->need += (size_t)n * 6 + 2; /* every byte escaped as \u00xx, and the quotes */
        }
    }
    return 1;
}

/* A 32-byte blob's bytes, or NULL for anything else (NULL, text, a number, another length). */
static const unsigned char *blob32(sqlite3_value *v) {
    if (sqlite3_value_type(v) != SQLITE_BLOB) return NULL;
    const unsigned char *p = sqlite3_value_blob(v);
    return p && sqlite3_value_bytes(v) == 32 ? p : NULL;
}

/* Bytewise order of two texts of known length: what Python's bytes comparison does (strcmp stops at a NUL). */
static int time_cmp(const unsigned char *a, int alen, const unsigned char *b, int blen) {
    int c = memcmp(a, b, (size_t)(alen < blen ? alen : blen));
    return c ? c : (alen > blen) - (alen < blen);
}

static void put64(unsigned char *out, int64_t v) {
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

static int digest2(State *s, const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                   unsigned char out[32]) {
    /* OpenSSL's one-shot SHA-256 (deprecated in 3.0 in favour of EVP, still shipped): the EVP path's
       provider dispatch cost more than the hash itself on these ~200-byte inputs. */
    SHA256_CTX c;
    (void)s;
    return SHA256_Init(&c) && SHA256_Update(&c, a, alen) && SHA256_Update(&c, b, blen) && SHA256_Final(out, &c);
}

static int mac_of(State *s, const unsigned char hash[32], unsigned char out[32]) {
    size_t n = 0;
    /* The output size was set once on the context (start); only the key changes per entry. */
    return EVP_MAC_init(s->mac, s->key, 32, NULL) && EVP_MAC_update(s->mac, hash, 32) &&
           EVP_MAC_final(s->mac, out, &n, 32) && n == 32;
}

/* The walk's state from the arguments before the fields: the key alone (genesis), or key, previous
   hash, expected seq and the previous entry's time (a blob or text shorter than TIME_MAX, or NULL). */
static int start_state(State *s, sqlite3_value **argv, int lead) {
    s->expected = 1;
    s->last_time_len = 0;
    memset(s->prev, 0, 32);
    const unsigned char *key = blob32(argv[0]);
    if (!key) return 0;
    memcpy(s->key, key, 32);
    if (lead == 1) return 1;
    const unsigned char *prev = blob32(argv[1]);
    if (!prev || sqlite3_value_type(argv[2]) != SQLITE_INTEGER) return 0;
    memcpy(s->prev, prev, 32);
    s->expected = sqlite3_value_int64(argv[2]);
    int time_type = sqlite3_value_type(argv[3]);
    if (time_type == SQLITE_NULL) return 1;
    if (time_type != SQLITE_BLOB && time_type != SQLITE_TEXT) return 0;
    const unsigned char *t = time_type == SQLITE_BLOB ? sqlite3_value_blob(argv[3]) : sqlite3_value_text(argv[3]);
    int n = sqlite3_value_bytes(argv[3]);
    if (n < 0 || n >= TIME_MAX || (n > 0 && !t)) return 0;
    if (n) memcpy(s->last_time, t, (size_t)n);
    s->last_time_len = n;
    return 1;
}

static int start(State *s, sqlite3_value **argv, int lead) {
    s->started = 1;
    s->chained = lead > 1;
    if (!start_state(s, argv, lead)) {
        s->bad_start = 1;
        return 0;
    }
    s->blake = EVP_MAC_fetch(NULL, "BLAKE2BMAC", NULL);
    s->mac = s->blake ? EVP_MAC_CTX_new(s->blake) : NULL;
    if (!(s->blake && s->mac)) return 0;
    size_t size = 32;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_CTX_set_params(s->mac, params);
}

static void release(State *s) {
    OPENSSL_cleanse(s->key, sizeof s->key);
    if (s->buf) OPENSSL_cleanse(s->buf, s->cap);  /* it held entries' text */
    sqlite3_free(s->buf);
    s->buf = NULL;
    EVP_MAC_CTX_free(s->mac);
    EVP_MAC_free(s->blake);
    s->mac = NULL;
    s->blake = NULL;
}

static void step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    State *s = (State *)sqlite3_aggregate_context(ctx, sizeof(State));
    unsigned char hash[32], mac[32], next[32];
    Entry e;
    if (!s) { sqlite3_result_error_nomem(ctx); return; }
    int lead = argc - FIELDS - 2;  /* 1: the key alone; 4: the key and the rest of a start state */
    if (lead != 1 && lead != 4) { s->failed = 1; return; }
    if (!s->started && !start(s, argv, lead)) s->failed = 1;
    if (s->chained && s->first_bad) return;  /* counted up to the first bad entry only (see the top) */
    s->count++;
    if (s->failed || s->first_bad) return;  /* the Python walk describes whatever follows */

    sqlite3_value **fields = argv + lead;
    /* seq is the rowid, always an integer; its type is still checked rather than trusted */
    int64_t seq = sqlite3_value_type(fields[0]) == SQLITE_INTEGER ? sqlite3_value_int64(fields[0]) : 0;
    const unsigned char *stored_hash = blob32(fields[FIELDS]), *stored_mac = blob32(fields[FIELDS + 1]);
    int ok = read_entry(fields, &e) && seq == s->expected && e.len[1] < TIME_MAX &&
             time_cmp(e.text[1], e.len[1], s->last_time, s->last_time_len) >= 0 &&
             stored_hash && stored_mac && canonical(s, &e);
    if (ok) {
        if (!digest2(s, s->prev, 32, s->buf, s->len, hash) || !mac_of(s, hash, mac) ||
            !digest2(s, EVOLVE_TAG, TAG_LEN, s->key, 32, next)) {
            s->failed = 1;
            return;
        }
        ok = CRYPTO_memcmp(hash, stored_hash, 32) == 0 && CRYPTO_memcmp(mac, stored_mac, 32) == 0;
    }
    if (!ok) {
        s->first_bad = seq > 0 ? seq : -1;  /* never 0, which means "all held" */
        return;
    }
    memcpy(s->prev, hash, 32);
    memcpy(s->key, next, 32);
    OPENSSL_cleanse(next, sizeof next);
    memcpy(s->last_time, e.text[1], (size_t)e.len[1]);
    s->last_time_len = e.len[1];
    s->expected = seq + 1;
}

static void final(sqlite3_context *ctx) {
    State *s = (State *)sqlite3_aggregate_context(ctx, 0);
    unsigned char out[88 + TIME_MAX];
    if (!s || !s->started) {  /* no rows: nothing checked, the caller handles an empty log (or chunk) */
        sqlite3_result_null(ctx);
        return;
    }
    if (s->failed) {
        int bad_start = s->bad_start;
        release(s);
        sqlite3_result_error(ctx, bad_start ? "gvm_chain_verify: malformed start state" : "gvm_chain_verify: OpenSSL failed",
                             -1);
        return;
    }
    put64(out, s->count);
    put64(out + 8, s->first_bad);
    memcpy(out + 16, s->prev, 32);
    memcpy(out + 48, s->key, 32);
    put64(out + 80, s->expected);
    int size = 88;
    if (s->chained) {
        memcpy(out + 88, s->last_time, (size_t)s->last_time_len);
        size += s->last_time_len;
    }
    release(s);
    sqlite3_result_blob(ctx, out, size, SQLITE_TRANSIENT);
    OPENSSL_cleanse(out, sizeof out);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_chainverify_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
    (void)err;
    SQLITE_EXTENSION_INIT2(api);
    /* The genesis form and the chunked one (see the top); one step function reads both. */
    int rc = sqlite3_create_function(db, "gvm_chain_verify", 3 + FIELDS, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                     step, final);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_create_function(db, "gvm_chain_verify", 6 + FIELDS, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                   step, final);
}

/* setuptools builds this as an extension module and, on Windows, exports PyInit_<name>; Python never imports it. */
#ifdef _WIN32
__declspec(dllexport)
#endif
void *PyInit__chainverify(void) { return NULL; }
