"""dnnkit's result files, free of pytest: records read as text (records), the terminal table (table), claims.md
(markdown), one claim in full (detail), the files (storage), result sets compared and merged over seed bases
(merge), and the run's progress lines (progress). The plugin, the report, the plots, the exercises and
`dnnkit stability` all read and write results through here."""

from .records import effect_text, num
from .storage import SCHEMA, load_results, write_claims, write_results

__all__ = ["SCHEMA", "effect_text", "load_results", "num", "write_claims", "write_results"]
