# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: third review (F1b): an audited call made at the depth where the hook's first C call hits the recursion limit: the RecursionError left the hook with its frame in the traceback, and gc.garbage handed the frame back. The hook now lets no exception out (where it cannot start it writes a message framed before the program ran, with one os.write, which the recursion limit does not stop): no frame leaks, and the scan, the frame lookup and the reads after it are recorded
import gc, os, sys

class Holder:
    pass

def at_depth(n, h):
    if n:
        return at_depth(n - 1, h)
    try:
        sys.audit("open", "/tmp/x", h, 0)   # scratch path: never recorded
    except RecursionError as e:
        h.e = e

for n in range(sys.getrecursionlimit(), 0, -1):
    h = Holder()
    try:
        at_depth(n, h)
    except RecursionError:
        pass
    del h

gc.set_debug(gc.DEBUG_SAVEALL)
gc.collect()
gc.set_debug(0)
done = []
for o in gc.garbage:
    if type(o).__name__ == "frame":
        loc = o.f_locals
        if "sink" in loc and type(loc["sink"]) is list:
            loc["sink"][0] = lambda m: None
            loc["sink"][1] = None
            done.append(1)
gc.garbage.clear()
print("silenced:", len(done))
print("gc objects:", len(gc.get_objects()))
print("frame:", sys._getframe(0).f_back.f_code.co_name)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))


def f(x):
    return 0
