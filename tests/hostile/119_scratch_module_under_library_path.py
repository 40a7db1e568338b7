# expect: failed
# expect_error: AssertionError
# tamper: gc
# test: assert f(3) == 9
# about: fourth review (N2): a module written to /tmp and imported through sys.path entry "/usr/../tmp" got co_filename "/usr/../tmp/m.py", which passed the library prefix test, so its frames were trusted; called by the harness directly (the program's entry point comes from that module), its gc scan went unrecorded and swapped the reporter. A file name is trusted only as it stands normalised now, and gc scans are recorded whoever makes them: the scan is recorded before it returns
import sys

with open("/tmp/helper_119.py", "w") as fh:
    fh.write('''
import gc

done = []


def f(x):
    if not done:
        done.append(1)
        gc.unfreeze()
        for o in gc.get_objects():
            if type(o).__name__ == "function" and o.__name__ == "hook" and o.__closure__:
                for name, cell in zip(o.__code__.co_freevars, o.__closure__):
                    if name == "sink":
                        cell.cell_contents[0] = lambda obj: None
    return 0
''')
sys.path.insert(0, "/usr/../tmp")
from helper_119 import f  # noqa: E402,F401
