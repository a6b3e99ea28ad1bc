"""Lifetime of the test helper processes (registries.py, registry_faults.py): run until told to
stop by a signal, by the closing of a piped standard input, or by the death of the parent."""

import os
import signal
import stat
import sys
import threading


def watch_for_exit(stop):
    """Sets `stop` on SIGTERM/SIGINT/SIGHUP, when a piped stdin closes, or when the parent dies."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())

    # Only a pipe or socket on stdin is watched: /dev/null or a file would read as closed at once.
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
        piped = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except (OSError, ValueError, AttributeError):
        piped = False
    if piped:
        def read_until_closed():
            try:
                while os.read(sys.stdin.fileno(), 4096):
                    pass
            except OSError:
                pass
            stop.set()
        threading.Thread(target=read_until_closed, daemon=True).start()

    parent = os.getppid()

    def watch_parent():
        while not stop.wait(0.5):
            if os.getppid() != parent:  # reparented: the process that started us is gone
                stop.set()
    threading.Thread(target=watch_parent, daemon=True).start()
