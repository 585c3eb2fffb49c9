"""The records reviewvet passes from stage to stage, and the vocabulary of their statuses.

Frozen dataclasses and ``Literal`` vocabularies, nothing else: no module here reads git, files
or the network. ``reviewvet.api`` returns these; ``reviewvet.report`` renders them.
"""
