# expect: failed
# expect_error: AssertionError
# test: assert f(3) == [[[6]]]
# about: mechanism 4: returns a list nested 190 deep, just inside the value codec's depth limit, so that it is sent and decoded: the judge's decoder, comparison and failure message must cope with it (a wrong answer: failed), where 68 (100,000 deep) is refused by the encoder
def f(x):
    v = 2 * x
    for _ in range(190):
        v = [v]
    return v
