/*
 * tcp_layer.h — the TCP room's functions: segment input (tcp_input.c), output (tcp_output.c),
 * the bridge to the generated machine (tcp_fsm_glue.c), timer expiry as events (tcp_timer.c),
 * SYN cookies, and the compact TIME_WAIT and SYN-queue records (timewait.c, synqueue.c).
 * Below it: the core room (tcb.h) and base/.
 */
#ifndef TCPFSM_TCP_LAYER_H
#define TCPFSM_TCP_LAYER_H
#include "tcb.h"

/* tcp_timer.c: run t's due timer slots as T_* events; advance every wheel to now */
void tcb_timers_run(struct tcpfsm_stack *st, struct tcb *t);
void tcp_timers_advance(struct tcpfsm_stack *st, uint64_t now);

/* Dispatch one event through the generated machine (tcp_fsm_glue.c). */
int tcb_event(struct tcpfsm_stack *st, struct tcb *t, int event, const struct tcp_seg *seg);
const char *tcb_state_name(const struct tcb *t);

/* syncookie.c (RFC 4987 3.6) */
uint8_t syncookie_data(const struct tcp_seg *syn, uint16_t our_mss, uint32_t flags);
uint32_t syncookie_make(const struct tcpfsm_stack *st, const struct tcp_seg *syn, uint8_t data);
bool syncookie_check(const struct tcpfsm_stack *st, const struct tcp_seg *ack, uint8_t *data);
uint16_t syncookie_mss(uint8_t data);

/* timewait.c: compact TIME_WAIT records */
struct tw_rec;
size_t tw_record_size(void);
struct tw_rec *tw_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                         uint16_t rp);
bool tw_settle(struct tcpfsm_stack *st, struct tcb *t);
void tw_expand(struct tcpfsm_stack *st, struct tw_rec *r, struct tcb *t);
void tw_fold(struct tcpfsm_stack *st, struct tw_rec *r, struct tcb *t);
struct tw_rec *tw_of_timer(struct wheel_node *n);
void tw_drop(struct tcpfsm_stack *st, struct tw_rec *r);
size_t tw_ss(const struct tcpfsm_stack *st, char *buf, size_t size, size_t off);
/* synqueue.c: compact SYN-queue records (embryonic passive connections) */
struct syn_rec;
size_t syn_record_size(void);
struct syn_rec *syn_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                           uint16_t rp);
bool syn_settle(struct tcpfsm_stack *st, struct tcb *t);
struct tcb *syn_rehydrate(struct tcpfsm_stack *st, struct syn_rec *r);
struct syn_rec *syn_of_timer(struct wheel_node *n);
void syn_rehydrate_listener(struct tcpfsm_stack *st, struct tcb *l);
struct tcb *syn_expand(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp);
size_t syn_ss(const struct tcpfsm_stack *st, char *buf, size_t size, size_t off);
void tcp_conn_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg);

/* tcp_output.c */
void tcp_send_syn_ack_stateless(struct tcpfsm_stack *st, struct tcb *tmp);
void tcp_output(struct tcpfsm_stack *st, struct tcb *t); /* data, FIN, pending ACK */
void tcp_send_ctl(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq);
void tcp_send_syn(struct tcpfsm_stack *st, struct tcb *t, bool with_ack);
/* A FIN alone at SND.NXT, behind a SYN not yet acknowledged (tcp_output sends it after data). */
void tcp_send_fin(struct tcpfsm_stack *st, struct tcb *t);
void tcp_send_rst_reply(struct tcpfsm_stack *st, const struct tcp_seg *in);
void tcp_retransmit_first(struct tcpfsm_stack *st, struct tcb *t);
void tcp_resend_una(struct tcpfsm_stack *st, struct tcb *t);
bool tcp_sack_retransmit(struct tcpfsm_stack *st, struct tcb *t);
/* The most text a segment with options o may carry (RFC 6691 2), and the same for a data
 * segment with the options every data segment carries. */
uint32_t tcp_payload_room(const struct tcb *t, const struct tcp_opts *o);
uint32_t tcp_effective_mss(const struct tcb *t);
void tcp_send_probe(struct tcpfsm_stack *st, struct tcb *t, bool keepalive);
uint32_t tcp_rcv_window(const struct tcpfsm_stack *st, const struct tcb *t);
uint32_t tcp_rcv_sws_thresh(const struct tcpfsm_stack *st, const struct tcb *t);

/* tcp_input.c */
int tcp_input(struct tcpfsm_stack *st, const void *packet, const struct ip_hdr *h,
              enum pkt_status ps, unsigned flags);
/* The output a segment train held back (TCPFSM_IN_MORE), now; nothing if none waits. */
void tcp_train_end(struct tcpfsm_stack *st);
void tcp_child_from_syn(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg);
void tcp_child_from_cookie(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg);
/* A SYN that ended TIME-WAIT (spec row [syn_reopens]) goes to the listener (RFC 6191 2). */
void tcp_reopen(struct tcpfsm_stack *st, const struct tcb *old, const struct tcp_seg *syn);
int tw_input(struct tcpfsm_stack *st, struct tw_rec *r, const struct tcp_seg *seg);
int syn_input(struct tcpfsm_stack *st, struct syn_rec *r, const struct tcp_seg *seg);

/* tcp_rcv.c */
void tcp_ack_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg);
void tcp_data_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg);
/* The text of a SYN, queued until the connection can take text (RFC 9293 3.10.7.2/3.10.7.3). */
void tcp_queue_syn_text(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *syn);
/* The SYN's text waiting in the reassembly queue at RCV.NXT, as a segment of its own. */
bool tcp_queued_text(const struct tcb *t, struct tcp_seg *out);

#endif /* TCPFSM_TCP_LAYER_H */
