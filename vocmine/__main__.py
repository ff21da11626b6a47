from vocmine.cli import main

main()
