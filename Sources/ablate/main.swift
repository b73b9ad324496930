import AblateCLI

await AblateCommand.runFromCommandLine()
