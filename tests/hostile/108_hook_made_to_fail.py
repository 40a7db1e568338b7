# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: hook
# test: assert f(3) == 9
# about: the audit hook swallowed its own failures, so a hook that fails (memory run out just as it records, or, as here, a helper in its closure broken by a program that found the hook through gc) dropped the event with no trace. Its failure is now recorded: first a message framed before the program ran (one write, nothing to allocate, so it goes out even when memory has run out), then the details
import gc
import os


def boom(*args):
    raise MemoryError


# The template froze what it built (the hook too): thaw it first.
gc.unfreeze()
for obj in gc.get_objects():
    code = getattr(obj, "__code__", None)
    if code is not None and getattr(obj, "__name__", "") == "hook" and obj.__closure__:
        cells = dict(zip(code.co_freevars, obj.__closure__))
        if "path_kind" in cells:
            cells["path_kind"].cell_contents = boom
os.listdir("/")


def f(x):
    return 0
