# expect: failed
# expect_error: AssertionError
# test: assert f(3) == (6, 7)
# about: mechanism 4 (confuse the judge's decoder): returns a dict whose only key looks like one of the value codec's type tags ({"$tuple": [6, 7]}), hoping it decodes as the tuple the test expects; a dict with '$' keys must arrive as that dict (and compare unequal), never as a tag, and never crash the decoder
def f(x):
    return {"$tuple": [6, 7]}
