#!/usr/bin/env python3
"""Starts the real OCI registries that Bulla's registry-client tests talk to, and keeps them up:

  registries.py [--root DIR]

Three instances of Debian's `docker-registry` (distribution 2.8), each on 127.0.0.1 at a free port
with its own filesystem storage, all in one temporary directory (made under DIR if given):
- open:  no authentication, deletes enabled;
- basic: htpasswd (bcrypt) authentication, user alice / wonderland-42;
- token: Docker token authentication (`auth: token`), backed by a token server run here in Python.
  The token server answers GET /token?service=bulla-test&scope=repository:NAME:ACTIONS (scope may
  repeat) for bob / builder-7 with an ES256 JWT whose header carries the signing certificate in
  x5c; the registry trusts that self-signed certificate through its rootcertbundle. Wrong or
  missing credentials get 401, the user mallory always gets 403, the user carol (bob's password)
  gets 503 for her first two requests and then what bob gets, a missing or different service
  or a malformed scope gets 400. GET /stats on the token server answers
  {"tokens": N, "refused": M, "unavailable": U, "scopes": {SCOPE: N, ...}}: the tokens issued,
  the requests refused, those answered 503, and for each scope string how many issued tokens
  covered it.

Once every registry answers GET /v2/ (200 or 401), prints one JSON line to stdout and flushes it:
  {"open": "127.0.0.1:P1", "basic": "127.0.0.1:P2", "token": "127.0.0.1:P3",
   "token_server": "http://127.0.0.1:P4", "basic_user": "alice", "basic_password": "wonderland-42",
   "token_user": "bob", "token_password": "builder-7", "dir": "/tmp/bulla-registries-..."}
`dir` holds each registry's config.yml and registry.log, and token-server.log. Nothing else goes to
stdout; a startup failure is reported on stderr with exit status 1 and no JSON line.

Then runs until SIGTERM, SIGINT or SIGHUP, until its standard input closes when that is a pipe or
socket, or until its parent process dies; it then stops the registries and deletes the directory.
The registries are also started (through setpriv --pdeathsig) so as to die with this process if it
is killed outright; only the directory is then left behind.

Needs only Python's standard library, `cryptography`, and /usr/bin/docker-registry.
"""
import argparse
import base64
import datetime
import http.client
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_lifetime import watch_for_exit  # noqa: E402

REGISTRY_BINARY = "/usr/bin/docker-registry"

BASIC_USER = "alice"
BASIC_PASSWORD = "wonderland-42"
# The bcrypt hash of BASIC_PASSWORD that the basic registry's htpasswd file holds. Made once with
# Python's crypt module (libxcrypt, METHOD_BLOWFISH), so a test run needs no bcrypt library. Cost 4
# is the lowest distribution accepts: it checks the password on every request, and a higher cost
# would add milliseconds to each one.
BASIC_PASSWORD_BCRYPT = "$2b$04$I3uvZB.Qpud.uWwstocGGewrH1AW5c10JZUhJM6WB5qilzcSVUO9u"

TOKEN_USER = "bob"
TOKEN_PASSWORD = "builder-7"
REFUSED_USER = "mallory"  # the token server refuses this user with 403, whatever the password
# The token server answers this user's first FLAKY_TOKEN_FAILURES requests with 503, then treats
# her (with TOKEN_PASSWORD) as TOKEN_USER: a token server having a bad moment.
FLAKY_USER = "carol"
FLAKY_TOKEN_FAILURES = 2
SERVICE = "bulla-test"
ISSUER = "bulla-test-issuer"
TOKEN_LIFETIME = 300  # seconds

STARTUP_DEADLINE = 10.0  # seconds for all registries to answer GET /v2/
START_ATTEMPTS = 5  # tries per registry, each on a fresh port, if one exits (say, a port taken)


# --- The token signer -----------------------------------------------------------------------------

class TokenSigner:
    """A P-256 key and a self-signed certificate for it; signs the registry's bearer tokens.

    distribution verifies a token's x5c chain against its rootcertbundle with Go's x509.Verify
    (any extended key usage accepted) and insists that the leaf's key usage include
    digitalSignature, so the certificate carries digitalSignature (and keyCertSign, being its own
    CA) and no extended key usage.
    """

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bulla-test token signer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}

    def certificate_pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, claims):
        """A compact JWS: base64url(header).base64url(claims).base64url(r || s)."""
        signing_input = _b64url(_compact_json(self.header)) + "." + _b64url(_compact_json(claims))
        der_signature = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der_signature)  # JWS wants the raw 64-byte form, not DER
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact_json(value):
    return json.dumps(value, separators=(",", ":")).encode()


# --- The token server -----------------------------------------------------------------------------

class TokenServer(http.server.ThreadingHTTPServer):
    """The Docker token endpoint for the token registry, plus its request counters."""

    daemon_threads = True
    block_on_close = False  # nor make server_close() wait for a client holding its connection open

    def __init__(self, signer, log_path):
        super().__init__(("127.0.0.1", 0), TokenHandler)
        self.signer = signer
        self.log_file = open(log_path, "a", buffering=1)
        self.lock = threading.Lock()
        self.tokens = 0  # requests answered with a token
        self.refused = 0  # requests answered with 400, 401 or 403
        self.flaky_requests = 0  # FLAKY_USER's requests so far
        self.unavailable = 0  # requests answered with 503
        self.scopes = Counter()  # scope string -> tokens issued that covered it

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class TokenHandler(http.server.BaseHTTPRequestHandler):
    """Serves GET /token (the Docker token flow) and GET /stats."""

    protocol_version = "HTTP/1.1"
    server_version = "bulla-test-token-server"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/stats":
            with self.server.lock:
                stats = {
                    "tokens": self.server.tokens,
                    "refused": self.server.refused,
                    "unavailable": self.server.unavailable,
                    "scopes": dict(self.server.scopes),
                }
            self._send_json(200, stats)
        elif url.path == "/token":
            self._token(urllib.parse.parse_qs(url.query, keep_blank_values=True))
        else:
            self._send_json(404, {"error": "not found"})

    def _token(self, query):
        user, password = self._basic_credentials()
        if user == REFUSED_USER:
            return self._refuse(403, "token server refuses")
        if user == FLAKY_USER:
            with self.server.lock:
                self.server.flaky_requests += 1
                failing = self.server.flaky_requests <= FLAKY_TOKEN_FAILURES
                self.server.unavailable += failing
            if failing:
                return self._send_json(503, {"errors": [{"code": "UNAVAILABLE", "message": "token server busy"}]})
            user = TOKEN_USER
        if user != TOKEN_USER or password != TOKEN_PASSWORD:
            return self._refuse(
                401, "authentication required", {"WWW-Authenticate": 'Basic realm="%s"' % SERVICE}
            )
        if query.get("service") != [SERVICE]:
            return self._refuse(400, "service must be %s" % SERVICE)
        # Each scope parameter is TYPE:NAME:ACTION[,ACTION...]; some clients put several in one
        # parameter separated by spaces. The NAME may itself hold colons, so split at the ends.
        scopes, access = [], []
        for value in query.get("scope", []):
            for scope in value.split():
                kind, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                if not kind or not name or not actions:
                    return self._refuse(400, "malformed scope %r" % scope)
                scopes.append(scope)
                access.append({
                    "type": kind,
                    "name": name,
                    "actions": list(dict.fromkeys(a for a in actions.split(",") if a)),
                })
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,
            "exp": now + TOKEN_LIFETIME,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,  # bob is granted everything he asks for
        }
        token = self.server.signer.sign(claims)
        with self.server.lock:
            self.server.tokens += 1
            self.server.scopes.update(scopes)
        issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        self._send_json(200, {
            "token": token,
            "access_token": token,
            "expires_in": TOKEN_LIFETIME,
            "issued_at": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })

    def _basic_credentials(self):
        """The user and password of an `Authorization: Basic` header, or (None, None)."""
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except ValueError:
            return None, None
        return user, password

    def _refuse(self, status, message, headers=None):
        with self.server.lock:
            self.server.refused += 1
        self._send_json(status, {"errors": [{"code": "DENIED", "message": message}]}, headers)

    def _send_json(self, status, value, headers=None):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, content in (headers or {}).items():
            self.send_header(name, content)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        # The access log goes to token-server.log in the temporary directory, never to stdout.
        self.server.log_file.write("%s %s\n" % (self.log_date_time_string(), format % args))


# --- The registries -------------------------------------------------------------------------------

def free_port():
    """A port that was free a moment ago; a registry that loses the race to it is restarted."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_parent_death_signal(command):
    """`command` wrapped so that the kernel sends it SIGTERM when this process dies (even by SIGKILL).

    util-linux's setpriv (Essential on Debian) sets PR_SET_PDEATHSIG and execs the command, which
    keeps the setting; done that way rather than in a preexec_fn, which is not safe to run in a
    process that has threads. Without setpriv the command runs as it is.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] + command if setpriv else command


class Registry:
    """One docker-registry process, its directory (config, storage, log) and its current port."""

    def __init__(self, name, directory, auth):
        self.name = name
        self.directory = directory
        self.auth = auth  # the config's `auth` section, or None for no authentication
        self.process = None
        self.port = None
        self.attempts = 0
        os.makedirs(os.path.join(directory, "storage"))

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    @property
    def log_path(self):
        return os.path.join(self.directory, "registry.log")

    def start(self):
        """Starts the registry on a fresh free port; its output is appended to registry.log."""
        self.attempts += 1
        self.port = free_port()
        config = {
            "version": "0.1",
            "log": {"level": "info", "formatter": "text"},
            "storage": {
                "filesystem": {"rootdirectory": os.path.join(self.directory, "storage")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {
                "addr": self.address,
                "secret": secrets.token_hex(16),
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
        }
        if self.auth:
            config["auth"] = self.auth
        config_path = os.path.join(self.directory, "config.yml")
        with open(config_path, "w") as file:
            json.dump(config, file, indent=2)  # JSON is YAML, and distribution reads it as such
        with open(self.log_path, "ab") as log:
            log.write(("--- registries.py: starting %s on %s\n" % (self.name, self.address)).encode())
            log.flush()
            self.process = subprocess.Popen(
                with_parent_death_signal([REGISTRY_BINARY, "serve", config_path]),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )

    def answers(self):
        """True once GET /v2/ gets 200 or 401."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            connection.request("GET", "/v2/")
            return connection.getresponse().status in (200, 401)
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_all(registries):
    """Starts every registry at once, then waits until each answers, restarting any that exit."""
    for registry in registries:
        registry.start()
    deadline = time.monotonic() + STARTUP_DEADLINE
    waiting = list(registries)
    while waiting:
        for registry in list(waiting):
            if registry.process.poll() is not None:
                if registry.attempts >= START_ATTEMPTS:
                    raise RuntimeError("%s registry keeps exiting; see %s" % (registry.name, registry.log_path))
                registry.start()
            elif registry.answers():
                waiting.remove(registry)
        if waiting:
            if time.monotonic() > deadline:
                names = ", ".join(r.name for r in waiting)
                raise RuntimeError("no answer to GET /v2/ in time from: " + names)
            time.sleep(0.05)



def main():
    parser = argparse.ArgumentParser(description="Start test registries for Bulla and keep them up.")
    parser.add_argument("--root", help="make the temporary directory under this one")
    args = parser.parse_args()

    stop = threading.Event()
    watch_for_exit(stop)
    if args.root:
        os.makedirs(args.root, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="bulla-registries-", dir=args.root)
    registries, token_server = [], None
    try:
        # The token server comes first: the token registry's config names its URL as the realm.
        signer = TokenSigner()
        token_server = TokenServer(signer, os.path.join(workdir, "token-server.log"))
        threading.Thread(target=token_server.serve_forever, daemon=True).start()

        os.makedirs(os.path.join(workdir, "token"))
        bundle = os.path.join(workdir, "token", "rootcertbundle.pem")
        with open(bundle, "wb") as file:
            file.write(signer.certificate_pem())
        os.makedirs(os.path.join(workdir, "basic"))
        htpasswd = os.path.join(workdir, "basic", "htpasswd")
        with open(htpasswd, "w") as file:
            file.write("%s:%s\n" % (BASIC_USER, BASIC_PASSWORD_BCRYPT))

        registries = [
            Registry("open", os.path.join(workdir, "open"), None),
            Registry("basic", os.path.join(workdir, "basic"),
                     {"htpasswd": {"realm": "bulla-basic", "path": htpasswd}}),
            Registry("token", os.path.join(workdir, "token"), {
                "token": {
                    "realm": token_server.url + "/token",
                    "service": SERVICE,
                    "issuer": ISSUER,
                    "rootcertbundle": bundle,
                },
            }),
        ]
        start_all(registries)
        if stop.is_set():
            return 0

        addresses = {registry.name: registry.address for registry in registries}
        print(json.dumps({
            "open": addresses["open"],
            "basic": addresses["basic"],
            "token": addresses["token"],
            "token_server": token_server.url,
            "basic_user": BASIC_USER,
            "basic_password": BASIC_PASSWORD,
            "token_user": TOKEN_USER,
            "token_password": TOKEN_PASSWORD,
            "dir": workdir,
        }), flush=True)

        status = 0
        while not stop.wait(0.5):
            for registry in registries:
                if registry.process.poll() is not None:  # a registry died under the tests: give up
                    print("registries.py: the %s registry exited; see %s" % (registry.name, registry.log_path),
                          file=sys.stderr, flush=True)
                    status = 1
                    stop.set()
        return status
    except Exception as error:  # startup failed: say why on stderr, clean up, exit 1
        print("registries.py: %s" % error, file=sys.stderr, flush=True)
        return 1
    finally:
        for registry in registries:
            registry.stop()
        if token_server:
            token_server.shutdown()
            token_server.server_close()
            token_server.log_file.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
