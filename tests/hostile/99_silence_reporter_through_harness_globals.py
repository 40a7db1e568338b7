# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: file
# test: assert f(3) == 9
# about: the assert hook the harness puts in the program's namespace (`__cf_hook`) is a function of the sandbox module: its `__globals__` (no audit event) is that module's dict. Emptying the hook's watch lists there (WATCHED, SCRATCH, FRAME_HELPERS) and its AUDIT_HOOK entry silenced the log. The hook keeps everything it consults in its own closure now, and the child keeps no reference to it: the gc scan and the read outside the sandbox that follow are recorded
def f(x):
    hook = globals().get("__cf_hook")
    if hook is not None:
        mg = hook.__globals__
        mg["WATCHED"] = frozenset()
        mg["SCRATCH"] = ("/",)
        mg["READABLE"] = ["/"]
        mg["FRAME_HELPERS"] = ("",)
        for entry in list(mg.get("AUDIT_HOOK") or []):
            try:
                entry[1][0] = lambda obj: None
            except Exception:
                pass
    import gc

    gc.get_objects()
    try:
        open("/etc/hostname").read()
    except OSError:
        pass
    return 0
