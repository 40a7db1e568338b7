# modes: stdin
# stdin: hello\n
# stdout: HELLO
# about: a main() under the guard, then sys.exit(0) (a normal end for a script)
import sys


def main():
    print(input().upper())


if __name__ == "__main__":
    main()
    sys.exit(0)
