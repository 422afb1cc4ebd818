"""The demo's customers are the same for a seed, valid, and one person each."""

from omnichannel.customers.rules import IdentityType, normalise_identity
from omnichannel.customers.schemas import CustomerCreate
from omnichannel.demo.customers import COUNT, people


def test_the_same_seed_gives_the_same_customers_and_another_seed_others() -> None:
    assert people(2026, ["SKU-1"]) == people(2026, ["SKU-1"])
    assert people(2026, ["SKU-1"]) != people(7, ["SKU-1"])


def test_every_demo_customer_is_valid_and_no_identity_is_shared() -> None:
    crowd = people(2026, ["SKU-1", "SKU-2"])
    assert len(crowd) == COUNT + 1  # and one duplicate, left for staff to merge
    seen: set[tuple[str, str]] = set()
    for person in crowd:
        doc = CustomerCreate.model_validate(
            {k: v for k, v in person.doc.items() if k != "preferred_store"}
        )
        found = [(IdentityType.EMAIL, e) for e in doc.emails]
        found += [(IdentityType.PHONE, p) for p in doc.phones]
        found += [
            (i.type, normalise_identity(i.type, i.value, i.namespace)) for i in doc.identities
        ]
        for key in found:
            assert key not in seen
            seen.add(key)
    twins = [p for p in crowd if p.doc["family_name"] == crowd[3].doc["family_name"]]
    assert any(p.channel == "pos-krk" and not p.doc["phones"] for p in twins)
