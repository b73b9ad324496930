import AblateCore
import ArgumentParser
import Foundation

/// The memory of each GPU tasks get: `--gpu-memory 80G`, else (when `probe`) the smallest that
/// `nvidia-smi` reports, else unknown.
enum GPUMemory {
    static func perDevice(flag: String?, probe: Bool = true) throws -> Int64? {
        if let flag {
            guard case .success(.int(let megabytes)) = SettingType.memory.check(.string(flag)), megabytes > 0 else {
                throw ValidationError("--gpu-memory must be an amount such as 80G, not '\(flag)'")
            }
            return Int64(megabytes) * 1_048_576
        }
        guard probe else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let mebibytes = output.split(separator: "\n").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        return mebibytes.min().map { $0 * 1_048_576 }
    }
}
