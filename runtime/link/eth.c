/*
 * eth.c — Ethernet II framing around the IPv4 stack (the public tcpfsm_eth_* calls).
 *
 * Inbound: a frame for our MAC or the broadcast address is split by type: IPv4 goes to
 * tcpfsm_input() (trimmed to the datagram's total length, since short frames arrive padded),
 * ARP to arp.c; anything else is counted and dropped. Outbound: the stack's datagram gets a
 * next hop (the destination when on-link, else the gateway), a MAC from the ARP cache (or it
 * waits in arp.c's queue), and a 14-byte header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint32_t prefix_mask(uint8_t len)
{
    return len == 0 ? 0 : ~(uint32_t)0 << (32 - len);
}

int eth_on_link(const struct tcpfsm_eth *eth, uint32_t addr)
{
    uint32_t m = prefix_mask(eth->cfg.prefix_len);
    return (addr & m) == (eth->cfg.addr & m);
}

static int cfg_range(uint32_t *v, uint32_t def, uint32_t lo, uint32_t hi)
{
    if (*v == 0) *v = def;
    return *v >= lo && *v <= hi;
}

struct tcpfsm_eth *tcpfsm_eth_new(const struct tcpfsm_eth_config *cfg, int *err)
{
    int e = -EINVAL;
    struct tcpfsm_eth *eth = NULL;
    static const uint8_t zero[6];
    if (!cfg || !cfg->output || (cfg->mac[0] & 1) || !memcmp(cfg->mac, zero, 6) ||
        cfg->prefix_len > 32 || (cfg->mtu != 0 && cfg->mtu < 68))
        goto fail;
    e = -ENOMEM;
    eth = calloc(1, sizeof *eth);
    if (!eth) goto fail;
    eth->cfg = *cfg;
    struct tcpfsm_eth_config *c = &eth->cfg;
    e = -EINVAL;
    if (!c->mtu) c->mtu = 1500;
    if (!cfg_range(&c->reachable_us, TCPFSM_ETH_REACHABLE_US, 1000, 3600000000u) ||
        !cfg_range(&c->retry_us, TCPFSM_ETH_RETRY_US, 1000, 60000000u) ||
        !cfg_range(&c->retries, TCPFSM_ETH_RETRIES, 1, 255) ||
        !cfg_range(&c->neighbours, TCPFSM_ETH_NEIGHBOURS, 1, 65536) ||
        !cfg_range(&c->queue_packets, TCPFSM_ETH_QUEUE_PACKETS, 1, 4096))
        goto fail;
    if (c->gateway && !eth_on_link(eth, c->gateway)) goto fail;
    e = -ENOMEM;
    eth->cache = calloc(c->neighbours, sizeof *eth->cache);
    eth->frame =
        malloc((size_t)c->mtu + ETH_HDR_LEN < ETH_MIN_FRAME ? ETH_MIN_FRAME
                                                            : (size_t)c->mtu + ETH_HDR_LEN);
    if (!eth->cache || !eth->frame) goto fail;
    eth->now = c->now;
    eth->next_due = UINT64_MAX;
    if (err) *err = 0;
    return eth;
fail:
    tcpfsm_eth_free(eth);
    if (err) *err = e;
    return NULL;
}

void tcpfsm_eth_free(struct tcpfsm_eth *eth)
{
    if (!eth) return;
    if (eth->cache) arp_free_all(eth);
    free(eth->cache);
    free(eth->frame);
    free(eth);
}

void tcpfsm_eth_attach(struct tcpfsm_eth *eth, struct tcpfsm_stack *st)
{
    eth->st = st;
}

void eth_send(struct tcpfsm_eth *eth, const uint8_t dst[6], uint16_t type, const void *payload,
              size_t len)
{
    uint8_t *f = eth->frame;
    memcpy(f, dst, 6);
    memcpy(f + 6, eth->cfg.mac, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    memcpy(f + ETH_HDR_LEN, payload, len);
    size_t flen = ETH_HDR_LEN + len;
    if (flen < ETH_MIN_FRAME) {
        memset(f + flen, 0, ETH_MIN_FRAME - flen);
        flen = ETH_MIN_FRAME;
    }
    eth->stats.OutFrames++;
    eth->cfg.output(eth->cfg.output_arg, f, flen);
}

void tcpfsm_eth_ip_output(void *arg, const void *packet, size_t len)
{
    struct tcpfsm_eth *eth = arg;
    const uint8_t *p = packet;
    if (len < 20 || (p[0] >> 4) != 4 || len > eth->cfg.mtu) {
        eth->stats.OutDrops++;
        return;
    }
    uint32_t dst = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
    uint32_t host = ~prefix_mask(eth->cfg.prefix_len);
    if (dst == 0xffffffffu || (eth->cfg.prefix_len && eth->cfg.prefix_len < 31 &&
                               eth_on_link(eth, dst) && (dst & host) == host)) {
        eth_send(eth, eth_broadcast, ETH_TYPE_IPV4, p, len);
        return;
    }
    if ((dst >> 28) == 0xe) { /* RFC 1112 6.4: the group's low 23 bits under 01:00:5e */
        uint8_t m[6] = {0x01,        0x00, 0x5e, (uint8_t)((dst >> 16) & 0x7f), (uint8_t)(dst >> 8),
                        (uint8_t)dst};
        eth_send(eth, m, ETH_TYPE_IPV4, p, len);
        return;
    }
    uint32_t hop = eth_on_link(eth, dst) ? dst : eth->cfg.gateway;
    if (!hop) {
        eth->stats.OutNoRoute++;
        return;
    }
    arp_output(eth, hop, p, len);
}

int tcpfsm_eth_input(struct tcpfsm_eth *eth, const void *frame, size_t len)
{
    return tcpfsm_eth_input_ex(eth, frame, len, 0);
}

int tcpfsm_eth_input_ex(struct tcpfsm_eth *eth, const void *frame, size_t len, unsigned flags)
{
    const uint8_t *f = frame;
    eth->stats.InFrames++;
    if (len < ETH_HDR_LEN || (f[6] & 1)) { /* no header, or a group address as source */
        eth->stats.InMalformed++;
        return -EINVAL;
    }
    if (memcmp(f, eth->cfg.mac, 6) && memcmp(f, eth_broadcast, 6)) {
        eth->stats.InOtherHost++;
        return -EXDEV;
    }
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    const uint8_t *p = f + ETH_HDR_LEN;
    size_t plen = len - ETH_HDR_LEN;
    if (type == ETH_TYPE_ARP) {
        uint64_t bad = eth->stats.InMalformed;
        arp_input(eth, p, plen);
        return eth->stats.InMalformed != bad ? -EINVAL : 0;
    }
    if (type != ETH_TYPE_IPV4) {
        eth->stats.InUnknownType++;
        return -EPROTO;
    }
    if (plen >= 20) { /* padding after the datagram is the link's, not IP's */
        size_t tot = (size_t)(p[2] << 8 | p[3]);
        if (tot >= 20 && tot < plen) plen = tot;
    }
    eth->stats.InIp++;
    if (!eth->st) return -ENOENT;
    return tcpfsm_input_ex(eth->st, p, plen, flags);
}

void tcpfsm_eth_announce(struct tcpfsm_eth *eth)
{
    /* RFC 5227 2.3: sender and target protocol address both ours, target hardware zero. */
    arp_request(eth, eth->cfg.addr, NULL);
}

void tcpfsm_eth_advance(struct tcpfsm_eth *eth, tcpfsm_time_t now)
{
    if (now > eth->now) eth->now = now;
    arp_advance(eth);
}

tcpfsm_time_t tcpfsm_eth_next_timeout(const struct tcpfsm_eth *eth)
{
    return eth->next_due;
}

int tcpfsm_eth_lookup(const struct tcpfsm_eth *eth, uint32_t addr, uint8_t mac[6])
{
    const struct arp_entry *e = arp_find(eth, addr);
    if (!e) return -ENOENT;
    if (e->state == ARP_INCOMPLETE) return -EAGAIN;
    memcpy(mac, e->mac, 6);
    return 0;
}

void tcpfsm_eth_get_stats(const struct tcpfsm_eth *eth, struct tcpfsm_eth_stats *out)
{
    *out = eth->stats;
}
