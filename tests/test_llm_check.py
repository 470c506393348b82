"""`upr models check`: the local model is run once in a child process, so a llama.cpp build
that crashes on this CPU is reported (and set-up rebuilds it) instead of killing the chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import models
from assistant.cli import main
from assistant.config import Settings


def test_check_runs_the_installed_local_model() -> None:
    result = CliRunner().invoke(main, ["models", "check"])
    assert result.exit_code == 0, result.output
    assert "local model runs" in result.output


def test_a_crashing_runtime_is_reported_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_LLM_SMOKE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    ok, message = models.check_local_llm(Settings.from_env())
    assert not ok
    assert "crashed with signal 11" in message
    assert "scripts/setup.sh --rebuild-llama" in message


def test_a_failing_runtime_names_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_LLM_SMOKE", "raise ImportError('libllama.so: cannot open shared object')")
    result = CliRunner().invoke(main, ["models", "check"])
    assert result.exit_code == 1
    assert "ImportError: libllama.so: cannot open shared object" in result.output


def test_check_without_the_model_says_how_to_install(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["models", "check", "--models-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "upr models install" in result.output
    assert "Traceback" not in result.output
