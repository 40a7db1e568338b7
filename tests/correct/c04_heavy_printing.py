# modes: mbpp mbppplus humaneval
# entry: total
# test: assert total([1, 2, 3]) == 6
# call: [[1, 2, 3]]
# call: [[10, -4]]
# about: prints about 200 KB while computing (debug output left in)
def total(xs):
    s = 0
    for i in range(2000):
        print("step", i, "x" * 90)
    for x in xs:
        s += x
    return s
