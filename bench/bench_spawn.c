/*
 * bench_spawn.c — run a command BENCH_RUNS times, report the median wall time and the peak
 * RSS of the child (wait4's rusage, per child, so runs do not mix):
 *   bench_spawn NAME REF_MS REF_MB -- CMD ARGS...
 * prints two rows: NAME time (ms) against REF_MS, NAME peak RSS (MB) against REF_MB.
 * The references are the targets from the issues (documented, not measured).
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv)
{
    double ms[BENCH_RUNS], mb[BENCH_RUNS];
    char name[256];
    int cmd = 4;

    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: bench_spawn NAME REF_MS REF_MB -- CMD ARGS...\n");
        return 2;
    }
    cmd = 5;
    for (int r = 0; r < BENCH_RUNS; r++) {
        struct rusage ru;
        int status;
        uint64_t t0 = bench_now_ns();
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execvp(argv[cmd], argv + cmd);
            perror(argv[cmd]);
            _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) < 0) {
            perror("wait4");
            return 1;
        }
        uint64_t t1 = bench_now_ns();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            snprintf(name, sizeof name, "%s: command failed (status %d)", argv[1], status);
            bench_skip(argv[1], name);
            return 0;
        }
        ms[r] = (double)(t1 - t0) / 1e6;
        mb[r] = (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
    }
    snprintf(name, sizeof name, "%s compile time", argv[1]);
    bench_row(name, bench_median(ms, BENCH_RUNS), "ms", "target", atof(argv[2]));
    snprintf(name, sizeof name, "%s peak RSS", argv[1]);
    bench_row(name, bench_median(mb, BENCH_RUNS), "MB", "target", atof(argv[3]));
    return 0;
}
