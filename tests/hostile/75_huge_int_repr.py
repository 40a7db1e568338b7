# expect: failed
# expect_error: AssertionError
# test: assert f(3) == 6
# about: mechanism 4 (crash the judge): returns an int of 5,001 decimal digits; Python 3.11+ refuses str()/repr() of ints over 4,300 digits (ValueError), so a judge that formats the value it got into its failure message would crash; the test must simply fail
def f(x):
    return 10 ** 5000 + 7
