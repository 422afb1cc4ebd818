"""Customer errors, each with its stable code."""

from __future__ import annotations

from typing import Any

from omnichannel.kernel.errors import Conflict


def field_error(field: str, message: str, type_: str) -> dict[str, Any]:
    """One entry of a problem's `errors`."""
    return {"field": field, "message": message, "type": type_}


class IdentityTaken(Conflict):
    """The e-mail, phone or card already belongs to another profile."""

    code = "identity_taken"


class CustomerErased(Conflict):
    code = "customer_erased"


class MergeRefused(Conflict):
    code = "merge_refused"


class CaseMoveRefused(Conflict):
    code = "case_transition_refused"


class SegmentCodeTaken(Conflict):
    code = "segment_code_taken"


class SegmentKindMismatch(Conflict):
    """Members are added by hand only to manual segments; rules fill the others."""

    code = "segment_kind_mismatch"
