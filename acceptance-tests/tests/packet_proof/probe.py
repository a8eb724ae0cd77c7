"""The agent of the packet proof rig: one per network namespace, started with `ip netns exec NS python3 probe.py`.

It listens and probes at once, so that no probe waits for a process to start:
- first stdin line, JSON {"tcp": [ports], "udp": [ports], "raw4": [protocols], "raw6": [protocols]}: binds every
  port and raw protocol on all addresses and prints "ready". TCP connections are accepted and closed; UDP
  datagrams are answered with their own payload; raw sockets (ICMP and other IP protocols) record the tokens they
  see. Raw sockets get packets after the input hook, so a packet the firewall drops is never seen.
- "report": prints a JSON list of the tokens seen since the last report.
- "flush": empties this namespace's connection tracking table (generic protocols are tracked by addresses alone,
  so an entry from an earlier probe could admit a later one as its reply), then prints "ok".
- "probe" and a JSON line of probes {"token", "kind": tcp|udp|icmp|icmpv6|raw, "family": 4|6, "address",
  "port", "protocol", "type"}: sends them all at once, in a thread while the listener keeps answering, and
  prints a JSON object token -> "open" | "closed" | "sent". TCP is open when the handshake completes (or is
  refused, which also means the SYN passed); UDP when the answer comes back; ICMP and raw protocols are "sent"
  and judged by the receiver's report.
The agent exits at the end of stdin.
"""

import errno
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

TIMEOUT = 1.5


def raise_file_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def agent():
    raise_file_limit()
    spec = json.loads(sys.stdin.readline())
    sel = selectors.DefaultSelector()
    raw = []
    for family, any_address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        for port in spec["tcp"]:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((any_address, port))
            s.listen(1024)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, "tcp")
        for port in spec["udp"]:
            s = socket.socket(family, socket.SOCK_DGRAM)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((any_address, port))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, "udp")
        for protocol in spec["raw4" if family == socket.AF_INET else "raw6"]:
            s = socket.socket(family, socket.SOCK_RAW, protocol)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, "raw")
            raw.append(s)
    sel.register(sys.stdin, selectors.EVENT_READ, "control")
    seen = set()
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "control":
                line = sys.stdin.readline()
                if not line:
                    return
                command = line.strip()
                if command == "report":
                    # Read what already arrived first: the command may be served before those sockets.
                    for r in raw:
                        while record(r, seen):
                            pass
                    answer(json.dumps(sorted(seen)))
                    seen.clear()
                elif command == "flush":
                    flush()
                    answer("ok")
                elif command == "probe":
                    probes = json.loads(sys.stdin.readline())
                    threading.Thread(target=lambda: answer(json.dumps(probe(probes)))).start()
                else:
                    sys.exit("unknown command %r" % command)
            elif key.data == "tcp":
                try:
                    conn, _ = s.accept()
                    conn.close()
                except OSError:
                    pass
            elif key.data == "udp":
                try:
                    data, peer = s.recvfrom(2048)
                    s.sendto(data, peer)
                except OSError:
                    pass
            else:
                record(s, seen)


def record(s, seen):
    """Reads one packet from raw socket s into seen; False when none is waiting."""
    try:
        data = s.recv(4096)
    except OSError:
        return False
    start = data.find(b"PMX")
    if start >= 0:
        seen.add(data[start:start + 16].decode("ascii", "replace"))
    return True


OUTPUT = threading.Lock()


def answer(line):
    with OUTPUT:
        print(line, flush=True)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_packet(icmp_type, token, v6):
    # Type, code 0, checksum, identifier and sequence from the token, then the token as payload. The kernel
    # computes ICMPv6 checksums of raw sockets itself (RFC 3542); ICMPv4 needs ours.
    ident = int(token[-5:]) & 0xFFFF
    header = struct.pack("!BBHHH", icmp_type, 0, 0, ident, 1)
    payload = token.encode()
    if v6:
        return header + payload
    return struct.pack("!BBHHH", icmp_type, 0, checksum(header + payload), ident, 1) + payload


def probe(probes):
    # At most as many sockets at once as the file limit leaves beside the listener's own.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    budget = max(64, soft - len(os.listdir("/proc/self/fd")) - 64)
    results = {}
    for start in range(0, len(probes), budget):
        results.update(probe_batch(probes[start:start + budget]))
    return results


def probe_batch(probes):
    sel = selectors.DefaultSelector()
    results = {}
    pending = {}
    udp = []
    raw = {}
    for p in probes:
        family = socket.AF_INET if p["family"] == 4 else socket.AF_INET6
        token = p["token"]
        kind = p["kind"]
        if kind == "tcp":
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((p["address"], p["port"]))
            if err in (0, errno.ECONNREFUSED):
                results[token] = "open"
                s.close()
            elif err == errno.EINPROGRESS:
                sel.register(s, selectors.EVENT_WRITE, token)
                pending[token] = s
            else:
                results[token] = "closed"
                s.close()
        elif kind == "udp":
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect((p["address"], p["port"]))
            sel.register(s, selectors.EVENT_READ, token)
            pending[token] = s
            udp.append((s, token))
        else:
            protocol = {"icmp": socket.IPPROTO_ICMP, "icmpv6": socket.IPPROTO_ICMPV6}.get(kind, p.get("protocol"))
            key = (family, protocol)
            if key not in raw:
                raw[key] = socket.socket(family, socket.SOCK_RAW, protocol)
            if kind in ("icmp", "icmpv6"):
                packet = icmp_packet(p["type"], token, kind == "icmpv6")
            else:
                packet = token.encode()
            try:
                raw[key].sendto(packet, (p["address"], 0))
                results[token] = "sent"
            except OSError as error:
                # EPERM is what an output chain's drop answers to a raw send.
                results[token] = "closed" if error.errno == errno.EPERM else "error: %s" % error
    # UDP: a request now and again after a while, in case the first one met an unresolved neighbour.
    for s, token in udp:
        try:
            s.send(token.encode())
        except OSError:
            pass
    deadline = time.monotonic() + TIMEOUT
    resent = False
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not resent and left < TIMEOUT / 2:
            resent = True
            for s, token in udp:
                if token in pending:
                    try:
                        s.send(token.encode())
                    except OSError:
                        pass
        for key, _ in sel.select(min(left, TIMEOUT / 4)):
            s = key.fileobj
            token = key.data
            if token not in pending:
                continue
            if s.type == socket.SOCK_STREAM:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                results[token] = "open" if err in (0, errno.ECONNREFUSED) else "closed"
            else:
                try:
                    answer = s.recv(2048)
                except OSError:
                    continue
                if answer != token.encode():
                    continue
                results[token] = "open"
            sel.unregister(s)
            s.close()
            del pending[token]
    for token, s in pending.items():
        results[token] = "closed"
        s.close()
    for s in raw.values():
        s.close()
    return results


def flush():
    # An IPCTNL_MSG_CT_DELETE request without attributes flushes the table of the family in nfgenmsg.
    NETLINK_NETFILTER = 12
    NFNL_SUBSYS_CTNETLINK = 1
    IPCTNL_MSG_CT_DELETE = 2
    NLM_F_REQUEST = 1
    NLM_F_ACK = 4
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    for sequence, family in enumerate((socket.AF_INET, socket.AF_INET6), start=1):
        body = struct.pack("!BBH", family, 0, 0)
        header = struct.pack(
            "=IHHII", 16 + len(body), (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
            NLM_F_REQUEST | NLM_F_ACK, sequence, 0)
        s.send(header + body)
        answer = s.recv(4096)
        code = struct.unpack("=i", answer[16:20])[0]
        # ENOENT: nothing tracked yet in this namespace.
        if code not in (0, -errno.ENOENT):
            sys.exit("conntrack flush failed: %s" % errno.errorcode.get(-code, code))
    s.close()


if __name__ == "__main__":
    agent()
