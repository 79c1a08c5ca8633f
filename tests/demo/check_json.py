#!/usr/bin/env python3
"""tests/demo/check_json.py TRACE.json CAPTURE.pcap: a tcpfsm-demo --trace-json file is valid
JSON of format tcpfsm-trace version 1 (the fields the trace player reads are there), every
step's frame is a packet that reached that step's host with the fields the step shows, and the
packets are the capture's records, frame for frame (addresses, ports, absolute seq/ack,
flags). Exit status 0 or 1 with the reasons."""
import json
import struct
import sys

FLAGS = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x10, ".")]


def letters(f):
    s = "".join(c for bit, c in FLAGS if f & bit)
    return s or "n"


def pcap_records(path):
    with open(path, "rb") as fh:
        data = fh.read()
    magic, = struct.unpack_from("<I", data, 0)
    end = "<" if magic == 0xA1B2C3D4 else ">"
    linktype, = struct.unpack_from(end + "I", data, 20)
    if linktype != 101:
        raise SystemExit("capture: linktype %d, want 101 (raw IP)" % linktype)
    off, recs = 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack_from(end + "IIII", data, off)
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ihl = (pkt[0] & 15) * 4
        src = "%d.%d.%d.%d" % tuple(pkt[12:16])
        dst = "%d.%d.%d.%d" % tuple(pkt[16:20])
        sp, dp, seq, ack, _, fl = struct.unpack_from(">HHIIBB", pkt, ihl)
        recs.append({"t": sec * 1000000 + usec, "src": "%s:%d" % (src, sp),
                     "dst": "%s:%d" % (dst, dp), "seq": seq, "ack": ack, "flags": letters(fl)})
    return recs


def main():
    errs = []
    t = json.load(open(sys.argv[1]))
    for k in ("format", "version", "scenario", "title", "explanation", "hosts", "packets",
              "steps", "listings", "relative"):
        if k not in t:
            errs.append("no %r" % k)
    if t.get("format") != "tcpfsm-trace" or t.get("version") != 1:
        errs.append("format/version %r %r" % (t.get("format"), t.get("version")))
    hosts = {h["name"]: h["addr"] for h in t["hosts"]}
    pk = t["packets"]
    for i, p in enumerate(pk):
        if p["frame"] != i + 1:
            errs.append("packet %d has frame %d" % (i + 1, p["frame"]))
        for k in ("t_ms", "from", "src", "dst", "flags", "seq", "ack", "win", "len", "options",
                  "dropped"):
            if k not in p:
                errs.append("frame %d: no %r" % (p["frame"], k))
    for s in t["steps"]:
        for k in ("t_ms", "host", "conn", "from", "event", "to", "actions", "rfc", "transition",
                  "frame", "cause"):
            if k not in s:
                errs.append("step %r: no %r" % (s, k))
        what = "%s %s --%s--> %s at %.3f ms" % (s["host"], s["from"], s["event"], s["to"],
                                                 s["t_ms"])
        if s["frame"] is None:
            if s["cause"] == "segment":
                errs.append(what + ": a segment without a frame")
            continue
        if s["cause"] != "segment":
            errs.append(what + ": a frame but cause " + s["cause"])
        if not 1 <= s["frame"] <= len(pk):
            errs.append(what + ": frame %d out of range" % s["frame"])
            continue
        p = pk[s["frame"] - 1]
        if p["dropped"]:
            errs.append(what + ": frame %d was lost" % p["frame"])
        if p["dst"].split(":")[0] != hosts[s["host"]]:
            errs.append(what + ": frame %d went to %s" % (p["frame"], p["dst"]))
        if p["t_ms"] > s["t_ms"]:
            errs.append(what + ": frame %d was sent later" % p["frame"])
        for k in ("flags", "seq", "ack", "win", "len"):
            if s.get(k) != p[k]:
                errs.append(what + ": %s %r, frame %d has %r" % (k, s.get(k), p["frame"], p[k]))
    recs = pcap_records(sys.argv[2])
    if len(recs) != len(pk):
        errs.append("%d packets, the capture has %d records" % (len(pk), len(recs)))
    t0 = recs[0]["t"] - round(pk[0]["t_ms"] * 1000) if recs and pk else 0
    for p, r in zip(pk, recs):
        for k, v in (("src", p["src"]), ("dst", p["dst"]), ("seq", p["seq_abs"]),
                     ("ack", p["ack_abs"]), ("flags", p["flags"])):
            if r[k] != v:
                errs.append("frame %d: %s %r, the capture has %r" % (p["frame"], k, v, r[k]))
        if r["t"] - t0 != round(p["t_ms"] * 1000):
            errs.append("frame %d: t_ms %.3f, the capture says %d us" % (p["frame"], p["t_ms"],
                                                                          r["t"] - t0))
    if t0 < 946684800 * 1000000:
        errs.append("the capture's clock starts before 2000 (%d us)" % t0)
    for e in errs[:20]:
        print("check_json: %s: %s" % (sys.argv[1], e))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
