# modes: stdin
# stdin: 2\n10 20\n
# stdout: 30
# stdin: 3\n-1 -2 -3\n
# stdout: -6
# about: the competitive programmer's `signal.signal(signal.SIGPIPE, signal.SIG_DFL)` (so that a closed pipe ends the program quietly): the sandbox refuses new signal actions, but asking for the disposition a signal already has succeeds, and in the sandbox SIGPIPE already kills
import signal
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)
data = sys.stdin.read().split()
n = int(data[0])
print(sum(map(int, data[1:1 + n])))
