"""Stage 1 — reading: the state repository's files become one typed, immutable `State`.

yamlsource parses YAML with positions and a parse cache; loader turns files into the
model's values and collects every error as file:line:col; writer makes the few
text-preserving edits the commands need; encryption holds age for PPPoE passwords.
Nothing here talks to a router or to git.
"""
