# expect: failed
# expect_error: AssertionError
# dataset: humaneval
# entry: decode_shift
# prompt: def encode_shift(s: str):
# prompt:     """returns encoded string by shifting every character by 5 in the alphabet."""
# prompt:     return "".join([chr(((ord(ch) + 5 - ord("a")) % 26) + ord("a")) for ch in s])
# prompt:
# prompt:
# prompt: def decode_shift(s: str):
# prompt:     """takes as input string encoded with encode_shift function. Returns decoded string."""
# test: for word in ("hello", "sandbox", "zebra"):
# test:     assert decode_shift(encode_shift(word)) == word
# about: HumanEval/50's shape: the program makes the prompt's `encode_shift` the identity, so that the identity passes as decode_shift. The judge encodes with the prompt's own encode_shift: the identity returns the shifted word, which is wrong
def encode_shift(s):
    return s


def decode_shift(s):
    return s
