# modes: stdin
# stdin: 3\n1 2 3\n
# stdout: 6
# stdin: 1\n-5\n
# stdout: -5
# about: reads everything with sys.stdin.read()
import sys

data = sys.stdin.read().split()
n = int(data[0])
print(sum(map(int, data[1:1 + n])))
