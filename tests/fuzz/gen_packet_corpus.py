#!/usr/bin/env python3
"""Write the packet harness's seed corpus (tests/fuzz/corpus/packet/) from the recipes below.

Each seed is a record sequence in the format fuzz_packet.c decodes:
[op: 1 byte][len: 2 bytes LE][payload]. Packets aimed at the established connection use the
ADDR=3 fix-up (addresses, ports, and seq/ack as offsets from what the stack expects), so the
seeds reach the state machine whatever ISNs the stack picks. Run it again after changing the
record format:  python3 tests/fuzz/gen_packet_corpus.py tests/fuzz/corpus/packet
"""
import os
import struct
import sys

# ops (low 4 bits) and fix-up flags (high bits), as in fuzz_packet.c
PKT_SERVER, PKT_CLIENT, ADVANCE, DELIVER, DROP, SEND, RECV, CLOSE, SHUTDOWN, ABORT, ACCEPT, \
    CONNECT, SETOPT, OBSERVE, LISTEN = range(15)
FIX_IP, FIX_CSUM = 0x80, 0x10
ADDR_CONN, ADDR_LISTENER, ADDR_REL = 0x20, 0x40, 0x60
FIXED = FIX_IP | FIX_CSUM
CLIENT_SEL = 0x80  # SEL bit 7: the client stack

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
SERVER, CLIENT = 0x0A000001, 0x0A000002


def rec(op, payload=b""):
    return bytes([op]) + struct.pack("<H", len(payload)) + payload


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def opt_mss(v):
    return struct.pack("!BBH", 2, 4, v)


def opt_ws(v):
    return struct.pack("!BBB", 3, 3, v)


def opt_sackok():
    return b"\x04\x02"


def opt_ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def opt_sack(blocks):
    return struct.pack("!BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack("!II", a, b) for a, b in blocks)


def icmp_ip(src, dst, typ, code, rest=0, body=b"", bad=False):
    """An IPv4 datagram carrying ICMP (RFC 792); `bad` spoils its checksum."""
    msg = struct.pack("!BBHI", typ, code, 0, rest) + body
    c = csum(msg) ^ (0x5A5A if bad else 0)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(msg), 1, 0, 64, 1, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + msg


def icmp_quote(src, dst, sport, dport, seq):
    """What an ICMP error quotes: the IP header of a segment and its first 8 octets."""
    return tcp_ip(src, dst, sport, dport, seq, 0, ACK)[:28]


def tcp_ip(src, dst, sport, dport, seq, ack, flags, wnd=65535, opts=b"", data=b"",
           ttl=64, frag=0x4000, proto=6):
    opts += b"\x01" * (-len(opts) % 4)
    doff = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      doff << 4, flags, wnd, 0, 0) + opts + data
    pseudo = struct.pack("!IIBBH", src, dst, 0, proto, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), 1, frag, ttl, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def to_conn(flags, seq_off=0, ack_off=0, data=b"", opts=b"", wnd=65535, op=PKT_SERVER):
    """A segment on the established connection, seq/ack relative to what the target expects."""
    pkt = tcp_ip(CLIENT, SERVER, 0, 0, seq_off, ack_off, flags, wnd, opts, data)
    return rec(op | FIXED | ADDR_REL, pkt)


def bad_csum(pkt):
    return pkt[:36] + bytes([pkt[36] ^ 0xFF]) + pkt[37:]


def le32(v):
    return struct.pack("<I", v)


SEEDS = {
    "syn-listener": rec(PKT_SERVER | FIXED | ADDR_LISTENER,
                        tcp_ip(CLIENT, SERVER, 40001, 80, 1000, 0, SYN, opts=opt_mss(1460)))
    + rec(DELIVER) + rec(ACCEPT, b"\x00") + rec(OBSERVE),
    "syn-options": rec(PKT_SERVER | FIXED | ADDR_LISTENER,
                       tcp_ip(CLIENT, SERVER, 40002, 80, 7777, 0, SYN,
                              opts=opt_mss(536) + opt_sackok() + opt_ts(12345, 0) + b"\x01"
                              + opt_ws(7)))
    + rec(DELIVER) + rec(ADVANCE, le32(1500)) + rec(DELIVER),
    "data-established": to_conn(ACK | PSH, data=b"hello, server")
    + rec(DELIVER) + rec(RECV, b"\x01") + rec(OBSERVE),
    "data-to-client": to_conn(ACK | PSH, data=b"hello, client", op=PKT_CLIENT)
    + rec(DELIVER) + rec(RECV, bytes([CLIENT_SEL])),
    "data-out-of-order": to_conn(ACK, seq_off=100, data=b"B" * 50)
    + to_conn(ACK, seq_off=0, data=b"A" * 100) + rec(DELIVER) + rec(RECV, b"\x01"),
    "data-timestamps": to_conn(ACK | PSH, data=b"ts", opts=b"\x01\x01" + opt_ts(5, 6))
    + rec(DELIVER),
    "rst-exact": to_conn(RST) + rec(OBSERVE) + rec(RECV, b"\x01") + rec(DELIVER),
    "rst-in-window": to_conn(RST, seq_off=1000) + rec(DELIVER) + rec(OBSERVE),
    "syn-in-established": to_conn(SYN, seq_off=5) + rec(DELIVER) + rec(OBSERVE),
    "fin": to_conn(ACK | FIN) + rec(DELIVER) + rec(RECV, b"\x01") + rec(CLOSE, b"\x01")
    + rec(DELIVER) + rec(ADVANCE, le32(100)) + rec(DELIVER) + rec(ADVANCE, le32(70000))
    + rec(OBSERVE),
    "sack-retransmit": rec(SEND, bytes([CLIENT_SEL])) + rec(DROP, b"\x00")
    + to_conn(ACK, opts=b"\x01\x01" + opt_sack([(1000, 2000), (3000, 4000)]), op=PKT_CLIENT)
    + rec(ADVANCE, le32(1500)) + rec(DELIVER) + rec(RECV, b"\x01"),
    "session": rec(SEND, bytes([CLIENT_SEL]) + b"GET / HTTP/1.0\r\n\r\n") + rec(DELIVER)
    + rec(RECV, b"\x01") + rec(SEND, b"\x01") + rec(DELIVER) + rec(RECV, bytes([CLIENT_SEL]))
    + rec(CLOSE, bytes([CLIENT_SEL])) + rec(DELIVER) + rec(CLOSE, b"\x01") + rec(DELIVER)
    + rec(ADVANCE, le32(1000)) + rec(DELIVER) + rec(ADVANCE, le32(61000)) + rec(OBSERVE),
    "shutdown-abort": rec(SHUTDOWN, bytes([CLIENT_SEL, 1])) + rec(DELIVER) + rec(ABORT, b"\x01")
    + rec(DELIVER) + rec(SEND, bytes([CLIENT_SEL]) + b"x") + rec(OBSERVE),
    "timeouts": rec(SEND, bytes([CLIENT_SEL])) + rec(DROP, b"\x00")
    + rec(ADVANCE, le32(3000)) + rec(DROP, b"\x00") + rec(ADVANCE, le32(3600000))
    + rec(ADVANCE, le32(3600000)) + rec(OBSERVE),
    "more-sockets": rec(CONNECT, bytes([CLIENT_SEL, 80, 0])) + rec(DELIVER)
    + rec(ACCEPT, b"\x00") + rec(CONNECT, bytes([CLIENT_SEL, 81, 0])) + rec(DELIVER)
    + rec(LISTEN, bytes([0x10, 0x90, 0x1F])) + rec(SETOPT, bytes([CLIENT_SEL, 1, 1, 0, 0, 0]))
    + rec(SETOPT, bytes([1, 2, 0x40, 0x42, 0x0F, 0])) + rec(ADVANCE, le32(2000)) + rec(OBSERVE),
    # ICMP (runtime/ip/icmp.c): echo, malformed messages, errors quoting the connection
    # (ADDR mode 3 rewrites the quote into a segment the target sent, seq relative to its
    # SND.NXT; FIX_CSUM recomputes the ICMP checksum)
    "icmp-echo": rec(PKT_SERVER, icmp_ip(CLIENT, SERVER, 8, 0, 0x12340001, b"ping" * 9))
    + rec(PKT_SERVER, icmp_ip(CLIENT, SERVER, 8, 0, 0x12340002)) + rec(DELIVER) + rec(OBSERVE),
    "icmp-malformed": b"".join(rec(PKT_SERVER, p) for p in [
        icmp_ip(CLIENT, SERVER, 8, 0, 1, b"x", bad=True),       # bad checksum
        icmp_ip(CLIENT, SERVER, 8, 0, 1)[:27],                  # 7 bytes of ICMP
        icmp_ip(CLIENT, SERVER, 42, 0),                         # unknown type
        icmp_ip(CLIENT, SERVER, 3, 3, 0, b"\x45"),              # quote cut short
        icmp_ip(CLIENT, SERVER, 3, 3, 0, icmp_quote(SERVER, CLIENT, 80, 1, 0)),  # no connection
    ]) + rec(OBSERVE),
    "icmp-port-unreach": rec(SEND, bytes([CLIENT_SEL])) + rec(DROP, b"\x00")
    + rec(PKT_CLIENT | ADDR_REL | FIX_CSUM,
          icmp_ip(SERVER, CLIENT, 3, 3, 0, icmp_quote(0, 0, 0, 0, (-1000) & 0xFFFFFFFF)))
    + rec(PKT_CLIENT | ADDR_REL | FIX_CSUM,
          icmp_ip(0x0A000009, CLIENT, 11, 0, 0, icmp_quote(0, 0, 0, 0, 0)))
    + rec(ADVANCE, le32(3600000)) + rec(OBSERVE),
    "icmp-frag-needed": rec(SEND, bytes([CLIENT_SEL])) + rec(DROP, b"\x00")
    + rec(PKT_CLIENT | ADDR_REL | FIX_CSUM,
          icmp_ip(0x0A000009, CLIENT, 3, 4, 576, icmp_quote(0, 0, 0, 0, (-1460) & 0xFFFFFFFF)))
    + rec(DELIVER) + rec(RECV, b"\x01") + rec(OBSERVE),
    "malformed": b"".join(rec(PKT_SERVER, p) for p in [
        b"\x45\x00\x00",                                        # shorter than an IP header
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN)[:30],          # TCP header cut short
        b"\x4f" + tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN)[1:],  # IHL past the end
        b"\x65" + tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN)[1:],  # IPv6 version nibble
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN, frag=0x2000),   # a fragment
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN, proto=17),      # not TCP
        tcp_ip(0xFFFFFFFF, SERVER, 1, 80, 0, 0, SYN),            # broadcast source
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN, opts=b"\x02\x00\x05\xb4"),  # option length 0
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN, opts=b"\x01\x01\x01\x08"),  # option runs out
        tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN, opts=b"\x03\x03\x0f\x00"),  # wscale 15
    ]) + rec(PKT_SERVER | FIX_CSUM | ADDR_CONN,                  # doff beyond the segment
             tcp_ip(CLIENT, SERVER, 0, 0, 0, 0, ACK)[:32] + b"\xf0" + b"\x10" * 7)
    + rec(PKT_SERVER, bad_csum(tcp_ip(CLIENT, SERVER, 1, 80, 0, 0, SYN)))
    + rec(OBSERVE),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                           "corpus", "packet")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("gen_packet_corpus: %d seeds in %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
