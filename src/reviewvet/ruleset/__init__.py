"""reviewvet's default rule set (shipped as package data, reviewvet.ruleset)."""
