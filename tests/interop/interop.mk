# tests/interop/interop.mk — `make test-interop`: the example programs against the Linux
# kernel's TCP (curl, python3, netcat-openbsd) over a TUN device, each test in a network
# namespace of its own (tests/netns.sh), captures checked with tshark. Without root each
# test prints "SKIP: <reason>" and passes. Part of `make test` once the TCP core exists.
# Captures and logs stay in $(BUILD)/tests/interop/<test>/ for post-mortem.
#
#   test_daytime_kernel    Linux -> us: nc reads a line from tcpfsm-echo --daytime, which closes
#                          first: TIME-WAIT is ours; nc again from the same port reopens it (RFC 6191)
#   test_echo_python       Linux -> us: python3 client, tcpfsm-echo, half-close both ways,
#                          100 concurrent connections; kernel TIME-WAIT when the kernel closes first
#   test_httpd_curl        Linux -> us: curl, 20 MiB download (sha256), curl --parallel 100,
#                          keep-alive/HEAD/404/pipelining/HTTP 1.0; TIME-WAIT on each side
#   test_httpd_many_clients  Linux -> us: 2 waves of 2,000 concurrent idle keep-alive python3
#                          clients against tcpfsm-httpd's defaults, one GET each; no refusals,
#                          no ghost connections after they close; RSS per idle connection
#   test_httpd_10k_clients  Linux -> us: 10,000 concurrent keep-alive clients (bench/http_load.c,
#                          epoll) doing 5 GET / each: all 50,000 answered 200 with the page, no
#                          error of any kind; 10,000 ESTABLISHED in tcpfsm_ss while held, only
#                          the listener once the clients closed; CurrEstab/BufferBytes 0 at exit
#   test_httpd_threads     Linux -> us: tcpfsm-httpd --threads 2 on a multi-queue TUN device,
#                          2,000 keep-alive clients x 5 GET /: all answered, both shards hold
#                          and accepted connections (the merged listing), two listeners left
#   test_nc_kernel         both roles of tcpfsm-nc against netcat-openbsd, half-closes
#   test_nc_python_server  us -> Linux: tcpfsm-nc and a python3 server, 20 MiB each way;
#                          our TIME_WAIT (tcpfsm-nc --ss), none in the kernel
#   test_nc_errors         us -> Linux: ECONNREFUSED, ECONNRESET (SO_LINGER {1,0}) idle and
#                          mid-transfer
#   test_nc_refused        us -> a closed port behind a Linux router: RST, then (with nft or
#                          iptables in the far namespace; else SKIP) ICMP port unreachable,
#                          ECONNREFUSED at once both ways (the RCV_ICMP_UNREACH row), --ss counts
#   test_ping              Linux -> us: ping answered (RFC 1122 3.2.2.6), a burst of 100 meets
#                          the ICMP rate limit, UDP gets protocol unreachable (ENOPROTOOPT)
#   test_pmtu_router       Linux -> us through a Linux router whose next hop has MTU 1000: its
#                          "fragmentation needed" lowers our MSS 1460 -> 960 (RFC 1191); curl's
#                          20 MiB download (sha256) ends, no datagram above 1000 bytes after it
#   test_offload_tun       virtio-net offloads (--offload): curl 20 MiB from tcpfsm-httpd and
#                          tcpfsm-nc 20 MiB each way with a python3 server, trains both ways (--ss);
#                          through a Linux router to a veth with every offload off, the wire
#                          (tcpdump) carries MSS-sized segments, checksums good, exactly those
#                          the stack sent one by one; --offload=none; offloads reset by plain --tun
#   test_eth_tap           Ethernet + ARP on a TAP device: curl 4 MiB from tcpfsm-httpd --tap
#                          (ip neigh shows our MAC), ping, tcpfsm-nc --tap resolves the kernel
#                          and sends 2 MiB
#   test_eth_afpacket      the stack on a veth end through AF_PACKET: curl and python3 download
#                          8 MiB each, tcpfsm-nc --packet receives 8 MiB from a python3 server
# Each test is bounded by timeout(1): 40 s, or what a line "# interop-timeout: SECONDS" in the
# script says (its namespace session by INTEROP_TIMEOUT, a little less; every step by less);
# the whole suite normally takes ~75 s (the total is printed).

INTEROP_TESTS := $(sort $(wildcard tests/interop/test_*.sh))
INTEROP_DIR   := $(BUILD)/tests/interop

TEST_TARGETS += $(if $(STACK_READY),test-interop)
.PHONY: test-interop

# The load generator of test_httpd_10k_clients (also bench/run.py's HTTP client), built with
# the project's flags (SAN=1: sanitized too); the test finds it through $HTTP_LOAD.
INTEROP_HTTP_LOAD := $(INTEROP_DIR)/bin/http_load
$(INTEROP_HTTP_LOAD): bench/http_load.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< -o $@

test-interop: $(BIN)/tcpfsm-echo $(BIN)/tcpfsm-httpd $(BIN)/tcpfsm-nc $(INTEROP_HTTP_LOAD)
	@export HTTP_LOAD=$(abspath $(INTEROP_HTTP_LOAD)); \
	fail=0; t0=$$(date +%s); for t in $(INTEROP_TESTS); do \
	    n=$$(basename $$t .sh); echo "== $$t"; s0=$$(date +%s); \
	    lim=$$(sed -n 's/^# interop-timeout: *\([0-9][0-9]*\) *$$/\1/p' $$t | head -1); \
	    timeout -k 5 $${lim:-40} sh $$t $(BIN) $(INTEROP_DIR)/$$n || { echo "FAILED: $$t"; fail=1; }; \
	    echo "   ($$(($$(date +%s) - s0)) s)"; \
	done; \
	if [ $$fail -ne 0 ]; then echo "test-interop: FAILED (captures and logs in $(INTEROP_DIR))"; exit 1; fi; \
	echo "test-interop: all $(words $(INTEROP_TESTS)) interop tests passed (or skipped) in $$(($$(date +%s) - t0)) s"
