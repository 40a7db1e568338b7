# expect: timeout
# expect_error: Timeout
# test: assert list(f(3)) == [0, 2, 4]
# about: mechanism 3 (deadlines): returns at once with a generator that does the slow work when it is consumed, i.e. while the harness encodes the value; the deadline covers encoding
import time


def f(x):
    def gen():
        for i in range(x):
            time.sleep(20)
            yield 2 * i
    return gen()
