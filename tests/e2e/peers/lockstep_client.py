"""The classic lock-step socket client a course hands out: send a chunk with
no newline, block until the answer comes, print it. Raw UTF-8, no framing.

usage: lockstep_client.py udp|tcp HOST PORT MESSAGE...
"""
import socket
import sys

kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
sock.settimeout(5)
if kind == "tcp":
    sock.connect((host, port))
for message in sys.argv[4:]:
    data = message.encode("utf-8")
    if kind == "udp":
        sock.sendto(data, (host, port))
    else:
        sock.sendall(data)
    reply = sock.recv(4096)
    print("got: " + reply.decode("utf-8", "replace").rstrip("\n"), flush=True)
sock.close()
