import AblateCLI

AblateCommand.main()
