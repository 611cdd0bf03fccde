"""One bad plugin breaks only itself: real distributions, installed beside the in-tree plugins.

Each case builds small plugin distributions in a temporary folder (pyproject with a ``zoo.plugins``
entry point), installs them with ``pip install --no-deps --target``, and runs ``python``/``zoo`` in a
subprocess with ``PYTHONPATH`` on that folder, so ``importlib.metadata`` discovers them exactly as
it discovers a user's pip-installed plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYTHON = Path(sys.executable)
ZOO = PYTHON.with_name("zoo")

_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.3.0"

[project.entry-points."zoo.plugins"]
{ep} = "{pkg}.plugin"

[tool.hatch.build.targets.wheel]
packages = ["{pkg}"]
"""

#: A third party whose memory takes the in-tree ``memory/dual-density`` name. Its entry point
#: sorts before ``l2hcount``, the order that used to let it win silently.
COLLIDING = {
    "plugin.py": """
        from pathlib import Path

        import zoo


        @zoo.hookimpl
        def zoo_register_components(register):
            register("expert/aaa-own", "zoo_aaa_memory.parts:Own", summary="unrelated to the collision")
            register("memory/dual-density", "zoo_aaa_memory.parts:OtherMemory", summary="same name as l2hcount's")


        @zoo.hookimpl
        def zoo_register_catalog(add):
            add(Path(__file__).with_name("catalog.toml"))
        """,
    "parts.py": """
        import torch

        import zoo


        class OtherMemory(zoo.Memory):
            def forward(self, x):
                return x


        class Own(zoo.Expert):
            pass
        """,
    "catalog.toml": """
        [models."aaa-recipe"]
        model = "model/l2hcount"
        status = "recipe"
        """,
}

#: A plugin whose catalog.toml holds a published entry without a source (and one valid entry).
BAD_CATALOG = {
    "plugin.py": """
        from pathlib import Path

        import zoo


        @zoo.hookimpl
        def zoo_register_components(register):
            register("expert/badcat-x", "zoo_badcat.parts:X")


        @zoo.hookimpl
        def zoo_register_catalog(add):
            add(Path(__file__).with_name("catalog.toml"))
        """,
    "catalog.toml": """
        [models."badcat-fine"]
        model = "model/l2hcount"
        status = "recipe"

        [models."badcat-broken"]
        model = "model/l2hcount"
        status = "published"
        """,
}

#: A plugin whose registration hook raises after registering one component.
HALFWAY = {
    "plugin.py": """
        import zoo


        @zoo.hookimpl
        def zoo_register_components(register):
            register("expert/half-a", "zoo_halfway.parts:A")
            raise RuntimeError("halfway: the second component's table is missing")
        """,
}


def _write_dist(root: Path, dist: str, ep: str, files: dict[str, str]) -> Path:
    pkg = dist.replace("-", "_")
    folder = root / dist
    (folder / pkg).mkdir(parents=True)
    (folder / "pyproject.toml").write_text(_PYPROJECT.format(dist=dist, ep=ep, pkg=pkg), encoding="utf-8")
    (folder / pkg / "__init__.py").write_text("", encoding="utf-8")
    for name, body in files.items():
        (folder / pkg / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return folder


def install(target: Path, *folders: Path) -> Path:
    """``pip install --no-deps --target`` (offline: hatchling comes from the test environment)."""
    subprocess.run(
        [PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--no-index", "--target", str(target), *map(str, folders)],
        check=True, capture_output=True, text=True, timeout=240,
    )
    return target


def run(target: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_")}
    environment.update(PYTHONPATH=str(target), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", **env)
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=environment)


def python_json(target: Path, script: str, **env: str) -> dict:
    result = run(target, [str(PYTHON), "-c", textwrap.dedent(script)], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("broken-src")
    return install(
        tmp_path_factory.mktemp("broken-site"),
        _write_dist(src, "zoo-badcat", "badcat", BAD_CATALOG),
        _write_dist(src, "zoo-halfway", "halfway", HALFWAY),
    )


@pytest.fixture(scope="module")
def colliding(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("colliding-src")
    return install(tmp_path_factory.mktemp("colliding-site"), _write_dist(src, "zoo-aaa-memory", "aaa_memory", COLLIDING))


_STATE = """
    import json
    import zoo
    from zoo.plugins import get_host

    host = get_host()
    out = {{"status": {{n: [s.loaded, s.error] for n, s in host.statuses.items()}},
            "components": sorted(host.registry.entries), "list": zoo.list("*l2h*"),
            "toy": zoo.build("model/toy-fusion").zoo_name}}
    {extra}
    print(json.dumps(out))
"""


def test_a_bad_catalog_entry_and_a_failing_hook_break_only_their_plugins(broken: Path) -> None:
    out = python_json(broken, _STATE.format(extra=textwrap.dedent("""
        model = zoo.load("l2hcount-synth")
        out["loaded"] = [model.zoo_name, model.zoo_source.endswith("l2hcount-synth")]
        try:
            zoo.build("expert/half-a")
        except KeyError as exc:
            out["half"] = str(exc)
        try:
            zoo.load("badcat-fine")
        except KeyError as exc:
            out["badcat"] = str(exc)
    """).replace("\n", "\n    ")))
    loaded, error = out["status"]["badcat"]
    assert not loaded and error.startswith("CatalogError: Invalid catalog entry 'badcat-broken' from zoo-badcat:")
    assert "a published entry needs a source" in error
    loaded, error = out["status"]["halfway"]
    assert not loaded and "RuntimeError: halfway: the second component's table is missing" in error
    assert out["status"]["l2hcount"] == [True, None]
    # All or nothing: the failed plugins' components and valid entries are gone, nothing else is.
    assert "expert/badcat-x" not in out["components"] and "expert/half-a" not in out["components"]
    assert {"model/l2hcount", "l2hcount-synth", "l2hcount-sha"} <= set(out["list"])
    assert "memory/dual-density" in out["components"]
    assert out["toy"] == "model/toy-fusion"
    assert out["loaded"] == ["model/l2hcount", True]
    assert "'expert/half-a' is provided by plugin halfway (zoo-halfway 0.3.0), which failed to load" in out["half"]
    assert "'badcat-fine' is provided by plugin badcat" in out["badcat"]


def test_zoo_plugins_errors_reports_each_failure_and_exits_1(broken: Path) -> None:
    result = run(broken, [str(ZOO), "plugins", "--errors"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "badcat (zoo-badcat 0.3.0): FAILED" in result.stdout and "halfway (zoo-halfway 0.3.0): FAILED" in result.stdout
    assert "l2hcount" not in result.stdout
    listed = run(broken, [str(ZOO), "list", "l2hcount*", "--json"])
    assert listed.returncode == 0 and "l2hcount-synth" in [i["name"] for i in json.loads(listed.stdout)]
    assert "2 plugin(s) failed to load (badcat, halfway); see `zoo plugins --errors`" in listed.stderr


def test_a_name_collision_fails_both_sides_and_nothing_else(colliding: Path) -> None:
    out = python_json(colliding, _STATE.format(extra=textwrap.dedent("""
        try:
            zoo.load("l2hcount-synth")
        except KeyError as exc:
            out["synth"] = str(exc)
    """).replace("\n", "\n    ")))
    for name in ("aaa_memory", "l2hcount"):
        loaded, error = out["status"][name]
        assert not loaded
        assert "component 'memory/dual-density' is provided by zoo-aaa-memory@0.3.0 (plugin aaa_memory) and zoo-l2hcount@" in error
        assert "ZOO_DISABLE_PLUGINS=aaa_memory keeps zoo-l2hcount" in error
        assert "ZOO_DISABLE_PLUGINS=l2hcount keeps zoo-aaa-memory" in error
    assert not any(c.endswith(("dual-density", "aaa-own", "l2hcount")) for c in out["components"])
    assert out["toy"] == "model/toy-fusion" and out["status"]["toy_models"] == [True, None]
    # The in-tree catalog is not silently gone: asking for it says which collision withholds it.
    assert "'l2hcount-synth' is provided by plugin l2hcount" in out["synth"]
    assert "ZOO_DISABLE_PLUGINS=aaa_memory" in out["synth"]


def test_disabling_the_third_party_restores_l2hcount_and_the_reverse_choice_works(colliding: Path) -> None:
    script = """
        import json
        import zoo
        model = zoo.load("l2hcount-synth")
        print(json.dumps([type(model.memory).__module__, zoo.list("aaa*")]))
    """
    assert python_json(colliding, script, ZOO_DISABLE_PLUGINS="aaa_memory") == ["zoo_l2hcount.memory", []]
    script = """
        import json
        import zoo
        from zoo.plugins import get_host
        entry = get_host().registry.entries["memory/dual-density"]
        print(json.dumps([entry.target, zoo.list("aaa*"), "model/l2hcount" in zoo.list()]))
    """
    expected = ["zoo_aaa_memory.parts:OtherMemory", ["aaa-recipe", "expert/aaa-own"], False]
    assert python_json(colliding, script, ZOO_DISABLE_PLUGINS="zoo-l2hcount") == expected


def test_a_plugin_selection_naming_nothing_installed_lists_what_is(colliding: Path) -> None:
    result = run(colliding, [str(ZOO), "plugins", "--errors"], ZOO_LOAD_PLUGINS="l2hcont")
    assert result.returncode == 1
    assert "ZOO_LOAD_PLUGINS names l2hcont, which no installed plugin is called" in result.stdout
    assert "aaa_memory (zoo-aaa-memory), cmip_cil (zoo-cmip-cil)" in result.stdout
