import AblateCore
import AblateStore
import Foundation
import Testing

@testable import AblateRun

/// What ablate reads from Slurm's answers and what it passes to sbatch, without a cluster.
@Suite struct SlurmParsingTests {
    @Test func squeueJSONOf2205GivesStatesExitCodesAndStartTimes() throws {
        // Fields as Slurm 22.05's `squeue --json` prints them; `exit_code` is a raw wait status.
        let json = """
            {"meta": {}, "errors": [], "jobs": [
              {"job_id": 1, "job_state": "TIMEOUT", "exit_code": 15, "state_reason": "TimeLimit", "start_time": 1795626977},
              {"job_id": 2, "job_state": "FAILED", "exit_code": 768, "state_reason": "NonZeroExitCode", "start_time": 1795626977},
              {"job_id": 3, "job_state": "COMPLETED", "exit_code": 0, "state_reason": "None", "start_time": 1795626978},
              {"job_id": 4, "job_state": "PENDING", "exit_code": 0, "state_reason": "Resources", "start_time": 0}
            ]}
            """
        let jobs = try SlurmJobState.parseQueue(Data(json.utf8))
        #expect(jobs["1"]?.exit == .signaled(15))
        #expect(jobs["2"]?.exit == .exited(3))
        #expect(jobs["3"]?.startTime == 1_795_626_978)
        #expect(jobs["4"]?.startTime == nil && jobs["4"]?.reason == "Resources")
        #expect(jobs["1"]?.outcome() == LaunchOutcome(exit: .signaled(15), timedOut: true))
        #expect(jobs["2"]?.outcome() == LaunchOutcome(exit: .exited(3)))
        #expect(jobs["3"]?.outcome()?.succeeded == true)
        #expect(jobs["4"]?.outcome() == nil)
    }

    @Test func squeueJSONOfLaterVersionsWithListsAndNumberObjectsIsReadToo() throws {
        let json = """
            {"jobs": [
              {"job_id": 7, "job_state": ["OUT_OF_MEMORY"], "start_time": {"set": true, "infinite": false, "number": 100},
               "exit_code": {"status": ["SIGNALED"], "return_code": {"set": true, "number": 0}, "signal": {"id": {"set": true, "number": 9}}}},
              {"job_id": 8, "job_state": ["FAILED"], "exit_code": {"status": ["ERROR"], "return_code": {"set": true, "number": 2}}}
            ]}
            """
        let jobs = try SlurmJobState.parseQueue(Data(json.utf8))
        #expect(jobs["7"]?.state == .outOfMemory && jobs["7"]?.exit == .signaled(9) && jobs["7"]?.startTime == 100)
        #expect(jobs["7"]?.outcome()?.failure?.contains("out of memory") == true)
        #expect(jobs["8"]?.outcome() == LaunchOutcome(exit: .exited(2)))
        #expect(throws: SlurmError.self) { try SlurmJobState.parseQueue(Data("{\"errors\": []}".utf8)) }
    }

    @Test func everyEndStateMapsOntoAnOutcome() {
        func outcome(_ state: String, _ exit: ProcessExit? = nil, cancelledForTime: Bool = false) -> LaunchOutcome? {
            SlurmJobState(state: SlurmState(state), exit: exit).outcome(cancelledForTime: cancelledForTime)
        }
        for state in ["PENDING", "RUNNING", "COMPLETING", "REQUEUED", "SUSPENDED", "CONFIGURING"] { #expect(outcome(state) == nil, "\(state)") }
        #expect(outcome("COMPLETED", .exited(0))?.succeeded == true)
        #expect(outcome("FAILED", .exited(0))?.failure?.contains("FAILED") == true, "a failure without an exit code still fails")
        #expect(outcome("CANCELLED", .signaled(15))?.failure == "the job was cancelled (Slurm: CANCELLED)")
        #expect(outcome("CANCELLED", .signaled(15), cancelledForTime: true)?.timedOut == true)
        #expect(outcome("TIMEOUT")?.timedOut == true && outcome("DEADLINE")?.timedOut == true)
        #expect(outcome("NODE_FAIL")?.failure?.contains("node failed") == true)
        #expect(outcome("BOOT_FAIL")?.succeeded == false)
        let preempted = outcome("PREEMPTED", .signaled(15))
        #expect(preempted?.requeue == true && preempted?.succeeded == false)
        #expect(outcome("SPECIAL_EXIT")?.failure == "the job ended in Slurm state SPECIAL_EXIT")
    }

    @Test func sacctLinesGiveStateAndExitOrSignal() {
        let jobs = SlurmJobState.parseAccounting("2|FAILED|3:0\n3|COMPLETED|0:0\n5|CANCELLED by 0|0:15\nnot a line\n")
        #expect(jobs["2"] == SlurmJobState(state: .failed, exit: .exited(3)))
        #expect(jobs["3"]?.outcome()?.succeeded == true)
        #expect(jobs["5"] == SlurmJobState(state: .cancelled, exit: .signaled(15)))
        #expect(jobs.count == 3)
    }

    @Test func sbatchGetsResourcesOptionsAndTheCommandAsArgumentsOfAFixedScript() {
        let resources = TaskResources(gpus: 2, cpus: 4, memoryMB: 16_384, timeLimitSeconds: 61)
        let request = LaunchRequest(
            name: "sft[data=lima]", arguments: ["python", "-m", "ablate_runners.sft", "--note", "$(rm -rf ~); 100%"], environment: ["A": "1"],
            workingDirectory: "/shared/run/tasks/sft", standardOutput: "/shared/50%/stdout.log", standardError: "/shared/50%/stderr.log",
            exitRecord: "/shared/run/tasks/sft/exit.json", batchScript: "/shared/run/tasks/sft/job.sh", placement: nil,
            resources: resources)
        let options = SlurmOptions(partition: "gpu", account: "lab", qos: "high", sbatchFlags: ["--constraint=a100"])
        let submission = SlurmSubmission(request: request, options: options, scriptPath: "/shared/run/tasks/sft/job.sh")
        #expect(
            submission.arguments == [
                "--parsable", "--job-name=sft[data=lima]", "--chdir=/shared/run/tasks/sft", "--output=/shared/50%%/stdout.log",
                "--error=/shared/50%%/stderr.log", "--export=ALL", "--cpus-per-task=4", "--mem=16384M", "--gres=gpu:2", "--time=2",
                "--partition=gpu", "--account=lab", "--qos=high", "--constraint=a100", "/shared/run/tasks/sft/job.sh",
                "python", "-m", "ablate_runners.sft", "--note", "$(rm -rf ~); 100%",
            ])
        #expect(submission.environment == ["A": "1"])
        #expect(SlurmSubmission.batchScript.hasPrefix("#!/bin/sh\n") && SlurmSubmission.batchScript.contains("exec \"$@\"\n"))

        // A trainer with checkpoints is warned two minutes before its limit (the spec's own
        // --signal, among its flags, comes later and wins).
        var training = request
        training.checkpointsOnSignal = true
        let warned = SlurmSubmission(request: training, options: options, scriptPath: "/shared/run/tasks/sft/job.sh").arguments
        #expect(warned.firstIndex(of: "--signal=B:USR2@120") == warned.firstIndex(of: "--time=2").map { $0 + 1 })
        training.resources.timeLimitSeconds = nil
        #expect(!SlurmSubmission(request: training, options: options, scriptPath: "/x").arguments.contains { $0.hasPrefix("--signal") })
    }

    @Test func aTaskOnSeveralNodesIsOneJobWithOneLauncherPerNode() {
        let resources = TaskResources(gpus: 8, cpus: 16, timeLimitSeconds: 36_000, nodes: 2)
        let command = [
            "/env/bin/python", "-m", "ablate_runners.launch", "--nodes", "2", "--processes-per-node", "8", "sft", "--model", "/m", "--output",
            "/shared/run/tasks/sft/out",
        ]
        var request = LaunchRequest(
            name: "sft", arguments: command, environment: [:], workingDirectory: "/shared/run/tasks/sft", standardOutput: "/shared/o.log",
            standardError: "/shared/e.log", exitRecord: "/shared/run/tasks/sft/exit-1.json", batchScript: "/shared/run/tasks/sft/job.sh",
            placement: nil, resources: resources)
        request.checkpointsOnSignal = true
        let submission = SlurmSubmission(request: request, options: SlurmOptions(), scriptPath: "/shared/run/tasks/sft/job.sh")
        #expect(
            submission.arguments == [
                "--parsable", "--job-name=sft", "--chdir=/shared/run/tasks/sft", "--output=/shared/o.log", "--error=/shared/e.log", "--export=ALL",
                "--cpus-per-task=16", "--nodes=2", "--ntasks-per-node=1", "--gres=gpu:8", "--time=600", "--signal=B:USR2@120",
                "/shared/run/tasks/sft/job.sh",
            ] + command)
        #expect(
            submission.script == """
                #!/bin/sh
                # Written by ablate: runs the task's command, given as this script's arguments, once on each of the job's nodes.
                exec srun --nodes=2 --ntasks-per-node=1 --cpus-per-task=16 --gres=gpu:8 --kill-on-bad-exit=1 "$@"

                """)
        // One node keeps the script that runs the command as it is.
        request.resources.nodes = 1
        let single = SlurmSubmission(request: request, options: SlurmOptions(), scriptPath: "/x")
        let flags = single.arguments.prefix { $0 != "/x" }
        #expect(single.script == SlurmSubmission.batchScript && !flags.contains { $0.hasPrefix("--nodes") || $0.hasPrefix("--ntasks") })
    }

    @Test func commandLineOverridesWinOverTheSpecAndAddFlags() throws {
        let spec = Executor.slurm(SlurmOptions(partition: "cpu", account: "lab", sbatchFlags: ["--exclusive"]))
        let overrides = ExecutorOverrides(partition: "gpu", sbatchFlags: ["--constraint=a100"], pollInterval: 1)
        #expect(
            try overrides.applied(to: spec)
                == .slurm(SlurmOptions(partition: "gpu", account: "lab", sbatchFlags: ["--exclusive", "--constraint=a100"], pollInterval: 1)))
        #expect(try ExecutorOverrides().applied(to: spec) == spec)
        #expect(try ExecutorOverrides(kind: .slurm, qos: "high").applied(to: .local) == .slurm(SlurmOptions(qos: "high")))
        #expect(try ExecutorOverrides(kind: .local).applied(to: spec) == .local)
    }

    @Test func slurmOptionsForALocalRunAreRefused() {
        #expect {
            try ExecutorOverrides(partition: "gpu").applied(to: .local)
        } throws: { error in
            "\(error)" == "--partition applies to the slurm executor only; add --executor slurm, or leave --partition out"
        }
    }

    @Test func numbersOutOfRangeInSqueueJSONAreReadAsUnknownWithoutATrap() throws {
        let json = """
            {"jobs": [
              {"job_id": 1e30, "job_state": "RUNNING"},
              {"job_id": 12.5, "job_state": "RUNNING"},
              {"job_id": 9, "job_state": "FAILED", "exit_code": 1e12, "start_time": 1e300},
              {"job_id": 10, "job_state": ["FAILED"], "exit_code": {"return_code": {"set": true, "number": -1e20}, "signal": {"id": 5e15}}},
              {"job_id": -3, "job_state": "COMPLETED", "exit_code": -256}
            ]}
            """
        let jobs = try SlurmJobState.parseQueue(Data(json.utf8))
        #expect(Set(jobs.keys) == ["9", "10", "-3"], "ids that are no whole number are left out")
        #expect(jobs["9"]?.exit == nil && jobs["9"]?.state == .failed)
        #expect(jobs["10"]?.exit == nil)
        #expect(jobs["-3"]?.exit == .exited(-1))
        #expect(SlurmState("RESIZING") == .waiting("RESIZING") && SlurmState("WEIRD").hasEnded && "\(SlurmState("OUT_OF_MEMORY"))" == "OUT_OF_MEMORY")
    }
}
