# expect: failed
# expect_error: AssertionError
# tamper: file
# test: assert f(3) == 9
# about: program code run inside the audit hook, where the hook's own events are not watched: an event the program raises itself (sys.audit("open", obj)) whose path object's __fspath__ the hook called. From there a gc scan (unrecorded) found the hook and replaced its reporter through the closures, and the read that followed left no trace. The hook now reads only exact str, bytes and int arguments and never calls a program's object: __fspath__ never runs, the forged event is recorded as a `file` event, and so is the read
import sys


class Path:
    def __fspath__(self):
        import gc

        def silence(fn, seen):
            # The reporter is a one-item list in the closure of the hook or
            # of a function the hook calls.
            if id(fn) in seen or not getattr(fn, "__closure__", None):
                return
            seen.add(id(fn))
            for cell in fn.__closure__:
                try:
                    v = cell.cell_contents
                except ValueError:
                    continue
                if type(v) is list and len(v) == 1 and callable(v[0]):
                    v[0] = lambda o: None
                elif callable(v):
                    silence(v, seen)

        for obj in gc.get_objects():
            if callable(obj) and getattr(obj, "__name__", "") == "hook":
                silence(obj, set())
        return "/tmp/x"


sys.audit("open", Path(), "r", 0)
try:
    open("/etc/hostname").read()
except OSError:
    pass


def f(x):
    return 0
