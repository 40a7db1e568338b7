# modes: mbpp mbppplus humaneval
# entry: squares
# test: assert squares(5) == [0, 1, 4, 9, 16]
# call: [5]
# call: [0]
# about: a thread pool for a trivial map
from concurrent.futures import ThreadPoolExecutor


def squares(n):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda i: i * i, range(n)))
