# modes: mbpp mbppplus humaneval
# entry: chain_len
# test: assert chain_len(5000) == 5000
# call: [5000]
# call: [3]
# about: raises the recursion limit itself and recurses 5,000 deep
import sys

sys.setrecursionlimit(20000)


def chain_len(n):
    return 0 if n == 0 else 1 + chain_len(n - 1)
