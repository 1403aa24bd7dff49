"""Write genai_demo/assets/tang.txt: the verse of the 300 Tang poems, one line of the source per line.

    apt-get install fortunes-zh        # Debian package 2.98: /usr/share/games/fortunes/tang300
    python scripts/make_tang_corpus.py [path/to/tang300]

The source is a fortune(6) file: poems separated by lines holding "%", each poem a green title line
("\\x1b[32m《…》\\x1b[m"), a yellow author line ("\\x1b[33m作者：…\\x1b[m"), then the verse, usually one couplet
per line ("床前明月光，疑是地上霜。"). Kept: the verse lines as they are, punctuation included. Dropped: the
colour codes with the title and author lines they wrap, the "%" separators, and the prose preface of the six
poems titled "…・并序" (everything before the blank line that ends the preface). A blank line separates poems
in the output (the loader skips blank lines; they only keep the poems visible). Provenance and licence:
genai_demo/assets/CORPUS.md.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

SOURCE = Path("/usr/share/games/fortunes/tang300")
OUT = Path(__file__).resolve().parent.parent / "genai_demo" / "assets" / "tang.txt"
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # ANSI colour codes (SGR), e.g. "\x1b[32m" … "\x1b[m"
PREFACE_MARK = "并序"  # "with a preface" in a title: prose comes first, then a blank line, then the verse


def poems(text: str) -> list[list[str]]:
    """The verse lines of each poem, in the file's order."""
    out = []
    for block in text.split("\n%\n"):
        lines = block.split("\n")
        if not any("\x1b" in line for line in lines):  # the empty tail after the last "%"
            continue
        title = ESCAPE.sub("", lines[0])
        body = [line for line in lines if "\x1b" not in line]  # drop the coloured title and author lines
        if PREFACE_MARK in title:
            blank = next((i for i, line in enumerate(body) if i > 0 and not line.strip()), None)
            if blank is None:
                raise SystemExit(f"{title}: a preface without the blank line that should end it")
            body = body[blank + 1:]
        verse = [line.strip() for line in body if line.strip()]
        if verse:
            out.append(verse)
    return out


def render(found: list[list[str]]) -> str:
    """The asset's text: a line per line of verse, a blank line between poems."""
    return "\n\n".join("\n".join(p) for p in found) + "\n"


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else SOURCE
    if not src.is_file():
        print(f"{src} not found: apt-get install fortunes-zh (or pass the tang300 file)", file=sys.stderr)
        return 1
    found = poems(src.read_text(encoding="utf-8"))
    text = render(found)
    OUT.write_text(text, encoding="utf-8")
    n = sum(map(len, found))
    print(f"{OUT}: {len(found)} poems, {n} lines, {len(text.replace(chr(10), ''))} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
