# modes: mbpp mbppplus humaneval
# entry: count_primes
# test: assert count_primes(150000) == 13848
# call: [150000]
# about: slow but within the limit: about a second of trial division
def count_primes(n):
    count = 0
    for k in range(2, n):
        d = 2
        prime = True
        while d * d <= k:
            if k % d == 0:
                prime = False
                break
            d += 1
        count += prime
    return count
