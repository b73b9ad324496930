import AblateCore
import Testing

/// Sweep expansion: grid products, zipped axes, exclusions, inclusions and seeds.
@Suite struct SweepExpansionTests {
    static let header = """
        ablate: 1
        name: sweeps
        stages:
          echo: {kind: command, command: [echo, "${sweep.a}"]}

        """

    private func variantNames(_ sweep: String) throws -> [String] {
        try Compile.plan(Self.header + sweep).variants.map(\.name)
    }

    @Test func gridIsTheProductWithTheLastAxisFastest() throws {
        let names = try variantNames("sweep:\n  grid:\n    a: [1, 2]\n    b: [x, y, z]\n")
        #expect(names == ["a=1,b=x", "a=1,b=y", "a=1,b=z", "a=2,b=x", "a=2,b=y", "a=2,b=z"])
    }

    @Test func excludeDropsEveryMatchingVariant() throws {
        let names = try variantNames(
            """
            sweep:
              grid:
                a: [1, 2]
                b: [x, y, z]
              exclude:
                - {a: 1, b: [x, y]}
                - {b: z}
            """)
        #expect(names == ["a=2,b=x", "a=2,b=y"])
    }

    @Test func includeAddsVariantsOnceEvenWhenExcluded() throws {
        let names = try variantNames(
            """
            sweep:
              grid:
                a: [1, 2]
              exclude:
                - {a: 2}
              include:
                - {a: 3}
                - {a: 1}
                - {a: 2}
            """)
        #expect(names == ["a=1", "a=3", "a=2"])
    }

    @Test func zippedAxesVaryTogetherAndMultiplyWithTheGrid() throws {
        let names = try variantNames(
            """
            sweep:
              zip:
                a: [1, 2]
                b: [x, y]
              grid:
                c: [p, q]
            """)
        #expect(names == ["a=1,b=x,c=p", "a=1,b=x,c=q", "a=2,b=y,c=p", "a=2,b=y,c=q"])
    }

    @Test func seedsAreAnAxisEveryStageFollows() throws {
        let plan = try Compile.plan(
            """
            ablate: 1
            name: seeds
            sweep:
              seeds: [1, 2, 3]
            stages:
              pinned: {kind: command, run: "true", seed: 7}
              follows: {kind: command, run: "true"}
            """)
        #expect(plan.variants.map(\.name) == ["seed=1", "seed=2", "seed=3"])
        #expect(plan.tasks.filter { $0.stage == "follows" }.map { $0.settings["seed"] } == [.int(1), .int(2), .int(3)])
        #expect(plan.tasks.filter { $0.stage == "pinned" }.count == 1)
    }

    @Test func aSpecWithoutASweepHasOneVariant() throws {
        let plan = try Compile.plan("ablate: 1\nname: one\nstages:\n  hello: {kind: command, run: \"echo hi\"}\n")
        #expect(plan.variants.map(\.name) == ["default"])
        #expect(plan.tasks.map(\.id) == ["hello"])
    }
}
