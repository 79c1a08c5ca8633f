#!/bin/sh
# The runtime's rooms stay layered (make check-rooms, run by make test-runtime): a file may
# include the headers of its own room and of the rooms below it, never of a room above.
#
#   shard/ (one stack per core, tcpfsm_shards.h: threads, rings between them; a driver on the
#           public API like link/, whose TUN queues it opens)
#   link/  (Ethernet, ARP, TAP, TUN, memlink, pcap: drivers on the public API)
#   runtime/*.c  (the top: stack.c lifecycle and clock, socket.c the socket API)
#   ip/    (ip_input.c: tcpfsm_input's IP dispatch; icmp.c)
#   tcp/   (input, the machine's glue, output, timers as events, the compact records)
#   core/  (tcb.h: TCBs, their table and timer slots, ISNs, buffer memory)
#   base/  (wire formats, checksums, SipHash, timer wheel, RTT, congestion control)
#
# tcpfsm.h is the public API: every room may include it. tcpfsm_shards.h, the public face of
# shard/, counts as shard/'s own. The generated tcp.h (the machine's state and event numbers,
# the byte a TCB stores) may be read from core/ up; the generated tcp.c (the machine itself)
# only by tcp/tcp_fsm_glue.c.
# usage: check_rooms.sh  (exit 1 and one line per offending include)
cd "$(dirname "$0")/../.." || exit 2
R=runtime

room_of_header() { # header name as written in #include "..." -> its room, or "" if not ours
    case $1 in
    tcpfsm.h) echo public; return ;;
    tcpfsm_shards.h) echo shard; return ;;
    tcp.h) echo machine; return ;;
    tcp.c) echo glue; return ;;
    */*) [ -f "$R/$1" ] && dirname "$1" && return ;;
    esac
    for r in base core tcp ip link shard; do
        [ -f "$R/$r/$1" ] && { echo "$r"; return; }
    done
    [ -f "$R/$1" ] && echo top
}

allowed() { # room of the including file -> rooms it may include
    case $1 in
    base) echo "base public" ;;
    core) echo "base core public machine" ;;
    tcp) echo "base core tcp public machine" ;;
    ip) echo "base core tcp ip public machine" ;;
    top) echo "base core tcp ip top public machine" ;;
    link) echo "base link public" ;;
    shard) echo "base link shard public" ;;
    esac
}

bad=0
for f in "$R"/*.c "$R"/*.h "$R"/base/* "$R"/core/* "$R"/tcp/* "$R"/ip/* "$R"/link/* \
    "$R"/shard/*; do
    case $f in *.c | *.h) ;; *) continue ;; esac
    d=$(dirname "$f")
    if [ "$d" = "$R" ]; then from=top; else from=$(basename "$d"); fi
    for h in $(sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
        to=$(room_of_header "$h")
        [ -n "$to" ] || { echo "check-rooms: $f includes \"$h\", which is in no room"; bad=1; continue; }
        if [ "$to" = glue ]; then
            [ "$f" = "$R/tcp/tcp_fsm_glue.c" ] && continue
            echo "check-rooms: $f includes the generated machine \"$h\" (only tcp/tcp_fsm_glue.c may)"
            bad=1
            continue
        fi
        case " $(allowed "$from") " in
        *" $to "*) ;;
        *)
            echo "check-rooms: $f ($from/) includes \"$h\" of $to/, a room above it or beside it"
            bad=1
            ;;
        esac
    done
done
[ $bad = 0 ] || { echo "check-rooms: FAIL (docs/ARCHITECTURE.md, \"The runtime's rooms\")"; exit 1; }
echo "check-rooms: every include of runtime/ goes to its own room or a room below"
