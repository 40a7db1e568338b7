# expect: failed
# expect_error: AssertionError
# tamper: gc
# test: assert f(3) == 9
# about: third review (F4a): gc.get_objects handed to a thread pool, whose worker (library code) made the call: the hook attributed gc scans to the nearest program frame behind the library's helpers and found none, so the scan that found the hook and swapped its reporter went unrecorded. gc scans are now recorded whoever makes them, the harness excepted: the scan is recorded before it returns (what the program does with its result, here the reporter swapped, comes after the evidence)
import gc, os, sys, types
from concurrent.futures import ThreadPoolExecutor
gc.unfreeze()
with ThreadPoolExecutor(1) as ex:
    objs = ex.submit(gc.get_objects).result()
print("gc objects:", len(objs))
done = False
for o in objs:
    if type(o) is types.FunctionType and o.__name__ == "hook" and o.__closure__:
        cells = dict(zip(o.__code__.co_freevars, o.__closure__))
        s = cells.get("sink")
        if s is not None and type(s.cell_contents) is list:
            s.cell_contents[0] = lambda m: None
            s.cell_contents[1] = None
            done = True
del objs
print("silenced:", done)
print("frame:", sys._getframe(0).f_back.f_code.co_name)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))


def f(x):
    return 0
