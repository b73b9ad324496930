/// Builds a task's exact command: the kind's recipe plus pass-through `args:`, or a `command`
/// stage's own program or shell line.
struct CommandBuilder {
    let stage: StageSpec
    let resolver: ReferenceResolver

    /// `interpreter` runs a built-in kind's runner: the stage's `python:`, or the Python of its
    /// environment task.
    func command(
        settings: [String: SettingValue], inputs: [InputRole: ResolvedInput], resources: TaskResources, interpreter: CommandArgument?,
        _ diagnostics: inout DiagnosticLog
    ) -> TaskCommand? {
        guard let passThrough = arguments(stage.args, &diagnostics),
            var environment = variables(stage.environment, &diagnostics)
        else { return nil }
        if let recipe = RecipeBook.recipe(for: stage.kind), let interpreter {
            let context = RecipeContext(kind: stage.kind, settings: settings, inputs: inputs, resources: resources)
            return TaskCommand(arguments: [interpreter] + recipe.arguments(for: context) + passThrough, environment: [RunnerPackage.pythonPath] + environment)
        }
        guard let inputVariables = variables(stage.commandInputs.map { ("ABLATE_INPUT_" + Self.variableName($0.name), $0.template) }, &diagnostics) else {
            return nil
        }
        environment =
            [EnvironmentVariable(name: "ABLATE_OUTPUT_DIR", value: CommandArgument([.outputDirectory]))]
            + stage.outputs.map { EnvironmentVariable(name: "ABLATE_OUTPUT_" + Self.variableName($0), value: .output($0)) }
            + inputVariables + environment
        if let argv = stage.command {
            guard let resolved = arguments(argv, &diagnostics) else { return nil }
            return TaskCommand(arguments: resolved + passThrough, environment: environment)
        }
        guard let run = stage.run, let (script, referenceVariables) = shellScript(run, &diagnostics) else { return nil }
        // The shell line is the user's own; every value ablate substitutes into it travels in
        // an environment variable and appears in the script only as "$VARIABLE", so that a
        // value such as `$(rm -rf ~)` is never interpreted. `args:` become "$@".
        let arguments: [CommandArgument] = ["/bin/sh", "-c", .literal(script), .literal("ablate-\(stage.name)")] + passThrough
        return TaskCommand(arguments: arguments, environment: environment + referenceVariables)
    }

    private func arguments(_ templates: [Template], _ diagnostics: inout DiagnosticLog) -> [CommandArgument]? {
        var result: [CommandArgument] = []
        for template in templates {
            // In a gathering stage, an argument that is exactly one stage reference becomes
            // one argument per gathered task.
            if let expression = template.wholeReference, case .value(.taskOutputs(let outputs)) = resolver.resolve(expression) {
                result += outputs.map { CommandArgument([.taskOutput(task: $0.task, output: $0.output)]) }
                continue
            }
            guard let argument = resolver.argument(template, in: stage, &diagnostics) else { return nil }
            result.append(argument)
        }
        return result
    }

    private func variables(_ templates: [(name: String, template: Template)], _ diagnostics: inout DiagnosticLog) -> [EnvironmentVariable]? {
        var result: [EnvironmentVariable] = []
        for (name, template) in templates {
            guard let value = resolver.argument(template, in: stage, &diagnostics) else { return nil }
            result.append(EnvironmentVariable(name: name, value: value))
        }
        return result
    }

    private func shellScript(_ run: Template, _ diagnostics: inout DiagnosticLog) -> (String, [EnvironmentVariable])? {
        var script = ""
        var variables: [EnvironmentVariable] = []
        for part in run.parts {
            switch part {
            case .literal(let text): script += text
            case .reference(let expression):
                let single = Template(parts: [part], location: expression.location)
                guard let value = resolver.argument(single, in: stage, &diagnostics) else { return nil }
                let name = "ABLATE_REF_\(variables.count + 1)"
                variables.append(EnvironmentVariable(name: name, value: value))
                script += "\"${\(name)}\""
            }
        }
        return (script, variables)
    }

    /// `sft-data` → `SFT_DATA`, for environment variable names.
    static func variableName(_ name: String) -> String {
        name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
