"""Gift card codes: easy to read aloud, forgiving to type, kept only as a digest; and
which provider a gift card token goes to."""

from __future__ import annotations

import re
import uuid

from omnichannel.payments import codes
from omnichannel.payments.providers import SANDBOX, looks_like_card_number
from omnichannel.payments.rules import PaymentMethod
from omnichannel.payments.stored_value_provider import STORED_VALUE, provider_for_payment

M = PaymentMethod


def test_a_code_is_five_groups_of_four_without_look_alikes() -> None:
    code = codes.new_code()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){4}", code)
    assert not set(code) & set("01IO")
    assert len(codes.ALPHABET) == 32  # 5 bits a character: 100 random bits a code


def test_codes_do_not_repeat() -> None:
    assert len({codes.new_code() for _ in range(2_000)}) == 2_000


def test_case_spaces_and_dashes_do_not_matter() -> None:
    code = codes.new_code()
    plain = codes.normalise(code)
    assert plain is not None
    assert "-" not in plain
    assert codes.normalise(code.lower().replace("-", " ")) == plain
    assert codes.normalise(f"  {code}  ") == plain


def test_anything_else_is_not_a_code() -> None:
    assert codes.normalise("ABCD-EFGH") is None  # too short
    assert codes.normalise("O000-1111-IIII-2222-3333") is None  # look-alikes are not ours
    assert codes.normalise("sandbox_gc_5000") is None


def test_the_digest_is_a_sha256_that_does_not_contain_the_code() -> None:
    plain = codes.normalise(codes.new_code())
    assert plain is not None
    d = codes.digest(plain)
    assert re.fullmatch(r"[0-9a-f]{64}", d)
    assert plain not in d
    assert plain[:4].lower() not in d[:4]
    assert codes.digest(plain) == d  # stable: the card is found by it
    assert codes.last4(plain) == plain[-4:]


def test_a_code_never_looks_like_a_card_number() -> None:
    assert not any(looks_like_card_number(codes.new_code()) for _ in range(200))


def test_a_token_names_a_gift_card_by_its_digest_or_store_credit_by_its_account() -> None:
    code = codes.new_code()
    token = codes.parse_token(code)
    assert token is not None
    assert token.account_id is None
    assert token.digest == codes.digest(codes.normalise(code) or "")
    account = uuid.uuid4()
    credit = codes.parse_token(f"credit:{account}")
    assert credit is not None
    assert (credit.account_id, credit.digest) == (account, None)
    assert codes.parse_token("credit:not-an-id") is None
    assert codes.parse_token("nonsense") is None


def test_gift_card_tokens_go_to_stored_value_and_the_sandboxs_own_stay_there() -> None:
    assert provider_for_payment(M.GIFT_CARD, codes.new_code()) == STORED_VALUE
    assert provider_for_payment(M.GIFT_CARD, f"credit:{uuid.uuid4()}") == STORED_VALUE
    assert provider_for_payment(M.GIFT_CARD, "not a code") == STORED_VALUE  # declined by name
    assert provider_for_payment(M.GIFT_CARD, "sandbox_gc_5000") == SANDBOX
    assert provider_for_payment(M.CARD, codes.new_code()) == SANDBOX
    assert provider_for_payment(M.CASH, None) == SANDBOX
