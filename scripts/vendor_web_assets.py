"""Vendor the web app's front-end libraries from the npm registry into the package.

Runs ``npm install`` of the pinned versions in a temporary folder and copies their browser
builds to ``bot/web/ui/static/vendor/`` with a VERSIONS.txt; the copied files are committed, so
neither a build nor the running server needs npm or a CDN. Re-run after changing PINS:

    python scripts/vendor_web_assets.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PINS = {"vis-timeline": "8.5.4", "chart.js": "4.6.1"}
FILES = {  # package -> (file in the package, name in vendor/)
    "vis-timeline": [
        ("standalone/umd/vis-timeline-graph2d.min.js", "vis-timeline-graph2d.min.js"),
        ("styles/vis-timeline-graph2d.min.css", "vis-timeline-graph2d.min.css"),
        ("LICENSE.MIT.txt", "vis-timeline.LICENSE.MIT.txt"),
    ],
    "chart.js": [
        ("dist/chart.umd.min.js", "chart.umd.min.js"),
        ("LICENSE.md", "chart.js.LICENSE.md"),
    ],
}
DEST = Path(__file__).resolve().parents[1] / "bot" / "web" / "ui" / "static" / "vendor"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "package.json").write_text(json.dumps({"name": "paichan-vendor", "private": True}))
        specs = [f"{name}@{version}" for name, version in PINS.items()]
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact", *specs],
                       cwd=tmp, check=True)
        DEST.mkdir(parents=True, exist_ok=True)
        lines = []
        for package, files in FILES.items():
            root = Path(tmp) / "node_modules" / package
            version = json.loads((root / "package.json").read_text())["version"]
            for src, name in files:
                shutil.copyfile(root / src, DEST / name)
                digest = hashlib.sha256((DEST / name).read_bytes()).hexdigest()
                lines.append(f"{package}@{version}  {src} -> {name}  sha256:{digest}")
        (DEST / "VERSIONS.txt").write_text("\n".join(lines) + "\n")
    print((DEST / "VERSIONS.txt").read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
