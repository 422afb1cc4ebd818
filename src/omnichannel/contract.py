"""What every request schema shares: unknown fields are refused, text is trimmed,
and text that no database can store (NUL and other C0 control characters except tab
and newlines) is refused with a 422 naming the field, instead of failing at the
database with a 500."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _check(value: Any) -> None:
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValueError(
                "text contains a control character (such as NUL) that cannot be stored"
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k)
            _check(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check(v)


class InputModel(BaseModel):
    """Base of every request body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        _check(value)
        return value


def has_forbidden_text(value: str) -> bool:
    """Whether a query or path value carries characters no database stores."""
    return _FORBIDDEN.search(value) is not None
