# expect: failed
# expect_error: AssertionError
# tamper: frame
# test: assert f(3) == 987654
# about: mechanism 1 without sys._getframe: a running generator's gi_frame.f_back is the frame that resumed it; from there it walks f_back up to the harness's frames, looking for an int in their locals
def f(x):
    holder = []

    def spy():
        yield holder[0].gi_frame.f_back

    g = spy()
    holder.append(g)
    frame = next(g)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if type(value) is int and value > 1000 and value != x:
                return value
        frame = frame.f_back
    return -1
