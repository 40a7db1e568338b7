# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: signal(SIGALRM, SIG_IGN), then a timer that fires: the sandbox refuses new signal actions, so an ignored timer signal is blocked in the calling thread instead (never delivered, as ignored), and setting SIG_DFL again drops what came meanwhile (the fourth review's N4: 2fa105d kept SIG_IGN without effect, and the timer killed the program)
import signal
import time

signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0.01)
time.sleep(0.05)
signal.signal(signal.SIGALRM, signal.SIG_DFL)


def common(a, b):
    return sorted(set(a) & set(b))
