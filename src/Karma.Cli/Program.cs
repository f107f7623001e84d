using System.CommandLine;
using Karma.Cli.Commands;

var root = new RootCommand("karma: data, training, evaluation and experiments for KARMA retrieval models")
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
    LoadTestCommand.Create(),
    BenchCommands.Create(),
};
return await root.Parse(args).InvokeAsync();
