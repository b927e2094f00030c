#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into Fuzz/corpus/{request,spool} (see docs/fuzzing.md).

Request seeds are RequestInput's text form: endpoint, Content-Encoding, Authorization and country header lines,
then the body. Spool seeds are a flag byte (bit 0: an empty later segment exists) then a segment file, built
record by record as SpoolRecord lays them out: magic, version, reserved, length, CRC-32C, zstd frame.
Needs python3 and the zstd command. Deterministic: running it again rewrites the same files.
"""
import base64
import gzip
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def zstd(data: bytes) -> bytes:
    # From a file, not a pipe, so the frame records its content size (the spool reader relies on it).
    with tempfile.NamedTemporaryFile() as raw:
        raw.write(data)
        raw.flush()
        return subprocess.run(["zstd", "-q", "-c", "-C", "-3", raw.name], check=True, capture_output=True).stdout


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def record(frame: bytes) -> bytes:
    head = b"SLSP" + bytes([1, 0, 0, 0]) + struct.pack("<I", len(frame))
    return head + struct.pack("<I", crc32c(head + frame)) + frame


def request(endpoint: str, body: bytes, encoding: str = "", auth: str = "", country: str = "") -> bytes:
    return "\n".join([endpoint, encoding, auth, country]).encode() + b"\n" + body


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def write(kind: str, name: str, data: bytes) -> None:
    with open(os.path.join(HERE, "corpus", kind, name), "wb") as out:
        out.write(data)


TRACK = (b'{"type":"track","messageId":"m-1","userId":"u-1","event":"Signed Up",'
         b'"properties":{"plan":"pro","n":1.5,"tags":["a","b"],"nested":{"x":null,"y":true}},'
         b'"timestamp":"2026-12-30T23:59:00.123Z"}')
PAGE = (b'{"type":"page","anonymousId":"a-1","name":"Pricing","properties":{"path":"/pricing"},'
        b'"context":{"ip":"198.51.100.23","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) '
        b'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15","locale":"de-DE",'
        b'"page":{"path":"/pricing","referrer":"https://www.google.com/search?q=sluice","search":'
        b'"?utm_source=news&utm_medium=email&utm_campaign=launch%20day","url":"https://example.com/pricing"},'
        b'"location":{"country":"DE"}},"originalTimestamp":"2026-12-30T23:58:00Z"}')
IDENTIFY = b'{"type":"identify","userId":"u-2","traits":{"email":"ann@example.com","age":41},"messageId":"m-3"}'
GROUP = b'{"type":"group","userId":"u-2","groupId":"g-1","traits":{"name":"Acme"}}'
ALIAS = b'{"type":"alias","userId":"u-2","previousId":"a-1"}'
SCREEN = b'{"type":"screen","userId":"u-3","name":"Home","context":{"device":{"type":"ios"},"os":{"name":"iOS"}}}'
BAD = [
    b'{"type":"track","userId":"u-1"}',  # track without event
    b'{"type":"track","event":"x"}',  # neither userId nor anonymousId
    b'{"type":"unknown","userId":"u"}',
    b'{"type":"track","userId":"u","event":"x","messageId":"' + b"m" * 101 + b'"}',
    b'{"type":"track","userId":"u","event":"nul \\u0000 here"}',
    b'{"type":"track","userId":"u","event":"lone \\ud800 surrogate"}',
    b'{"type":"track","userId":"u","event":"x","timestamp":"yesterday"}',
    b'{"type":"track","userId":"u","event":"x","timestamp":"2999-01-01T00:00:00Z"}',
    b'42',
]


def batch(events, extra: bytes = b"") -> bytes:
    return b'{"batch":[' + b",".join(events) + b"]" + extra + b"}"


def requests() -> None:
    key = basic("wk_fuzz")
    shared = b',"context":{"library":{"name":"analytics-python","version":"2.3.2"}},"sentAt":"2026-12-31T00:00:01Z"'
    full = batch([TRACK, PAGE, IDENTIFY, GROUP, ALIAS, SCREEN], shared)
    write("request", "batch-identity", request("batch", full, auth=key))
    write("request", "batch-gzip", request("batch", gzip.compress(full, mtime=0), "gzip", key))
    write("request", "batch-zstd", request("batch", zstd(full), "zstd", key))
    write("request", "batch-body-key", request("batch", batch([TRACK], b',"writeKey":"wk_fuzz"')))
    write("request", "batch-mixed-invalid", request("batch", batch([TRACK] + BAD + [PAGE]), auth=key, country="FR"))
    write("request", "track-single", request("track", TRACK, auth=key))
    write("request", "page-single", request("page", PAGE, auth=key, country="CH"))
    write("request", "identify-single", request("identify", IDENTIFY, "identity", key))
    repetitive = batch([TRACK.replace(b"m-1", f"m-{i}".encode()) for i in range(300)])
    write("request", "batch-gzip-many", request("batch", gzip.compress(repetitive, mtime=0), "gzip", key))
    write("request", "bomb-gzip", request("batch", gzip.compress(b'{"batch":[' + b" " * 2_000_000 + b"]}", mtime=0), "gzip", key))
    write("request", "bomb-zstd", request("batch", zstd(b'{"batch":[' + b" " * 2_000_000 + b"]}"), "zstd", key))
    write("request", "encoding-br", request("batch", full, "br", key))
    write("request", "auth-bearer", request("batch", full, auth="Bearer rk_nope"))
    write("request", "malformed-json", request("batch", b'{"batch":[{"type":"track",', auth=key))
    write("request", "deep-nesting", request("track", b'{"type":"track","userId":"u","event":"x","properties":' + b'{"a":' * 80 + b"1" + b"}" * 81, auth=key))
    write("request", "not-object", request("batch", b'["batch"]', auth=key))


def spools() -> None:
    payloads = [b"\x00\x1c" + bytes(range(256)) * 3, b"tuples " * 500, b"x"]
    records = [record(zstd(p)) for p in payloads]
    write("spool", "one-record", b"\x00" + records[0])
    write("spool", "three-records", b"\x00" + b"".join(records))
    torn = records[0] + records[1] + records[2][:9]
    write("spool", "torn-header", b"\x00" + torn)
    write("spool", "torn-header-successor", b"\x01" + torn)
    write("spool", "torn-frame", b"\x00" + records[0] + records[1][:-5])
    flipped = bytearray(records[1])
    flipped[30] ^= 0x40
    write("spool", "damage-then-intact", b"\x00" + records[0] + bytes(flipped) + records[2])
    write("spool", "crc-ok-not-zstd", b"\x00" + records[0] + record(b"not a zstd frame at all"))
    huge = b"SLSP" + bytes([1, 0, 0, 0]) + struct.pack("<I", 0xFFFFFFF0)
    write("spool", "huge-length", b"\x00" + records[0] + huge + struct.pack("<I", crc32c(huge)) + b"abc")
    write("spool", "empty", b"\x00")
    write("spool", "empty-successor", b"\x01")


if __name__ == "__main__":
    requests()
    spools()
