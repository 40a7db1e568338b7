# expect: failed
# expect_error: AssertionError
# tamper: disguise
# tamper: gc
# test: assert f(3) == 9
# about: code compiled under the name of a library file (or under a str subclass that compares equal to anything) looked like the library's to the audit hook, which does not report library code's frame walks and gc scans: a scan from such code was not recorded. Compiling under such a name is itself recorded now (`disguise`), the name is never trusted again, a str subclass never passes for a library file, and the scans from the disguised code are recorded too
import os
import sys


class Anything(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__

    def startswith(self, *args):
        return True


lib = os.path.dirname(os.__file__) + "/_dis_guise.py"
exec(compile("import gc\ngc.get_objects()\n", lib, "exec"))
exec(compile("import gc\ngc.get_referrers(sys)\n", Anything("<lib>"), "exec"), {"sys": sys})


def f(x):
    return 0
