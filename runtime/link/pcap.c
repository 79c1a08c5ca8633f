/*
 * pcap.c — classic libpcap file format writer (see pcap-savefile(5) and
 * draft-ietf-opsawg-pcap): a 24-byte global header, then a 16-byte record header per packet.
 * Written in host byte order with magic a1b2c3d4, which readers use to detect the order.
 */
#include "pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcap_writer {
    FILE *f;
    int err; /* first write error, reported by pcap_close */
};

struct pcap_file_hdr {
    uint32_t magic;
    uint16_t version_major, version_minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
    uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

struct pcap_writer *pcap_open(const char *path, int *err)
{
    return pcap_open_linktype(path, PCAP_LINKTYPE_RAW, err);
}

struct pcap_writer *pcap_open_linktype(const char *path, uint32_t linktype, int *err)
{
    struct pcap_writer *w = calloc(1, sizeof *w);
    if (!w) {
        if (err) *err = -ENOMEM;
        return NULL;
    }
    w->f = fopen(path, "wbe"); /* close-on-exec: captures must not leak into children */
    if (!w->f) {
        if (err) *err = -errno;
        free(w);
        return NULL;
    }
    struct pcap_file_hdr h = {
        .magic = 0xa1b2c3d4u, /* microsecond timestamps */
        .version_major = 2,
        .version_minor = 4,
        .snaplen = PCAP_SNAPLEN,
        .linktype = linktype, /* RAW: the IP header onwards; ETHERNET: the frame */
    };
    errno = 0; /* stdio need not set errno on a short write: fall back to EIO then */
    if (fwrite(&h, sizeof h, 1, w->f) != 1) {
        int e = errno ? -errno : -EIO;
        fclose(w->f);
        free(w);
        if (err) *err = e;
        return NULL;
    }
    if (err) *err = 0;
    return w;
}

int pcap_write(struct pcap_writer *w, uint64_t ts_us, const void *pkt, size_t len)
{
    if (!w) return -EINVAL;
    if (w->err) return w->err;
    size_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;
    struct pcap_rec_hdr r = {
        .ts_sec = (uint32_t)(ts_us / 1000000u),
        .ts_usec = (uint32_t)(ts_us % 1000000u),
        .incl_len = (uint32_t)incl,
        .orig_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
    };
    errno = 0;
    if (fwrite(&r, sizeof r, 1, w->f) != 1 || (incl && fwrite(pkt, incl, 1, w->f) != 1)) {
        w->err = errno ? -errno : -EIO;
        return w->err;
    }
    return 0;
}

int pcap_close(struct pcap_writer *w)
{
    if (!w) return 0;
    int rc = w->err;
    errno = 0;
    if (fclose(w->f) != 0 && rc == 0) rc = errno ? -errno : -EIO;
    free(w);
    return rc;
}
