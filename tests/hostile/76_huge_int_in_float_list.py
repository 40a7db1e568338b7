# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# atol: 1e-6
# call: [2]
# call: [4]
# about: mechanism 4 under EvalPlus's rules: a list of floats is expected (atol comparison); the answer puts a 400,000-digit int where a float goes, so converting it for the tolerance comparison overflows inside the judge (numpy raises there too, which EvalPlus counts as a failure): failed, not a judge crash
def f(n):
    return [10 ** 400000, n * 1.5]
