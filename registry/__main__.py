"""`python -m registry` runs the same CLI as `template-registry`."""

from registry.cli import main

raise SystemExit(main())
