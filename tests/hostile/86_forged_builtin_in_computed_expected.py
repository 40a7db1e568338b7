# expect: failed
# expect_error: AssertionError
# dataset: humaneval
# test: lst = [5, 8, 7, 1]
# test: odd_sum = sum([x for idx, x in enumerate(lst) if idx % 2 == 0 and x % 2 == 1])
# test: assert f(lst) == odd_sum
# about: the test computes its expected value in a statement of its own (HumanEval/151's shape); when that statement ran in the child, a program that replaced builtins.sum made the expected value whatever it answers. The judge now runs the test itself and only the call f(lst) crosses into the child
import builtins

builtins.sum = lambda *args, **kwargs: 0


def f(lst):
    return 0
