# expect: error
# expect_error: UnreportableValue
# test: assert f(3) == 6
# about: mechanism 4: returns a 4,200,001-bit int (over a million hex digits, past the judge's bounded decoder) to make decoding slow or raise; the judge refuses the value: that test gets UnreportableValue, the program and the run go on
def f(x):
    return 1 << 4_200_000
