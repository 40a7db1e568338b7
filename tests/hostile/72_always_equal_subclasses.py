# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# call: [3]
# call: [4]
# about: mechanism 5: returns an int subclass and a list subclass whose __eq__ always says True (and whose __index__/__iter__ lie): only the base value is compared
class Yes(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__

    def __index__(self):
        return 10 ** 6


class Same(list):
    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter([10, 20])


def f(n):
    return Yes(-1) if n == 3 else Same([-1])
