# expect: failed
# expect_error: AssertionError
# test: expected = sum([4, 5, 6]); assert f([4, 5, 6]) == expected
# about: an MBPP-style test whose expected value is computed in a statement beside its assert (no loop, no function: every assert still at the top level). When such a test was split (statements in the child, asserts judged), a program that replaced builtins.sum made the expected value whatever it answers. Only tests made of asserts alone are split now; this one runs in the judge, and only the call f([4, 5, 6]) crosses into the child
import builtins

builtins.sum = lambda *args, **kwargs: 0


def f(xs):
    return 0
