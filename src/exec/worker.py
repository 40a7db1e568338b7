# codefail execution worker: a warm Python process that forks one sandboxed
# child per program (a fork server). Driven by codefail's Rust executor over
# stdin/stdout (one JSON object per line). See src/exec/mod.rs for the protocol.
#
# Trust model
# -----------
# This process (the *judge*) never runs candidate code. Each job runs in a
# forked child: a new session, PID/mount/network/IPC/UTS namespaces where the
# kernel allows them (the PID, mount, network and UTS ones are the worker's
# own, made once when it starts and shared by the programs it runs one after
# another; each child gets a new IPC namespace, and fresh tmpfs mounts on
# /tmp, /var/tmp, /dev/shm, /run/lock made for it alone), /tmp as its cwd,
# rlimits, a dropped uid without capabilities, a scrubbed environment, stdin
# from /dev/null (or the test input). After each job kill(-1) from PID 1
# removes every process the job made, so nothing of one program is alive when
# the next starts.
# The child reports *values* (return values, the operands of asserts, stdout);
# every verdict is computed here, on plain values rebuilt from a tagged JSON
# encoding, so candidate objects (always-equal __eq__, patched builtins, fake
# AssertionError) never take part in a comparison. Assert statements are
# rewritten so that their operands that involve candidate code are evaluated
# in the child on request, and the rest of the assertion is evaluated here.

import ast
import builtins
import collections
import copy
import ctypes
import decimal
import errno
import fractions
import functools
import gc
import hashlib
import heapq
import io
import itertools
import json
import math
import operator
import os
import random
import re
import resource
import select
import signal
import string
import struct
import sys
import time
import traceback
import typing

_os_write = os.write
_os_read = os.read
_os_exit = os._exit
_json_dumps = json.dumps
_perf = time.perf_counter

MAX_MSG = 16 * 1024 * 1024
ENCODE_BUDGET = 30.0
LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MS_NOEXEC = 8
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
CAP_DAC_READ_SEARCH = 2

SLOT = int(os.environ.get("CODEFAIL_SLOT", "0"))
SANDBOX_UID = 62000 + SLOT
IS_ROOT = os.geteuid() == 0


# --------------------------------------------------------------------------
# Value codec: plain values only; anything else becomes an opaque marker.
# --------------------------------------------------------------------------

MAX_ITEMS = 1_000_000
MAX_DEPTH = 200


class Opaque:
    """A value the child could not encode (a candidate object). Equal only to itself."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return "<%s %s>" % (self.type_name, self.text)


def dec(d):
    """Rebuild a plain value from its encoding (runs in the judge; never trusts types)."""
    if d is None or type(d) in (bool, int, float, str):
        return d
    if type(d) is list:
        return [dec(x) for x in d]
    if type(d) is dict:
        if len(d) >= 1:
            for tag in d:
                break
            if tag.startswith("$"):
                val = d[tag]
                if tag == "$int":
                    return int(val, 16)
                if tag == "$float":
                    return float(val)
                if tag == "$tuple":
                    return tuple(dec(x) for x in val)
                if tag == "$dict":
                    return {_hashable(dec(k)): dec(x) for k, x in val}
                if tag == "$set":
                    return set(_hashable(dec(x)) for x in val)
                if tag == "$frozenset":
                    return frozenset(_hashable(dec(x)) for x in val)
                if tag == "$complex":
                    return complex(dec(val[0]), dec(val[1]))
                if tag == "$bytes":
                    return bytes.fromhex(val)
                if tag == "$bytearray":
                    return bytearray.fromhex(val)
                if tag == "$range":
                    return range(int(val[0]), int(val[1]), int(val[2]))
                if tag == "$decimal":
                    return decimal.Decimal(val)
                if tag == "$fraction":
                    return fractions.Fraction(int(val[0]), int(val[1]))
                if tag == "$iter":
                    return iter([dec(x) for x in val])
                if tag == "$opaque":
                    return Opaque(str(val), str(d.get("repr", ""))[:200])
                if tag == "$digest":
                    return Digest(str(val))
                raise ValueError("unknown tag %r" % tag)
        return {k: dec(x) for k, x in d.items()}
    raise ValueError("bad encoding")


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, set):
        return frozenset(v)
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return v


def short_repr(v, limit=300):
    try:
        r = repr(v)
    except BaseException:
        r = "<unrepresentable>"
    return r if len(r) <= limit else r[: limit - 3] + "..."


# --------------------------------------------------------------------------
# EvalPlus compatibility (v0.3.1): input types, special oracles, tolerance.
# --------------------------------------------------------------------------

MBPP_OUTPUT_NOT_NONE_TASKS = ["check_str", "text_match_three", "text_starta_endb"]
MBPP_OUTPUT_SET_EQ_TASKS = [
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
]


def mbpp_deserialize_inputs(task_id, inputs):
    n = int(str(task_id).split("/")[-1])
    if n in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616,
             630, 726, 740, 744, 809):
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if n in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[[tuple(lst) for lst in ll] for ll in inp] for inp in inputs]
    if n in (75, 413, 444, 753):
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if n in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if n == 115:
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]]
                for inp in inputs]
    if n == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if n in (250, 405, 446, 617, 720, 763, 808):
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if n in (259, 401, 445):
        m = [[[tuple(lst) for lst in ll] for ll in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in m]
    if n == 278:
        m = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in m]
    if n == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if n == 722:
        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs]
    if n == 252:
        return [[complex(inp[0])] for inp in inputs]
    if n in (580, 615, 791):
        def tup(x):
            return tuple(tup(i) for i in x) if isinstance(x, list) else x
        return [tup(inp) for inp in inputs]
    return inputs


def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance_nums(num1, num2):
    a, b = str(num1), str(num2)
    n = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(n), b.zfill(n)))


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _flat(x):
    if isinstance(x, (list, tuple)):
        out = []
        for i in x:
            out.extend(_flat(i))
        return out
    return [x]


def allclose(out, exp, rtol, atol):
    """numpy.allclose for scalars and equally shaped sequences (no broadcasting)."""
    a, b = _flat(out), _flat(exp)
    if len(a) != len(b):
        raise AssertionError("shapes differ")
    for x, y in zip(a, b):
        if isinstance(x, (bool, str)) or isinstance(y, (bool, str)):
            if x != y:
                return False
            continue
        x, y = complex(x), complex(y)
        if x != x or y != y:
            return False
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


class EvalPlusState:
    """Per-task comparison state (EvalPlus enforces atol=1e-6 once a float is seen)."""

    def __init__(self, atol):
        self.atol = atol


def evalplus_match(state, entry_point, inp, out, exp):
    exact = _eq(out, exp)
    if entry_point == "are_equivalent":
        exact = True
    elif entry_point == "sum_div":
        exact = exact or _eq(out, 0)
    elif entry_point == "surface_Area":
        exact = exact or abs(out - _surface_area(*inp)) <= state.atol
    elif entry_point == "digit_distance_nums":
        exact = exact or _eq(out, _digit_distance_nums(*inp))
    elif entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
        exact = set(out) == set(exp)
    elif entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
        exact = (out == exp) if isinstance(out, bool) else (exp == (out is not None))
    if state.atol == 0 and is_floats(exp):
        state.atol = 1e-6
    if not exact and state.atol != 0:
        if type(out) is not type(exp):
            return False
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False
        return allclose(out, exp, 1e-07, state.atol)
    return bool(exact)


def _eq(a, b):
    r = a == b
    return r if type(r) is bool else bool(r)


# --------------------------------------------------------------------------
# stdin/stdout comparison (LiveCodeBench rule, optional float tolerance).
# --------------------------------------------------------------------------

def stdout_matches(out, expected, float_tol=None):
    def lines(v):
        v = v.strip()
        return [ln.strip() for ln in v.split("\n")]

    a, b = lines(out), lines(expected)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        xs, ys = x.split(), y.split()
        if len(xs) != len(ys):
            return False
        try:
            dx = [decimal.Decimal(t) for t in xs]
            dy = [decimal.Decimal(t) for t in ys]
        except (decimal.InvalidOperation, ValueError):
            return False
        if float_tol is None:
            if dx != dy:
                return False
        else:
            for p, q in zip(dx, dy):
                if abs(float(p) - float(q)) > float_tol * max(1.0, abs(float(q))):
                    return False
    return True


# --------------------------------------------------------------------------
# Assert rewriting: which parts of an assertion need candidate code.
# --------------------------------------------------------------------------

SAFE_MODULES = {
    "math": math, "re": re, "collections": collections, "itertools": itertools,
    "heapq": heapq, "functools": functools, "string": string, "operator": operator,
    "decimal": decimal, "fractions": fractions, "typing": typing, "copy": copy,
}
JUDGE_GLOBALS = dict(SAFE_MODULES)
JUDGE_GLOBALS["__builtins__"] = builtins
LOCAL_NAMES = set(dir(builtins)) | set(SAFE_MODULES)


def stored_names(tree):
    """Every name the code binds anywhere (defs, assignments, imports, params)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                if not (a.asname is None and isinstance(node, ast.Import) and bound in SAFE_MODULES):
                    names.add(bound)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


class Planner:
    """Split an assertion: `remote_names` (the entry point, names the test itself
    binds) and every name that is neither a builtin nor a safe module are
    evaluated in the sandbox; builtins and safe modules are always the judge's
    own, even where the program rebinds them (`math = FakeMath()`)."""

    def __init__(self, remote_names):
        self.remote_names = remote_names
        self.remotes = []

    def has_remote(self, node):
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and (n.id in self.remote_names or n.id not in LOCAL_NAMES):
                return True
        return False

    def remote(self, node):
        i = len(self.remotes)
        self.remotes.append(node)
        return ast.copy_location(
            ast.Call(func=ast.Name(id="__cf_v", ctx=ast.Load()), args=[ast.Constant(i)], keywords=[]),
            node,
        )

    def split(self, node):
        if not self.has_remote(node):
            return node
        if isinstance(node, ast.Call):
            if self.has_remote(node.func):
                return self.remote(node)
            node.args = [self.split(a) for a in node.args]
            for k in node.keywords:
                k.value = self.split(k.value)
            return node
        if isinstance(node, ast.Starred):
            node.value = self.split(node.value)
            return node
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.IfExp,
                             ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.FormattedValue)):
            for field, value in ast.iter_fields(node):
                if isinstance(value, ast.expr):
                    setattr(node, field, self.split(value))
                elif isinstance(value, list):
                    setattr(node, field, [self.split(v) if isinstance(v, ast.expr) else v for v in value])
            return node
        return self.remote(node)


class AssertRewriter(ast.NodeTransformer):
    """Turn `assert E, msg` into `__cf_assert(site, (lambda: r0, ...))` and record the judge."""

    def __init__(self, remote_names, sites):
        self.remote_names = remote_names
        self.sites = sites

    def visit_Assert(self, node):
        text = ast.unparse(node.test)
        planner = Planner(self.remote_names)
        judge = planner.split(node.test)
        site = len(self.sites)
        expr = ast.Expression(body=judge)
        ast.fix_missing_locations(expr)
        self.sites.append((compile(expr, "<assert %d>" % site, "eval"), text))
        thunks = ast.Tuple(
            elts=[ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                                defaults=[]), body=r) for r in planner.remotes],
            ctx=ast.Load(),
        )
        call = ast.Call(func=ast.Name(id="__cf_assert", ctx=ast.Load()),
                        args=[ast.Constant(site), thunks], keywords=[])
        return ast.copy_location(ast.Expr(value=call), node)


PLAN_CACHE = {}


def plan_assert_test(code, names, k):
    """A compiled, rewritten assert test with its judge sites (cached: the same
    test is planned once for every sample of a task)."""
    key = (code, frozenset(names), k)
    hit = PLAN_CACHE.get(key)
    if hit is None:
        if len(PLAN_CACHE) > 20000:
            PLAN_CACHE.clear()
        (mod, sites, straight), = plan_assert_tests([{"code": code}], names)
        hit = (compile(mod, "<test %d>" % k, "exec"), sites, straight)
        PLAN_CACHE[key] = hit
    return hit


def plan_assert_tests(tests, program_names):
    """Rewrite every assert test. Returns [(code_ast_module, sites, straight_line)] (judge side)."""
    plans = []
    for t in tests:
        code = t.get("code") or ""
        tree = ast.parse(code, "<test>")
        names = program_names | stored_names(tree)
        sites = []
        new = AssertRewriter(names, sites).visit(tree)
        # Run the test inside a function whose parameter is the assert hook, so
        # the candidate cannot rebind the hook through the module's globals.
        wrapper = ast.parse("def __cf_test(__cf_assert):\n    pass\n__cf_test(__cf_hook)\n")
        wrapper.body[0].body = new.body or [ast.Pass()]
        ast.fix_missing_locations(wrapper)
        straight = _straight(code)
        plans.append((wrapper, sites, straight))
    return plans


def _straight(code):
    """True when every assert of the test runs exactly once (top-level asserts only)."""
    tree = ast.parse(code)
    n_top = sum(1 for s in tree.body if isinstance(s, ast.Assert))
    n_all = sum(1 for s in ast.walk(tree) if isinstance(s, ast.Assert))
    return n_top == n_all


# --------------------------------------------------------------------------
# The child: sandbox, then run the stages.
# --------------------------------------------------------------------------

class _Stop(BaseException):
    """Raised in the child when the judge says an assertion failed."""


def _unshare(flags):
    return LIBC.unshare(ctypes.c_int(flags)) == 0


def _mount(source, target, fstype, flags, data):
    return LIBC.mount(
        source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
        ctypes.c_ulong(flags), data.encode() if data else None,
    ) == 0


SANDBOX = {"namespaces": False, "uid_drop": False, "private_tmp": False}


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges():
    """Root only: become an unprivileged uid of our own (so RLIMIT_NPROC counts and
    nothing root-owned is writable) that keeps one capability, CAP_DAC_READ_SEARCH,
    so the interpreter can still read its standard library wherever it lives."""
    LIBC.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    hdr = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    bit = 1 << CAP_DAC_READ_SEARCH
    data[0].effective = data[0].permitted = data[0].inheritable = bit
    if LIBC.capset(ctypes.byref(hdr), data) == 0:
        LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0)


def probe_sandbox():
    """Find out, once, what isolation this kernel lets us use."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            ok_ns = _unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
            ok_mount = ok_ns and _mount(None, "/", None, MS_REC | MS_PRIVATE, None) and _mount(
                "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777")
            _os_write(w, _json_dumps({"namespaces": bool(ok_ns), "private_tmp": bool(ok_mount),
                                      "uid_drop": IS_ROOT}).encode())
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
        SANDBOX.update(json.loads(data.decode()))
    except ValueError:
        pass


def child_entry(job, start, fds):
    """The child: a new session, a new IPC namespace (its System V objects die
    with it), then the runner. The worker (the judge) is PID 1 of a PID
    namespace of its own, so every process the child starts stays in that
    namespace and dies with `kill(-1)` after the job. The mount, network and
    UTS namespaces are the worker's own (`setup_worker_namespaces`): made once
    per worker, not per program (they cost milliseconds to make); the
    program's /tmp, /var/tmp, /dev/shm and /run/lock are fresh tmpfs mounts
    that the worker makes before each fork (`fresh_tmp`), and it runs as a
    user without capabilities, so it can change none of them. Where the
    worker could not make its namespaces, the child makes them itself."""
    chan_w, ctl_r, out_w, err_w, stdin_fd, tmp_dir = fds
    try:
        os.setsid()
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        limits = job.get("limits", {})
        work = tmp_dir
        if WORKER_NS[0]:
            if not _unshare(CLONE_NEWIPC):
                _os_exit(120)
        else:
            if SANDBOX["namespaces"]:
                if not _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS):
                    _os_exit(120)
            if SANDBOX["private_tmp"]:
                _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
                size = int(limits.get("tmp_mb", 64))
                for target in scratch_dirs():
                    mount_tmpfs(target, size)
                if os.getpid() != 1 and PID_NAMESPACE[0]:
                    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        if SANDBOX["private_tmp"]:
            # A fresh tmpfs, made by the worker (WORKER_NS) or just above.
            work = "/tmp/sandbox"
            os.mkdir(work)
            os.chmod(work, 0o777)
        runner(job, start, fds, work)
        _os_exit(0)
    except BaseException:
        _os_exit(121)


# The writable scratch folders every program gets fresh and private.
TMP_MOUNTS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def scratch_dirs():
    """The scratch folders this system has (real folders, not links)."""
    return [t for t in TMP_MOUNTS if os.path.isdir(t) and not os.path.islink(t)]


def mount_tmpfs(target, size_mb):
    return _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=%dm,mode=1777" % size_mb)

MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8
# True once the worker has its own mount, network and UTS namespaces.
WORKER_NS = [False]
# The scratch folders the worker mounts for its programs (those that exist).
WORKER_TMP = []


def setup_worker_namespaces():
    """Once, in the worker that is PID 1 of its PID namespace: new mount,
    network (no interface but a loopback that is down) and UTS namespaces,
    shared by the worker and every program it runs, one after another; /proc
    shows this PID namespace only. Returns whether it worked (else each child
    makes its own namespaces, as before)."""
    if not (SANDBOX["namespaces"] and SANDBOX["private_tmp"] and PID_NAMESPACE[0]):
        return False
    if not _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS):
        return False
    if not _mount(None, "/", None, MS_REC | MS_PRIVATE, None):
        return False
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    WORKER_TMP[:] = scratch_dirs()
    WORKER_NS[0] = True
    return True


def fresh_tmp(size_mb):
    """New, empty tmpfs mounts on the scratch folders, for the next program:
    nothing a program (or an earlier one) left there survives. Every process
    of the earlier program is dead by now (kill(-1) after each child); a
    mount still held open by a dying one is detached, not reused."""
    for target in WORKER_TMP:
        LIBC.umount2(target.encode(), ctypes.c_int(MNT_DETACH | UMOUNT_NOFOLLOW))
        if not mount_tmpfs(target, size_mb):
            raise RuntimeError("could not mount a fresh tmpfs on %s" % target)


PID_NAMESPACE = [False]


def runner(job, start, fds, work):
    """C: drop everything, then load the program and run the tests."""
    chan_w, ctl_r, out_w, err_w, stdin_fd, tmp_dir = fds
    limits = job.get("limits", {})
    os.chdir(work)
    # Standard streams.
    os.dup2(stdin_fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    keep = {chan_w, ctl_r}
    for fd in (stdin_fd, out_w, err_w):
        if fd not in keep and fd > 2:
            os.close(fd)
    # Close everything else we inherited (the judge's pipes to Rust among them).
    lo, hi = sorted(keep)
    os.closerange(3, lo)
    os.closerange(lo + 1, hi)
    os.closerange(hi + 1, 65536)
    # Limits.
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
    if IS_ROOT:
        drop_privileges()
    # Changing the uid cleared the parent-death signal: set it again.
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    setlim(resource.RLIMIT_NPROC, int(limits.get("nproc", 64)))
    LIBC.prctl(PR_SET_DUMPABLE, 0)
    # Environment.
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "TMPDIR": work,
                       "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"})
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                                 encoding="utf-8", errors="surrogateescape")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                  encoding="utf-8", errors="strict")
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                  encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.argv = ["main.py"]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.setrecursionlimit(int(limits.get("recursion", 1000)))
    run_stages(job, start, chan_w, ctl_r)


def _make_sender(fd, token):
    """The child's reporter, built before candidate code runs from C functions
    and captured references only, so that patching builtins, `json` or this
    module's globals changes nothing. Every message carries the child's token."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    c_str = json.encoder.encode_basestring_ascii
    write, pack, join, enc_utf8 = _os_write, struct.pack, "".join, str.encode
    if c_make_encoder is not None:
        iterencode = c_make_encoder(None, _fail_default, c_str, None, ":", ",", False, False, False)

        def dumps(obj):
            return join(iterencode(obj, 0))
    else:
        dumps = functools.partial(_json_dumps, separators=(",", ":"), allow_nan=False)

    def send(obj):
        obj["k"] = token
        data = enc_utf8(dumps(obj), "utf-8", "surrogatepass")
        view = memoryview(pack(">I", len(data)) + data)
        while view:
            view = view[write(fd, view):]

    return send


def _fail_default(o):
    raise TypeError("not a plain value")


class TooMany(OverflowError):
    """A value with more items than a report may hold."""


def _make_enc():
    """A value encoder whose recursion and helpers are closure variables."""
    _type, _isinstance, _hasattr, _getattr = type, isinstance, hasattr, getattr
    _int_index, _float_float, _str_str = int.__index__, float.__float__, str.__str__
    _list_iter, _tuple_iter, _dict_items = list.__iter__, tuple.__iter__, dict.items
    _hex, _repr_obj, _len, _all = hex, object.__repr__, len, all
    _float, _set, _frozenset, _complex = float, set, frozenset, complex
    _bytes, _bytearray, _range, _Decimal, _Fraction = bytes, bytearray, range, decimal.Decimal, fractions.Fraction
    inf, ninf = float("inf"), float("-inf")
    iter_names = ("generator", "map", "filter", "zip", "enumerate", "reversed", "dict_keys",
                  "dict_values", "dict_items", "list_iterator", "tuple_iterator")

    class Budget:
        n = 0

    def enc(v, depth=0):
        Budget.n += 1
        if depth > MAX_DEPTH:
            raise OverflowError("value too deep (or cyclic) to report")
        if Budget.n > MAX_ITEMS:
            raise TooMany("value too large to report")
        t = _type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            if -(1 << 53) <= v <= (1 << 53):
                return v
            return {"$int": _hex(v)}
        if t is _float:
            if v != v or v == inf or v == ninf:
                return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
            return v
        if t is list:
            return [enc(x, depth + 1) for x in _list_iter(v)]
        if t is tuple:
            return {"$tuple": [enc(x, depth + 1) for x in _tuple_iter(v)]}
        if t is dict:
            items = list(_dict_items(v))
            if _all(_type(k) is str and not k.startswith("$") for k, _ in items):
                return {k: enc(x, depth + 1) for k, x in items}
            return {"$dict": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in items]}
        if t is _set or t is _frozenset:
            return {"$set" if t is _set else "$frozenset": [enc(x, depth + 1) for x in _set.__iter__(v)]}
        if t is _complex:
            return {"$complex": [enc(v.real), enc(v.imag)]}
        if t is _bytes:
            return {"$bytes": v.hex()}
        if t is _bytearray:
            return {"$bytearray": _bytes(v).hex()}
        if t is _range:
            return {"$range": [v.start, v.stop, v.step]}
        if t is _Decimal:
            return {"$decimal": _Decimal.__str__(v)}
        if t is _Fraction:
            return {"$fraction": [enc(v.numerator), enc(v.denominator)]}
        # Subclasses of plain types lose their methods (an overridden __eq__ has no say).
        if _isinstance(v, bool):
            return v is True
        if _isinstance(v, int):
            return enc(_int_index(v), depth)
        if _isinstance(v, _float):
            return enc(_float_float(v), depth)
        if _isinstance(v, str):
            return _str_str(v)
        if _isinstance(v, tuple):
            return {"$tuple": [enc(x, depth + 1) for x in _tuple_iter(v)]}
        if _isinstance(v, list):
            return [enc(x, depth + 1) for x in _list_iter(v)]
        if _isinstance(v, dict):
            return enc(dict(_dict_items(v)), depth)
        if _isinstance(v, (_set, _frozenset)):
            return {"$set": [enc(x, depth + 1) for x in _set.__iter__(_set(v))]}
        mod = _getattr(t, "__module__", "") or ""
        if mod == "numpy" and _hasattr(v, "tolist"):
            try:
                return enc(v.tolist(), depth)
            except OverflowError:
                raise
            except BaseException:
                pass
        if t.__name__ in iter_names or mod == "itertools" or (mod == "builtins" and _hasattr(v, "__next__")):
            return {"$iter": [enc(x, depth + 1) for x in v], "kind": t.__name__}
        try:
            text = _repr_obj(v)[:200]
        except BaseException:
            text = "?"
        return {"$opaque": t.__name__ if _type(t.__name__) is str else "?", "repr": text}

    def top(v):
        Budget.n = 0
        try:
            return enc(v)
        except TooMany:
            # Too large to send: send a digest of its canonical form instead;
            # two digests compare equal exactly when the values are equal.
            return {"$digest": digest(v)}

    return top


def digest(v):
    """SHA-256 of a value's canonical, type-tagged form (sets sorted by their digests)."""
    h = hashlib.sha256()
    _type, _repr = type, repr

    def walk(x, depth):
        if depth > 10000:
            raise OverflowError("value too deep to report")
        t = _type(x)
        if t in (list, tuple) or isinstance(x, (list, tuple)):
            h.update(b"[" if isinstance(x, list) else b"(")
            n = len(x)
            if n > 20000:
                # Very long sequences: their length and a fixed sample of items
                # (the first and last 500, and every n/2000-th), so that a
                # digest costs milliseconds, not minutes. A fingerprint, not
                # a proof of equality: documented in the executor's docs.
                h.update(b"#%d;" % n)
                step = max(1, n // 2000)
                idx = sorted(set(range(500)) | set(range(n - 500, n)) | set(range(0, n, step)))
                for i in idx:
                    walk(x[i], depth + 1)
            else:
                for y in x:
                    walk(y, depth + 1)
            h.update(b"]")
        elif t in (set, frozenset):
            parts = sorted(digest(y) for y in x)
            h.update(b"{" + "".join(parts).encode() + b"}")
        elif t is dict:
            h.update(b"<")
            for k, y in x.items():
                walk(k, depth + 1)
                walk(y, depth + 1)
            h.update(b">")
        elif t in (int, float, str, bool, bytes, complex) or x is None:
            h.update(t.__name__.encode() + b":" + _repr(x).encode("utf-8", "backslashreplace") + b";")
        else:
            h.update(b"?" + t.__name__.encode() + b";")

    walk(v, 0)
    return h.hexdigest()


class Digest:
    """A value too large to send, known by its digest. Equal to the same digest only."""

    __slots__ = ("hex",)

    def __init__(self, hexdigest):
        self.hex = hexdigest

    def __eq__(self, other):
        return type(other) is Digest and other.hex == self.hex

    def __hash__(self):
        return hash(self.hex)

    def __repr__(self):
        return "<value with digest %s>" % self.hex[:16]


def _exc_info(e, program_lines):
    """Exception type, message, line in the candidate program, trimmed traceback."""
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
        tb = e.__traceback__
        for fs in traceback.extract_tb(tb, limit=64):
            if fs.filename == "<program>":
                line = fs.lineno
                src = program_lines[fs.lineno - 1].strip() if fs.lineno and 0 < fs.lineno <= len(program_lines) else ""
                frames.append('  line %s, in %s\n    %s' % (fs.lineno, fs.name, src))
        if isinstance(e, SyntaxError) and getattr(e, "filename", None) == "<program>":
            line = e.lineno
            frames.append("  line %s\n    %s" % (e.lineno, (e.text or "").rstrip()))
    except BaseException:
        pass
    tb_text = ""
    if frames:
        tb_text = "Traceback (candidate frames):\n" + "\n".join(frames[-12:]) + "\n%s: %s" % (name, msg[:500])
    return {"type": name, "msg": msg, "line": line, "tb": tb_text}


def run_stages(job, start, chan_w, ctl_r):
    program = job.get("program") or ""
    program_lines = program.splitlines()
    mode = job.get("mode", "functional")
    tests = job.get("tests", [])
    ns = {"__name__": "__main__", "__builtins__": builtins}
    ctl_buf = [b""]
    read, exit_now = _os_read, _os_exit

    def ctl_line():
        while b"\n" not in ctl_buf[0]:
            chunk = read(ctl_r, 4096)
            if not chunk:
                exit_now(0)
            ctl_buf[0] += chunk
        line, _, rest = ctl_buf[0].partition(b"\n")
        ctl_buf[0] = rest
        return line.decode()

    # The judge's first line is this child's token; every report carries it.
    token = ctl_line()[2:]
    send = _make_sender(chan_w, token)
    enc = _make_enc()
    _Stop_ = _Stop

    def flush_std():
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except BaseException:
                pass

    if mode == "stdin":
        send({"t": "stage", "s": start})
        try:
            code = compile(program, "<program>", "exec")
            exec(code, ns)
            flush_std()
            send({"t": "ok", "s": start})
        except SystemExit as e:
            flush_std()
            c = e.code
            if c is None or c == 0:
                send({"t": "ok", "s": start})
            else:
                d = _exc_info(e, program_lines)
                send({"t": "exc", "s": start, **d})
        except BaseException as e:
            flush_std()
            send({"t": "exc", "s": start, **_exc_info(e, program_lines)})
        _os_exit(0)

    if mode == "trace":
        run_trace_child(job, send, program, program_lines, ns, flush_std)
        _os_exit(0)

    report_load = start == 0
    # Stage: load.
    if report_load:
        send({"t": "stage", "s": "load"})
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as e:
        send({"t": "exc", "s": "load", "fatal": True, **_exc_info(e, program_lines)})
        _os_exit(0)
    try:
        exec(code, ns)
        if report_load:
            send({"t": "ok", "s": "load"})
    except BaseException as e:
        if report_load:
            send({"t": "exc", "s": "load", **_exc_info(e, program_lines)})
    setup = job.get("setup") or ""
    if setup.strip():
        if report_load:
            send({"t": "stage", "s": "setup"})
        try:
            exec(compile(setup, "<setup>", "exec"), ns)
            if report_load:
                send({"t": "ok", "s": "setup"})
        except BaseException as e:
            if report_load:
                send({"t": "exc", "s": "setup", **_exc_info(e, program_lines)})

    def cf_assert(site, thunks):
        send({"t": "site", "site": site})
        while True:
            cmd = ctl_line()
            if cmd == "P":
                return
            if cmd == "F":
                raise _Stop_()
            i = int(cmd[2:])
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
    for k in range(start, len(tests)):
        t = tests[k]
        send({"t": "stage", "s": k})
        try:
            if t["kind"] == "assert":
                ns["__cf_hook"] = cf_assert
                exec(t["compiled"], ns)
                send({"t": "ok", "s": k})
            elif t["kind"] == "skip":
                send({"t": "ok", "s": k})
            elif t["kind"] == "call":
                args = t["args"]
                fn = ns[entry] if call_style == "function" else getattr(ns["Solution"](), entry)
                # No copy of the arguments: this process got them fresh from
                # the fork, and the judge compares with its own copy.
                t0 = _perf()
                out = fn(*args)
                dt = _perf() - t0
                # The time limit covers the call, as EvalPlus's does; encoding
                # the result has a budget of its own.
                send({"t": "ret", "s": k})
                send({"t": "value", "s": k, "v": enc(out), "secs": dt})
        except _Stop_:
            send({"t": "ok", "s": k})
        except BaseException as e:
            send({"t": "exc", "s": k, **_exc_info(e, program_lines)})
        flush_std()
    flush_std()
    send({"t": "end"})
    _os_exit(0)


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


# --------------------------------------------------------------------------
# The judge: run a job, supervise its child, decide every verdict.
# --------------------------------------------------------------------------

class Deadline(Exception):
    pass


class ChildGone(Exception):
    pass


class ProtocolViolation(ChildGone):
    """The child sent something the protocol does not allow (a forged or garbled report)."""


class Streams:
    """stdout/stderr of the child, kept up to a cap; the rest is counted and dropped."""

    def __init__(self, cap, hard_cap):
        self.cap = cap
        self.hard_cap = hard_cap
        self.data = {1: bytearray(), 2: bytearray()}
        self.total = {1: 0, 2: 0}

    def feed(self, which, chunk):
        self.total[which] += len(chunk)
        buf = self.data[which]
        room = self.cap - len(buf)
        if room > 0:
            buf += chunk[:room]
        return self.total[1] + self.total[2] > self.hard_cap

    def text(self, which):
        return bytes(self.data[which]).decode("utf-8", "replace")


class Child:
    def __init__(self, job, start, streams, stdin_bytes):
        reap_orphans(block=True)
        if WORKER_NS[0]:
            fresh_tmp(int(job.get("limits", {}).get("tmp_mb", 64)))
        self.streams = streams
        chan_r, chan_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin_fd = os.memfd_create("stdin", 0) if stdin_bytes else os.open(os.devnull, os.O_RDONLY)
        if stdin_bytes:
            view = memoryview(stdin_bytes)
            while view:
                view = view[os.write(stdin_fd, view):]
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        self.tmp_dir = None
        if not SANDBOX["private_tmp"]:
            import tempfile
            self.tmp_dir = tempfile.mkdtemp(prefix="codefail-")
            os.chmod(self.tmp_dir, 0o777)
        self.token = os.urandom(12).hex()
        os.write(ctl_w, ("T %s\n" % self.token).encode())
        self.pid = os.fork()
        if self.pid == 0:
            try:
                for fd in (chan_r, ctl_w, out_r, err_r):
                    os.close(fd)
                child_entry(job, start, (chan_w, ctl_r, out_w, err_w, stdin_fd, self.tmp_dir))
            finally:
                _os_exit(122)
        for fd in (chan_w, ctl_r, out_w, err_w, stdin_fd):
            os.close(fd)
        self.chan, self.ctl, self.out, self.err = chan_r, ctl_w, out_r, err_r
        self.buf = bytearray()
        self.open = {chan_r, out_r, err_r}
        self.status = None

    def next_msg(self, deadline):
        """Next message from the child, draining stdout/stderr meanwhile."""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if n > MAX_MSG:
                    raise ProtocolViolation("oversized message")
                if len(self.buf) >= 4 + n:
                    data = bytes(self.buf[4:4 + n])
                    del self.buf[:4 + n]
                    try:
                        msg = json.loads(data.decode("utf-8", "surrogatepass"))
                    except Exception:
                        raise ProtocolViolation("garbled message")
                    if type(msg) is not dict:
                        raise ProtocolViolation("garbled message")
                    if msg.get("k") != self.token:
                        raise ProtocolViolation("a message without this child's token")
                    return msg
            if self.chan not in self.open:
                raise ChildGone("channel closed")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Deadline()
            try:
                ready, _, _ = select.select(list(self.open), [], [], left)
            except InterruptedError:
                continue
            for fd in ready:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.open.discard(fd)
                    continue
                if fd == self.chan:
                    self.buf += chunk
                    if len(self.buf) > MAX_MSG + 8:
                        raise ProtocolViolation("oversized message")
                else:
                    if self.streams.feed(1 if fd == self.out else 2, chunk):
                        raise OutputLimit()

    def command(self, text):
        try:
            os.write(self.ctl, (text + "\n").encode())
        except OSError:
            raise ChildGone("control pipe closed")

    def drain(self, seconds=0.05):
        """Collect what is left on stdout/stderr (at least one pass without waiting)."""
        end = time.monotonic() + seconds
        fds = {self.out, self.err} & self.open
        first = True
        while fds and (first or time.monotonic() < end):
            first = False
            ready, _, _ = select.select(list(fds), [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    fds.discard(fd)
                else:
                    self.streams.feed(1 if fd == self.out else 2, chunk)

    def kill(self):
        if PID_NAMESPACE[0] and os.getpid() == 1:
            # We are the init of our own PID namespace: this kills every
            # process the job started, daemons and escaped sessions included.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def close(self, grace=0.0):
        if grace > 0:
            end = time.monotonic() + grace
            while time.monotonic() < end:
                try:
                    got, st = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if got:
                    self.status = st
                    break
                time.sleep(0.001)
        self.kill()
        for fd in (self.chan, self.ctl, self.out, self.err):
            try:
                os.close(fd)
            except OSError:
                pass
        while self.status is None:
            try:
                _, st = os.waitpid(self.pid, 0)
                self.status = st
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
        reap_orphans()
        if self.tmp_dir:
            import shutil
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def death(self):
        """How the child ended: (signal name or None, exit code or None)."""
        st = self.status
        if st is None:
            return None, None
        if os.WIFSIGNALED(st):
            return signal.Signals(os.WTERMSIG(st)).name if os.WTERMSIG(st) in signal.valid_signals() else str(os.WTERMSIG(st)), None
        code = os.WEXITSTATUS(st)
        if code >= 128:
            sig = code - 128
            try:
                return signal.Signals(sig).name, None
            except ValueError:
                return str(sig), None
        return None, code


class OutputLimit(Exception):
    pass


def reap_orphans(block=False):
    """Collect orphans reparented to the worker (the init of its PID namespace,
    or a child subreaper). With `block`, wait until none is left (after a
    kill(-1) they are all dying)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block and PID_NAMESPACE[0] else os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return


def test_result(status="not_run", **kw):
    r = {"passed": False, "status": status, "error_type": None, "message": None, "line": None,
         "traceback": None, "wall_ms": 0.0, "output": None, "expected": None}
    r.update(kw)
    return r


def classify_exc(d):
    t = d.get("type") or "Exception"
    if t == "MemoryError":
        return "memory"
    return "error"


def crash_result(child, reason):
    sig, code = child.death()
    if reason == "timeout":
        return test_result("timeout", error_type="Timeout", message="time limit exceeded")
    if reason == "protocol":
        return test_result("error", error_type="ProtocolViolation",
                           message="the program wrote to the harness's report channel")
    if reason == "output":
        return test_result("error", error_type="OutputLimitExceeded",
                           message="the program wrote more than the output limit")
    if sig == "SIGXCPU":
        return test_result("timeout", error_type="Timeout", message="CPU time limit exceeded")
    if sig == "SIGSEGV" or sig == "SIGBUS":
        return test_result("error", error_type="Crash", message="the process died of %s" % sig)
    if sig == "SIGKILL":
        return test_result("error", error_type="Killed", message="the process was killed (SIGKILL)")
    if sig:
        return test_result("error", error_type="Crash", message="the process died of %s" % sig)
    return test_result("error", error_type="Exit", message="the process exited (code %s) before reporting" % code)


def run_functional(job):
    limits = job.get("limits", {})
    timeout = float(limits.get("timeout", 5.0))
    load_timeout = float(limits.get("load_timeout", max(timeout, 10.0)))
    tests = job["tests"]
    n = len(tests)
    per_test_timeouts = [float(t.get("timeout") or timeout) for t in tests]
    total_budget = load_timeout + sum(per_test_timeouts) + 1.0
    if limits.get("program_timeout"):
        # A whole-program budget (DeepSeek's and human-eval's harnesses give a
        # program one limit for all its tests): tests still waiting when it
        # runs out are marked as timeouts without being run.
        total_budget = min(total_budget, float(limits["program_timeout"]))
    job_deadline = time.monotonic() + total_budget
    # Stop at the first failing stage (EvalPlus's default): the program's
    # verdict is the same, the tests after it stay not_run.
    fail_fast = bool(limits.get("fail_fast"))
    limits = dict(limits)
    limits["cpu_seconds"] = total_budget + 1
    job["limits"] = limits
    streams = Streams(int(limits.get("output_bytes", 65536)), int(limits.get("hard_output_bytes", 32 << 20)))
    results = [test_result() for _ in range(n)]
    stages = {}
    program = job.get("program") or ""
    # Plan asserts (judge side). The candidate program is never parsed here:
    # only the entry point and the names the (trusted) setup and tests bind
    # count as the sandbox's; see Planner.
    program_names = set()
    setup = job.get("setup") or ""
    try:
        program_names |= stored_names(ast.parse(setup))
    except (SyntaxError, ValueError, RecursionError):
        pass
    entry = job.get("entry_point")
    if entry:
        program_names.add(entry)
    plans = {}
    child_tests = []
    for k, t in enumerate(tests):
        ct = {"kind": t["kind"]}
        if t["kind"] == "assert":
            try:
                compiled, sites, straight = plan_assert_test(t.get("code") or "", program_names, k)
                ct["compiled"] = compiled
                plans[k] = (sites, straight, t.get("code") or "")
            except SyntaxError as e:
                results[k] = test_result("error", error_type="TestSyntaxError", message=str(e))
                ct = {"kind": "skip"}
        elif t["kind"] == "call":
            ct["args"] = t["args"]
        child_tests.append(ct)
    child_job = {"program": program, "setup": setup, "mode": "functional", "tests": child_tests,
                 "entry_point": entry, "call_style": job.get("call_style", "function"), "limits": limits}
    ep_state = EvalPlusState(float(job.get("atol") or 0.0))
    compare = job.get("compare", "equal")
    start = 0
    restarts = 0
    load_fatal = False
    t_start = time.monotonic()
    while start < n or (start == 0 and n == 0 and "load" not in stages):
        child = Child(child_job, start, streams, b"")
        current = "load" if start == 0 else start
        stage_t0 = time.monotonic()
        deadline = min(job_deadline, stage_t0 + (load_timeout if current == "load" else per_test_timeouts[start]))
        site_counts = {}
        judged = {}
        reason = None
        ret_at = None
        try:
            while True:
                msg = child.next_msg(deadline)
                kind = msg.get("t")
                if kind == "stage":
                    current = msg.get("s")
                    stage_t0 = time.monotonic()
                    if isinstance(current, int) and 0 <= current < n:
                        deadline = min(job_deadline, stage_t0 + per_test_timeouts[current])
                    else:
                        deadline = min(job_deadline, stage_t0 + load_timeout)
                elif kind == "ok" or kind == "exc":
                    s = msg.get("s")
                    wall = (time.monotonic() - stage_t0) * 1000
                    if s in ("load", "setup"):
                        if s != current:
                            raise ProtocolViolation("protocol violation")
                        if kind == "ok":
                            stages[s] = test_result("passed", passed=True, wall_ms=wall)
                        else:
                            stages[s] = test_result(classify_exc(msg), error_type=msg.get("type"),
                                                    message=msg.get("msg"), line=msg.get("line"),
                                                    traceback=msg.get("tb"), wall_ms=wall)
                            if msg.get("fatal"):
                                load_fatal = True
                                raise StopIteration
                            if fail_fast:
                                start = n
                                raise StopIteration
                    elif isinstance(s, int) and 0 <= s < n and s == current:
                        if results[s]["status"] == "not_run":
                            if kind == "exc":
                                results[s] = test_result(classify_exc(msg), error_type=msg.get("type"),
                                                         message=msg.get("msg"), line=msg.get("line"),
                                                         traceback=msg.get("tb"), wall_ms=wall)
                            elif tests[s]["kind"] == "assert":
                                sites, straight, code = plans[s]
                                count = site_counts.get(s, 0)
                                expected_sites = sum(1 for _ in sites) if straight else 1
                                if s in judged:
                                    results[s] = judged[s]
                                    results[s]["wall_ms"] = wall
                                elif (straight and count != expected_sites) or count < 1:
                                    results[s] = test_result("failed", error_type="AssertionError",
                                                             message="the test's assertions did not all run",
                                                             wall_ms=wall)
                                else:
                                    results[s] = test_result("passed", passed=True, wall_ms=wall)
                        start = s + 1
                        if fail_fast and not results[s].get("passed"):
                            start = n
                            raise StopIteration
                elif kind == "site":
                    s = current
                    if not (isinstance(s, int) and s in plans):
                        raise ProtocolViolation("assert outside a test")
                    sites, straight, code = plans[s]
                    site = msg.get("site")
                    if not isinstance(site, int) or not 0 <= site < len(sites):
                        raise ProtocolViolation("unknown assert site")
                    site_counts[s] = site_counts.get(s, 0) + 1
                    verdict = judge_site(child, sites[site], deadline)
                    if verdict is True:
                        child.command("P")
                    else:
                        if s not in judged:
                            judged[s] = verdict
                        child.command("F")
                elif kind == "ret":
                    if msg.get("s") != current:
                        raise ProtocolViolation("unexpected message")
                    ret_at = time.monotonic()
                    deadline = ret_at + ENCODE_BUDGET
                elif kind == "value":
                    if ret_at is not None:
                        # Encoding time does not count against the program's budget.
                        job_deadline += time.monotonic() - ret_at
                        ret_at = None
                    s = msg.get("s")
                    if s != current or not isinstance(s, int) or tests[s]["kind"] != "call":
                        raise ProtocolViolation("value outside a call test")
                    wall = (time.monotonic() - stage_t0) * 1000
                    results[s] = judge_value(tests[s], msg.get("v"), ep_state, compare, entry, wall,
                                             job.get("want_values"), msg.get("secs"))
                    start = s + 1
                    if fail_fast and not results[s].get("passed"):
                        start = n
                        raise StopIteration
                elif kind == "end":
                    if start < n or current not in (n - 1, "load", "setup") and n > 0:
                        raise ProtocolViolation("end before the tests ran")
                    start = n
                    raise StopIteration
                else:
                    raise ProtocolViolation("unexpected message")
        except StopIteration:
            pass
        except Deadline:
            reason = "timeout"
        except OutputLimit:
            reason = "output"
        except ProtocolViolation:
            reason = "protocol"
        except ChildGone:
            reason = "crash"
        except BaseException:
            child.close()
            raise
        # A clean end flushed its output before reporting it: no need to wait.
        child.drain(0.0 if reason is None else 0.05)
        child.close(grace=0.05 if reason == "crash" else 0.0)
        if reason is not None:
            res = crash_result(child, reason)
            if current in ("load", "setup") or current is None:
                res["wall_ms"] = (time.monotonic() - stage_t0) * 1000
                stages[current or "load"] = res
                # A load that hangs or kills its process: no test can run.
                for k in range(start, n):
                    if results[k]["status"] == "not_run":
                        results[k] = test_result(res["status"], error_type=res["error_type"],
                                                 message="not run: the program failed to load (%s)" % res["error_type"])
                start = n
            elif isinstance(current, int) and 0 <= current < n:
                res["wall_ms"] = (time.monotonic() - stage_t0) * 1000
                if results[current]["status"] == "not_run":
                    results[current] = res
                start = n if fail_fast else current + 1
                restarts += 1
            if time.monotonic() >= job_deadline:
                for k in range(start, n):
                    results[k] = test_result("timeout", error_type="Timeout", message="the job's time budget ran out")
                start = n
        if load_fatal:
            for k in range(n):
                if results[k]["status"] == "not_run":
                    results[k] = test_result("not_run", error_type=stages["load"]["error_type"],
                                             message="not run: the program does not compile")
            break
        if n == 0:
            break
    return finish(job, stages, results, streams, t_start)


def judge_site(child, site, deadline):
    """Evaluate one assertion here, asking the child for its candidate-side operands."""
    code, text = site
    cache = {}

    def value(i):
        if i in cache:
            return cache[i]
        child.command("E %d" % i)
        msg = child.next_msg(deadline)
        if msg.get("t") == "val":
            try:
                v = dec(msg.get("v"))
            except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError):
                raise RemoteError({"type": "UnreportableValue", "msg": "the value could not be decoded"})
            cache[i] = v
            return v
        if msg.get("t") == "vexc":
            raise RemoteError(msg)
        raise ProtocolViolation("unexpected message")

    g = dict(JUDGE_GLOBALS)
    g["__cf_v"] = value
    try:
        ok = bool(eval(code, g))
    except RemoteError as e:
        d = e.args[0]
        st = "memory" if d.get("type") == "MemoryError" else "error"
        return test_result(st, error_type=d.get("type"), message=d.get("msg"), line=d.get("line"),
                           traceback=d.get("tb"))
    except (Deadline, ChildGone, OutputLimit):
        raise
    except Exception as e:
        return test_result("error", error_type=type(e).__name__, message=str(e)[:2000],
                           expected=text)
    if ok:
        return True
    shown = {i: short_repr(v) for i, v in cache.items()}
    return test_result("failed", error_type="AssertionError",
                       message="assert %s" % text[:500], output=json.dumps(shown) if shown else None)


class RemoteError(Exception):
    pass


def judge_value(test, v, ep_state, compare, entry, wall, want_values, secs):
    try:
        out = dec(v)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError):
        return test_result("error", error_type="UnreportableValue", message="the value could not be decoded",
                           wall_ms=wall)
    if want_values:
        if compare == "evalplus" and entry in MBPP_OUTPUT_NOT_NONE_TASKS:
            v = out is not None
        return test_result("passed", passed=True, wall_ms=wall, output=json.dumps(v),
                           expected=json.dumps(secs))
    exp_raw = test.get("expected")
    if exp_raw is None:
        return test_result("error", error_type="NoExpected", message="no expected value for this test",
                           wall_ms=wall, output=short_repr(out))
    try:
        exp = dec(json.loads(exp_raw))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return test_result("error", error_type="BadExpected", message="the expected value is not valid",
                           wall_ms=wall, output=short_repr(out))
    try:
        if compare == "evalplus":
            ok = evalplus_match(ep_state, entry, test.get("raw_args"), out, exp)
        else:
            # LiveCodeBench's call-based rule: a tuple result compares as a list
            # when the expected value is a list (JSON has no tuples), then ==.
            if isinstance(out, tuple) and isinstance(exp, list):
                out = list(out)
            ok = _eq(out, exp) or (ep_state.atol > 0 and is_floats(exp) and type(out) is type(exp)
                                   and allclose(out, exp, 0.0, ep_state.atol))
    except Exception as e:
        return test_result("failed", error_type="AssertionError", message="comparison failed: %s" % e,
                           wall_ms=wall, output=short_repr(out), expected=short_repr(exp))
    if ok:
        return test_result("passed", passed=True, wall_ms=wall)
    return test_result("failed", error_type="AssertionError", message="wrong output", wall_ms=wall,
                       output=short_repr(out), expected=short_repr(exp))


def _parses(src):
    try:
        ast.parse(src)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False


def make_executable(code):
    """The longest runnable prefix of a partial program, completed minimally
    (EG-CFG's rule): try the lines as they are; else append `pass` (indented
    under a line that opens a block); else drop the last line; else put `pass`
    in its place; repeat. Code fences are removed first. None when no prefix
    parses."""
    lines = [ln for ln in code.split("\n") if not ln.lstrip().startswith("```")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines:
        src = "\n".join(lines)
        if _parses(src):
            return src
        last = lines[-1]
        indent = re.match(r"\s*", last).group(0)
        if last.rstrip().endswith(":"):
            indent += "    "
        if _parses(src + "\n" + indent + "pass"):
            return src + "\n" + indent + "pass"
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and _parses("\n".join(lines)):
            return "\n".join(lines)
        indent = re.match(r"\s*", last).group(0)
        if lines and _parses("\n".join(lines + [indent + "pass"])):
            return "\n".join(lines + [indent + "pass"])
    return None


_BUILTIN_NAMES = set(dir(builtins)) | {"math", "isclose", "np", "numpy"}


def invocation_of(test, entry=None):
    """The call an assert test makes: `assert f(x) == y` gives `f(x)`; the first
    call (breadth first) to the entry point, else to a name that is not a
    builtin. None when there is none."""
    try:
        tree = ast.parse(test)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if entry and node.func.id == entry:
                return ast.unparse(node)
            if found is None and node.func.id not in _BUILTIN_NAMES:
                found = ast.unparse(node)
    return found


def _short(v, n):
    return v if isinstance(v, str) and len(v) <= n else (str(v)[:n] if v is not None else None)


def _clean_steps(raw, program_lines, max_steps, rlim):
    """Keep well-formed steps only, with the program's own line text."""
    out = []
    if not isinstance(raw, list):
        return out
    for st in raw[:max_steps]:
        if not isinstance(st, dict) or st.get("e") not in ("call", "line", "return", "exception"):
            continue
        n = st.get("n") if isinstance(st.get("n"), int) else None
        text = program_lines[n - 1].strip() if n and 0 < n <= len(program_lines) else ""
        v = st.get("v") if isinstance(st.get("v"), dict) else {}
        out.append({"e": st["e"], "f": _short(st.get("f"), 80) or "", "n": n, "line": text,
                    "v": {str(k)[:40]: _short(x, rlim) for k, x in list(v.items())[:16]},
                    "r": _short(st.get("r"), rlim * 2)})
    return out


def run_trace(job):
    """Trace a partial program on the task's invocations (EG-CFG's dynamic
    signal): the program is completed minimally, loaded in a sandboxed child
    per invocation, and the invocation runs under the child's line tracer."""
    limits = dict(job.get("limits", {}))
    timeout = float(limits.get("timeout", 2.0))
    limits["cpu_seconds"] = timeout + 1
    max_steps = int(job.get("max_steps", 40))
    rlim = int(job.get("repr_chars", 60))
    program = make_executable(job.get("code") or "")
    invocations = list(job.get("invocations") or [])
    for t in job.get("tests") or []:
        inv = invocation_of(t, job.get("entry_point"))
        if inv and inv not in invocations:
            invocations.append(inv)
    if program is None:
        return {"id": job.get("id"), "program": None, "invocations": invocations, "traces": []}
    program_lines = program.splitlines()
    traces = []
    for inv in invocations:
        streams = Streams(int(limits.get("output_bytes", 4096)), int(limits.get("hard_output_bytes", 1 << 20)))
        child_job = {"program": program, "mode": "trace", "invocation": inv, "limits": limits,
                     "max_steps": max_steps, "repr_chars": rlim, "max_locals": int(job.get("max_locals", 8))}
        child = Child(child_job, 0, streams, b"")
        t0 = time.monotonic()
        deadline = t0 + timeout
        msg, reason = None, None
        try:
            while True:
                m = child.next_msg(deadline)
                if m.get("t") == "trace":
                    msg = m
                    break
        except Deadline:
            reason = "timeout"
        except OutputLimit:
            reason = "output"
        except ChildGone:
            reason = "crash"
        except BaseException:
            child.close()
            raise
        child.drain(0.05)
        child.close(grace=0.0)
        exc = msg.get("exc") if msg and isinstance(msg.get("exc"), dict) else None
        traces.append({
            "invocation": inv,
            "status": reason or ("load_error" if msg and msg.get("stage") == "load" else
                                 ("exception" if exc else
                                  ("truncated" if msg and msg.get("truncated") else "returned"))),
            "steps": _clean_steps(msg.get("steps") if msg else [], program_lines, max_steps, rlim),
            "returned": _short(msg.get("ret"), rlim * 2) if msg else None,
            "exception": ("%s: %s" % (exc.get("type"), _short(exc.get("msg"), rlim * 2))) if exc else None,
            "exception_line": exc.get("line") if exc and isinstance(exc.get("line"), int) else None,
            "truncated": bool(msg.get("truncated")) if msg else False,
            "stdout": streams.text(1)[:500],
            "wall_ms": (time.monotonic() - t0) * 1000,
        })
    return _clean({"id": job.get("id"), "program": program, "invocations": invocations, "traces": traces})


def run_stdin(job):
    limits = dict(job.get("limits", {}))
    timeout = float(limits.get("timeout", 5.0))
    limits["cpu_seconds"] = timeout + 1
    tests = job["tests"]
    results = []
    t_start = time.monotonic()
    all_streams = Streams(int(limits.get("output_bytes", 65536)), 1 << 62)
    stages = {}
    try:
        compile(job.get("program") or "", "<program>", "exec")
        stages["load"] = test_result("passed", passed=True)
    except BaseException as e:
        d = _exc_info(e, (job.get("program") or "").splitlines())
        stages["load"] = test_result("error", error_type=d["type"], message=d["msg"], line=d["line"],
                                     traceback=d["tb"])
        results = [test_result("not_run", error_type=d["type"], message="not run: the program does not compile")
                   for _ in tests]
        return finish(job, stages, results, all_streams, t_start)
    child_job = {"program": job.get("program") or "", "mode": "stdin", "limits": limits}
    for k, t in enumerate(tests):
        streams = Streams(int(limits.get("output_bytes", 65536)) * 16,
                          int(limits.get("hard_output_bytes", 32 << 20)))
        stdin_bytes = (t.get("input") or "").encode("utf-8", "surrogateescape")
        child = Child(child_job, k, streams, stdin_bytes)
        t0 = time.monotonic()
        deadline = t0 + timeout
        reason = None
        done = None
        try:
            while True:
                msg = child.next_msg(deadline)
                if msg.get("t") in ("ok", "exc"):
                    done = msg
                    break
        except Deadline:
            reason = "timeout"
        except OutputLimit:
            reason = "output"
        except ProtocolViolation:
            reason = "protocol"
        except ChildGone:
            reason = "crash"
        except BaseException:
            child.close()
            raise
        child.drain(0.2 if reason is None else 0.05)
        child.close(grace=0.05 if reason in (None, "crash") else 0.0)
        wall = (time.monotonic() - t0) * 1000
        out = streams.text(1)
        all_streams.feed(1, streams.data[1][: all_streams.cap])
        all_streams.feed(2, streams.data[2][: all_streams.cap])
        if reason is not None:
            r = crash_result(child, reason)
            r["wall_ms"] = wall
            if reason == "crash" and child.death() == (None, 0):
                reason = None
            else:
                results.append(r)
                continue
        if done is not None and done.get("t") == "exc":
            results.append(test_result(classify_exc(done), error_type=done.get("type"), message=done.get("msg"),
                                       line=done.get("line"), traceback=done.get("tb"), wall_ms=wall,
                                       output=out[:2000]))
            continue
        exp = t.get("expected") or ""
        if streams.total[1] > len(streams.data[1]):
            ok = False
        else:
            ok = stdout_matches(out, exp, job.get("float_tol"))
        if ok:
            results.append(test_result("passed", passed=True, wall_ms=wall))
        else:
            results.append(test_result("failed", error_type="WrongAnswer", message="wrong output",
                                       wall_ms=wall, output=out[:2000], expected=exp[:2000]))
    return finish(job, stages, results, all_streams, t_start)


def _clean(v):
    """Strings that cannot be UTF-8 (lone surrogates) get their bad characters escaped."""
    if isinstance(v, str):
        try:
            v.encode("utf-8")
            return v
        except UnicodeEncodeError:
            return v.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def finish(job, stages, results, streams, t_start):
    return _clean({
        "id": job.get("id"),
        "stages": stages,
        "tests": results,
        "stdout": streams.text(1),
        "stderr": streams.text(2),
        "wall_ms": (time.monotonic() - t_start) * 1000,
    })


def prepare(job):
    """Decode call-test arguments (EvalPlus input types for MBPP+) before forking."""
    tagged = job.get("tagged_inputs", False)
    for t in job.get("tests", []):
        if t["kind"] == "call":
            raw = json.loads(t["input"])
            if tagged:
                raw = dec(raw)
            if not isinstance(raw, list):
                raw = [raw]
            t["raw_args"] = raw
    call = [t for t in job.get("tests", []) if t["kind"] == "call"]
    if call and job.get("compare") == "evalplus" and not tagged:
        args = mbpp_deserialize_inputs(job.get("task_id", "0"), [t["raw_args"] for t in call])
        for t, a in zip(call, args):
            t["raw_args"] = a
    for t in call:
        t["args"] = t["raw_args"]


# --------------------------------------------------------------------------
# Differential testing: type-aware mutation of a task's test inputs.
# --------------------------------------------------------------------------

def seed_inputs(job):
    """Argument tuples of the task's own tests: literal arguments of calls to the
    entry point in assert tests, and the inputs of call tests."""
    entry = job.get("entry_point")
    seeds = []
    for code in job.get("asserts", []):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry:
                if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                    continue
                try:
                    seeds.append(tuple(ast.literal_eval(a) for a in node.args))
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    continue
    raw = [json.loads(i) for i in job.get("inputs", [])]
    if raw and job.get("evalplus"):
        raw = mbpp_deserialize_inputs(job.get("task_id", "0"), raw)
    seeds.extend(tuple(r) if isinstance(r, list) else (r,) for r in raw)
    return seeds


def _mutants(v):
    """(kind, description, value) for one argument value."""
    out = []
    t = type(v)
    if t is bool:
        out.append(("boundary", "negated bool", not v))
    elif t is int:
        out += [("boundary", "zero", 0), ("boundary", "one", 1), ("boundary", "negative", -abs(v) - 1 if v >= 0 else v),
                ("ordinary", "plus one", v + 1), ("ordinary", "multi-digit", v * 10 + 7 if v >= 0 else v * 10 - 7),
                ("ordinary", "larger", abs(v) * 3 + 11), ("boundary", "parity flip", v + 1 if v % 2 == 0 else v - 1)]
    elif t is float:
        out += [("boundary", "zero", 0.0), ("boundary", "negative", -abs(v) - 1.5),
                ("ordinary", "scaled", v * 2.5 + 0.75), ("ordinary", "fraction", v / 3.0 + 0.1)]
    elif t is str:
        out += [("boundary", "empty string", ""), ("boundary", "one character", v[:1])]
        if v:
            out += [("ordinary", "reversed string", v[::-1]), ("ordinary", "longer string", v + v[::-1] + v),
                    ("ordinary", "upper case", v.upper()), ("ordinary", "rotated string", v[1:] + v[:1])]
    elif t in (list, tuple):
        mk = t
        items = list(v)
        out += [("boundary", "empty " + t.__name__, mk([])), ("boundary", "single element", mk(items[:1]))]
        if len(items) >= 2:
            rnd = list(items)
            random.Random(len(items)).shuffle(rnd)
            out += [("ordinary", "reversed", mk(items[::-1])), ("ordinary", "shuffled", mk(rnd)),
                    ("ordinary", "duplicated elements", mk(items + items)),
                    ("ordinary", "longer", mk(items + items[: max(1, len(items) // 2)]))]
            if all(type(x) in (int, float) and type(x) is not bool for x in items):
                out += [("ordinary", "multi-digit elements", mk([x * 10 + 7 for x in items])),
                        ("boundary", "negative elements", mk([-abs(x) - 1 for x in items]))]
                try:
                    out.append(("ordinary", "sorted descending", mk(sorted(items, reverse=True))))
                except TypeError:
                    pass
    elif t is dict:
        items = list(v.items())
        out += [("boundary", "empty dict", {}), ("boundary", "single item", dict(items[:1]))]
    return out


def mutate(job):
    """Seeds and type-aware mutants, deduplicated, capped, deterministic."""
    seeds = seed_inputs(job)
    limit = int(job.get("max", 60))
    found = []
    seen = set()

    def add(kind, desc, args, seed):
        key = repr(args)
        if key in seen or len(found) >= limit:
            return
        seen.add(key)
        found.append({"args": json.dumps(enc_plain(list(args))), "kind": kind, "mutation": desc,
                      "repr": short_repr(args, 200), "seed": seed})

    for k, s_ in enumerate(seeds):
        add("seed", "a test input", s_, k)
    for k, s_ in enumerate(seeds):
        lengths = [len(a) for a in s_ if type(a) in (list, tuple, str)]
        paired = len(lengths) >= 2 and len(set(lengths)) == 1
        for i, a in enumerate(s_):
            for kind, desc, m in _mutants(a):
                # Changing the length of one of several equally long sequences
                # makes their lengths unequal: a boundary case.
                if paired and kind == "ordinary" and type(a) in (list, tuple, str) and len(m) != len(a):
                    kind, desc = "boundary", desc + ", unequal lengths"
                add(kind, "%s (argument %d)" % (desc, i + 1), s_[:i] + (m,) + s_[i + 1:], k)
        # Unequal lengths of two sequence arguments.
        seqs = [i for i, a in enumerate(s_) if type(a) in (list, tuple, str) and len(a) >= 2]
        if len(seqs) >= 2:
            i = seqs[0]
            add("boundary", "unequal lengths (argument %d shortened)" % (i + 1),
                s_[:i] + (s_[i][: len(s_[i]) - 1],) + s_[i + 1:], k)
    return {"id": job.get("id"), "inputs": found, "n_seeds": len(seeds)}


def enc_plain(v):
    """The judge's own encoder for trusted values (the mutation inputs)."""
    return _make_enc()(v)


def handle(job):
    if job.get("op") == "mutate":
        return mutate(job)
    if job.get("op") == "trace":
        return run_trace(job)
    if job.get("op") == "hello":
        return {"id": job.get("id"), "hello": True, "sandbox": SANDBOX, "worker_namespaces": WORKER_NS[0],
                "python": sys.version.split()[0],
                "pid": os.getpid()}
    try:
        prepare(job)
    except Exception as e:
        return {"id": job.get("id"), "fatal": "bad test input: %s: %s" % (type(e).__name__, e)}
    if job.get("mode") == "stdin":
        return run_stdin(job)
    return run_functional(job)


def main():
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    probe_sandbox()
    if SANDBOX["namespaces"] and _unshare(CLONE_NEWPID):
        # Become PID 1 of a namespace of our own: the parent only waits.
        pid = os.fork()
        if pid:
            os.close(0)
            _, status = os.waitpid(pid, 0)
            _os_exit(os.waitstatus_to_exitcode(status) & 0xFF)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        PID_NAMESPACE[0] = True
        setup_worker_namespaces()
    # Objects alive now are shared with every child: keep the collector off
    # them so that children do not copy their pages.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    inp = os.fdopen(0, "rb", buffering=1 << 16)
    for line in inp:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            res = handle(job)
        except Exception as e:
            res = {"id": None, "fatal": "%s: %s" % (type(e).__name__, e)}
            try:
                res["id"] = json.loads(line).get("id")
            except Exception:
                pass
        try:
            data = (json.dumps(res, separators=(",", ":"), default=str, ensure_ascii=False) + "\n").encode("utf-8")
        except UnicodeEncodeError:
            data = (json.dumps(_clean(res), separators=(",", ":"), default=str, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[_os_write(1, view):]


if __name__ == "__main__":
    main()
