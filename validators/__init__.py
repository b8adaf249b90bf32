"""The validation rules, one module per rule family. Rules are pure: data in, findings out.

Content rules look at one document; `unique_name` and `accounts` look across files and at
paths, and run after the content rules (their inputs are cheap to cache).
"""
