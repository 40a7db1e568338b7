# modes: mbpp mbppplus humaneval
# entry: common
# test: assert common([1, 2, 3], [2, 3, 4]) == [2, 3]
# call: [[1, 2, 3], [2, 3, 4]]
# call: [[5], [6]]
# about: multiprocessing.Value and Array, whose shared memory is made of ctypes objects by multiprocessing's own code: ctypes calls made by library code are recorded only where no library module of multiprocessing's made them (the fourth review's N3: 2fa105d flagged these)
import multiprocessing

counter = multiprocessing.Value("i", 5)
table = multiprocessing.Array("d", [1.0, 2.0])
assert counter.value == 5 and table[:] == [1.0, 2.0]


def common(a, b):
    return sorted(set(a) & set(b))
