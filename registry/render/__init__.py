"""One rendering layer: every line the CLI prints or writes goes through this package.

Names, ids, values, file names and server messages are untrusted: a template named
`x\\n::error::pwned` would start a GitHub workflow command in a CI log, `\\x1b[2J` would
clear a terminal, `</details>` would end the HTML of a PR comment. The media modules
hold the escaping per medium (`terminal`, `markdown`, `github`, `jsonfmt`); `formats`
names the output formats of each kind of document and runs their writers; the document
modules (`findings`, `plan`, `sync`, `listing`) build the output from those primitives.

Import-light on purpose: the pre-commit hook imports `formats` and `findings`, which
need nothing beyond the standard library and `registry.findings`.
"""
