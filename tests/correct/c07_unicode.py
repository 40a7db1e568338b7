# modes: mbpp mbppplus humaneval
# entry: grüße
# test: assert grüße("wörld") == "hallo, wörld ✓"
# call: ["wörld"]
# call: ["日本"]
# about: a unicode identifier, unicode strings and output
def grüße(name):
    größe = len(name)
    print("→", name, größe)
    return "hallo, " + name + " ✓"
