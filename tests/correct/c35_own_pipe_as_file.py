# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: a pipe of the program's own read through a file object (os.fdopen): the audit hook recorded every open of a descriptor above 2 as tampering; it now records only the harness's two pipes
import os

r, w = os.pipe()
os.write(w, b"ok")
os.close(w)
with os.fdopen(r) as fh:
    assert fh.read() == "ok"


def common(a, b):
    return sorted(set(a) & set(b))
