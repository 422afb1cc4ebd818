"""Every column has its type as soon as its own module is imported.

A foreign-key column declared without a type only learns it when the referenced table
joins the metadata; a Core statement built at import time before that (the inventory
hot path builds them so) binds UUIDs untyped, which SQLite refuses. The result
depended on import order, so each models module is imported alone, in a fresh
interpreter.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import omnichannel

ROOT = Path(omnichannel.__file__).parent
MODEL_MODULES = sorted(f"omnichannel.{p.parent.name}.models" for p in ROOT.glob("*/models.py"))

PROBE = """
import importlib, sys
from sqlalchemy.types import NullType
module = importlib.import_module(sys.argv[1])
untyped = [
    f"{table.name}.{column.name}"
    for table in module.Base.metadata.tables.values()
    for column in table.columns
    if isinstance(column.type, NullType)
]
print(",".join(untyped))
"""


def test_there_are_model_modules() -> None:
    assert "omnichannel.inventory.models" in MODEL_MODULES


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_no_column_is_untyped_after_importing_only(module: str) -> None:
    out = subprocess.run(  # noqa: S603 - our own interpreter and module names
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
