"""Sends raw datagrams given as Python bytes literals, one per argument, to
HOST PORT over UDP, then waits for nothing.

usage: raw_sender.py HOST PORT LITERAL...   e.g.  b'\\x1b[31mred\\n'
"""
import ast
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for literal in sys.argv[3:]:
    sock.sendto(ast.literal_eval(literal), (host, port))
