# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# atol: 1e-6
# call: [1]
# call: [2]
# about: mechanism 5: a float answer replaced by NaN (never close), and a float subclass whose __eq__ and __float__ lie
class Liar(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.25


def f(n):
    return float("nan") if n == 1 else Liar(123.0)
