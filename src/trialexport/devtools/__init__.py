"""Developer tools (not user commands): regenerate the files derived from code and tables.

Run from a source checkout: ``python -m trialexport.devtools generate [--check]``.
"""
