#!/usr/bin/env python3
"""Size, function length and documentation of the Swift sources, one row per target.

A target is each folder directly under Sources/ that holds Swift (COpenSSL and CArchive hold
none) and Examples/verify-image. Per target:

- files, raw lines (every line), and the files over 400 lines;
- functions: every func, init, deinit and subscript body, and every computed property's body
  (or, where a property or subscript spells out get/set/willSet/didSet, each accessor's body).
  A function's length is the number of lines from the line of its opening `{` to the line of
  the matching `}`, both included, so a one-line body is 1. Braces in comments (`//`, nested
  `/* */`) and string literals (single-line, `\"\"\"`, raw `#"..."#`, with `\\( )` interpolations
  that may hold strings of their own) are not counted. Median and p90 are by nearest rank
  (the value at rank ceil(p/100 * n) of the sorted lengths);
- public declarations: a declaration whose own modifiers include `public` or `open` (func,
  init, subscript, var, let, struct, class, enum, protocol, typealias, actor; not enum cases
  and not extensions, nor members that are public only through a protocol). One is documented
  when the line above it, skipping attribute lines, is a `///` line; a blank line breaks it;
- doc ratio: `///` lines over code lines (non-blank lines that are not only comment).

Options:
  --list      also list each undocumented public declaration as file:line
  --long N    also list the functions longer than N lines, longest first
  --json      the same numbers as JSON
  --check     exit 1 if a public declaration is undocumented, a file is over 400 lines, or a
              target's median is over 8 or its p90 over 25 (each failure is named)
  --root DIR  the repository to measure (default: the one holding this script)

Standard library only; it never runs the Swift compiler.
"""
import argparse, json, math, os, sys

MAX_FILE_LINES = 400
MAX_MEDIAN = 8
MAX_P90 = 25
SKIPPED_TARGETS = {"COpenSSL", "CArchive"}
EXTRA_TARGETS = [("verify-image", os.path.join("Examples", "verify-image"))]

# Words that may stand before a declaration's keyword. Each is a modifier only when the words
# after it end in a declaration keyword, so `open(path)` or `lazy = 1` are not declarations.
MODIFIERS = {
    "public", "open", "private", "fileprivate", "internal", "package", "static", "class", "final",
    "override", "mutating", "nonmutating", "lazy", "weak", "unowned", "convenience", "required",
    "dynamic", "indirect", "nonisolated", "optional", "prefix", "postfix", "infix", "isolated",
    "consuming", "borrowing", "distributed", "async",
}
ACCESS_LEVELS = {"public", "open", "private", "fileprivate", "internal", "package"}
DECL_KEYWORDS = {
    "func", "init", "deinit", "subscript", "var", "let", "struct", "class", "enum", "protocol",
    "typealias", "extension", "actor", "associatedtype", "case", "import", "operator",
    "precedencegroup", "macro",
}
COUNTED_PUBLIC = {
    "func", "init", "deinit", "subscript", "var", "let", "struct", "class", "enum", "protocol",
    "typealias", "actor",
}
ACCESSORS = {"get", "set", "willSet", "didSet", "_read", "_modify", "unsafeAddress",
             "unsafeMutableAddress"}


class Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return f"{self.kind}:{self.text}@{self.line}"


class Lexer:
    """Splits Swift text into tokens, with each line marked as holding code, comment or doc.

    A string literal is one token; its interpolations are lexed (so their own strings and
    parentheses end where they should) but emit nothing. Lines are numbered from 1.
    """

    def __init__(self, text):
        self.s = text
        self.n = len(text)
        self.line = 1
        nlines = text.count("\n") + 2
        self.code = [False] * nlines      # the line holds code or part of a string literal
        self.comment = [False] * nlines   # the line holds (part of) a comment
        self.doc = [False] * nlines       # the line's first text is a `///` comment
        self.tokens = []

    def run(self):
        self.lex_code(0, emit=True, stop_at_paren=False)
        return self

    # -- helpers

    def mark_code(self):
        self.code[self.line] = True

    def newline(self):
        self.line += 1

    def hashes_at(self, i):
        k = i
        while k < self.n and self.s[k] == "#":
            k += 1
        return k - i

    # -- code

    def lex_code(self, i, emit, stop_at_paren):
        """Lexes code from i; inside an interpolation, stops after the `)` that closes it."""
        s, n = self.s, self.n
        depth = 0
        while i < n:
            c = s[i]
            if c == "\n":
                self.newline()
                i += 1
            elif c in " \t\r\f\v":
                i += 1
            elif c == "/" and s.startswith("//", i):
                first_on_line = not self.code[self.line] and not self.comment[self.line]
                if first_on_line and s.startswith("///", i) and not s.startswith("////", i):
                    self.doc[self.line] = True
                self.comment[self.line] = True
                j = s.find("\n", i)
                i = n if j < 0 else j
            elif c == "/" and s.startswith("/*", i):
                i = self.lex_block_comment(i)
            elif c == '"' or (c == "#" and s[i + self.hashes_at(i):i + self.hashes_at(i) + 1] == '"'):
                start_line = self.line
                self.mark_code()
                i = self.lex_string(i)
                if emit:
                    self.tokens.append(Token("str", '""', start_line))
            elif c == "#" and s[i + self.hashes_at(i):i + self.hashes_at(i) + 1] == "/":
                self.mark_code()
                i = self.lex_regex(i)
                if emit:
                    self.tokens.append(Token("str", "//", self.line))
            elif c.isalpha() or c == "_" or c == "#" or c == "$" or ord(c) > 127:
                self.mark_code()
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] in "_$" or ord(s[j]) > 127):
                    j += 1
                if emit:
                    self.tokens.append(Token("id", s[i:j], self.line))
                i = j
            elif c == "@":
                self.mark_code()
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                if emit:
                    self.tokens.append(Token("attr", s[i:j], self.line))
                i = j
            elif c == "`":
                self.mark_code()
                j = s.find("`", i + 1)
                j = n if j < 0 else j + 1
                if emit:
                    # An escaped name is never a keyword.
                    self.tokens.append(Token("name", s[i + 1:j - 1], self.line))
                i = j
            elif c.isdigit():
                self.mark_code()
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] == "_" or
                                 (s[j] == "." and j + 1 < n and s[j + 1].isdigit())):
                    j += 1
                if emit:
                    self.tokens.append(Token("num", s[i:j], self.line))
                i = j
            else:
                self.mark_code()
                if c == "(":
                    depth += 1
                elif c == ")":
                    if stop_at_paren and depth == 0:
                        return i + 1
                    depth -= 1
                if emit:
                    self.tokens.append(Token("punct", c, self.line))
                i += 1
        return i

    def lex_block_comment(self, i):
        """Skips a `/* */` comment, which may nest, from its opening `/*`."""
        s, n = self.s, self.n
        depth = 0
        while i < n:
            if s.startswith("/*", i):
                depth += 1
                self.comment[self.line] = True
                i += 2
            elif s.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    return i
            elif s[i] == "\n":
                self.newline()
                i += 1
            else:
                if not s[i].isspace():
                    self.comment[self.line] = True
                i += 1
        return i

    def lex_string(self, i):
        """Skips a string literal from its first `#` or `"`; returns the index after it."""
        s, n = self.s, self.n
        hashes = self.hashes_at(i)
        i += hashes
        multiline = s.startswith('"""', i)
        i += 3 if multiline else 1
        close = ('"""' if multiline else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        while i < n:
            c = s[i]
            if c == "\n":
                self.newline()
                i += 1
                if not multiline:       # an unterminated literal; resume as code
                    return i
            elif s.startswith(escape, i):
                i += len(escape)
                if i < n and s[i] == "(":
                    self.mark_code()
                    i = self.lex_code(i + 1, emit=False, stop_at_paren=True)
                elif i < n:
                    if s[i] == "\n":
                        self.newline()
                    else:
                        self.mark_code()
                    i += 1
            elif s.startswith(close, i):
                self.mark_code()
                return i + len(close)
            else:
                if not c.isspace():
                    self.mark_code()
                i += 1
        return i

    def lex_regex(self, i):
        """Skips an extended regex literal `#/.../#`."""
        hashes = self.hashes_at(i)
        close = "/" + "#" * hashes
        j = self.s.find(close, i + hashes + 1)
        end = self.n if j < 0 else j + len(close)
        self.line += self.s.count("\n", i, end)
        return end


class Frame:
    __slots__ = ("kind", "line", "paren", "name", "decl_line")

    def __init__(self, kind, line, name="", decl_line=0):
        self.kind, self.line, self.paren, self.name, self.decl_line = kind, line, 0, name, decl_line


def analyse(path, rel):
    """Returns (raw lines, code lines, doc lines, functions, public declarations) of one file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    lexer = Lexer(text).run()
    toks = lexer.tokens
    n = len(toks)

    raw = len(lines)
    code_lines = sum(1 for k in range(1, raw + 1) if lexer.code[k] and lines[k - 1].strip())
    doc_lines = sum(1 for k in range(1, raw + 1) if lexer.doc[k])

    def is_attribute_line(k):
        t = lines[k - 1].strip()
        return t.startswith("@") and lexer.code[k] and not lexer.doc[k]

    def documented(first_line):
        k = first_line - 1
        while k >= 1 and is_attribute_line(k):
            k -= 1
        return k >= 1 and lexer.doc[k]

    def statement_start(i):
        return i == 0 or toks[i - 1].line < toks[i].line or toks[i - 1].text in (";", "{", "}")

    def word(i):
        return toks[i].text if i < n and toks[i].kind == "id" else None

    def parse_decl(i):
        """At a statement start: (index of the keyword, modifiers) of a declaration, or None."""
        j, mods = i, []
        while j < n:
            t = toks[j]
            if t.kind == "attr":
                j += 1
                if j < n and toks[j].text == "(" and toks[j].line == t.line:
                    depth = 0
                    while j < n:
                        if toks[j].text == "(":
                            depth += 1
                        elif toks[j].text == ")":
                            depth -= 1
                            if depth == 0:
                                j += 1
                                break
                        j += 1
                continue
            w = word(j)
            if w in MODIFIERS and not (w == "class" and word(j + 1) not in MODIFIERS | DECL_KEYWORDS
                                       and (j + 1 >= n or toks[j + 1].kind != "attr")):
                mods.append(w)
                j += 1
                if w in ACCESS_LEVELS and j + 2 < n and toks[j].text == "(" and \
                        word(j + 1) == "set" and toks[j + 2].text == ")":
                    j += 3
                continue
            break
        if j < n and word(j) in DECL_KEYWORDS:
            return j, mods
        return None

    functions, publics = [], []
    stack = [Frame("file", 0)]
    pending = None     # a declaration whose body may follow: dict(kind, depth, paren, eq, line, name)
    accessor = None    # inside a property's braces: an accessor keyword whose body may follow
    decl_at = {}       # keyword index -> declaration start index, modifiers
    skip_until = -1

    for i, t in enumerate(toks):
        top = stack[-1]
        # Declarations start a statement, at no parenthesis depth.
        if i > skip_until and top.paren == 0 and statement_start(i):
            found = parse_decl(i)
            if found:
                kw, mods = found
                decl_at[kw] = (i, mods)
                skip_until = kw
                if ("public" in mods or "open" in mods) and word(kw) in COUNTED_PUBLIC:
                    first = toks[i].line
                    publics.append({
                        "file": rel, "line": toks[kw].line,
                        "start": first, "decl": lines[toks[kw].line - 1].strip(),
                        "documented": documented(first),
                    })
            elif top.kind == "accessors" and word(i) in ACCESSORS:
                accessor = {"depth": len(stack), "name": f"{top.name}.{t.text}", "line": t.line}
        if i in decl_at:
            kw = word(i)
            name = word(i + 1) or (toks[i + 1].text if i + 1 < n else "")
            if kw in ("func", "init", "deinit", "subscript"):
                if kw == "func" and i + 1 < n and toks[i + 1].kind == "punct":
                    k = i + 1            # an operator's name is its characters up to `(` or `<`
                    while k < n and toks[k].kind == "punct" and toks[k].text not in "(<":
                        k += 1
                    name = "".join(x.text for x in toks[i + 1:k])
                label = name if kw == "func" else kw
                pending = {"kind": "sub" if kw == "subscript" else "func", "depth": len(stack),
                           "paren": top.paren, "eq": False, "line": t.line, "name": label}
            elif kw == "var":
                pending = {"kind": "var", "depth": len(stack), "paren": top.paren, "eq": False,
                           "line": t.line, "name": name}
            else:
                pending = None
            continue
        # A property's declaration ends with its line, unless a bracket is still open.
        if pending and pending["kind"] == "var" and pending["depth"] == len(stack) and \
                top.paren == pending["paren"] and i > 0 and toks[i - 1].line < t.line:
            pending = None
        if t.kind != "punct":
            continue
        c = t.text
        if c in "([":
            top.paren += 1
        elif c in ")]":
            top.paren -= 1
        elif c == "=" and pending and pending["depth"] == len(stack) and top.paren == pending["paren"]:
            pending["eq"] = True
        elif c == ";" and pending and pending["depth"] == len(stack) and top.paren == pending["paren"]:
            pending = None
        elif c == "{":
            nxt = word(i + 1)
            frame = Frame("other", t.line)
            if pending and pending["depth"] == len(stack) and top.paren == pending["paren"]:
                after = word(i + 2) if nxt in ("mutating", "nonmutating") else nxt
                if toks[i + 1].kind == "attr" if i + 1 < n else False:
                    after = "get"
                if pending["kind"] == "func":
                    frame = Frame("func", t.line, pending["name"], pending["line"])
                    pending = None
                elif pending["kind"] == "var" and pending["eq"]:
                    if nxt in ("willSet", "didSet"):
                        frame = Frame("accessors", t.line, pending["name"], pending["line"])
                        pending = None
                elif after in ACCESSORS:
                    frame = Frame("accessors", t.line, pending["name"], pending["line"])
                    pending = None
                else:
                    frame = Frame("func", t.line, pending["name"], pending["line"])
                    pending = None
            elif accessor and accessor["depth"] == len(stack) and top.paren == 0:
                frame = Frame("func", t.line, accessor["name"], accessor["line"])
                accessor = None
            stack.append(frame)
        elif c == "}":
            if len(stack) > 1:
                frame = stack.pop()
                if frame.kind == "func":
                    functions.append({"file": rel, "line": frame.decl_line, "name": frame.name,
                                      "length": t.line - frame.line + 1})
            if pending and pending["depth"] > len(stack):
                pending = None
            if accessor and accessor["depth"] > len(stack):
                accessor = None
    if len(stack) != 1 or stack[0].paren != 0:
        print(f"code-metrics: {rel}: unbalanced braces or brackets; its numbers may be wrong",
              file=sys.stderr)
    return raw, code_lines, doc_lines, functions, publics


def nearest_rank(values, p):
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def measure(root, name, folder):
    files = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, folder)):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(".swift"):
                files.append(os.path.join(dirpath, f))
    if not files:
        return None
    row = {"target": name, "files": len(files), "lines": 0, "code_lines": 0, "doc_lines": 0,
           "files_over_400": [], "functions": [], "public": []}
    for path in files:
        rel = os.path.relpath(path, root)
        raw, code, doc, functions, publics = analyse(path, rel)
        row["lines"] += raw
        row["code_lines"] += code
        row["doc_lines"] += doc
        if raw > MAX_FILE_LINES:
            row["files_over_400"].append({"file": rel, "lines": raw})
        row["functions"] += functions
        row["public"] += publics
    return finish(row)


def finish(row):
    lengths = [f["length"] for f in row["functions"]]
    row["function_count"] = len(lengths)
    row["median"] = nearest_rank(lengths, 50)
    row["p90"] = nearest_rank(lengths, 90)
    row["public_total"] = len(row["public"])
    row["public_documented"] = sum(1 for p in row["public"] if p["documented"])
    row["doc_ratio"] = round(row["doc_lines"] / row["code_lines"], 3) if row["code_lines"] else 0.0
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="list undocumented public declarations")
    parser.add_argument("--long", type=int, metavar="N", help="list functions longer than N lines")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a limit is broken")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args()

    targets = []
    sources = os.path.join(args.root, "Sources")
    for name in sorted(os.listdir(sources)):
        if name in SKIPPED_TARGETS or not os.path.isdir(os.path.join(sources, name)):
            continue
        row = measure(args.root, name, os.path.join("Sources", name))
        if row:
            targets.append(row)
    for name, folder in EXTRA_TARGETS:
        if os.path.isdir(os.path.join(args.root, folder)):
            row = measure(args.root, name, folder)
            if row:
                targets.append(row)

    total = {"target": "total", "files": 0, "lines": 0, "code_lines": 0, "doc_lines": 0,
             "files_over_400": [], "functions": [], "public": []}
    for row in targets:
        for key in ("files", "lines", "code_lines", "doc_lines"):
            total[key] += row[key]
        for key in ("files_over_400", "functions", "public"):
            total[key] += row[key]
    total = finish(total)

    failures = []
    for row in targets:
        for f in row["files_over_400"]:
            failures.append(f"{f['file']} has {f['lines']} lines (limit {MAX_FILE_LINES})")
        undocumented = row["public_total"] - row["public_documented"]
        if undocumented:
            failures.append(f"{row['target']}: {undocumented} public declaration(s) without a /// comment")
        if row["median"] > MAX_MEDIAN:
            failures.append(f"{row['target']}: median function length {row['median']} (limit {MAX_MEDIAN})")
        if row["p90"] > MAX_P90:
            failures.append(f"{row['target']}: p90 function length {row['p90']} (limit {MAX_P90})")

    long_functions = []
    if args.long is not None:
        long_functions = sorted((f for f in total["functions"] if f["length"] > args.long),
                                key=lambda f: (-f["length"], f["file"], f["line"]))

    if args.json:
        def numbers(row):
            out = {k: row[k] for k in ("target", "files", "lines", "code_lines", "doc_lines",
                                       "doc_ratio", "function_count", "median", "p90",
                                       "public_total", "public_documented")}
            out["files_over_400"] = row["files_over_400"]
            out["undocumented"] = [{"file": p["file"], "line": p["line"], "decl": p["decl"]}
                                   for p in row["public"] if not p["documented"]]
            return out
        report = {"targets": [numbers(r) for r in targets], "total": numbers(total),
                  "failures": failures if args.check else []}
        if args.long is not None:
            report["long_functions"] = long_functions
        print(json.dumps(report, indent=2))
    else:
        header = f"{'target':<14}{'files':>6}{'lines':>8}{'>400':>6}{'funcs':>7}{'median':>8}{'p90':>5}" \
                 f"{'public doc':>12}{'doc/code':>10}"
        print(header)
        print("-" * len(header))
        for row in targets + [total]:
            if row is total:
                print("-" * len(header))
            doc = f"{row['public_documented']}/{row['public_total']}"
            print(f"{row['target']:<14}{row['files']:>6}{row['lines']:>8}{len(row['files_over_400']):>6}"
                  f"{row['function_count']:>7}{row['median']:>8}{row['p90']:>5}{doc:>12}{row['doc_ratio']:>10.3f}")
        over = total["files_over_400"]
        if over:
            print(f"\nfiles over {MAX_FILE_LINES} lines:")
            for f in over:
                print(f"  {f['file']} ({f['lines']})")
        if args.list:
            undocumented = [p for p in total["public"] if not p["documented"]]
            print(f"\nundocumented public declarations ({len(undocumented)}):")
            for p in undocumented:
                print(f"  {p['file']}:{p['line']}: {p['decl']}")
        if args.long is not None:
            print(f"\nfunctions longer than {args.long} lines ({len(long_functions)}):")
            for f in long_functions:
                print(f"  {f['file']}:{f['line']} {f['name']} ({f['length']})")
        if args.check:
            print()
            for failure in failures:
                print(f"check: {failure}")
            print("check: " + ("failed" if failures else "passed"))
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
