#!/usr/bin/env python3
"""Runs every case of spec/vectors/policy/cases.json through `bulla policy test`.

usage: check_policy_cases.py BULLA_BINARY [--cases FILE] [--only SUBSTRING] [-v]

For each entry of "cases" the policy text is written to a temporary file in the
directory of cases.json (so `keys: [trusted.pub]` resolves), and

  BULLA policy test --policy TMP --type TYPE --predicate PREDICATE
                    --image IMAGE [--now NOW] [--output json]

is run twice (text and JSON). A case passes when
  - the exit status is 0 for "allow" and 1 for "deny";
  - the JSON output's "decision" is the expected one and agrees with the text
    verdict line (ALLOW|DENY  IMAGE);
  - every string of "reasons" occurs in the deny lines of the text output
    (lines starting "  deny") for a deny, or anywhere in the output for an
    allow;
  - for a deny, every deny line that comes from a rule names it (rule "…").

For each entry of "invalid" the policy must be refused: exit status 3, and
stderr must name the temporary file with ":LINE:" (or "line LINE" for YAML
syntax errors, which the YAML parser reports) and contain "reason".

Exit status: 0 when every case passes, 1 otherwise. Temporary files are removed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(binary, args):
    proc = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def write_policy(directory, text):
    fd, path = tempfile.mkstemp(prefix=".check-", suffix=".policy.yaml", dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def check_case(binary, directory, case):
    """The list of problems with one decision case (empty when it passes)."""
    problems = []
    path = write_policy(directory, case["policy"])
    try:
        args = ["policy", "test", "--policy", path, "--type", case["type"],
                "--predicate", os.path.join(directory, case["predicate"]), "--image", case["image"]]
        if case.get("now"):
            args += ["--now", case["now"]]
        code, out, err = run(binary, args)
        jcode, jout, jerr = run(binary, args + ["--output", "json"])
    finally:
        os.unlink(path)
    expected = case["decision"]
    want_code = {"allow": 0, "deny": 1}[expected]
    if code != want_code:
        problems.append(f"exit {code}, expected {want_code} ({expected}); stderr: {err.strip()[:300]}")
    if jcode != code:
        problems.append(f"--output json exit {jcode} differs from text exit {code}")
    try:
        decision = json.loads(jout)
        if decision.get("decision") != expected:
            problems.append(f"JSON decision {decision.get('decision')!r}, expected {expected!r}")
        if decision.get("allowed") != (expected == "allow"):
            problems.append(f"JSON allowed {decision.get('allowed')!r}")
    except json.JSONDecodeError:
        if code in (0, 1):
            problems.append(f"--output json is not JSON: {jout[:200]!r}")
    lines = out.splitlines()
    if code in (0, 1):
        verdict = f"{expected.upper()}  {case['image']}"
        if not lines or not lines[0].startswith(verdict):
            problems.append(f"first line {lines[0] if lines else ''!r}, expected it to start {verdict!r}")
    deny_lines = [line for line in lines if line.startswith("  deny")]
    haystack = "\n".join(deny_lines) if expected == "deny" else out
    for reason in case.get("reasons", []):
        if reason not in haystack:
            where = "deny lines" if expected == "deny" else "output"
            problems.append(f"reason {reason!r} not in the {where}")
    if expected == "deny":
        for line in deny_lines:
            if "noMatch is" not in line and 'rule "' not in line:
                problems.append(f"deny line names no rule: {line!r}")
    if problems:
        problems.append("output was:\n      " + "\n      ".join(lines))
    return problems


def check_invalid(binary, directory, case, predicate):
    problems = []
    path = write_policy(directory, case["policy"])
    try:
        code, out, err = run(binary, ["policy", "test", "--policy", path, "--type", "spdxjson",
                                      "--predicate", predicate, "--image", "registry.example/pay/api:1.0",
                                      "--now", "2026-11-01T00:00:00Z"])
    finally:
        os.unlink(path)
    if code != 3:
        problems.append(f"exit {code}, expected 3")
    name = os.path.basename(path)
    line = case["line"]
    if name not in err:
        problems.append(f"stderr does not name the policy file {name}")
    if f"{name}:{line}:" not in err and f"line {line}:" not in err:
        problems.append(f"stderr does not give line {line}")
    if case["reason"] not in err:
        problems.append(f"reason {case['reason']!r} not in stderr")
    if problems:
        problems.append(f"stderr was: {err.strip()}")
    return problems


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_cases = os.path.normpath(os.path.join(here, "..", "..", "spec", "vectors", "policy", "cases.json"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--cases", default=default_cases)
    parser.add_argument("--only", help="run only cases whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args()

    directory = os.path.dirname(os.path.abspath(options.cases))
    with open(options.cases) as f:
        table = json.load(f)
    binary = os.path.abspath(options.binary)

    names = [c["name"] for c in table["cases"]] + [c["name"] for c in table.get("invalid", [])]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    failures = 0
    if duplicates:
        print(f"duplicate case names: {duplicates}")
        failures += 1

    total = 0
    for case in table["cases"]:
        if options.only and options.only not in case["name"]:
            continue
        total += 1
        problems = check_case(binary, directory, case)
        if problems:
            failures += 1
            print(f"FAIL {case['name']}")
            for p in problems:
                print(f"    {p}")
        elif options.verbose:
            print(f"ok   {case['name']}")

    some_predicate = os.path.join(directory, table["cases"][0]["predicate"])
    for case in table.get("invalid", []):
        if options.only and options.only not in case["name"]:
            continue
        total += 1
        problems = check_invalid(binary, directory, case, some_predicate)
        if problems:
            failures += 1
            print(f"FAIL invalid/{case['name']}")
            for p in problems:
                print(f"    {p}")
        elif options.verbose:
            print(f"ok   invalid/{case['name']}")

    passed = total - failures if not duplicates else total - failures + 1
    print(f"{passed}/{total} passed ({len(table['cases'])} decision cases, {len(table.get('invalid', []))} invalid policies)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
