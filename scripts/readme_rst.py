#!/usr/bin/env python3
"""Write each addon's README.rst from its OCA-style readme/ fragments (DESCRIPTION, CONFIGURE, USAGE,
CONTRIBUTORS), as OCA's generator does, without it (it is not on PyPI). The fragments are written in the
Markdown subset that reads the same in reStructuredText ("-" lists, *emphasis*, **strong**); inline code in
`backticks` becomes ``literal``. ``--check`` fails when a README.rst is not what its fragments give."""

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("dunning_notices", "dunning_notices_queue_job")
SECTIONS = (("DESCRIPTION", None), ("CONFIGURE", "Configuration"), ("USAGE", "Usage"), ("CONTRIBUTORS", "Contributors"))


def to_rst(markdown):
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", markdown.strip())


def render(addon):
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
    title = manifest["name"]
    parts = ["=" * len(title), title, "=" * len(title), ""]
    parts += [f"**{manifest['summary']}**", "", f"License: {manifest['license']}. Authors: {manifest['author']}.", ""]
    for fragment, heading in SECTIONS:
        path = ROOT / addon / "readme" / f"{fragment}.md"
        if not path.exists():
            continue
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [to_rst(path.read_text()), ""]
    return "\n".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a README.rst is out of date")
    args = parser.parse_args()
    stale = []
    for addon in ADDONS:
        target = ROOT / addon / "README.rst"
        text = render(addon)
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(text)
    if stale:
        sys.exit(f"out of date (run scripts/readme_rst.py): {', '.join(stale)}")


if __name__ == "__main__":
    main()
