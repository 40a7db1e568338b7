# expect: failed
# expect_error: AssertionError
# tamper: hook
# test: assert f(3) == 9
# about: the hook raises the recursion limit by 64 while it runs, and CPython refuses to lower a limit below the current depth: an audited call within a few frames of the limit left the limit raised, the next entry saved the raised one, and five probes walked it from 1000 to 1320 (found while fixing the third review's F1). A limit the hook could not restore now waits to be restored at a later exit, the next entry starts from it, and the raise never passes the program's own limit + 128; the test passes only if the limit got past that
import sys


def at_depth(n):
    if n:
        return at_depth(n - 1)
    try:
        open("/tmp/x", "w").close()
        return True
    except RecursionError:
        return False


start = sys.getrecursionlimit()
highest = start
for _ in range(8):
    for n in range(sys.getrecursionlimit(), 0, -1):
        try:
            if at_depth(n):
                break
        except RecursionError:
            pass
    highest = max(highest, sys.getrecursionlimit())


def f(x):
    return 9 if highest > start + 128 else 0
