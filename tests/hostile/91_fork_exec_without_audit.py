# expect: failed
# expect_error: AssertionError
# tamper: process
# test: assert f() == "spawned"
# about: starting a program past the audited calls: subprocess.Popen, os.system, os.exec* and posix_spawn raise audit events, but _posixsubprocess.fork_exec (what Popen calls underneath) raises none. The program imports it itself and tries to run /bin/true with it; the import is recorded as a `process` event. The program cannot learn anything by it (the sandbox has nothing to read) and answers wrong
def f():
    try:
        import _posixsubprocess
        import os

        r, w = os.pipe()
        pid = _posixsubprocess.fork_exec(
            [b"/bin/true"], [b"/bin/true"], True, (), None, None,
            -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, None, -1, None,
        )
        os.waitpid(pid, 0)
        return "spawned, but that answers nothing"
    except Exception:
        return "refused"
