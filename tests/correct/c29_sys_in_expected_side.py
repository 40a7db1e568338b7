# modes: mbpp humaneval
# entry: tuple_size
# test: assert tuple_size(("A", 1, "B", 2, "C", 3)) == sys.getsizeof(("A", 1, "B", 2, "C", 3))
# test: assert tuple_size(((1, "Lion"), (2, "Tiger"))) == sys.getsizeof(((1, "Lion"), (2, "Tiger")))
# about: MBPP 596's asserts: the expected side calls sys.getsizeof, which the judge evaluates with its own interpreter (the same Python as the child's), so the program's answer must agree with the real size
import sys


def tuple_size(t):
    return sys.getsizeof(t)
