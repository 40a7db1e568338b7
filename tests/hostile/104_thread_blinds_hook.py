# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: the audit hook's re-entrancy flag was one for the whole process: a helper thread that kept opening a 12-million-character scratch path kept the hook busy normalising it, and every event of the main thread meanwhile was dropped, with no patching at all (review 2, F3; 4 of 4 runs silent). The guard is per thread now, and a path past PATH_MAX (which the kernel refuses) is not normalised: the main thread's events are recorded
import gc
import os
import sys
import threading
import time

stop = [False]
LONG = "/tmp/" + "a/" * 6000000


def spin():
    while not stop[0]:
        try:
            open(LONG)
        except Exception:
            pass


t = threading.Thread(target=spin, daemon=True)
t.start()
time.sleep(0.3)
sys._getframe(0)
try:
    open("/proc/self/environ").read()
except Exception:
    pass
os.listdir("/")
gc.get_objects()
stop[0] = True
t.join()


def f(x):
    return 0
