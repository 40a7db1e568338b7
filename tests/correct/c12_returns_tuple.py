# modes: mbpp mbppplus humaneval
# entry: min_max
# test: assert min_max([3, 1, 2]) == (1, 3)
# call: [[3, 1, 2]]
# call: [[7]]
# about: returns a tuple where the reference does (EvalPlus compares tuples exactly)
def min_max(xs):
    lo = hi = xs[0]
    for x in xs[1:]:
        lo, hi = min(lo, x), max(hi, x)
    return lo, hi
