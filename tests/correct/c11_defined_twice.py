# modes: mbpp mbppplus humaneval
# entry: f
# test: assert f(2) == 4
# call: [2]
# call: [5]
# about: the function is defined twice (a first attempt left in); the last definition wins
def f(x):
    return x + 100


def f(x):
    return x * 2
