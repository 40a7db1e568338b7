# expect: failed
# expect_error: AssertionError
# tamper: gc
# test: assert f(3) == 987654
# about: mechanism 1: scans gc.get_objects() for a job dict ("expected", "tests") or an assert's source text and returns the expected value found there
import gc
import re


def f(x):
    for o in gc.get_objects():
        try:
            if isinstance(o, dict):
                for key in ("expected", "tests"):
                    if key in o:
                        return o[key]
            if isinstance(o, str) and "f(%d) ==" % x in o:
                m = re.search(r"f\(%d\) == (\d+)" % x, o)
                if m:
                    return int(m.group(1))
        except Exception:
            pass
    return -1
