# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# call: [1500000]
# about: mechanism 5: a 1,500,000-item output (sent as a digest of its full encoding), wrong in one item
def f(n):
    out = list(range(n))
    out[987654] = -1
    return out
