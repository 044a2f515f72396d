"""Paper signatures through the client: an officer of the addressee enters a batch; good rows count, rows
with problems are reported by number (duplicates of online or paper signatures, duplicates within the batch,
bad IINs, unknown settlements, settlements outside the territory); counts stay exact; every batch is audited;
only the addressee's officers may enter (admins may look)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.accounts.models import Role
from core.audit import AuditEntry
from core.authorities.services import find_authority
from core.db import db as _db
from core.territories.models import Territory
from petitions import services
from petitions.models import PaperBatch, PetitionState, Signature, SignatureKind
from tests.conftest import count
from tests.petitions.conftest import VILLAGE, make_iin

ASTANA = "710000000"


def text(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    return text(response).split('id="main"')[1].split("</main>")[0]


def paper_iin(n: int) -> str:
    """IINs far from the ones the ``citizen`` fixture hands out."""
    return make_iin(1000 + n)


@pytest.fixture
def officer_in(client, login, pworld):
    login(pworld.officer)
    return pworld.officer


def test_a_batch_with_good_rows_and_problems(client, officer_in, pworld, collecting, citizen, iin_counter):
    petition = collecting(threshold=100)
    online = citizen()
    online_iin = make_iin(iin_counter["n"])
    services.sign(petition, online)
    _db.session.flush()
    village = _db.session.get(Territory, VILLAGE)
    rows = "\n".join(
        [
            f"{paper_iin(1)}; Асан Бекович Оспанов; {VILLAGE}",  # 1 good, by code
            f"{paper_iin(2)}\tМарат Сейітов\t{village.name_ru}",  # 2 good, by name, tab-separated
            f"{online_iin}; Signed Online; {VILLAGE}",  # 3 signed online already
            "",  # blank lines are skipped, not counted
            f"{paper_iin(1)}; Асан Оспанов again; {VILLAGE}",  # 4 the same IIN as row 1
            f"123456789012; Bad Iin; {VILLAGE}",  # 5 not a valid IIN
            f"{paper_iin(3)}; Lost Person; Nowhere-on-earth",  # 6 unknown settlement
            f"{paper_iin(4)}; Far Away; {ASTANA}",  # 7 outside the petition's territory
            f"{paper_iin(5)}; {VILLAGE}",  # 8 a missing part
        ]
    )
    response = client.post(
        f"/petitions/{petition.id}/paper", data={"rows": rows, "note": "Sheets from the akimat hall"}
    )
    assert response.status_code == 200, text(response)[:3000]
    page = main(response)
    assert "2 signatures accepted." in page
    assert "Row 3: This person has already signed online." in page
    assert "Row 4: The same IIN as row 1." in page
    assert "Row 5: The IIN is not valid." in page
    assert "Row 6: Choose the signer&#39;s settlement from the list." in page
    assert "Row 7: The settlement is outside the petition&#39;s territory." in page
    assert "Row 8:" in page
    # the invalid rows are put back in the form to correct; the accepted and duplicate ones are not
    textarea = page.split('name="rows"')[1].split("</textarea>")[0]
    assert "Bad Iin" in textarea and "Lost Person" in textarea and "Far Away" in textarea
    assert "Марат" not in textarea and "Signed Online" not in textarea
    counts = services.counts(petition.id)
    assert (counts.online, counts.paper, counts.total) == (1, 2, 3)
    paper = list(_db.session.scalars(sa.select(Signature).where(Signature.kind == SignatureKind.PAPER)))
    assert sorted(s.public_name for s in paper) == ["Асан Б.", "Марат С."]
    assert all(s.settlement_code == VILLAGE and s.district_code == "623600000" for s in paper)
    [batch] = _db.session.scalars(sa.select(PaperBatch))
    assert (batch.accepted, batch.duplicates, batch.invalid) == (2, 2, 4)
    assert batch.entered_by_id == pworld.officer.id and batch.note == "Sheets from the akimat hall"
    [entry] = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "petition.paper_batch"))
    assert entry.actor_id == pworld.officer.id
    assert entry.details_dict == {"petition_id": petition.id, "accepted": 2, "duplicates": 2, "invalid": 4}
    # the page lists the batch with the online and paper counts
    page = main(client.get(f"/petitions/{petition.id}/paper"))
    assert "Sheets from the akimat hall" in page and pworld.officer.display_name in page
    assert page.count("<h1") == 1
    figures = re.findall(r'<dd class="figure-value">([^<]*)</dd>', page)
    assert figures == ["1", "2", "3", "100"]


def test_a_second_batch_repeating_paper_signatures(client, officer_in, pworld, collecting):
    petition = collecting(threshold=100)
    first = f"{paper_iin(1)}; Асан Оспанов; {VILLAGE}"
    client.post(f"/petitions/{petition.id}/paper", data={"rows": first})
    response = client.post(
        f"/petitions/{petition.id}/paper", data={"rows": f"{paper_iin(2)}; Марат Сейітов; {VILLAGE}\n{first}"}
    )
    page = main(response)
    assert "1 signature accepted." in page
    assert "Row 2: This person&#39;s paper signature is already entered." in page
    assert services.counts(petition.id).paper == 2
    assert count(PaperBatch) == 2
    assert page.count("<tr>") == 1 + 2  # both batches listed


def test_a_paper_signature_blocks_signing_online(client, officer_in, pworld, collecting, citizen, iin_counter):
    petition = collecting(threshold=100)
    person = citizen()
    client.post(
        f"/petitions/{petition.id}/paper", data={"rows": f"{make_iin(iin_counter['n'])}; Same Person; {VILLAGE}"}
    )
    with pytest.raises(services.AlreadySigned):
        services.sign(petition, person)


def test_reaching_the_threshold_on_paper_opens_the_case(client, officer_in, pworld, collecting, outbox):
    petition = collecting(threshold=2)
    rows = "\n".join(f"{paper_iin(n)}; Person Number{n}; {VILLAGE}" for n in (1, 2))
    response = client.post(f"/petitions/{petition.id}/paper", data={"rows": rows})
    assert response.status_code == 200
    assert petition.state == PetitionState.REACHED and petition.case_id is not None
    page = main(response)
    assert f"it is now case #{petition.case_id}" in page
    # now it collects no more
    page = main(client.get(f"/petitions/{petition.id}/paper"))
    assert "This petition is not collecting signatures now" in page
    assert 'name="rows"' not in page
    response = client.post(f"/petitions/{petition.id}/paper", data={"rows": f"{paper_iin(3)}; Late Person; {VILLAGE}"})
    assert response.status_code == 409
    page = main(response)
    assert "This petition is not collecting signatures." in page
    assert "Late Person" in page  # nothing lost
    assert services.counts(petition.id).paper == 2


def test_empty_and_oversized_batches(client, officer_in, pworld, collecting):
    petition = collecting(threshold=100)
    response = client.post(f"/petitions/{petition.id}/paper", data={"rows": "   ", "note": "kept"})
    assert response.status_code == 400
    page = main(response)
    assert "Enter at least one signature." in page and 'aria-describedby="rows-err"' in page
    rows = "\n".join(f"{paper_iin(n)}; Person Number{n}; {VILLAGE}" for n in range(services.PAPER_BATCH_MAX + 1))
    response = client.post(f"/petitions/{petition.id}/paper", data={"rows": rows})
    assert response.status_code == 400
    assert f"Enter at most {services.PAPER_BATCH_MAX} signatures at a time." in main(response)
    assert services.counts(petition.id).paper == 0 and count(PaperBatch) == 0


def test_only_officers_of_the_addressee(client, login, pworld, collecting, make_user, citizen):
    petition = collecting(threshold=100)
    data = {"rows": f"{paper_iin(1)}; Асан Оспанов; {VILLAGE}"}
    url = f"/petitions/{petition.id}/paper"
    assert client.get(url).status_code == 302  # sign in first
    other_officer = make_user(roles=[(Role.OFFICER, find_authority("akimat:621000000"))])
    rural_officer = make_user(roles=[(Role.OFFICER, pworld.rural)])
    for user in (other_officer, rural_officer, pworld.moderator, citizen()):
        login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, data=data).status_code == 403
        client.post("/account/logout")
        assert client.get(url).status_code == 302
    login(pworld.admin)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="rows"' not in text(page) and "Only officers of" in text(page)
    assert client.post(url, data=data).status_code == 403
    assert services.counts(petition.id).paper == 0 and count(PaperBatch) == 0


def test_a_petition_never_published_has_no_paper_page(client, officer_in, pworld):
    from tests.petitions.conftest import TEXT

    petition = services.create_draft(pworld.author, VILLAGE, pworld.district, "roads_transport", "Not yet out", TEXT)
    services.submit(petition, pworld.author, acknowledged=True)
    _db.session.flush()
    assert client.get(f"/petitions/{petition.id}/paper").status_code == 404
