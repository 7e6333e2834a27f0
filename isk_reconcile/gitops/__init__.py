"""Git workflows around the state repository: history timelines, guards against the base
branch, importing an existing router, and CI pipeline templates. The only code (with
`state.writer`'s commits) that talks to git.
"""
