# expect: timeout
# expect_error: Timeout
# mode: stdin
# stdin: 2 3\n
# stdout: 5
# about: mechanism 3 in stdin mode: prints the right answer and flushes at once, then keeps the process busy (a harness that judges stdout as soon as a line arrives, or that does not wait for the exit, would pass it): the test's time runs until the program ends, so it is a timeout
import sys

a, b = map(int, sys.stdin.read().split())
print(a + b)
sys.stdout.flush()
while True:
    pass
