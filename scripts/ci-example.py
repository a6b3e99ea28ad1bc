#!/usr/bin/env python3
"""make ci-example: the GitHub Actions workflow in docs/ci.md, run from the page's own text.

  scripts/ci-example.py [--bulla dist/bulla-VERSION-linux-ARCH/bulla]

Every `run:` step runs as written, in `bash --noprofile --norc -eo pipefail` as on a hosted
runner, with the `github`, `env`, `secrets` and `steps` expressions filled in and GITHUB_PATH,
GITHUB_ENV and GITHUB_OUTPUT honoured. Around it, on this machine: Debian's docker-registry over
TLS (a private CA, given to the job in a bundle with the system's as SSL_CERT_FILE and
CURL_CA_BUNDLE, as docs/ci.md says to) with a login;
`bulla log serve`; and the release in dist/ served over HTTPS (the same CA) as BULLA_URL. What the
hosted runner provides is played here: actions/checkout copies a repository holding `.bulla/`
and the application; docker/login-action writes ~/.docker/config.json; build-push-action builds
the application into an image with umoci (no Docker engine here), pushes it with skopeo and sets
its `digest` output; download-syft finds syft on PATH. Any other action fails the run.

The workflow runs twice: with a clean application every step passes and the log gains the
signature and the attestation; with log4j-core 2.14.1 in it, the last step fails on the policy's
Log4Shell denial. Then SSL_CERT_FILE is checked on its own: without it or --ca-file the
registry's certificate is refused; a file holding no certificate is refused by name.
"""
import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Fixtures"))
from registries import BASIC_PASSWORD, BASIC_PASSWORD_BCRYPT, BASIC_USER  # noqa: E402


def fail(message):
    print("ci-example: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(command[:3]), result.returncode, result.stderr.strip()[-2000:]))
    return result.stdout


def wait_until(check, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    fail("%s did not start" % what)


def workflow():
    """The first ```yaml block under '## GitHub Actions' in docs/ci.md, once every YAML block on
    the page (the GitLab pipeline too) has parsed."""
    text = open(os.path.join(ROOT, "docs", "ci.md"), encoding="utf-8").read()
    for number, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S), 1):
        try:
            yaml.safe_load(block)
        except yaml.YAMLError as error:
            fail("docs/ci.md's YAML block %d does not parse: %s" % (number, error))
    section = text[text.index("## GitHub Actions"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    return yaml.safe_load(block)


class Services:
    """The registry, the log server and the download site, started once for both runs."""

    def __init__(self, work, bulla):
        self.work, self.bulla, self.processes = work, bulla, []
        try:
            os.makedirs(os.path.join(work, "trust"))
            self.ca = os.path.join(work, "trust", "ca.crt")
            self._certificates()
            # What docs/ci.md tells a job behind a private CA to do: one bundle of the system's
            # certificates and the CA's, for SSL_CERT_FILE and CURL_CA_BUNDLE.
            self.bundle = os.path.join(work, "ca-bundle.pem")
            with open(self.bundle, "w") as out:
                out.write(open("/etc/ssl/certs/ca-certificates.crt").read() + open(self.ca).read())
            self.registry = "127.0.0.1:%d" % free_port()
            self._registry()
            self.log_dir = os.path.join(work, "tlog")
            self.log_url = "http://127.0.0.1:%d" % free_port()
            self._log()
            self.downloads = "https://127.0.0.1:%d" % self._downloads()
        except BaseException:
            self.stop()
            raise

    def _certificates(self):
        w = self.work
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", w + "/ca.key", "-out", self.ca, "-days", "2", "-subj", "/CN=ci-example CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", w + "/registry.key", "-out", w + "/registry.csr", "-subj", "/CN=127.0.0.1"])
        with open(w + "/ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        run(["openssl", "x509", "-req", "-in", w + "/registry.csr", "-CA", self.ca, "-CAkey", w + "/ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", w + "/ext", "-out", w + "/registry.crt"])

    def _registry(self):
        w = self.work
        with open(w + "/htpasswd", "w") as f:
            f.write("%s:%s\n" % (BASIC_USER, BASIC_PASSWORD_BCRYPT))
        config = {
            "version": 0.1, "log": {"level": "error"},
            "storage": {"filesystem": {"rootdirectory": w + "/registry"}},
            "auth": {"htpasswd": {"realm": "ci-example", "path": w + "/htpasswd"}},
            "http": {"addr": self.registry, "tls": {"certificate": w + "/registry.crt", "key": w + "/registry.key"}},
        }
        with open(w + "/registry.yml", "w") as f:
            json.dump(config, f)
        self.processes.append(subprocess.Popen(["docker-registry", "serve", w + "/registry.yml"],
                                               stdout=subprocess.DEVNULL, stderr=open(w + "/registry.log", "w")))
        wait_until(lambda: socket.create_connection(tuple(self.registry.split(":")), 1).close() or True, "the registry")

    def _log(self):
        env = dict(os.environ, BULLA_PASSWORD="ci-example log")
        run([self.bulla, "log", "init", self.log_dir, "--origin", "ci-example.test/tlog"], env=env)
        self.processes.append(subprocess.Popen(
            [self.bulla, "log", "serve", self.log_dir, "--listen", self.log_url.removeprefix("http://")],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.work + "/log-serve.log", "w")))
        wait_until(lambda: subprocess.run(["curl", "-sf", self.log_url + "/checkpoint"],
                                          capture_output=True).returncode == 0, "bulla log serve")

    def _downloads(self):
        handler = functools.partial(Quiet, directory=os.path.join(ROOT, "dist"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.work + "/registry.crt", self.work + "/registry.key")
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server.server_address[1]

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.wait()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Runner:
    """One job of the workflow, as a hosted runner runs it."""

    def __init__(self, flow, job, services, repository, secrets, work):
        self.flow, self.job, self.services = flow, job, services
        self.repository, self.secrets, self.work = repository, secrets, work
        self.home = os.path.join(work, "home")
        self.workspace = os.path.join(work, "workspace")
        os.makedirs(self.home)
        os.makedirs(self.workspace)
        self.github = {"repository": "example/payments-api", "sha": "5f2c1e0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                       "ref_name": "v1.4.0", "actor": BASIC_USER, "server_url": "https://github.com",
                       "run_id": "1", "workspace": self.workspace}
        # The site's settings, which a fork of this workflow edits: here, the services above.
        self.env = {key: self.evaluate(str(value), {}) for key, value in flow.get("env", {}).items()}
        self.env.update(REGISTRY=services.registry, IMAGE=services.registry + "/" + self.github["repository"],
                        BULLA_URL=services.downloads, BULLA_LOG=services.log_url)
        self.env.update({k: self.evaluate(str(v), {}) for k, v in flow["jobs"][job].get("env", {}).items()})
        self.path = []
        self.outputs = {}

    def evaluate(self, text, step_env):
        def value(match):
            parts = match.group(1).strip().split(".")
            contexts = {"github": self.github, "secrets": self.secrets, "env": dict(getattr(self, "env", {}), **step_env),
                        "steps": {k: {"outputs": v} for k, v in getattr(self, "outputs", {}).items()}}
            node = contexts.get(parts[0])
            for part in parts[1:]:
                if not isinstance(node, dict) or part not in node:
                    fail("the workflow asks for ${{ %s }}, which this runner does not have" % match.group(1).strip())
                node = node[part]
            return str(node)
        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    def run(self):
        """Runs the steps in order; returns (name of the failed step or None, its output)."""
        for index, step in enumerate(self.flow["jobs"][self.job]["steps"]):
            name = step.get("name") or step.get("uses") or "step %d" % index
            step_env = {k: self.evaluate(str(v), {}) for k, v in step.get("env", {}).items()}
            began = time.monotonic()
            ok, output = self.uses(step) if "uses" in step else self.shell(step, step_env)
            print("ci-example:   %-50s %s in %.1f s" % (name, "ok" if ok else "FAILED", time.monotonic() - began))
            if not ok:
                return name, output
        return None, ""

    def shell(self, step, step_env):
        script = os.path.join(self.work, "step.sh")
        with open(script, "w") as f:
            f.write(self.evaluate(step["run"], step_env))
        files = {name: os.path.join(self.work, name.lower()) for name in ("GITHUB_PATH", "GITHUB_ENV", "GITHUB_OUTPUT")}
        for path in files.values():
            open(path, "w").close()
        env = {"HOME": self.home, "PATH": ":".join(self.path + [os.environ["PATH"]]), "LANG": "C.UTF-8",
               "SSL_CERT_FILE": self.services.bundle, "CURL_CA_BUNDLE": self.services.bundle, "CI": "true", "GITHUB_ACTIONS": "true",
               "GITHUB_WORKSPACE": self.workspace, "RUNNER_TEMP": self.work}
        env.update(self.env, **step_env, **files)
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=self.workspace,
                                env=env, capture_output=True, text=True, timeout=600)
        self.path = [line for line in open(files["GITHUB_PATH"]).read().splitlines() if line][::-1] + self.path
        for line in open(files["GITHUB_ENV"]).read().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                self.env[key] = value
        outputs = dict(line.split("=", 1) for line in open(files["GITHUB_OUTPUT"]).read().splitlines() if "=" in line)
        if step.get("id"):
            self.outputs[step["id"]] = outputs
        return result.returncode == 0, result.stdout + result.stderr

    def uses(self, step):
        action = step["uses"].split("@")[0]
        given = {k: self.evaluate(str(v), {}) for k, v in step.get("with", {}).items()}
        if action == "actions/checkout":
            shutil.copytree(self.repository, self.workspace, dirs_exist_ok=True)
        elif action == "anchore/sbom-action/download-syft":
            if not shutil.which("syft"):
                return False, "syft is not on PATH"
        elif action == "docker/setup-buildx-action":
            pass
        elif action == "docker/login-action":
            login = base64.b64encode(("%s:%s" % (given["username"], given["password"])).encode()).decode()
            os.makedirs(self.home + "/.docker", exist_ok=True)
            with open(self.home + "/.docker/config.json", "w") as f:
                json.dump({"auths": {given["registry"]: {"auth": login}}}, f)
        elif action == "docker/build-push-action":
            return self.build_and_push(step, given)
        else:
            return False, "this runner does not provide %s" % step["uses"]
        return True, ""

    def build_and_push(self, step, given):
        """The application directory of the context as an image's layer, pushed with skopeo."""
        if given.get("push") != "True" and given.get("push") != "true":
            return False, "build-push-action without push: true"
        tag = given["tags"]
        layout = os.path.join(self.work, "build")
        run(["umoci", "init", "--layout", layout])
        run(["umoci", "new", "--image", layout + ":build"])
        run(["umoci", "insert", "--image", layout + ":build",
             os.path.join(self.workspace, given.get("context", "."), "app"), "/app"])
        digest_file = os.path.join(self.work, "digest")
        run(["skopeo", "copy", "--quiet", "--dest-cert-dir", os.path.dirname(self.services.ca),
             "--dest-authfile", self.home + "/.docker/config.json", "--digestfile", digest_file,
             "oci:%s:build" % layout, "docker://" + tag])
        self.outputs[step.get("id", "build")] = {"digest": open(digest_file).read().strip(),
                                                 "imageid": "", "metadata": "{}"}
        return True, ""


def repository(work, services, release_pub, log4j):
    """What checkout gives: .bulla/ (keys, policy) and the application built into the image."""
    repo = os.path.join(work, "repo")
    os.makedirs(repo + "/.bulla")
    os.makedirs(repo + "/app/lib")
    shutil.copy(release_pub, repo + "/.bulla/release.pub")
    shutil.copy(os.path.join(services.log_dir, "log.pub"), repo + "/.bulla/log.pub")
    shutil.copy(os.path.join(ROOT, "dist", "release.pub"), repo + "/.bulla/bulla-release.pub")
    with open(repo + "/.bulla/policy.yaml", "w") as f:
        f.write("""version: 1
noMatch: deny
rules:
  - name: payments
    images: ["%s/example/**"]
    keys: [release.pub]
    log:
      keys: [log.pub]
    attestations:
      - type: spdxjson
        maxAge: 30d
        deniedPackages:
          - purl: pkg:maven/org.apache.logging.log4j/log4j-core
            versions: "< 2.17.1"
            reason: Log4Shell (CVE-2021-44228)
""" % services.registry)
    with open(repo + "/app/server.py", "w") as f:
        f.write("print('payments api')\n")
    with open(repo + "/Dockerfile", "w") as f:
        f.write("FROM scratch\nCOPY app /app\n")
    if log4j:
        # The jar as syft recognises it: a Maven pom.properties in META-INF.
        with zipfile.ZipFile(repo + "/app/lib/log4j-core-2.14.1.jar", "w") as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Title: Apache Log4j Core\n"
                         "Implementation-Version: 2.14.1\n")
            jar.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                         "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n")
    return repo


def log_size(bulla, services):
    audit = run([bulla, "log", "verify", services.log_dir, "--log-key", os.path.join(services.log_dir, "log.pub")])
    return int(re.search(r": (\d+) entries", audit).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulla", help="the bulla that prepares keys and checks results (default: the release's)")
    args = parser.parse_args()
    version = run([os.path.join(ROOT, ".build-static/release/bulla"), "--version"]).strip()
    bulla = args.bulla or os.path.join(ROOT, "dist", "bulla-%s-linux-%s" % (version, os.uname().machine), "bulla")
    flow = workflow()
    job = next(iter(flow["jobs"]))
    work = tempfile.mkdtemp(prefix="bulla-ci-example-")
    services = None
    started = time.monotonic()
    try:
        services = Services(work, bulla)
        keys = os.path.join(work, "keys")
        os.makedirs(keys)
        run([bulla, "key", "generate", "--output-prefix", keys + "/release"], env=dict(os.environ, BULLA_PASSWORD="project"))
        secrets = {"BULLA_KEY": open(keys + "/release.key").read(), "BULLA_PASSWORD": "project",
                   "GITHUB_TOKEN": BASIC_PASSWORD}
        for case, log4j in (("clean", False), ("log4j", True)):
            case_dir = os.path.join(work, case)
            os.makedirs(case_dir)
            before = log_size(bulla, services)
            repo = repository(case_dir, services, keys + "/release.pub", log4j)
            failed, output = Runner(flow, job, services, repo, secrets, case_dir).run()
            if case == "clean":
                if failed:
                    fail("the clean run failed at step %r:\n%s" % (failed, output[-4000:]))
                added = log_size(bulla, services) - before
                if added != 2:
                    fail("the clean run added %d log entries, not 2 (signature, attestation)" % added)
                print("ci-example: clean image: %d steps passed; signature and attestation recorded in the log"
                      % len(flow["jobs"][job]["steps"]))
            else:
                if failed != flow["jobs"][job]["steps"][-1]["name"]:
                    fail("the log4j run should fail at the last step, not %r:\n%s" % (failed, output[-4000:]))
                if "log4j-core 2.14.1" not in output or "Log4Shell" not in output:
                    fail("the log4j run failed without the policy's reason:\n%s" % output[-4000:])
                reason = next(line for line in output.splitlines() if "Log4Shell" in line)
                print("ci-example: log4j image: the pipeline fails at %r: %s" % (failed, reason.strip()))
        check_ssl_cert_file(bulla, services, work)
    finally:
        if services:
            services.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("ci-example: passed in %.0f s" % (time.monotonic() - started))


def check_ssl_cert_file(bulla, services, work):
    """The registry's trust came from SSL_CERT_FILE: without it refused, with --ca-file fine."""
    home = os.path.join(work, "clean", "home")
    image = services.registry + "/example/payments-api:v1.4.0"
    env = {"HOME": home, "PATH": os.environ["PATH"]}
    began = time.monotonic()
    refused = subprocess.run([bulla, "digest", image, "--timeout", "3s"], env=env, capture_output=True, text=True)
    print("ci-example:   refused without the CA in %.1f s: %s" % (time.monotonic() - began, refused.stderr.strip()[:200]))
    if refused.returncode == 0:
        fail("without SSL_CERT_FILE or --ca-file the private CA's registry was trusted")
    run([bulla, "digest", image, "--ca-file", services.ca], env=env)
    empty = os.path.join(work, "empty.pem")
    open(empty, "w").close()
    bad = subprocess.run([bulla, "digest", image], env=dict(env, SSL_CERT_FILE=empty), capture_output=True, text=True)
    if bad.returncode != 3 or "SSL_CERT_FILE %s holds no PEM certificate" % empty not in bad.stderr:
        fail("an SSL_CERT_FILE without a certificate gave %d: %s" % (bad.returncode, bad.stderr))
    print("ci-example: SSL_CERT_FILE and --ca-file add the registry's CA; without them it is refused; "
          "an empty SSL_CERT_FILE is refused by name")


if __name__ == "__main__":
    main()
