# modes: stdin
# stdin: 4 5\n
# stdout: 20
# about: reads stdin with open(0) and checks /dev/stdin too (competitive-programming idioms)
import os

# (Checked first: the temporary file object of open(0) closes descriptor 0.)
assert os.path.exists("/dev/stdin")
a, b = map(int, open(0).read().split())
print(a * b)
