"""The server refuses to start in production without a secret key; the demo makes one."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnichannel.cli.customers import ensure_demo_key
from omnichannel.cli.main import app
from omnichannel.config import decode_secret_key, get_settings
from omnichannel.customers import crypto


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with no .env, settings read afresh before and after."""
    monkeypatch.chdir(tmp_path)
    for name in ("OMNI_ENV", "OMNI_SECRET_KEY", "OMNI_RETIRED_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    crypto.install(None)
    yield tmp_path
    get_settings.cache_clear()
    crypto.install(None)


def test_serve_refuses_to_start_in_production_without_a_key(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNI_ENV", "prod")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "OMNI_SECRET_KEY must be set" in result.output


def test_the_demo_writes_a_key_to_env_once_and_uses_it(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNI_SECRET_KEY", "")  # so that monkeypatch restores the variable
    monkeypatch.delenv("OMNI_SECRET_KEY")
    env = elsewhere / ".env"
    env.write_text("OMNI_LOG_LEVEL=info")
    assert ensure_demo_key(env)
    key = os.environ["OMNI_SECRET_KEY"]
    assert len(decode_secret_key(key)) == 32
    assert env.read_text().splitlines()[0] == "OMNI_LOG_LEVEL=info"
    assert f"OMNI_SECRET_KEY={key}" in env.read_text()
    assert not crypto.keyring().insecure
    assert not ensure_demo_key(env)  # already there
