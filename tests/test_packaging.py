"""A city installs Madoguchi with `pip install .` (deploy/README.md): every file the code reads must be in the wheel."""
from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _packaged(path: str, package_data: dict[str, list[str]]) -> bool:
    top, _, rest = path.partition("/")
    patterns = package_data.get("*", []) + package_data.get(top, [])
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, pattern) or rest == pattern for pattern in patterns)


def test_every_data_file_of_the_packages_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = config["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in tool["packages"]["find"]["include"]]
    tracked = subprocess.run(["git", "ls-files", *packages], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    data_files = [path for path in tracked if not path.endswith((".py", "README.md"))]
    assert data_files, "git ls-files found the packages' files"
    missing = [path for path in data_files if not _packaged(path, tool["package-data"])]
    assert missing == [], "add these to [tool.setuptools.package-data] in pyproject.toml"
