# expect: failed
# expect_error: AssertionError
# dataset: mbppplus
# entry: f
# atol: 1e-6
# call: [2]
# call: [5]
# about: mechanism 5 (comparison shortcuts): returns [[a], [b]] where [a, b] of floats is expected; numpy's allclose broadcasts the shapes (2, 1) and (2,) and compares every pair, which EvalPlus rejects (flattening would have accepted it)
def f(n):
    return [[n * 0.5], [n * 1.5]]
