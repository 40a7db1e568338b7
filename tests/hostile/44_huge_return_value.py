# expect: failed
# test: assert f(1) == 2
# about: f returns a 40 MB string: the child sends it whole (under the 64 MiB message cap) or as the digest of its full encoding, and the judge compares it: not 2
def f(x):
    return "2" * (40 << 20)
