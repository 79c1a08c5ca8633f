/*
 * main.c — tcpfsm-drill's command line: options, then every script in turn, each against a
 * fresh stack. Exit status 0 when every script passed, 1 when one failed, 2 when one could
 * not be run as written (a parse error, an unsupported construct, a bad option).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"
#include "netio.h"

static const char *const prog = "tcpfsm-drill";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTION]... SCRIPT.pkt...\n"
            "Run packetdrill scripts against libtcpfsm, the userspace TCP stack: each script\n"
            "against a fresh stack in this process, on a virtual clock that jumps from event to\n"
            "event and stops at every timer of the stack, so a run takes milliseconds and\n"
            "replays exactly (the stack's randomness comes from --seed).\n"
            "\n"
            "The language is packetdrill's (its README and the USENIX ATC 2013 paper): timed\n"
            "lines of system calls (socket, bind, listen, accept, connect, read, write, recv,\n"
            "send, close, shutdown, fcntl, poll, setsockopt, getsockopt), '<' packets injected\n"
            "and '>' packets expected, and `%%{ assert tcpi_... }%%` checks on TCP_INFO.\n"
            "A failure is reported as packetdrill does:\n"
            "  script.pkt:LINE: error handling packet: live packet field tcp_ack_seq: ...\n"
            "\n"
            "Two ways to run a script against libtcpfsm:\n"
            "  this program    in-process, virtual time, no privileges (make test runs\n"
            "                  tests/drill/ this way);\n"
            "  packetdrill     Google's own tool through its --so_filename adapter, at real\n"
            "                  time: see docs/packetdrill.md.\n"
            "\n"
            "Options (a script may also give them on its first lines, as --name=value; the\n"
            "command line wins):\n"
            "  --tolerance_usecs=N    how far an event may be off its time (default 4000)\n"
            "  --tolerance_percent=P  or P%% of the time since the previous event, if more\n"
            "                         (default 12.5)\n"
            "  --local_ip=A.B.C.D     the stack's address (default 192.168.0.1)\n"
            "  --remote_ip=A.B.C.D    the script's peer (default 192.0.2.1)\n"
            "  --bind_port=N          the port bind() binds (default 8080)\n"
            "  --connect_port=N       the port connect() connects to (default 8080)\n"
            "  --mtu=N                the stack's MTU (default 1500)\n"
            "  --so_flags=mtu=N       the same, as libtcpfsm-packetdrill.so takes it\n"
            "  --tcp_ts_tick_usecs=N  check outbound TS val against the clock, N us a tick\n"
            "                         (default 0: not checked, as in packetdrill)\n"
            "  --tcp_ts_ecr_scaled    an inbound TS ecr naming no outbound TS val is scaled\n"
            "                         from the first one\n"
            "  --ignore_leftovers     packets the stack sent that no '>' line took are not\n"
            "                         an error at the end (packetdrill never looks at them)\n"
            "  --seed=N               the stack's random source (default 1)\n"
            "  -D, --define=SYM=VAL   replace the word SYM in scripts by VAL\n"
            "  --dry_run              parse and check the scripts, run nothing\n"
            "  -v, --verbose          print every packet and call as it happens\n"
            "  -h, --help             this text\n"
            "  -V, --version          the version\n"
            "\n"
            "Exit status: 0 every script passed, 1 a script failed, 2 a script cannot be\n"
            "run as written (parse error, unsupported construct, bad option).\n"
            "See tcpfsm-drill(1).\n",
            prog);
}

struct cli_opt {
    const char *name, *value;
};

enum { O_FIRST = 256 };

static const struct option longopts[] = {
    {"tolerance_usecs", required_argument, NULL, O_FIRST},
    {"tolerance_percent", required_argument, NULL, O_FIRST},
    {"local_ip", required_argument, NULL, O_FIRST},
    {"remote_ip", required_argument, NULL, O_FIRST},
    {"bind_port", required_argument, NULL, O_FIRST},
    {"connect_port", required_argument, NULL, O_FIRST},
    {"mtu", required_argument, NULL, O_FIRST},
    {"so_flags", required_argument, NULL, O_FIRST},
    {"tcp_ts_tick_usecs", required_argument, NULL, O_FIRST},
    {"tcp_ts_ecr_scaled", no_argument, NULL, O_FIRST},
    {"seed", required_argument, NULL, O_FIRST},
    {"ignore_leftovers", no_argument, NULL, O_FIRST},
    {"dry_run", no_argument, NULL, O_FIRST},
    {"define", required_argument, NULL, 'D'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The options a script gives, then the command line's. Returns 0 or 2 (message printed). */
static int script_config(struct drill_config *c, const struct script *s, const struct cli_opt *cli,
                         int ncli, struct define *defines)
{
    config_defaults(c);
    c->defines = defines;
    struct sb err = {0};
    for (const struct script_option *o = s->options; o; o = o->next) {
        int r = config_option(c, o->name, o->value, &err);
        if (r) {
            fprintf(stderr, "%s:%d: %s%s\n", s->path, o->line, r == -1 ? "option error: " : "",
                    sb_str(&err));
            sb_free(&err);
            return 2;
        }
    }
    for (int i = 0; i < ncli; i++)
        config_option(c, cli[i].name, cli[i].value, &err); /* checked in main */
    sb_free(&err);
    return 0;
}

static int run_one(const char *path, const struct cli_opt *cli, int ncli, struct define *defs)
{
    struct arena a = {0};
    struct script s;
    struct drill_config c;
    config_defaults(&c);
    c.defines = defs;
    int status = script_load(&a, path, &c, &s);
    if (!status) {
        struct sb err = {0};
        status = script_check(&s, &err);
        if (status) fprintf(stderr, "%s\n", sb_str(&err));
        sb_free(&err);
    }
    if (!status) status = script_config(&c, &s, cli, ncli, defs);
    if (!status && !c.dry_run) status = drill_run(&c, &s);
    arena_free(&a);
    return status;
}

int main(int argc, char **argv)
{
    struct cli_opt *cli = calloc((size_t)argc + 1, sizeof *cli);
    struct arena a = {0};
    struct define *defs = NULL;
    struct drill_config check;
    config_defaults(&check);
    int ncli = 0, idx = 0, ch, status = 0;
    if (!cli) return 2;
    while ((ch = getopt_long(argc, argv, "D:vhV", longopts, &idx)) != -1) {
        struct sb err = {0};
        switch (ch) {
        case O_FIRST:
            cli[ncli] = (struct cli_opt){longopts[idx].name, optarg};
            if (config_option(&check, cli[ncli].name, cli[ncli].value, &err)) {
                fprintf(stderr, "%s: %s (try --help)\n", prog, sb_str(&err));
                sb_free(&err);
                status = 2;
                goto out;
            }
            ncli++;
            break;
        case 'D': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "%s: bad definition: %s (want SYM=VAL)\n", prog, optarg);
                status = 2;
                goto out;
            }
            struct define *d = arena_alloc(&a, sizeof *d);
            d->name = arena_strndup(&a, optarg, (size_t)(eq - optarg));
            d->value = eq + 1;
            d->next = defs;
            defs = d;
            break;
        }
        case 'v':
            cli[ncli++] = (struct cli_opt){"verbose", NULL};
            break;
        case 'h':
            usage(stdout);
            goto out;
        case 'V':
            netio_version(stdout, prog);
            goto out;
        default:
            fprintf(stderr, "%s: try --help\n", prog);
            status = 2;
            goto out;
        }
        sb_free(&err);
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no script to run (try --help)\n", prog);
        status = 2;
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        int r = run_one(argv[i], cli, ncli, defs);
        if (r > status) status = r;
    }
out: /* every exit frees what main took, for LeakSanitizer's sake */
    free(cli);
    arena_free(&a);
    return status;
}
