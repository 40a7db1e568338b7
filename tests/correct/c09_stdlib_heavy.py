# modes: mbpp mbppplus humaneval
# entry: summarize
# test: assert summarize([5, 1, 4, 1, 5, 9, 2, 6]) == (3, [1, 1, 2], 3, '1', '33.1', 1)
# call: [[5, 1, 4, 1, 5, 9, 2, 6]]
# call: [[3, 3, 3]]
# about: itertools, functools.lru_cache, collections, heapq, bisect, re, fractions, decimal in one answer
import bisect
import collections
import decimal
import fractions
import functools
import heapq
import itertools
import re


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def summarize(xs):
    counts = collections.Counter(xs)
    smallest = heapq.nsmallest(3, xs)
    pos = bisect.bisect_left(sorted(xs), 3)
    frac = str(fractions.Fraction(sum(1 for _ in itertools.combinations(xs, 2)), len(xs) * (len(xs) - 1) // 2))
    dec = str(decimal.Decimal(sum(xs)) + decimal.Decimal("0.1"))
    digits = len(re.findall(r"\d", str(fib(10))))
    return (counts.most_common(1)[0][1] + 1, smallest, pos, frac, dec, digits - 1)
