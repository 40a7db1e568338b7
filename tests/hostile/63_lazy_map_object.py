# expect: timeout
# expect_error: Timeout
# test: assert sorted(f(3)) == [0, 2, 4]
# about: mechanism 3: returns a map object whose function sleeps: the work happens when the harness iterates it to encode the value
import time


def slow_double(i):
    time.sleep(20)
    return 2 * i


def f(x):
    return map(slow_double, range(x))
