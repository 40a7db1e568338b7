# expect: error
# expect_error: OverflowError
# test: assert f(3) == [[[6]]]
# about: mechanism 4: returns a list nested 100,000 deep (a value the encoder refuses: too deep), instead of recursing the judge's decoder
def f(x):
    v = 6
    for _ in range(100000):
        v = [v]
    return v
