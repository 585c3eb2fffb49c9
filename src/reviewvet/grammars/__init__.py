"""Tree-sitter query files, one per language (shipped as package data)."""
