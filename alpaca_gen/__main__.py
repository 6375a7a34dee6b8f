import sys

try:
    from .cli import entry
except KeyboardInterrupt:  # Ctrl-C before the CLI could install its handlers
    print("alpaca-gen: interrupted", file=sys.stderr)
    sys.exit(130)

entry()
