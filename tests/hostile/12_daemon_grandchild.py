# expect: failed
# expect_error: AssertionError
# test: assert f(1) == 2
# about: classic daemon: double fork + setsid, the grandchild ignores signals and sleeps 5 minutes outside the sandbox's session
import os
import signal
import time


def f(x):
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
                try:
                    signal.signal(s, signal.SIG_IGN)
                except OSError:
                    pass  # refused in the sandbox (no new signal actions)
            fd = os.open(os.devnull, os.O_RDWR)
            for k in (0, 1, 2):
                os.dup2(fd, k)
            time.sleep(300)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return x
