/*
 * standalone.c — replay driver: runs a harness's LLVMFuzzerTestOneInput over every file named
 * on the command line (directories are walked one level, in name order). It needs no
 * libFuzzer, so `make test` replays the seed and regression corpora with any compiler, and
 * under `make SAN=1` with the sanitizers: every crash a fuzzer ever found stays a test.
 *
 *   fuzz-packet-replay tests/fuzz/corpus/packet tests/fuzz/regressions/packet
 *
 * Exit status 0 when every input ran (a crash aborts the process, which is the failure).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) break;
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        return -1;
    }
    /* Exactly-sized copy, so ASan catches a harness reading one byte past the input. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "running %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int skip_name(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    unsigned long ran = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i]) != 0)
                failed = 1;
            else
                ran++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, skip_name, alphasort);
        if (n < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            free(names[k]);
            if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
            if (run_file(path) != 0)
                failed = 1;
            else
                ran++;
        }
        free(names);
    }
    printf("%s: %lu inputs replayed%s\n", argc > 0 ? argv[0] : "replay", ran,
           failed ? ", some could not be read" : ", no crash");
    return failed;
}
