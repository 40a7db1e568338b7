# modes: mbpp mbppplus humaneval
# entry: doubled
# test: assert doubled(4) == [0, 2, 4, 6]
# call: [4]
# call: [0]
# about: asyncio.run with gather: asyncio installs a SIGINT handler only where SIGINT has Python's default handler, and the child's SIGINT is SIG_DFL (no signal handler of the program's may exist inside the sandbox), so the event loop starts, runs and closes without one
import asyncio


async def _double(i):
    await asyncio.sleep(0)
    return 2 * i


async def _all(n):
    return list(await asyncio.gather(*(_double(i) for i in range(n))))


def doubled(n):
    return asyncio.run(_all(n))
