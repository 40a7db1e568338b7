# modes: mbpp mbppplus humaneval
# entry: roundtrip
# test: assert roundtrip("abc") == "abc"
# call: ["abc"]
# call: [""]
# about: writes and reads files in its working folder and a tempfile (the private scratch space)
import os
import tempfile


def roundtrip(s):
    with open("work.txt", "w") as fh:
        fh.write(s)
    with tempfile.NamedTemporaryFile("w+", delete=False) as t:
        t.write(s)
        name = t.name
    back = open(name).read()
    os.remove(name)
    return open("work.txt").read() if back == s else None
