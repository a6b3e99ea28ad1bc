#!/usr/bin/env python3
"""Writes a man page (section 1) for bulla and each of its subcommands from what the binary
says of itself (`bulla --experimental-dump-help`, argument-parser's tool description), so the
pages never drift from `--help`.

  manpages.py BULLA OUTPUT_DIR
"""
import json
import os
import subprocess
import sys

binary, out = sys.argv[1], sys.argv[2]
tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)["command"]
version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()


def roff(text):
    """Text safe in roff: backslashes doubled, a leading dot or quote escaped."""
    lines = []
    for line in (text or "").replace("\\", "\\\\").split("\n"):
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def flag_names(argument):
    return ", ".join(("-" if n["kind"] == "short" else "--") + n["name"] for n in argument.get("names", []))


def page(command, path):
    title = "-".join(path)
    arguments = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    synopsis = [" ".join(path)]
    for a in arguments:
        if a["kind"] == "positional":
            synopsis.append(("[" if a.get("isOptional") else "") + f"<{a['valueName']}>" + ("...]" if a.get("isRepeating") and a.get("isOptional") else "]" if a.get("isOptional") else "..." if a.get("isRepeating") else ""))
    subcommands = [s for s in command.get("subcommands", []) if s.get("shouldDisplay", True) and s["commandName"] != "help"]
    if subcommands:
        synopsis.append("<subcommand>")
    if any(a["kind"] != "positional" for a in arguments):
        synopsis.append("[options]")
    lines = [
        f'.TH "{title.upper()}" 1 "" "bulla {version}" "Bulla"',
        ".SH NAME", f"{title} \\- {roff(command.get('abstract', ''))}",
        ".SH SYNOPSIS", roff(" ".join(synopsis)),
    ]
    if command.get("discussion"):
        lines += [".SH DESCRIPTION", roff(command["discussion"])]
    if subcommands:
        lines.append(".SH SUBCOMMANDS")
        for s in subcommands:
            lines += [".TP", f"\\fB{s['commandName']}\\fR", roff(s.get("abstract", "")),
                      f"See \\fB{title}-{s['commandName']}\\fR(1)."]
    if arguments:
        lines.append(".SH OPTIONS")
        for a in arguments:
            head = f"<{a['valueName']}>" if a["kind"] == "positional" else flag_names(a) + (f" <{a['valueName']}>" if a["kind"] == "option" else "")
            text = a.get("abstract", "")
            if a.get("defaultValue") is not None:
                text += f" (default: {a['defaultValue']})"
            lines += [".TP", f"\\fB{roff(head)}\\fR", roff(text)]
    lines += [".SH SEE ALSO", "The specifications and guides in the repository's spec/ and docs/ folders."]
    with open(os.path.join(out, f"{title}.1"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for s in subcommands:
        page(s, path + [s["commandName"]])


os.makedirs(out, exist_ok=True)
page(tool, [tool["commandName"]])
