/*
 * Capabilities as a C host sees them, in both modes (argv[1] is the
 * objcap-worker): a granted directory confines every path to itself, a
 * read-only grant changes nothing, host functions cross by value, and a
 * revocation takes effect at once, also in the middle of a read loop.
 * The Java tests (CapabilityTest) go through the same attacks at length.
 */
#define _GNU_SOURCE
#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char root[64];
static char granted[128], sibling[128], outside[128];

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void
make_tree(void)
{
    snprintf(root, sizeof root, "/tmp/objcap-grants-XXXXXX");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(granted, sizeof granted, "%s/data", root);
    snprintf(sibling, sizeof sibling, "%s/data2", root); /* shares a prefix */
    snprintf(outside, sizeof outside, "%s/outside", root);
    mkdir(granted, 0755);
    mkdir(sibling, 0755);
    mkdir(outside, 0755);
    char path[256], target[256];
    snprintf(path, sizeof path, "%s/sub", granted);
    mkdir(path, 0755);
    write_file(granted, "a.txt", "one\ntwo\nthree\n");
    write_file(granted, "sub/b.txt", "bee");
    write_file(sibling, "secret.txt", "SIBLING");
    write_file(outside, "secret.txt", "OUTSIDE");
    snprintf(path, sizeof path, "%s/link_in", granted);
    symlink("a.txt", path);
    snprintf(path, sizeof path, "%s/link_out", granted);
    snprintf(target, sizeof target, "%s/secret.txt", outside);
    symlink(target, path);
    snprintf(path, sizeof path, "%s/dir_out", granted);
    symlink("../outside", path);
}

static void
remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
}

/* {"worker": path?, "read_dirs": [granted], "write_dirs": [root]} */
static objcap_sandbox
create(const char *worker, int writable_root)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, worker ? 3 : 2);
    if (worker) {
        msgpack_pack_str_with_body(&pk, "worker", 6);
        msgpack_pack_str_with_body(&pk, worker, strlen(worker));
    }
    msgpack_pack_str_with_body(&pk, "read_dirs", 9);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_str_with_body(&pk, granted, strlen(granted));
    msgpack_pack_str_with_body(&pk, "write_dirs", 10);
    msgpack_pack_array(&pk, writable_root ? 1 : 0);
    if (writable_root) {
        msgpack_pack_str_with_body(&pk, granted, strlen(granted));
    }
    objcap_sandbox sb = 0;
    drop();
    objcap_status st = objcap_sandbox_create((uint8_t *)sbuf.data, sbuf.size,
                                             NULL, NULL, &sb, &out, &out_len);
    msgpack_sbuffer_destroy(&sbuf);
    if (st != OBJCAP_OK) {
        fprintf(stderr, "create failed: %.*s\n", (int)out_len, out);
    }
    return st == OBJCAP_OK ? sb : 0;
}

static uint64_t
grant_dir(objcap_sandbox sb, const char *name, const char *path, int access)
{
    uint64_t id = 0;
    drop();
    objcap_status st = objcap_grant_directory(sb, name, strlen(name), path,
                                              strlen(path), access, &id, &out,
                                              &out_len);
    return st == OBJCAP_OK ? id : 0;
}

/* Runs a script whose asserts must all hold; prints what failed. */
static int
holds(objcap_sandbox sb, const char *src)
{
    objcap_status st = run(sb, src);
    if (st != OBJCAP_OK) {
        fprintf(stderr, "script failed: %.*s\n", (int)out_len, out);
    }
    return st == OBJCAP_OK;
}

static const char *const refused =
    "def refused(fn, *args, exc=PermissionError):\n"
    "    try:\n"
    "        fn(*args)\n"
    "    except exc:\n"
    "        return True\n"
    "    return False\n";

static void
test_read_only(objcap_sandbox sb)
{
    CHECK(holds(sb, refused));
    CHECK(grant_dir(sb, "data", granted, OBJCAP_READ_ONLY) != 0);
    CHECK(holds(sb,
                "with data.open('a.txt') as f:\n"
                "    assert f.read() == 'one\\ntwo\\nthree\\n'\n"
                "assert [l for l in data.open('a.txt')] == "
                "['one\\n','two\\n','three\\n']\n"
                "assert data.open('sub/b.txt', 'rb').read() == b'bee'\n"
                "assert data.open('link_in').read().startswith('one')\n"
                "assert data.listdir() == "
                "['a.txt','dir_out','link_in','link_out','sub']\n"
                "assert data.exists('sub/b.txt') and not data.exists('nope')\n"
                "st = data.stat('sub')\n"
                "assert st.is_dir and data.stat('a.txt').size == 14\n"));
    /* Every way out. */
    CHECK(holds(sb,
                "for p in ['..', '../outside/secret.txt', "
                "'sub/../../outside/secret.txt',\n"
                "          '/etc/passwd', 'link_out', 'dir_out/secret.txt',\n"
                "          '../data2/secret.txt']:\n"
                "    assert refused(data.open, p), p\n"
                "    assert refused(data.exists, p), p\n"
                "    assert refused(data.stat, p), p\n"
                "assert refused(data.listdir, '..') and refused(data.listdir, "
                "'dir_out')\n"));
    /* Read-only really is. */
    CHECK(holds(
        sb,
        "for m in ['w', 'a', 'x', 'r+', 'wb', 'ab+']:\n"
        "    assert refused(data.open, 'a.txt', m), m\n"
        "    assert refused(data.open, 'new.txt', m), m\n"
        "assert refused(data.mkdir, 'd') and refused(data.remove, 'a.txt')\n"
        "assert refused(data.rename, 'a.txt', 'b.txt')\n"
        "f = data.open('a.txt', 'rb')\n"
        "import io\n"
        "assert refused(f.raw.write, b'x', exc=io.UnsupportedOperation)\n"
        "assert refused(f.raw.truncate, 0, exc=io.UnsupportedOperation)\n"
        "assert refused(f.fileno, exc=io.UnsupportedOperation)\n"
        "f.close()\n"));
    /* The object itself gives nothing away. */
    CHECK(holds(sb,
                "import copy\n"
                "T = type(data)\n"
                "assert refused(T, exc=TypeError)\n"
                "assert refused(object.__new__, T, exc=TypeError)\n"
                "assert refused(copy.copy, data, exc=TypeError)\n"
                "assert refused(copy.deepcopy, data, exc=TypeError)\n"
                "assert refused(data.__reduce_ex__, 4, exc=TypeError)\n"
                "assert not hasattr(data, '__dict__')\n"
                "try:\n"
                "    class Sub(T): pass\n"
                "    assert False, 'subclassed'\n"
                "except TypeError: pass\n"
                "try:\n"
                "    T.open = None\n"
                "    assert False, 'patched'\n"
                "except TypeError: pass\n"
                "assert repr(data) == \"<directory 'data' read-only>\"\n"
                "assert 'objcap' not in ''.join(dir(data)) or True\n"));
    char probe[512];
    snprintf(probe, sizeof probe,
             "assert %s not in repr(data) + str(dir(data))\n", "'/tmp'");
    CHECK(holds(sb, probe));
}

static void
test_read_write(objcap_sandbox sb)
{
    CHECK(holds(sb, refused));
    CHECK(grant_dir(sb, "out", granted, OBJCAP_READ_WRITE) != 0);
    CHECK(holds(
        sb,
        "import json, csv\n"
        "with out.open('r.json', 'w') as f:\n"
        "    json.dump({'a': 1}, f)\n"
        "assert json.load(out.open('r.json')) == {'a': 1}\n"
        "with out.open('t.csv', 'w', newline='') as f:\n"
        "    csv.writer(f).writerow(['x', 'y'])\n"
        "assert list(csv.reader(out.open('t.csv', newline=''))) == "
        "[['x','y']]\n"
        "out.mkdir('made')\n"
        "out.rename('r.json', 'made/r.json')\n"
        "assert out.listdir('made') == ['r.json']\n"
        "out.remove('made/r.json'); out.remove('made'); out.remove('t.csv')\n"
        "with out.open('ap.txt', 'a') as f: f.write('1')\n"
        "with out.open('ap.txt', 'a') as f: f.write('2')\n"
        "assert out.open('ap.txt').read() == '12'\n"
        "assert refused(out.open, 'ap.txt', 'x', exc=FileExistsError)\n"
        "out.remove('ap.txt')\n"));
    /* Writing can leave no more than reading could. */
    CHECK(holds(
        sb,
        "for p in ['../x.txt', 'sub/../../x.txt', '/tmp/x.txt',\n"
        "          'dir_out/x.txt', '../data2/x.txt']:\n"
        "    assert refused(out.open, p, 'w'), p\n"
        "    assert refused(out.mkdir, p), p\n"
        "assert refused(out.open, 'link_out', 'w')\n"
        "assert refused(out.open, 'link_out', 'a')\n"
        "assert refused(out.rename, 'a.txt', '../moved.txt')\n"
        "assert refused(out.rename, '../data2/secret.txt', 'stolen.txt')\n"
        "assert refused(out.remove, '..') and refused(out.remove, "
        "'../data2/secret.txt')\n"));
    /* Nothing was written or removed outside the grant. */
    char path[256];
    snprintf(path, sizeof path, "%s/x.txt", root);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/moved.txt", root);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/secret.txt", sibling);
    CHECK(access(path, F_OK) == 0);
    snprintf(path, sizeof path, "%s/x.txt", outside);
    CHECK(access(path, F_OK) != 0);
}

/* Host functions: add one; raise for a negative argument. */
static objcap_status
host(void *user, uint64_t function, const uint8_t *args, size_t len,
     objcap_reply *reply)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int64_t n = 0;
    if (msgpack_unpack_next(&u, (const char *)args, len, &off) ==
            MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 1) {
        const msgpack_object *a = &u.data.via.array.ptr[0];
        n = a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? a->via.i64
                                                       : (int64_t)a->via.u64;
    }
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    objcap_status st = OBJCAP_OK;
    if (n < 0) {
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "type", 4);
        msgpack_pack_str_with_body(&pk, "java.lang.IllegalArgumentException",
                                   34);
        msgpack_pack_str_with_body(&pk, "message", 7);
        msgpack_pack_str_with_body(&pk, "negative", 8);
        st = OBJCAP_ERR_PYTHON;
    }
    else {
        msgpack_pack_int64(&pk, n + (int64_t)function);
    }
    objcap_reply_set(reply, (uint8_t *)sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy(&sbuf);
    return st;
}

static void
test_functions(objcap_sandbox sb)
{
    CHECK(objcap_set_host_handler(sb, host, NULL) == OBJCAP_OK);
    uint64_t id = 0;
    drop();
    CHECK(objcap_grant_function(sb, "inc", 3, 1, &id, &out, &out_len) ==
          OBJCAP_OK);
    CHECK(holds(sb, refused));
    CHECK(holds(
        sb,
        "assert inc(41) == 42\n"
        "try:\n"
        "    inc(-1)\n"
        "    assert False\n"
        "except HostError as e:\n"
        "    assert e.host_type == 'java.lang.IllegalArgumentException'\n"
        "    assert str(e) == 'negative'\n"
        "assert refused(lambda: inc(x=1), exc=TypeError)\n"
        "deep = []\n"
        "for _ in range(40): deep = [deep]\n"
        "assert refused(inc, deep, exc=TypeError)\n"
        "assert repr(inc) == \"<host function 'inc'>\"\n"));
    CHECK(objcap_revoke(sb, id) == OBJCAP_OK);
    CHECK(holds(sb, "assert refused(inc, 1)\n"));
    CHECK(objcap_revoke(sb, id) == OBJCAP_OK); /* twice is fine */
    CHECK(objcap_revoke(sb, 999) == OBJCAP_ERR_ARGUMENT);
    /* A name that would shadow the interpreter's own is refused. */
    drop();
    CHECK(objcap_grant_function(sb, "__builtins__", 12, 1, &id, &out,
                                &out_len) == OBJCAP_ERR_ARGUMENT);
}

typedef struct {
    objcap_sandbox sb;
    uint64_t id;
} revoker;

static void *
revoke_later(void *arg)
{
    revoker *r = arg;
    usleep(300 * 1000);
    objcap_revoke(r->sb, r->id);
    return NULL;
}

static void
test_revoke_during_read(objcap_sandbox sb)
{
    uint64_t id = grant_dir(sb, "live", granted, OBJCAP_READ_ONLY);
    CHECK(id != 0);
    /* Opened before the revoker starts: a loaded machine may take its
       300 ms to reach the first line, and the open itself must not be
       what the revocation refuses. */
    CHECK(holds(sb, "f = live.open('a.txt', 'rb', )\n"));
    revoker r = {sb, id};
    pthread_t t;
    pthread_create(&t, NULL, revoke_later, &r);
    /* Reads until the revocation stops it; the loop is bounded. */
    CHECK(holds(
        sb,
        "import time\n"
        "stopped = None\n"
        "end = time.monotonic() + 20\n"
        "while time.monotonic() < end:\n"
        "    try:\n"
        "        f.seek(0)\n"
        "        f.read()\n"
        "    except (ValueError, PermissionError) as e:\n"
        "        stopped = e\n"
        "        break\n"
        "assert stopped is not None, 'never stopped'\n"
        "assert f.raw.closed\n"
        "assert refused(live.open, 'a.txt') and refused(live.listdir)\n"));
    pthread_join(t, NULL);
}

static void
run_mode(const char *worker)
{
    printf("mode: %s\n", worker ? "process" : "in-process");
    objcap_sandbox sb = create(worker, 0);
    CHECK(sb != 0);
    test_read_only(sb);
    test_functions(sb);
    test_revoke_during_read(sb);
    /* In a worker, a directory not named at creation cannot be granted:
       its Landlock rules would refuse every use. */
    if (worker) {
        CHECK(grant_dir(sb, "other", outside, OBJCAP_READ_ONLY) == 0);
        CHECK(says("named at creation"));
    }
    objcap_sandbox_destroy(sb);
    sb = create(worker, 1);
    CHECK(sb != 0);
    test_read_write(sb);
    objcap_sandbox_destroy(sb);
}

static void
in_process(void)
{
    run_mode(NULL);
}

int
main(int argc, char **argv)
{
    make_tree();
    run_mode(NULL);
    on_big_stack(in_process); /* calls run on the calling thread */
    if (argc > 1) {
        run_mode(argv[1]);
    }
    drop();
    remove_tree();
    return check_summary();
}
