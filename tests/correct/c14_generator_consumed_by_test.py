# modes: mbpp humaneval
# entry: evens
# test: assert list(evens(5)) == [0, 2, 4, 6, 8]
# about: returns a generator that the test itself consumes (list(...) in the assert)
def evens(n):
    for i in range(n):
        yield 2 * i
