#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a real registry, for Bulla's registry-client error tests:

  registry_faults.py --upstream 127.0.0.1:PORT --mode MODE [--location URL] [--verbose]

Listens on 127.0.0.1 at a free port and prints one line, `listening on 127.0.0.1:PORT`, to stdout
(flushed). Each request's method, path, query, headers and body go to the upstream (with Host set to
the upstream, hop-by-hop headers dropped, a chunked request body sent on with a Content-Length), and
the upstream's status, headers and body come back (an absolute Location that points at the upstream
is rewritten to point at this proxy), except where the mode says otherwise:

  ok                    a plain proxy
  error500              every request gets 500 with a small registry-style error body, GET /v2/ too
  flaky500              the first 2 requests to each distinct path get 503, later ones are proxied
  reset                 the first request to each distinct path (not /v2/) has its connection reset
                        (RST, no answer); later ones are proxied
  retry-after           the first request to each distinct path gets 429 with `Retry-After: 1`
  bad-blob              GET .../blobs/<digest> bodies come back with one byte changed (same length,
                        same headers, Docker-Content-Digest included)
  big-manifest          GET/HEAD .../manifests/<ref> get 200, Content-Type
                        application/vnd.oci.image.manifest.v1+json and a 5 MiB JSON manifest body,
                        with Content-Length
  big-manifest-chunked  the same, sent with Transfer-Encoding: chunked and no Content-Length
  stall                 GET .../manifests/<ref> and GET .../blobs/<digest> get the upstream's status
                        line and headers (Content-Length of the real body) and then nothing, for 10
                        minutes or until the client hangs up
  stall-headers         every request is read and never answered (10 minutes, or until hang-up)
  patch-refused         the first PATCH (an upload chunk) gets 500 before the upstream sees it
  patch-lost            the first PATCH reaches the upstream, but the client gets 500 instead of
                        the upstream's answer
  redirect              GET/HEAD .../manifests/<ref> get 307 with `Location: URL` (the --location
                        option, required in this mode, passed on as given) and an empty body
  noisy-error           GET/HEAD .../manifests/<ref> get 400 with a 20 KiB body that starts as a
                        registry error (`{"errors":[{"code":"DENIED","message":"`) and goes on with
                        ANSI escapes (ESC [31m), newlines, carriage returns and NUL bytes; the text
                        TAIL-MARKER appears only in its last 100 bytes
  drip                  GET .../manifests/<ref> gets the upstream's status line and headers
                        (Content-Length of the real body) and then the body one byte a second, until
                        it is all sent or the client hangs up
  paged-referrers       the referrers API as a registry that pages it: GET .../referrers/<digest> gets
                        an empty first page whose Link header names a second (?page=2), which holds
                        the entries of the upstream's sha256-<hex> fallback index; that tag itself
                        is answered 404, so only a client that follows the Link finds them
  many-referrers        GET .../referrers/<digest> gets 200, Content-Type
                        application/vnd.oci.image.index.v1+json, and an OCI index listing 15000
                        made-up sigstore-bundle manifests (distinct digests, size 1000 each), about
                        3.3 MB: under a 4 MiB manifest limit, over any sane bound on referrers

A "distinct path" is the URL path without its query. GET /v2/ (the client's probe) is proxied in
every mode but error500. GET /_faults/log works in every mode and is not itself logged: it answers a
JSON list with one {"method", "path", "time", "status"} per request, in arrival order, `time` being
the arrival in Unix seconds (float) and `status` what the client was sent (null while a request is
being proxied, and for one never answered).

Each connection has its own thread, so a stalled one never holds up another. Runs until SIGTERM,
SIGINT or SIGHUP, until its standard input closes when that is a pipe or socket, or until its
parent process dies. Python's standard library only.
"""
import argparse
import hashlib
import http.client
import http.server
import json
import os
import re
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_lifetime import watch_for_exit  # noqa: E402

MODES = (
    "ok", "error500", "flaky500", "reset", "retry-after", "bad-blob",
    "big-manifest", "big-manifest-chunked", "stall", "stall-headers", "patch-lost", "patch-refused",
    "redirect", "noisy-error", "drip", "many-referrers", "paged-referrers",
)
FLAKY_FAILURES = 2  # flaky500: how many requests to each path fail before it works
BIG_MANIFEST_SIZE = 5 * 1024 * 1024
CHUNK_SIZE = 64 * 1024  # big-manifest-chunked sends its body in chunks of this size
STALL_SECONDS = 600
DRIP_SECONDS = 1  # drip: the pause between bytes
NOISY_ERROR_SIZE = 20 * 1024
MANY_REFERRERS = 15000
UPSTREAM_TIMEOUT = 60
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"

# Headers that describe one hop's connection, not the message: never passed on in either direction.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade",
}
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")
BLOB_PATH = re.compile(r"^/v2/.+/blobs/[^/:]+:[^/]+$")  # /blobs/<algorithm>:<hex>, not /blobs/uploads/
REFERRERS_PATH = re.compile(r"^/v2/(.+)/referrers/[^/:]+:[^/]+$")
FALLBACK_TAG = re.compile(r"/manifests/sha256-[0-9a-f]{64}$")  # the referrers fallback tag, not .sig/.att


def big_manifest():
    """A valid JSON OCI manifest of exactly BIG_MANIFEST_SIZE bytes, padded in an annotation."""
    prefix = (
        '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":'
        '"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":2},'
        '"layers":[],"annotations":{"padding":"' % (OCI_MANIFEST, hashlib.sha256(b"{}").hexdigest())
    )
    suffix = '"}}'
    return (prefix + "x" * (BIG_MANIFEST_SIZE - len(prefix) - len(suffix)) + suffix).encode()


def noisy_error():
    """NOISY_ERROR_SIZE bytes of registry error full of terminal control characters, with
    TAIL-MARKER only in the last 100 bytes."""
    head = b'{"errors":[{"code":"DENIED","message":"'
    tail = b'TAIL-MARKER"}]}'
    noise = b"\x1b[31mdenied\x1b[0m\r\nline\x00\x1b[2J\x1b]0;title\x07 "
    fill = NOISY_ERROR_SIZE - len(head) - len(tail)
    body = head + (noise * (fill // len(noise) + 1))[:fill] + tail
    assert len(body) == NOISY_ERROR_SIZE and body.find(b"TAIL-MARKER") >= NOISY_ERROR_SIZE - 100
    return body


def many_referrers():
    """An OCI index listing MANY_REFERRERS made-up sigstore bundles; must stay under 4 MiB."""
    entries = [
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + hashlib.sha256(b"referrer %d" % i).hexdigest(),
         "size": 1000, "artifactType": SIGSTORE_BUNDLE}
        for i in range(MANY_REFERRERS)
    ]
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, separators=(",", ":")).encode()
    assert len(body) < 4 * 1024 * 1024, len(body)
    return body


class FaultProxy(http.server.ThreadingHTTPServer):
    """The listening server: the upstream's address, the mode, and the log of requests seen."""

    daemon_threads = True  # stalled connections must not keep the process alive at exit
    block_on_close = False  # nor make server_close() wait for a client holding its connection open

    def __init__(self, upstream, mode, verbose, location=None):
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.upstream = upstream
        self.mode = mode
        self.location = location
        self.verbose = verbose
        self.lock = threading.Lock()
        self.log = []  # one dict per request, in arrival order
        self.seen = {}  # path -> requests to it so far
        self.big_body = big_manifest() if mode.startswith("big-manifest") else None
        self.noisy_body = noisy_error() if mode == "noisy-error" else None
        self.referrers_body = many_referrers() if mode == "many-referrers" else None

    def record(self, method, path):
        """Logs a request's arrival; returns its log entry and how many requests its path has had."""
        entry = {"method": method, "path": path, "time": time.time(), "status": None}
        with self.lock:
            self.log.append(entry)
            self.seen[path] = self.seen.get(path, 0) + 1
            return entry, self.seen[path]

    def first(self, method):
        """True for the first request with `method` this proxy has seen (counted across paths)."""
        with self.lock:
            return sum(1 for entry in self.log if entry["method"] == method) == 1

    def log_snapshot(self):
        with self.lock:
            return [dict(entry) for entry in self.log]


class FaultHandler(http.server.BaseHTTPRequestHandler):
    """Handles one request: answers it as the mode says, or proxies it to the upstream."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.handle_request()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def handle_request(self):
        body = self.read_body()  # always read, so a faulted request leaves the connection usable
        path = urllib.parse.urlsplit(self.path).path
        if self.command == "GET" and path == "/_faults/log":
            return self.send_simple(200, json.dumps(self.server.log_snapshot()).encode(), "application/json")

        entry, count = self.server.record(self.command, path)
        mode = self.server.mode
        probe = path in ("/v2/", "/v2")
        manifest = MANIFEST_PATH.match(path) is not None
        blob = BLOB_PATH.match(path) is not None
        referrers = REFERRERS_PATH.match(path) is not None

        if mode == "error500":
            self.send_error_body(entry, 500, "injected fault: internal server error")
        elif mode == "flaky500" and not probe and count <= FLAKY_FAILURES:
            self.send_error_body(entry, 503, "injected fault: service unavailable")
        elif mode == "reset" and not probe and count == 1:
            self.reset_connection(entry)
        elif mode == "retry-after" and not probe and count == 1:
            self.send_error_body(entry, 429, "injected fault: too many requests", {"Retry-After": "1"})
        elif mode.startswith("big-manifest") and manifest and self.command in ("GET", "HEAD"):
            self.send_big_manifest(entry, chunked=(mode == "big-manifest-chunked"))
        elif mode == "patch-refused" and self.command == "PATCH" and self.server.first("PATCH"):
            # The first chunk sent is refused before the registry sees it.
            self.send_error_body(entry, 500, "injected fault: chunk refused")
        elif mode == "patch-lost" and self.command == "PATCH" and self.server.first("PATCH"):
            # The first chunk sent reaches the registry, but its answer is lost.
            self.proxy(entry, body, lose_answer=True)
        elif mode == "stall-headers" and not probe:
            self.hold_connection()
        elif mode == "stall" and self.command == "GET" and (manifest or blob):
            self.proxy(entry, body, stall=True)
        elif mode == "redirect" and manifest and self.command in ("GET", "HEAD"):
            entry["status"] = 307
            self.send_response(307)
            self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "noisy-error" and manifest and self.command in ("GET", "HEAD"):
            entry["status"] = 400
            self.send_simple(400, self.server.noisy_body, "application/json")
        elif mode == "drip" and manifest and self.command == "GET":
            self.proxy(entry, body, drip=True)
        elif mode == "paged-referrers" and manifest and FALLBACK_TAG.search(path):
            self.send_error_body(entry, 404, "fault proxy: the fallback tag is hidden in this mode")
        elif mode == "paged-referrers" and referrers and self.command == "GET":
            self.send_referrer_page(entry, path, urllib.parse.urlsplit(self.path).query == "page=2")
        elif mode == "many-referrers" and referrers and self.command == "GET":
            entry["status"] = 200
            self.send_simple(200, self.server.referrers_body, OCI_INDEX)
        else:
            self.proxy(entry, body, corrupt=(mode == "bad-blob" and self.command == "GET" and blob))

    # --- Reading the request ----------------------------------------------------------------------

    def read_body(self):
        """The request body, whether sent with Content-Length or chunked; None if it has none."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # skip any trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        length = self.headers.get("Content-Length")
        return self.rfile.read(int(length)) if length is not None else None

    # --- Proxying ---------------------------------------------------------------------------------

    def proxy(self, entry, body, corrupt=False, stall=False, lose_answer=False, drip=False):
        """Sends the request to the upstream and relays the answer (changed, stalled or dripped as
        asked)."""
        host, _, port = self.server.upstream.rpartition(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=UPSTREAM_TIMEOUT)
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", self.server.upstream)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP and name.lower() not in ("host", "content-length"):
                    connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            data = response.read()  # empty for HEAD, 204 and 304
            headers = response.getheaders()
        except OSError as error:
            return self.send_error_body(entry, 502, "fault proxy: upstream unreachable: %s" % error)
        finally:
            connection.close()

        if lose_answer:
            return self.send_error_body(entry, 500, "injected fault: stored upstream (HTTP %d), answer lost" % response.status)

        if corrupt and response.status in (200, 206) and data:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]

        entry["status"] = response.status
        self.send_response_only(response.status, response.reason)
        for name, value in headers:
            lowered = name.lower()
            if lowered in HOP_BY_HOP or (lowered == "content-length" and self.command != "HEAD"):
                continue  # HEAD keeps the upstream's Content-Length; others get the body's own
            if lowered == "location":
                value = self.rewrite_location(value)
            self.send_header(name, value)
        if self.command != "HEAD" and response.status not in (204, 304) and response.status >= 200:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.log_request(response.status)
        if stall:
            return self.hold_connection()
        if drip and self.command != "HEAD":
            return self.drip(data)
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_referrer_page(self, entry, path, second):
        """paged-referrers: the upstream's fallback index as a referrers list of two pages, the
        first empty and pointing at the second with a Link header."""
        repository, digest = REFERRERS_PATH.match(path).group(1), path.rsplit("/", 1)[1]
        manifests = []
        if second:
            host, _, port = self.server.upstream.rpartition(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=UPSTREAM_TIMEOUT)
            try:
                connection.request("GET", "/v2/%s/manifests/%s" % (repository, digest.replace(":", "-")), headers={"Accept": OCI_INDEX})
                response = connection.getresponse()
                data = response.read()
                if response.status == 200:
                    manifests = json.loads(data).get("manifests", [])
            finally:
                connection.close()
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
        entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", OCI_INDEX)
        self.send_header("Content-Length", str(len(body)))
        if not second:
            self.send_header("Link", '<%s?page=2>; rel="next"' % path)
        self.end_headers()
        self.wfile.write(body)

    def rewrite_location(self, value):
        """Points an absolute Location at this proxy instead of the upstream; others are unchanged."""
        url = urllib.parse.urlsplit(value)
        if url.scheme in ("http", "https") and url.netloc.lower() == self.server.upstream.lower():
            proxy_host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
            return urllib.parse.urlunsplit(("http", proxy_host) + tuple(url[2:]))
        return value

    # --- Answers made up here ---------------------------------------------------------------------

    def reset_connection(self, entry):
        """Drops the connection with a TCP reset (SO_LINGER 0), answering nothing."""
        entry["status"] = "reset"
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def send_error_body(self, entry, status, message, headers=None):
        """An injected error with a registry-style JSON body."""
        entry["status"] = status
        body = json.dumps({"errors": [{"code": "UNKNOWN", "message": message}]}).encode()
        self.send_simple(status, body, "application/json", headers)

    def send_simple(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_big_manifest(self, entry, chunked):
        """200 with the 5 MiB manifest, framed by Content-Length or by chunked transfer coding."""
        body = self.server.big_body
        entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", OCI_MANIFEST)
        self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(body).hexdigest())
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not chunked:
            return self.wfile.write(body)
        for start in range(0, len(body), CHUNK_SIZE):
            piece = body[start:start + CHUNK_SIZE]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def drip(self, data):
        """Sends `data` one byte every DRIP_SECONDS; stops early when the client hangs up."""
        self.close_connection = True
        for index in range(len(data)):
            try:
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
            except OSError:
                return  # the client closed the connection
            if self.client_left(DRIP_SECONDS):
                return

    def hold_connection(self):
        """Sends nothing more on this connection for STALL_SECONDS, or until the client hangs up."""
        self.close_connection = True
        deadline = time.monotonic() + STALL_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            if self.client_left(min(remaining, 5)):
                return

    def client_left(self, seconds):
        """Waits up to `seconds` (the whole of it, whatever the client sends); True once the
        client has closed the connection."""
        until = time.monotonic() + seconds
        while (remaining := until - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], remaining)
            if readable:
                try:
                    if not self.connection.recv(65536):
                        return True
                except OSError:
                    return True
        return False

    def log_message(self, format, *args):
        # Stdout carries only the `listening on` line; per-request lines go to stderr with --verbose.
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))


def main():
    parser = argparse.ArgumentParser(description="A fault-injecting proxy in front of a registry.")
    parser.add_argument("--upstream", required=True, help="the registry's HOST:PORT")
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--location", help="redirect: the Location manifests are redirected to")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args()
    if args.mode == "redirect" and not args.location:
        parser.error("--mode redirect needs --location URL")

    stop = threading.Event()
    watch_for_exit(stop)
    server = FaultProxy(args.upstream, args.mode, args.verbose, args.location)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
