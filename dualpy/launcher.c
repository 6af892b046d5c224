/*
 * dualpy launcher: one `python` that picks the GIL or the free-threaded CPython build, then execs it.
 *
 * Rules, first match wins (the README has the table):
 *   1. DUALPY_PYTHON, in uv's request syntax: 3.13, 3.13t, 3.13+freethreaded, 3.13+gil, t, gil
 *   2. -X gil=0 (free-threaded) or -X gil=1 (GIL build) among the interpreter's own options
 *   3. PYTHON_GIL=0 (free-threaded) or PYTHON_GIL=1 (GIL build)
 *   4. the nearest .python-version from the working directory upwards
 *   5. the default written at install time
 * A request for something not installed is an error (exit 2) listing what is installed.
 *
 * Configuration: <prefix>/etc/dualpy-launcher.conf, <prefix> being the parent of the directory that
 * holds this binary (from /proc/self/exe, so python3 -> python symlinks work); DUALPY_LAUNCHER_CONFIG
 * overrides the path. Lines:
 *     default gil|freethreaded
 *     default-version 3.13          (optional; else the newest installed)
 *     interpreter 3.13 /opt/python/cp313-cp313/bin/python3.13
 *     interpreter 3.13t /opt/python/cp313-cp313t/bin/python3.13t
 *
 * Freestanding (no libc, raw system calls): measured in a dualpy image, a static glibc binary that only
 * calls execv adds 5 % to `python -S -c pass`, almost all of it glibc's start-up; this adds about 1 %.
 * One execve and nothing else: no child process, no Python started before the chosen interpreter.
 * Build: cc -O2 -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector
 *        -fno-tree-loop-distribute-patterns -o python launcher.c   (dualpy.launcher.COMPILE_FLAGS)
 */

typedef unsigned long size_t;
typedef long ssize_t;

#define PATH_MAX 4096
#define AT_FDCWD (-100)
#define EXIT_USAGE 2
#define MAX_INTERPRETERS 64
#define CONFIG_NAME "/etc/dualpy-launcher.conf"

#if defined(__x86_64__)
#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_execve 59
#define SYS_getcwd 79
#define SYS_exit_group 231
#define SYS_openat 257
#define SYS_readlinkat 267
static long sys4(long n, long a, long b, long c, long d) {
    long result;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(result) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return result;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n call launcher_main\n hlt\n");
#elif defined(__aarch64__)
#define SYS_getcwd 17
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_readlinkat 78
#define SYS_exit_group 94
#define SYS_execve 221
static long sys4(long n, long a, long b, long c, long d) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n bl launcher_main\n");
#else
#error "the dualpy launcher supports Linux on x86_64 and aarch64"
#endif

/* The compiler may call these for struct copies even in freestanding code. */
void *memcpy(void *to, const void *from, size_t n) {
    char *d = to;
    const char *s = from;
    while (n--) *d++ = *s++;
    return to;
}
void *memset(void *to, int value, size_t n) {
    char *d = to;
    while (n--) *d++ = (char)value;
    return to;
}

static __attribute__((noreturn)) void leave(int code) {
    sys4(SYS_exit_group, code, 0, 0, 0);
    for (;;) {}
}

static size_t length(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static int starts(const char *s, const char *prefix) {
    while (*prefix && *s == *prefix) s++, prefix++;
    return *prefix == '\0';
}

static void copy(char *to, size_t size, const char *from) {
    size_t i = 0;
    for (; from[i] && i + 1 < size; i++) to[i] = from[i];
    to[i] = '\0';
}

/* A message assembled piece by piece, written to stderr at once. */
static char message[8192];
static size_t message_length;

static void say(const char *s) {
    while (*s && message_length + 1 < sizeof message) message[message_length++] = *s++;
}

static void say_number(long n) {
    char digits[24];
    int i = 0;
    if (n < 0) say("-"), n = -n;
    do digits[i++] = (char)('0' + n % 10); while ((n /= 10) && i < 23);
    while (i) {
        char one[2] = {digits[--i], 0};
        say(one);
    }
}

static void flush_message(void) {
    sys4(SYS_write, 2, (long)message, (long)message_length, 0);
    message_length = 0;
}

static __attribute__((noreturn)) void fail(void) {
    say("\n");
    flush_message();
    leave(EXIT_USAGE);
}

static const char *error_text(long error) {
    switch (-error) {
    case 2: return "No such file or directory";
    case 8: return "Exec format error";
    case 13: return "Permission denied";
    case 20: return "Not a directory";
    default: return "system error";
    }
}

enum variant { ANY = -1, GIL = 0, FREETHREADED = 1 };

struct request {
    int major, minor; /* 0 when the request names no version */
    enum variant variant;
};

struct interpreter {
    struct request name;
    char path[PATH_MAX];
};

static struct interpreter installed[MAX_INTERPRETERS];
static int installed_count;
static enum variant default_variant = GIL;
static int default_major, default_minor;
static char config_path[PATH_MAX + 32];
static char **environment;

static const char *get_environment(const char *name) {
    size_t n = length(name);
    for (char **entry = environment; *entry; entry++) {
        if (starts(*entry, name) && (*entry)[n] == '=') return *entry + n + 1;
    }
    return 0;
}

static char *trim(char *text) {
    while (*text == ' ' || *text == '\t') text++;
    char *end = text + length(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) *--end = '\0';
    return text;
}

static int read_number(const char **cursor) {
    const char *s = *cursor;
    int value = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) value = value * 10 + (*s++ - '0'), digits++;
    *cursor = s;
    return digits ? value : -1;
}

/* Parse "3.13", "3.13t", "3.13.15", "3.15.0b3", "3.13+gil", "t", "gil", "cpython-3.13t"; 0 when well formed. */
static int parse_request(const char *text, struct request *out) {
    char buffer[64];
    if (length(text) >= sizeof buffer) return -1;
    copy(buffer, sizeof buffer, text);
    char *s = trim(buffer);
    if (starts(s, "cpython-") || starts(s, "cpython@")) s += 8;
    out->major = out->minor = 0;
    out->variant = GIL;
    if (same(s, "t") || same(s, "freethreaded")) return out->variant = FREETHREADED, 0;
    if (same(s, "gil")) return 0;
    char *plus = s;
    while (*plus && *plus != '+') plus++;
    int has_plus = *plus == '+';
    if (has_plus) {
        *plus = '\0';
        if (same(plus + 1, "freethreaded")) out->variant = FREETHREADED;
        else if (!same(plus + 1, "gil")) return -1;
    }
    size_t n = length(s);
    if (n && s[n - 1] == 't') {
        if (has_plus) return -1; /* 3.13t+gil says two things */
        out->variant = FREETHREADED;
        s[--n] = '\0';
    }
    const char *cursor = s;
    int major = read_number(&cursor);
    if (major != 3 || *cursor++ != '.') return -1;
    int minor = read_number(&cursor);
    if (minor < 0) return -1;
    if (*cursor == '.') {
        cursor++;
        if (read_number(&cursor) < 0) return -1;
        /* a pre-release such as 3.15.0b3 names the same interpreter */
        while (*cursor == 'a' || *cursor == 'b' || *cursor == 'r' || *cursor == 'c' || (*cursor >= '0' && *cursor <= '9'))
            cursor++;
    }
    if (*cursor) return -1;
    out->major = major;
    out->minor = minor;
    return 0;
}

static void say_request(int major, int minor, enum variant variant) {
    say_number(major), say("."), say_number(minor);
    if (variant == FREETHREADED) say("t");
}

static void say_installed(void) {
    say("installed: ");
    if (!installed_count) say("none ("), say(config_path), say(" lists no interpreter)");
    for (int i = 0; i < installed_count; i++) {
        if (i) say(", ");
        say_request(installed[i].name.major, installed[i].name.minor, installed[i].name.variant);
    }
}

static void config_error(int line, const char *what) {
    say("dualpy launcher: "), say(config_path), say(":"), say_number(line), say(": "), say(what);
    fail();
}

static void read_config(void) {
    const char *explicit = get_environment("DUALPY_LAUNCHER_CONFIG");
    if (explicit && *explicit) {
        copy(config_path, sizeof config_path, explicit);
    } else {
        char self[PATH_MAX];
        long n = sys4(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)self, sizeof self - 1);
        if (n <= 0) say("dualpy launcher: cannot find its own location (/proc/self/exe): set DUALPY_LAUNCHER_CONFIG"), fail();
        self[n] = '\0';
        for (int cut = 0; cut < 2; cut++) {
            char *slash = self + length(self);
            while (slash > self && *slash != '/') slash--;
            *slash = '\0';
        }
        copy(config_path, sizeof config_path, self);
        copy(config_path + length(config_path), sizeof config_path - length(config_path), CONFIG_NAME);
    }
    static char text[65536];
    long fd = sys4(SYS_openat, AT_FDCWD, (long)config_path, 0, 0);
    if (fd < 0) {
        say("dualpy launcher: cannot read "), say(config_path), say(" ("), say(error_text(fd));
        say("): reinstall with `dualpy launcher install`");
        fail();
    }
    long total = 0, got;
    while ((got = sys4(SYS_read, fd, (long)(text + total), (long)(sizeof text - 1 - total), 0)) > 0) total += got;
    sys4(SYS_close, fd, 0, 0, 0);
    text[total] = '\0';
    int number = 0;
    for (char *line = text; *line;) {
        char *end = line;
        while (*end && *end != '\n') end++;
        char *next = *end ? end + 1 : end;
        *end = '\0';
        number++;
        char *key = trim(line);
        line = next;
        if (!*key || *key == '#') continue;
        char *value = key;
        while (*value && *value != ' ' && *value != '\t') value++;
        if (*value) *value++ = '\0';
        value = trim(value);
        if (same(key, "default")) {
            if (same(value, "gil")) default_variant = GIL;
            else if (same(value, "freethreaded")) default_variant = FREETHREADED;
            else config_error(number, "default must be gil or freethreaded");
        } else if (same(key, "default-version")) {
            struct request r;
            if (parse_request(value, &r) || !r.major) config_error(number, "bad default-version");
            default_major = r.major;
            default_minor = r.minor;
        } else if (same(key, "interpreter")) {
            char *path = value;
            while (*path && *path != ' ' && *path != '\t') path++;
            if (*path) *path++ = '\0';
            path = trim(path);
            struct request r;
            if (parse_request(value, &r) || !r.major || !*path) config_error(number, "expected `interpreter 3.X[t] PATH`");
            if (installed_count == MAX_INTERPRETERS) config_error(number, "too many interpreters");
            installed[installed_count].name = r;
            copy(installed[installed_count].path, PATH_MAX, path);
            installed_count++;
        } else {
            config_error(number, "unknown setting");
        }
    }
    if (!default_major) {
        for (int i = 0; i < installed_count; i++) {
            if (!default_major || installed[i].name.minor > default_minor) {
                default_major = installed[i].name.major;
                default_minor = installed[i].name.minor;
            }
        }
    }
}

static const struct interpreter *lookup(const struct request *r) {
    int major = r->major ? r->major : default_major, minor = r->major ? r->minor : default_minor;
    for (int i = 0; i < installed_count; i++) {
        const struct request *have = &installed[i].name;
        if (have->major == major && have->minor == minor && have->variant == r->variant) return &installed[i];
    }
    return 0;
}

/* The -X gil=N value among the interpreter's options (before the script, -c or -m); ANY when absent. */
static enum variant scan_x_gil(int argc, char **argv) {
    enum variant found = ANY;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0' || same(arg, "--")) break;
        if (arg[1] == '-') {
            if (same(arg, "--check-hash-based-pycs")) i++;
            continue;
        }
        for (const char *c = arg + 1; *c; c++) {
            if (*c == 'c' || *c == 'm') return found;
            if (*c == 'W' || *c == 'X') {
                const char *value = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : "");
                if (*c == 'X' && starts(value, "gil=")) {
                    if (same(value + 4, "0")) found = FREETHREADED;
                    else if (same(value + 4, "1")) found = GIL;
                    else say("dualpy launcher: -X "), say(value), say(": the value must be gil=0 or gil=1"), fail();
                }
                break;
            }
        }
    }
    return found;
}

/* The request in the nearest .python-version upwards from the working directory; 0 when none. */
static int python_version_file(struct request *out, char *where, size_t where_size) {
    char directory[PATH_MAX];
    if (sys4(SYS_getcwd, (long)directory, sizeof directory, 0, 0) < 0) return 0;
    for (;;) {
        char path[PATH_MAX + 32];
        copy(path, sizeof path, same(directory, "/") ? "" : directory);
        copy(path + length(path), sizeof path - length(path), "/.python-version");
        long fd = sys4(SYS_openat, AT_FDCWD, (long)path, 0, 0);
        if (fd >= 0) {
            char text[4096];
            long total = 0, got;
            while ((got = sys4(SYS_read, fd, (long)(text + total), (long)(sizeof text - 1 - total), 0)) > 0) total += got;
            sys4(SYS_close, fd, 0, 0, 0);
            text[total] = '\0';
            int have_first = 0;
            struct request first = {0, 0, GIL};
            for (char *line = text; *line;) {
                char *end = line;
                while (*end && *end != '\n') end++;
                char *next = *end ? end + 1 : end;
                *end = '\0';
                for (char *hash = line; *hash; hash++)
                    if (*hash == '#') *hash = '\0';
                char *entry = trim(line);
                line = next;
                if (!*entry) continue;
                struct request r;
                if (parse_request(entry, &r)) {
                    say("dualpy launcher: "), say(path), say(": "), say(entry);
                    say(" is not a Python version (write 3.13 or 3.13t)");
                    fail();
                }
                if (!have_first) first = r, have_first = 1;
                if (lookup(&r)) { /* several lines (pyenv): the first installed one wins */
                    *out = r;
                    copy(where, where_size, path);
                    return 1;
                }
            }
            if (have_first) { /* none installed: the first line is reported as missing */
                *out = first;
                copy(where, where_size, path);
                return 1;
            }
        }
        if (same(directory, "/")) return 0;
        char *slash = directory + length(directory);
        while (slash > directory && *slash != '/') slash--;
        if (slash == directory) directory[1] = '\0';
        else *slash = '\0';
    }
}

static void say_rule(int rule, const char *what, const char *value) {
    say("rule "), say_number(rule), say(", "), say(what), say(value);
}

__attribute__((used, noreturn)) void launcher_main(long *stack) {
    int argc = (int)stack[0];
    char **argv = (char **)(stack + 1);
    environment = argv + argc + 1;
    const char *debug = get_environment("DUALPY_LAUNCHER_DEBUG");
    read_config();

    struct request chosen = {0, 0, GIL};
    char why[PATH_MAX + 128];
    const char *requested = get_environment("DUALPY_PYTHON");
    enum variant x_gil = scan_x_gil(argc, argv);
    const char *python_gil = get_environment("PYTHON_GIL");

    /* The reason is built in `message`, then moved to `why` for the error and debug lines. */
    if (requested && *requested) {
        if (parse_request(requested, &chosen)) {
            say("dualpy launcher: DUALPY_PYTHON="), say(requested);
            say(" is not a request like 3.13, 3.13t, 3.13+freethreaded, 3.13+gil, t or gil");
            fail();
        }
        if (x_gil == FREETHREADED && chosen.variant == GIL) {
            say("dualpy launcher: DUALPY_PYTHON="), say(requested);
            say(" asks for the GIL build, which cannot run with -X gil=0; drop one of them");
            fail();
        }
        say_rule(1, "DUALPY_PYTHON=", requested);
    } else if (x_gil != ANY) {
        chosen.variant = x_gil;
        say_rule(2, "-X gil=", x_gil == FREETHREADED ? "0" : "1");
    } else if (python_gil && *python_gil) {
        if (!same(python_gil, "0") && !same(python_gil, "1")) {
            say("dualpy launcher: PYTHON_GIL="), say(python_gil), say(": the value must be 0 (free-threaded) or 1 (GIL)");
            fail();
        }
        chosen.variant = python_gil[0] == '0' ? FREETHREADED : GIL;
        say_rule(3, "PYTHON_GIL=", python_gil);
    } else {
        char where[PATH_MAX + 32];
        if (python_version_file(&chosen, where, sizeof where)) say_rule(4, "", where);
        else say_rule(5, "default ", default_variant == FREETHREADED ? "freethreaded" : "gil"), chosen.variant = default_variant;
    }
    message[message_length] = '\0';
    copy(why, sizeof why, message);
    message_length = 0;

    /* A GIL build refuses PYTHON_GIL=0 at start-up, even with -X gil=1: say so now, in one line. */
    if (chosen.variant == GIL && python_gil && same(python_gil, "0")) {
        say("dualpy launcher: PYTHON_GIL=0 cannot run on the GIL build chosen by "), say(why);
        say("; unset PYTHON_GIL or ask for a t build");
        fail();
    }
    const struct interpreter *target = lookup(&chosen);
    if (!target) {
        int major = chosen.major ? chosen.major : default_major, minor = chosen.major ? chosen.minor : default_minor;
        say("dualpy launcher: Python "), say_request(major, minor, chosen.variant);
        say(chosen.variant == FREETHREADED ? " (free-threaded build, from " : " (GIL build, from "), say(why);
        say(") is not installed; "), say_installed();
        fail();
    }
    if (debug && *debug && !same(debug, "0")) {
        say("dualpy launcher: "), say(why), say(" -> ");
        say_request(target->name.major, target->name.minor, target->name.variant);
        say(" "), say(target->path), say("\n");
        flush_message();
    }
    argv[0] = (char *)target->path;
    long error = sys4(SYS_execve, (long)target->path, (long)argv, (long)environment, 0);
    say("dualpy launcher: cannot run "), say(target->path), say(": "), say(error_text(error));
    fail();
}
