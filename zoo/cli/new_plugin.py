"""``zoo new-plugin NAME [DIR]``: write a working plugin distribution in the shape every plugin has.

The ``llm`` plugin template's idea without cookiecutter: the files live in ``zoo/templates/plugin``
(``.tmpl`` files, so they are neither imported nor byte-compiled as part of the core), with
``__pkg__`` in paths and ``{{name}}``-style tokens in text replaced by the plugin's names. The
result installs (``pip install -e DIR``), registers a model and a dataset, and passes its own tests.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from pathlib import Path

import click

from zoo._version import __version__
from zoo.errors import InputError

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "plugin"
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
#: Longer names make paths (zoo-<name>/zoo_<name>/...) past what file systems take.
MAX_NAME = 40


def plugin_names(name: str) -> dict[str, str]:
    """Every spelling of a plugin name the template uses.

    ``texture-lbp`` → distribution ``zoo-texture-lbp``, package ``zoo_texture_lbp``, entry point
    ``texture_lbp``, class ``TextureLbp``, CLI group ``zoo texture-lbp``.

    Raises:
        InputError: unless ``name`` is lower-case words joined by dashes.
    """
    if not _NAME_RE.match(name) or len(name) > MAX_NAME:
        raise InputError(
            f"Plugin name {name!r} must be lower-case letters and digits, words joined by '-' (e.g. "
            f"'texture-lbp'), at most {MAX_NAME} characters; it becomes the distribution zoo-<name> and the "
            "package zoo_<name>."
        )
    snake = name.replace("-", "_")
    if keyword.iskeyword(snake) or keyword.issoftkeyword(snake):
        raise InputError(f"Plugin name {name!r} is a Python keyword; the plugin's CLI group would be named "
                         f"{snake!r} in its code. Choose another name (e.g. '{name}-plugin').")
    return {
        "name": name,
        "dist": f"zoo-{name}",
        "pkg": f"zoo_{snake}",
        "ep": snake,
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "zoo_version": __version__,
    }


def render(text: str, names: dict[str, str]) -> str:
    """Replace the ``{{token}}`` placeholders (and only those) in a template's text."""
    for key, value in names.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def write_plugin(name: str, out: str | Path, overwrite: bool = False) -> Path:
    """Write the plugin distribution ``zoo-<name>`` into ``out`` (atomically).

    Returns:
        ``out``.

    Raises:
        InputError: for a bad name, or an ``out`` that is a file or a non-empty folder.
    """
    from zoo.fsutil import atomic_output_dir

    names = plugin_names(name)
    check_name_is_free(name)
    with atomic_output_dir(out, overwrite=overwrite) as work:
        for template in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
            relative = template.relative_to(TEMPLATE_DIR).with_suffix("")
            target = work / str(relative).replace("__pkg__", names["pkg"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(template.read_text(encoding="utf-8"), names), encoding="utf-8")
    return Path(out)


def check_name_is_free(name: str, verbs: Iterable[str] = ()) -> None:
    """Refuse a name the installed zoo already uses: the new plugin would collide once installed.

    Its components (``model/<name>``, ``dataset/<name>``), its catalog entry (``<name>-synth``), its
    distribution and entry point, and its CLI group (``zoo <name>``, one of ``verbs``) must all be
    free, or installing it would fail it and the plugin it collides with (the collision rule).

    Raises:
        InputError: naming what already uses the name.
    """
    from zoo.catalog import get_catalog
    from zoo.plugins import get_host

    host = get_host()
    names = plugin_names(name)
    taken = [f"model/{name}", f"dataset/{name}"]
    users = [f"component {n} ({host.registry.entries[n].provider})" for n in taken if n in host.registry.entries]
    if f"{name}-synth" in get_catalog().entries:
        users.append(f"catalog entry {name}-synth")
    users += [f"plugin {s.name} ({s.distribution})" for s in host.statuses.values()
              if s.name == names["ep"] or s.distribution == names["dist"]]
    if name in set(verbs):
        users.append(f"the command `zoo {name}`")
    if users:
        raise InputError(f"Plugin name {name!r} is taken by {', '.join(users)}: the new plugin would collide with it "
                         "once installed. Choose another name (nothing was written).")


@click.command("new-plugin")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace DIRECTORY if it exists and is not empty.")
def new_plugin_command(name: str, directory: Path | None, overwrite: bool) -> None:
    """Write a new plugin distribution zoo-NAME into DIRECTORY (default: ./zoo-NAME).

    It has the layout of every zoo plugin (pyproject with the entry point, plugin.py with
    COMPONENTS and the three hooks, catalog.toml, a model and a dataset, make-synth/train-synth
    verbs, conformance and data tests) and passes its tests once installed.
    """
    out = directory if directory is not None else Path(f"zoo-{name}")
    root = click.get_current_context().find_root().command
    check_name_is_free(name, getattr(root, "commands", {}))
    write_plugin(name, out, overwrite=overwrite)
    click.echo(f"wrote {plugin_names(name)['dist']} to {out}\n\nnext:\n  pip install -e {out}\n"
               f"  zoo plugins\n  pytest {out}")
