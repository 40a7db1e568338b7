# expect: failed
# expect_error: AssertionError
# tamper: frame
# test: assert f(3) == 987654
# about: mechanism 1: raises and catches an exception, then walks tb_frame.f_back through the callers' frames looking for the expected value in their locals and constants
def f(x):
    try:
        raise RuntimeError
    except RuntimeError as e:
        frame = e.__traceback__.tb_frame
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_code.co_consts):
            if type(value) is int and value > 1000:
                return value
        frame = frame.f_back
    return -1
