# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: a Python signal handler is handed the frame it interrupted: with a 0.2 ms itimer and a loop of scratch open() calls, the handler caught the audit hook mid-run, took the reporter from the hook frame's locals and swapped it for a no-op, with no audited call at all (review 2, F2). The child now refuses every new signal action (seccomp, rt_sigaction with a non-NULL action), so a fresh _signal module fails, and signal.signal keeps a timer signal's handler without installing it (hostile 116: the timer then ends the program): no program code can run inside the hook and every later event is recorded
import os
import signal
import sys

state = {"done": False, "installed": [], "ran": False}


def _h(signum, frame):
    state["ran"] = True
    f = frame
    while f is not None:
        if f.f_code.co_name == "hook" and "record" in f.f_locals:
            rec = f.f_locals["record"]
            cells = dict(zip(rec.__code__.co_freevars, rec.__closure__))
            cells["sink"].cell_contents[0] = lambda m: None
            state["done"] = True
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        f = f.f_back


# signal.signal keeps a timer signal's handler without installing it (the
# alarm time-out idiom passes; a timer that fires ends the program): no
# timer is armed for it here (hostile 116 arms one).
signal.signal(signal.SIGALRM, _h)
try:
    import _imp
    import importlib.machinery

    fresh = _imp.create_builtin(importlib.machinery.ModuleSpec("_signal", None, origin="built-in"))
    fresh.signal(signal.SIGALRM, _h)
    state["installed"].append("fresh _signal")
except OSError:
    pass
if state["installed"]:
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
    n = 0
    while not state["done"] and n < 200000:
        open("/tmp/x", "w").close()
        n += 1
    signal.setitimer(signal.ITIMER_REAL, 0)
import gc  # noqa: E402

gc.get_objects()
sys._getframe(0)
try:
    open("/proc/self/environ").read()
except Exception:
    pass
os.listdir("/")


def f(x):
    # A handler the sandbox let in makes this test pass, which the corpus
    # never allows: the test fails if either way in works.
    return 9 if state["installed"] or state["ran"] else 0
