# expect: failed
# expect_error: AssertionError
# tamper: file
# tamper: gc
# tamper: frame
# tamper: proc
# test: assert f(3) == 9
# about: third review (F1a): with the recursion limit at 2**31-1 (not audited), the hook's raise of the limit by 64 overflowed a C int, so every watched event raised OverflowError out of the hook before anything was recorded; its traceback held the hook frame, which a cycle through the audit arguments and gc.garbage (DEBUG_SAVEALL, unaudited) handed back, and the frame's locals held the reporter. No exception leaves the hook now and the raise is clamped: the sys.audit with a program object is recorded, and so is everything after
import gc, os, sys

class Holder:
    pass

def leak():
    h = Holder()
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(2**31 - 1)
    try:
        sys.audit("open", h, "r", 0)
    except OverflowError as e:
        h.e = e          # cycle: e -> tb -> hook frame -> args -> h -> e
    finally:
        sys.setrecursionlimit(old)

leak()
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
print("silenced:", bool(done))
# now tamper as in the control
print("gc objects:", len(gc.get_objects()))
print("frame:", sys._getframe(0).f_back.f_code.co_name)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))


def f(x):
    return 0
