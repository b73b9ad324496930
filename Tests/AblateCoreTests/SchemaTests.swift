import AblateCore
import AblateTestSupport
import Foundation
import Testing
import Yams

/// `ablate schema` accepts every example spec and rejects broken ones, checked by a real
/// JSON Schema validator (Python's jsonschema, draft 2020-12).
@Suite struct SchemaTests {
    private func writeJSON(of yamlPath: String, to directory: String) throws -> String {
        let text = try String(contentsOfFile: yamlPath, encoding: .utf8)
        let object = try #require(try Yams.load(yaml: text))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let path = directory + "/" + ((yamlPath as NSString).lastPathComponent as NSString).deletingPathExtension + ".json"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    private func validate(_ documents: [String], in directory: String) async throws -> (status: Int32, output: String) {
        let schemaPath = directory + "/schema.json"
        try SpecSchema.json().write(to: URL(fileURLWithPath: schemaPath))
        return try await Python.run([Paths.repository + "/Scripts/validate-json-schema.py", schemaPath] + documents)
    }

    private func temporaryDirectory() throws -> String {
        let directory = Scratch.path("schema")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func everyExampleSpecValidatesAgainstTheSchema() async throws {
        let directory = try temporaryDirectory()
        let documents = try Paths.exampleSpecs.map { try writeJSON(of: $0, to: directory) }
        #expect(documents.count >= 4)
        let result = try await validate(documents, in: directory)
        #expect(result.status == 0, "\(result.output) (needs Python's jsonschema: pip install jsonschema)")
        #expect(result.output.components(separatedBy: "valid: ").count - 1 == documents.count)
    }

    @Test func theSchemaRejectsWhatValidateRejects() async throws {
        let directory = try temporaryDirectory()
        let cases = [
            "typo.json": #"{"ablate": 1, "name": "x", "stages": {"sft": {"kind": "sft", "model": "m", "data": "d", "learning_rat": 0.1}}}"#,
            "kind.json": #"{"ablate": 1, "name": "x", "stages": {"sft": {"kind": "stf"}}}"#,
            "lora.json": #"{"ablate": 1, "name": "x", "defaults": {"lora": {"r": 0}}, "stages": {"c": {"kind": "command", "run": "true"}}}"#,
            "name.json": #"{"ablate": 1, "name": "../x", "stages": {"c": {"kind": "command", "run": "true"}}}"#,
            "memory.json": #"{"ablate": 1, "name": "x", "defaults": {"resources": {"memory": "64Q"}}, "stages": {"c": {"kind": "command", "run": "true"}}}"#,
        ]
        var paths: [String] = []
        for (name, json) in cases.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let result = try await validate(paths, in: directory)
        #expect(result.status == 1)
        #expect(result.output.components(separatedBy: "invalid: ").count - 1 == cases.count, "\(result.output)")
    }
}
