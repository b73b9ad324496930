import AblateCore
import AblateRun
import ArgumentParser
import Foundation
import Subprocess

/// This machine's GPUs as `nvidia-smi` lists them, asked once: their CUDA indices and the
/// smallest memory among them; none where there is no nvidia-smi.
struct LocalGPUs {
    var devices: [String] = []
    /// Bytes of memory of the smallest GPU.
    var memory: Int64?

    static func query() async -> LocalGPUs {
        guard let nvidiaSMI = ExecutableLookup.shared.executable("nvidia-smi"),
            let result = try? await run(
                nvidiaSMI, arguments: ["--query-gpu=index,memory.total", "--format=csv,noheader,nounits"],
                output: .string(limit: 1 << 16), error: .discarded),
            result.terminationStatus.isSuccess
        else { return LocalGPUs() }
        var gpus = LocalGPUs()
        for line in result.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let index = fields.first, !index.isEmpty else { continue }
            gpus.devices.append(index)
            if fields.count > 1, let mebibytes = Int64(fields[1]) { gpus.memory = min(gpus.memory ?? .max, mebibytes * 1_048_576) }
        }
        return gpus
    }

    /// The bytes `--gpu-memory 80G` names.
    static func memory(flag: String) throws -> Int64 {
        guard case .success(.int(let megabytes)) = SettingType.memory.check(.string(flag)), megabytes > 0 else {
            throw ValidationError("--gpu-memory must be an amount such as 80G, not '\(flag)'")
        }
        return Int64(megabytes) * 1_048_576
    }
}
