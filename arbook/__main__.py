from arbook.cli import main

main()
