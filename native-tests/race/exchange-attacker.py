#!/usr/bin/env python3
"""A hostile concurrent writer of an apply's target: swaps directories and symlinks forever.

Usage: exchange-attacker.py TARGET NAME_A:NAME_B [...]
Loops renameat2(RENAME_EXCHANGE) on each pair below TARGET (a directory and a symlink to a place
outside TARGET), so any path resolved through NAME_A meets the symlink about half the time.
Prints the number of exchanges done when it gets SIGTERM.
"""
import ctypes
import os
import signal
import sys

RENAME_EXCHANGE = 2
libc = ctypes.CDLL(None, use_errno=True)
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]

target = os.fsencode(sys.argv[1])
pairs = [tuple(os.path.join(target, os.fsencode(n)) for n in p.split(":")) for p in sys.argv[2:]]
done = 0


def stop(_signum, _frame):
    print(done, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    for a, b in pairs:
        if libc.renameat2(-100, a, -100, b, RENAME_EXCHANGE) == 0:
            done += 1
