import AblateCore
import AblateTestSupport
import Foundation
import Testing

/// Built-in stage kinds become their runner's exact command line, run by the Python of an
/// environment task (or the stage's own `python:`).
@Suite struct RunnerCommandTests {
    static let pipeline = """
        ablate: 1
        name: runners
        models:
          base: {path: base-model}
        datasets:
          chat: {path: chat.jsonl, format: messages, split: train, sample: 5}
          shp: {hub: stanfordnlp/SHP, format: preference, subset: askscience}
        stages:
          sft:
            kind: sft
            model: base
            data: chat
            lora: {r: 8, alpha: 16, target_modules: [q_proj, v_proj]}
            learning_rate: 2e-4
            resources: {gpus: 1, time: 1h}
            retries: 2
          rm: {kind: reward, model: base, data: shp}
          ppo: {kind: ppo, model: "${stages.sft.model}", reward_model: "${stages.rm.model}", prompts: chat, ppo_epochs: 2}
          samples: {kind: generate, model: "${stages.ppo.model}", prompts: chat, samples_per_prompt: 4, python: /opt/conda/bin/python}
          diversity: {kind: diversity, samples: "${stages.samples.samples}", metrics: [distinct-n, ead]}

        """
    static let files = ["base-model/config.json": "{}", "chat.jsonl": #"{"messages": []}"# + "\n"]

    @Test func aTrainingStageRunsItsRunnerWithEverySettingThatShapesTheResult() throws {
        let plan = try Compile.plan(Self.pipeline, files: Self.files)
        let sft = try #require(plan.task(id: "sft"))
        let display = sft.command.arguments.map(\.display)
        #expect(display.first == "{environment[runners]/venv/bin/python}")
        #expect(Array(display[1...4]) == ["-m", "ablate_runners.sft", "--model", display[4]])
        #expect(display[4].hasSuffix("/base-model"))
        #expect(display.contains("--data-format") && display.contains("messages"))
        #expect(display.joined(separator: " ").contains("--data-split train --data-sample 5"))
        #expect(display.joined(separator: " ").contains("--learning-rate 0.0002 --lora-alpha 16 --lora-r 8 --lora-target-modules q_proj v_proj"))
        #expect(display.suffix(2) == ["--output", "{out}"])
        // Resources and retries are ablate's business, not the runner's.
        #expect(!display.contains("--resources-gpus") && !display.contains("--retries"))
        #expect(sft.command.environment.map(\.name) == ["PYTHONPATH"])
        #expect(sft.command.environment[0].value.display == RunnerPackage.directory)
        let rm = try #require(plan.task(id: "rm"))
        #expect(
            rm.command.arguments.map(\.display).joined(separator: " ").contains(
                "--data {fetch[dataset:shp]/snapshot} --data-format preference --data-split train --data-subset askscience"))
    }

    @Test func precisionAndMemorySettingsReachTheRunnerAndTheFingerprint() throws {
        let settings = "    precision: bf16\n    gradient_checkpointing: true\n    quantization: 4bit\n    attention: eager\n"
        let tuned = Self.pipeline.replacingOccurrences(of: "    retries: 2\n", with: "    retries: 2\n" + settings)
        let plan = try Compile.plan(tuned, files: Self.files)
        let sft = try #require(plan.task(id: "sft"))
        let command = sft.command.arguments.map(\.display).joined(separator: " ")
        for flag in ["--attention eager", "--gradient-checkpointing true", "--precision bf16", "--quantization 4bit"] {
            #expect(command.contains(flag), "\(flag) in \(command)")
        }
        let plain = try #require(try Compile.plan(Self.pipeline, files: Self.files).task(id: "sft"))
        #expect(sft.fingerprint != plain.fingerprint, "the dtype changes the result")
        #expect(sft.kind.descriptor.effectiveSettings([:])["precision"] == .string("auto"))

        let wrong = try Compile.text(
            Self.pipeline.replacingOccurrences(of: "    retries: 2\n", with: "    retries: 2\n    precision: bf17\n"), files: Self.files)
        let message = try #require(wrong.diagnostics.sorted.first { $0.severity == .error }?.description)
        #expect(
            message.hasSuffix("spec.yaml:17:16: error: 'precision' must be one of 'auto', 'bf16', 'fp16' or 'fp32', not 'bf17'; did you mean 'bf16'?"),
            "\(message)")
        let diversity = try Compile.text(
            Self.pipeline.replacingOccurrences(of: "metrics: [distinct-n, ead]}", with: "metrics: [distinct-n, ead], quantization: 4bit}"), files: Self.files)
        #expect(diversity.plan == nil, "a stage that loads no model has no quantization")
    }

    @Test func eachEnvironmentIsOneTaskThatItsStagesNeed() throws {
        let plan = try Compile.plan(Self.pipeline, files: Self.files)
        let runners = try #require(plan.task(id: "environment[runners]"))
        #expect(runners.outputs == ["venv"])
        #expect(runners.requiredOutputs == ["venv/bin/python"])
        #expect(
            runners.command.arguments.map(\.display) == [
                "python3", "-m", "ablate_runners.environment", "--requirements", RunnerPackage.requirements(of: "runners"), "--output", "{out}",
            ])
        #expect(plan.task(id: "sft")?.dependencies == ["environment[runners]"])
        #expect(plan.task(id: "rm")?.dependencies == ["environment[runners]", "fetch[dataset:shp]"])
        // PPO needs TRL 1.12 and so an environment of its own.
        #expect(plan.task(id: "ppo")?.dependencies == ["sft", "rm", "environment[ppo]"])
        #expect(plan.task(id: "environment[ppo]")?.environment == .system)
        #expect(plan.task(id: "ppo")?.command.arguments.map(\.display).joined(separator: " ").contains("--ppo-epochs 2") == true)
        #expect(plan.task(id: "ppo")?.environment == .runner("ppo"))
        // Every environment task comes before the tasks that need it.
        let order = Dictionary(uniqueKeysWithValues: plan.tasks.enumerated().map { ($1.id, $0) })
        for task in plan.tasks {
            for dependency in task.dependencies { #expect(order[dependency]! < order[task.id]!) }
        }
    }

    @Test func aStageWithItsOwnPythonNeedsNoEnvironmentTask() throws {
        let plan = try Compile.plan(Self.pipeline, files: Self.files)
        let samples = try #require(plan.task(id: "samples"))
        #expect(samples.command.arguments.first?.display == "/opt/conda/bin/python")
        #expect(samples.dependencies == ["ppo"])
        #expect(!samples.command.arguments.map(\.display).contains("--python"))
    }

    @Test func measuringStagesWriteUnderTheirMetricsOutput() throws {
        let plan = try Compile.plan(Self.pipeline, files: Self.files)
        let diversity = try #require(plan.task(id: "diversity")).command.arguments.map(\.display)
        #expect(diversity.joined(separator: " ").hasSuffix("--samples {samples/samples} --metrics distinct-n ead --output {out}/metrics"))
    }

    @Test func byteCodeAndHiddenFilesDoNotChangeAFolderDigest() throws {
        let folder = Scratch.path("digest")
        try FileManager.default.createDirectory(atPath: folder + "/package", withIntermediateDirectories: true)
        try "print(1)\n".write(toFile: folder + "/package/runner.py", atomically: true, encoding: .utf8)
        let before = try DiskFiles().contentDigest(of: folder)
        for junk in ["package/__pycache__/runner.cpython-311.pyc", ".pytest_cache/v/cache/lastfailed"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + (junk as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "junk".write(toFile: folder + "/" + junk, atomically: true, encoding: .utf8)
        }
        #expect(try DiskFiles().contentDigest(of: folder) == before)
        try "print(2)\n".write(toFile: folder + "/package/runner.py", atomically: true, encoding: .utf8)
        #expect(try DiskFiles().contentDigest(of: folder) != before)
    }

    @Test func aDatasetsColumnMappingAndTemplateReachTheRunnerAndItsFingerprint() throws {
        let mapped = Self.pipeline.replacingOccurrences(
            of: "chat: {path: chat.jsonl, format: messages, split: train, sample: 5}",
            with:
                #"chat: {path: chat.jsonl, format: prompt-completion, columns: {prompt: question, completion: response, system: system_prompt}, template: "{instruction}\n\n{input}"}"#
        )
        let plan = try Compile.plan(mapped, files: Self.files)
        let sft = try #require(plan.task(id: "sft"))
        let line = sft.command.arguments.map(\.display).joined(separator: " ")
        #expect(line.contains("--data-columns completion=response prompt=question system=system_prompt --data-template {instruction}\n\n{input}"), "\(line)")
        let unmapped = try Compile.plan(
            Self.pipeline.replacingOccurrences(
                of: "chat: {path: chat.jsonl, format: messages, split: train, sample: 5}", with: "chat: {path: chat.jsonl, format: prompt-completion}"),
            files: Self.files)
        #expect(unmapped.task(id: "sft")?.fingerprint != sft.fingerprint, "the mapping changes what the task reads")
        #expect(unmapped.task(id: "rm")?.fingerprint == plan.task(id: "rm")?.fingerprint, "tasks that do not read the dataset keep theirs")
    }
}
