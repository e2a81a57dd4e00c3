"""Hold many idle and slowloris connections to a server, as an attacker would.

usage: hold_sockets.py PORT IDLE SLOW SECONDS
Opens IDLE connections that send nothing and SLOW connections that send a partial request head
and then one more header byte a second. Prints "ready" once all are open, then holds them for
SECONDS (or until stdin closes) and exits.
"""
import resource
import select
import socket
import sys
import time

port, idle, slow, seconds = (int(a) for a in sys.argv[1:5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, idle + slow + 256), hard))

def connect():
    """A connection, or None when the server's queue is full (it stopped accepting)."""
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return None


held = [s for s in (connect() for _ in range(idle)) if s]
slowloris = []
for _ in range(slow):
    s = connect()
    if s:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
        slowloris.append(s)
print("ready", len(held), len(slowloris), flush=True)
end = time.time() + seconds
while time.time() < end:
    r, _, _ = select.select([sys.stdin], [], [], 1.0)
    if r and not sys.stdin.readline():
        break
    for s in slowloris:
        try:
            s.send(b"X")
        except OSError:
            pass
