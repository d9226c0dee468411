"""The items of a 422's `errors`: which field, where in the request, and a stable reason why; never the value.

pydantic names its own error types (`string_too_long`, `literal_error`, …) and they may change between releases;
clients get our `reason` (`domain.errors.Reason`) instead, mapped here, beside pydantic's type kept as `code`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, cast, get_args

from domain.errors import InvalidValue, Reason

Location = Literal["body", "query", "path", "header"]
LOCATIONS: tuple[str, ...] = get_args(Location)

# Every pydantic error type the request models can raise, by the reason it means; another type is `malformed`.
PYDANTIC_REASONS: dict[str, Reason] = {
    "missing": Reason.MISSING,
    "extra_forbidden": Reason.UNKNOWN_FIELD,
    "json_invalid": Reason.MALFORMED_JSON,
    "json_type": Reason.MALFORMED_JSON,
    "string_too_long": Reason.TOO_LONG,
    "too_long": Reason.TOO_LONG,
    "string_too_short": Reason.TOO_SHORT,
    "too_short": Reason.TOO_SHORT,
    "literal_error": Reason.NOT_AN_ENUM_VALUE,
    "enum": Reason.NOT_AN_ENUM_VALUE,
    "greater_than": Reason.OUT_OF_RANGE,
    "greater_than_equal": Reason.OUT_OF_RANGE,
    "less_than": Reason.OUT_OF_RANGE,
    "less_than_equal": Reason.OUT_OF_RANGE,
    "int_parsing_size": Reason.OUT_OF_RANGE,
    "timezone_aware": Reason.TIMEZONE_REQUIRED,
    **dict.fromkeys(
        (
            "string_type",
            "int_type",
            "int_from_float",
            "int_parsing",
            "float_type",
            "float_parsing",
            "bool_type",
            "bool_parsing",
            "dict_type",
            "list_type",
            "model_type",
            "model_attributes_type",
            "uuid_type",
            "date_type",
            "datetime_type",
            "none_required",
            "is_instance_of",
        ),
        Reason.WRONG_TYPE,
    ),
}
FALLBACK = Reason.MALFORMED  # a pydantic type not listed: the value does not parse as the field's type

# What each reason means, for the README and the OpenAPI description of the 422 answer (every member, tested).
MEANINGS: dict[Reason, str] = {
    Reason.MISSING: "a required field is absent, or null where the other values need it (a dispute's `dispute_id`)",
    Reason.UNKNOWN_FIELD: "the body has a field the command does not take (`field` is null: the name is request text)",
    Reason.WRONG_TYPE: "the value is of another JSON type (a string for a number, a number for a text, …)",
    Reason.MALFORMED: "the value does not parse (an id, a date, a time, an e-mail address, a cursor, a header)",
    Reason.MALFORMED_JSON: "the body is not a JSON object (`field` is null)",
    Reason.NOT_AN_ENUM_VALUE: "the value is not one of the listed values",
    Reason.OUT_OF_RANGE: "a number outside its bounds (a duration, a score, `months`, `?limit`, `?after`)",
    Reason.TOO_LONG: "a text over its limit (10,000 characters; a name 200)",
    Reason.TOO_SHORT: "an empty text, or one under its minimum length",
    Reason.BLANK: "a required text holds only white space",
    Reason.NOT_ONE_LINE: "a name holds a line break",
    Reason.TIMEZONE_REQUIRED: "a time without an explicit offset",
    Reason.OUTSIDE_CALENDAR: "a date or time, or a planned end, beyond the calendar's range",
    Reason.IN_FUTURE: "a meeting recorded held at a time still ahead",
    Reason.BEFORE_START: "a meeting placed before the convention's start date",
    Reason.NOT_AFTER_FROM: "a report's `to` is not after its `from`",
    Reason.MIN_ABOVE_MAX: "a range's lower bound is above its upper bound (a meeting target of 90-60 minutes)",
    Reason.SAME_PERSON: "the mentor and the mentee are the same person (both fields are named)",
    Reason.UNKNOWN_ID: "the id names no participant, or no dispute of this mentorship",
    Reason.WRONG_ROLE: "the participant does not have the role the field asks for",
    Reason.WRONG_PROGRAMME: "the participant belongs to another programme",
    Reason.NOT_APPLICABLE: "the value is refused with the others given (a `dispute_id` or `ending_agreed` "
    "for a consultation whose topic does not take it)",
    Reason.TOO_MANY_OBJECTIVES: "a convention has at most 20 objectives",
    Reason.ID_REUSED: "a new meeting, objective or dispute would reuse an id (a fault of the server's id source)",
    Reason.UNKNOWN_TIME_ZONE: "the time zone is not an IANA time zone",
    Reason.NO_EMAIL_ADDRESS: "the participant named by the path has no e-mail address to send the code to",
    Reason.BEYOND_STORE_POSITION: "`?after` is beyond the event store's current position",
    Reason.KEY_REUSED: "the `Idempotency-Key` was used before with another request",
}

DETAILS: dict[str, str] = {
    "body": "The body is not acceptable: `errors` names each refused field and why.",
    "query": "A query parameter is not acceptable: `errors` names it and why.",
    "path": "The resource named by the path cannot take this request: `errors` says why.",
    "header": "A header is not acceptable: `errors` names it and why.",
}
MIXED_DETAIL = "Parts of the request are not acceptable: `errors` names each one, where it is and why."


def item(field: str | None, code: str, location: Location, reason: Reason) -> dict[str, Any]:
    """One refused field: its name, pydantic's or our code, where it was and why; never its value."""
    return {"field": field, "code": code, "location": location, "reason": reason.value}


def from_pydantic(raw: Iterable[Any], location: Location = "body") -> list[dict[str, Any]]:
    """Items from pydantic's errors; their `input`, `ctx` and `msg` may echo the request and are dropped.

    FastAPI's locations start with where the value was (`query`, `header`, …); a body we validate has none.
    """
    items = []
    for error in raw:
        loc = [str(part) for part in error.get("loc", ())]
        where = cast(Location, loc.pop(0)) if loc and loc[0] in LOCATIONS else location
        kind = str(error.get("type", "invalid"))
        field = None if kind in ("extra_forbidden", "json_invalid", "json_type") else ".".join(loc) or None
        items.append(item(field, kind, where, PYDANTIC_REASONS.get(kind, FALLBACK)))
    return items


# Refusals about the state of the resource the path names, not about a value sent: reported at the path.
PATH_REASONS = frozenset({Reason.NO_EMAIL_ADDRESS})


def from_invalid_value(error: InvalidValue) -> list[dict[str, Any]]:
    """Items from a refusal of the domain or the application, about the body's fields: one per field it names."""
    location: Location = "path" if error.reason in PATH_REASONS else "body"
    return [item(field, "invalid", location, error.reason) for field in error.fields]


def detail_of(items: Iterable[dict[str, Any]]) -> str:
    """The problem's `detail`: where the refused values were, in one fixed sentence."""
    where = {entry["location"] for entry in items}
    return DETAILS[where.pop()] if len(where) == 1 else MIXED_DETAIL


def reasons_markdown() -> str:
    """The documented list of reasons, one Markdown bullet each, in the enum's order."""
    return "\n".join(f"- `{reason.value}`: {MEANINGS[reason]}" for reason in Reason)
