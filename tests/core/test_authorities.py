"""Authorities: the generated ladder, look-ups, ministries, officers, pages and CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.audit import AuditEntry
from core.authorities.models import Authority, AuthorityKind
from core.authorities.services import (
    INDEX_KINDS,
    GenerateResult,
    authorities_of_territory,
    authority_for_territory,
    create_ministry,
    ensure_top,
    find_authority,
    generate_ladder,
    officers_of,
    search_authorities,
)
from tests.conftest import count

# The sample: 20 regions (2 each) + 2 top + 11 district akimats + 5 district maslikhats (6 are Astana's
# city districts) + 18 rural offices less the city of Zhezkazgan itself = 75.
SAMPLE_LADDER = 75


def key(k: str) -> Authority:
    authority = find_authority(k)
    assert authority is not None, k
    return authority


def test_ladder_counts_on_the_sample(db, kato):
    kinds = dict(db.session.execute(sa.select(Authority.kind, sa.func.count()).group_by(Authority.kind)).all())
    assert kinds == {
        AuthorityKind.KURULTAI: 1,
        AuthorityKind.GOVERNMENT: 1,
        AuthorityKind.REGIONAL_AKIMAT: 17,
        AuthorityKind.CITY_AKIMAT: 3,
        AuthorityKind.MASLIKHAT: 25,
        AuthorityKind.DISTRICT_AKIMAT: 11,
        AuthorityKind.RURAL_AKIM: 17,
    }
    assert count(Authority) == SAMPLE_LADDER


def test_second_run_adds_nothing(db, kato):
    assert generate_ladder() == GenerateResult(added=0, updated=0, unchanged=SAMPLE_LADDER)
    assert count(Authority) == SAMPLE_LADDER
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.action == "authorities.generate"
    assert entry.details_dict == {"added": 0, "updated": 0, "unchanged": SAMPLE_LADDER}


def test_changed_names_and_parents_are_updated(db, kato):
    akimat = key("akimat:623600000")
    akimat.name_ru = "старое имя"
    akimat.parent = key("government")
    db.session.flush()
    assert generate_ladder() == GenerateResult(added=0, updated=1, unchanged=SAMPLE_LADDER - 1)
    db.session.refresh(akimat)
    assert akimat.name_ru == "Акимат Жанааркинский район"
    assert akimat.parent.key == "akimat:620000000"


def test_the_ladder_parents(db, kato):
    assert key("kurultai").parent is None
    assert key("government").parent.key == "kurultai"
    region = key("akimat:620000000")
    assert (region.kind, region.parent.key, region.territory_code) == (
        AuthorityKind.REGIONAL_AKIMAT,
        "government",
        "620000000",
    )
    assert key("maslikhat:620000000").parent.key == "government"
    assert key("akimat:710000000").kind == AuthorityKind.CITY_AKIMAT
    assert key("akimat:623600000").parent.key == "akimat:620000000"
    assert key("maslikhat:623600000").parent.key == "maslikhat:620000000"
    # City districts of a republican city have an akimat under the city's, but no maslikhat of their own.
    assert key("akimat:711210000").parent.key == "akimat:710000000"
    assert find_authority("maslikhat:711210000") is None
    rural = key("akim:623630000")
    assert rural.kind == AuthorityKind.RURAL_AKIM
    assert [a.key for a in rural.ladder()] == [
        "akim:623630000",
        "akimat:623600000",
        "akimat:620000000",
        "government",
        "kurultai",
    ]


def test_names_in_three_languages(db, kato):
    rural = key("akim:623630000")
    assert (rural.name_kk, rural.name_ru, rural.name_en) == (
        "Жаңаарқа к.ә. әкімінің аппараты",
        "Аппарат акима п.а.Жаңаарқа",
        "Office of the akim of п.а.Жаңаарқа",
    )
    region = key("akimat:620000000")
    assert (region.name_kk, region.name_ru, region.name_en) == (
        "Ұлытау облысы әкімдігі",
        "Акимат область Ұлытау",
        "Akimat of область Ұлытау",
    )
    assert key("maslikhat:620000000").name_kk == "Ұлытау облысы мәслихаты"
    assert key("government").name_ru == "Правительство Республики Казахстан"
    assert key("kurultai").name_kk == "Ұлттық құрылтай"


def test_the_city_itself_has_its_city_administrations_akimat(db, kato):
    # 621010000 "г.Жезказган" is level 3 under "Жезказган Г.А.": no akim's office of its own.
    assert find_authority("akim:621010000") is None
    assert authority_for_territory("621010000").key == "akimat:621000000"
    assert find_authority("akim:621039000") is not None  # a rural district of the same administration


def test_authority_for_territory(db, kato):
    assert authority_for_territory("623630100").key == "akim:623630000"  # a settlement
    assert authority_for_territory("623600000").key == "akimat:623600000"
    assert authority_for_territory("623630100", AuthorityKind.MASLIKHAT).key == "maslikhat:623600000"
    assert authority_for_territory("711210000", AuthorityKind.MASLIKHAT).key == "maslikhat:710000000"
    assert authority_for_territory("999999999") is None
    assert [a.key for a in authorities_of_territory("620000000")] == [
        "akimat:620000000",
        "maslikhat:620000000",
    ]


def test_find_authority_by_id_or_key(db, kato):
    government = key("government")
    assert find_authority(government.id) is government
    assert find_authority(str(government.id)) is government
    assert find_authority("nope") is None


def test_ensure_top_and_create_ministry(db, kato):
    kurultai, government = ensure_top()
    assert (kurultai.key, government.key) == ("kurultai", "government")
    names = {
        "kk": "Денсаулық сақтау министрлігі",
        "ru": "Министерство здравоохранения",
        "en": "Ministry of Health",
    }
    ministry = create_ministry("ministry:health", names)
    assert (ministry.kind, ministry.parent_id) == (AuthorityKind.MINISTRY, government.id)
    again = create_ministry("ministry:health", {**names, "en": "Ministry of Healthcare"})
    assert again.id == ministry.id
    assert again.name_en == "Ministry of Healthcare"
    assert generate_ladder().added == 0  # the generator leaves ministries alone
    assert find_authority("ministry:health") is not None


def test_officers_of(db, kato, make_user):
    akimat = key("akimat:623600000")
    head = make_user(display_name="Ерлан Қасымов", roles=[(Role.HEAD, akimat)])
    officer = make_user(display_name="Айгүл Серікова", roles=[(Role.OFFICER, akimat)])
    make_user(display_name="Басқа Адам", roles=[(Role.OFFICER, key("akimat:620000000"))])
    assert officers_of(akimat) == [officer, head]
    assert officers_of(akimat, roles=(Role.HEAD,)) == [head]


def test_search_authorities(db, kato):
    page = search_authorities(kinds=INDEX_KINDS)
    assert {a.kind for a in page.items} <= {
        AuthorityKind.KURULTAI,
        AuthorityKind.GOVERNMENT,
        AuthorityKind.MINISTRY,
        AuthorityKind.REGIONAL_AKIMAT,
        AuthorityKind.CITY_AKIMAT,
    }
    assert page.items[0].key == "kurultai"
    assert page.total == 22
    assert search_authorities().total == SAMPLE_LADDER
    found = search_authorities("ЖАҢААРҚА")
    assert {a.key for a in found.items} == {"akimat:623600000", "maslikhat:623600000", "akim:623630000"}
    assert search_authorities(kinds=(AuthorityKind.RURAL_AKIM,), per_page=5, page=2).page == 2


# -- pages ----------------------------------------------------------------------------------------------


def test_index_page(client, kato):
    page = client.get("/authorities/?lang=en").get_data(as_text=True)
    assert "National Kurultai" in page
    assert "Government of the Republic of Kazakhstan" in page
    assert "Akimat of область Ұлытау" in page
    assert "Office of the akim" not in page


def test_index_filters_and_paginates(client, kato):
    page = client.get("/authorities/?kind=rural_akim&lang=ru").get_data(as_text=True)
    assert "Аппарат акима п.а.Жаңаарқа" in page
    page = client.get("/authorities/?kind=maslikhat&q=жанаар&lang=ru").get_data(as_text=True)
    assert "Маслихат Жанааркинский район" in page
    assert "Маслихат область Ұлытау" not in page
    page = client.get("/authorities/?kind=bogus&page=99&lang=en").get_data(as_text=True)
    assert "National Kurultai" in page


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_detail_page(client, kato, make_user, lang):
    rural = key("akim:623630000")
    make_user(email="secret.officer@example.kz", display_name="Ерлан Қасымов", roles=[(Role.OFFICER, rural)])
    response = client.get(f"/authorities/{rural.id}?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert rural.name_kk in page
    assert rural.name_ru in page
    assert f'href="/territories/{rural.territory_code}"' in page
    for above in rural.ladder()[1:]:
        assert f'href="/authorities/{above.id}"' in page
    assert "Ерлан Қасымов" in page
    assert "secret.officer" not in page


def test_detail_lists_authorities_below(client, kato):
    district = key("akimat:623600000")
    page = client.get(f"/authorities/{district.id}?lang=ru").get_data(as_text=True)
    assert "Аппарат акима п.а.Жаңаарқа" in page


def test_unknown_authority_is_404(client, kato):
    assert client.get("/authorities/999999").status_code == 404


# -- CLI ------------------------------------------------------------------------------------------------


def test_cli_generate_and_list(runner, kato):
    result = runner.invoke(args=["authorities", "generate"])
    assert result.exit_code == 0, result.output
    assert f"0 added, 0 updated, {SAMPLE_LADDER} unchanged" in result.output
    result = runner.invoke(args=["authorities", "list", "--kind", "city_akimat"])
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "\t" in line]
    assert len(lines) == 3
    assert all(line.split("\t")[4] == "government" for line in lines)
