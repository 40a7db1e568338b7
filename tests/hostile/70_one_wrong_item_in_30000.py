# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# call: [30000]
# about: mechanism 5: a 30,000-item output, right except one item in the middle (a sampled fingerprint of 3,000 items would have missed it)
def f(n):
    out = [i * i for i in range(n)]
    out[n // 2 + 7] += 1
    return out
