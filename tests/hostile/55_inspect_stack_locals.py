# expect: failed
# expect_error: AssertionError
# tamper: frame
# test: assert f(3) == 987654
# about: mechanism 1 through the library: inspect.stack() and every caller's globals, looking for a test list or expected outputs
import inspect


def f(x):
    for info in inspect.stack():
        g = info.frame.f_globals
        for key in ("expected", "EXPECTED", "tests", "job"):
            if key in g:
                return g[key]
    return -1
