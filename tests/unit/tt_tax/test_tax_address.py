"""Address: normalised on construction, and refused with named fields when malformed."""

from __future__ import annotations

import attrs
import pytest

from tt_money.errors import InvalidInputError
from tt_tax import Address, InvalidAddressError


def test_address_is_normalised_on_construction() -> None:
    address = Address(
        street="  1  Broadway ", city="  Nashville   Davidson ", state=" tn ", zip=" 37203-1234 "
    )
    assert (address.street, address.city, address.state, address.zip, address.country) == (
        "1 Broadway",
        "Nashville Davidson",
        "TN",
        "37203-1234",
        "US",
    )
    assert address.zip5 == "37203"


def test_blank_street_is_no_street() -> None:
    assert Address(street="   ", city="Nashville", state="TN", zip="37203").street is None


def test_address_is_immutable_and_changed_by_evolve() -> None:
    address = Address(city="Nashville", state="TN", zip="37203")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        address.city = "Memphis"  # type: ignore[misc]
    moved = attrs.evolve(address, city="Memphis", zip="38103")
    assert (moved.city, address.city) == ("Memphis", "Nashville")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"zip": "3720"}, "zip", "must be a 5-digit ZIP or ZIP+4"),
        ({"zip": "37203-12"}, "zip", "must be a 5-digit ZIP or ZIP+4"),
        ({"zip": "372031234"}, "zip", "must be a 5-digit ZIP or ZIP+4"),
        ({"zip": "ABCDE"}, "zip", "must be a 5-digit ZIP or ZIP+4"),
        ({"zip": "٣٧٢٠٣"}, "zip", "must be a 5-digit ZIP or ZIP+4"),
        ({"state": "Tennessee"}, "state", "must be a two-letter USPS state code"),
        ({"state": "XX"}, "state", "must be a two-letter USPS state code"),
        ({"state": ""}, "state", "must be a two-letter USPS state code"),
        ({"city": ""}, "city", "must not be empty"),
        ({"city": "   "}, "city", "must not be empty"),
        ({"country": "CA"}, "country", "only US addresses are supported"),
    ],
)
def test_malformed_address_is_refused_naming_the_field(
    fields: dict[str, str], field: str, message: str
) -> None:
    given = {"city": "Nashville", "state": "TN", "zip": "37203"} | fields
    with pytest.raises(InvalidAddressError) as raised:
        Address(**given)
    assert raised.value.code == "INVALID_ADDRESS"
    assert raised.value.details == ((field, message),)
    assert isinstance(raised.value, InvalidInputError)


def test_fields_that_are_not_text_are_reported_not_crashed_on() -> None:
    with pytest.raises(InvalidAddressError) as raised:
        Address(city=None, state=47, zip=37203)  # type: ignore[arg-type]
    assert [field for field, _ in raised.value.details] == ["city", "state", "zip"]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidAddressError) as raised:
        Address(city="", state="ZZ", zip="1")
    assert [field for field, _ in raised.value.details] == ["city", "state", "zip"]


def test_caller_puts_the_fields_under_its_request_key() -> None:
    # given a bad venue ZIP
    with pytest.raises(InvalidAddressError) as raised:
        Address(city="Nashville", state="TN", zip="372")
    # when the API layer prefixes the error with the body's key
    prefixed = raised.value.with_field_prefix("venueAddress")
    # then the detail names the request field, and nothing else changes
    assert prefixed.details == (("venueAddress.zip", "must be a 5-digit ZIP or ZIP+4"),)
    assert type(prefixed) is InvalidAddressError
    assert (prefixed.code, prefixed.message) == (raised.value.code, raised.value.message)


@pytest.mark.parametrize("state", ["PR", "GU", "VI", "AE"])
def test_territories_and_military_codes_are_well_formed_addresses(state: str) -> None:
    assert Address(city="Somewhere", state=state, zip="00901").state == state
