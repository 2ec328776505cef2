"""The categories catalogue: the default for みなと市, and a city's own file checked before use."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.catalogue import DEFAULT_CATALOGUE, MAX_CATEGORIES, CatalogueError, load_catalogue
from reports.status import ReportStatus, can_change, open311_status


def test_the_default_catalogue_has_the_issues_categories_and_other_last() -> None:
    names = [c.name for c in DEFAULT_CATALOGUE.categories]
    assert len(names) == 12 and names[-1] == "その他"
    assert DEFAULT_CATALOGUE.department_of("park_toilet").name == "公園緑地課"
    assert DEFAULT_CATALOGUE.department_of("unknown").name == "みなと市役所 代表"


def _write(tmp_path: Path, categories: list[dict]) -> Path:
    path = tmp_path / "categories.json"
    path.write_text(json.dumps({"departments": [{"key": "main", "name": "代表", "phone": "000-1"}],
                                "categories": categories}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_city_file_replaces_the_catalogue(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, [{"code": "snow", "name": "除雪", "department": "main"},
                                                 {"code": "other", "name": "その他", "department": "main"}]))
    assert [c.code for c in catalogue.categories] == ["snow", "other"]


@pytest.mark.parametrize("categories", [
    [{"code": "snow", "name": "除雪", "department": "main"}],                      # no その他
    [{"code": "other", "name": "その他", "department": "nowhere"}],                # unknown department
    [{"code": f"c{i}", "name": f"c{i}", "department": "main"} for i in range(MAX_CATEGORIES + 1)]
    + [{"code": "other", "name": "その他", "department": "main"}],                 # too many
    [{"name": "名前だけ"}],
])
def test_a_city_file_that_citizens_could_not_use_is_refused(tmp_path: Path, categories) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(_write(tmp_path, categories))


@pytest.mark.parametrize(("old", "new", "allowed"), [
    (ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS, True),
    (ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, True),
    (ReportStatus.RESOLVED, ReportStatus.IN_PROGRESS, True),   # a repair that did not hold
    (ReportStatus.RESOLVED, ReportStatus.REJECTED, False),
    (ReportStatus.DRAFT, ReportStatus.RECEIVED, False),        # only submitting receives a draft
])
def test_the_status_workflow(old, new, allowed) -> None:
    assert can_change(old, new) is allowed


def test_open311_knows_only_open_and_closed() -> None:
    assert [open311_status(s) for s in (ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED,
                                        ReportStatus.DUPLICATE)] == ["open", "open", "closed", "closed"]
