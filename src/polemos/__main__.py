from polemos.cli import main

main()
