import sys
from pathlib import Path

# The toy model module is shared by the tests and the torchrun worker scripts.
sys.path.insert(0, str(Path(__file__).parent))
