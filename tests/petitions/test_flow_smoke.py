from petitions import services
from petitions.models import PetitionState
from tests.petitions.conftest import VILLAGE


def test_reaching_the_threshold_opens_a_case(pworld, collecting, citizen, db):
    petition = collecting(threshold=3)
    assert petition.state == PetitionState.COLLECTING
    signers = [citizen() for _ in range(3)]
    for user in signers:
        services.sign(petition, user)
        services.after_signing(petition.id)
    db.session.refresh(petition)
    assert petition.state == PetitionState.REACHED
    assert petition.case is not None
    assert services.counts(petition.id).total == 3
    from feedback.services import participant_count

    assert participant_count(petition.case) == 4
    assert VILLAGE
