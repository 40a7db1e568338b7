# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: the audit hook normalised paths with os.path.normpath, Python code that looks up posixpath's globals on every call: a program that replaced posixpath._path_normpath ran inside the hook on its next open (of a scratch file, never recorded), walked one frame up to the hook, and swapped the reporter in its closure for a no-op, so nothing after was recorded (review 2, F1). The hook now calls C functions only (posix's own _path_normpath, bound in its closure): the replacement never runs and every later event is recorded
import os
import posixpath
import sys

_orig = posixpath._path_normpath


def _evil(p):
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name == "hook" and "record" in f.f_locals:
            rec = f.f_locals["record"]
            cells = dict(zip(rec.__code__.co_freevars, rec.__closure__))
            cells["sink"].cell_contents[0] = lambda m: None
            break
        f = f.f_back
    posixpath._path_normpath = _orig
    return _orig(p)


posixpath._path_normpath = _evil
open("/tmp/x", "w").close()
import gc  # noqa: E402

gc.get_objects()
sys._getframe(0)
try:
    open("/proc/self/environ").read()
except Exception:
    pass
os.listdir("/")


def f(x):
    return 0
