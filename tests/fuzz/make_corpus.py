#!/usr/bin/env python3
"""Writes the small seed corpus in tests/fuzz/corpus/<target>/ (checked in).

Each seed is a valid input of its kind, so the fuzzer starts past the first
checks; run it again after a wire change: python3 tests/fuzz/make_corpus.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(type_, payload=b"", flags=0, stream=5, seq=1, time_ns=123456789, crc=False):
    if crc:
        flags |= 1
    head = struct.pack(">BBBBHHIIQQ", 0x50, 0x47, 1, type_, flags, 0, len(payload), stream, seq, time_ns)
    body = head + payload
    if crc:
        body += struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return body


def hello(conn=0xABCD, arq=3, delivery=1, isn=777, window=32):
    return struct.pack(">IBBHQII", conn, arq, delivery, 0, isn, window, 0)


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


connect = frame(16, hello() + b"\0" * 8, crc=True)
write("datagram_decoder", "data", frame(1, b"hello"))
write("datagram_decoder", "data-crc", frame(1, b"hello", crc=True))
write("datagram_decoder", "echo-reply", frame(6, b"\0" * 16, flags=2))
write("datagram_decoder", "report", frame(4, struct.pack(">Q", 1000)))
write("datagram_decoder", "rudp-connect", connect)
cuts = bytes([1, 7, 31, 2, 0, 255, 3, 5])
write("stream_framer", "two-frames", cuts + b"\xff" + frame(1, b"one") + frame(1, b"two", crc=True))
write("stream_framer", "hello-bye", cuts + b"\x10" + frame(2, b"alice") + frame(3, struct.pack(">Q", 2)))
write("rudp_parsers", "connect", connect)
write("rudp_parsers", "connect-payload", b"\x00" + hello() + b"\0" * 8)
write("rudp_parsers", "accept-payload", b"\x03" + hello())
write("rudp_parsers", "closeack-payload", b"\x07" + struct.pack(">I", 0xABCD))
write("handshake", "raw-connect", b"\x00" + struct.pack(">I", 1000) + connect)
write("handshake", "built-cookie", b"\x01" + struct.pack(">I", 1000) + hello())
write("handshake", "altered-cookie", b"\x07" + struct.pack(">I", 1000) + hello() + b"\x03\x01" + b"\0\0\0\1")
write("link_spec", "simple", b"loss=5%,delay=20ms,jitter=5ms,seed=7")
write("link_spec", "directions", b"loss=5%,down.loss=0,up.delay=10ms")
write("link_spec", "empty", b"")
write("terminal_text", "escapes", b"\x03\x05\x07\x0bhello \x1b[31mred\x1b]0;title\x07 \r\n")
write("terminal_text", "invisible", b"\x01\x02\x03\x04alice\xe2\x80\x8b \xef\xbb\xbf \xf3\xa0\x81\x81 \xe3\x85\xa4")
write("terminal_text", "emoji", b"\x00\x00\x00\x00\xe2\x9d\xa4\xef\xb8\x8f \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9")
write("terminal_text", "invalid-utf8", b"\x02\x02\x02\x02\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82")

# rudp_connections: mode (arq, delivery, receive window), send window, then
# one byte per step: 0 client sends, 1 listener sends, 2-3 deliver, 4 drop,
# 5 duplicate, 6 reorder (+k), 7 corrupt (+position, +mask), 8 forged
# (0x10: to the listener, 0x20: a replayed datagram), 9 time (+ 5 ms units).
handshake_steps = bytes([2, 2, 2, 2, 9, 10])
write("rudp_connections", "clean-selective-repeat",
      bytes([0x02, 8]) + handshake_steps + bytes([0, 1, 0, 1, 2, 2, 2, 2, 2, 2, 9, 1] * 4))
write("rudp_connections", "lossy-go-back-n",
      bytes([0x01, 4]) + handshake_steps
      + bytes([0, 0, 0, 4, 2, 5, 2, 2, 6, 1, 2, 9, 60, 7, 40, 0x10, 2, 2, 9, 100]) * 3)
write("rudp_connections", "forged-unordered",
      bytes([0x06 | 0x80, 16]) + handshake_steps
      + bytes([0, 1, 18, 16, 1, 2, 3, 4, 38, 2, 48, 2, 2, 2, 0, 6, 2, 2, 2, 9, 40]) * 3)
write("rudp_connections", "stop-and-wait-timeouts",
      bytes([0x00, 1]) + handshake_steps + bytes([0, 4, 9, 250, 9, 250, 2, 2, 0, 2, 2, 9, 200]) * 4)

# room_pack: a pack's payload, lines (data frames on stream 1) back to back.
write("room_pack", "two-lines", frame(1, b"alice: hi", stream=1, seq=7)
      + frame(1, b"* bob joined", stream=1, seq=8))
write("room_pack", "line-with-crc", frame(1, b"bob: ok", stream=1, seq=0, crc=True))
