# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: fourth review (N1): the report pipe made non-blocking (os.set_blocking's ioctl FIONBIO, or fcntl F_SETFL on a dup, which shares the pipe's file description) and shrunk to one page (F_SETPIPE_SZ), then filled with recorded filler: the hook's next writes got EAGAIN and its events were dropped without a trace (2 of 5 runs silent). The seccomp filter now refuses dup, ioctl and every fcntl but F_GETFD/F_GETFL on the harness's pipes (and dup2/dup3 from them): each attempt fails, the test passes only if one got through, and everything after is recorded
import fcntl
import gc
import os
import sys

CHAN = 250
got = []
for name, attempt in [
    ("set_blocking", lambda: os.set_blocking(CHAN, False)),
    ("dup", lambda: os.dup(CHAN)),
    ("dup2 from", lambda: os.dup2(CHAN, 300)),
    ("F_DUPFD", lambda: fcntl.fcntl(CHAN, fcntl.F_DUPFD, 300)),
    ("F_SETFL", lambda: fcntl.fcntl(CHAN, fcntl.F_SETFL, os.O_WRONLY | os.O_NONBLOCK)),
    ("F_SETPIPE_SZ", lambda: fcntl.fcntl(CHAN, 1031, 4096)),
    ("FIONBIO", lambda: fcntl.ioctl(CHAN, 0x5421, b"\x01\x00\x00\x00")),
]:
    try:
        attempt()
        got.append(name)
    except OSError:
        pass
gc.get_objects()
sys._getframe(0)
try:
    open("/proc/self/environ").read()
except Exception:
    pass
os.listdir("/")


def f(x):
    return 9 if got else 0
