# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: sys.setrecursionlimit(2**31 - 1), a competitive-programming preamble, then an import and a scratch file: the audit hook used to raise the limit by 64 while it ran, which overflowed a C int, so every import and open after this preamble failed with OverflowError (the third review's H1); the raise is clamped now
import sys

sys.setrecursionlimit(2147483647)
import colorsys  # noqa: E402

with open("/tmp/notes.txt", "w") as fh:
    fh.write(str(colorsys.ONE_THIRD))


def common(a, b):
    return sorted(set(a) & set(b))
