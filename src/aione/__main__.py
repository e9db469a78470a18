"""`python -m aione` — те саме, що команда `aione`."""

from aione.cli import main

if __name__ == "__main__":
    main()
