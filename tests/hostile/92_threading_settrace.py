# expect: failed
# expect_error: AssertionError
# tamper: trace
# test: assert f(3) == 9
# about: a trace hook given to threading.settrace is installed by the threading module (not by program code) in every new thread, so the audit event's caller is library code; it is recorded as `trace` all the same. The hook sees only the program's own frames, and the answer is wrong
import threading

seen = []


def tracer(frame, event, arg):
    seen.append(frame.f_code.co_name)
    return None


def f(x):
    threading.settrace(tracer)
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    threading.settrace(None)
    return len(seen)
