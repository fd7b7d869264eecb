"""Stats files of the preload library, written without the library: N processes x M live sockets
in the layout of docs/zero-code.md (version 1), for the agent's scrape benchmark. Each file is held
with flock(LOCK_EX) while the writer lives, as the library does, so the agent sees live processes.
Tests/system/preload_stats.py, the independent reader, reads them back in the smoke run."""
import fcntl
import os
import struct

HEADER_SIZE, SLOT_SIZE = 4096, 1024
BOUNDS = (0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400)
ZMQ_PULL, ZMQ_PUSH = 7, 8
LIVE, AGGREGATE = 1, 3
EVENT_CONNECTED, EVENT_ACCEPTED, EVENT_HANDSHAKE_SUCCEEDED = 0, 5, 12


def header(pid, name, slot_count, boot_id):
    data = bytearray(HEADER_SIZE)
    encoded = name.encode()
    struct.pack_into("<IIIIiIQ40sI124siiiI11d", data, 8, 1, HEADER_SIZE, SLOT_SIZE, slot_count, pid, 0,
                     1000 + pid, boot_id.encode(), len(encoded), encoded, 4, 3, 4, len(BOUNDS), *BOUNDS)
    # dropped, overflow, unmonitored, lost, max asked, max set, created, closed, malformed, evicted
    struct.pack_into("<QQQQqqQQQQ", data, 312, 0, 0, 0, 0, -1, 3069, slot_count - 1, 0, 0, 0)
    return data


def slot(index, socket_type, name, endpoint, mode, seed):
    data = bytearray(SLOT_SIZE)
    endpoints = f"{mode} {endpoint}\n".encode()
    encoded = name.encode()
    state = AGGREGATE if index == 0 else LIVE
    struct.pack_into("<IIIiIIII", data, 0, state, 1, 2, -1 if index == 0 else socket_type,
                     0 if index == 0 else 1, len(encoded), len(endpoints) if index else 0, 8)
    sent = seed * 1000 if socket_type == ZMQ_PUSH else 0
    received = seed * 1000 if socket_type == ZMQ_PULL else 0
    # messages sent/received, bytes sent/received, would_block, unroutable, error; connections,
    # closed before handshake, handshake overflow
    struct.pack_into("<QQQQQQQqQQ", data, 32, sent, received, sent * 64, received * 64, seed % 3, 0, 0,
                     0 if index == 0 else 1 + seed % 2, seed % 2, 0)
    events = [0] * 16
    events[EVENT_ACCEPTED if mode == "bind" else EVENT_CONNECTED] = 2 + seed % 5
    events[EVENT_HANDSHAKE_SUCCEEDED] = 2 + seed % 5
    struct.pack_into("<16Q", data, 112, *events)
    buckets = [0] * 12
    buckets[4] = 1 + seed % 4
    struct.pack_into("<12Q", data, 240, *buckets)
    struct.pack_into("<QQ", data, 336, buckets[4] * 5_000_000_000, buckets[4])
    # one handshake-failure entry: event HANDSHAKE_FAILED_PROTOCOL (bit 13 -> 1 << 13), value, count
    struct.pack_into("<IIQ", data, 352, 1 << 13, 0x11000001, seed % 2)
    if index:
        data[480:480 + len(encoded)] = encoded
        data[576:576 + len(endpoints)] = endpoints
    return data


class StatsFiles:
    """`processes` files of `sockets` live sockets each in `directory`; close() releases the
    locks (the agent then sees exited processes) and leaves the files."""

    def __init__(self, directory, processes, sockets, slot_count=None):
        os.makedirs(directory, exist_ok=True)
        slot_count = slot_count or max(8, sockets + 1)
        boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
        self.fds = []
        self.paths = []
        for p in range(processes):
            pid = 100_000 + p
            data = header(pid, f"bench-{p:03d}", slot_count, boot_id)
            for i in range(slot_count):
                port = 20_000 + (p * sockets + i) % 40_000
                kind = ZMQ_PUSH if i % 2 else ZMQ_PULL
                if i > sockets:
                    data += bytes(SLOT_SIZE)  # free
                else:
                    data += slot(i, kind, f"tcp://127.0.0.1:{port}", f"tcp://127.0.0.1:{port}",
                                 "bind" if i % 2 else "connect", p * 31 + i)
            data[0:8] = b"ZMQXSTAT"
            path = os.path.join(directory, f"zmq-{pid}-{p:08x}.zmqstats")
            tmp = path + ".tmp"
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            os.write(fd, bytes(data))
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(tmp, path)
            self.fds.append(fd)
            self.paths.append(path)

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()
