from dialer.commands.cli import main

main()
