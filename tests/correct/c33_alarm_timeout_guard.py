# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: a solution that guards itself with signal.alarm and a SIGALRM handler, cancelled before it fires (a common pattern in generated code, which passes under EvalPlus): the sandbox refuses new signal actions, but a timer signal's handler is kept (never installed) and getsignal gives it back, so the idiom passes; a timer that fires ends the program as the judge's deadline would
import signal


class TimeoutException(Exception):
    pass


def _handler(signum, frame):
    raise TimeoutException()


old = signal.signal(signal.SIGALRM, _handler)
assert signal.getsignal(signal.SIGALRM) is _handler


def common(a, b):
    signal.alarm(5)
    try:
        return sorted(set(a) & set(b))
    finally:
        signal.alarm(0)
