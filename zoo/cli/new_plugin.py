"""``zoo new-plugin NAME [DIR]``: write a working plugin distribution in the shape every plugin has.

The ``llm`` plugin template's idea without cookiecutter: the files live in ``zoo/templates/plugin``
(``.tmpl`` files, so they are neither imported nor byte-compiled as part of the core), with
``__pkg__`` in paths and ``{{name}}``-style tokens in text replaced by the plugin's names. The
result installs (``pip install -e DIR``), registers a model and a dataset, and passes its own tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from zoo._version import __version__
from zoo.errors import InputError

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "plugin"
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def plugin_names(name: str) -> dict[str, str]:
    """Every spelling of a plugin name the template uses.

    ``texture-lbp`` → distribution ``zoo-texture-lbp``, package ``zoo_texture_lbp``, entry point
    ``texture_lbp``, class ``TextureLbp``, CLI group ``zoo texture-lbp``.

    Raises:
        InputError: unless ``name`` is lower-case words joined by dashes.
    """
    if not _NAME_RE.match(name):
        raise InputError(
            f"Plugin name {name!r} must be lower-case letters and digits, words joined by '-' "
            "(e.g. 'texture-lbp'); it becomes the distribution zoo-<name> and the package zoo_<name>."
        )
    snake = name.replace("-", "_")
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
    with atomic_output_dir(out, overwrite=overwrite) as work:
        for template in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
            relative = template.relative_to(TEMPLATE_DIR).with_suffix("")
            target = work / str(relative).replace("__pkg__", names["pkg"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(template.read_text(encoding="utf-8"), names), encoding="utf-8")
    return Path(out)


@click.command("new-plugin")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def new_plugin_command(name: str, directory: Path | None) -> None:
    """Write a new plugin distribution zoo-NAME into DIRECTORY (default: ./zoo-NAME).

    It has the layout of every zoo plugin (pyproject with the entry point, plugin.py with
    COMPONENTS and the three hooks, catalog.toml, a model and a dataset, make-synth/train-synth
    verbs, conformance and data tests) and passes its tests once installed.
    """
    out = directory if directory is not None else Path(f"zoo-{name}")
    write_plugin(name, out)
    click.echo(f"wrote {plugin_names(name)['dist']} to {out}\n\nnext:\n  pip install -e {out}\n"
               f"  zoo plugins\n  pytest {out}")
