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
 * One execv and nothing else: no child process, no Python started before the chosen interpreter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_INTERPRETERS 64
#define CONFIG_NAME "etc/dualpy-launcher.conf"

enum variant { ANY = -1, GIL = 0, FREETHREADED = 1 };

struct interpreter {
    int major, minor;
    enum variant variant;
    char path[PATH_MAX];
};

struct request {
    int major, minor; /* 0 when the request names no version */
    enum variant variant;
};

static struct interpreter installed[MAX_INTERPRETERS];
static int installed_count;
static enum variant default_variant = GIL;
static int default_major, default_minor;
static const char *config_path;
static int debug;

static void die(const char *format, ...) {
    va_list args;
    fputs("dualpy launcher: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static const char *variant_name(enum variant v) { return v == FREETHREADED ? "free-threaded" : "GIL"; }

static void describe_installed(char *out, size_t size) {
    out[0] = '\0';
    for (int i = 0; i < installed_count; i++) {
        char item[32];
        snprintf(item, sizeof item, "%s%d.%d%s", i ? ", " : "", installed[i].major, installed[i].minor,
                 installed[i].variant == FREETHREADED ? "t" : "");
        strncat(out, item, size - strlen(out) - 1);
    }
    if (!installed_count) snprintf(out, size, "none (%s lists no interpreter)", config_path);
}

static char *trim(char *text) {
    while (*text == ' ' || *text == '\t') text++;
    char *end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) *--end = '\0';
    return text;
}

/* Parse "3.13", "3.13t", "3.13.15", "3.13+gil", "t", "gil", "cpython-3.13t"; 0 on success, -1 if malformed. */
static int parse_request(const char *text, struct request *out) {
    char buffer[64];
    if (strlen(text) >= sizeof buffer) return -1;
    strcpy(buffer, text);
    char *s = trim(buffer);
    if (strncmp(s, "cpython-", 8) == 0) s += 8;
    else if (strncmp(s, "cpython@", 8) == 0) s += 8;
    out->major = out->minor = 0;
    out->variant = GIL;
    if (strcmp(s, "t") == 0 || strcmp(s, "freethreaded") == 0) { out->variant = FREETHREADED; return 0; }
    if (strcmp(s, "gil") == 0) return 0;
    char *plus = strchr(s, '+');
    if (plus) {
        *plus = '\0';
        if (strcmp(plus + 1, "freethreaded") == 0) out->variant = FREETHREADED;
        else if (strcmp(plus + 1, "gil") != 0) return -1;
    }
    size_t length = strlen(s);
    if (length && s[length - 1] == 't') {
        if (plus) return -1; /* 3.13t+gil says two things */
        out->variant = FREETHREADED;
        s[--length] = '\0';
    }
    int major, minor, micro, consumed = 0;
    if (sscanf(s, "%d.%d%n", &major, &minor, &consumed) != 2) return -1;
    if (s[consumed] == '.') {
        int more = 0;
        if (sscanf(s + consumed, ".%d%n", &micro, &more) != 1) return -1;
        consumed += more;
        /* pre-release suffixes such as 3.15.0b3 name the same interpreter */
        while (s[consumed] && strchr("abrc0123456789", s[consumed])) consumed++;
    }
    if (s[consumed] != '\0' || major != 3 || minor < 0 || minor > 99) return -1;
    out->major = major;
    out->minor = minor;
    return 0;
}

static void read_config(void) {
    static char path[PATH_MAX + 32];
    config_path = getenv("DUALPY_LAUNCHER_CONFIG");
    if (!config_path || !*config_path) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) die("cannot find its own location (/proc/self/exe): set DUALPY_LAUNCHER_CONFIG");
        self[n] = '\0';
        for (int cut = 0; cut < 2; cut++) {
            char *slash = strrchr(self, '/');
            if (!slash) break;
            *slash = '\0';
        }
        snprintf(path, sizeof path, "%s/%s", self, CONFIG_NAME);
        config_path = path;
    }
    FILE *file = fopen(config_path, "r");
    if (!file) die("cannot read %s (%s): reinstall with `dualpy launcher install`", config_path, strerror(errno));
    char line[PATH_MAX + 64];
    int number = 0;
    while (fgets(line, sizeof line, file)) {
        number++;
        char *text = trim(line);
        if (!*text || *text == '#') continue;
        char *value = text + strcspn(text, " \t");
        if (*value) *value++ = '\0';
        value = trim(value);
        if (strcmp(text, "default") == 0) {
            if (strcmp(value, "gil") == 0) default_variant = GIL;
            else if (strcmp(value, "freethreaded") == 0) default_variant = FREETHREADED;
            else die("%s:%d: default must be gil or freethreaded", config_path, number);
        } else if (strcmp(text, "default-version") == 0) {
            struct request r;
            if (parse_request(value, &r) || !r.major) die("%s:%d: bad default-version", config_path, number);
            default_major = r.major;
            default_minor = r.minor;
        } else if (strcmp(text, "interpreter") == 0) {
            char *path_part = value + strcspn(value, " \t");
            if (*path_part) *path_part++ = '\0';
            path_part = trim(path_part);
            struct request r;
            if (parse_request(value, &r) || !r.major || !*path_part)
                die("%s:%d: expected `interpreter 3.X[t] PATH`", config_path, number);
            if (installed_count == MAX_INTERPRETERS) die("%s: too many interpreters", config_path);
            struct interpreter *entry = &installed[installed_count++];
            entry->major = r.major;
            entry->minor = r.minor;
            entry->variant = r.variant;
            snprintf(entry->path, sizeof entry->path, "%s", path_part);
        } else {
            die("%s:%d: unknown setting %s", config_path, number, text);
        }
    }
    fclose(file);
    if (!default_major) {
        for (int i = 0; i < installed_count; i++) {
            if (installed[i].minor > default_minor || !default_major) {
                default_major = installed[i].major;
                default_minor = installed[i].minor;
            }
        }
    }
}

static const struct interpreter *find(const struct request *r, const char *why) {
    int major = r->major ? r->major : default_major;
    int minor = r->major ? r->minor : default_minor;
    for (int i = 0; i < installed_count; i++) {
        if (installed[i].major == major && installed[i].minor == minor && installed[i].variant == r->variant)
            return &installed[i];
    }
    char list[1024];
    describe_installed(list, sizeof list);
    die("Python %d.%d%s (%s build, from %s) is not installed; installed: %s", major, minor,
        r->variant == FREETHREADED ? "t" : "", variant_name(r->variant), why, list);
    return NULL;
}

/* The -X gil=N value among the interpreter's options (before the script, -c or -m); ANY when absent. */
static enum variant scan_x_gil(int argc, char **argv) {
    enum variant found = ANY;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0) break;
        if (arg[1] == '-') {
            if (strcmp(arg, "--check-hash-based-pycs") == 0) i++;
            continue;
        }
        for (const char *c = arg + 1; *c; c++) {
            if (*c == 'c' || *c == 'm') return found;
            if (*c == 'W' || *c == 'X') {
                const char *value = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : "");
                if (*c == 'X' && strncmp(value, "gil=", 4) == 0) {
                    if (strcmp(value + 4, "0") == 0) found = FREETHREADED;
                    else if (strcmp(value + 4, "1") == 0) found = GIL;
                    else die("-X %s: the value must be gil=0 or gil=1", value);
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
    if (!getcwd(directory, sizeof directory)) return 0;
    for (;;) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/.python-version", strcmp(directory, "/") ? directory : "");
        FILE *file = fopen(path, "r");
        if (file) {
            char line[256];
            int found = 0;
            struct request first_valid = {0};
            int have_valid = 0;
            while (fgets(line, sizeof line, file)) {
                char *hash = strchr(line, '#');
                if (hash) *hash = '\0';
                char *text = trim(line);
                if (!*text) continue;
                struct request r;
                if (parse_request(text, &r)) {
                    fclose(file);
                    die("%s: %s is not a Python version (write 3.13 or 3.13t)", path, text);
                }
                if (!have_valid) { first_valid = r; have_valid = 1; }
                /* several lines (pyenv): the first one that is installed wins */
                int major = r.major ? r.major : default_major, minor = r.major ? r.minor : default_minor;
                for (int i = 0; i < installed_count && !found; i++)
                    if (installed[i].major == major && installed[i].minor == minor && installed[i].variant == r.variant)
                        found = 1;
                if (found) { *out = r; break; }
            }
            fclose(file);
            snprintf(where, where_size, "%s", path);
            if (found) return 1;
            if (have_valid) { *out = first_valid; return 1; } /* reported as not installed by find() */
            /* an empty file names nothing: keep looking upwards */
        }
        if (strcmp(directory, "/") == 0) return 0;
        char *slash = strrchr(directory, '/');
        if (slash == directory) directory[1] = '\0';
        else *slash = '\0';
    }
}

int main(int argc, char **argv) {
    const char *debug_env = getenv("DUALPY_LAUNCHER_DEBUG");
    debug = debug_env && *debug_env && strcmp(debug_env, "0") != 0;
    read_config();

    struct request chosen;
    char why[PATH_MAX + 64];
    const char *requested = getenv("DUALPY_PYTHON");
    enum variant x_gil = scan_x_gil(argc, argv);
    const char *python_gil = getenv("PYTHON_GIL");

    if (requested && *requested) {
        if (parse_request(requested, &chosen))
            die("DUALPY_PYTHON=%s is not a request like 3.13, 3.13t, 3.13+freethreaded, 3.13+gil, t or gil", requested);
        if (x_gil == FREETHREADED && chosen.variant == GIL)
            die("DUALPY_PYTHON=%s asks for the GIL build, which cannot run with -X gil=0; drop one of them", requested);
        snprintf(why, sizeof why, "rule 1, DUALPY_PYTHON=%s", requested);
    } else if (x_gil != ANY) {
        chosen.major = chosen.minor = 0;
        chosen.variant = x_gil;
        snprintf(why, sizeof why, "rule 2, -X gil=%d", x_gil == FREETHREADED ? 0 : 1);
    } else if (python_gil && *python_gil) {
        if (strcmp(python_gil, "0") && strcmp(python_gil, "1"))
            die("PYTHON_GIL=%s: the value must be 0 (free-threaded) or 1 (GIL)", python_gil);
        chosen.major = chosen.minor = 0;
        chosen.variant = python_gil[0] == '0' ? FREETHREADED : GIL;
        snprintf(why, sizeof why, "rule 3, PYTHON_GIL=%s", python_gil);
    } else {
        char where[PATH_MAX + 64];
        if (python_version_file(&chosen, where, sizeof where)) {
            snprintf(why, sizeof why, "rule 4, %s", where);
        } else {
            chosen.major = chosen.minor = 0;
            chosen.variant = default_variant;
            snprintf(why, sizeof why, "rule 5, default %s", default_variant == FREETHREADED ? "freethreaded" : "gil");
        }
    }
    if (chosen.variant == GIL && python_gil && strcmp(python_gil, "0") == 0 && x_gil == ANY)
        die("PYTHON_GIL=0 cannot run on the GIL build chosen by %s; unset PYTHON_GIL or ask for a t build", why);

    const struct interpreter *target = find(&chosen, why);
    if (debug)
        fprintf(stderr, "dualpy launcher: %s -> %d.%d%s %s\n", why, target->major, target->minor,
                target->variant == FREETHREADED ? "t" : "", target->path);
    argv[0] = (char *)target->path;
    execv(target->path, argv);
    die("cannot run %s: %s", target->path, strerror(errno));
    return EXIT_USAGE;
}
