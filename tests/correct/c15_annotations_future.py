# modes: mbpp mbppplus humaneval
# entry: merge
# test: assert merge({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
# call: [{"a": 1}, {"b": 2}]
# call: [{}, {"x": 0}]
# about: from __future__ import annotations, heavy typing, Optional defaults
from __future__ import annotations

from typing import Dict, Optional


def merge(a: Dict[str, int], b: Dict[str, int], extra: Optional[Dict[str, int]] = None) -> Dict[str, int]:
    out: Dict[str, int] = dict(a)
    out.update(b)
    out.update(extra or {})
    return out
