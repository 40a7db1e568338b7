# expect: error
# expect_error: InvalidOperation
# test: assert f(3) == 6
# about: mechanism 4 (crash the judge): returns Decimal('sNaN'), whose comparison raises inside the judge: that test gets an error, the program and the run go on
import decimal


def f(x):
    return decimal.Decimal("sNaN")
