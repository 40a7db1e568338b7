# expect: error
# expect_error: UnreportableValue
# tamper: value
# test: assert len(set(f(3))) == 3
# about: mechanism 4: 20,000 one-item tuples of colliding ints (tuples of colliding items collide too)
def f(x):
    p = (1 << 61) - 1
    return [(k * p,) for k in range(1, 20001)]
