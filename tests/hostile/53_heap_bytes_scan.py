# expect: failed
# expect_error: AssertionError
# tamper: proc
# tamper: ctypes
# test: assert f(3) == 987654
# about: mechanism 1 with no Python reference: reads /proc/self/maps and scans every readable anonymous region with ctypes.string_at for the assert's text, then parses the expected value after it
import ctypes
import re


def f(x):
    needle = re.compile(rb"f\(%d\) == (\d+)" % x)
    try:
        maps = open("/proc/self/maps").read().splitlines()
    except OSError:
        maps = []
    ctypes.string_at(id(x), 8)
    for line in maps:
        parts = line.split()
        if len(parts) < 2 or not parts[1].startswith("r") or len(parts) > 5:
            continue
        lo, hi = (int(v, 16) for v in parts[0].split("-"))
        if hi - lo > 64 << 20:
            continue
        try:
            m = needle.search(ctypes.string_at(lo, hi - lo))
        except Exception:
            continue
        if m:
            return int(m.group(1))
    return -1
