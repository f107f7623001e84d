using System.CommandLine;

namespace Karma.Cli.Commands;

/// <summary>The <c>karma</c> command tree: built here so the program runs it and the tests parse the documented command lines against it.</summary>
internal static class KarmaCommandLine
{
    public static RootCommand CreateRoot() => new("karma: data, training, evaluation and experiments for KARMA retrieval models")
    {
        DataCommands.Create(),
        TrainCommands.Create(),
        EvalCommand.Create(),
        DriftCommand.Create(),
        ExperimentCommands.Create(),
        ExportCommands.Export(),
        ExportCommands.Package(),
        ExportCommands.Pipeline(),
        ExportCommands.Publish(),
        ClientCommands.Create(),
        ItemCommands.Create(),
        LoadTestCommand.Create(),
        BenchCommands.Create(),
    };
}
