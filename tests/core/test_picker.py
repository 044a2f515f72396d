"""The territory picker: step by step without JavaScript, the search fallback, and the script hooks."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_first_step_lists_regions_and_keeps_next(client, kato):
    page = page_of(client, "/territories/pick?next=/petitions/new&lang=ru")
    assert "область Ұлытау" in page
    assert 'href="/territories/pick?code=620000000&amp;next=/petitions/new"' in page
    assert "Choose this place" not in page


def test_region_step_lists_districts_without_choose_form(client, kato):
    page = page_of(client, "/territories/pick?code=620000000&next=/account/profile&lang=kk")
    assert "Жаңаарқа ауданы" in page
    assert 'href="/territories/pick?code=623600000&amp;next=/account/profile"' in page
    assert 'name="territory_code"' not in page
    # The path so far links back to the first step.
    assert 'href="/territories/pick?next=/account/profile"' in page


def test_rural_district_step_offers_the_choose_form(client, kato):
    page = page_of(client, "/territories/pick?code=623630000&next=/account/profile&purpose=home&lang=en")
    form = re.search(r'<form method="post" action="([^"]+)".*?</form>', page, re.S)
    assert form
    assert form.group(1) == "/account/home-territory"
    assert 'name="csrf_token"' in form.group(0)
    assert 'name="territory_code" value="623630000"' in form.group(0)
    assert "Choose this place" in form.group(0)
    # Its settlements are the next step, and the path links back up.
    assert 'href="/territories/pick?code=623630100&amp;next=/account/profile&amp;purpose=home"' in page
    assert 'href="/territories/pick?code=623600000&amp;next=/account/profile&amp;purpose=home"' in page


def test_settlement_and_childless_units_can_be_chosen(client, kato):
    assert 'value="623630100"' in page_of(client, "/territories/pick?code=623630100")
    # A city district of Astana has no children in the sample: it can be chosen at level 2.
    assert 'name="territory_code" value="711210000"' in page_of(client, "/territories/pick?code=711210000")


@pytest.mark.parametrize("bad", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_unsafe_next_is_replaced(client, kato, bad):
    page = page_of(client, f"/territories/pick?next={quote(bad)}")
    # (The language switch repeats the query string, URL-encoded; the picker's own links must not.)
    assert "next=/account/profile" in page
    assert 'name="next" value="/account/profile"' in page
    assert f"next={bad}" not in page
    assert f'value="{bad}"' not in page


def test_search_works_without_javascript(client, kato):
    page = page_of(client, "/territories/pick?q=жаңаар&next=/account/profile&lang=kk")
    assert 'class="picker-results"' in page
    assert 'href="/territories/pick?code=623600000&amp;next=/account/profile"' in page
    assert "Ұлытау облысы › Жаңаарқа ауданы" in page
    assert 'role="status"' in page
    assert 'aria-live="polite"' in page


def test_short_query_asks_for_more(client, kato):
    page = page_of(client, "/territories/pick?q=ж&lang=en")
    assert "Type at least 2 characters." in page


def test_unknown_step_is_404(client, kato):
    assert client.get("/territories/pick?code=999999999").status_code == 404


def test_accessible_markup_and_external_script(client, kato):
    page = page_of(client, "/territories/pick?lang=en")
    assert re.search(r'<label for="q">', page)
    assert 'id="q"' in page
    assert 'type="search"' in page
    assert 'data-api="/api/v1/territories"' in page
    assert '<script src="/static/js/territory-picker.js" defer></script>' in page
    assert "<script>" not in page
    assert " style=" not in page
    assert " onclick=" not in page
    assert page.count("<h1>") == 1


def test_picker_script_is_served(client):
    response = client.get("/static/js/territory-picker.js")
    assert response.status_code == 200
    script = response.get_data(as_text=True)
    assert "/api/v1/territories" not in script  # the URL comes from the page
    assert "aria-controls" in script
    response.close()
