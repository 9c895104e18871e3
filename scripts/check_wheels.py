#!/usr/bin/env python3
"""Checks what the wheels of ``./dev wheels`` hold, for each series: every file of the addon under git
control (less its pyproject.toml), its manifest with the series' full version, the requirement of that
Odoo series only, and for the bridge the requirements of queue_job and of dunning_notices of the same series.

    python3 scripts/check_wheels.py <dist folder> <series>... (run by ./dev wheels)
"""

import ast
import email.parser
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# addon: the addons (wheels) it must require besides Odoo
ADDONS = {"dunning_notices": set(), "dunning_notices_queue_job": {"queue_job", "dunning_notices"}}


def requirements(metadata):
    return [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]


def in_series(requirement, series):
    """True when ``requirement`` admits the series' releases and nothing of the series before or after."""
    major = int(series.split(".")[0])
    admitted = [f"{series}", f"{series}.1.3.0", f"{series}.99"]
    refused = [f"{major - 1}.0", f"{major - 1}.0.99", f"{major}.1", f"{major + 1}.0"]
    spec = requirement.specifier
    return all(spec.contains(v, prereleases=True) for v in admitted) and not any(
        spec.contains(v, prereleases=True) for v in refused
    )


def check(dist, series, addon, errors):
    wheels = sorted((dist / series).glob(f"odoo_addon_{addon}-{series}.*-py3-none-any.whl"))
    if len(wheels) != 1:
        errors.append(f"{series}: expected one wheel of {addon} in {dist / series}, found {len(wheels)}")
        return
    wheel = zipfile.ZipFile(wheels[0])
    names = set(wheel.namelist())
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", addon], check=True, capture_output=True, text=True
    ).stdout.split()
    # whool packs the files under git control, less pyproject.toml
    expected = {f"odoo/addons/{path}" for path in tracked if path != f"{addon}/pyproject.toml"}
    if missing := sorted(expected - names):
        errors.append(f"{wheels[0].name}: {len(missing)} files of the addon missing, e.g. {missing[:3]}")
    manifest = ast.literal_eval(wheel.read(f"odoo/addons/{addon}/__manifest__.py").decode())
    if not manifest["version"].startswith(f"{series}."):
        errors.append(f"{wheels[0].name}: manifest version {manifest['version']} is not of {series}")
    [metadata_name] = [name for name in names if name.endswith(".dist-info/METADATA")]
    metadata = email.parser.Parser().parsestr(wheel.read(metadata_name).decode())
    by_name = {requirement.name.lower().replace("_", "-"): requirement for requirement in requirements(metadata)}
    for name in ["odoo", *(f"odoo-addon-{dep}".replace("_", "-") for dep in sorted(ADDONS[addon]))]:
        requirement = by_name.pop(name, None)
        if requirement is None:
            errors.append(f"{wheels[0].name}: no requirement of {name}")
        elif not in_series(requirement, series):
            errors.append(f"{wheels[0].name}: {requirement} does not select Odoo {series} only")
    if by_name:
        errors.append(f"{wheels[0].name}: unexpected requirements {sorted(map(str, by_name.values()))}")
    print(f"{wheels[0].name}: {len(expected)} files, requires {', '.join(map(str, requirements(metadata)))}")


def main():
    dist, series_list = Path(sys.argv[1]), sys.argv[2:]
    errors = []
    for series in series_list:
        for addon in ADDONS:
            check(dist, series, addon, errors)
    for error in errors:
        print(f"check_wheels: {error}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
