"""The demo retailer comes with prices, segment lists, promotions and coupons, and
quotes the same in all its channels."""

from fastapi.testclient import TestClient

from omnichannel.api.app import create_app
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.config import Settings
from omnichannel.db import Database, unit_of_work
from omnichannel.demo.load import load_demo
from omnichannel.pricing import service


def test_the_demo_is_priced_and_every_channel_quotes_the_same(
    committing_db: Database, settings: Settings
) -> None:
    report = load_demo(committing_db, seed=2026)
    assert (report.pricing.lists, report.pricing.promotions) == (3, 10)
    with unit_of_work(committing_db, read_only=True) as s:
        assert [x.code for x in service.list_price_lists(s)] == [
            "base-pln",
            "pracownicy-pln",
            "vip-pln",
        ]
        parity = service.parity(s, carts=5)
        assert parity.differences == ()
        assert parity.overrides == ()
        shirt = variant_ids_by_sku(s, skus=["TS-0001-BEI-L"])["TS-0001-BEI-L"]
    with TestClient(create_app(settings, database=committing_db)) as client:
        doc = {"lines": [{"variant_id": str(shirt), "quantity": 3}], "coupons": ["ZIMA50"]}
        web = client.post(
            "/api/v1/pricing/quote", json=doc, headers={"X-Api-Key": report.api_keys["web"]}
        )
        pos = client.post(
            "/api/v1/pricing/quote", json=doc, headers={"X-Api-Key": report.api_keys["pos-waw"]}
        )
        assert web.status_code == pos.status_code == 200, web.text
        a, b = web.json(), pos.json()
        assert (a.pop("channel"), b.pop("channel")) == ("web", "pos-waw")
        a.pop("at"), b.pop("at")
        assert a == b
        assert [p["code"] for p in a["promotions"]] == ["KOSZULKI-3ZA2"]
        assert a["coupons"][0]["reason"] == "customer_required"
