# expect: error
# expect_error: ProtocolViolation
# tamper: protocol
# test: assert f(3) == 6
# about: mechanism 3: writes a forged "returned" report (length-framed JSON without the child's token) to every descriptor from 3 to 1023 (the report pipe sits at 250), then keeps computing: the judge refuses the forged frame and the deadline is not moved
import json
import os
import struct
import time


def f(x):
    msg = json.dumps({"t": "val", "v": 6}).encode()
    frame = struct.pack(">I", len(msg)) + msg
    for fd in range(3, 1024):
        try:
            os.write(fd, frame)
        except OSError:
            pass
    time.sleep(20)
    return 6
