"""`python -m bench`: the load benchmark (bench/load.py); the others run by name."""

from bench.load import main

main()
