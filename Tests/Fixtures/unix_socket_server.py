#!/usr/bin/env python3
"""A bait HTTP server on a Unix socket, for the tests that a registry's redirect never makes Bulla
talk to a local socket (http+unix://, unix://):

  unix_socket_server.py SOCKET_PATH RECORD_FILE

Listens on SOCKET_PATH (an existing file there is replaced) and prints one line, `listening`, to
stdout (flushed). Every connection accepted appends one line to RECORD_FILE (`connection <time>`,
then the request's first line when one arrives) before anything is read, so a client that connects
and hangs up at once is recorded too. Any request is answered `HTTP/1.1 200 OK` with a small body
holding SECRET-FROM-SOCKET, and the connection is closed. The record file is not created until a
first connection: no file means no connection.

Runs until SIGTERM, SIGINT or SIGHUP, until its standard input closes when that is a pipe or
socket, or until its parent process dies; it then removes the socket. Python's standard library
only.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_lifetime import watch_for_exit  # noqa: E402

BODY = b"SECRET-FROM-SOCKET\n"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
    % (len(BODY), BODY)
)


def record(path, lock, line):
    with lock:
        with open(path, "a") as file:
            file.write(line + "\n")


def serve(connection, record_path, lock):
    """Records the connection, reads the request head (or what arrives within 5 s), answers."""
    with connection:
        record(record_path, lock, "connection %.3f" % time.time())
        connection.settimeout(5)
        received = b""
        try:
            while b"\r\n\r\n" not in received and len(received) < 65536:
                piece = connection.recv(4096)
                if not piece:
                    break
                received += piece
        except OSError:
            pass
        if received:
            record(record_path, lock, "request " + received.split(b"\r\n", 1)[0].decode("latin-1"))
        try:
            connection.sendall(RESPONSE)
        except OSError:
            pass


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: unix_socket_server.py SOCKET_PATH RECORD_FILE\n")
        return 2
    socket_path, record_path = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    watch_for_exit(stop)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(16)
    listener.settimeout(0.5)
    lock = threading.Lock()
    print("listening", flush=True)
    try:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=serve, args=(connection, record_path, lock), daemon=True).start()
    finally:
        listener.close()
        try:
            os.unlink(socket_path)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
