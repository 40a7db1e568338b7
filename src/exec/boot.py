# codefail bootstrap: `python -S -c <this> NAME PATH` runs the script at PATH
# as module NAME through the import system's source loader, so that its
# compiled code is cached beside it (`__pycache__/`, checked against the
# source's mtime and size) instead of being parsed and compiled at every
# start, which for the judge and the sandbox template took ~25 ms each.
# The script's `main()` is then called.
import sys
import _frozen_importlib_external as _x
_n, _p = sys.argv[1], sys.argv[2]
_l = _x.SourceFileLoader(_n, _p)
_m = type(sys)(_n)
_m.__file__, _m.__loader__ = _p, _l
sys.modules[_n] = _m
exec(_l.get_code(_n), _m.__dict__)
del _n, _p, _l, _x
_m.main()
