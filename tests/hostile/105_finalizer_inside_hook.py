# expect: failed
# expect_error: AssertionError
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: a collection can start at any allocation, and the audit hook allocates: with the collector's threshold at 1 and cyclic garbage whose __del__ walks up from its own frame, a finalizer ran inside the hook (its sys._getframe was the hook's re-entrant event, not watched), found the hook frame and swapped the reporter for a no-op. The collector is off while the hook runs now, and events raised inside it other than its own are recorded as `hook`: the reads after the attempt are recorded
import gc
import os
import sys

state = {"done": False}


class Bait:
    def __init__(self):
        self.me = self

    def __del__(self):
        if state["done"]:
            return
        f = sys._getframe()
        while f is not None:
            if f.f_code.co_name == "hook" and "record" in f.f_locals:
                rec = f.f_locals["record"]
                cells = dict(zip(rec.__code__.co_freevars, rec.__closure__))
                cells["sink"].cell_contents[0] = lambda m: None
                state["done"] = True
                return
            f = f.f_back


# Each threshold puts the collection at another allocation: some land
# inside the hook.
for n in range(20000):
    if state["done"]:
        break
    gc.collect()
    gc.set_threshold(1 + n % 40, 1000, 1000)
    Bait()
    open("/tmp/x", "w").close()
gc.set_threshold(700, 10, 10)
try:
    open("/proc/self/environ").read()
except Exception:
    pass
os.listdir("/")


def f(x):
    return 0
