import AblateCore
import Foundation
import Testing

/// No input may crash `validate`: every prefix of every example spec and thousands of random
/// mutations of them either compile or produce errors.
@Suite struct RobustnessTests {
    static let files = DiskFiles()

    static var examples: [(path: String, text: String)] {
        (Paths.exampleSpecs + [Paths.experiments + "/shared/lora-defaults.yaml"]).compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).map { (path, $0) }
        }
    }

    private func check(_ text: String, as path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let outcome = StudyCompiler(files: Self.files).compile(text: text, file: path)
        #expect(outcome.plan != nil || outcome.diagnostics.hasErrors, "neither a plan nor an error for:\n\(text)", sourceLocation: sourceLocation)
        for diagnostic in outcome.diagnostics.diagnostics {
            #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, sourceLocation: sourceLocation)
        }
    }

    @Test func everyExampleCompiles() {
        let examples = Self.examples.filter { !$0.path.contains("/shared/") }
        #expect(examples.count >= 4)
        for (path, text) in examples {
            let outcome = StudyCompiler(files: Self.files).compile(text: text, file: path)
            #expect(outcome.plan != nil, "\(path): \(outcome.diagnostics.sorted.map(\.description))")
        }
    }

    // The two tests below compile specs for minutes. Each yields after every compilation: a test
    // holds one of the few threads (one per core) that run every test's asynchronous work, and two
    // that never yield stall the tests that time real processes (a run that must stop at once).

    @Test func everyPrefixOfEveryExample() async {
        for (path, text) in Self.examples {
            var prefix = ""
            for character in text {
                prefix.append(character)
                check(prefix, as: path)
                await Task.yield()
            }
        }
    }

    @Test func randomMutationsOfEveryExample() async {
        var generator = SplitMix64(seed: 0xAB1A7E)
        let examples = Self.examples
        for round in 0..<3_000 {
            let (path, text) = examples[round % examples.count]
            var mutated = text
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutated = Mutation.apply(to: mutated, using: &generator)
            }
            check(mutated, as: path)
            await Task.yield()
        }
    }
}

/// Small random edits of YAML text that keep it a valid Swift string.
enum Mutation {
    static let tokens = [
        ":", "-", "- ", "${", "}", "${sweep.", "${stages.", "??", "[", "]", "{", "\t", "&a ", "*a", "!!str ", "!!int ",
        "\0", "é", "🙂", "999999999999999999999", "-1", "1e400", "0", "...", "---\n", "? ", "|\n", ">\n", "\"", "'",
        "#", "\n  ", "null", "~", "true", "..", "/", "${outputs.x}", "<<: *a\n", "\u{202E}",
    ]

    static func apply(to text: String, using generator: inout SplitMix64) -> String {
        var characters = Array(text)
        guard !characters.isEmpty else { return tokens.randomElement(using: &generator) ?? "" }
        let position = Int.random(in: 0..<characters.count, using: &generator)
        switch Int.random(in: 0..<6, using: &generator) {
        case 0:
            let length = Int.random(in: 1...min(40, characters.count - position), using: &generator)
            characters.removeSubrange(position..<(position + length))
        case 1:
            characters.insert(contentsOf: tokens.randomElement(using: &generator) ?? "", at: position)
        case 2:
            characters[position] = tokens.randomElement(using: &generator)?.first ?? " "
        default:
            var lines = String(characters).components(separatedBy: "\n")
            let a = Int.random(in: 0..<lines.count, using: &generator)
            let b = Int.random(in: 0..<lines.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: lines.swapAt(a, b)
            case 1: lines.insert(lines[a], at: b)
            default: lines[a] = String(repeating: " ", count: Int.random(in: 0...6, using: &generator)) + lines[a].drop { $0 == " " }
            }
            return lines.joined(separator: "\n")
        }
        return String(characters)
    }
}

/// A seeded generator, so that a failing mutation can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
