"""`dialer status` and `dialer report`: where a campaign stands, for operators and spreadsheets.

``summary`` and ``table`` are pure (list rows' states + results lines in, plain data out),
``html`` turns them into a self-contained page, ``source`` and ``writers`` do the file I/O and
``cli`` holds the two click commands.
"""
