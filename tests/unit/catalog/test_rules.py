"""Pure catalog rules: GTINs, slugs, the search key, CSV rows into product documents."""

import pytest

from omnichannel.catalog.rules import (
    InvalidGtin,
    LineError,
    check_header,
    check_http_url,
    csv_location,
    fold,
    group_csv_rows,
    like_escape,
    normalise_gtin,
    path_segments,
    search_terms,
    search_text,
    slugify,
    unique_slug,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("96385074", "96385074"),  # EAN-8
        ("036000291452", "036000291452"),  # UPC-A
        ("5901234123457", "5901234123457"),  # EAN-13
        ("10012345678902", "10012345678902"),  # GTIN-14
        (" 590-1234-12345 7 ", "5901234123457"),  # spaces and hyphens dropped
    ],
)
def test_every_gtin_length_is_accepted_and_kept_as_given(given: str, stored: str) -> None:
    assert normalise_gtin(given) == stored


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("5901234123458", "check digit"),
        ("590123412345", "check digit"),  # 12 digits, so read as a UPC-A
        ("59012341234", "8, 12, 13 or 14"),
        ("59012341234X7", "only digits"),
        ("", "8, 12, 13 or 14"),
    ],
)
def test_a_gtin_with_a_wrong_check_digit_length_or_character_is_refused(
    bad: str, reason: str
) -> None:
    with pytest.raises(InvalidGtin, match=reason):
        normalise_gtin(bad)


def test_folding_strips_polish_diacritics_and_case() -> None:
    assert fold("Żółta Łódź  ĘĄŚĆŃ") == "zolta lodz eascn"
    assert fold("Straße") == "strasse"


def test_a_slug_is_lowercase_ascii_words_joined_by_hyphens() -> None:
    assert slugify("Odzież damska") == "odziez-damska"
    assert slugify("  T-shirts & Tops!  ") == "t-shirts-tops"
    assert slugify("Łańcuszki") == "lancuszki"
    assert len(slugify("x" * 200)) == 64


def test_a_name_without_letters_or_digits_has_no_slug() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        slugify("!!! ---")


def test_a_taken_slug_gets_its_parents_prefix_then_a_number() -> None:
    assert unique_slug("koszulki", set()) == "koszulki"
    assert unique_slug("koszulki", {"koszulki"}, prefix="dzieci") == "dzieci-koszulki"
    assert unique_slug("koszulki", {"koszulki", "dzieci-koszulki"}, prefix="dzieci") == "koszulki-2"
    assert unique_slug("koszulki", {"koszulki", "koszulki-2"}) == "koszulki-3"


def test_the_search_text_holds_name_code_skus_and_gtins_folded() -> None:
    text = search_text(
        name="Żółta Koszulka",
        code="TS-01",
        skus=["TS-01-M", "TS-01-L"],
        gtins=["5901234123457", None],
    )
    assert text == "zolta koszulka ts-01 ts-01-m ts-01-l 5901234123457"
    assert all(term in text for term in search_terms("ŻÓŁTA koszulka"))
    assert search_terms("  zolta   KOSZULKA ") == ["zolta", "koszulka"]


def test_like_wildcards_in_a_query_are_escaped() -> None:
    assert like_escape("50%_off\\") == "50\\%\\_off\\\\"


def test_category_paths_are_split_on_slashes_ignoring_blanks() -> None:
    assert path_segments(" Odzież / Koszulki /") == ["Odzież", "Koszulki"]


def test_only_absolute_http_urls_are_images() -> None:
    assert check_http_url(" https://cdn.example.com/a.jpg ") == "https://cdn.example.com/a.jpg"
    for bad in ("ftp://example.com/a.jpg", "/a.jpg", "https://", "https://exa mple.com/a.jpg"):
        with pytest.raises(ValueError, match="http"):
            check_http_url(bad)


def test_a_header_must_have_the_required_columns_and_no_unknown_ones() -> None:
    errors = check_header(["product_code", "sku", "colour", "option_material", "attr_fit", "price"])
    assert [str(e) for e in errors] == [
        "line 1: product_name: required column is missing",
        "line 1: price: unknown column (extra columns start with option_ or attr_)",
    ]


def _row(**cells: str) -> dict[str, str | None]:
    return dict(cells)


def test_csv_rows_are_grouped_into_products_by_code_with_options_and_attributes() -> None:
    rows = [
        (
            2,
            _row(
                product_code="TS-01",
                product_name="Koszulka",
                brand="Acme",
                category="Odzież/Koszulki",
                sku="TS-01-M",
                gtin="5901234123457",
                size="M",
                colour="czarny",
                option_fit="slim",
                attr_material="bawełna",
                weight_g="180",
                image_url="https://cdn.example.com/1.jpg",
            ),
        ),
        (3, _row(product_code="TS-02", product_name="Bluza", sku="TS-02-L", size="L")),
        (
            4,
            _row(
                product_code="TS-01",
                product_name="",
                sku="TS-01-L",
                size="L",
                colour="czarny",
                attr_material="bawełna",
                vat_class="reduced",
            ),
        ),
    ]
    products, errors = group_csv_rows(rows)
    assert errors == []
    first, second = products
    assert first.line == 2
    assert first.variant_lines == [2, 4]
    assert first.doc == {
        "code": "TS-01",
        "name": "Koszulka",
        "brand": "Acme",
        "category": "Odzież/Koszulki",
        "attributes": {"material": "bawełna"},
        "variants": [
            {
                "sku": "TS-01-M",
                "gtin": "5901234123457",
                "weight_g": "180",
                "options": {"size": "M", "colour": "czarny", "fit": "slim"},
                "images": ["https://cdn.example.com/1.jpg"],
            },
            {
                "sku": "TS-01-L",
                "vat_class": "reduced",
                "options": {"size": "L", "colour": "czarny"},
            },
        ],
    }
    assert second.doc["variants"] == [{"sku": "TS-02-L", "options": {"size": "L"}}]


def test_a_product_column_that_differs_between_rows_of_one_product_is_an_error() -> None:
    rows = [
        (2, _row(product_code="TS-01", product_name="Koszulka", sku="A")),
        (3, _row(product_code="TS-01", product_name="Bluza", sku="B")),
        (4, _row(product_code="", product_name="X", sku="C")),
        (5, _row(product_code="TS-03", product_name="X", sku="")),
    ]
    _, errors = group_csv_rows(rows)
    assert errors == [
        LineError(3, "product_name", "differs from line 2 ('Koszulka') of the same product"),
        LineError(4, "product_code", "required"),
        LineError(5, "sku", "required"),
    ]


def test_a_schema_error_location_maps_back_to_a_csv_column() -> None:
    assert csv_location(("variants", 1, "gtin")) == (1, "gtin")
    assert csv_location(("variants", 0, "options", "size")) == (0, "size")
    assert csv_location(("variants", 0, "options", "fit")) == (0, "option_fit")
    assert csv_location(("variants", 2, "images", 0)) == (2, "image_url")
    assert csv_location(("name",)) == (None, "product_name")
    assert csv_location(("status",)) == (None, "product_status")
    assert csv_location(("attributes", "material")) == (None, "attr_material")
