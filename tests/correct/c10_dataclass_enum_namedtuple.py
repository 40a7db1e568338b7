# modes: mbpp mbppplus humaneval
# entry: describe
# test: assert describe(3, 4) == "RED:5.0:Point(x=3, y=4)"
# call: [3, 4]
# call: [0, 0]
# about: dataclasses, enum, namedtuple and typing in one answer (their __module__ is whatever the mode's __name__ is)
import enum
import typing
from collections import namedtuple
from dataclasses import dataclass, field

Point = namedtuple("Point", "x y")


class Color(enum.Enum):
    RED = 1


@dataclass
class Vec:
    x: float
    y: float
    tags: typing.List[str] = field(default_factory=list)

    def norm(self) -> float:
        return (self.x ** 2 + self.y ** 2) ** 0.5


def describe(x, y):
    return "%s:%s:%r" % (Color.RED.name, Vec(x, y).norm(), Point(x, y))
