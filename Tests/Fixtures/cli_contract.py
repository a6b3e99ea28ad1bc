#!/usr/bin/env python3
"""The CLI contract (spec/cli.md), checked on the built binary.

usage: cli_contract.py BULLA WORKDIR SCHEMAS [--dump DIR]

1. Walks every command through `--help`: each has an EXAMPLES section whose lines do not
   wrap, and lists its own options before the shared ones (output, image, registry, limits,
   passphrase).
2. Runs every command that prints a result with `-o json` on real inputs (a umoci layout,
   keys, a log, an SBOM, a policy) and validates each document against the JSON Schema of the
   media type it names (spec/schemas/, checked with PyPI jsonschema); every such command must
   have been run.
3. Makes each command fail under `-o json`: stdout is one error object (its schema), whose
   exitStatus is the process's.

Prints one line per problem and exits 1 when there is any.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema

BULLA, WORK, SCHEMAS = sys.argv[1], sys.argv[2], sys.argv[3]
DUMP = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else None
problems = []

# Options every command may share; a command's own come first (spec/cli.md, "Help").
SHARED = {
    "-o", "--output", "-q", "--quiet", "--platform", "--authfile", "--ca-file", "--insecure", "--timeout",
    "--retries", "--registry-deadline", "--limit-entries", "--limit-bytes", "--limit-ratio",
    "--passphrase-file", "--version", "-h", "--help",
}
# Commands that run until stopped or print a script, not a result.
NO_RESULT = {"serve", "log serve", "completion"}


def run(args, env=None, stdin=None):
    merged = dict(os.environ, BULLA_PASSWORD="contract", TERM="dumb")
    merged.pop("BULLA_LOG_PASSWORD", None)
    merged.update(env or {})
    return subprocess.run([BULLA, *args], cwd=WORK, env=merged, capture_output=True, text=True, input=stdin, timeout=120)


def commands(path=()):
    """Every command path, by walking each help's SUBCOMMANDS section."""
    out = run([*path, "--help"]).stdout
    yield path, out
    if "\nSUBCOMMANDS:\n" not in out:
        return
    section = out.split("\nSUBCOMMANDS:\n", 1)[1].split("\n\n", 1)[0]
    for line in section.splitlines():
        m = re.match(r"^  ([a-z][a-z0-9-]*)(\s|$)", line)
        if m:
            yield from commands((*path, m.group(1)))


def option_names(help_text):
    section = help_text.split("\nOPTIONS:\n", 1)[1] if "\nOPTIONS:\n" in help_text else ""
    names = []
    for line in section.splitlines():
        m = re.match(r"^  (-[a-zA-Z], )?(--[a-z0-9-]+)", line)
        if m:
            names.append(m.group(2))
    return names


def check_help():
    walked = {}
    for path, out in commands():
        name = " ".join(path) or "bulla"
        walked[name] = out
        if "\nEXAMPLES:\n" not in out:
            problems.append(f"{name} --help has no EXAMPLES section")
        else:
            examples = out.split("\nEXAMPLES:\n", 1)[1].split("\n\n", 1)[0]
            for line in examples.splitlines():
                if line and not line.startswith("  "):
                    problems.append(f"{name} --help: an example wraps: {line!r}")
        names = option_names(out)
        shared_seen = False
        for option in names:
            if option in SHARED:
                shared_seen = True
            elif shared_seen:
                problems.append(f"{name} --help lists its own {option} after shared options ({names})")
                break
    return walked


def schema_for(media_type):
    m = re.fullmatch(r"application/vnd\.bulla\.([a-z0-9-]+)\.(v\d+)\+json", media_type or "")
    if not m:
        return None
    path = os.path.join(SCHEMAS, f"{m.group(1)}.{m.group(2)}.schema.json")
    return json.load(open(path)) if os.path.exists(path) else None


def nested_documents(value):
    """Objects inside a result that name a media type of their own (a policy decision in a
    report): each is checked against its own schema too."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict) and str(inner.get("mediaType", "")).startswith("application/vnd.bulla."):
                yield inner
            yield from nested_documents(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from nested_documents(inner)


def validate(name, document, label):
    items = document if isinstance(document, list) else [document]
    if not items:
        problems.append(f"{label}: an empty JSON array")
    for item in items + [inner for item in items for inner in nested_documents(item)]:
        media_type = item.get("mediaType") if isinstance(item, dict) else None
        schema = schema_for(media_type)
        if schema is None:
            problems.append(f"{label}: no schema in {SCHEMAS} for media type {media_type!r}")
            continue
        try:
            jsonschema.validate(item, schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as error:
            problems.append(f"{label}: {media_type} does not match its schema: {error.message} at {list(error.absolute_path)}")
    return [item.get("mediaType") for item in items if isinstance(item, dict)]


covered = {}


def json_result(command, args, expect=0, **kw):
    """Runs `bulla COMMAND ARGS -o json`; the output must be one document matching its schema."""
    result = run([*command.split(), *args, "-o", "json"], **kw)
    label = f"bulla {command} -o json"
    if result.returncode != expect:
        problems.append(f"{label} exited {result.returncode}, not {expect}: {result.stderr.strip()[:400]}")
        return None
    try:
        document = json.loads(result.stdout)
    except ValueError as error:
        problems.append(f"{label}: stdout is not one JSON document ({error}): {result.stdout[:200]!r}")
        return None
    types = validate(command, document, label)
    covered.setdefault(command, set()).update(types)
    if DUMP:
        os.makedirs(DUMP, exist_ok=True)
        with open(os.path.join(DUMP, command.replace(" ", "_") + ".json"), "w") as out:
            json.dump(document, out, indent=2)
    return document


def json_error(command, args, status, code=None):
    """A failure under -o json: one error object on stdout, its exitStatus the process's."""
    result = run([*command.split(), *args, "-o", "json"])
    label = f"bulla {command} (failing) -o json"
    if result.returncode != status:
        problems.append(f"{label} exited {result.returncode}, not {status}: {result.stderr.strip()[:300]}")
    try:
        document = json.loads(result.stdout)
    except ValueError:
        problems.append(f"{label}: stdout is not a JSON document: {result.stdout[:200]!r}")
        return
    validate(command, document, label)
    if document.get("mediaType") != "application/vnd.bulla.error.v1+json":
        problems.append(f"{label}: not an error object: {document.get('mediaType')}")
    elif document.get("exitStatus") != result.returncode:
        problems.append(f"{label}: exitStatus {document.get('exitStatus')} but the process exited {result.returncode}")
    elif code and document.get("code") != code:
        problems.append(f"{label}: code {document.get('code')}, not {code}")
    if not result.stderr.strip():
        problems.append(f"{label}: nothing on stderr; the error goes there too")


def scenario(fixtures):
    subprocess.run(["umoci", "init", "--layout", "lay"], cwd=WORK, check=True)
    subprocess.run(["umoci", "new", "--image", "lay:v1"], cwd=WORK, check=True)
    subprocess.run(["umoci", "new", "--image", "lay:v2"], cwd=WORK, check=True)
    sbom = os.path.join(fixtures, "..", "InteropTests", "Fixtures", "sbom", "spdx", "example11__spdx2.3__sbom.spdx.json")
    shutil.copy(sbom, os.path.join(WORK, "sbom.json"))
    with open(os.path.join(WORK, "blob"), "w") as out:
        out.write("a release artefact\n")

    key = json_result("key generate", ["--output-prefix", "k"])
    json_result("key public", ["--key", "k.key"])
    json_result("key id", ["--key", "k.pub"])
    cosign = subprocess.run([sys.executable, os.path.join(fixtures, "make_cosign_key.py"), WORK, "cosign pass", "--name", "cosign"],
                            capture_output=True, text=True)
    if cosign.returncode != 0:
        problems.append(f"make_cosign_key.py failed: {cosign.stderr.strip()}")
    else:
        json_result("key import-cosign", ["cosign.key", "--output-prefix", "imported"], env={"COSIGN_PASSWORD": "cosign pass"})

    json_result("log init", ["L", "--origin", "contract.example/log"])
    json_result("digest", ["oci:lay:v1"])
    signed = json_result("sign", ["oci:lay:v1", "--key", "k.key", "--log", "L"])
    if signed and not (signed["items"] and signed["items"][0].get("log", {}).get("treeSize", 0) >= 1):
        problems.append(f"sign --log -o json does not say the log entry: {signed}")
    json_result("attest", ["oci:lay:v1", "--key", "k.key", "--predicate", "sbom.json", "--type", "spdxjson"])
    json_result("verify", ["oci:lay:v1", "--key", "k.pub"])
    unsigned = json_result("verify", ["oci:lay:v2", "--key", "k.pub"], expect=1)
    if unsigned and not unsigned.get("searched"):
        problems.append("verify of an unsigned image does not say where it looked")
    json_result("verify-attestation", ["oci:lay:v1", "--key", "k.pub", "--type", "spdxjson"])
    json_result("tree", ["oci:lay:v1"])
    json_result("discover", ["oci:lay:v2"])
    json_result("inspect", ["oci:lay:v1"])
    json_result("verify-content", ["oci:lay"])
    json_result("copy", ["oci:lay:v1", "oci:mirror:v1"])
    json_result("sign-blob", ["blob", "--key", "k.key", "--output-bundle", "blob.json"])
    json_result("verify-blob", ["blob", "--key", "k.pub", "--bundle", "blob.json"])
    json_result("sbom packages", ["sbom.json"])
    with open(os.path.join(WORK, "policy.yaml"), "w") as out:
        out.write("version: 1\nrules:\n  - name: all\n    images: ['oci:*']\n    keys: [k.pub]\n"
                  "    attestations:\n      - type: spdxjson\n")
    entries = json_result("policy check", ["--policy", "policy.yaml", "oci:lay:v1", "oci:lay:v2", "oci:missing:v1"], expect=3)
    if entries is not None and len(entries) != 3:
        problems.append(f"policy check of 3 images gave {len(entries)} verdicts")
    json_result("verify-attestation", ["oci:lay:v1", "--key", "k.pub", "--type", "spdxjson", "--policy", "policy.yaml"])
    json_result("policy test", ["--policy", "policy.yaml", "--type", "spdxjson", "--predicate", "sbom.json", "--image", "oci:lay"], expect=0)
    json_result("log append", ["L", "blob"])
    json_result("log checkpoint", ["L"])
    json_result("log prove", ["L", "--index", "0"])
    json_result("log consistency", ["L", "--from", "1"])
    json_result("log verify", ["L", "--log-key", "L/log.pub"])

    # Failures, each as JSON: usage, unreadable input, verification, a wrong passphrase.
    json_error("verify", ["oci:lay:v1", "--keys", "k.pub"], 2, "usage")
    json_error("digest", ["oci:nowhere:v1"], 3)
    json_error("verify-blob", ["sbom.json", "--key", "k.pub", "--bundle", "blob.json"], 1)
    json_error("key id", ["--key", "missing.pub"], 3)
    json_error("log verify", ["L", "--log-key", "k.pub"], 1)
    bad = run(["sign", "oci:lay:v1", "--key", "k.key", "-o", "json"], env={"BULLA_PASSWORD": "wrong"})
    try:
        error = json.loads(bad.stdout)
        if error.get("code") != "wrongPassphrase":
            problems.append(f"a wrong passphrase under -o json gives code {error.get('code')}")
    except ValueError:
        problems.append(f"a wrong passphrase under -o json prints no JSON: {bad.stdout!r}")


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
walked = check_help()
scenario(os.path.dirname(os.path.abspath(__file__)))
for name, out in walked.items():
    leaf = "\nSUBCOMMANDS:\n" not in out
    if not leaf or name in NO_RESULT or name == "bulla":
        continue
    if "--output" not in option_names(out):
        problems.append(f"{name} prints a result but takes no -o/--output")
    if name not in covered:
        problems.append(f"{name} was not run with -o json by this contract")

# Every schema has a vector in spec/vectors/cli/ that matches it, and every media type was
# printed by some command in this run.
vectors = os.path.join(os.path.dirname(os.path.abspath(SCHEMAS)), "vectors", "cli")
printed = set().union(*covered.values()) | {"application/vnd.bulla.error.v1+json"}
for schema_file in sorted(os.listdir(SCHEMAS)):
    name = schema_file.removesuffix(".schema.json")
    vector = os.path.join(vectors, name + ".json")
    if not os.path.exists(vector):
        problems.append(f"{schema_file} has no vector {vector}")
    else:
        validate(name, json.load(open(vector)), f"spec/vectors/cli/{name}.json")
    media_type = f"application/vnd.bulla.{name}+json"
    if media_type not in printed:
        problems.append(f"no command printed {media_type} in this run")

for problem in problems:
    print(problem)
print(f"{len(walked)} commands walked, {len(covered)} run with -o json, {len(problems)} problem(s)", file=sys.stderr)
sys.exit(1 if problems else 0)
