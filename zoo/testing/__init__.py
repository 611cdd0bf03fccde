"""Tools for plugin authors' tests: the conformance kit, the CLI runner and a local Hub server.

``from zoo.testing import check_component, conformance_names`` is all a plugin's conformance test
needs (``run_cli(["myplugin", "make-synth", out])`` runs a command in-process)::

    @pytest.mark.parametrize("name", conformance_names(distribution="zoo-myplugin"))
    def test_conformance(name):
        check_component(name)
"""

from zoo.testing.cli import run_cli
from zoo.testing.conformance import ConformanceError, check_component, conformance_names
from zoo.testing.hub_server import LocalHub

__all__ = ["ConformanceError", "LocalHub", "check_component", "conformance_names", "run_cli"]
