"""Layered YAML configuration: conf/base, then conf/<env>, then --conf FILE, then command-line overrides.

Every leaf remembers the file that set it, so a validation error names both the key and the file.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from creator_governance.settings import Config

DEFAULT_ENV = "local"
ENV_VAR = "GOVERN_ENV"
CONF_DIR_VAR = "GOVERN_CONF_DIR"
# Folders of conf/ that are not environments: the defaults, and definitions such as the strategy library.
NOT_ENVS = {"base", "strategies", "__pycache__"}


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the key and the file."""


def conf_dir() -> Path:
    """The folder holding base/, local/, cluster/: $GOVERN_CONF_DIR, else the packaged conf/."""
    override = os.environ.get(CONF_DIR_VAR)
    if override:
        return Path(override)
    source_tree = Path(__file__).resolve().parent.parent / "conf"
    if (source_tree / "base").is_dir():  # a checkout or an editable install
        return source_tree
    # The package, not creator_governance.conf: a folder without __init__.py is not importable from a zip.
    packaged = importlib.resources.files("creator_governance") / "conf"
    if Path(str(packaged), "base").is_dir():  # an installed wheel
        return Path(str(packaged))
    return _extracted(packaged)  # a zipped wheel on sys.path (spark-submit --py-files)


def _extracted(packaged) -> Path:
    """Copy the packaged conf/ out of a zip, once per distinct content, so it can be read as plain files."""
    import hashlib

    files = dict(_yaml_files(packaged, ""))
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"creator_governance_conf_{digest}"
    if not (target / "base").is_dir():
        staging = Path(tempfile.mkdtemp(prefix="conf-", dir=tempfile.gettempdir()))
        for relative, body in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_bytes(body)
        try:
            os.replace(staging, target)
        except OSError:  # another process extracted it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _yaml_files(node, prefix: str):
    """(relative path, bytes) of every YAML file below a Traversable."""
    for child in node.iterdir():
        if child.is_dir():
            yield from _yaml_files(child, f"{prefix}{child.name}/")
        elif child.name.endswith(".yaml"):
            yield f"{prefix}{child.name}", child.read_bytes()


def load_config(
    conf_file: str | Path | None = None,
    env: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Merge the layers and validate them into a frozen `Config`; raise `ConfigError` on any fault."""
    env = env or os.environ.get(ENV_VAR) or DEFAULT_ENV
    root = conf_dir()
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    _merge_layer_dir(root / "base", merged, origin, required=True)
    if env in NOT_ENVS - {"base"}:
        raise ConfigError(f"environment '{env}': conf/{env} holds definitions, not an environment")
    if env != "base":
        env_dir = root / env
        if not env_dir.is_dir():
            raise ConfigError(f"environment '{env}': no folder {env_dir} (set {ENV_VAR} or --env to one of "
                              f"{sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in NOT_ENVS)})")
        _merge_layer_dir(env_dir, merged, origin, required=False)
    if conf_file is not None:
        path = Path(conf_file)
        if not path.is_file():
            raise ConfigError(f"--conf {path}: no such file")
        body = _read_yaml(path)
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: expected a mapping of sections (spark:, tables:, ...), got {type(body).__name__}")
        _deep_merge(merged, body, origin, str(path), ())
    if overrides:
        _deep_merge(merged, overrides, origin, "command line", ())
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin)) from None


def _merge_layer_dir(folder: Path, merged: dict, origin: dict, *, required: bool) -> None:
    if not folder.is_dir():
        if required:
            raise ConfigError(f"configuration folder {folder} is missing")
        return
    for path in sorted(folder.glob("*.yaml")):
        body = _read_yaml(path)
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: expected a mapping of keys, got {type(body).__name__}")
        _deep_merge(merged, {path.stem: body}, origin, str(path), ())


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _deep_merge(target: dict, layer: dict, origin: dict, source: str, prefix: tuple[str, ...]) -> None:
    for key, value in layer.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value, origin, source, path)
        else:
            target[key] = value
            origin[path] = source
            if isinstance(value, dict):
                _record_leaves(value, origin, source, path)


def _record_leaves(value: dict, origin: dict, source: str, prefix: tuple[str, ...]) -> None:
    for key, inner in value.items():
        origin[(*prefix, str(key))] = source
        if isinstance(inner, dict):
            _record_leaves(inner, origin, source, (*prefix, str(key)))


def _explain(exc: ValidationError, origin: dict[tuple[str, ...], str]) -> str:
    """One line per fault: `key: what is wrong (file)`."""
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc)
        source = _source_of(loc, origin)
        if err["type"] == "extra_forbidden":
            what = "unknown key"
        elif err["type"] == "missing":
            what = "required key is missing"
        else:
            what = f"{err['msg']} (got {err.get('input')!r})"
        lines.append(f"config error: {key}: {what} [{source}]")
    return "\n".join(lines)


def _source_of(loc: tuple[str, ...], origin: dict[tuple[str, ...], str]) -> str:
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in origin:
            return origin[loc[:cut]]
    return f"conf/base/{loc[0]}.yaml" if loc else "configuration"
