"""Territories: the KATO importer (CSV and the official workbook), the tree, search, pages and API."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from core.audit import AuditEntry
from core.territories.importer import derive_tree, read_rows
from core.territories.models import Territory
from core.territories.services import (
    ImportResult,
    KatoImportError,
    children_of,
    get_territory,
    import_file,
    import_rows,
    search_territories,
)
from tests.conftest import KATO_FULL, KATO_SAMPLE, count

FIELDS = ("code", "parent_code", "level", "name_kk", "name_ru", "name_en")


def sample_rows() -> list[dict]:
    with open(KATO_SAMPLE, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path, rows, fields=FIELDS):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_official_xlsx(path, rows, title_rows=True):
    """The stat.gov.kz layout: te, ab, cd, ef, hij, k, kaz_name, rus_name, nn (headers in any case/order)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if title_rows:
        sheet.append(["Классификатор административно-территориальных объектов"])
        sheet.append([])
    sheet.append(["NN", "TE", "AB", "CD", "EF", "HIJ", "K", "Kaz_name", "Rus_name"])
    for n, row in enumerate(rows, start=1):
        code = row["code"]
        sheet.append([n, int(code), code[:2], code[2:4], code[4:6], code[6:], "0", row["name_kk"], row["name_ru"]])
    workbook.save(path)
    return path


def tree(rows) -> dict:
    return {r["code"]: (r["parent_code"] or None, int(r["level"])) for r in rows}


@pytest.fixture
def empty(db, kato):
    """No territories or authorities inside this test's transaction."""
    from core.authorities.models import Authority

    db.session.execute(sa.update(Authority).values(parent_id=None))
    db.session.execute(sa.delete(Authority))
    db.session.execute(sa.update(Territory).values(parent_code=None))
    db.session.execute(sa.delete(Territory))
    db.session.flush()
    return db


# -- importer -------------------------------------------------------------------------------------------


def test_csv_import_builds_the_tree(empty):
    result = import_file(KATO_SAMPLE)
    assert result == ImportResult(added=228, updated=0, unchanged=0)
    assert count(Territory) == 228
    levels = dict(empty.session.execute(sa.select(Territory.level, sa.func.count()).group_by(Territory.level)).all())
    assert levels == {1: 20, 2: 11, 3: 18, 4: 179}
    zhanaarka = get_territory("623630100")
    assert [t.code for t in zhanaarka.ancestors()] == ["620000000", "623600000", "623630000"]
    assert zhanaarka.search_text == "жаңаарқа к. | п.жаңаарқа"


def test_second_identical_import_changes_nothing_and_is_audited(empty):
    import_file(KATO_SAMPLE)
    before = get_territory("620000000").updated_at
    assert import_file(KATO_SAMPLE) == ImportResult(added=0, updated=0, unchanged=228)
    assert count(Territory) == 228
    assert get_territory("620000000").updated_at == before
    entries = empty.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "territories.import").order_by(AuditEntry.id.desc())
    ).all()
    assert entries[0].details_dict == {
        "added": 0,
        "updated": 0,
        "unchanged": 228,
        "source": "kato_sample.csv",
    }
    assert entries[1].details_dict["added"] == 228


def test_reimport_updates_changed_rows_and_adds_new_ones(empty, tmp_path):
    import_file(KATO_SAMPLE)
    rows = sample_rows()
    for row in rows:
        if row["code"] == "623600000":
            row["name_ru"] = "Жанааркинский район (новое)"
    rows.append(
        {
            "code": "623630199",
            "parent_code": "623630000",
            "level": "4",
            "name_kk": "Жаңа ауыл",
            "name_ru": "Новый аул",
            "name_en": "New village",
        }
    )
    result = import_file(write_csv(tmp_path / "kato.csv", rows))
    assert result == ImportResult(added=1, updated=1, unchanged=227)
    district = get_territory("623600000")
    assert district.name_ru == "Жанааркинский район (новое)"
    assert "(новое)" in district.search_text
    village = get_territory("623630199")
    assert (village.parent_code, village.level, village.name_en) == ("623630000", 4, "New village")


def test_population_column_is_optional(empty, tmp_path):
    rows = [dict(r, population="" if r["level"] != "1" else "1000") for r in sample_rows()]
    import_file(write_csv(tmp_path / "kato.csv", rows, (*FIELDS, "population")))
    assert get_territory("620000000").population == 1000
    assert get_territory("623600000").population is None
    # A file without the column leaves populations alone.
    assert import_file(KATO_SAMPLE).updated == 0
    assert get_territory("620000000").population == 1000


def test_xlsx_import_gives_the_same_tree_as_csv(empty, tmp_path):
    rows = sample_rows()
    path = write_official_xlsx(tmp_path / "КАТО.xlsx", list(reversed(rows)))
    from_xlsx = read_rows(path)
    assert tree(from_xlsx) == tree(rows)
    assert {r["code"]: (r["name_kk"], r["name_ru"]) for r in from_xlsx} == {
        r["code"]: (r["name_kk"], r["name_ru"]) for r in rows
    }
    assert import_file(path) == ImportResult(added=228, updated=0, unchanged=0)
    stored = empty.session.execute(sa.select(Territory.code, Territory.parent_code, Territory.level)).all()
    assert {code: (parent, level) for code, parent, level in stored} == tree(rows)
    # The CSV describes the same tree: nothing to change.
    assert import_file(KATO_SAMPLE) == ImportResult(added=0, updated=0, unchanged=228)


@pytest.mark.skipif(not KATO_FULL.exists(), reason="the full KATO file is not beside the project")
def test_derivation_reproduces_the_full_classifier():
    with open(KATO_FULL, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 15594
    derived = derive_tree([{"code": r["code"]} for r in rows])
    assert tree(derived) == tree(rows)


def test_city_districts_hang_under_the_republican_city():
    rows = derive_tree([{"code": c} for c in ("710000000", "711210000", "711210100")])
    assert tree(rows) == {
        "710000000": (None, 1),
        "711210000": ("710000000", 2),
        "711210100": ("711210000", 3),
    }


def test_bad_rows_are_listed_and_nothing_is_imported(empty, tmp_path):
    rows = sample_rows()
    rows[5]["code"] = "12345"
    rows[6]["name_kk"] = ""
    rows.append({"code": "623630198", "parent_code": "623699000", "level": "4", "name_kk": "Х", "name_ru": "Х"})
    with pytest.raises(KatoImportError) as info:
        import_file(write_csv(tmp_path / "bad.csv", rows))
    message = str(info.value)
    assert "line 7: code '12345' is not 9 digits" in message
    assert "line 8" in message
    assert "empty" in message
    assert "623699000" in message
    assert count(Territory) == 0


def test_import_rows_rejects_a_wrong_level(empty):
    with pytest.raises(KatoImportError, match="level 3"):
        import_rows(
            [
                {
                    "line": 2,
                    "code": "100000000",
                    "parent_code": None,
                    "level": "3",
                    "name_kk": "А",
                    "name_ru": "А",
                }
            ]
        )


def test_cli_import_and_errors(runner, empty, tmp_path):
    result = runner.invoke(args=["territories", "import", str(KATO_SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "228 added, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(args=["territories", "import", str(KATO_SAMPLE)])
    assert "0 added, 0 updated, 228 unchanged" in result.output

    bad = write_csv(tmp_path / "bad.csv", [{"code": "1", "name_kk": "", "name_ru": "x"}])
    result = runner.invoke(args=["territories", "import", str(bad)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert "line 2" in result.output


@pytest.mark.skipif(not KATO_FULL.exists(), reason="the full KATO classifier is not beside the project")
def test_cli_imports_the_full_classifier_once(runner, empty):
    """The whole classifier: 15,594 units, 20 / 228 / 2,438 / 12,908 per level; a second run changes nothing."""
    result = runner.invoke(args=["territories", "import", str(KATO_FULL)])
    assert result.exit_code == 0, result.output
    assert "15594 added, 0 updated, 0 unchanged" in result.output
    per_level = dict(empty.session.execute(sa.select(Territory.level, sa.func.count()).group_by(Territory.level)).all())
    assert per_level == {1: 20, 2: 228, 3: 2438, 4: 12908}
    again = runner.invoke(args=["territories", "import", str(KATO_FULL)])
    assert "0 added, 0 updated, 15594 unchanged" in again.output
    assert count(Territory) == 15594


# -- tree and search ------------------------------------------------------------------------------------


def test_children_of_the_republic_are_the_regions(db, kato):
    regions = children_of(None)
    assert len(regions) == 20
    assert {t.level for t in regions} == {1}
    assert [t.code for t in children_of("710000000")][:1]  # Astana has its city districts


@pytest.mark.parametrize("query", ["жаңаар", "ЖАҢААРҚА", "жанаарк"])
def test_search_finds_kazakh_and_russian_names(db, kato, query):
    with force_locale("kk"):
        results = search_territories(query)
    assert results[0].code == "623600000"
    assert results[0].path == "Ұлытау облысы › Жаңаарқа ауданы"


def test_search_orders_exact_and_prefix_matches_first(db, kato):
    results = search_territories("жезқазған қ.")
    assert results[0].code == "621010000"
    assert [r.level for r in search_territories("Жаңаарқа", min_level=3)] == [3, 4]


def test_search_escapes_like_wildcards(db, kato):
    assert search_territories("%") == []
    assert search_territories("_") == []
    assert search_territories("   ") == []


# -- pages ----------------------------------------------------------------------------------------------


def test_index_lists_the_regions(client, kato):
    response = client.get("/territories/?lang=ru")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "область Ұлытау" in page
    assert "г.Астана" in page
    assert page.count('href="/territories/') >= 20


def test_index_search_without_js(client, kato):
    page = client.get("/territories/?q=жаңаар&lang=kk").get_data(as_text=True)
    assert 'href="/territories/623600000"' in page


@pytest.mark.parametrize(
    ("lang", "city", "district"),
    [
        ("kk", "Астана қ.", "Есіл ауданы"),
        ("ru", "г.Астана", "район Есиль"),
        ("en", "г.Астана", "район Есиль"),
    ],
)
def test_detail_in_three_languages(client, kato, lang, city, district):
    response = client.get(f"/territories/710000000?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>{city}</h1>" in page
    assert district in page
    assert 'href="/territories/711210000"' in page
    assert 'class="breadcrumb"' in page
    assert 'aria-current="page"' in page
    assert 'href="/authorities/' in page  # the city akimat


def test_detail_breadcrumb_starts_at_the_republic(client, kato):
    page = client.get("/territories/623630100?lang=en").get_data(as_text=True)
    assert "Republic of Kazakhstan" in page
    crumbs = (
        page.index("Republic of Kazakhstan"),
        page.index("область Ұлытау"),
        page.index("Жанааркинский район"),
    )
    assert list(crumbs) == sorted(crumbs)
    assert "Office of the akim of п.а.Жаңаарқа" in page  # a settlement is served by its rural akim


@pytest.mark.parametrize("code", ["999999999", "abc", "62000000"])
def test_unknown_territory_is_404(client, kato, code):
    response = client.get(f"/territories/{code}")
    assert response.status_code == 404
    assert "<h1" in response.get_data(as_text=True)


# -- API ------------------------------------------------------------------------------------------------


def test_api_search(client, kato):
    data = client.get("/api/v1/territories?q=жаңаар&lang=ru").get_json()
    first = data["results"][0]
    assert first == {
        "code": "623600000",
        "name": "Жанааркинский район",
        "level": 2,
        "path": "область Ұлытау › Жанааркинский район",
    }
    assert len(data["results"]) <= 20
    assert client.get("/api/v1/territories?q=ж").get_json()["results"] == []


def test_api_search_follows_the_session_language(client, kato):
    client.get("/territories/?lang=kk")
    data = client.get("/api/v1/territories?q=жанаарк").get_json()
    assert data["results"][0]["name"] == "Жаңаарқа ауданы"


def test_api_detail(client, kato):
    data = client.get("/api/v1/territories/623630000?lang=kk").get_json()
    assert data["code"] == "623630000"
    assert data["names"] == {"kk": "Жаңаарқа к.ә.", "ru": "п.а.Жаңаарқа", "en": ""}
    assert (data["level"], data["parent_code"]) == (3, "623600000")
    assert {"code": "623630100", "name": "Жаңаарқа к.", "level": 4} in data["children"]
    response = client.get("/api/v1/territories/999999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404
