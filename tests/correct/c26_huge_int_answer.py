# modes: mbpp mbppplus humaneval
# entry: fact
# test: assert fact(2000) // fact(1999) == 2000
# test: assert fact(2000) > 10 ** 5700
# test: assert fact(5) == 120
# call: [2000]
# call: [20]
# about: an exact big-integer answer of 5,736 digits, past Python's 4,300-digit limit on int-to-str conversion: the harness must carry and compare it without str()
def fact(n):
    out = 1
    for k in range(2, n + 1):
        out *= k
    return out
