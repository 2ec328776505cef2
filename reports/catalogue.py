"""What citizens can report and who fixes it: categories, departments and their phone numbers.

A city edits this catalogue (or replaces it with REPORT_CATEGORIES_FILE, a JSON file of the
same shape) without touching code. The names are what citizens read in LINE and what the
Open311 API publishes as service_name. Pure: no Flask, SQLAlchemy or LINE.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAX_CATEGORIES = 20  # quick replies hold 13, so the category prompt pages through them
OTHER = "other"


class CatalogueError(Exception):
    """The categories file does not describe a usable catalogue."""


@dataclass(frozen=True)
class Department:
    """A section of city hall that fixes things, with the number citizens call when it is urgent."""

    key: str
    name: str
    phone: str


@dataclass(frozen=True)
class Category:
    """One kind of damage a citizen can report (an Open311 service)."""

    code: str
    name: str
    group: str          # Open311 `group`: 道路, 公園, 河川, 環境, その他
    department: str     # Department.key
    description: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Categories in the order citizens see them, the departments, and the city's main number."""

    categories: tuple[Category, ...]
    departments: dict[str, Department]
    main_department: str

    def category(self, code: str) -> Category | None:
        """The category with this code, or None."""
        return next((c for c in self.categories if c.code == code), None)

    def department_of(self, category_code: str) -> Department:
        """Who handles a category (the main number when the category is unknown)."""
        category = self.category(category_code)
        key = category.department if category else self.main_department
        return self.departments.get(key) or self.departments[self.main_department]

    @property
    def main(self) -> Department:
        """The switchboard: the number for anything outside the categories (or the city)."""
        return self.departments[self.main_department]


# The fictional みなと市. Phone numbers use the 000 exchange, which no real line has.
DEFAULT_DEPARTMENTS = (
    Department("road", "道路管理課", "000-100-2001"),
    Department("park", "公園緑地課", "000-100-2002"),
    Department("river", "河川課", "000-100-2003"),
    Department("environment", "環境政策課", "000-100-2004"),
    Department("main", "みなと市役所 代表", "000-100-1000"),
)
DEFAULT_CATEGORIES = (
    Category("road_surface", "道路の穴・段差", "道路", "road", "舗装の穴、段差、ひび割れ"),
    Category("gutter", "側溝・ふた", "道路", "road", "側溝の詰まり、ふたの破損"),
    Category("street_light", "街路灯", "道路", "road", "街路灯の球切れ、点滅、破損"),
    Category("curve_mirror", "カーブミラー", "道路", "road", "カーブミラーの破損、向きのずれ"),
    Category("guardrail", "ガードレール・柵", "道路", "road", "ガードレールや柵の破損"),
    Category("sign", "道路標識・看板", "道路", "road", "標識の破損、見えにくい看板"),
    Category("street_tree", "街路樹", "道路", "park", "枝の張り出し、倒木のおそれ"),
    Category("park_equipment", "公園の遊具・設備", "公園", "park", "遊具、ベンチ、フェンスの破損"),
    Category("park_toilet", "公園のトイレ", "公園", "park", "トイレの故障、汚れ"),
    Category("river", "河川・水路", "河川", "river", "水路の詰まり、護岸の破損"),
    Category("illegal_dumping", "不法投棄", "環境", "environment", "道路や空き地へのごみの投棄"),
    Category(OTHER, "その他", "その他", "main", "上記にあてはまらないもの"),
)
DEFAULT_CATALOGUE = Catalogue(DEFAULT_CATEGORIES, {d.key: d for d in DEFAULT_DEPARTMENTS}, "main")


def check_catalogue(catalogue: Catalogue) -> Catalogue:
    """Refuse a catalogue citizens could not use: too many categories, no その他, unknown departments."""
    codes = [c.code for c in catalogue.categories]
    if not 1 <= len(codes) <= MAX_CATEGORIES + 1:
        raise CatalogueError(f"between 1 and {MAX_CATEGORIES} categories plus その他, got {len(codes)}")
    if len(set(codes)) != len(codes):
        raise CatalogueError("category codes must be unique")
    if OTHER not in codes:
        raise CatalogueError(f"a category with code {OTHER!r} (その他) is required")
    if catalogue.main_department not in catalogue.departments:
        raise CatalogueError(f"main department {catalogue.main_department!r} is not defined")
    unknown = [c.code for c in catalogue.categories if c.department not in catalogue.departments]
    if unknown:
        raise CatalogueError(f"categories with an unknown department: {', '.join(unknown)}")
    return catalogue


def load_catalogue(path: str | Path) -> Catalogue:
    """Read a catalogue JSON file: {"departments": [{key,name,phone}], "categories": [...], "main": key}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        departments = {d["key"]: Department(d["key"], d["name"], d["phone"]) for d in data["departments"]}
        categories = tuple(Category(c["code"], c["name"], c.get("group", ""), c["department"],
                                    c.get("description", "")) for c in data["categories"])
        return check_catalogue(Catalogue(categories, departments, data.get("main", "main")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{path}: {type(exc).__name__}: {exc}") from exc
