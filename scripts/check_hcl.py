#!/usr/bin/env python3
"""Parse the Terraform files and check `terraform fmt` style without the binary.

For every terraform/*.tf (and *.tfvars, *.tfvars.example) file:

1. parse it with python-hcl2: a parse error fails the check;
2. check the canonical `terraform fmt` layout, re-implementing the rules of
   hclwrite's formatter (which `terraform fmt` uses) that matter in practice:
   - UTF-8, LF line endings, no tabs, no trailing whitespace;
   - the file ends with exactly one newline;
   - indentation: 2 spaces per open bracket level, computed per line the
     way hclwrite does it (a line that opens several brackets indents the
     next lines one level only);
   - `=` of consecutive single-line attributes aligned one column after the
     longest name (a blank line, a comment line, a block header or a
     multi-line value ends the group), and one space after it;
   - trailing comments of consecutive lines aligned the same way;
   - spacing: no double spaces inside code, one space around `=`, after `,`
     and inside one-line `{ ... }`, none before `,` or inside `[...]`/`(...)`.

Strings, heredocs and comments are lexed so their content is never mistaken
for code. Run with --self-test to check the checker on known-bad snippets.

Usage: check_hcl.py [--self-test] [FILE_OR_DIR ...]   (default: terraform/)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

OPEN = "{[("
CLOSE = "}])"
TWO_CHAR_OPS = ("==", "!=", "<=", ">=", "=>", "&&", "||", "::")


@dataclass
class Tok:
    kind: str  # open, close, eq, op, word, str, heredoc, comment
    text: str
    line: int  # 0-based line where the token starts
    col: int  # 0-based column where it starts
    end_line: int
    end_col: int  # column just past the token on end_line

    @property
    def bracket(self) -> int:
        if self.kind == "open":
            return 1
        if self.kind == "close":
            return -1
        return 0


class LexError(Exception):
    pass


class Lexer:
    """Just enough of an HCL lexer: brackets, `=`, strings, heredocs, comments."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.line = 0
        self.col = 0
        self.toks: list[Tok] = []

    def _adv(self, n: int = 1) -> None:
        for _ in range(n):
            if self.s[self.i] == "\n":
                self.line += 1
                self.col = 0
            else:
                self.col += 1
            self.i += 1

    def _peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def _emit(self, kind: str, start: int, line: int, col: int) -> None:
        self.toks.append(Tok(kind, self.s[start : self.i], line, col, self.line, self.col))

    def _string(self) -> None:
        """Consume a quoted template, nested interpolations included."""
        self._adv()  # opening quote
        while True:
            c = self._peek()
            if c == "" or c == "\n":
                raise LexError(f"line {self.line + 1}: unterminated string")
            if c == "\\":
                self._adv(2)
            elif c in "$%" and self._peek(1) == c and self._peek(2) == "{":
                self._adv(3)  # escaped $${ or %%{
            elif c in "$%" and self._peek(1) == "{":
                self._adv(2)
                self._expr_until_close()
            elif c == '"':
                self._adv()
                return
            else:
                self._adv()

    def _expr_until_close(self) -> None:
        """Inside ${ ... }: skip to the matching }, minding nested strings."""
        depth = 1
        while depth:
            c = self._peek()
            if c == "":
                raise LexError(f"line {self.line + 1}: unterminated interpolation")
            if c == '"':
                self._string()
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            self._adv()

    def _heredoc(self) -> bool:
        m = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\n").match(self.s, self.i)
        if not m:
            return False
        marker = m.group(2)
        self._adv(m.end() - self.i)
        while True:
            if self.i >= len(self.s):
                raise LexError(f"unterminated heredoc {marker}")
            nl = self.s.find("\n", self.i)
            end = len(self.s) if nl < 0 else nl
            if self.s[self.i : end].strip() == marker:
                self._adv(end - self.i)
                return True
            self._adv(end - self.i + 1)

    def run(self) -> list[Tok]:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            start, line, col = self.i, self.line, self.col
            if c == "\n" or c in " \t\r":
                self._adv()
            elif c == "#" or s.startswith("//", self.i):
                while self._peek() not in ("", "\n"):
                    self._adv()
                self._emit("comment", start, line, col)
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise LexError(f"line {line + 1}: unterminated /* comment")
                self._adv(end + 2 - self.i)
                self._emit("comment", start, line, col)
            elif c == '"':
                self._string()
                self._emit("str", start, line, col)
            elif s.startswith("<<", self.i) and self._heredoc():
                self._emit("heredoc", start, line, col)
            elif c in OPEN:
                self._adv()
                self._emit("open", start, line, col)
            elif c in CLOSE:
                self._adv()
                self._emit("close", start, line, col)
            elif s.startswith("...", self.i):
                self._adv(3)
                self._emit("op", start, line, col)
            elif s[self.i : self.i + 2] in TWO_CHAR_OPS:
                self._adv(2)
                self._emit("op", start, line, col)
            elif c == "=":
                self._adv()
                self._emit("eq", start, line, col)
            elif c.isalnum() or c == "_":
                while self._peek() and (self._peek().isalnum() or self._peek() in "_-"):
                    self._adv()
                self._emit("word", start, line, col)
            else:
                self._adv()
                self._emit("op", start, line, col)
        return self.toks


@dataclass
class Line:
    no: int
    text: str
    toks: list[Tok] = field(default_factory=list)
    covered: bool = False  # inside a multi-line token (heredoc body, /* */)

    @property
    def code(self) -> list[Tok]:
        """Tokens without a trailing comment."""
        if len(self.toks) > 1 and self.toks[-1].kind == "comment":
            return self.toks[:-1]
        return self.toks

    @property
    def trailing_comment(self) -> Tok | None:
        if len(self.toks) > 1 and self.toks[-1].kind == "comment":
            return self.toks[-1]
        return None

    def assign(self) -> Tok | None:
        """The `=` of a single-line attribute, as hclwrite's formatCells sees it:
        the first `=` after the first token, if the brackets from there to the
        end of the line balance (`x = {` opens a multi-line value: not aligned).
        A heredoc is one token here, so `x = <<EOT` counts as single-line."""
        code = self.code
        for idx, tok in enumerate(code):
            if idx > 0 and tok.kind == "eq":
                return tok if sum(t.bracket for t in code[idx:]) == 0 else None
        return None


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    groups: int = 0
    aligned_attrs: int = 0
    lines: int = 0

    def add(self, path: str, line: int, msg: str) -> None:
        self.problems.append(f"{path}:{line + 1}: {msg}")


def split_lines(text: str, toks: list[Tok]) -> list[Line]:
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    lines = [Line(i, t) for i, t in enumerate(raw)]
    for tok in toks:
        if tok.line < len(lines):
            lines[tok.line].toks.append(tok)
        for covered in range(tok.line + 1, min(tok.end_line, len(lines) - 1) + 1):
            lines[covered].covered = True
    return lines


def check_text(path: str, text: str, rep: Report) -> None:
    if "\r" in text:
        rep.add(path, text[: text.index("\r")].count("\n"), "CR character (use LF line endings)")
    if not text.endswith("\n"):
        rep.add(path, text.count("\n"), "file does not end with a newline")
    elif text.endswith("\n\n"):
        rep.add(path, text.rstrip("\n").count("\n") + 1, "file ends with more than one newline")
    try:
        toks = Lexer(text).run()
    except LexError as e:
        rep.add(path, 0, f"lexer: {e}")
        return
    lines = split_lines(text, toks)
    rep.lines += len(lines)

    for ln in lines:
        if "\t" in ln.text:
            rep.add(path, ln.no, "tab character")
        if ln.text != ln.text.rstrip(" \t"):
            rep.add(path, ln.no, "trailing whitespace")

    check_indentation(path, lines, rep)
    check_alignment(path, lines, rep)
    check_spacing(path, lines, rep)


def check_indentation(path: str, lines: list[Line], rep: Report) -> None:
    # hclwrite formatIndent: a line with a net increase of open brackets
    # pushes one indent level (remembering how many it opened); closers pop.
    indents: list[int] = []
    for ln in lines:
        if ln.covered or not ln.toks:
            continue
        net = sum(t.bracket for t in ln.code)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        want = 2 * len(indents)
        have = len(ln.text) - len(ln.text.lstrip(" "))
        if have != want:
            rep.add(path, ln.no, f"indentation is {have} spaces, terraform fmt wants {want}")
        if net > 0:
            indents.append(net)


def check_alignment(path: str, lines: list[Line], rep: Report) -> None:
    def close_chain(chain: list[tuple[Line, Tok]], what: str, end_of_lead) -> None:
        if not chain:
            return
        want = max(end_of_lead(ln, tok) for ln, tok in chain) + 1
        if what == "=":
            rep.groups += 1
            rep.aligned_attrs += len(chain)
        for ln, tok in chain:
            if tok.col != want:
                rep.add(
                    path,
                    ln.no,
                    f"'{what}' at column {tok.col + 1}, terraform fmt aligns it at column {want + 1}"
                    f" (group of {len(chain)} line(s) from line {chain[0][0].no + 1})",
                )

    def lead_end(ln: Line, eq: Tok) -> int:
        before = [t for t in ln.code if t.col < eq.col]
        return before[-1].end_col

    def code_end(ln: Line, comment: Tok) -> int:
        return ln.code[-1].end_col

    chain: list[tuple[Line, Tok]] = []
    for ln in lines:
        eq = None if ln.covered else ln.assign()
        if eq is None:
            close_chain(chain, "=", lead_end)
            chain = []
        else:
            chain.append((ln, eq))
            after = ln.text[eq.end_col : eq.end_col + 2]
            if after[:1] != " " or after[1:2] == " ":
                rep.add(path, ln.no, "'=' must be followed by exactly one space")
    close_chain(chain, "=", lead_end)

    chain = []
    for ln in lines:
        com = None if ln.covered else ln.trailing_comment
        if com is None:
            close_chain(chain, "#", code_end)
            chain = []
        else:
            chain.append((ln, com))
    close_chain(chain, "#", code_end)


def check_spacing(path: str, lines: list[Line], rep: Report) -> None:
    for ln in lines:
        if ln.covered:
            continue
        code = ln.code
        eq = ln.assign()
        for prev, tok in zip(code, code[1:]):
            if prev.end_line != tok.line:
                continue
            gap = tok.col - prev.end_col
            if tok is eq:
                continue  # alignment, checked above
            want = space_between(prev, tok)
            if want is None:
                continue
            if gap != want:
                what = "one space" if want else "no space"
                rep.add(path, ln.no, f"want {what} between '{prev.text[-12:]}' and '{tok.text[:12]}'")
        com = ln.trailing_comment
        if com is not None and com.col - code[-1].end_col < 1:
            rep.add(path, ln.no, "trailing comment must be preceded by a space")


def space_between(a: Tok, b: Tok) -> int | None:
    """Spaces hclwrite puts between two tokens on one line (None: not checked)."""
    if b.text == "," or b.text == "..." or a.text == "." or b.text == ".":
        return 0
    if a.text == ",":
        return 1
    if a.kind == "word" and b.text == "(":
        return 0  # function call
    if b.text == "[" and (a.kind == "word" or a.kind == "close"):
        return 0  # index
    if a.text == "{" and b.text == "}":
        return 0
    if a.text == "{" or b.text == "}":
        return 1
    if a.kind == "open":
        return 0
    if b.kind == "close":
        return 0
    if a.kind == "eq" or b.kind == "eq":
        return 1
    if a.text in ("!", "-") or b.text in (":", "?") or a.text in (":", "?"):
        return None  # unary operators and for/conditional punctuation: not checked
    if a.kind == "op" or b.kind == "op":
        return None
    return 1


def check_file(path: Path, rep: Report) -> str:
    import hcl2  # python-hcl2

    text = path.read_bytes().decode("utf-8")
    with path.open(encoding="utf-8") as fh:
        try:
            doc = hcl2.load(fh)
        except Exception as e:  # noqa: BLE001 - any parser error fails the file
            rep.add(str(path), 0, f"python-hcl2 parse error: {type(e).__name__}: {e}")
            doc = None
    before = len(rep.problems)
    check_text(str(path), text, rep)
    if doc is None:
        return "PARSE ERROR"
    keys = [k for k in doc if not k.startswith("__")]
    if path.suffix == ".tf":
        # top-level blocks: resource x8, variable x16, ...
        summary = ", ".join(f"{k} x{len(doc[k]) if isinstance(doc[k], list) else 1}" for k in keys)
    else:
        summary = f"{len(keys)} variable value(s)"
    status = "ok" if len(rep.problems) == before else f"{len(rep.problems) - before} problem(s)"
    return f"parsed ({summary}); format {status}"


def collect(args: list[str]) -> list[Path]:
    root = Path(__file__).resolve().parent.parent
    targets = [Path(a) for a in args] or [root / "terraform"]
    files: list[Path] = []
    for t in targets:
        if t.is_dir():
            for pattern in ("*.tf", "*.tfvars", "*.tfvars.example"):
                files.extend(sorted(t.glob(pattern)))
        else:
            files.append(t)
    return files


SELF_TESTS = {
    "good": ('a {\n  bb  = 1\n  ccc = [1, 2]\n\n  d = { x = 1 }\n  e = merge(f, {\n    g = 1\n  })\n}\n', 0),
    "misaligned": ('a {\n  bb = 1\n  ccc = 2\n}\n', 1),
    "over-aligned": ('a {\n  bb   = 1\n  ccc  = 2\n}\n', 2),
    "indent": ('a {\n   b = 1\n}\n', 1),
    "tab": ('a {\n\tb = 1\n}\n', 2),
    "trailing-space": ('a {\n  b = 1 \n}\n', 1),
    "no-final-newline": ('a {\n  b = 1\n}', 1),
    "two-final-newlines": ('a {\n  b = 1\n}\n\n', 1),
    "spacing": ('a {\n  b = [ 1,2 ]\n  c = {x = 1}\n}\n', 5),
    "string-content-ignored": ('a {\n  b = "x  =  {  [ y"\n  c = "${f("z")}  #"\n}\n', 0),
    "heredoc": ('x = <<-EOT\n   free   text = here\n\tEOT\ny = 1\n', 1),
    "comments": ('a {\n  b = 1 # one\n  cc = 2 # two\n}\n', 2),
}


def self_test() -> int:
    failures = 0
    for name, (text, want) in SELF_TESTS.items():
        rep = Report()
        check_text(name, text, rep)
        got = len(rep.problems)
        ok = got == want
        failures += not ok
        print(f"  self-test {name:24s} {'ok' if ok else 'FAIL'} ({got} problem(s), want {want})")
        if not ok:
            for p in rep.problems:
                print("    " + p)
    return failures


def main(argv: list[str]) -> int:
    args = list(argv)
    if "--self-test" in args:
        args.remove("--self-test")
        print("check_hcl: self-test of the format rules")
        if self_test():
            print("check_hcl: self-test FAILED")
            return 1
        if not args:
            return 0
    files = collect(args)
    if not files:
        print("check_hcl: no Terraform files found", file=sys.stderr)
        return 1
    rep = Report()
    print(
        "check_hcl: python-hcl2 parse + terraform fmt style (2-space indent, no tabs, no trailing"
        " whitespace, single final newline, '=' and comment alignment, token spacing)"
    )
    cwd = Path.cwd()
    for f in files:
        shown = f.resolve().relative_to(cwd) if f.resolve().is_relative_to(cwd) else f
        print(f"  {shown}: {check_file(f, rep)}")
    print(
        f"check_hcl: {len(files)} file(s), {rep.lines} line(s), {rep.groups} attribute group(s)"
        f" with {rep.aligned_attrs} aligned '=' checked"
    )
    if rep.problems:
        print(f"check_hcl: {len(rep.problems)} problem(s):")
        for p in rep.problems:
            print("  " + p)
        return 1
    print("check_hcl: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
