"""Apache Beam transforms over spotcheck's core: `ScanFiles` (files to scan rows) and the stats
combiner. Run the pipelines with `python -m spotcheck.beam scan|stats --help`; any argument they do
not define is a Beam pipeline option (`--runner`, `--direct_num_workers`, `--project`, ...).
"""

from .scan import ScanFiles, fixed_prefix

__all__ = ["ScanFiles", "fixed_prefix"]
