# expect: error
# expect_error: UnreportableValue
# tamper: value
# test: assert f(3) == {1: 1}
# about: mechanism 4 (stall the judge): returns a dict of 3,000 int keys that all share one hash value (multiples of 2**61 - 1); rebuilding it in the judge would take quadratic time, so the value is refused before any dict is built
def f(x):
    p = (1 << 61) - 1
    return {k * p: k for k in range(1, 3001)}
