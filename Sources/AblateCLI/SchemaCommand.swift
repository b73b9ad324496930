import AblateCore
import ArgumentParser
import Foundation

/// `ablate schema`: the spec language as a JSON Schema, for editors.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print a JSON Schema (draft 2020-12) of the spec language for editors.",
        discussion: "For example, with the YAML language server: '# yaml-language-server: $schema=ablate.schema.json'."
    )

    @Flag(help: "Print instead the manifest the Python stage runners load (Runners/ablate_runners/manifest.json).")
    var runnerManifest = false

    func run() throws {
        if runnerManifest {
            FileHandle.standardOutput.write(try RunnerManifest.json())
            return
        }
        FileHandle.standardOutput.write(try SpecSchema.json())
        print()
    }
}
