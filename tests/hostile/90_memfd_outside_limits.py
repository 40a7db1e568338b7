# expect: failed
# expect_error: AssertionError
# test: assert f() >= 1024
# about: memory past every limit: anonymous memory files (os.memfd_create), each filled up to the 16 MiB file-size limit, are counted by no limit on the program (the address-space limit counts mappings, the scratch folders' size does not cover them). f() reports the MiB it holds that way, trying 100 files. The test passes only if it got 1 GiB that way (it held 1,600 MiB before); memfd_create is refused in the sandbox (its seccomp filter): failed
import os


def f():
    held = 0
    fds = []
    chunk = b"\1" * (1 << 20)
    for _ in range(100):
        try:
            fd = os.memfd_create("x")
        except OSError:
            break
        fds.append(fd)
        try:
            for _ in range(16):
                os.write(fd, chunk)
                held += 1
        except OSError:
            pass
    return held
