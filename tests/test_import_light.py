"""`import zoo`, `zoo.list()` and the `zoo list` command must not import heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "open3d", "cv2", "timm", "transformers")


def _heavy_modules_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_zoo_is_light() -> None:
    assert _heavy_modules_after("import zoo") == []


def test_zoo_list_and_info_are_light() -> None:
    code = "import zoo; names = zoo.list(); assert names, 'no plugins found'; zoo.info(names[0])"
    assert _heavy_modules_after(code) == []


def test_listing_imports_no_implementation_module() -> None:
    code = "import sys, zoo; zoo.list(); zoo.info('expert/lbp-top'); zoo.info('model/toy-fusion')"
    probe = f"{code}\nprint([m for m in sys.modules if m.startswith(('zoo_thirdparty_lbp.', 'zoo_toy_models.'))])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['zoo_thirdparty_lbp.plugin', 'zoo_toy_models.plugin']"


def test_cli_list_is_light() -> None:
    code = (
        "import sys; from zoo.cli.main import main\n"
        "try:\n    main(['list', '--json'])\nexcept SystemExit as e:\n    assert e.code in (0, None)\n"
    )
    assert _heavy_modules_after(code) == []


def test_cli_help_is_light() -> None:
    """`zoo --help` builds every verb (plugins' too) without importing torch or a model library."""
    code = (
        "import sys; from zoo.cli.main import main\n"
        "for argv in (['--help'], ['predict', '--help'], ['train', '--help'], ['l2hcount', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code in (0, None), argv\n"
    )
    assert _heavy_modules_after(code) == []


def test_top_level_api_is_exactly_the_documented_names() -> None:
    import zoo

    expected = {
        "__version__", "load", "build", "list", "info", "save", "publish", "hookimpl", "predict", "example_input",
        "ComponentConfig", "Component", "Encoder", "Expert", "Memory", "Head", "Model", "Dataset",
    }
    assert set(zoo.__all__) == expected
    assert set(dir(zoo)) == expected
