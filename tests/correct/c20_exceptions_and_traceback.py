# modes: mbpp mbppplus humaneval
# entry: safe_div
# test: assert safe_div(1, 0) is None
# test: assert safe_div(6, 3) == 2
# call: [1, 0]
# call: [6, 3]
# about: catches its own exceptions and prints their tracebacks with traceback.print_exc() and logging.exception (stderr): no tampering
import logging
import traceback


def safe_div(a, b):
    try:
        return a // b
    except ZeroDivisionError:
        traceback.print_exc()
        logging.exception("division failed")
        return None
