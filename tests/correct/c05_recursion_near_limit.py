# modes: mbpp mbppplus humaneval
# entry: depth_sum
# test: assert depth_sum(900) == 405450
# call: [900]
# call: [10]
# about: plain recursion 900 deep, near the default limit of 1000 (the harness's own frames must leave room)
def depth_sum(n):
    if n == 0:
        return 0
    return n + depth_sum(n - 1)
