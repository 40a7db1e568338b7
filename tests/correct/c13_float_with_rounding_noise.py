# modes: mbpp mbppplus humaneval
# entry: mean
# test: assert math.isclose(mean([0.1, 0.2, 0.3]), 0.2)
# call: [[0.1, 0.2, 0.3]]
# call: [[1.0, 2.0]]
# about: a float answer computed another way than the reference (different rounding): equal within EvalPlus's float tolerance
import math


def mean(xs):
    return math.fsum(x / len(xs) for x in xs)
