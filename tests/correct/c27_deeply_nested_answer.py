# modes: mbpp mbppplus humaneval
# entry: wrap
# test: assert wrap(3, 7) == [[[7]]]
# test: assert wrap(150, 1) == wrap(150, 1)
# test: assert len(repr(wrap(150, "x"))) == 303
# call: [150, 1]
# call: [0, 2]
# about: an honest answer nested 150 deep (a parse tree, a linked structure): inside any sane depth limit, it must be sent, decoded and compared whole
def wrap(depth, leaf):
    out = leaf
    for _ in range(depth):
        out = [out]
    return out
