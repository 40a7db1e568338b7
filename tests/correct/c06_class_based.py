# modes: mbpp mbppplus humaneval
# entry: count_vowels
# test: assert count_vowels("hello world") == 3
# call: ["hello world"]
# call: ["xyz"]
# about: the logic lives in a class; the function is a thin wrapper
class VowelCounter:
    VOWELS = set("aeiou")

    def __init__(self, text):
        self.text = text

    def count(self):
        return sum(1 for c in self.text.lower() if c in self.VOWELS)


def count_vowels(s):
    return VowelCounter(s).count()
