# expect: failed
# expect_error: AssertionError
# test: assert f() == True
# about: connects to host services through filesystem unix sockets (docker.sock, dbus, postgres, X11...): f is True if any accepts
import os
import socket
import stat

ROOTS = ["/run", "/var/run", "/tmp", "/var/tmp", "/dev/shm", "/var/lib", "/root", "/home"]


def f():
    seen = 0
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath.count("/") > 4:
                dirnames[:] = []
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    if not stat.S_ISSOCK(os.lstat(p).st_mode):
                        continue
                except OSError:
                    continue
                seen += 1
                if seen > 200:
                    return False
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(socket.AF_UNIX, kind)
                    s.settimeout(0.2)
                    try:
                        s.connect(p)
                        return True
                    except OSError:
                        pass
                    finally:
                        s.close()
    return False
