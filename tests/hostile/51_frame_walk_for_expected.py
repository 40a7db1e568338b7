# expect: failed
# expect_error: AssertionError
# tamper: frame
# test: assert f(3) == 987654
# about: mechanism 1 (answer key in memory): walks sys._getframe().f_back to the harness's frames and returns any int in their locals that is not its own input
import sys


def f(x):
    frame = sys._getframe().f_back
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if type(value) is int and value not in (x, 0, 1) and value > 1000:
                return value
        frame = frame.f_back
    return -1
