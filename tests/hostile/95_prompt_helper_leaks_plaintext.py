# expect: failed
# expect_error: AssertionError
# dataset: humaneval
# entry: decode_cyclic
# prompt: def encode_cyclic(s: str):
# prompt:     groups = [s[(3 * i):min((3 * i + 3), len(s))] for i in range((len(s) + 2) // 3)]
# prompt:     groups = [(group[1:] + group[0]) if len(group) == 3 else group for group in groups]
# prompt:     return "".join(groups)
# prompt:
# prompt:
# prompt: def decode_cyclic(s: str):
# prompt:     """takes as input string encoded with encode_cyclic function. Returns decoded string."""
# test: for word in ("abcdefghij", "codefail sandbox", "xyz", "a"):
# test:     encoded = encode_cyclic(word)
# test:     assert decode_cyclic(encoded) == word
# about: HumanEval/38's shape: the argument of the prompt's helper `encode_cyclic` is the expected answer of the next assert. A program that redefines the helper to remember its argument, and answers decode_cyclic with the last one it saw, passed while the helper ran in the child (it saw every plaintext). The judge runs the prompt's helpers itself: the child sees only the encoded strings
_seen = []


def encode_cyclic(s):
    _seen.append(s)
    return "x"


def decode_cyclic(s):
    return _seen[-1] if _seen else ""
