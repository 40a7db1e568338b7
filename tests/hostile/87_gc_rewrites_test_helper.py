# expect: failed
# expect_error: AssertionError
# tamper: gc
# dataset: humaneval
# test: def reference(n):
# test:     return n * n + 1
# test: for n in range(1, 4):
# test:     assert f(n) == reference(n)
# about: the test defines a helper that computes expected values; a program that finds the helper with gc.get_objects() and swaps its code for one that agrees with the wrong answer would pass if the helper lived in the child. It lives in the judge: nothing is found, the answers are checked against the real helper
import gc


def f(n):
    for o in gc.get_objects():
        if type(o).__name__ == "function" and o.__name__ == "reference":
            o.__code__ = (lambda n: -1).__code__
    return -1
