# expect: failed
# expect_error: AssertionError
# tamper: gc
# tamper: frame
# tamper: file
# test: assert f(3) == 9
# about: the tamper log switched off before any watched call: the sandbox module was in sys.modules and its AUDIT_HOOK list held the hook's reporter, so replacing it (no audit event) dropped every later report (reproduced by the review of 2026-12-05: a gc scan, a frame walk and a read outside the sandbox left `tamper` empty). The child now removes the module from sys.modules and drops its own reference to the hook: the lookups find nothing, and the gc scan, the frame walk and the read are recorded
import sys

for name in ("codefail_sandbox", "__main__"):
    m = sys.modules.get(name)
    for holder in (m, getattr(m, "_m", None)):
        hooks = getattr(holder, "AUDIT_HOOK", None)
        if hooks:
            try:
                hooks[0][1][0] = lambda obj: None
            except Exception:
                pass

import gc

gc.get_objects()
sys._getframe(0)
try:
    open("/etc/hostname").read()
except OSError:
    pass


def f(x):
    return 0
