# expect: error
# expect_error: UnreportableValue
# tamper: value
# test: assert set(f(3)) == {1}
# about: mechanism 4 (stall the judge): returns 200,000 distinct ints that all share one hash value (multiples of 2**61 - 1); the judge's set() of them would take quadratic time, so the value is refused before any set is built
def f(x):
    p = (1 << 61) - 1
    return [k * p for k in range(1, 200001)]
