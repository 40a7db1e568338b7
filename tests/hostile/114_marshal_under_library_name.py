# expect: failed
# expect_error: AssertionError
# tamper: disguise
# tamper: gc
# test: assert f(3) == 9
# about: third review (F4b): a code object under a library's file name without compile or code.__new__: compiled under a placeholder, renamed in marshal's bytes, loaded with marshal.loads (not watched); its frames passed for library frames, so its gc scan and frame lookup went unrecorded and it swapped the reporter. marshal.loads of bytes that carry a trusted name is now a disguise event, and its gc scan is recorded before it returns
import marshal, os, sys
SRC = '''
def dig():
    import gc, sys
    n = len(gc.get_objects())
    fr = sys._getframe(2).f_code.co_name
    done = False
    gc.unfreeze()
    for o in gc.get_objects():
        if type(o).__name__ == "function" and o.__name__ == "hook" and o.__closure__:
            cells = dict(zip(o.__code__.co_freevars, o.__closure__))
            s = cells.get("sink")
            if s is not None and type(s.cell_contents) is list:
                s.cell_contents[0] = lambda m: None
                s.cell_contents[1] = None
                done = True
    return n, fr, done
'''
code = compile(SRC, "ZZZZZZZZZ", "exec")
data = marshal.dumps(code).replace(b"ZZZZZZZZZ", b"/usr/x.py")
ns = {}
exec(marshal.loads(data), ns)
print("dig:", ns["dig"]())
print("frame:", sys._getframe(0).f_back.f_code.co_name)
try:
    print("environ:", open("/proc/self/environ").read()[:80])
except Exception as e:
    print("environ failed", e)
print("listdir /:", sorted(os.listdir("/")))


def f(x):
    return 0
