"""Normal forms of identities, Polish postcodes, consents after a merge, case states."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnichannel.customers.rules import (
    CASE_SLA,
    CaseCategory,
    CaseMoveRefused,
    CaseStatus,
    IdentityType,
    InvalidIdentity,
    case_due,
    check_case_move,
    fold_city,
    merged_consent,
    nightly_due_since,
    normalise_email,
    normalise_identity,
    normalise_phone,
    normalise_postcode,
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("601 234 567", "+48601234567"),
        ("+48 601-234-567", "+48601234567"),
        ("0048601234567", "+48601234567"),
        ("(22) 826 40 10", "+48228264010"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_phones_become_e164_and_a_number_without_country_code_is_polish(
    raw: str, e164: str
) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+48 123", "601 234 567 890 123"])
def test_malformed_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentity):
        normalise_phone(raw)


def test_emails_are_lower_cased_and_checked() -> None:
    assert normalise_email("  Anna.Nowak@Example.COM ") == "anna.nowak@example.com"
    for bad in ("anna", "anna@", "@example.com", "anna nowak@example.com"):
        with pytest.raises(InvalidIdentity):
            normalise_email(bad)


def test_cards_and_till_numbers_ignore_spaces_dashes_and_case() -> None:
    assert normalise_identity(IdentityType.LOYALTY_CARD, "dis-0001 2345") == "DIS00012345"
    assert normalise_identity(IdentityType.POS_CUSTOMER, "k-7788") == "K7788"
    with pytest.raises(InvalidIdentity):
        normalise_identity(IdentityType.LOYALTY_CARD, "12")


def test_marketplace_ids_and_handles_live_in_their_namespace() -> None:
    assert normalise_identity(IdentityType.MARKETPLACE_BUYER, "123456", "Allegro") == (
        "allegro:123456"
    )
    assert normalise_identity(IdentityType.SOCIAL_HANDLE, "@Anna.Nowak", "instagram") == (
        "instagram:anna.nowak"
    )
    with pytest.raises(InvalidIdentity, match="needs namespace"):
        normalise_identity(IdentityType.MARKETPLACE_BUYER, "123456")
    with pytest.raises(InvalidIdentity, match="takes no namespace"):
        normalise_identity(IdentityType.EMAIL, "a@example.com", "allegro")


@given(st.sampled_from(["601234567", "+48 22 826 40 10", "ANNA@example.com", "dis 0001-2345"]))
def test_normalising_twice_changes_nothing(raw: str) -> None:
    kind = (
        IdentityType.EMAIL
        if "@" in raw
        else IdentityType.LOYALTY_CARD
        if raw.startswith("dis")
        else IdentityType.PHONE
    )
    once = normalise_identity(kind, raw)
    assert normalise_identity(kind, once) == once


def test_polish_postcodes_are_nn_nnn() -> None:
    assert normalise_postcode("PL", "31-019") == "31-019"
    assert normalise_postcode("PL", "31019") == "31-019"
    for bad in ("3-1019", "310-19", "ABCDE", "31 019"):
        with pytest.raises(ValueError, match="NN-NNN"):
            normalise_postcode("PL", bad)
    assert normalise_postcode("DE", "10115") == "10115"


def test_cities_match_without_case_accents_or_dashes() -> None:
    assert fold_city("Kraków") == fold_city("KRAKOW") == "krakow"
    assert fold_city("Łódź") == "lodz"
    assert fold_city("Bielsko-Biała") == fold_city("bielsko  biala")


@pytest.mark.parametrize(
    ("survivor", "merged", "result"),
    [
        (True, True, True),
        (True, False, False),
        (False, True, False),
        (True, None, True),
        (None, True, True),
        (None, False, False),
        (None, None, False),
    ],
)
def test_after_a_merge_the_most_restrictive_answer_given_wins(
    survivor: bool | None, merged: bool | None, result: bool
) -> None:
    assert merged_consent(survivor, merged) is result


def test_a_closed_case_stays_closed_and_a_case_cannot_skip_to_closed() -> None:
    check_case_move(CaseStatus.OPEN, CaseStatus.IN_PROGRESS)
    check_case_move(CaseStatus.RESOLVED, CaseStatus.CLOSED)
    with pytest.raises(CaseMoveRefused):
        check_case_move(CaseStatus.OPEN, CaseStatus.CLOSED)
    with pytest.raises(CaseMoveRefused):
        check_case_move(CaseStatus.CLOSED, CaseStatus.OPEN)


def test_a_complaint_is_due_within_fourteen_days() -> None:
    opened = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert case_due(CaseCategory.COMPLAINT, opened) == opened + timedelta(days=14)
    assert max(CASE_SLA.values()) == timedelta(days=14)


def test_segments_are_due_after_the_last_nightly_hour() -> None:
    at = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert nightly_due_since(at, 2) == datetime(2026, 11, 22, 2, tzinfo=UTC)
    assert nightly_due_since(at.replace(hour=2), 2) == datetime(2026, 11, 23, 2, tzinfo=UTC)
