"""A campaign: its settings (``settings``), read from a campaign file or a bare list with the flags
applied (``file``), and the switch login (``credentials``)."""
