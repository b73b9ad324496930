// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ablate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ablate", targets: ["ablate"]),
        .executable(name: "ablate-supervisor", targets: ["ablate-supervisor"]),
        .library(name: "AblateCore", targets: ["AblateCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // The spec language, sweep expansion, DAG compilation and plan exports: pure values,
        // no processes, no terminal.
        .target(
            name: "AblateCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The run directory and its index: the files are the truth, the SQLite index is rebuilt
        // from them at will; the only code that knows their names and the index's schema.
        .target(
            name: "AblateStore",
            dependencies: [
                "AblateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // One HTTP GET through libcurl, loaded when the first request is sent (C: libcurl's
        // options are passed through a variadic function).
        .target(
            name: "AblateHTTP",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        // posix_spawn with the GNU extensions that start a task in a session of its own (C: Swift's
        // Glibc module leaves them out).
        .target(name: "AblateSpawn"),
        // Running a plan: the cache, the executors, the scheduler, resume.
        .target(
            name: "AblateRun",
            dependencies: [
                "AblateCore",
                "AblateHTTP",
                "AblateStore",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // Reports: the results table of one or more runs, read through the store.
        .target(
            name: "AblateReport",
            dependencies: ["AblateCore", "AblateStore"]
        ),
        // The command-line interface: the only target that imports ArgumentParser or prints.
        .target(
            name: "AblateCLI",
            dependencies: [
                "AblateCore",
                "AblateReport",
                "AblateRun",
                "AblateStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "ablate", dependencies: ["AblateCLI", "ablate-supervisor"]),
        // Runs one local task and records how it ended, so that the task outlives ablate: only
        // the C library, so that it starts in a millisecond.
        .executableTarget(
            name: "ablate-supervisor", dependencies: ["AblateSpawn"], path: "Sources/AblateSupervisor",
            // A static executable: started on its own, it was once per task, and loading and
            // relocating shared libraries was most of its start (3.9 ms to 1.8 ms with its task,
            // `true`, 1 ms); a run now starts it once, as the server that forks the others.
            linkerSettings: [.unsafeFlags(["-static-executable"])]),
        // Helpers shared by the test targets: golden files, process checks.
        .target(
            name: "AblateTestSupport",
            path: "Tests/AblateTestSupport"
        ),
        .testTarget(
            name: "AblateCoreTests",
            dependencies: ["AblateCore", "AblateTestSupport", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures", "Snapshots"]
        ),
        .testTarget(
            name: "AblateRunTests",
            dependencies: [
                "AblateRun", "AblateStore", "AblateCore", "AblateReport", "AblateTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "AblateCLITests",
            dependencies: [
                "AblateCLI", "AblateCore", "AblateRun", "AblateStore", "AblateTestSupport", "ablate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures", "Snapshots"]
        ),
    ]
)
