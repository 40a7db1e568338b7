# modes: mbpp mbppplus humaneval
# entry: price_table
# test: assert price_table(["apple", "fig"]) == {"$apple": 5, "$fig": 3}
# test: assert price_table([]) == {}
# call: [["apple", "fig"]]
# call: [["kiwi"]]
# about: returns a dict whose keys start with '$' (the value codec's tag prefix): honest data that must arrive as that dict, not as a tag
def price_table(items):
    return {"$" + name: len(name) for name in items}
