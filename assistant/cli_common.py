"""What every `upr` subcommand shares: the data/models/Chroma options and error wording."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from assistant.config import Settings
from assistant.errors import AssistantError


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options every subcommand takes after its name, and error wording."""

    @click.option("--data-dir", type=click.Path(path_type=Path), help="Index folder (env UPR_DATA_DIR).")
    @click.option("--models-dir", type=click.Path(path_type=Path), help="Models folder (env UPR_MODELS_DIR).")
    @click.option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000 (env UPR_CHROMA_URL).")
    @functools.wraps(func)
    def wrapper(data_dir: Path | None, models_dir: Path | None, chroma_url: str | None, **kwargs: Any) -> Any:
        try:
            settings = Settings.from_env(data_dir=data_dir, models_dir=models_dir, chroma_url=chroma_url)
            return func(settings, **kwargs)
        except AssistantError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def assistant_for(settings: Settings) -> Any:
    from assistant.service import Assistant

    return Assistant(settings)
