# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: faulthandler.enable() at the top, as debugging-minded generated code does: its C handlers are new signal actions, which the sandbox refuses, so it raised RuntimeError; it now does nothing (the handlers would hand Python no frame, but the filter refuses every new action)
import faulthandler

faulthandler.enable()


def common(a, b):
    return sorted(set(a) & set(b))
