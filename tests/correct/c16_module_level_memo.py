# modes: mbpp mbppplus humaneval
# entry: ways
# test: assert ways(30) == 1346269
# call: [30]
# call: [5]
# about: a module-level memo dict shared across calls and tests
MEMO = {0: 1, 1: 1}


def ways(n):
    if n not in MEMO:
        MEMO[n] = ways(n - 1) + ways(n - 2)
    return MEMO[n]
