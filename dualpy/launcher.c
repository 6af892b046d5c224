/*
 * dualpy launcher: one `python` that picks the GIL or the free-threaded CPython build, then execs it.
 *
 * Rules, first match wins (docs/guide/launcher.md has the table):
 *   1. DUALPY_PYTHON, in uv's request syntax: 3.14, 3.14t, 3.14+freethreaded, 3.14+gil, t, gil, cp314t, ...
 *   2. -X gil=0 (free-threaded) or -X gil=1 (GIL build) among the interpreter's own options; the first
 *      -X gil wins, as in CPython
 *   3. PYTHON_GIL=0 (free-threaded) or PYTHON_GIL=1 (GIL build), ignored under -E and -I as CPython does
 *   4. the nearest .python-version from the working directory upwards
 *   5. the default written at install time
 * Rules 2 and 3 choose the build; its version comes from the nearest .python-version when there is one,
 * else from the default version. A request for something not installed is an error (exit 2) listing what
 * is installed; the launcher never falls back to another build.
 *
 * Hostile input (files in shared directories, odd working directories) is refused with one line, never
 * cut short and never waited on: only regular files are read (opened non-blocking, checked with fstat),
 * anything longer than its buffer is refused, and untrusted text is printed with control bytes as \xNN.
 *
 * Configuration: <prefix>/etc/dualpy-launcher.conf, <prefix> being the parent of the directory that
 * holds this binary (from /proc/self/exe, so python3 -> python symlinks work); DUALPY_LAUNCHER_CONFIG
 * overrides the path. Lines:
 *     default gil|freethreaded
 *     default-version 3.14          (optional; else the newest minor listed)
 *     interpreter 3.14 /opt/python/cp314-cp314/bin/python3.14
 *     interpreter 3.14t /opt/python/cp314-cp314t/bin/python3.14t
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
#define CONFIG_MAX 65536
#define PIN_MAX 4096
#define REQUEST_MAX 128

/* open(2) flags, the same on x86_64 and aarch64 */
#define O_RDONLY 0
#define O_NOCTTY 0400
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFIFO 0010000
#define S_IFSOCK 0140000
#define S_IFCHR 0020000
#define S_IFBLK 0060000

#define ENOENT 2
#define E2BIG 7
#define ENOTDIR 20
#define ERANGE 34
#define ENAMETOOLONG 36

#if defined(__x86_64__)
#define ARCH_NAME "x86_64"
#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_fstat 5
#define SYS_execve 59
#define SYS_getcwd 79
#define SYS_exit_group 231
#define SYS_openat 257
#define SYS_newfstatat 262
#define SYS_readlinkat 267
struct kernel_stat { /* arch/x86/include/uapi/asm/stat.h */
    unsigned long st_dev, st_ino, st_nlink;
    unsigned int st_mode, st_uid, st_gid, pad0;
    unsigned long st_rdev;
    long st_size, st_blksize, st_blocks;
    unsigned long times[6];
    long unused[3];
};
static long sys4(long n, long a, long b, long c, long d) {
    long result;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(result) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return result;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n call launcher_main\n hlt\n");
#elif defined(__aarch64__)
#define ARCH_NAME "aarch64"
#define SYS_getcwd 17
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_readlinkat 78
#define SYS_newfstatat 79
#define SYS_fstat 80
#define SYS_exit_group 94
#define SYS_execve 221
struct kernel_stat { /* include/uapi/asm-generic/stat.h */
    unsigned long st_dev, st_ino;
    unsigned int st_mode, st_nlink, st_uid, st_gid;
    unsigned long st_rdev, pad1;
    long st_size;
    int st_blksize, pad2;
    long st_blocks;
    long times[6];
    unsigned int unused[2];
};
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

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copy into a buffer of `size` bytes; -1 (and an empty result) when it does not fit: never a cut value. */
static int copy(char *to, size_t size, const char *from) {
    size_t n = length(from);
    if (n + 1 > size) {
        if (size) to[0] = '\0';
        return -1;
    }
    for (size_t i = 0; i <= n; i++) to[i] = from[i];
    return 0;
}

/* Append to the string in a buffer of `size` bytes; -1 when it does not fit. */
static int append(char *to, size_t size, const char *from) {
    size_t used = length(to);
    return copy(to + used, size - used, from) ? (to[used] = '\0', -1) : 0;
}

/* A message assembled piece by piece, written to stderr at once. */
static char message[8192];
static size_t message_length;

static void say(const char *s) {
    while (*s && message_length + 1 < sizeof message) message[message_length++] = *s++;
}

/* Text from files, the environment or arguments: control bytes (C0, DEL and UTF-8 encoded C1) as \xNN. */
static void say_escaped(const char *s) {
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        int c1 = *c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f;
        if (*c < 0x20 || *c == 0x7f || c1) {
            int count = c1 ? 2 : 1;
            for (int i = 0; i < count; i++) {
                char escaped[5] = {'\\', 'x', hex[c[i] >> 4], hex[c[i] & 15], 0};
                say(escaped);
            }
            c += count - 1;
        } else {
            char one[2] = {(char)*c, 0};
            say(one);
        }
    }
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

/* The name of a negative system call result, with the errno for the ones not listed. */
static void say_error(long error) {
    switch (-error) {
    case 1: say("Operation not permitted"); return;
    case 2: say("No such file or directory"); return;
    case 5: say("Input/output error"); return;
    case E2BIG: say("Argument list too long: the arguments and environment exceed the kernel's limit (E2BIG)"); return;
    case 8: say("Exec format error"); return;
    case 12: say("Cannot allocate memory"); return;
    case 13: say("Permission denied"); return;
    case 20: say("Not a directory"); return;
    case 21: say("Is a directory"); return;
    case 23: case 24: say("Too many open files"); return;
    case 26: say("Text file busy"); return;
    case ERANGE: say("Numerical result out of range"); return;
    case 36: say("File name too long"); return;
    case 40: say("Too many levels of symbolic links"); return;
    default: say("errno "), say_number(-error); return;
    }
}

static const char *file_type(unsigned int mode) {
    switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    default: return "not a regular file";
    }
}

/* READ_UNSEEN: stat failed with ELOOP or EACCES, so the path is not seen as a file (uv's is_file() is false) */
enum read_status { READ_OK, READ_ABSENT, READ_UNSEEN, READ_NOT_REGULAR, READ_TOO_BIG, READ_HAS_NUL, READ_ERROR };

struct read_result {
    enum read_status status;
    long error;        /* READ_ERROR: the negative errno */
    unsigned int mode; /* READ_NOT_REGULAR: the file type */
    long size;
};

/*
 * Read a whole regular file into buffer (NUL-terminated). A FIFO or device is never waited on: the open is
 * non-blocking and fstat on the descriptor decides. `stat_first` stats the path before opening it so a
 * missing file costs one system call and a device is never opened.
 */
static struct read_result read_text_file(const char *path, char *buffer, size_t size, int stat_first) {
    struct read_result result = {READ_OK, 0, 0, 0};
    struct kernel_stat st;
    long r;
    if (stat_first) {
        r = sys4(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0);
        if (r == -ENOENT || r == -ENOTDIR) return result.status = READ_ABSENT, result;
        if (r == -40 || r == -13) return result.status = READ_UNSEEN, result.error = r, result;
        if (r < 0) return result.status = READ_ERROR, result.error = r, result;
        if ((st.st_mode & S_IFMT) != S_IFREG) return result.status = READ_NOT_REGULAR, result.mode = st.st_mode, result;
    }
    long fd = sys4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
    if (fd == -ENOENT || fd == -ENOTDIR) return result.status = READ_ABSENT, result;
    if (fd < 0) return result.status = READ_ERROR, result.error = fd, result;
    r = sys4(SYS_fstat, fd, (long)&st, 0, 0);
    if (r < 0) result.status = READ_ERROR, result.error = r;
    else if ((st.st_mode & S_IFMT) != S_IFREG) result.status = READ_NOT_REGULAR, result.mode = st.st_mode;
    else if ((size_t)st.st_size > size - 1) result.status = READ_TOO_BIG, result.size = st.st_size;
    long total = 0;
    while (result.status == READ_OK) {
        if ((size_t)total == size - 1) { /* full: the file grew since fstat if one more byte comes */
            char extra;
            r = sys4(SYS_read, fd, (long)&extra, 1, 0);
            if (r > 0) result.status = READ_TOO_BIG, result.size = total + r;
            else if (r < 0) result.status = READ_ERROR, result.error = r;
            break;
        }
        r = sys4(SYS_read, fd, (long)(buffer + total), (long)(size - 1 - (size_t)total), 0);
        if (r < 0) result.status = READ_ERROR, result.error = r;
        if (r <= 0) break;
        total += r;
    }
    sys4(SYS_close, fd, 0, 0, 0);
    buffer[total] = '\0';
    if (result.status == READ_OK && length(buffer) != (size_t)total) result.status = READ_HAS_NUL;
    return result;
}

/* Says why a file could not be used (after its name), for READ_NOT_REGULAR .. READ_ERROR. */
static void say_read_problem(struct read_result r, size_t size) {
    switch (r.status) {
    case READ_NOT_REGULAR: say(" is "), say(file_type(r.mode)), say(", not a regular file"); break;
    case READ_TOO_BIG: say(" is over "), say_number((long)size - 1), say(" bytes and is not read in part"); break;
    case READ_HAS_NUL: say(" holds a NUL byte: not a text file"); break;
    case READ_UNSEEN:
    case READ_ERROR: say(" cannot be read ("), say_error(r.error), say(")"); break;
    default: break;
    }
}

enum variant { ANY = -1, GIL = 0, FREETHREADED = 1 };

/* What one request text names (DUALPY_PYTHON or a .python-version line). */
enum kind {
    KIND_VERSION,   /* a CPython version and/or build: 3.14t, cp314, t, gil, ... */
    KIND_SKIP,      /* system, default, any, cpython: no particular build */
    KIND_OTHER,     /* another implementation: pypy3.10, graalpy-24.1, miniconda3-latest, ... */
    KIND_PATH,      /* an interpreter path, as `uv python pin --resolved` writes */
    KIND_RANGE,     /* a version range such as >=3.12 */
    KIND_MALFORMED,
};

struct request {
    int major, minor; /* 0 when the request names no version */
    enum variant variant;
    int unavailable;  /* a debug build, another platform or Python 2: never installed by dualpy */
    int index;        /* a path request: the interpreter it names, or -1 */
    const char *path; /* a path request: its text */
};

struct interpreter {
    struct request name;
    char path[PATH_MAX];
};

static struct interpreter installed[MAX_INTERPRETERS];
static int installed_count;
static enum variant default_variant = GIL;
static int default_major, default_minor, default_line;
static char config_path[PATH_MAX + 32];
static char **environment;
static char note[1024]; /* what rule 4 skipped, for DUALPY_LAUNCHER_DEBUG */

static void add_note(const char *a, const char *b, const char *c) {
    if (append(note, sizeof note, a) || append(note, sizeof note, b) || append(note, sizeof note, c)) {
        note[sizeof note - 5] = '\0';
        append(note, sizeof note, "...");
    }
}

static const char *get_environment(const char *name) {
    size_t n = length(name);
    for (char **entry = environment; *entry; entry++) {
        if (starts(*entry, name) && (*entry)[n] == '=') return *entry + n + 1;
    }
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static char *trim(char *text) {
    while (is_space(*text)) text++;
    char *end = text + length(text);
    while (end > text && is_space(end[-1])) *--end = '\0';
    return text;
}

/* Up to five digits; -1 when there are none. `count` receives how many were read. */
static int read_number(const char **cursor, int *count) {
    const char *s = *cursor;
    int value = 0, digits = 0;
    while (is_digit(*s) && digits < 5) value = value * 10 + (*s++ - '0'), digits++;
    *cursor = s;
    if (count) *count = digits;
    return digits ? value : -1;
}

/* Implementations uv and pyenv know besides CPython: lines naming them are skipped, as uv/pyenv skip ours. */
static int names_other_implementation(const char *s) {
    static const char *const names[] = {
        "pypy", "graalpy", "graalpython", "pyodide", "jython", "ironpython", "micropython", "stackless",
        "pyston", "anaconda", "miniconda", "miniforge", "mambaforge", "activepython", "cinder", "nogil", 0,
    };
    for (int i = 0; names[i]; i++)
        if (starts(s, names[i])) return 1;
    /* uv's short names pp (PyPy) and gp (GraalPy): alone, or followed by a version or @ */
    if ((starts(s, "pp") || starts(s, "gp")) && (s[2] == '\0' || s[2] == '@' || is_digit(s[2]))) return 1;
    return 0;
}

/* A uv variant suffix after the version's last digit (a leading + is optional): 0 when known. */
static int parse_variant(const char *s, struct request *out) {
    if (*s == '+') s++;
    if (same(s, "") || same(s, "gil")) return out->variant = GIL, 0;
    if (same(s, "t") || same(s, "freethreaded")) return out->variant = FREETHREADED, 0;
    if (same(s, "d") || same(s, "debug") || same(s, "gil+debug")) return out->variant = GIL, out->unavailable = 1, 0;
    if (same(s, "td") || same(s, "freethreaded+debug")) return out->variant = FREETHREADED, out->unavailable = 1, 0;
    return -1;
}

/* The -os-arch-libc parts of a uv download key (cpython-3.14.7+freethreaded-linux-x86_64-gnu), or pyenv's -dev. */
static int parse_key_parts(char *s, struct request *out) {
    if (!*s) return -1;
    if (same(s, "dev")) return 0; /* pyenv's 3.14-dev / 3.14t-dev: a build of that minor */
    static const char *const wanted[3][3] = {{"linux", "any", 0}, {ARCH_NAME, "any", 0}, {"gnu", "any", 0}};
    int position = 0;
    while (*s) {
        char *end = s;
        while (*end && *end != '-') end++;
        int last = *end == '\0';
        *end = '\0';
        if (position == 3 || !*s) return -1;
        int matched = 0;
        for (int i = 0; wanted[position][i]; i++) matched |= same(s, wanted[position][i]);
        if (position == 1 && same(ARCH_NAME, "aarch64") && same(s, "arm64")) matched = 1;
        if (!matched) out->unavailable = 1; /* another OS, architecture or libc: cannot be installed here */
        position++;
        s = last ? end : end + 1;
    }
    return 0;
}

/*
 * What a request names. Accepts what uv and pyenv write (case-insensitive, as uv): 3.14, 3.14t, 3.14T,
 * 3.14+freethreaded, 3.14+gil, 3.14.7t, 3.15rc1, 3.15.0rc2t, 314t, cp314t, cpython3.14t, cpython@3.14t,
 * cpython-3.14t, python3.14t, python-3.14, cpython-3.14.7+freethreaded-linux-x86_64-gnu, 3.14t-dev, t, gil.
 */
static enum kind parse_request(const char *text, struct request *out) {
    char buffer[REQUEST_MAX];
    out->major = out->minor = 0;
    out->variant = GIL;
    out->unavailable = 0;
    out->index = -1;
    out->path = 0;
    if (copy(buffer, sizeof buffer, text)) {
        for (const char *c = text; *c; c++)
            if (*c == '/') return out->path = text, KIND_PATH;
        return KIND_MALFORMED;
    }
    char *s = trim(buffer);
    for (char *c = s; *c; c++) {
        if (*c == '/') return out->path = text, KIND_PATH;
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    }
    if (!*s) return KIND_MALFORMED;
    if (same(s, "system") || same(s, "default") || same(s, "any")) return KIND_SKIP;
    if (names_other_implementation(s)) return KIND_OTHER;
    if (*s == '<' || *s == '>' || *s == '=' || *s == '!' || *s == '~') return KIND_RANGE;
    for (char *c = s; *c; c++)
        if (*c == ',' || *c == '*') return KIND_RANGE;
    if (same(s, "t") || same(s, "freethreaded")) return out->variant = FREETHREADED, KIND_VERSION;
    if (same(s, "gil")) return KIND_VERSION;
    const char *start = s;
    if (starts(s, "cpython")) s += 7;
    else if (starts(s, "cp") && (s[2] == '\0' || s[2] == '@' || s[2] == '-' || is_digit(s[2]))) s += 2;
    else if (starts(s, "python")) s += 6;
    if (s != start && !*s) return KIND_SKIP; /* `cpython`, `cp` or `python` alone: any CPython */
    if (s != start && (*s == '@' || *s == '-')) s++; /* cpython@3.14, python-3.14 (a bare @3.14 is malformed) */
    char *key = s; /* everything after the version is a download key's -os-arch-libc (or pyenv's -dev) */
    while (*key && *key != '-') key++;
    int has_key = *key == '-';
    *key = '\0';
    const char *cursor = s;
    int digits;
    int major = read_number(&cursor, &digits);
    if (major < 0) return KIND_MALFORMED;
    int minor;
    if (*cursor == '.') {
        if (digits != 1) return KIND_MALFORMED;
        cursor++;
        minor = read_number(&cursor, 0);
        if (minor < 0) return KIND_MALFORMED;
        if (*cursor == '.') {
            cursor++;
            if (read_number(&cursor, 0) < 0) return KIND_MALFORMED;
        }
    } else {
        /* uv's wheel-tag form: 314 is 3.14 (a lone 3 names no minor: refused) */
        if (digits < 2 || s[0] == '0') return KIND_MALFORMED;
        major = s[0] - '0';
        const char *rest = s + 1;
        minor = read_number(&rest, 0);
    }
    /* a pre-release names the same minor: 3.15rc1, 3.15.0rc2, 3.15.0b3 (PEP 440 a, b, c, rc) */
    if (*cursor == 'a' || *cursor == 'b' || *cursor == 'c' || starts(cursor, "rc")) {
        cursor += starts(cursor, "rc") ? 2 : 1;
        read_number(&cursor, 0);
    }
    if (parse_variant(cursor, out)) return KIND_MALFORMED;
    if (has_key && parse_key_parts(key + 1, out)) return KIND_MALFORMED;
    if (major != 3) out->unavailable = 1;
    out->major = major;
    out->minor = minor;
    return KIND_VERSION;
}

/* An interpreter name in the configuration: exactly 3.N or 3.Nt. */
static int parse_config_name(const char *s, struct request *out) {
    if (!starts(s, "3.")) return -1;
    const char *cursor = s + 2;
    int digits;
    int minor = read_number(&cursor, &digits);
    if (minor < 0 || digits > 3 || (digits > 1 && s[2] == '0')) return -1;
    out->major = 3;
    out->minor = minor;
    out->variant = GIL;
    out->unavailable = 0;
    out->index = -1;
    out->path = 0;
    if (*cursor == 't') out->variant = FREETHREADED, cursor++;
    return *cursor ? -1 : 0;
}

static void say_request(int major, int minor, enum variant variant) {
    say_number(major), say("."), say_number(minor);
    if (variant == FREETHREADED) say("t");
}

static void say_installed(void) {
    say("installed: ");
    if (!installed_count) say("none ("), say_escaped(config_path), say(" lists no interpreter)");
    for (int i = 0; i < installed_count; i++) {
        if (i) say(", ");
        say_request(installed[i].name.major, installed[i].name.minor, installed[i].name.variant);
    }
}

static void config_error(int line, const char *what) {
    say("dualpy launcher: "), say_escaped(config_path), say(":"), say_number(line), say(": "), say(what);
    say(" (fix the file or reinstall with `dualpy launcher install`)");
    fail();
}

static void read_config(void) {
    const char *explicit = get_environment("DUALPY_LAUNCHER_CONFIG");
    if (explicit && *explicit) {
        if (copy(config_path, sizeof config_path, explicit)) {
            say("dualpy launcher: DUALPY_LAUNCHER_CONFIG is longer than "), say_number(sizeof config_path - 1);
            say(" bytes: point it at a shorter path");
            fail();
        }
    } else {
        char self[PATH_MAX];
        long n = sys4(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)self, sizeof self);
        if (n <= 0 || n >= (long)sizeof self) {
            say("dualpy launcher: cannot find its own location (/proc/self/exe");
            if (n < 0) say(": "), say_error(n);
            else if (n >= (long)sizeof self) say(": longer than "), say_number(sizeof self - 1), say(" bytes");
            say("): set DUALPY_LAUNCHER_CONFIG");
            fail();
        }
        self[n] = '\0';
        for (int cut = 0; cut < 2; cut++) {
            char *slash = self + length(self);
            while (slash > self && *slash != '/') slash--;
            *slash = '\0';
        }
        copy(config_path, sizeof config_path, self); /* fits: shorter than PATH_MAX */
        append(config_path, sizeof config_path, CONFIG_NAME);
    }
    static char text[CONFIG_MAX];
    struct read_result read = read_text_file(config_path, text, sizeof text, 0);
    if (read.status == READ_ABSENT) read.status = READ_ERROR, read.error = -ENOENT;
    if (read.status == READ_UNSEEN) read.status = READ_ERROR;
    if (read.status != READ_OK) {
        say("dualpy launcher: "), say_escaped(config_path), say_read_problem(read, sizeof text);
        say(": reinstall with `dualpy launcher install`");
        fail();
    }
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
            if (parse_config_name(value, &r) || r.variant != GIL) config_error(number, "default-version must be 3.N");
            default_major = r.major;
            default_minor = r.minor;
            default_line = number;
        } else if (same(key, "interpreter")) {
            char *path = value;
            while (*path && *path != ' ' && *path != '\t') path++;
            if (*path) *path++ = '\0';
            path = trim(path);
            struct request r;
            if (parse_config_name(value, &r) || !*path) config_error(number, "expected `interpreter 3.N[t] /PATH`");
            if (*path != '/') config_error(number, "the interpreter path must be absolute");
            if (length(path) >= PATH_MAX) config_error(number, "the interpreter path is longer than 4095 bytes");
            if (installed_count == MAX_INTERPRETERS) config_error(number, "more than 64 interpreters");
            for (int i = 0; i < installed_count; i++) {
                const struct request *have = &installed[i].name;
                if (have->minor == r.minor && have->variant == r.variant) config_error(number, "a second line for this interpreter");
            }
            installed[installed_count].name = r;
            copy(installed[installed_count].path, PATH_MAX, path);
            installed_count++;
        } else {
            config_error(number, "unknown setting");
        }
    }
    if (default_major) {
        int listed = 0;
        for (int i = 0; i < installed_count; i++) listed |= installed[i].name.minor == default_minor;
        if (!listed) config_error(default_line, "default-version names a minor with no interpreter line");
    } else {
        for (int i = 0; i < installed_count; i++) {
            if (!default_major || installed[i].name.minor > default_minor) {
                default_major = installed[i].name.major;
                default_minor = installed[i].name.minor;
            }
        }
    }
}

/* The installed interpreter a request names, the build forced to `variant` unless ANY; 0 when absent. */
static const struct interpreter *lookup(const struct request *r, enum variant variant) {
    if (r->unavailable || (r->path && r->index < 0)) return 0;
    int major = r->major ? r->major : default_major, minor = r->major ? r->minor : default_minor;
    if (variant == ANY) variant = r->variant;
    for (int i = 0; i < installed_count; i++) {
        const struct request *have = &installed[i].name;
        if (have->major == major && have->minor == minor && have->variant == variant) return &installed[i];
    }
    return 0;
}

/*
 * A path request names the configured interpreter that is the same file (device and inode, after symlinks),
 * so the path `uv python pin --resolved` wrote selects that build; any other path selects nothing: the
 * launcher never runs a program named by a file in a shared directory. A relative path is relative to `base`.
 */
static void resolve_path(struct request *r, const char *base) {
    char full[PATH_MAX];
    const char *path = r->path;
    char trimmed[PATH_MAX];
    if (copy(trimmed, sizeof trimmed, path)) return; /* longer than any path: names nothing */
    path = trim(trimmed);
    if (*path != '/' && base) {
        if (copy(full, sizeof full, base) || append(full, sizeof full, "/") || append(full, sizeof full, path)) return;
        path = full;
    }
    struct kernel_stat want, have;
    if (sys4(SYS_newfstatat, AT_FDCWD, (long)path, (long)&want, 0) < 0) return;
    for (int i = 0; i < installed_count; i++) {
        if (sys4(SYS_newfstatat, AT_FDCWD, (long)installed[i].path, (long)&have, 0) < 0) continue;
        if (have.st_dev == want.st_dev && have.st_ino == want.st_ino) {
            r->index = i;
            r->major = installed[i].name.major;
            r->minor = installed[i].name.minor;
            r->variant = installed[i].name.variant;
            return;
        }
    }
}

/* The -X gil=N value among the interpreter's options (before the script, -c or -m); ANY when absent. */
static enum variant scan_options(int argc, char **argv, int *ignore_environment) {
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
            if (*c == 'E' || *c == 'I') *ignore_environment = 1; /* -E, -I: CPython ignores PYTHON_GIL */
            if (*c == 'W' || *c == 'X') {
                const char *value = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : "");
                /* CPython reads the first -X gil and ignores later ones (-X gil=0 -X gil=1 is free-threaded) */
                if (*c == 'X' && starts(value, "gil=") && found == ANY) {
                    if (same(value + 4, "0")) found = FREETHREADED;
                    else if (same(value + 4, "1")) found = GIL;
                    else say("dualpy launcher: -X "), say_escaped(value), say(": the value must be gil=0 or gil=1"), fail();
                }
                break;
            }
        }
    }
    return found;
}

static char pin_text[PIN_MAX];          /* static: path requests point into it */
static char pin_where[PATH_MAX + 32];   /* the .python-version that decided */
static char pin_directory[PATH_MAX];

static __attribute__((noreturn)) void pin_error(const char *path, const char *entry, const char *what) {
    say("dualpy launcher: "), say_escaped(path);
    if (entry) say(": "), say_escaped(entry);
    say(what);
    fail();
}

/*
 * Rule 4: the request in the nearest .python-version upwards from the working directory. Returns 1 with
 * `out` filled, 0 when there is none, 2 when the nearest file names no CPython build (system, pypy...).
 * Several lines (pyenv): the first installed one wins, `variant` (rules 2 and 3) forcing the build.
 */
static int python_version_file(enum variant variant, struct request *out) {
    /* the rule text said so far waits while the walk's errors use `message` */
    size_t kept = message_length;
    message_length = 0;
    long n = sys4(SYS_getcwd, (long)pin_directory, sizeof pin_directory, 0, 0);
    if (n == -ERANGE || n == -ENAMETOOLONG) { /* Linux: ENAMETOOLONG past PATH_MAX, ERANGE past the buffer */
        say("dualpy launcher: the working directory is longer than "), say_number(PATH_MAX - 1);
        say(" bytes, so its .python-version cannot be looked for: set DUALPY_PYTHON or work in a shorter path");
        fail();
    }
    if (n < 0) {
        say("dualpy launcher: cannot read the working directory ("), say_error(n);
        say(") to look for .python-version: set DUALPY_PYTHON or change to an existing directory");
        fail();
    }
    if (pin_directory[0] != '/') { /* Linux says "(unreachable)/..." for a directory outside the root (chroot) */
        say("dualpy launcher: the working directory "), say_escaped(pin_directory);
        say(" is outside this process's root, so its .python-version cannot be looked for: "
            "set DUALPY_PYTHON or change into the root");
        fail();
    }
    for (;;) {
        char *path = pin_where;
        copy(path, sizeof pin_where, same(pin_directory, "/") ? "" : pin_directory); /* fits: PATH_MAX + 32 */
        append(path, sizeof pin_where, "/.python-version");
        struct read_result read = read_text_file(path, pin_text, sizeof pin_text, 1);
        if (read.status == READ_NOT_REGULAR || read.status == READ_UNSEEN) /* as uv: only regular files are pins */
            add_note("; skipped ", path, read.status == READ_NOT_REGULAR ? " (not a regular file)" : " (cannot be seen)");
        else if (read.status == READ_ERROR || read.status == READ_TOO_BIG || read.status == READ_HAS_NUL) {
            say("dualpy launcher: "), say_escaped(path), say_read_problem(read, sizeof pin_text);
            say(read.status == READ_TOO_BIG ? ": a version file holds a few short lines; shorten it"
                                            : ": fix or remove it");
            fail();
        } else if (read.status == READ_OK) {
            int have_first = 0, have_lines = 0;
            struct request first = {0, 0, GIL, 0, -1, 0};
            for (char *line = pin_text; *line;) {
                char *end = line;
                while (*end && *end != '\n') end++;
                char *next = *end ? end + 1 : end;
                *end = '\0';
                for (char *hash = line; *hash; hash++)
                    if (*hash == '#') *hash = '\0';
                char *entry = trim(line);
                line = next;
                if (!*entry) continue;
                have_lines = 1;
                struct request r;
                enum kind kind = parse_request(entry, &r);
                if (kind == KIND_MALFORMED) pin_error(path, entry, " is not a Python version (write 3.14 or 3.14t)");
                if (kind == KIND_RANGE)
                    pin_error(path, entry, " is a version range; the launcher runs one build: write 3.14 or 3.14t");
                if (kind == KIND_SKIP || kind == KIND_OTHER) { /* as uv and pyenv: not a CPython build */
                    add_note("; skipped `", entry, kind == KIND_SKIP ? "` (no particular build)" : "` (another implementation)");
                    continue;
                }
                if (kind == KIND_PATH) resolve_path(&r, pin_directory);
                if (!have_first) first = r, have_first = 1;
                if (lookup(&r, variant)) {
                    *out = r;
                    return message_length = kept, 1;
                }
            }
            if (have_first) { /* none installed: the first line is reported as missing */
                *out = first;
                return message_length = kept, 1;
            }
            if (have_lines) return message_length = kept, 2;
        }
        if (same(pin_directory, "/")) return message_length = kept, 0;
        char *slash = pin_directory + length(pin_directory);
        while (slash > pin_directory && *slash != '/') slash--;
        if (slash == pin_directory) pin_directory[1] = '\0';
        else *slash = '\0';
    }
}

static void say_rule(int rule, const char *what, const char *value) {
    say("rule "), say_number(rule), say(", "), say(what), say_escaped(value);
}

__attribute__((used, noreturn)) void launcher_main(long *stack) {
    int argc = (int)stack[0];
    char **argv = (char **)(stack + 1);
    environment = argv + argc + 1;
    static char *no_arguments[2];
    if (argc < 1) argv = no_arguments, argc = 1; /* execve with an empty argv: argv[0] is set below */
    const char *debug = get_environment("DUALPY_LAUNCHER_DEBUG");
    read_config();

    struct request chosen = {0, 0, GIL, 0, -1, 0};
    enum variant variant = ANY; /* the build forced by rule 2 or 3 */
    static char why[sizeof message];
    int ignore_environment = 0;
    enum variant x_gil = scan_options(argc, argv, &ignore_environment);
    const char *python_gil = ignore_environment ? 0 : get_environment("PYTHON_GIL");
    if (python_gil && !*python_gil) python_gil = 0;
    const char *requested = get_environment("DUALPY_PYTHON");
    if (requested && !*requested) requested = 0;

    /* The reason is built in `message`, then moved to `why` for the error and debug lines. */
    if (requested) {
        enum kind kind = parse_request(requested, &chosen);
        if (kind == KIND_SKIP) {
            add_note("; ignored DUALPY_PYTHON=", requested, " (no particular build)");
            requested = 0;
        } else if (kind != KIND_VERSION && kind != KIND_PATH) {
            say("dualpy launcher: DUALPY_PYTHON="), say_escaped(requested);
            say(kind == KIND_OTHER   ? " names another implementation; this launcher runs CPython builds"
                : kind == KIND_RANGE ? " is a version range; ask for one build like 3.14 or 3.14t"
                                     : " is not a request like 3.14, 3.14t, 3.14+freethreaded, 3.14+gil, cp314t, t or gil");
            fail();
        } else {
            if (kind == KIND_PATH) resolve_path(&chosen, 0);
            if (x_gil == FREETHREADED && chosen.variant == GIL && !chosen.unavailable && !(chosen.path && chosen.index < 0)) {
                say("dualpy launcher: DUALPY_PYTHON="), say_escaped(requested);
                say(" asks for the GIL build, which cannot run with -X gil=0; drop one of them");
                fail();
            }
            say_rule(1, "DUALPY_PYTHON=", requested);
        }
    }
    if (!requested) {
        if (x_gil != ANY) {
            variant = x_gil;
            say_rule(2, "-X gil=", x_gil == FREETHREADED ? "0" : "1");
        } else if (python_gil) {
            if (!same(python_gil, "0") && !same(python_gil, "1")) {
                say("dualpy launcher: PYTHON_GIL="), say_escaped(python_gil);
                say(": the value must be 0 (free-threaded) or 1 (GIL)");
                fail();
            }
            variant = python_gil[0] == '0' ? FREETHREADED : GIL;
            say_rule(3, "PYTHON_GIL=", python_gil);
        }
        int pin = python_version_file(variant, &chosen);
        if (pin == 1 && variant == ANY) {
            say_rule(4, "", pin_where);
        } else if (pin == 1) {
            say(", version from "), say_escaped(pin_where);
            chosen.variant = variant;
        } else {
            chosen.major = default_major, chosen.minor = default_minor;
            chosen.variant = variant == ANY ? default_variant : variant;
            if (variant == ANY) say_rule(5, "default ", default_variant == FREETHREADED ? "freethreaded" : "gil");
            if (pin == 2) say(" ("), say_escaped(pin_where), say(" names no CPython build)");
        }
    }
    message[message_length] = '\0';
    copy(why, sizeof why, message);
    message_length = 0;

    const struct interpreter *target = lookup(&chosen, ANY);
    enum variant build = target ? target->name.variant : chosen.variant;
    /* A GIL build refuses PYTHON_GIL=0 at start-up, even with -X gil=1: say so now, in one line. */
    if (build == GIL && python_gil && same(python_gil, "0") && !(chosen.path && chosen.index < 0)) {
        say("dualpy launcher: PYTHON_GIL=0 cannot run on the GIL build chosen by "), say(why);
        say("; unset PYTHON_GIL or ask for a t build");
        fail();
    }
    if (!target) {
        if (chosen.path && chosen.index < 0) {
            say("dualpy launcher: "), say_escaped(chosen.path), say(" (from "), say(why);
            say(") is not one of the launcher's interpreters; ");
        } else {
            int major = chosen.major ? chosen.major : default_major, minor = chosen.major ? chosen.minor : default_minor;
            say("dualpy launcher: Python "), say_request(major, minor, chosen.variant);
            if (chosen.unavailable) say(" (not a build dualpy installs: Python 2, a debug build or another platform; from ");
            else say(chosen.variant == FREETHREADED ? " (free-threaded build, from " : " (GIL build, from ");
            say(why), say(") is not installed; ");
        }
        say_installed();
        fail();
    }
    if (debug && *debug && !same(debug, "0")) {
        say("dualpy launcher: "), say(why), say(" -> ");
        say_request(target->name.major, target->name.minor, target->name.variant);
        say(" "), say_escaped(target->path);
        if (note[0]) say_escaped(note);
        say("\n");
        flush_message();
    }
    argv[0] = (char *)target->path;
    long error = sys4(SYS_execve, (long)target->path, (long)argv, (long)environment, 0);
    say("dualpy launcher: cannot run "), say_escaped(target->path), say(": "), say_error(error);
    fail();
}
