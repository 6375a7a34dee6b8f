import sys

try:
    from .cli import entry
except KeyboardInterrupt:  # Ctrl-C before the CLI could install its handlers
    print("alpaca-gen: stopped by Ctrl-C", file=sys.stderr)
    sys.exit(130)

entry()
