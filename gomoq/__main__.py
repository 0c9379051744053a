"""`python -m gomoq` runs the same CLI as the `gomoq` console script."""

from gomoq.cli import main

if __name__ == "__main__":
    main()
