#!/usr/bin/env python3
"""Writes the word lists Session 8's R6 and R9 need (see REPORT.md, "Word lists"), from Debian's
wamerican / wbritish (/usr/share/dict; SCOWL, keep its copyright notice with the lists):

    proper.txt    words the lists give only capitalised (names), lower-cased: ~9,600, ~75 KB
    lower4.txt    (optional, R6's unknown-word half) the distinct first four letters of the
                  lower-case words: ~9,400 entries, ~46 KB

One entry a line, sorted. The same sets as proto.word_lists().

    python3 wordlists.py OUT_DIR
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proto  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
proper, lower = proto.word_lists()
if not lower:
    sys.exit("no word lists in /usr/share/dict (apt-get install wamerican wbritish)")
out.mkdir(parents=True, exist_ok=True)
for name, words in (("proper.txt", proper), ("lower4.txt", {w[:4] for w in lower})):
    text = "\n".join(sorted(words)) + "\n"
    (out / name).write_text(text)
    print(f"{name}: {len(words)} entries, {len(text.encode())} bytes")
