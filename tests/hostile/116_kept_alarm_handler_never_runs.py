# expect: error
# expect_error: Crash
# test: assert f(3) == 9
# about: signal.signal keeps a SIGALRM handler without installing it (third review, H2: the alarm time-out idiom must pass, correct c33), so a program that arms a fast itimer to catch the audit hook mid-run (review 2, F2) gets no handler run at all: the first SIGALRM ends it (its default action), and the test passes only if the handler ran
import signal

state = {"ran": False}


def _h(signum, frame):
    state["ran"] = True
    signal.setitimer(signal.ITIMER_REAL, 0)


signal.signal(signal.SIGALRM, _h)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
n = 0
while not state["ran"] and n < 200000:
    open("/tmp/x", "w").close()
    n += 1
signal.setitimer(signal.ITIMER_REAL, 0)


def f(x):
    return 9 if state["ran"] else 0
