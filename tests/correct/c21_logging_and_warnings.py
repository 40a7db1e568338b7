# modes: mbpp mbppplus humaneval
# entry: clamp
# test: assert clamp(15, 0, 10) == 10
# call: [15, 0, 10]
# call: [-1, 0, 10]
# about: logging.info and warnings.warn on the way (both look at the caller's frame inside the library): no tampering
import logging
import warnings

logging.basicConfig(level=logging.INFO)


def clamp(x, lo, hi):
    logging.info("clamp %s", x)
    if x > hi:
        warnings.warn("clamped")
    return max(lo, min(hi, x))
