"""Build configuration: ``falco-archive.toml`` (optional) overridden by command-line options.

Our own config is strict (``extra="forbid"``): a misspelt key is an error naming the key, not
a silently ignored setting.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from generator.errors import ConfigError
from generator.read.limits import InputLimits
from generator.read.models import Priority
from generator.read.redact import RedactionConfig

DEFAULT_CONFIG_FILE = Path("falco-archive.toml")


class BuildConfig(BaseModel):
    """Everything one build needs to know.

    ``display_timezone`` (an IANA name such as ``Europe/Paris``) adds a local time next to UTC;
    ``feed_priority`` is the lowest priority the Atom feed of new alerts carries.
    """

    model_config = ConfigDict(extra="forbid")

    alerts_dir: Path = Path("alerts")
    docs_dir: Path = Path("site_src")
    site_dir: Path = Path("site")
    state_dir: Path = Path(".falco-archive")
    #: None: ./mkdocs.yml if there is one, else the packaged default (``publish.packaged``).
    mkdocs_config: Path | None = None
    site_url: str | None = None
    strict: bool = False
    run_mkdocs: bool = True
    full: bool = False
    keep_days: int | None = Field(default=None, ge=1)
    display_timezone: str | None = None
    feed_priority: str = "Error"
    rules: list[Path] = Field(default_factory=list)
    playbooks_dir: Path | None = None
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    #: Caps that keep a build bounded on hostile input (``[limits]``; see generator/read/limits.py).
    limits: InputLimits = Field(default_factory=InputLimits)


def load_config(path: Path | None, **overrides: object) -> BuildConfig:
    """Read the TOML file (if any) and apply non-None overrides from the command line."""
    data: dict[str, object] = {}
    file = path or (DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None)
    if file is not None:
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Cannot read {file}: {exc}") from exc
        base = file.parent
        for key in ("alerts_dir", "docs_dir", "site_dir", "state_dir", "mkdocs_config", "playbooks_dir"):
            if isinstance(data.get(key), str):
                data[key] = str(base / str(data[key]))
        rules = data.get("rules")
        if isinstance(rules, list):
            data["rules"] = [str(base / str(r)) for r in rules]
    for key, value in overrides.items():
        if value is None or (key == "rules" and not value):
            continue
        data[key] = value
    try:
        config = BuildConfig.model_validate(data)
    except ValidationError as exc:
        where = f" in {file}" if file else ""
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"Invalid configuration{where}: {problems}") from None
    if config.display_timezone is not None:
        try:
            ZoneInfo(config.display_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"Unknown time zone {config.display_timezone!r} (display_timezone)") from None
    try:
        Priority.parse(config.feed_priority)
    except ValueError as exc:
        raise ConfigError(f"feed_priority: {exc}") from None
    return config
