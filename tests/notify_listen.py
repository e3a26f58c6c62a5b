#!/usr/bin/env python3
# notify_listen.py ADDRESS LOG - a stand-in for the service manager's end of
# sd_notify(3): binds a datagram socket at ADDRESS (a path, or "@name" for the
# abstract namespace) and appends each message it receives to LOG as
# "SECONDS.MICROS<TAB>KEY=VALUE" lines, one per line of the message, until
# killed. Used by tests/t_systemd.sh.
import socket
import sys
import time

addr, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(log, "a", buffering=1) as f:
    f.write("%.6f\tLISTENING=1\n" % time.monotonic())
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        now = time.monotonic()
        for line in msg.split("\n"):
            if line:
                f.write("%.6f\t%s\n" % (now, line))
