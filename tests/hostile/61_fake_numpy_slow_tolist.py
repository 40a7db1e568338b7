# expect: timeout
# expect_error: Timeout
# test: assert f(3) == [0, 2, 4]
# about: mechanism 3: returns an object dressed as a numpy array whose tolist() (called during encoding) does the slow work
import time


class Array:
    pass


Array.__module__ = "numpy"


def _tolist(self):
    time.sleep(20)
    return [0, 2, 4]


Array.tolist = _tolist


def f(x):
    return Array()
