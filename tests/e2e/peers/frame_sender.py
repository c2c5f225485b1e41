"""Plays a pigeon peer by hand over UDP: a hello, then data frames with the
sequence numbers given, in that order (docs/protocol.md has the layout).

usage: frame_sender.py HOST PORT NICK SEQ...
"""
import socket
import struct
import sys

host, port, nick = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HELLO, DATA = 2, 1


def frame(kind, seq, payload):
    return struct.pack(">2sBBHHIIQQ", b"PG", 1, kind, 0, 0, len(payload), 1, seq, 0) + payload


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(frame(HELLO, 0, nick.encode()), (host, port))
for seq in sys.argv[4:]:
    sock.sendto(frame(DATA, int(seq), ("message %s" % seq).encode()), (host, port))
