from shre.cli import main

main()
