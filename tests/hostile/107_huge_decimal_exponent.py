# expect: error
# expect_error: UnreportableValue
# test: assert int(f(5, 3)) == 35
# about: MBPP 912's shape (`assert int(lobb_num(5, 3)) == 35`): the judge converts the returned value with int() itself, and int(Decimal('1e30000000')) builds a 30-million-digit integer, minutes of the judge's CPU, until the job died as a HarnessError (review 2, F4). The decoder refuses a Decimal whose exponent is past 10,000, so that test fails at once (`UnreportableValue`)
import decimal


def f(n, m):
    return decimal.Decimal("1e30000000")
