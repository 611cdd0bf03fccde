"""Tools for plugin authors' tests: the conformance kit and a local Hub server.

``from zoo.testing import check_component, conformance_names`` is all a plugin's test needs::

    @pytest.mark.parametrize("name", conformance_names(distribution="zoo-myplugin"))
    def test_conformance(name):
        check_component(name)
"""

from zoo.testing.conformance import ConformanceError, check_component, conformance_names

__all__ = ["ConformanceError", "check_component", "conformance_names"]
