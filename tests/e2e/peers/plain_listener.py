"""A plain server that waits for the client to speak first: prints the port
it got from the kernel, prints what it receives, answers "pong".

usage: plain_listener.py udp|tcp
"""
import socket
import sys

kind = sys.argv[1]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.settimeout(5)
if kind == "tcp":
    sock.listen(1)
print("port %d" % sock.getsockname()[1], flush=True)
if kind == "tcp":
    conn, _ = sock.accept()
    conn.settimeout(5)
    data = conn.recv(4096)
    print("got: " + data.decode("utf-8", "replace").rstrip("\n"), flush=True)
    conn.sendall(b"pong\n")
    conn.recv(4096)  # until pigeon closes
else:
    data, source = sock.recvfrom(4096)
    print("got: " + data.decode("utf-8", "replace").rstrip("\n"), flush=True)
    sock.sendto(b"pong\n", source)
