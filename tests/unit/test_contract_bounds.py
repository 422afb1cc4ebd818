"""Every integer a client may send has an upper bound, so an oversized number is a 422
naming the field, never a database overflow (a 500 on PostgreSQL's 32-bit columns)."""

import importlib
import pkgutil
import typing
from typing import Any

from annotated_types import Le, Lt

import omnichannel
from omnichannel.contract import InputModel


def _all_input_models() -> list[type[InputModel]]:
    for info in pkgutil.walk_packages(omnichannel.__path__, "omnichannel."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    found: list[type[InputModel]] = []
    todo = list(InputModel.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _bounded(metadata: Any) -> bool:
    """Whether field metadata (annotated-types or a pydantic FieldInfo) sets a maximum."""
    return any(isinstance(m, Le | Lt) or _bounded(getattr(m, "metadata", ())) for m in metadata)


def _is_int(annotation: Any) -> bool:
    """An int the annotation lets in without a maximum (list items included)."""
    if annotation is int:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        return _is_int(inner) and not _bounded(metadata)
    return any(_is_int(a) for a in typing.get_args(annotation))


def test_there_are_input_models_to_check() -> None:
    assert len(_all_input_models()) > 10


def test_every_integer_field_has_an_upper_bound() -> None:
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_input_models()
        for name, field in cls.model_fields.items()
        if _is_int(field.annotation) and not _bounded(field.metadata)
    ]
    assert unbounded == []
