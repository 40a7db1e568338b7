# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: proc
# tamper: file
# test: assert f(3) == 9
# about: third review (F3): the report pipe is a plain descriptor; os.dup2 of /dev/null over it (not audited) made every report of the hook vanish without an error while the program tampered, then the pipe was put back. The pipes now sit at fixed numbers (250, 251) and the seccomp filter refuses close, dup2, dup3, close_range and fcntl(F_SETFL) on them: the dup2 fails and everything after is recorded
import gc, os, stat, sys
chan = None
for fd in range(3, 1024):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"")          # EBADF on the control pipe's read end
            chan = fd
            break
    except OSError:
        pass
try:
    saved = os.dup(chan)
except OSError:
    saved = None
null = os.open("/dev/null", os.O_WRONLY)     # a device path: never recorded
try:
    os.dup2(null, chan)
except OSError as e:
    print("dup2 refused:", e)
print("gc objects:", len(gc.get_objects()))
print("frame:", sys._getframe(0).f_back.f_code.co_name)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))
if saved is not None:
    try:
        os.dup2(saved, chan)
    except OSError:
        pass
    os.close(saved)
os.close(null)
print("chan fd", chan)


def f(x):
    return 0
