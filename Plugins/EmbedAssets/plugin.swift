import Foundation
import PackagePlugin

/// Embeds the browser client (`client/`) and the API description (`openapi.yaml`) in the target
/// that serves them, so a `streamhub` binary needs no files beside it.
@main struct EmbedAssets: BuildToolPlugin {
    /// The files served, relative to the package.
    static let files = ["client/streamhub.js", "client/streamhub.d.ts", "client/demo.html", "openapi.yaml"]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let inputs = Self.files.map { context.package.directoryURL.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(Self.files.joined(separator: ", "))",
                executable: try context.tool(named: "EmbedAssetsTool").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
