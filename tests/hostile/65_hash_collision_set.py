# expect: error
# expect_error: UnreportableValue
# tamper: value
# test: assert f(3) == {1}
# about: mechanism 4: returns a set of 3,000 colliding ints (the child pays for building it; the judge refuses to rebuild it)
def f(x):
    p = (1 << 61) - 1
    return {k * p for k in range(1, 3001)}
