# expect: failed
# expect_error: AssertionError
# tamper: ctypes
# test: assert f() >= 1024
# about: memory past the address-space limit: SysV shared-memory segments, filled then detached, hold their memory with no mapping left for RLIMIT_AS to count. f() reports the MiB it holds that way (24 segments of 64 MiB; where those are refused, 16 MiB ones). The test passes only if it got 1 GiB past the limit (it held 1,536 MiB before the limits); each child's fresh IPC namespace allows 16 MiB of shared memory in all: failed
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
IPC_PRIVATE, IPC_CREAT = 0, 0o1000


def f():
    held = 0
    for size_mb in (64, 16):
        if held:
            break
        for _ in range(24):
            shmid = libc.shmget(IPC_PRIVATE, size_mb << 20, IPC_CREAT | 0o600)
            if shmid < 0:
                break
            addr = libc.shmat(shmid, None, 0)
            if addr in (None, ctypes.c_void_p(-1).value):
                break
            ctypes.memset(addr, 1, size_mb << 20)
            libc.shmdt(ctypes.c_void_p(addr))
            held += size_mb
    return held
