using Karma.Core.Data.Synthetic;
using Karma.Export.Packaging;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Export.Tests;

/// <summary>A tiny trained and evaluated checkpoint, exported once for all package tests.</summary>
public sealed class TinyCheckpointFixture : IDisposable
{
    public TinyCheckpointFixture()
    {
        Root = Directory.CreateTempSubdirectory("karma-export-").FullName;
        Data = Path.Combine(Root, "data");
        SyntheticLogGenerator.Generate(SyntheticPreset.Get("tiny"), 11, Data);
        var config = Json.Read<TrainingConfig>(RepositoryPaths.Config("tiny"));
        config = config with { Pretrain = config.Pretrain with { Steps = 40 }, Align = config.Align with { Steps = 40 }, PreRank = config.PreRank with { Steps = 40 } };
        string pretrain = Path.Combine(Root, "pretrain");
        Checkpoint = Path.Combine(Root, "align");
        Pretrainer.Run(new RunOptions { DataDir = Data, OutDir = pretrain, Config = config, Seed = 3, Log = TextWriter.Null });
        Aligner.Run(new RunOptions { DataDir = Data, OutDir = Checkpoint, Config = config, Seed = 3, Log = TextWriter.Null }, pretrain, Objective.KarmaImg);
        ReportWriter.WriteFiles(Checkpoint, Evaluator.Run(Checkpoint, Data, new EvaluationOptions { ProbeExamples = 200 }, TextWriter.Null));
        Package = Path.Combine(Root, "package");
        Result = ModelExporter.Export(new ExportOptions { CheckpointDir = Checkpoint, OutDir = Package, DataDir = Data }, TextWriter.Null);
    }

    public string Root { get; }
    public string Data { get; }
    public string Checkpoint { get; }
    public string Package { get; }
    public ExportResult Result { get; }

    /// <summary>A fresh copy of the package that a test may damage.</summary>
    public string CopyPackage(string name) => TestFiles.CopyFiles(Package, Path.Combine(Root, name));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
