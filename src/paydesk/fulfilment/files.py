"""The files digital products deliver: a product's `resource` that is not a URL names a file in
CATALOG_FILES (by default the folder of the catalog file, or the demo's own files).

A name from the catalog is still only trusted to point inside that folder: `..`, absolute paths
and symlinks leading out are refused.
"""

from __future__ import annotations

from pathlib import Path

from paydesk.catalog.model import DEMO_CATALOG
from paydesk.settings import Settings

DEMO_FILES = DEMO_CATALOG.parent / "demo_files"


def files_root(settings: Settings) -> Path:
    if settings.catalog_files:
        return Path(settings.catalog_files)
    if settings.catalog_file:
        return Path(settings.catalog_file).parent
    return DEMO_FILES


def is_url(resource: str) -> bool:
    return resource.startswith(("https://", "http://"))


def file_for(root: Path, resource: str | None) -> Path | None:
    """The file `resource` names inside `root`, or None (a URL, missing, or outside root)."""
    if not resource or is_url(resource):
        return None
    base = root.resolve()
    candidate = (base / resource).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate
