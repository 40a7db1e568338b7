# modes: mbpp mbppplus humaneval
# entry: square
# test: assert square(3) == 9
# call: [3]
# call: [-4]
# about: a demo block that prints examples (runs as a script in MBPP mode, harmlessly)
def square(x):
    return x * x


if __name__ == "__main__":
    for i in range(5):
        print(i, square(i))
