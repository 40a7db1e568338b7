# expect: failed
# expect_error: AssertionError
# dataset: humaneval
# entry: find_zero
# prompt: import math
# prompt:
# prompt:
# prompt: def poly(xs: list, x: float):
# prompt:     return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])
# prompt:
# prompt:
# prompt: def find_zero(xs: list):
# prompt:     """xs are the coefficients of a polynomial (an even number of them); return x with poly(xs, x) == 0."""
# test: import copy
# test: for coeffs in ([1, 2], [-6, 11, -6, 1], [2, -3, 0, 1]):
# test:     solution = find_zero(copy.deepcopy(coeffs))
# test:     assert math.fabs(poly(coeffs, solution)) < 1e-4
# about: HumanEval/32's shape: the test checks the answer with the prompt's helper `poly`. The program (a full solution) redefines `poly` to return 0 and answers a constant; when the judge sent every name of the test other than builtins to the child, the program's own `poly` judged its answer (a forged pass, reproduced on the real HumanEval/32 by the review of 2026-12-05). The prompt is the benchmark's code: the judge runs it itself and only find_zero crosses into the child
import math


def poly(xs, x):
    return 0.0


def find_zero(xs):
    return 12345.0
