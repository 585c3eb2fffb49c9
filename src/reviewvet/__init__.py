"""reviewvet: vet the findings of AI code reviewers against the source they talk about."""

__version__ = "0.1.0"

# Where the project lives; the reports link to its documentation (a rule's section in docs/rules.md).
PROJECT_URL = "https://github.com/reviewvet/reviewvet"
DOCS_URL = f"{PROJECT_URL}/blob/main/docs"
