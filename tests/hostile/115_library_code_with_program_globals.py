# expect: failed
# expect_error: AssertionError
# tamper: gc
# test: assert f(3) == 9
# about: third review (F4b): posixpath.normcase's code object run as a function over globals of the program's choosing (os.fspath = gc.get_objects): a library frame called gc.get_objects, which went unrecorded, and the scan found the hook and swapped its reporter. gc scans are recorded whoever makes them now, before the scan returns. (Its sys._getframe through the same trick is still not recorded: it reaches the harness's frames only, which hold no expected value)
import gc, os, posixpath, sys, types
code = posixpath.normcase.__code__
get_objects = types.FunctionType(code, {"os": types.SimpleNamespace(fspath=gc.get_objects)})
getframe = types.FunctionType(code, {"os": types.SimpleNamespace(fspath=sys._getframe)})
objs = get_objects(None)
print("gc objects:", len(objs))
print("frame:", getframe(2).f_code.co_name)
gc.unfreeze()
done = False
for o in get_objects(None):
    if type(o) is types.FunctionType and o.__name__ == "hook" and o.__closure__:
        cells = dict(zip(o.__code__.co_freevars, o.__closure__))
        s = cells.get("sink")
        if s is not None and type(s.cell_contents) is list:
            s.cell_contents[0] = lambda m: None
            s.cell_contents[1] = None
            done = True
print("silenced:", done)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))


def f(x):
    return 0
