"""reviewvet: vet the findings of AI code reviewers against the source they talk about."""

__version__ = "0.1.0"
