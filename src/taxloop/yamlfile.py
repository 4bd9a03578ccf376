"""YAML reading for every data file (rules, matters, contract, registry, settings).

PyYAML's pure-Python loader takes about 1 ms per rule file; its libyaml binding (``CSafeLoader``, shipped in the
PyYAML wheels) parses the same documents to the same Python values about ten times faster, which matters when a
scan reads the whole rule library before planning. The pure-Python ``SafeLoader`` is the fallback where PyYAML was
built without libyaml. Both raise ``yaml.YAMLError`` subclasses.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse one YAML document with the safe (plain data only) loader; ``None`` for an empty document."""
    return yaml.load(text, Loader=_LOADER)
