# expect: failed
# expect_error: AssertionError
# test: assert f(1) == 2
# about: f forks a child that ignores SIGTERM/SIGHUP, leaves the process group, keeps stdout/stderr open and sleeps for 5 minutes
import os
import signal
import time


def f(x):
    pid = os.fork()
    if pid == 0:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE, signal.SIGUSR1):
            try:
                signal.signal(s, signal.SIG_IGN)
            except OSError:
                pass  # refused in the sandbox (no new signal actions)
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        time.sleep(300)
        os._exit(0)
    return x
