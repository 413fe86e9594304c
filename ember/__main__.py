"""`python -m ember COMMAND ...` and the `ember` console script (see `ember --help`)."""
import sys


def main(argv=None):
    from .train.cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
