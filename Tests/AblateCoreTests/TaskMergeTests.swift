import AblateCore
import Testing

/// Identical tasks in different variants become one task.
@Suite struct TaskMergeTests {
    static let grid = """
        ablate: 1
        name: grid
        models:
          base: {hub: org/base}
        datasets:
          shp-sft: {hub: stanfordnlp/SHP, format: prompt-completion}
          lima: {hub: GAIR/lima, format: messages}
          orca: {hub: Open-Orca/OpenOrca, format: prompt-completion, sample: 100000}
          shp: {hub: stanfordnlp/SHP, format: preference}
          hh-rlhf: {hub: Anthropic/hh-rlhf, format: preference}
          ultra: {hub: HuggingFaceH4/ultrafeedback_binarized, format: preference}
        sweep:
          grid:
            sft_data: [shp-sft, lima, orca]
            dpo_data: [shp, hh-rlhf, ultra]
        stages:
          sft: {kind: sft, model: base, data: "${sweep.sft_data}", learning_rate: 2e-4}
          dpo: {kind: dpo, model: "${stages.sft.model}", data: "${sweep.dpo_data}", learning_rate: 5e-7}
          eval: {kind: lm-eval, model: "${stages.dpo.model}", tasks: [arc_challenge]}

        """

    @Test func aThreeByThreeGridTrainsThreeSFTModels() throws {
        let plan = try Compile.plan(Self.grid)
        #expect(plan.counts.variants == 9)
        #expect(plan.tasks.filter { $0.stage == "sft" }.count == 3)
        #expect(plan.tasks.filter { $0.stage == "dpo" }.count == 9)
        // 3 + 9 + 9 stage tasks, the one environment they all run in, a fetch task for each of
        // the six hub repositories (the model, three SFT and two DPO datasets; SHP serves both)
        // and one for the lm-eval task's datasets.
        #expect(plan.counts.tasks == 29)
        #expect(plan.counts.stageInstances == 27)
        #expect(plan.counts.sharedTasks == 11)
        let sft = try #require(plan.task(id: "sft[sft_data=lima]"))
        #expect(sft.variants.count == 3)
        #expect(
            plan.task(id: "dpo[sft_data=lima,dpo_data=hh-rlhf]")?.dependencies == ["sft[sft_data=lima]", "environment[runners]", "fetch[dataset:hh-rlhf]"])
        #expect(plan.task(id: "fetch[model:base]")?.variants.count == 9)
        #expect(plan.task(id: "fetch[dataset:shp-sft]")?.variants.count == 5, "SHP is fetched once for its SFT and its preference entries")
        #expect(plan.task(id: "environment[runners]")?.variants.count == 9)
    }

    @Test func stagesLeftOutFallBackAndShareTheBaseEvaluation() throws {
        let plan = try Compile.plan(
            """
            ablate: 1
            name: fallback
            models:
              base: {hub: org/base}
            datasets:
              lima: {hub: GAIR/lima, format: messages}
              shp: {hub: stanfordnlp/SHP, format: preference}
            sweep:
              grid:
                sft_data: [none, lima]
                dpo_data: [none, shp]
            stages:
              sft: {kind: sft, model: base, data: "${sweep.sft_data}", unless: {sft_data: none}}
              dpo: {kind: dpo, model: "${stages.sft.model ?? models.base}", data: "${sweep.dpo_data}", unless: {dpo_data: none}}
              eval: {kind: lm-eval, model: "${stages.dpo.model ?? stages.sft.model ?? models.base}", tasks: [piqa]}
            """)
        #expect(plan.counts.variants == 4)
        let baseEval = try #require(plan.task(id: "eval[sft_data=none,dpo_data=none]"))
        #expect(baseEval.dependencies == ["environment[runners]", "fetch[lm-eval:piqa]", "fetch[model:base]"])
        #expect(baseEval.inputs == [TaskInput(role: "model", source: .model(name: "base"))])
        #expect(plan.variants[0].tasks.map(\.stage) == ["eval"])
        #expect(plan.variants[3].tasks.map(\.stage) == ["sft", "dpo", "eval"])
    }

    @Test func taskNamesAreReadableAndSafeAsDirectoryNames() throws {
        let plan = try Compile.plan(
            """
            ablate: 1
            name: names
            sweep:
              grid:
                model: ["meta-llama/Llama-2-7b-hf", "../../etc", "a b"]
            stages:
              echo: {kind: command, command: [echo, "${sweep.model}"]}
            """)
        for task in plan.tasks {
            #expect(!task.id.contains("/"))
            #expect(!task.id.hasPrefix("."))
            #expect(!task.id.contains(" "))
        }
        #expect(Set(plan.tasks.map(\.id)).count == 3)
    }
}

/// Gathering stages collect the tasks of other stages across axes.
@Suite struct GatherTests {
    @Test func aGatheringStageIsOneTaskPerValueOfTheOtherAxesAndReadsThemAll() throws {
        let plan = try Compile.plan(
            """
            ablate: 1
            name: gather
            sweep:
              grid:
                i: [1, 2, 3]
                j: [a, b]
            stages:
              work: {kind: command, command: [echo, "${sweep.i}${sweep.j}"]}
              per-j: {kind: command, gather: [i], command: [cat, "${stages.work.output}"]}
              all: {kind: command, gather: [i, j], run: "echo ${stages.per-j.output}"}
            """)
        #expect(plan.tasks.filter { $0.stage == "per-j" }.map(\.id) == ["per-j[j=a]", "per-j[j=b]"])
        let perJ = try #require(plan.task(id: "per-j[j=a]"))
        #expect(perJ.dependencies == ["work[i=1,j=a]", "work[i=2,j=a]", "work[i=3,j=a]"])
        #expect(perJ.command.arguments.count == 4)
        #expect(perJ.variants.count == 3)
        let all = try #require(plan.task(id: "all"))
        #expect(all.dependencies == ["per-j[j=a]", "per-j[j=b]"])
        #expect(all.variants.count == 6)
    }

    @Test func aTaskThatGathersManyListsEachDependencyOnceInOrder() throws {
        // Each of the 40 tasks is named twice: more than are looked for one by one.
        let plan = try Compile.plan(
            """
            ablate: 1
            name: gather-many
            sweep:
              grid:
                i: [\((1...40).map(String.init).joined(separator: ", "))]
            stages:
              work: {kind: command, command: [echo, "${sweep.i}"]}
              all: {kind: command, gather: [i], command: [cat, "${stages.work.output}", "${stages.work.output}"]}
            """)
        let all = try #require(plan.task(id: "all"))
        #expect(all.dependencies == (1...40).map { "work[i=\($0)]" })
    }
}
