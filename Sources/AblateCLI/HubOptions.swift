import AblateRun
import ArgumentParser

/// How a command reaches the Hugging Face Hub: shared by `run`, `resume` and `plan`.
struct HubOptions: ParsableArguments {
    @Flag(help: "Use only what the Hugging Face cache holds: resolve revisions and fetch from it, never from the hub.")
    var offline = false

    var settings: HubSettings { .current(offline: offline) }
}
