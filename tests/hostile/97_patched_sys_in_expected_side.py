# expect: failed
# expect_error: AssertionError
# dataset: mbpp
# entry: tuple_size
# test: assert tuple_size(("A", 1, "B", 2, "C", 3)) == sys.getsizeof(("A", 1, "B", 2, "C", 3))
# test: assert tuple_size((1, "Raju", 2, "Nikhil")) == sys.getsizeof((1, "Raju", 2, "Nikhil"))
# about: MBPP 596's shape: the expected side of the assert calls sys.getsizeof, and `sys` was not one of the judge's modules, so that side ran in the child, where the program had replaced sys.getsizeof with a constant that its answer matches (a forged pass found by the review of 2026-12-05). `sys` is the judge's own now: the expected side is the real size
import sys

sys.getsizeof = lambda *args, **kwargs: 7


def tuple_size(t):
    return 7
