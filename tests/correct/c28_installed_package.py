# modes: mbpp mbppplus humaneval
# entry: installed_version_parts
# test: assert installed_version_parts("23.2.1") == [23, 2, 1]
# call: ["23.2.1"]
# call: ["1.0"]
# about: imports a package installed in the interpreter's site-packages (pip, present wherever pip is): the sandbox's template starts without `site` and must still put site-packages on sys.path
import pip


def installed_version_parts(version):
    assert pip.__version__
    return [int(p) for p in version.split(".")]
