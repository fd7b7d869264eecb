"""A reader for the preload library's stats files, written from docs/zero-code.md's layout
table with the struct module only, independent of the Swift reader it cross-checks."""

import fcntl
import os
import struct
from dataclasses import dataclass, field

MAGIC = b"ZMQXSTAT"
HEADER = struct.Struct("<8sIIIIiIQ40sI124siiiI11d")  # up to the bucket bounds (offset 312)
HEADER_COUNTERS = struct.Struct("<QQQQqqQQQQ")           # offset 312..392
SLOT_HEAD = struct.Struct("<IIIiIIII")                    # offset 0..32
SLOT_COUNTERS = struct.Struct("<QQQQQQQqQQ")              # offset 32..112
EVENT_NAMES = ["connected", "connect_delayed", "connect_retried", "listening", "bind_failed", "accepted",
               "accept_failed", "closed", "close_failed", "disconnected", "monitor_stopped",
               "handshake_failed_no_detail", "handshake_succeeded", "handshake_failed_protocol",
               "handshake_failed_auth", "unknown"]
STATES = {0: "free", 1: "live", 2: "closed", 3: "aggregate"}


@dataclass
class Slot:
    index: int
    state: str
    generation: int
    socket_type: int
    flags: int
    name: str
    endpoints: list
    messages_sent: int
    messages_received: int
    bytes_sent: int
    bytes_received: int
    would_block: int
    unroutable: int
    send_error: int
    connections: int
    closed_before_handshake: int
    handshake_overflow: int
    events: dict
    buckets: list
    lifetime_sum_ns: int
    lifetime_count: int
    handshake: list = field(default_factory=list)  # (event, value, count)


@dataclass
class Stats:
    path: str
    pid: int
    start_time: int
    boot_id: str
    name: str
    zmq_version: tuple
    bounds: list
    dropped_events: int
    overflow_sockets: int
    unmonitored_sockets: int
    monitors_lost: int
    max_sockets_requested: int
    max_sockets_effective: int
    sockets_created: int
    sockets_closed: int
    malformed_events: int
    evicted_slots: int
    slots: list

    def live(self):
        return [s for s in self.slots if s.state == "live"]

    def used(self):
        return [s for s in self.slots if s.state in ("live", "closed")]

    def named(self, name):
        found = [s for s in self.used() if s.name == name]
        assert found, f"no slot named {name!r}: {[s.name for s in self.used()]}"
        return found


def parse(data: bytes, path: str = "") -> Stats:
    if len(data) < 4096 or data[:8] != MAGIC:
        raise ValueError(f"{path}: not a complete stats file")
    h = HEADER.unpack_from(data, 0)
    (_, version, header_size, slot_size, slot_count, pid, _, start_time, boot_id, name_len, name,
     major, minor, patch, bucket_count, *bounds) = h
    assert version == 1 and header_size == 4096 and slot_size == 1024 and bucket_count == 11
    assert len(data) == header_size + slot_count * slot_size, "size does not match the slot count"
    counters = HEADER_COUNTERS.unpack_from(data, 312)
    slots = []
    for i in range(slot_count):
        base = header_size + i * slot_size
        state, generation, _seq, socket_type, flags, nlen, elen, hs_entries = SLOT_HEAD.unpack_from(data, base)
        c = SLOT_COUNTERS.unpack_from(data, base + 32)
        events = dict(zip(EVENT_NAMES, struct.unpack_from("<16Q", data, base + 112)))
        buckets = list(struct.unpack_from("<12Q", data, base + 240))
        lsum, lcount = struct.unpack_from("<QQ", data, base + 336)
        handshake = []
        for k in range(hs_entries):
            ev, val, count = struct.unpack_from("<IIQ", data, base + 352 + 16 * k)
            if count:
                handshake.append((ev, val, count))
        sname = data[base + 480: base + 480 + nlen].decode()
        eps = [line.split(" ", 1) for line in data[base + 576: base + 576 + elen].decode().splitlines()]
        slots.append(Slot(i, STATES.get(state, str(state)), generation, socket_type, flags, sname, eps, *c,
                          events, buckets, lsum, lcount, handshake))
    return Stats(path, pid, start_time, boot_id.rstrip(b"\0").decode(), name[:name_len].decode(),
                 (major, minor, patch), list(bounds), *counters, slots)


def read(path: str) -> Stats:
    with open(path, "rb") as f:
        return parse(f.read(), path)


def files(directory: str) -> list:
    return sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".zmqstats"))


def for_pid(directory: str, pid: int) -> Stats:
    found = [s for s in (read(p) for p in files(directory)) if s.pid == pid]
    assert len(found) == 1, f"expected one file for pid {pid} in {directory}: {os.listdir(directory)}"
    return found[0]


def writer_alive(path: str) -> bool:
    """The writer holds LOCK_EX for its life: getting LOCK_SH means it is gone."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
