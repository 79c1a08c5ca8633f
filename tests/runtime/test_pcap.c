/*
 * test_pcap.c — the pcap writer: file and record headers read back byte by byte, snaplen
 * truncation, errors, and (when tshark is installed) a capture of built segments dissected
 * by Wireshark with no malformed packets and no checksum errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packet.h"
#include "pcap.h"
#include "rt_test.h"

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s.%ld.pcap", rt_tmpdir(), name, (long)getpid());
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v; /* host order, as written (magic a1b2c3d4 tells readers which order) */
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[1 << 20];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

START_TEST(write_and_read_back)
{
    char path[512];
    tmp_path(path, sizeof path, "rt_pcap");
    int err = 1;
    struct pcap_writer *w = pcap_open(path, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(err, 0);
    uint8_t pkt[100];
    for (int i = 0; i < 100; i++)
        pkt[i] = (uint8_t)i;
    ck_assert_int_eq(pcap_write(w, 1500000, pkt, 60), 0);
    ck_assert_int_eq(pcap_write(w, 3000001, pkt, 0), 0);
    static uint8_t big[70000];
    ck_assert_int_eq(pcap_write(w, 4000000, big, sizeof big), 0);
    ck_assert_int_eq(pcap_close(w), 0);

    size_t len;
    const uint8_t *f = slurp(path, &len);
    ck_assert_uint_eq(len, 24 + 16 + 60 + 16 + 0 + 16 + 65535);
    ck_assert_uint_eq(rd32(f), 0xa1b2c3d4u);
    uint16_t vmaj, vmin;
    memcpy(&vmaj, f + 4, 2);
    memcpy(&vmin, f + 6, 2);
    ck_assert_uint_eq(vmaj, 2);
    ck_assert_uint_eq(vmin, 4);
    ck_assert_uint_eq(rd32(f + 8), 0);      /* thiszone */
    ck_assert_uint_eq(rd32(f + 12), 0);     /* sigfigs */
    ck_assert_uint_eq(rd32(f + 16), 65535); /* snaplen */
    ck_assert_uint_eq(rd32(f + 20), 101);   /* LINKTYPE_RAW */
    const uint8_t *r = f + 24;
    ck_assert_uint_eq(rd32(r), 1);
    ck_assert_uint_eq(rd32(r + 4), 500000);
    ck_assert_uint_eq(rd32(r + 8), 60);
    ck_assert_uint_eq(rd32(r + 12), 60);
    ck_assert_int_eq(memcmp(r + 16, pkt, 60), 0);
    r += 16 + 60;
    ck_assert_uint_eq(rd32(r), 3);
    ck_assert_uint_eq(rd32(r + 4), 1);
    ck_assert_uint_eq(rd32(r + 8), 0);
    r += 16;
    ck_assert_uint_eq(rd32(r), 4);
    ck_assert_uint_eq(rd32(r + 8), 65535);       /* truncated to the snaplen */
    ck_assert_uint_eq(rd32(r + 12), sizeof big); /* original length kept */
    unlink(path);
}
END_TEST

START_TEST(errors)
{
    int err = 0;
    ck_assert_ptr_null(pcap_open("/nonexistent-dir/x.pcap", &err));
    ck_assert_int_eq(err, -ENOENT);
    ck_assert_ptr_null(pcap_open("/nonexistent-dir/x.pcap", NULL)); /* err is optional */
    ck_assert_int_eq(pcap_write(NULL, 0, "", 0), -EINVAL);
    ck_assert_int_eq(pcap_close(NULL), 0);
    /* A full disk shows up as an error, reported again by close. */
    if (access("/dev/full", W_OK) == 0) {
        struct pcap_writer *w = pcap_open("/dev/full", &err);
        if (w) { /* the 24-byte header sits in stdio's buffer until a flush */
            static uint8_t pkt[8192];
            int rc = 0;
            for (int i = 0; i < 100 && rc == 0; i++)
                rc = pcap_write(w, 0, pkt, sizeof pkt);
            ck_assert_int_eq(rc, -ENOSPC);
            ck_assert_int_eq(pcap_close(w), -ENOSPC);
        }
    }
}
END_TEST

START_TEST(tshark_dissects_our_segments)
{
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        printf("SKIP: tshark not installed (apt-get install tshark)\n");
        return;
    }
    char path[512], cmd[1200], out[600];
    tmp_path(path, sizeof path, "rt_tshark");
    snprintf(out, sizeof out, "%s.txt", path);
    struct pcap_writer *w = pcap_open(path, NULL);
    ck_assert_ptr_nonnull(w);
    uint8_t b[2000];
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = RT_IP(10, 0, 0, 1);
    s.daddr = RT_IP(10, 0, 0, 2);
    s.sport = 40000;
    s.dport = 80;
    s.seq = 1000;
    s.flags = TCP_SYN;
    s.wnd = 65535;
    s.opt.has_mss = s.opt.sack_ok = s.opt.has_ts = s.opt.has_wscale = 1;
    s.opt.mss = 1460;
    s.opt.wscale = 7;
    s.opt.tsval = 1;
    size_t n = pkt_build(b, sizeof b, &s, 1);
    ck_assert_int_eq(pcap_write(w, 1000, b, n), 0);
    /* SYN-ACK back */
    struct tcp_seg r = s;
    r.saddr = s.daddr;
    r.daddr = s.saddr;
    r.sport = 80;
    r.dport = 40000;
    r.seq = 5000;
    r.ack = 1001;
    r.flags = TCP_SYN | TCP_ACK;
    r.opt.tsecr = 1;
    n = pkt_build(b, sizeof b, &r, 1);
    ck_assert_int_eq(pcap_write(w, 2000, b, n), 0);
    /* data with timestamps and SACK blocks, odd payload length */
    memset(&s.opt, 0, sizeof s.opt);
    s.opt.has_ts = 1;
    s.opt.tsval = 2;
    s.opt.tsecr = 1;
    s.opt.nsack = 2;
    s.opt.sack[0] = (struct tcp_sack_block){5001, 5100};
    s.opt.sack[1] = (struct tcp_sack_block){5200, 5300};
    s.seq = 1001;
    s.ack = 5001;
    s.flags = TCP_ACK | TCP_PSH;
    static const char body[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n!";
    s.data = (const uint8_t *)body;
    s.len = sizeof body - 1;
    n = pkt_build(b, sizeof b, &s, 2);
    ck_assert_int_eq(pcap_write(w, 3000, b, n), 0);
    ck_assert_int_eq(pcap_close(w), 0);

    /* Checksum validation is off by default in Wireshark: turn it on for IP and TCP. */
    snprintf(cmd, sizeof cmd,
             "tshark -n -r '%s' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -V "
             ">'%s' 2>&1",
             path, out);
    int rc = system(cmd);
    ck_assert_int_eq(rc, 0);
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int frames = 0, good_tcp = 0, good_ip = 0;
    while (fgets(line, sizeof line, f)) {
        ck_assert_msg(!strstr(line, "Malformed"), "tshark: %s", line);
        ck_assert_msg(!strstr(line, "[Checksum Status: Bad]"), "tshark: %s", line);
        ck_assert_msg(!strstr(line, "incorrect"), "tshark: %s", line);
        if (!strncmp(line, "Frame ", 6)) frames++;
        if (strstr(line, "[Checksum Status: Good]")) good_tcp++;
        if (strstr(line, "[Header checksum status: Good]")) good_ip++;
    }
    fclose(f);
    ck_assert_int_eq(frames, 3);
    ck_assert_int_ge(good_tcp + good_ip, 3);
    printf("tshark: 3 frames dissected, %d checksum lines Good, none Bad/Malformed\n",
           good_tcp + good_ip);
    unlink(path);
    unlink(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pcap");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, write_and_read_back);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, tshark_dissects_our_segments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
