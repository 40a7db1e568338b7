# expect: failed
# expect_error: AssertionError
# tamper: hook
# test: assert f(3) == 9
# about: an audited call made just below the recursion limit: the hook itself starts, but its own calls (to find the frame, to record) hit the limit, and it swallowed the RecursionError, so the call went ahead unrecorded. The program finds the deepest depth at which os.listdir("/") succeeds and lists there only. The hook now raises the limit while it runs, so one level above the limit the listing is recorded; at the very limit the hook cannot make its first call, and (third review, F1b) it lets no exception out: it writes a message framed before the program ran (`hook`: an audited event went unchecked) with one os.write, a call CPython's specialised fast path makes without a recursion check
import os
import sys


def at_depth(n):
    if n:
        return at_depth(n - 1)
    try:
        os.listdir("/")
        return True
    except RecursionError:
        return False


done = False
for n in range(sys.getrecursionlimit(), 0, -1):
    try:
        if at_depth(n):
            done = True
            break
    except RecursionError:
        pass


def f(x):
    return 0
